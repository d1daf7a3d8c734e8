"""What the commuter sees: the camera picture full-screen with one guidance line in English,
繁體中文 and 简体中文, on the colour of the decision."""

from __future__ import annotations

import subprocess
from functools import cache
from typing import Any

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from clearance import faces
from kiosk.station import Guidance

WINDOW = "Hetao Clearance"
GUIDANCE = {
    Guidance.SHOW_QR: ("Show your QR code", "請出示二維碼", "请出示二维码"),
    Guidance.LOOK: ("Look at the camera", "請望向鏡頭", "请看向镜头"),
    Guidance.CLEARED: ("Cleared — please proceed", "已核准，請通行", "已核准，请通行"),
    Guidance.SEE_OFFICER: ("Please see an officer", "請聯絡當值人員", "请联系值班人员"),
}
COLOURS = {  # RGB
    Guidance.SHOW_QR: (40, 40, 40),
    Guidance.LOOK: (30, 70, 140),
    Guidance.CLEARED: (20, 130, 60),
    Guidance.SEE_OFFICER: (180, 40, 30),
}


@cache
def cjk_font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """A font with Chinese glyphs from the system (fontconfig), or PIL's default."""
    try:
        command = ["fc-match", "-f", "%{file}", ":lang=zh-hk"]  # fontconfig, wherever installed
        found = subprocess.run(  # noqa: S603
            command, capture_output=True, text=True, timeout=5, check=False
        ).stdout.strip()
        if found:
            return ImageFont.truetype(found, size)
    except (OSError, subprocess.SubprocessError):
        pass
    return ImageFont.load_default(size)


def render(image: faces.RGBImage, guidance: Guidance, decision: dict[str, Any] | None) -> faces.RGBImage:
    """The screen: the picture with a banner of the three-language guidance at the bottom."""
    height, width = image.shape[:2]
    banner_h = max(90, height // 4)
    canvas = Image.new("RGB", (width, height + banner_h), COLOURS[guidance])
    canvas.paste(Image.fromarray(image), (0, 0))
    draw = ImageDraw.Draw(canvas)
    font = cjk_font(max(16, banner_h // 5))
    lines = GUIDANCE[guidance]
    for i, line in enumerate(lines):
        draw.text((16, height + 8 + i * (banner_h - 16) // 3), line, fill=(255, 255, 255), font=font)
    return np.asarray(canvas, dtype=np.uint8)


class Screen:
    def __init__(self) -> None:
        cv2.namedWindow(WINDOW, cv2.WINDOW_NORMAL)
        cv2.setWindowProperty(WINDOW, cv2.WND_PROP_FULLSCREEN, cv2.WINDOW_FULLSCREEN)

    def show(self, image: faces.RGBImage, guidance: Guidance, decision: dict[str, Any] | None) -> bool:
        """Draw one frame; False once the operator pressed Esc or q."""
        cv2.imshow(WINDOW, cv2.cvtColor(render(image, guidance, decision), cv2.COLOR_RGB2BGR))
        return cv2.waitKey(1) & 0xFF not in (27, ord("q"))

    def close(self) -> None:
        cv2.destroyWindow(WINDOW)

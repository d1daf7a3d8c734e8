"""What the commuter sees: the camera picture full-screen with one guidance line in English,
繁體中文 and 简体中文, on the colour of the decision."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from clearance.vision.images import RGBImage
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


FONTS = Path(__file__).resolve().parent / "static" / "fonts"
# Subsets of Noto Sans CJK holding just the guidance lines (see static/fonts/LICENSE.txt):
# Traditional forms for English and 繁體中文, Simplified forms for 简体中文.
LINE_FONTS = ("NotoSansCJKtc-kiosk.otf", "NotoSansCJKtc-kiosk.otf", "NotoSansCJKsc-kiosk.otf")


@cache
def font(name: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONTS / name), size)


def render(image: RGBImage, guidance: Guidance, decision: dict[str, Any] | None) -> RGBImage:
    """The screen: the picture with a banner of the three-language guidance at the bottom."""
    height, width = image.shape[:2]
    banner_h = max(90, height // 4)
    canvas = Image.new("RGB", (width, height + banner_h), COLOURS[guidance])
    canvas.paste(Image.fromarray(image), (0, 0))
    draw = ImageDraw.Draw(canvas)
    size = max(16, banner_h // 5)
    for i, (line, name) in enumerate(zip(GUIDANCE[guidance], LINE_FONTS, strict=True)):
        draw.text(
            (16, height + 8 + i * (banner_h - 16) // 3), line, fill=(255, 255, 255), font=font(name, size)
        )
    return np.asarray(canvas, dtype=np.uint8)


class Screen:
    def __init__(self) -> None:
        cv2.namedWindow(WINDOW, cv2.WINDOW_NORMAL)
        cv2.setWindowProperty(WINDOW, cv2.WND_PROP_FULLSCREEN, cv2.WINDOW_FULLSCREEN)

    def show(self, image: RGBImage, guidance: Guidance, decision: dict[str, Any] | None) -> bool:
        """Draw one frame; False once the operator pressed Esc or q."""
        cv2.imshow(WINDOW, cv2.cvtColor(render(image, guidance, decision), cv2.COLOR_RGB2BGR))
        return cv2.waitKey(1) & 0xFF not in (27, ord("q"))

    def close(self) -> None:
        cv2.destroyWindow(WINDOW)

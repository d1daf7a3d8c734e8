"""What the person at the kiosk sees and hears: full screen from the first moment, the camera
picture beside a panel in the colour of the state, with a large sign and one short instruction in
English, 繁體中文 and 简体中文 (readable at 1.5 m), a sound for each outcome, and a small status line
for the officer (server reachable, whitelist age, crossings waiting)."""

from __future__ import annotations

import math
import sys
import threading
import time
from collections.abc import Callable, Sequence
from functools import cache, partial
from pathlib import Path
from typing import TypeVar

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from clearance.core.enums import Park
from clearance.core.reasons import Reason
from clearance.vision.images import RGBImage
from kiosk import sounds
from kiosk.station import Guidance

T = TypeVar("T")

WINDOW = "Hetao Clearance"
SIZE = (1280, 720)
"""The screen is drawn at this size and scaled to the display (full screen)."""
PANEL_X = 720
"""The camera picture fills the left of the screen, the panel the rest."""
PORTRAIT = (720, 1280)
"""On a display standing upright (1080 x 1920) the screen is drawn at this size instead: the
picture above, the panel below it."""
PORTRAIT_PANEL_Y = 560

GUIDANCE = {
    Guidance.STARTING: ("Starting: please wait", "正在啟動，請稍候", "正在启动，请稍候"),
    Guidance.SHOW_QR: ("Show your QR code", "請出示二維碼", "请出示二维码"),
    Guidance.LOOK: ("Look at the camera", "請望向鏡頭", "请看向镜头"),
    Guidance.CLEARED: ("Cleared: walk on", "已核准，請通行", "已核准，请通行"),
    Guidance.TRY_AGAIN: ("Step back and try again", "請退後再試一次", "请退后再试一次"),
    Guidance.REFERRED: ("Please see the officer at the counter", "請到櫃檯見當值人員", "请到柜台见值班人员"),
    Guidance.NOT_CLEARED: (
        "Not cleared: see the officer at the counter",
        "未能通關，請到櫃檯",
        "未能通关，请到柜台",
    ),
}
COLOURS = {  # RGB
    Guidance.STARTING: (60, 64, 72),
    Guidance.SHOW_QR: (22, 50, 92),
    Guidance.LOOK: (24, 96, 170),
    Guidance.CLEARED: (18, 128, 60),
    Guidance.TRY_AGAIN: (176, 112, 0),
    Guidance.REFERRED: (200, 84, 0),
    Guidance.NOT_CLEARED: (170, 30, 30),
}
SOUNDS = {
    Guidance.CLEARED: sounds.Cue.CLEARED,
    Guidance.TRY_AGAIN: sounds.Cue.TRY_AGAIN,
    Guidance.REFERRED: sounds.Cue.COUNTER,
    Guidance.NOT_CLEARED: sounds.Cue.REFUSED,
}

DESTINATIONS = {
    Park.HK: ("To Hong Kong Park", "往香港園區", "往香港园区"),
    Park.SZ: ("To Shenzhen Park", "往深圳園區", "往深圳园区"),
}
"""Where the lane leads, across the top of the picture: the person knows they are in the right one."""
WHY = {
    Reason.ANTI_PASSBACK: (
        "Our records show you are already in this park",
        "記錄顯示你已在此園區",
        "记录显示你已在此园区",
    ),
    Reason.EXPIRED: ("This code has expired", "此二維碼已過期", "此二维码已过期"),
    Reason.CODE_EXPIRED: (
        "The code on your phone is too old: refresh it",
        "手機上的二維碼已過時，請更新",
        "手机上的二维码已过时，请更新",
    ),
    Reason.REVOKED: ("This code is no longer valid", "此二維碼已失效", "此二维码已失效"),
    Reason.NOT_WHITELISTED: (
        "This code is not valid at this lane",
        "此二維碼在此通道無效",
        "此二维码在此通道无效",
    ),
    Reason.UNKNOWN_CREDENTIAL: (
        "This code is not valid at this lane",
        "此二維碼在此通道無效",
        "此二维码在此通道无效",
    ),
    Reason.TEMPLATE_OUTDATED: (
        "Your photo must be taken again at the desk",
        "請到櫃檯重新拍攝登記相片",
        "请到柜台重新拍摄登记照片",
    ),
    Reason.SEVERAL_FACES: ("One person at a time", "請逐一通過", "请逐一通过"),
    Reason.NO_FACE: ("No face was seen", "未能看到面孔", "未能看到面孔"),
    Reason.FACE_TOO_SMALL: ("Come closer to the camera", "請走近鏡頭", "请走近镜头"),
    Reason.FACE_BLURRED: ("Hold still", "請保持不動", "请保持不动"),
    Reason.FACE_BADLY_EXPOSED: ("Face the light", "請面向光源", "请面向光源"),
}
"""Why, under an outcome, where the person can understand or act on it. Nothing for what would
coach an impostor (a face that does not match, a picture held up, an uncertain score)."""

FONTS = Path(__file__).resolve().parent / "static" / "fonts"
# Subsets of Noto Sans CJK Bold holding just these lines (static/fonts/LICENSE.txt): Hong Kong
# forms for English and 繁體中文, Simplified forms for 简体中文.
LINE_FONTS = ("NotoSansCJKhk-Bold-kiosk.otf", "NotoSansCJKhk-Bold-kiosk.otf", "NotoSansCJKsc-Bold-kiosk.otf")
SMALL_CJK = "DroidSansFallback-kiosk.ttf"
"""A subset of Droid Sans Fallback (static/fonts/LICENSE-DroidSansFallback.txt) holding the Chinese
of DESTINATIONS and WHY; their English is in Pillow's own font."""
WHITE = (255, 255, 255)


@cache
def font(name: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONTS / name), size)


def _shrunk(
    draw: ImageDraw.ImageDraw,
    text: str,
    make: Callable[[int], ImageFont.FreeTypeFont],
    *,
    width: int,
    size: int,
    smallest: int,
    step: int = 1,
) -> ImageFont.FreeTypeFont:
    """``make``'s font at the largest size from ``size`` down (by ``step``, to ``smallest``) at
    which ``text`` fits ``width``."""
    while size > smallest and draw.textlength(text, font=make(size)) > width:
        size -= step
    return make(size)


def _fitted(
    draw: ImageDraw.ImageDraw, text: str, name: str, *, width: int, size: int
) -> ImageFont.FreeTypeFont:
    """The largest size up to ``size`` at which ``text`` fits ``width`` in font ``name``."""
    return _shrunk(draw, text, lambda n: font(name, n), width=width, size=size, smallest=20, step=2)


def _lines(text: str, draw: ImageDraw.ImageDraw, name: str, *, width: int, size: int) -> list[str]:
    """``text`` broken into at most two lines that fit ``width`` at ``size``: at a full-width
    comma or a colon where it has one, else after the most words that fit."""

    def fits(line: str) -> bool:
        return draw.textlength(line, font=font(name, size)) <= width

    if fits(text):
        return [text]
    for cut in ("，", ": "):
        if cut in text:
            head, _, tail = text.partition(cut)
            return [head + cut.strip(), tail]
    words = text.split(" ")
    for n in range(len(words) - 1, 0, -1):
        if fits(" ".join(words[:n])):
            return [" ".join(words[:n]), " ".join(words[n:])]
    return [words[0], " ".join(words[1:])] if len(words) > 1 else [text]


def _sign(draw: ImageDraw.ImageDraw, guidance: Guidance, centre: tuple[int, int], radius: int) -> None:
    """A large white sign for the state: a QR code, an eye, a tick, a turning arrow, an
    exclamation mark, a cross."""
    x, y = centre
    r = radius
    draw.ellipse((x - r, y - r, x + r, y + r), outline=WHITE, width=max(6, r // 12))
    w = max(8, r // 6)
    if guidance is Guidance.STARTING:  # a clock face
        draw.line(((x, y), (x, y - r * 0.55)), fill=WHITE, width=w // 2)
        draw.line(((x, y), (x + r * 0.4, y + r * 0.2)), fill=WHITE, width=w // 2)
        draw.ellipse((x - w * 0.5, y - w * 0.5, x + w * 0.5, y + w * 0.5), fill=WHITE)
    elif guidance is Guidance.SHOW_QR:
        s = r // 3
        for dx, dy in ((-1, -1), (1, -1), (-1, 1)):
            cx, cy = x + dx * s, y + dy * s
            draw.rectangle(
                (cx - s // 1.4, cy - s // 1.4, cx + s // 1.4, cy + s // 1.4), outline=WHITE, width=w // 2
            )
            draw.rectangle((cx - s // 3.5, cy - s // 3.5, cx + s // 3.5, cy + s // 3.5), fill=WHITE)
        draw.rectangle((x + s // 2, y + s // 2, x + s + s // 2, y + s + s // 2), fill=WHITE)
    elif guidance is Guidance.LOOK:
        draw.ellipse((x - r * 0.62, y - r * 0.34, x + r * 0.62, y + r * 0.34), outline=WHITE, width=w // 2)
        draw.ellipse((x - r * 0.2, y - r * 0.2, x + r * 0.2, y + r * 0.2), fill=WHITE)
    elif guidance is Guidance.CLEARED:
        draw.line(
            ((x - r * 0.45, y + r * 0.02), (x - r * 0.1, y + r * 0.38), (x + r * 0.5, y - r * 0.35)),
            fill=WHITE,
            width=w,
            joint="curve",
        )
    elif guidance is Guidance.TRY_AGAIN:
        a = r * 0.5
        draw.arc((x - a, y - a, x + a, y + a), start=-60, end=240, fill=WHITE, width=w)
        tip = (x + a * math.cos(math.radians(-60)), y + a * math.sin(math.radians(-60)))
        draw.polygon(
            (
                (tip[0] - w * 1.6, tip[1] - w * 0.6),
                (tip[0] + w * 1.1, tip[1] - w * 1.4),
                (tip[0] + w * 0.4, tip[1] + w * 1.5),
            ),
            fill=WHITE,
        )
    elif guidance is Guidance.REFERRED:
        draw.rectangle((x - w / 2, y - r * 0.5, x + w / 2, y + r * 0.15), fill=WHITE)
        draw.ellipse((x - w * 0.7, y + r * 0.3, x + w * 0.7, y + r * 0.3 + w * 1.4), fill=WHITE)
    else:
        a = r * 0.38
        draw.line(((x - a, y - a), (x + a, y + a)), fill=WHITE, width=w)
        draw.line(((x - a, y + a), (x + a, y - a)), fill=WHITE, width=w)


def _small(index: int, size: int) -> ImageFont.FreeTypeFont:
    """English (0) in Pillow's own font, Chinese (1, 2) in the Droid subset."""
    return ImageFont.load_default(size=size) if index == 0 else font(SMALL_CJK, size)  # type: ignore[return-value]


def why(reasons: Sequence[str]) -> tuple[str, str, str] | None:
    """The line under an outcome saying why, for the first of its reasons that has one."""
    for reason in reasons:
        if reason in WHY:
            return WHY[Reason(reason)]
    return None


def render(
    image: RGBImage,
    guidance: Guidance,
    status: str | None = None,
    *,
    destination: Park | None = None,
    reasons: Sequence[str] = (),
    portrait: bool = False,
) -> RGBImage:
    """The screen for the camera picture ``image`` in state ``guidance``, with where the lane
    leads, why an outcome is what it is (``reasons``) and the officer's ``status`` line: the
    picture left of the panel (``SIZE``), or above it on a display standing upright
    (``PORTRAIT``)."""
    size = PORTRAIT if portrait else SIZE
    canvas = Image.new("RGB", size, (12, 14, 18))
    if portrait:
        picture_box, panel_box = (0, 0, size[0], PORTRAIT_PANEL_Y), (0, PORTRAIT_PANEL_Y, *size)
    else:
        picture_box, panel_box = (0, 0, PANEL_X, size[1]), (PANEL_X, 0, *size)
    _picture(canvas, image, picture_box, destination=destination, status=status)
    _panel(canvas, guidance, panel_box, reasons=reasons)
    return np.asarray(canvas, dtype=np.uint8)


def _picture(
    canvas: Image.Image,
    image: RGBImage,
    box: tuple[int, int, int, int],
    *,
    destination: Park | None,
    status: str | None,
) -> None:
    """The camera picture in ``box``, where the lane leads across its top, the status line under it."""
    left, top, right, bottom = box
    picture = Image.fromarray(image)
    picture.thumbnail((right - left, bottom - top))
    canvas.paste(
        picture, (left + (right - left - picture.width) // 2, top + (bottom - top - picture.height) // 2)
    )
    draw = ImageDraw.Draw(canvas)
    if destination is not None:
        # In the three languages one after another.
        draw.rectangle((left, top, right, top + 44), fill=(0, 0, 0))
        english, traditional, simplified = DESTINATIONS[destination]
        runs = [(english, 0), ("  ·  ", 0), (traditional, 1), ("  ·  ", 0), (simplified, 2)]
        x = left + 14.0
        for text, index in runs:
            draw.text((x, top + 10), text, font=_small(index, 24), fill=WHITE)
            x += draw.textlength(text, font=_small(index, 24))
    if status:
        draw.rectangle((left, bottom - 34, right, bottom), fill=(0, 0, 0))
        # The officer's line in their language (HETAO_KIOSK_STATUS_LANGUAGE): its Chinese in the
        # Droid subset, its digits and Latin letters in Pillow's font, on one baseline.
        runs = _script_runs(status)
        size = 18
        while (
            size > 10
            and sum(draw.textlength(text, font=_small(i, size)) for text, i in runs) > right - left - 24
        ):
            size -= 1
        x = left + 12.0
        for text, index in runs:
            draw.text((x, bottom - 12), text, font=_small(index, size), fill=(190, 196, 204), anchor="ls")
            x += draw.textlength(text, font=_small(index, size))


def _script_runs(text: str) -> list[tuple[str, int]]:
    """``text`` cut where it changes between Chinese (1: the Droid subset) and the rest (0)."""
    runs: list[tuple[str, int]] = []
    for char in text:
        index = 1 if ord(char) >= 0x2E80 else 0
        if runs and runs[-1][1] == index:
            runs[-1] = (runs[-1][0] + char, index)
        else:
            runs.append((char, index))
    return runs


def _panel(
    canvas: Image.Image, guidance: Guidance, box: tuple[int, int, int, int], *, reasons: Sequence[str]
) -> None:
    """The panel in the colour of the state: its sign, its instruction in three languages and,
    under an outcome, why."""
    left, top, right, _bottom = box
    draw = ImageDraw.Draw(canvas)
    draw.rectangle(box, fill=COLOURS[guidance])
    centre = (left + right) // 2
    _sign(draw, guidance, (centre, top + 150), 100)
    text_width = right - left - 48
    y = top + 290
    for i, (text, name) in enumerate(zip(GUIDANCE[guidance], LINE_FONTS, strict=True)):
        size = 46 if i == 0 else 52
        for line in _lines(text, draw, name, width=text_width, size=size):
            line_font = _fitted(draw, line, name, width=text_width, size=size)
            draw.text((centre, y), line, font=line_font, fill=WHITE, anchor="mt")
            y += round(line_font.size) + 10
        y += 18
    said = why(reasons) if guidance in SOUNDS else None
    if said is not None:
        draw.line((left + 60, y - 6, right - 60, y - 6), fill=WHITE, width=2)
        y += 10
        for i, text in enumerate(said):
            line_font = _shrunk(
                draw,
                text,
                partial(_small, i),
                width=text_width,
                size=26 if i == 0 else 28,
                smallest=14,
            )
            draw.text((centre, y), text, font=line_font, fill=WHITE, anchor="mt")
            y += round(line_font.size) + 10


def _grab_display() -> Image.Image | None:
    """What the display shows now (its root window), or None where it cannot be read."""
    try:
        from PIL import ImageGrab

        return ImageGrab.grab()
    except OSError:
        return None


def display_size() -> tuple[int, int]:
    """The display's size in pixels (its root window's), or ``SIZE`` where it cannot be read."""
    shown = _grab_display()
    if shown is None:
        return SIZE
    width, height = shown.size
    return (width, height) if width > 0 and height > 0 else SIZE


def display_lit() -> bool | None:
    """Whether anything on the display is lit (the kiosk's panel always is, in any state); None
    where the display cannot be read."""
    shown = _grab_display()
    return None if shown is None else bool(np.asarray(shown.convert("L")).max() > 40)


def fit(screen: RGBImage, size: tuple[int, int]) -> RGBImage:
    """``screen`` scaled to fill ``size`` without distortion, the rest black (never a grey band)."""
    width, height = size
    scale = min(width / screen.shape[1], height / screen.shape[0])
    inner = (round(screen.shape[1] * scale), round(screen.shape[0] * scale))
    out = np.zeros((height, width, 3), dtype=np.uint8)
    x, y = (width - inner[0]) // 2, (height - inner[1]) // 2
    out[y : y + inner[1], x : x + inner[0]] = cv2.resize(screen, inner, interpolation=cv2.INTER_AREA)
    return out


class Screen:
    """The kiosk's window: full screen, no toolbar, saying the kiosk is starting until it can
    clear anyone; it plays the sound of each outcome once.

    Full screen is asked of the window manager and also done by hand (the window sized to the
    display at its corner): a kiosk often runs on bare X with no window manager, where OpenCV's
    full-screen flag alone leaves a 400 x 300 window."""

    def __init__(self, status: str = "starting") -> None:
        self.size = display_size()
        self.painted = False
        """Whether the display has been seen showing this window's picture (or cannot be read)."""
        self._patience = 2.0
        self._picture: np.ndarray | None = None
        """The last picture shown, as the window takes it (BGR, display size)."""
        self._open()
        self.shown: Guidance | None = None
        self.blank = np.zeros((480, 640, 3), dtype=np.uint8)
        """What the camera side shows before the camera's first frame."""
        self.starting = status
        """The status line while the kiosk starts."""
        self.show(self.blank, Guidance.STARTING, status)
        # Until the window is mapped where it belongs (or for two seconds at most), let the window
        # system catch up: the first picture then shows at once, not only with the camera's frames.
        settled_by = time.monotonic() + 2.0
        while not self.placed() and time.monotonic() < settled_by:
            cv2.waitKey(20)
            self._place()
            self.show(self.blank, Guidance.STARTING, status)

    def meanwhile(self, work: Callable[[], T]) -> T:
        """``work``'s result (or its exception), worked out on a thread of its own while this
        window keeps saying the kiosk is starting and answering the window system: a sync or a
        model load takes seconds, and a window whose events nobody handles in that time is not
        repainted when uncovered (and a window manager calls it not responding).

        The thread is a daemon: Ctrl-C stops the kiosk at once, not when a slow server answers."""
        result: list[T] = []
        failure: list[BaseException] = []

        def run() -> None:
            try:
                result.append(work())
            except BaseException as exc:  # handed to the caller's thread, raised there
                failure.append(exc)

        worker = threading.Thread(target=run, name="starting", daemon=True)
        worker.start()
        drawn_at = time.monotonic()
        while worker.is_alive():
            cv2.waitKey(50)
            if time.monotonic() >= drawn_at + 1.0:
                self.show(self.blank, Guidance.STARTING, self.starting)
                drawn_at = time.monotonic()
        if failure:
            raise failure[0]
        return result[0]

    def placed(self) -> bool:
        """Whether the window covers the whole display, as the window system reports it."""
        return tuple(cv2.getWindowImageRect(WINDOW)) == (0, 0, *self.size)

    def show(
        self,
        image: RGBImage,
        guidance: Guidance,
        status: str | None = None,
        *,
        destination: Park | None = None,
        reasons: Sequence[str] = (),
    ) -> bool:
        """Draw one frame; False once the operator pressed Esc or q."""
        if guidance is not self.shown and guidance in SOUNDS:
            sounds.play(SOUNDS[guidance])
        self.shown = guidance
        portrait = self.size[1] > self.size[0]
        drawn = render(image, guidance, status, destination=destination, reasons=reasons, portrait=portrait)
        self._picture = cv2.cvtColor(fit(drawn, self.size), cv2.COLOR_RGB2BGR)
        cv2.imshow(WINDOW, self._picture)
        pressed = cv2.waitKey(1) & 0xFF
        if time.monotonic() >= self._checked_at + 1.0:
            self._keep_placed()
        return pressed not in (27, ord("q"))

    def _open(self) -> None:
        cv2.namedWindow(WINDOW, cv2.WINDOW_NORMAL | cv2.WINDOW_GUI_NORMAL)
        cv2.setWindowProperty(WINDOW, cv2.WND_PROP_FULLSCREEN, cv2.WINDOW_FULLSCREEN)
        self._opened_at = time.monotonic()
        self._place()

    def _place(self) -> None:
        cv2.resizeWindow(WINDOW, *self.size)
        cv2.moveWindow(WINDOW, 0, 0)
        self._checked_at = time.monotonic()

    def _keep_placed(self) -> None:
        """Once a second: put the window back over the whole display if it is not (on a busy
        machine with no window manager, the first resize can be applied before the window is
        mapped and lost, leaving a small window with grey bands around it); and until the display
        has been seen showing the window's picture, open the window again if it stays black.

        The second is for OpenCV's Qt windows on X: on a busy machine about one window in ten
        never hears from the X server that it was mapped, so Qt never paints it and the display
        stays black however often the picture changes (measured on Xvfb under load); a window
        opened again is painted."""
        if not self.placed():
            self._place()
        elif not self.painted and time.monotonic() >= self._opened_at + self._patience:
            lit = display_lit()
            if lit is False:
                print(
                    "hetao kiosk: the window stayed black on the display; opening it again", file=sys.stderr
                )
                cv2.destroyWindow(WINDOW)
                cv2.waitKey(1)
                self._open()
                if self._picture is not None:
                    cv2.imshow(WINDOW, self._picture)
                    cv2.waitKey(1)
                self._patience = min(2 * self._patience, 60.0)  # a slow machine gets longer each time
            else:
                self.painted = True  # lit, or the display cannot be read (nothing more to learn)
        self._checked_at = time.monotonic()

    def close(self) -> None:
        cv2.destroyWindow(WINDOW)

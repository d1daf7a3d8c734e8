"""A printable credential card: ISO/IEC 7810 ID-1 (85.60 x 53.98 mm), at 300 dpi.

The card carries the commuter's name, organisation, a thumbnail of the reference photo for the
officer's eye, the dates, and the static credential's QR code, large enough for a kiosk camera
at arm's length (about 7 px a module at 300 dpi, 0.6 mm printed).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import TextMode
from PIL import Image, ImageDraw, ImageFont
from sqlalchemy.orm import Session

from clearance.audit import service as audit
from clearance.core import vault
from clearance.core.enums import AuditAction, CredentialKind
from clearance.core.errors import InvalidInput, InvalidTransition
from clearance.core.messages import words
from clearance.core.zone import ZONE_TIME
from clearance.db.actors import Actor
from clearance.db.models import Credential
from clearance.vision import qr
from clearance.whitelist import biometrics

DPI = 300
WIDTH, HEIGHT = 1011, 638
BAND = (18, 52, 86)
INK = (20, 24, 28)
MUTED = (90, 98, 108)


@dataclass(frozen=True)
class CardContent:
    full_name: str
    organisation: str
    home_park: str
    valid_until: date
    expires_at: datetime
    photo_jpeg: bytes | None
    qr_text: str


CJK_FONT = Path(__file__).resolve().parent / "fonts" / "DroidSansFallbackFull.ttf"
"""Droid Sans Fallback (Apache-2.0, fonts/PROVENANCE.md): Chinese characters, no Latin letters."""


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    # Pillow's bundled scalable font, for Latin text: nothing to install, nothing fetched.
    return ImageFont.load_default(size=size)


@cache
def _cjk_font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(CJK_FONT), size=size)


def _latin(char: str) -> bool:
    return ord(char) < 0x2000


def _runs(text: str) -> list[tuple[str, bool]]:
    """``text`` cut where it changes between Latin script and other scripts: (run, is Latin)."""
    runs: list[tuple[str, bool]] = []
    for char in text:
        latin = _latin(char)  # spaces too: the CJK font has no space of its own
        if runs and runs[-1][1] == latin:
            runs[-1] = (runs[-1][0] + char, latin)
        else:
            runs.append((char, latin))
    return runs


def _length(draw: ImageDraw.ImageDraw, text: str, size: int) -> float:
    return sum(
        draw.textlength(run, font=_font(size) if latin else _cjk_font(size)) for run, latin in _runs(text)
    )


def _write(
    draw: ImageDraw.ImageDraw, xy: tuple[int, int], text: str, *, size: int, fill: tuple[int, int, int]
) -> None:
    """``text`` at ``xy``, each run in a font that has its letters."""
    x, y = xy
    for run, latin in _runs(text):
        font = _font(size) if latin else _cjk_font(size)
        # The CJK face sits higher in its box than Pillow's: lower it to share the baseline.
        draw.text((x, y if latin else y + round(size * 0.08)), run, font=font, fill=fill)
        x += round(draw.textlength(run, font=font))


def _fit(draw: ImageDraw.ImageDraw, text: str, *, width: int, size: int) -> int:
    """The largest size up to ``size`` at which ``text`` fits in ``width`` pixels."""
    while size > 18 and _length(draw, text, size) > width:
        size -= 2
    return size


# The card's words in English and in the Chinese of the holder's home park: Traditional for the
# Hong Kong Park, Simplified for the Shenzhen Park.
CARD_WORDS: dict[str, dict[str, str]] = {
    "hk": {
        "title": "河套通關",
        "Home park": "所屬園區",
        "Registered until": "登記有效至",
        "Credential expires": "證件到期",
        "hk": "香港園區",
        "sz": "深圳園區",
        "instruction": "在自助機出示此二維碼，並望向鏡頭。",
    },
    "sz": {
        "title": "河套通关",
        "Home park": "所属园区",
        "Registered until": "登记有效至",
        "Credential expires": "证件到期",
        "hk": "香港园区",
        "sz": "深圳园区",
        "instruction": "在自助机出示此二维码，并望向镜头。",
    },
}
NAME_LINE_SMALLEST = 24
"""A name that does not fit one line at this size is wrapped (it never runs into the QR)."""
NAME_LINES = 3
NAME_WIDTH = 660 - 286
"""The text's room between the photo and the QR, in pixels."""


def _wrapped(draw: ImageDraw.ImageDraw, text: str, *, width: int, size: int) -> list[str]:
    """``text`` in lines of at most ``width`` at ``size``: broken between words, and a word too
    long for a line of its own anywhere in it."""
    lines: list[str] = []
    for word in text.split(" "):
        candidate = f"{lines[-1]} {word}" if lines else word
        if lines and _length(draw, candidate, size) <= width:
            lines[-1] = candidate
            continue
        while _length(draw, word, size) > width:
            cut = max([n for n in range(1, len(word)) if _length(draw, word[:n], size) <= width] or [1])
            lines.append(word[:cut])
            word = word[cut:]
        lines.append(word)
    return lines


def _name_lines(draw: ImageDraw.ImageDraw, name: str, *, width: int) -> tuple[list[str], int]:
    """The name on one line at the largest size up to 42 that fits ``width``; else wrapped onto
    at most three lines at the largest size from 30 down that holds it, the last cut short with
    an ellipsis when even the smallest does not."""
    size = _fit(draw, name, width=width, size=42)
    if _length(draw, name, size) <= width and size >= NAME_LINE_SMALLEST:
        return [name], size
    for size in range(30, 17, -2):
        lines = _wrapped(draw, name, width=width, size=size)
        if len(lines) <= NAME_LINES:
            return lines, size
    lines = lines[:NAME_LINES]
    while lines[-1] and _length(draw, lines[-1] + "…", size) > width:
        lines[-1] = lines[-1][:-1]
    lines[-1] += "…"
    return lines, size


def render_card(content: CardContent) -> Image.Image:
    card = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(card)
    words = CARD_WORDS["sz" if content.home_park == "sz" else "hk"]
    draw.rectangle((0, 0, WIDTH, 96), fill=BAND)
    _write(draw, (36, 20), f"HETAO CLEARANCE  {words['title']}", size=40, fill=(255, 255, 255))
    draw.text(
        (36, 66),
        "Hetao Shenzhen-Hong Kong Science and Technology Co-operation Zone",
        font=_font(18),
        fill="white",
    )

    photo_box = (36, 130, 36 + 220, 130 + 275)
    if content.photo_jpeg:
        photo = Image.open(io.BytesIO(content.photo_jpeg)).convert("RGB")
        photo.thumbnail((photo_box[2] - photo_box[0], photo_box[3] - photo_box[1]))
        card.paste(photo, (photo_box[0], photo_box[1]))
    else:
        draw.rectangle(photo_box, outline=MUTED, width=2)

    x = 286
    text_width = NAME_WIDTH
    lines_of_name, name_size = _name_lines(draw, content.full_name, width=text_width)
    for n, line in enumerate(lines_of_name):
        _write(draw, (x, 130 + n * (name_size + 4)), line, size=name_size, fill=INK)
    _write(
        draw,
        (x, max(190, 130 + len(lines_of_name) * (name_size + 4) + 6)),
        content.organisation,
        size=_fit(draw, content.organisation, width=text_width, size=26),
        fill=INK,
    )
    park = {"hk": "Hong Kong Park", "sz": "Shenzhen Park"}.get(content.home_park, content.home_park)
    lines = [
        ("Home park", f"{park}  {words.get(content.home_park, '')}".strip()),
        ("Registered until", content.valid_until.isoformat()),
        ("Credential expires", content.expires_at.astimezone(ZONE_TIME).date().isoformat()),
    ]
    y = 260
    for label, value in lines:
        _write(draw, (x, y), f"{label.upper()}  {words[label]}", size=17, fill=MUTED)
        _write(draw, (x, y + 20), value, size=_fit(draw, value, width=text_width, size=26), fill=INK)
        y += 64

    code = Image.open(io.BytesIO(qr.render_qr_png(content.qr_text, box_size=7))).convert("RGB")
    side = min(code.width, 330)
    code = code.resize((side, side), Image.Resampling.NEAREST)
    card.paste(code, (WIDTH - side - 20, 120))
    _write(draw, (36, HEIGHT - 74), words["instruction"], size=20, fill=MUTED)
    draw.text(
        (36, HEIGHT - 44), "Show this code at the kiosk and look at the camera.", font=_font(20), fill=MUTED
    )
    return card


def card_png(card: Image.Image) -> bytes:
    out = io.BytesIO()
    card.save(out, "PNG", dpi=(DPI, DPI))
    return out.getvalue()


def card_pdf(card: Image.Image, content: CardContent) -> bytes:
    """One page the size of the card, so it prints at 85.6 x 54 mm: the card as drawn, with its
    name and organisation also as (invisible) text, so the PDF can be searched and read back."""
    pdf = FPDF(unit="mm", format=(WIDTH * 25.4 / DPI, HEIGHT * 25.4 / DPI))
    pdf.set_auto_page_break(False)
    pdf.set_margin(0)
    pdf.add_page()
    pdf.image(card, x=0, y=0, w=pdf.w, h=pdf.h)
    pdf.add_font("cjk", fname=str(CJK_FONT))
    pdf.text_mode = TextMode.INVISIBLE
    mm = 25.4 / DPI
    for text, top, size in ((content.full_name, 130, 42), (content.organisation, 190, 26)):
        x = 286 * mm
        for run, latin in _runs(text):
            # The PDF's own Helvetica holds Latin-1; Chinese characters come from the embedded font.
            shown = run.encode("latin-1", "replace").decode("latin-1") if latin else run
            pdf.set_font("helvetica" if latin else "cjk", size=size * 72 / DPI)
            pdf.text(x, (top + size) * mm, shown)
            x += pdf.get_string_width(shown)
    return bytes(pdf.output())


def card_content(credential: Credential, *, data_key: vault.DataKey) -> CardContent:
    """What goes on the card of ``credential``: a static credential that is not revoked."""
    if credential.kind is CredentialKind.DYNAMIC:
        raise InvalidInput("a dynamic credential is shown by the commuter's phone: print a static one")
    if credential.revoked_at is not None:
        raise InvalidTransition("this credential is revoked: issue a new one to print")
    commuter = credential.commuter
    return CardContent(
        full_name=commuter.display_name,
        organisation=commuter.organisation.name,
        home_park=commuter.home_park.value,
        valid_until=commuter.valid_until,
        expires_at=credential.expires_at,
        photo_jpeg=biometrics.open_reference_photo(data_key, commuter.template)
        if commuter.template
        else None,
        qr_text=credential.payload,
    )


def print_card(
    session: Session, *, credential: Credential, fmt: str, data_key: vault.DataKey, actor: Actor
) -> bytes:
    """The card of ``credential`` as ``png`` or ``pdf`` bytes; printing it is audited."""
    content = card_content(credential, data_key=data_key)
    card = render_card(content)
    audit.record_event(
        session,
        actor=actor,
        action=AuditAction.PRINT_CARD,
        object_type="commuter",
        object_id=credential.commuter_id,
        purpose="card_printing",
        detail=words("credential {id} as {format}", id=credential.id, format=fmt),
    )
    return card_pdf(card, content) if fmt == "pdf" else card_png(card)

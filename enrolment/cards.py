"""A printable credential card: ISO/IEC 7810 ID-1 (85.60 x 53.98 mm), at 300 dpi.

The card carries the commuter's name, organisation, a thumbnail of the reference photo for the
officer's eye, the dates, and the static credential's QR code, large enough for a kiosk camera
at arm's length (about 7 px a module at 300 dpi, 0.6 mm printed).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime

from PIL import Image, ImageDraw, ImageFont
from sqlalchemy.orm import Session

from clearance.audit import service as audit
from clearance.core import vault
from clearance.core.enums import CredentialKind
from clearance.core.errors import InvalidInput, InvalidTransition
from clearance.core.zone import ZONE_TIME
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


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    # Pillow's bundled scalable font: nothing to install, nothing fetched. It covers Latin
    # script only; names in other scripts need a CJK font installed with the server.
    return ImageFont.load_default(size=size)


def _fit(
    draw: ImageDraw.ImageDraw, text: str, *, width: int, size: int
) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """The largest font up to ``size`` at which ``text`` fits in ``width`` pixels."""
    while size > 18:
        font = _font(size)
        if draw.textlength(text, font=font) <= width:
            return font
        size -= 2
    return _font(size)


def render_card(content: CardContent) -> Image.Image:
    card = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(card)
    draw.rectangle((0, 0, WIDTH, 96), fill=BAND)
    draw.text((36, 20), "HETAO CLEARANCE", font=_font(40), fill="white")
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
    text_width = 660 - x
    draw.text(
        (x, 130), content.full_name, font=_fit(draw, content.full_name, width=text_width, size=42), fill=INK
    )
    draw.text(
        (x, 190),
        content.organisation,
        font=_fit(draw, content.organisation, width=text_width, size=26),
        fill=INK,
    )
    park = {"hk": "Hong Kong Park", "sz": "Shenzhen Park"}.get(content.home_park, content.home_park)
    lines = [
        ("Home park", park),
        ("Registered until", content.valid_until.isoformat()),
        ("Credential expires", content.expires_at.astimezone(ZONE_TIME).date().isoformat()),
    ]
    y = 260
    for label, value in lines:
        draw.text((x, y), label.upper(), font=_font(17), fill=MUTED)
        draw.text((x, y + 20), value, font=_font(26), fill=INK)
        y += 64

    code = Image.open(io.BytesIO(qr.render_qr_png(content.qr_text, box_size=7))).convert("RGB")
    side = min(code.width, 330)
    code = code.resize((side, side), Image.Resampling.NEAREST)
    card.paste(code, (WIDTH - side - 20, 120))
    draw.text(
        (36, HEIGHT - 44), "Show this code at the kiosk and look at the camera.", font=_font(20), fill=MUTED
    )
    return card


def card_png(card: Image.Image) -> bytes:
    out = io.BytesIO()
    card.save(out, "PNG", dpi=(DPI, DPI))
    return out.getvalue()


def card_pdf(card: Image.Image) -> bytes:
    """One page the size of the card, so it prints at 85.6 x 54 mm."""
    out = io.BytesIO()
    card.save(out, "PDF", resolution=DPI)
    return out.getvalue()


def card_content(credential: Credential, *, data_key: vault.DataKey) -> CardContent:
    """What goes on the card of ``credential``: a static credential that is not revoked."""
    if credential.kind is CredentialKind.DYNAMIC:
        raise InvalidInput("a dynamic credential is shown by the commuter's phone: print a static one")
    if credential.revoked_at is not None:
        raise InvalidTransition("this credential is revoked: issue a new one to print")
    commuter = credential.commuter
    return CardContent(
        full_name=commuter.full_name,
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
    session: Session, *, credential: Credential, fmt: str, data_key: vault.DataKey, actor: audit.Actor
) -> bytes:
    """The card of ``credential`` as ``png`` or ``pdf`` bytes; printing it is audited."""
    card = render_card(card_content(credential, data_key=data_key))
    audit.record_event(
        session,
        actor=actor,
        action="print_card",
        object_type="commuter",
        object_id=credential.commuter_id,
        purpose="card_printing",
        detail=f"credential {credential.id} as {fmt}",
    )
    return card_pdf(card) if fmt == "pdf" else card_png(card)

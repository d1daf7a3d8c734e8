"""QR codes: decoding from camera frames (zxing-cpp) and rendering credentials (qrcode)."""

from __future__ import annotations

import io

import cv2
import qrcode
import qrcode.constants
import zxingcpp

from clearance.core import credentials
from clearance.vision.images import RGBImage


def decode_qr_texts(image: RGBImage) -> list[str]:
    """The texts of every QR code zxing-cpp finds in ``image``, in the order found.

    Decoding runs on the grey image: zxing binarises anyway, and it saves a colour conversion.
    """
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    results = zxingcpp.read_barcodes(grey, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode))
    return [result.text for result in results if result.valid and result.text]


def choose_qr_text(texts: list[str]) -> str | None:
    """Of the QR codes in a frame, ours if there is one, else whatever was shown."""
    for text in texts:
        if text.startswith((credentials.PREFIX, credentials.DYNAMIC_PREFIX)):
            return text
    return texts[0] if texts else None


def render_qr_png(text: str, *, box_size: int = 8) -> bytes:
    """A PNG of ``text`` as a QR code at error correction M, with the standard 4-module margin."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=box_size, border=4)
    code.add_data(text, optimize=0)
    code.make(fit=True)
    out = io.BytesIO()
    code.make_image().save(out)
    return out.getvalue()


def qr_version(text: str) -> int:
    """The smallest QR version that holds ``text`` at error correction M."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(text, optimize=0)
    code.make(fit=True)
    return int(code.version)

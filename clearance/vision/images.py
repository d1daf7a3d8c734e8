"""Image bytes in and out: decoding uploads and frames into RGB arrays, shrinking, JPEG encoding.

Images are RGB ``uint8`` arrays of shape (height, width, 3).

Only the formats a camera or a phone produces are opened (JPEG and PNG for uploads): Pillow knows
dozens more, and some of them (EPS runs Ghostscript, a separate program) are not for strangers'
bytes.
"""

from __future__ import annotations

import io
import warnings

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageOps, UnidentifiedImageError

from clearance.core.errors import InvalidImage, PayloadTooLarge
from clearance.core.messages import Message

RGBImage = NDArray[np.uint8]

UPLOAD_FORMATS = ("JPEG", "PNG")
"""What staff, kiosks and imports may upload."""
FRAME_FORMATS = ("JPEG", "PNG", "BMP", "WEBP")
"""What a kiosk reads from a folder of frames on its own disk."""


class ImageRejected(ValueError):
    """The bytes are not an image we can use; ``too_large`` means over the pixel limit."""

    def __init__(self, detail: Message, *, too_large: bool = False) -> None:
        super().__init__(str(detail))
        self.message = detail
        self.too_large = too_large


def decode_image(data: bytes, *, max_pixels: int, formats: tuple[str, ...] = UPLOAD_FORMATS) -> RGBImage:
    """Decode image bytes in one of ``formats`` into an upright RGB array.

    Raises ImageRejected for anything that is not a complete image in one of those formats, and
    (with ``too_large``) for one over ``max_pixels``, checked from the header before any pixel is
    decoded.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image: Image.Image = Image.open(io.BytesIO(data), formats=list(formats))
            width, height = image.size
            if width * height > max_pixels:
                raise ImageRejected(
                    Message(
                        "image is {width}x{height} pixels; at most {most:,} are accepted",
                        width=width,
                        height=height,
                        most=max_pixels,
                    ),
                    too_large=True,
                )
            image.load()
            image = ImageOps.exif_transpose(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        refused = Message("image refused as a decompression bomb: {exc}", exc=exc)
        raise ImageRejected(refused, too_large=True) from None
    except UnidentifiedImageError:
        accepted = ", ".join(formats)
        raise ImageRejected(
            Message("file is not an image in an accepted format ({formats})", formats=accepted)
        ) from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageRejected(Message("image could not be decoded: {exc}", exc=exc)) from None
    return np.asarray(image.convert("RGB"), dtype=np.uint8)


def load_upload(data: bytes, *, max_pixels: int) -> RGBImage:
    """Decode an uploaded photo or frame: 413 (PayloadTooLarge) over the pixel limit, 422
    (InvalidImage) for anything that is not a JPEG or PNG image."""
    try:
        return decode_image(data, max_pixels=max_pixels)
    except ImageRejected as exc:
        if exc.too_large:
            raise PayloadTooLarge(exc.message) from None
        raise InvalidImage(exc.message) from None


def encode_jpeg(image: RGBImage, *, max_side: int | None = None, quality: int = 85) -> bytes:
    """A JPEG of ``image``, shrunk first so its longest side is at most ``max_side`` pixels."""
    shrunk = shrink(image, max_side=max_side)[0] if max_side else image
    out = io.BytesIO()
    Image.fromarray(shrunk).save(out, format="JPEG", quality=quality)
    return out.getvalue()


def face_crop(image: RGBImage, box: tuple[int, int, int, int], *, context: float = 2.2) -> RGBImage:
    """A square around the face box ``(top, right, bottom, left)``, ``context`` times its height a
    side (the face with hair, ears and chin around it), clipped to the image."""
    top, right, bottom, left = box
    side = round((bottom - top) * context)
    centre_y, centre_x = (top + bottom) // 2, (left + right) // 2
    height, width = image.shape[:2]
    y0, x0 = max(0, centre_y - side // 2), max(0, centre_x - side // 2)
    return image[y0 : min(height, y0 + side), x0 : min(width, x0 + side)]


def shrink(image: RGBImage, *, max_side: int) -> tuple[RGBImage, float]:
    """A copy whose longest side is at most ``max_side``, and the scale applied (<= 1)."""
    height, width = image.shape[:2]
    scale = min(1.0, max_side / max(height, width))
    if scale == 1.0:
        return image, 1.0
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    resized = np.asarray(cv2.resize(image, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)
    return resized, scale

"""From an enrolment photo to a face template, or a precise reason why not."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from clearance import faces
from clearance.errors import FaceCheckFailed, InvalidImage, PayloadTooLarge
from clearance.settings import Settings

# Enrolment photos are detected at up to this size: large enough to find an 80 px face in a
# 4000 px phone photo (it is 20 px at 1000), small enough to take ~0.2 s on one core.
ENROLMENT_DETECTION_SIDE = 1000


@dataclass(frozen=True)
class Template:
    encoding: faces.Encoding
    quality: faces.FaceQuality
    reference_jpeg: bytes

    def quality_report(self) -> dict[str, Any]:
        return {key: round(value, 3) for key, value in asdict(self.quality).items()}


def load_photo(data: bytes, *, settings: Settings) -> faces.RGBImage:
    """Decode uploaded bytes; 413 over the pixel limit, 422 for anything that is not an image."""
    try:
        return faces.decode_image(data, max_pixels=settings.max_image_pixels)
    except faces.ImageRejected as exc:
        if exc.too_large:
            raise PayloadTooLarge(str(exc)) from None
        raise InvalidImage(str(exc)) from None


def make_template(image: faces.RGBImage, *, settings: Settings) -> Template:
    """The face template of an enrolment photo.

    Raises FaceCheckFailed with ``check`` set to ``no_face``, ``several_faces``,
    ``face_too_small``, ``face_blurred`` or ``face_badly_exposed``.
    """
    boxes = faces.detect_faces(image, max_side=ENROLMENT_DETECTION_SIDE)
    if not boxes:
        raise FaceCheckFailed(
            "no face was found in the photo: the face must be fully visible, facing the camera",
            check="no_face",
        )
    if len(boxes) > 1:
        raise FaceCheckFailed(
            f"{len(boxes)} faces were found: the photo must show the commuter alone",
            check="several_faces",
        )
    (box,) = boxes
    quality = faces.measure_quality(image, box)
    failures = faces.quality_failures(quality, faces.QualityLimits.for_enrolment(settings))
    if failures:
        check, advice = failures[0]
        raise FaceCheckFailed(
            f"the photo cannot be used: {advice}",
            check=check,
            failed=[code for code, _ in failures],
        )
    return Template(
        encoding=faces.encode_face(image, box),
        quality=quality,
        reference_jpeg=faces.encode_jpeg(image, max_side=settings.reference_photo_px, quality=80),
    )

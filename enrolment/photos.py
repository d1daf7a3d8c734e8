"""From an enrolment photo to a face template, or a precise reason why not."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from clearance.core.errors import FaceCheckFailed, HetaoError, InvalidInput
from clearance.core.messages import Message
from clearance.core.metrics import Metrics
from clearance.core.settings import Settings
from clearance.vision import faces, images
from clearance.vision.stack import face_stack

BYSTANDER_SHARE = 0.5
"""A face less than this share of the largest face's height is a bystander, not a second subject."""
REFERENCE_SIDE = 400
"""The reference photo is the face with context around it, at most this many pixels a side: large
enough to compare with the person, and to make a template from again."""


@dataclass(frozen=True)
class Template:
    """One enrolment photo that passed the gate: its encoding, its quality, its reference crop."""

    encoding: faces.Encoding
    quality: faces.FaceQuality
    reference_jpeg: bytes
    model: str
    """The face model that made ``encoding``."""
    liveness: float | None = None
    """The liveness check's score, or None where it was not judged (an ID-style crop)."""

    def quality_report(self) -> dict[str, Any]:
        """The photo's measures as the template keeps them (``liveness`` None: not judged)."""
        measured: dict[str, Any] = {key: round(value, 3) for key, value in asdict(self.quality).items()}
        return {**measured, "liveness": None if self.liveness is None else round(self.liveness, 3)}


def make_template(image: images.RGBImage, *, settings: Settings) -> Template:
    """The face template of an enrolment photo.

    Raises FaceCheckFailed with ``check`` set to ``no_face``, ``several_faces``,
    ``face_too_small``, ``face_blurred``, ``face_badly_exposed`` or ``presentation_attack`` (a
    photo of a photo or of a screen: ``clearance.vision.liveness``). A crop too tight for the
    liveness check (an ID-style photo) is accepted unjudged (``Template.liveness`` None).
    """
    stack = face_stack(settings)
    boxes = stack.detector.detect(image, max_side=faces.ENROLMENT_DETECTION_SIDE)
    if not boxes:
        raise FaceCheckFailed(
            "no face was found in the photo: the face must be fully visible, facing the camera",
            check="no_face",
        )
    # A bystander much smaller than the commuter (in the background, out of focus) is not a
    # second subject: only faces at least half as tall as the largest count.
    boxes = [b for b in boxes if b[2] - b[0] >= BYSTANDER_SHARE * (boxes[0][2] - boxes[0][0])]
    if len(boxes) > 1:
        raise FaceCheckFailed(
            Message("{count} faces were found: the photo must show the commuter alone", count=len(boxes)),
            check="several_faces",
        )
    (box,) = boxes
    quality = faces.measure_quality(image, box)
    failures = faces.quality_failures(quality, faces.QualityLimits.for_enrolment(settings))
    if failures:
        check, advice = failures[0]
        raise FaceCheckFailed(
            Message("the photo cannot be used: {advice}", advice=advice),
            check=check.value,
            failed=[code.value for code, _ in failures],
        )
    share = quality.face_px / image.shape[0]
    reference = images.encode_jpeg(images.face_crop(image, box), max_side=REFERENCE_SIDE, quality=85)
    if share > settings.enrolment_max_face_share:
        # An ID-style crop: too little around the face for the liveness check to judge. It is
        # accepted unjudged, and the approving officer is told to look (issue 23).
        return Template(
            model=stack.model.name,
            encoding=stack.model.encode(image, box),
            quality=quality,
            reference_jpeg=reference,
        )
    live = stack.liveness.score(image, box)
    if live < settings.enrolment_liveness_threshold:
        raise FaceCheckFailed(
            Message(
                "the photo looks like a picture of a photo or of a screen, not of the person: take "
                "the photo of the commuter themselves (liveness {live:.2f}, at least {needed:.2f} "
                "needed)",
                live=live,
                needed=settings.enrolment_liveness_threshold,
            ),
            check="presentation_attack",
        )
    return Template(
        model=stack.model.name,
        encoding=stack.model.encode(image, box),
        quality=quality,
        reference_jpeg=reference,
        liveness=live,
    )


def template_from_upload(photo: bytes, *, settings: Settings, metrics: Metrics) -> Template:
    """Decode an uploaded photo and make its template; a refused photo is counted in
    ``metrics`` by the check it failed, and raised (PayloadTooLarge, InvalidImage or
    FaceCheckFailed)."""
    try:
        return make_template(
            images.load_upload(photo, max_pixels=settings.max_image_pixels), settings=settings
        )
    except HetaoError as exc:
        metrics.enrolments.labels(outcome=str(exc.extra.get("check", exc.name))).inc()
        raise


def templates_from_uploads(photos: list[bytes], *, settings: Settings, metrics: Metrics) -> list[Template]:
    """Every uploaded photo through the gate (at least one, at most ``max_enrolment_photos``);
    a refused one is raised saying which it was (``photo``: its position, from 1)."""
    if not photos:
        raise InvalidInput("send at least one photo of the commuter", field="photo")
    if len(photos) > settings.max_enrolment_photos:
        raise InvalidInput(
            Message(
                "send at most {most} photos",
                most=settings.max_enrolment_photos,
            ),
            field="photo",
        )
    made = []
    for position, photo in enumerate(photos, 1):
        try:
            made.append(template_from_upload(photo, settings=settings, metrics=metrics))
        except HetaoError as exc:
            if len(photos) > 1:
                exc.message = Message(
                    "photo {position} of {count}: {problem}",
                    position=position,
                    count=len(photos),
                    problem=exc.message,
                )
                exc.detail = str(exc.message)
                exc.args = (exc.detail,)
            exc.extra["photo"] = position
            raise
    return made

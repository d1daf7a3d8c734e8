"""The vision functions on real photographs (tests/data and the bundled samples), with the default
stack (Intel's SSD detector and face network) and, where both are offered, dlib's."""

import io
import struct
import zlib

import cv2
import numpy as np
import pytest
from PIL import Image

from clearance.cli.samples import IMPOSTOR_PHOTO, SAMPLE_COMMUTERS
from clearance.core.settings import Settings
from clearance.vision import detection, faces, images
from clearance.vision.stack import face_stack
from kiosk.frames import load_photo_file
from tests.support import DATA

LIMITS = faces.QualityLimits.for_enrolment(Settings())
DETECTORS = {name: detection.detector(name) for name in detection.NAMES}
DETECTOR = DETECTORS[Settings().face_detector]


def quality_of(image: images.RGBImage) -> faces.FaceQuality:
    (box,) = DETECTOR.detect(image, max_side=1000)
    return faces.measure_quality(image, box)


def failed_checks(image: images.RGBImage) -> list[str]:
    return [code for code, _ in faces.quality_failures(quality_of(image), LIMITS)]


@pytest.mark.parametrize("sample", SAMPLE_COMMUTERS, ids=lambda s: s.label)
def test_enrolment_photos_pass_every_check(sample: object) -> None:
    image = load_photo_file(sample.enrolment_photo)  # type: ignore[attr-defined]
    assert failed_checks(image) == []


@pytest.mark.parametrize("model", ["intel", "dlib"])
@pytest.mark.parametrize("detector", detection.NAMES)
def test_same_person_is_close_and_another_is_far(model: str, detector: str) -> None:
    settings = Settings(face_model=model, face_detector=detector)
    stack = face_stack(settings)
    for sample in SAMPLE_COMMUTERS:
        encodings = []
        for path in (sample.enrolment_photo, sample.live_photo, IMPOSTOR_PHOTO):
            image = load_photo_file(path)
            (box,) = stack.detector.detect(image, max_side=1000)
            encodings.append(stack.model.encode(image, box))
        same = faces.template_distance(encodings[0], encodings[1])
        other = faces.template_distance(encodings[0], encodings[2])
        assert same < settings.match_threshold < settings.refer_threshold < other, (sample.label, same, other)
    assert all(abs(float(np.linalg.norm(e)) - 1) < 1e-5 for e in encodings)  # unit vectors
    assert (
        faces.template_distance(
            encodings[0],
            faces.encoding_from_bytes(faces.encoding_to_bytes(encodings[0]), size=len(encodings[0])),
        )
        < 1e-3  # sqrt(2 - 2 cos): a rounding in the cosine shows as about 1e-4
    )


def test_small_face_fails_the_size_check() -> None:
    assert failed_checks(load_photo_file(DATA / "low_resolution_1.jpg")) == ["face_too_small"]


def test_blurred_face_fails_the_sharpness_check() -> None:
    image = load_photo_file(SAMPLE_COMMUTERS[0].enrolment_photo)
    blurred = cv2.GaussianBlur(image, (0, 0), sigmaX=6)
    assert "face_blurred" in failed_checks(blurred)


def test_dark_face_fails_the_exposure_check() -> None:
    image = load_photo_file(SAMPLE_COMMUTERS[0].enrolment_photo)
    dark = (image.astype(np.float32) * 0.2).astype(np.uint8)
    # Exposure is named first: it is the cause, and the advice must be about light.
    assert failed_checks(dark)[0] == "face_badly_exposed"


@pytest.mark.parametrize("detector", detection.NAMES)
def test_no_face_and_two_faces_are_counted(detector: str) -> None:
    found = DETECTORS[detector]
    assert found.detect(load_photo_file(DATA / "no_face_3.jpg"), max_side=1000) == []
    assert len(found.detect(load_photo_file(DATA / "multi_face_4.jpg"), max_side=1000)) == 2


@pytest.mark.parametrize("detector", detection.NAMES)
def test_boxes_are_in_full_resolution_pixels(detector: str) -> None:
    image = load_photo_file(SAMPLE_COMMUTERS[0].enrolment_photo)
    (full,) = DETECTORS[detector].detect(image, max_side=max(image.shape[:2]))
    (small,) = DETECTORS[detector].detect(image, max_side=400)
    assert all(abs(a - b) <= 0.15 * (full[2] - full[0]) for a, b in zip(full, small, strict=True))


def test_boxes_mean_the_same_whichever_detector_found_them() -> None:
    # What is measured on a box (the smallest face, a face too close, the liveness crop) was set
    # on HOG's boxes: the SSD's of the same face come out within a fifth of their height.
    for sample in SAMPLE_COMMUTERS:
        image = load_photo_file(sample.enrolment_photo)
        (hog,) = DETECTORS["hog"].detect(image, max_side=1000)
        (ssd,) = DETECTORS["ssd"].detect(image, max_side=1000)
        height = hog[2] - hog[0]
        assert all(abs(a - b) <= 0.2 * height for a, b in zip(hog, ssd, strict=True)), (hog, ssd)


def png_bomb(width: int, height: int) -> bytes:
    """A valid PNG header claiming ``width`` x ``height`` grey pixels, with a tiny body."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    row = b"\x00" + b"\x00" * width
    body = zlib.compress(row * 16, 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def test_image_over_the_pixel_limit_is_refused_before_decoding() -> None:
    bomb = png_bomb(30_000, 30_000)
    assert len(bomb) < 10_000
    with pytest.raises(images.ImageRejected) as caught:
        images.decode_image(bomb, max_pixels=40_000_000)
    assert caught.value.too_large


@pytest.mark.parametrize(
    "data",
    [b"", b"not an image at all", b"%PDF-1.4\n", SAMPLE_COMMUTERS[0].enrolment_photo.read_bytes()[:5000]],
    ids=["empty", "text", "pdf", "truncated-jpeg"],
)
def test_broken_images_are_refused(data: bytes) -> None:
    with pytest.raises(images.ImageRejected) as caught:
        images.decode_image(data, max_pixels=40_000_000)
    assert not caught.value.too_large


def test_exif_orientation_is_applied() -> None:
    image = Image.new("RGB", (40, 20), "white")
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    assert images.decode_image(out.getvalue(), max_pixels=1000).shape == (40, 20, 3)


@pytest.mark.parametrize("model", ["intel", "dlib"])
def test_detection_and_encoding_give_the_same_answers_from_many_threads(model: str) -> None:
    # Servers and kiosks run face work in threads; dlib's shared detector once returned hundreds
    # of phantom faces under concurrent calls, and its shared encoder crashed the process; each
    # network has an inference request per thread.
    from concurrent.futures import ThreadPoolExecutor

    stack = face_stack(Settings(face_model=model, face_detector="hog" if model == "dlib" else "ssd"))
    images = [load_photo_file(sample.enrolment_photo) for sample in SAMPLE_COMMUTERS]
    expected = [stack.detector.detect(image, max_side=1000) for image in images]
    encodings = [stack.model.encode(image, boxes[0]) for image, boxes in zip(images, expected, strict=True)]

    def work(n: int) -> tuple[int, list[faces.Box], float]:
        image = images[n % len(images)]
        boxes = stack.detector.detect(image, max_side=1000)
        return (
            n % len(images),
            boxes,
            faces.template_distance(stack.model.encode(image, boxes[0]), encodings[n % 3]),
        )

    with ThreadPoolExecutor(3) as pool:
        for index, boxes, distance in pool.map(work, range(24)):
            assert boxes == expected[index]
            assert distance < 1e-3

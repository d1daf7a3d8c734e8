"""The vision functions on real photographs (tests/data and the bundled samples)."""

import io
import struct
import zlib

import cv2
import numpy as np
import pytest
from PIL import Image

from clearance.cli.samples import IMPOSTOR_PHOTO, SAMPLE_COMMUTERS
from clearance.core.settings import Settings
from clearance.vision import faces, images
from kiosk.frames import load_photo_file
from tests.support import DATA

LIMITS = faces.QualityLimits.for_enrolment(Settings())


def quality_of(image: images.RGBImage) -> faces.FaceQuality:
    (box,) = faces.detect_faces(image, max_side=1000)
    return faces.measure_quality(image, box)


def failed_checks(image: images.RGBImage) -> list[str]:
    return [code for code, _ in faces.quality_failures(quality_of(image), LIMITS)]


@pytest.mark.parametrize("sample", SAMPLE_COMMUTERS, ids=lambda s: s.label)
def test_enrolment_photos_pass_every_check(sample: object) -> None:
    image = load_photo_file(sample.enrolment_photo)  # type: ignore[attr-defined]
    assert failed_checks(image) == []


def test_same_person_is_close_and_another_is_far() -> None:
    a = SAMPLE_COMMUTERS[0]
    encodings = []
    for path in (a.enrolment_photo, a.live_photo, IMPOSTOR_PHOTO):
        image = load_photo_file(path)
        (box,) = faces.detect_faces(image, max_side=1000)
        encodings.append(faces.encode_face(image, box))
    same = faces.template_distance(encodings[0], encodings[1])
    other = faces.template_distance(encodings[0], encodings[2])
    settings = Settings()
    assert same < settings.match_threshold < settings.refer_threshold < other
    assert all(abs(float(np.linalg.norm(e)) - 1) < 1e-5 for e in encodings)  # unit vectors
    assert (
        faces.template_distance(
            encodings[0], faces.encoding_from_bytes(faces.encoding_to_bytes(encodings[0]))
        )
        < 1e-6
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


def test_no_face_and_two_faces_are_counted() -> None:
    assert faces.detect_faces(load_photo_file(DATA / "no_face_3.jpg"), max_side=1000) == []
    assert len(faces.detect_faces(load_photo_file(DATA / "multi_face_4.jpg"), max_side=1000)) == 2


def test_boxes_are_in_full_resolution_pixels() -> None:
    image = load_photo_file(SAMPLE_COMMUTERS[0].enrolment_photo)
    (full,) = faces.detect_faces(image, max_side=max(image.shape[:2]))
    (small,) = faces.detect_faces(image, max_side=400)
    assert all(abs(a - b) <= 0.15 * (full[2] - full[0]) for a, b in zip(full, small, strict=True))


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


def test_detection_and_encoding_give_the_same_answers_from_many_threads() -> None:
    # Servers and kiosks run face work in threads; dlib's shared detector once returned hundreds
    # of phantom faces under concurrent calls, and its shared encoder crashed the process.
    from concurrent.futures import ThreadPoolExecutor

    images = [load_photo_file(sample.enrolment_photo) for sample in SAMPLE_COMMUTERS]
    expected = [faces.detect_faces(image, max_side=1000) for image in images]
    encodings = [faces.encode_face(image, boxes[0]) for image, boxes in zip(images, expected, strict=True)]

    def work(n: int) -> tuple[int, list[faces.Box], float]:
        image = images[n % len(images)]
        boxes = faces.detect_faces(image, max_side=1000)
        return (
            n % len(images),
            boxes,
            faces.template_distance(faces.encode_face(image, boxes[0]), encodings[n % 3]),
        )

    with ThreadPoolExecutor(3) as pool:
        for index, boxes, distance in pool.map(work, range(24)):
            assert boxes == expected[index]
            assert distance < 1e-5

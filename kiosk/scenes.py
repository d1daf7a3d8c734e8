"""What a kiosk camera sees, made from still photos: a person in front of it, or an attacker
holding up a picture of someone.

- ``person``: the photo *is* the camera frame. It is cropped to the camera's shape around the
  face (never shrunk onto a flat background: a liveness detector judges the surroundings), and
  the QR card is pasted low at the side, where a hand holds it.
- ``attack``: the same photo re-presented, as a phone screen (black bezel, backlight glare,
  the screen's pixel grid beating with the camera's, a cooler colour), as a print (paper tint,
  duller contrast, grain, a white paper border) held up in front of the attacker, or as a print
  held so close that it fills the frame and no edge shows.

Every picture is drawn from a seed, so a benchmark or a test is repeatable. These are
simulations: they show what the detector does with the cues they draw, not what a real phone
or printer in front of a real kiosk camera looks like (README, "A live person, not a picture").
"""

from __future__ import annotations

from enum import StrEnum

import cv2
import numpy as np

from clearance.vision import detection, faces, images, qr

FRAME_SIZE = (640, 480)
"""(width, height) of a VGA kiosk camera."""
GREY = 96


SCENE_DETECTOR = detection.detector("hog")
"""Finds the faces of a photo, to frame the person and hold the card beside them: dlib's HOG, on
which these scenes were made and the liveness thresholds calibrated, so that a simulated camera
frames a person the same way whichever detector the product runs."""


class Attack(StrEnum):
    PHONE = "phone"
    """The photo on a phone screen held up to the camera."""
    PRINT = "print"
    """The photo printed on paper, held up with its border in view."""
    CLOSE_PRINT = "close_print"
    """A print held so close to the camera that it fills the frame: no edge shows."""


def largest_face(photo: images.RGBImage) -> faces.Box | None:
    boxes = SCENE_DETECTOR.detect(photo, max_side=faces.ENROLMENT_DETECTION_SIDE)
    return boxes[0] if boxes else None


def _centre(box: faces.Box | None, photo: images.RGBImage) -> tuple[float, float]:
    if box is None:
        return photo.shape[1] / 2, photo.shape[0] / 2
    top, right, bottom, left = box
    return (left + right) / 2, (top + bottom) / 2


def camera_view(
    photo: images.RGBImage,
    *,
    box: faces.Box | None = None,
    size: tuple[int, int] = FRAME_SIZE,
    zoom: float = 1.0,
) -> images.RGBImage:
    """``photo`` as a camera of ``size`` would frame it: the largest crop of the camera's shape
    (divided by ``zoom``) around the face in ``box``, resized to fill the frame. Edges beyond
    the photo are filled by repeating its border, as a wider shot would continue."""
    width, height = size
    aspect = width / height
    photo_h, photo_w = photo.shape[:2]
    crop_w = min(photo_w, photo_h * aspect) / zoom
    crop_h = crop_w / aspect
    cx, cy = _centre(box, photo)
    x0 = round(cx - crop_w / 2)
    y0 = round(cy - crop_h / 2)
    pad = max(0, -x0, -y0, x0 + int(crop_w) - photo_w, y0 + int(crop_h) - photo_h)
    padded = cv2.copyMakeBorder(photo, pad, pad, pad, pad, cv2.BORDER_REPLICATE) if pad else photo
    crop = padded[y0 + pad : y0 + pad + int(crop_h), x0 + pad : x0 + pad + int(crop_w)]
    interpolation = cv2.INTER_AREA if crop.shape[1] > width else cv2.INTER_CUBIC
    resized = np.asarray(cv2.resize(crop, (width, height), interpolation=interpolation), dtype=np.uint8)
    return resized


def paste_card(
    frame: images.RGBImage,
    qr_text: str,
    *,
    faces_in_frame: list[faces.Box],
    side: int = 190,
    tilt: float = 4.0,
) -> images.RGBImage:
    """``frame`` with a white card bearing the QR of ``qr_text``, held low in the corner that
    hides least of the faces in ``faces_in_frame``, turned by ``tilt`` degrees."""
    rendered = images.decode_image(qr.render_qr_png(qr_text, box_size=4), max_pixels=10_000_000)
    code = cv2.resize(rendered, (side, side), interpolation=cv2.INTER_NEAREST)
    margin = side // 12
    card = np.full((side + 2 * margin, side + 2 * margin, 3), 245, dtype=np.uint8)
    card[margin : margin + side, margin : margin + side] = code
    card_side = card.shape[0]
    height, width = frame.shape[:2]
    top = height - card_side - 12

    def hidden(left: int) -> int:
        return sum(
            max(0, min(right, left + card_side) - max(face_left, left))
            * max(0, min(bottom, top + card_side) - max(face_top, top))
            for face_top, right, bottom, face_left in faces_in_frame
        )

    left = min((12, width - card_side - 12), key=hidden)
    matrix = cv2.getRotationMatrix2D((card_side / 2, card_side / 2), tilt, 1.0)
    turned = cv2.warpAffine(card, matrix, (card_side, card_side), borderValue=(0, 0, 0))
    mask = cv2.warpAffine(
        np.full((card_side, card_side), 255, dtype=np.uint8), matrix, (card_side, card_side)
    )
    out = frame.copy()
    region = out[top : top + card_side, left : left + card_side]
    region[mask > 127] = turned[mask > 127]
    return out


def _shot(frame: images.RGBImage, qr_text: str | None, rng: np.random.Generator) -> images.RGBImage:
    """``frame`` as the camera takes it: the card of ``qr_text`` (None: none) held low beside the
    faces in view, then the sensor's noise."""
    if qr_text is not None:
        found = SCENE_DETECTOR.detect(frame, max_side=320)
        frame = paste_card(frame, qr_text, faces_in_frame=found, tilt=rng.uniform(-6, 6))
    return _camera(frame, rng)


def _camera(frame: images.RGBImage, rng: np.random.Generator) -> images.RGBImage:
    """The camera's own sensor noise."""
    noise = rng.normal(0.0, 2.0, frame.shape)
    return np.clip(frame.astype(np.float32) + noise, 0, 255).astype(np.uint8)


def _backdrop(rng: np.random.Generator, size: tuple[int, int]) -> images.RGBImage:
    """A room behind the attacker, out of focus: soft gradients and shapes, no face."""
    width, height = size
    base = rng.uniform(60, 190, 3)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    gradient = (x / width - 0.5) * rng.uniform(-60, 60) + (y / height - 0.5) * rng.uniform(-60, 60)
    room = np.clip(base[None, None, :] + gradient[..., None], 0, 255).astype(np.uint8)
    for _ in range(6):
        colour = tuple(int(c) for c in rng.uniform(30, 230, 3))
        x0, y0 = int(rng.uniform(0, width)), int(rng.uniform(0, height))
        cv2.rectangle(
            room, (x0, y0), (x0 + int(rng.uniform(40, 260)), y0 + int(rng.uniform(40, 260))), colour, -1
        )
    blurred: images.RGBImage = cv2.GaussianBlur(room, (0, 0), 9)
    return blurred


def _screen(photo: images.RGBImage, rng: np.random.Generator) -> images.RGBImage:
    """``photo`` as a phone screen shows it to a camera: resampled to the screen, cooler and
    brighter (backlight), the pixel grid beating with the camera's, a glare band, a black bezel."""
    screen_h = 600
    screen_w = int(screen_h * 9 / 16) + 2 * 4
    view = camera_view(photo, size=(screen_w, screen_h))
    shown = view.astype(np.float32)
    shown = shown * rng.uniform(0.9, 1.05) + rng.uniform(10, 30)
    shown[..., 2] += rng.uniform(8, 20)  # the blue of a backlight
    y, x = np.mgrid[0:screen_h, 0:screen_w].astype(np.float32)
    period = rng.uniform(3.0, 6.0)
    angle = rng.uniform(0, np.pi)
    moire = np.sin((x * np.cos(angle) + y * np.sin(angle)) * 2 * np.pi / period)
    shown += (moire * rng.uniform(6, 12))[..., None]
    glare = np.exp(-(((x - y * rng.uniform(0.3, 0.8) - rng.uniform(0, screen_w)) / 40.0) ** 2))
    shown += (glare * rng.uniform(20, 50))[..., None]
    screen = np.clip(shown, 0, 255).astype(np.uint8)
    bezel = int(rng.uniform(14, 24))
    phone = np.full((screen_h + 4 * bezel, screen_w + 2 * bezel, 3), int(rng.uniform(8, 30)), dtype=np.uint8)
    phone[2 * bezel : 2 * bezel + screen_h, bezel : bezel + screen_w] = screen
    return phone


def _printed(photo: images.RGBImage, rng: np.random.Generator, *, border: bool) -> images.RGBImage:
    """``photo`` as an inkjet print looks to a camera: duller, warmer paper tint, grain, a halftone
    grain of dots; with a white paper ``border`` if the print's edge shows."""
    shown = photo.astype(np.float32)
    contrast = rng.uniform(0.7, 0.85)
    shown = (shown - 128) * contrast + 128 + rng.uniform(5, 20)
    tint = np.array([rng.uniform(4, 12), rng.uniform(0, 6), rng.uniform(-12, -4)], dtype=np.float32)
    shown += tint
    shown += rng.normal(0.0, rng.uniform(4, 8), shown.shape[:2])[..., None]
    y, x = np.mgrid[0 : shown.shape[0], 0 : shown.shape[1]].astype(np.float32)
    dots = np.sin(x * 2 * np.pi / 3.0) * np.sin(y * 2 * np.pi / 3.0)
    shown += (dots * rng.uniform(3, 7))[..., None]
    paper = np.clip(shown, 0, 255).astype(np.uint8)
    if not border:
        return paper
    edge = int(max(paper.shape[:2]) * rng.uniform(0.06, 0.1))
    bordered = cv2.copyMakeBorder(paper, edge, edge, edge, edge, cv2.BORDER_CONSTANT, value=(236, 234, 226))
    return np.asarray(bordered, dtype=np.uint8)


def _hold_up(
    picture: images.RGBImage, backdrop: images.RGBImage, rng: np.random.Generator, *, height_share: float
) -> images.RGBImage:
    """``picture`` held up in front of ``backdrop`` at ``height_share`` of the frame's height,
    tipped in perspective as a hand holds it."""
    frame_h, frame_w = backdrop.shape[:2]
    pic_h, pic_w = picture.shape[:2]
    target_h = frame_h * height_share
    target_w = target_h * pic_w / pic_h
    cx = frame_w / 2 + rng.uniform(-0.12, 0.12) * frame_w - 0.08 * frame_w
    cy = frame_h / 2 + rng.uniform(-0.05, 0.05) * frame_h
    jitter = target_h * 0.04
    corners = np.array(
        [
            [cx - target_w / 2, cy - target_h / 2],
            [cx + target_w / 2, cy - target_h / 2],
            [cx + target_w / 2, cy + target_h / 2],
            [cx - target_w / 2, cy + target_h / 2],
        ],
        dtype=np.float32,
    )
    corners += rng.uniform(-jitter, jitter, corners.shape).astype(np.float32)
    source = np.array([[0, 0], [pic_w, 0], [pic_w, pic_h], [0, pic_h]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(source, corners)
    warped = cv2.warpPerspective(picture, matrix, (frame_w, frame_h), flags=cv2.INTER_AREA)
    mask = cv2.warpPerspective(np.full((pic_h, pic_w), 255, dtype=np.uint8), matrix, (frame_w, frame_h))
    out = backdrop.copy()
    out[mask > 127] = warped[mask > 127]
    return out


def person(
    photo: images.RGBImage,
    *,
    qr_text: str | None,
    box: faces.Box | None = None,
    seed: int = 0,
    size: tuple[int, int] = FRAME_SIZE,
) -> images.RGBImage:
    """A camera frame of the person in ``photo`` standing at the kiosk, holding up the card with
    the QR of ``qr_text`` (None: no card). ``box``: the face in ``photo`` if already found."""
    rng = np.random.default_rng(seed)
    if box is None:
        found = SCENE_DETECTOR.detect(photo, max_side=faces.ENROLMENT_DETECTION_SIDE)
        # Several people stand together: the camera frames the group, not one of them.
        box = found[0] if len(found) == 1 else None
    frame = camera_view(photo, box=box, size=size)
    return _shot(frame, qr_text, rng)


def attack(
    kind: Attack,
    photo: images.RGBImage,
    *,
    qr_text: str | None,
    box: faces.Box | None = None,
    seed: int = 0,
    size: tuple[int, int] = FRAME_SIZE,
) -> images.RGBImage:
    """A camera frame of someone holding up ``photo`` re-presented as ``kind``, with the card of
    ``qr_text`` (None: none) in their other hand."""
    rng = np.random.default_rng(seed)
    if box is None:
        box = largest_face(photo)
    if kind is Attack.CLOSE_PRINT:
        frame = _printed(camera_view(photo, box=box, size=size), rng, border=False)
    else:
        # The picture shows the face with its surroundings, as the photo was taken.
        portrait = camera_view(photo, box=box, size=(480, 600))
        picture = _screen(portrait, rng) if kind is Attack.PHONE else _printed(portrait, rng, border=True)
        share = rng.uniform(0.75, 0.95) if kind is Attack.PHONE else rng.uniform(0.8, 0.98)
        frame = _hold_up(picture, _backdrop(rng, size), rng, height_share=share)
    return _shot(frame, qr_text, rng)

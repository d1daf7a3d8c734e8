"""One settings object for the server, the kiosk and the command line.

Every field can be set from an environment variable with the ``HETAO_`` prefix, for example
``HETAO_DATABASE_URL`` or ``HETAO_MATCH_THRESHOLD``.
"""

from __future__ import annotations

import secrets
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from clearance.core import face_model, keyfiles

# Secrets that ship in examples and must never guard a real deployment.
PLACEHOLDER_SECRETS = frozenset({"", "changethis", "change-me", "changeme", "secret", "dev", "development"})


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HETAO_", extra="ignore")

    environment: Environment = Environment.DEVELOPMENT
    data_dir: Path = Path("hetao-data")
    database_url: str | None = None
    secret_key: str | None = None
    """Signs officers' and staff's access tokens. Generated into the data directory in development."""

    access_token_minutes: int = 8 * 60
    """Lifetime of an API access token and of a signed-in browser session."""
    sign_in_max_failures: int = Field(default=5, ge=1)
    sign_in_window_minutes: int = Field(default=15, ge=1)
    """After sign_in_max_failures failed sign-ins for one username within this many minutes
    (or four times as many from one address), sign-in is refused until the window has passed."""
    metrics_token: str | None = None
    """A token Prometheus sends (`Authorization: Bearer <token>`) to read /metrics; without one,
    /metrics answers only callers on this machine (127.0.0.1, ::1)."""
    trusted_proxies: str = ""
    """Addresses of reverse proxies whose X-Forwarded-For is believed (comma-separated, e.g.
    127.0.0.1 when a proxy on this host forwards to the server); empty: none, the address is
    the connection's own."""
    cookie_secure: bool = True
    """Send the session cookie over HTTPS only. Browsers also keep such cookies for
    http://localhost and http://127.0.0.1; set false only for plain HTTP on another host."""
    kiosk_silent_minutes: int = Field(default=10, ge=1)
    kiosk_status_language: str = Field(default="en", pattern="^(en|zh-Hant|zh-Hans)$")
    """The language of the kiosk screen's status line for the officer at the lane (what the
    commuters read is in all three)."""
    """Alert officers when an active kiosk has not called the server for this long."""
    max_import_bytes: int = 200 * 1024 * 1024
    """Bulk import: the largest zip of photos (with its CSV) one import may upload."""
    max_import_rows: int = 5000

    # Load. Each request at work holds a worker thread and, for a while, a database connection:
    # at most this many are at work at once (fewer than the 40 worker threads and the
    # 2 x database_pool_size connections), the rest wait their turn (clearance/http/middleware.py).
    max_requests_at_work: int = Field(default=16, ge=1, le=200)
    admission_wait_seconds: float = Field(default=30.0, gt=0)
    """A request that waits longer than this for its turn is answered 503 with Retry-After."""
    database_pool_size: int = Field(default=10, ge=1)
    """PostgreSQL connections per server process (and as many again on overflow)."""
    max_json_bytes: int = 4 * 1024 * 1024
    """The largest JSON body (a kiosk's batch of 1,000 crossings is well under 1 MiB)."""

    # Uploads: a phone photo is a few MB; a 40-megapixel limit refuses decompression bombs
    # (a small PNG that inflates to gigabytes) before any pixel is decoded.
    max_upload_bytes: int = 10 * 1024 * 1024
    max_image_pixels: int = 40_000_000

    # Enrolment photo quality, measured on the face box (HOG's geometry, whichever detector found
    # it: clearance/vision/detection.py). Calibrated on real photos (see README).
    min_face_px: int = 80
    """Height of the face box in pixels at full resolution; face encoders degrade below ~80."""
    min_sharpness: float = 35.0
    """Variance of the Laplacian of the face resized to 128x128 grey; blurred faces score < 30."""
    min_brightness: float = 40.0
    max_brightness: float = 220.0
    """Mean grey level (0-255) of the face box."""
    max_clipped_fraction: float = 0.35
    """Share of face pixels at <= 10 or >= 245: blown highlights or crushed shadows."""

    # Kiosk frames: faces are detected on a copy whose longest side is at most this many pixels
    # (the SSD then squeezes it to 300 x 300; HOG with one upsampling finds faces from ~40 px at
    # the working size): 320 finds faces of 80 px or more in a 640x480 frame (a face at arm's
    # length is 150-250 px). The face is still encoded from the full-resolution frame.
    detection_max_side: int = 320
    kiosk_min_face_px: int = 80
    face_detector: Literal["ssd", "hog"] = "ssd"
    """How faces are found (clearance/vision/detection.py): Intel's SSD, or dlib's HOG detector
    (bench/detectors.py measured both)."""
    inference_threads: int = Field(default=1, ge=1, le=16)
    """Threads each network runs on (OpenVINO): one measured best on a kiosk's two cores, where
    the QR, the detector and the networks run side by side (bench/runtime.py)."""

    face_model: str = "intel"
    """The face model that makes templates and matches: "intel" (Intel's
    face-reidentification-retail-0095, bundled), "dlib" (built in), or the folder of another
    embedding network with its manifest.json (clearance/core/face_model.py). The thresholds below
    are dlib's; any other model's come from its manifest (`hetao models evaluate --write`), unless
    set here explicitly."""

    # Matching: the distance of an attempt is the mean distance between the template's photos and
    # the attempt's frames, all unit vectors (clearance/vision/faces.py; 0 to 2, lower is
    # stricter). Thresholds are chosen by bench/accuracy.py on one half of the calibration set
    # (LFW, 812 people never used before) and their rates counted on the other half (BENCHMARKS.md).
    match_threshold: float = 0.385
    """One enrolment photo: at or below, the face matches (false accepts <= 0.1 %)."""
    refer_threshold: float = 0.43
    """One enrolment photo: above match_threshold and at or below this, an officer decides
    (false accepts there stay under 1 %); above, the face is rejected."""
    match_threshold_several: float = 0.395
    """Two or more enrolment photos: averaging over them lets the threshold be a little larger at
    the same false accept rate."""
    refer_threshold_several: float = 0.435
    face_only_threshold: float = 0.35
    """Face-only walk-through (1:N, no QR): a commuter is recognised at or below this distance."""
    face_only_max_gallery: int = Field(default=50, ge=0)
    """Face-only walk-through is offered only while this many commuters or fewer have opted in:
    beyond it, strangers would be taken for someone more than 1 % of the time (counted on the
    calibration set); the kiosk asks everyone for their QR instead."""
    kiosk_frames: int = Field(default=2, ge=1, le=5)
    """Usable face frames a kiosk encodes and averages per attempt (each costs one encoding)."""
    max_enrolment_photos: int = Field(default=3, ge=1, le=5)

    # Liveness (presentation-attack detection, clearance/vision/liveness.py): a score from 0 (a
    # picture held up) to 1 (a live person), the median over the attempt's usable frames. Chosen
    # by bench/pad.py on one half of the calibration set, counted on the other (BENCHMARKS.md).
    liveness_attack_threshold: float = Field(default=0.08, ge=0, le=1)
    """Below this the attempt is rejected as a presentation attack and officers are alerted (live
    people there: 0.3 %, 1 of 362). The tuning half chose 0.01, where a phone held up would only
    ever be referred as uncertain; 0.08 keeps the attack named at no cost in who is cleared."""
    liveness_threshold: float = Field(default=0.49, ge=0, le=1)
    """At or above this the person is taken to be live; between the two an officer decides
    (liveness_uncertain): a face that is not confidently live is never cleared. Live people below
    it: <= 5 % (counted 5.5 % [3.6, 8.4] on the report half with the SSD detector's boxes)."""
    liveness_face_only_threshold: float = Field(default=0.8, ge=0, le=1)
    """Face-only walk-through (no QR) recognises only a face at least this live; below it the
    kiosk asks for the QR."""
    enrolment_liveness_threshold: float = Field(default=0.5, ge=0, le=1)
    """An enrolment photo scoring below this is refused as a picture of a picture or a screen
    (judged on camera-quality photos, dev/: 5.4 % of live photos refused, to be taken again at the
    desk; 0.7 % of phone screens and 5.6 % of prints re-photographed accepted)."""
    enrolment_max_face_share: float = Field(default=0.6, gt=0, le=1)
    """The liveness check judges an enrolment photo whose face is at most this share of the
    photo's height (MiniFASNet needs the context around the face: on a tighter crop it calls
    real faces fake). A tighter crop (an ID-style photo) is accepted as a desk accepts a passport
    photo: its liveness is not judged, and the approving officer is told to compare it with the
    person and the document. (No tighter bound is kept: whoever could crop a photo of a photo to
    the face alone could crop it to just under any bound; the officer's comparison is the check.)"""

    crossing_retention_days: int = Field(default=365, ge=1)
    """`hetao purge` anonymises (or deletes) crossings decided longer ago than this."""
    retention_action: str = Field(default="anonymise", pattern="^(anonymise|delete)$")

    # A kiosk's own files.
    kiosk_dir: Path | None = None
    """Where a kiosk keeps its store, outbox and signing key; default: a folder per kiosk key in
    the data directory. Created owner-only (0700, files 0600)."""
    kiosk_data_key_file: Path | None = None
    """The key that seals the kiosk's store (default: data.key beside it). Keep it apart from the
    store: a root-only path on another volume, or a file the OS keyring or TPM provides at boot,
    so a copied store is unreadable on its own (README, "The checkpoint station")."""

    credential_days: int = Field(default=365, ge=1)
    reference_photo_px: int = 256

    @model_validator(mode="after")
    def _check(self) -> Settings:
        if not face_model.is_dlib(self.face_model):
            self._take_model_thresholds()
        if (
            self.refer_threshold < self.match_threshold
            or self.refer_threshold_several < self.match_threshold_several
        ):
            raise ValueError("a refer threshold must be at least its match threshold")
        if not self.liveness_attack_threshold <= self.liveness_threshold <= self.liveness_face_only_threshold:
            raise ValueError("liveness thresholds must be ordered: attack <= liveness <= face-only liveness")
        if self.max_requests_at_work + 4 > 2 * self.database_pool_size:
            raise ValueError(
                "max_requests_at_work must leave four of the 2 x database_pool_size connections "
                "for the live feed, the import worker and the kiosk watch"
            )
        if self.environment is Environment.PRODUCTION:
            if self.secret_key is None or self.secret_key.lower() in PLACEHOLDER_SECRETS:
                raise ValueError("HETAO_SECRET_KEY must be set to a real secret in production")
            if len(self.secret_key) < 32:
                raise ValueError("HETAO_SECRET_KEY must be at least 32 characters in production")
        return self

    def _take_model_thresholds(self) -> None:
        """Another model's distances mean other things: its own thresholds, from its manifest,
        replace dlib's defaults (a threshold set explicitly still wins)."""
        manifest = face_model.ModelManifest.read(face_model.folder_of(self.face_model))
        if manifest.thresholds is None:
            raise ValueError(
                f"the face model in {self.face_model} has no thresholds: measure them with "
                f"`hetao models evaluate --model {self.face_model} --faces DIR --write`"
            )
        for name, value in manifest.thresholds.model_dump().items():
            if name not in self.model_fields_set:
                setattr(self, name, value)

    @property
    def keys_dir(self) -> Path:
        return self.data_dir / "keys"

    @property
    def signing_key_file(self) -> Path:
        return self.keys_dir / "signing-ed25519.pem"

    @property
    def data_key_file(self) -> Path:
        return self.keys_dir / "data.key"

    @property
    def index_key_file(self) -> Path:
        """The key of the document-number index (equality lookups without the number in clear)."""
        return self.keys_dir / "index.key"

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'hetao.sqlite3').resolve()}"

    @cached_property
    def token_secret(self) -> str:
        """The secret for access tokens: the configured one, or in development one kept on disk."""
        if self.secret_key:
            return self.secret_key
        path = self.keys_dir / "token-secret"
        if not path.exists():
            keyfiles.write_private_file(path, secrets.token_urlsafe(48).encode())
        return path.read_text().strip()

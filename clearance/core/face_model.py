"""Which face model makes and compares encodings, and the manifest that describes one.

The default is Intel's face-reidentification-retail-0095 (256-d, Apache-2.0), bundled with its
manifest in ``clearance/vision/weights/intel`` and named ``intel``. dlib's ResNet (``dlib``, 128-d,
bundled with ``face_recognition``) stays selectable. An operator can install another embedding
network (IR or ONNX, whose weights they hold a licence for) as a folder with the network and
``manifest.json``::

    {
      "name": "arcface-r100-glint360k-v1",   # recorded on every template it makes
      "file": "model.onnx",                   # or an IR's .xml (its .bin beside it)
      "sha256": "…",                          # of the weights (an IR's .bin), checked when it loads
      "input_size": 112,                      # a square, aligned face crop
      "channels": "RGB",                      # or "BGR"
      "mean": [127.5, 127.5, 127.5],          # input = (pixel - mean) / std
      "std": [127.5, 127.5, 127.5],
      "embedding_size": 512,
      "alignment": "arcface_5point",          # or "sphereface_5point" (96 x 112, stretched)
      "licence": "…",                          # under which terms the weights are used
      "source": "…",                           # where they came from
      "thresholds": { … }                     # written by `hetao models evaluate --write`
    }

and set ``HETAO_FACE_MODEL`` to the folder. A model's thresholds are in its manifest (dlib's are
the settings' defaults); a model without thresholds is refused, since nobody has measured what its
distances mean.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError, model_validator

DLIB = "dlib_face_recognition_resnet_model_v1"
"""dlib's face descriptor: 128 floats."""
DLIB_SIZE = 128
MANIFEST = "manifest.json"
INTEL = "intel"
"""The bundled default: Intel's face-reidentification-retail-0095 with its manifest."""
BUNDLED = Path(__file__).resolve().parent.parent / "vision" / "weights" / "intel"


class ModelThresholds(BaseModel):
    """A model's thresholds, named as the settings name them (distances between unit vectors,
    sqrt(2 - 2 cos): lower is stricter)."""

    match_threshold: float = Field(gt=0, le=2)
    refer_threshold: float = Field(gt=0, le=2)
    match_threshold_several: float = Field(gt=0, le=2)
    refer_threshold_several: float = Field(gt=0, le=2)
    face_only_threshold: float = Field(gt=0, le=2)
    face_only_max_gallery: int = Field(ge=0)

    @model_validator(mode="after")
    def _refer_at_least_match(self) -> ModelThresholds:
        if (
            self.refer_threshold < self.match_threshold
            or self.refer_threshold_several < self.match_threshold_several
        ):
            raise ValueError("a refer threshold must be at least its match threshold")
        return self


class ModelManifest(BaseModel):
    name: str = Field(pattern=r"^[A-Za-z0-9_.\-]{1,64}$")
    file: str = "model.onnx"
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    input_size: int = Field(default=112, ge=16, le=1024)
    channels: Literal["RGB", "BGR"] = "RGB"
    mean: tuple[float, float, float] = (127.5, 127.5, 127.5)
    std: tuple[float, float, float] = (127.5, 127.5, 127.5)
    embedding_size: int = Field(ge=2, le=4096)
    alignment: Literal["arcface_5point", "sphereface_5point"] = "arcface_5point"
    licence: str = Field(min_length=1)
    source: str = ""
    thresholds: ModelThresholds | None = None
    measured: dict[str, object] | None = None
    """What `hetao models evaluate --write` measured (the faces, the people, the rates)."""

    @model_validator(mode="after")
    def _not_dlib(self) -> ModelManifest:
        if self.name == DLIB:
            raise ValueError(f"{DLIB} is the built-in model's name; give this model its own")
        if any(s <= 0 for s in self.std):
            raise ValueError("std must be positive")
        return self

    @classmethod
    def read(cls, folder: Path) -> ModelManifest:
        """The manifest in ``folder``; a ValueError saying what is wrong otherwise."""
        path = folder / MANIFEST
        try:
            return cls.model_validate(json.loads(path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            raise ValueError(f"{path} does not exist: a face model is a folder with {MANIFEST}") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise ValueError(f"{path} is not JSON: {error}") from None
        except ValidationError as error:
            raise ValueError(f"{path} is not a face model manifest: {error}") from None

    def write(self, folder: Path) -> None:
        """Replace ``folder``'s manifest in one step (a crash leaves the old one or the new one)."""
        path = folder / MANIFEST
        temporary = path.with_suffix(".json.new")
        temporary.write_text(self.model_dump_json(indent=2, exclude_none=True) + "\n", encoding="utf-8")
        temporary.replace(path)


def is_dlib(spec: str) -> bool:
    """Whether the ``face_model`` setting names dlib's model (built in, no manifest)."""
    return spec in ("dlib", DLIB)


def folder_of(spec: str) -> Path:
    """The folder of the model the ``face_model`` setting names: the bundled one for "intel" (or
    an empty setting), else the folder given."""
    if spec in ("", INTEL):
        return BUNDLED
    return Path(spec).expanduser().resolve()

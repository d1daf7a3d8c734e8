"""Which face model makes and compares encodings, and the manifest that describes an installed one.

The default is dlib's ResNet (``DLIB``), bundled with ``face_recognition``. An operator can
install another embedding model (an ArcFace-class ONNX network whose weights they hold a licence
for) as a folder with the model file and ``manifest.json``::

    {
      "name": "arcface-r100-glint360k-v1",   # recorded on every template it makes
      "file": "model.onnx",
      "sha256": "…",                          # of the file, checked when the model loads
      "input_size": 112,                      # a square, aligned face crop
      "channels": "RGB",                      # or "BGR"
      "mean": [127.5, 127.5, 127.5],          # input = (pixel - mean) / std
      "std": [127.5, 127.5, 127.5],
      "embedding_size": 512,
      "alignment": "arcface_5point",
      "licence": "…",                          # under which terms the weights are used
      "source": "…",                           # where they came from
      "thresholds": { … }                     # written by `hetao models evaluate --write`
    }

and set ``HETAO_FACE_MODEL`` to the folder. The thresholds in the manifest are this model's (the
settings' own are dlib's); a model without thresholds is refused, since nobody has measured what
its distances mean.
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
    alignment: Literal["arcface_5point"] = "arcface_5point"
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


def is_builtin(spec: str) -> bool:
    """Whether the ``face_model`` setting names dlib rather than a folder."""
    return spec in ("", "dlib", DLIB)

"""Face templates at rest: the encodings and the reference photos, each sealed to its commuter.

A template holds one encoding per enrolment photo (rows of 128 float32, unit vectors) and one
reference photo per enrolment photo: a JPEG crop of the face, for an officer's eye and for making
the template again when the face model changes. Several photos are kept in one sealed blob:
``b"HREF" | count (1) | (length (4) | jpeg) * count``; a blob of one plain JPEG (written before
templates had several photos) reads as one photo.
"""

from __future__ import annotations

import struct
import uuid
from typing import Any

import numpy as np
from numpy.typing import NDArray

from clearance.core import vault
from clearance.db.models import FaceTemplate
from clearance.vision import faces

PHOTOS_MAGIC = b"HREF"


def pack_photos(jpegs: list[bytes]) -> bytes:
    return PHOTOS_MAGIC + bytes([len(jpegs)]) + b"".join(struct.pack(">I", len(j)) + j for j in jpegs)


def unpack_photos(blob: bytes) -> list[bytes]:
    if not blob.startswith(PHOTOS_MAGIC):
        return [blob]
    count, offset, out = blob[4], 5, []
    for _ in range(count):
        (length,) = struct.unpack_from(">I", blob, offset)
        out.append(blob[offset + 4 : offset + 4 + length])
        offset += 4 + length
    return out


def seal_template(
    data_key: vault.DataKey,
    *,
    commuter_id: uuid.UUID,
    encodings: NDArray[np.float32],
    reference_jpegs: list[bytes],
    quality: dict[str, Any],
    model: str,
) -> FaceTemplate:
    """A template of one or more enrolment photos (``encodings``: one row each)."""
    template = FaceTemplate(commuter_id=commuter_id, quality=quality)
    reseal(data_key, template, encodings=encodings, reference_jpegs=reference_jpegs, model=model)
    return template


def reseal(
    data_key: vault.DataKey,
    template: FaceTemplate,
    *,
    encodings: NDArray[np.float32],
    reference_jpegs: list[bytes],
    model: str,
) -> None:
    """Replace a template's encodings and reference photos (a photo added, a new model)."""
    commuter_id = template.commuter_id
    template.model = model
    template.sealed_encoding = vault.seal(
        data_key, faces.encoding_to_bytes(encodings), context=vault.template_context(commuter_id, "encoding")
    )
    template.sealed_reference_photo = vault.seal(
        data_key, pack_photos(reference_jpegs), context=vault.template_context(commuter_id, "photo")
    )


def open_encodings(data_key: vault.DataKey, template: FaceTemplate, *, size: int) -> NDArray[np.float32]:
    """The template's encodings, one row of ``size`` floats (its model's) per enrolment photo."""
    return faces.encoding_from_bytes(
        open_encoding_blob(data_key, template.sealed_encoding, commuter_id=template.commuter_id), size=size
    )


def open_encoding_blob(data_key: vault.DataKey, sealed: bytes, *, commuter_id: uuid.UUID) -> bytes:
    """The raw little-endian float32 bytes of a template's sealed encodings."""
    return vault.unseal(data_key, sealed, context=vault.template_context(commuter_id, "encoding"))


def open_reference_photos(data_key: vault.DataKey, template: FaceTemplate) -> list[bytes]:
    """The template's reference photos (JPEG), one per enrolment photo."""
    return unpack_photos(
        vault.unseal(
            data_key,
            template.sealed_reference_photo,
            context=vault.template_context(template.commuter_id, "photo"),
        )
    )


def open_reference_photo(data_key: vault.DataKey, template: FaceTemplate) -> bytes:
    """The first reference photo: the one officers compare a person with."""
    return open_reference_photos(data_key, template)[0]


def photo_count(template: FaceTemplate) -> int:
    """How many enrolment photos a template was made from (from its quality report, without
    opening it)."""
    return len(template.quality.get("photos") or [None])

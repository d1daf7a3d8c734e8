"""Face templates at rest: the encoding and the reference photo, each sealed to its commuter."""

from __future__ import annotations

import uuid
from typing import Any

from clearance.core import vault
from clearance.db.models import FaceTemplate
from clearance.vision import faces


def context(commuter_id: uuid.UUID, field: str) -> bytes:
    return f"face_templates.{field}:{commuter_id}".encode()


def seal_template(
    data_key: vault.DataKey,
    *,
    commuter_id: uuid.UUID,
    encoding: faces.Encoding,
    reference_jpeg: bytes,
    quality: dict[str, Any],
) -> FaceTemplate:
    return FaceTemplate(
        commuter_id=commuter_id,
        model=faces.MODEL_NAME,
        sealed_encoding=vault.seal(
            data_key, faces.encoding_to_bytes(encoding), context=context(commuter_id, "encoding")
        ),
        sealed_reference_photo=vault.seal(data_key, reference_jpeg, context=context(commuter_id, "photo")),
        quality=quality,
    )


def open_encoding(data_key: vault.DataKey, template: FaceTemplate) -> faces.Encoding:
    return faces.encoding_from_bytes(
        open_encoding_blob(data_key, template.sealed_encoding, commuter_id=template.commuter_id)
    )


def open_encoding_blob(data_key: vault.DataKey, sealed: bytes, *, commuter_id: uuid.UUID) -> bytes:
    """The raw little-endian float32 bytes of a sealed encoding."""
    return vault.unseal(data_key, sealed, context=context(commuter_id, "encoding"))


def open_reference_photo(data_key: vault.DataKey, template: FaceTemplate) -> bytes:
    return vault.unseal(
        data_key, template.sealed_reference_photo, context=context(template.commuter_id, "photo")
    )

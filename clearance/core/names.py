"""The names staff give things (organisations, checkpoints, kiosks): one rule for creating and
editing them alike."""

from __future__ import annotations

import unicodedata

from clearance.core.errors import InvalidInput

MAX_NAME = 200


def clean_name(value: str, *, what: str) -> str:
    """``value`` as a name: surrounding space trimmed, runs of space made one, no control
    characters, at least one visible character and at most ``MAX_NAME``; InvalidInput naming
    ``what`` ("an organisation") otherwise."""
    name = " ".join(value.split())
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in name):
        raise InvalidInput(f"{what} name cannot hold control characters", field="name")
    if not name:
        raise InvalidInput(f"{what} needs a name", field="name")
    if len(name) > MAX_NAME:
        raise InvalidInput(f"{what} name is at most {MAX_NAME} characters", field="name")
    return name

"""The names staff give things (organisations, checkpoints, kiosks): one rule for creating and
editing them alike."""

from __future__ import annotations

import unicodedata
from enum import StrEnum

from clearance.core.errors import InvalidInput
from clearance.core.messages import Message

MAX_NAME = 200


class Named(StrEnum):
    """What a name is given to, as an error about it says (and translates) it."""

    ORGANISATION = "an organisation"
    CHECKPOINT = "a checkpoint"
    KIOSK = "a kiosk"


def clean_name(value: str, *, what: Named) -> str:
    """``value`` as a name: surrounding space trimmed, runs of space made one, no control
    characters, at least one visible character and at most ``MAX_NAME``; InvalidInput naming
    ``what`` otherwise."""
    name = " ".join(value.split())
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in name):
        raise InvalidInput(Message("{what} name cannot hold control characters", what=what), field="name")
    if not name:
        raise InvalidInput(Message("{what} needs a name", what=what), field="name")
    if len(name) > MAX_NAME:
        raise InvalidInput(
            Message("{what} name is at most {most} characters", what=what, most=MAX_NAME),
            field="name",
        )
    return name

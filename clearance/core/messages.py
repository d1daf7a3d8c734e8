"""Words for people, kept as a message: an English template (the catalogue's key, as in the pages'
``_("...")``) and the values it is filled with. Whoever shows it to a person renders it in that
person's language (``clearance.http.i18n.say``); machines, logs and the command line read the
English (``str(message)``).

A value that is an enum member (a status, a document type, a role) is a machine word: shown to a
person, it is named in their language ("hk_identity_card" -> "香港身份證"); any other value
(a name, a number) is shown as it is.
"""

from __future__ import annotations

import json
from enum import Enum
from typing import Any


class Message:
    __slots__ = ("text", "values")

    def __init__(self, text: str, /, **values: Any) -> None:
        self.text = text
        self.values = values

    def __str__(self) -> str:
        return self.text.format(**self.values) if self.values else self.text

    def __repr__(self) -> str:
        return f"Message({self.text!r}, {self.values!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Message) and (self.text, self.values) == (other.text, other.values)

    def __hash__(self) -> int:
        return hash(self.text)


def message(text: str | Message, /) -> Message:
    """``text`` as a message (a message stays itself)."""
    return text if isinstance(text, Message) else Message(text)


class Word(str):
    """A machine word read back from storage (an enum member's value, its enum no longer known):
    shown to a person, it is named in their language like the member was."""

    __slots__ = ()


class Words(str):
    """A message kept as text: the English, for every reader that wants a string (the API, the
    command line, a log), carrying the message for a page to say in its reader's language. A
    column of type ``clearance.db.types.MessageText`` stores the message and gives it back."""

    __slots__ = ("message",)
    message: Message

    def __new__(cls, message: Message) -> Words:
        text = super().__new__(cls, str(message))
        text.message = message
        return text


def words(text: str, /, **values: Any) -> Words:
    """``Message(text, **values)`` as ``Words``: for a stored text (an alert's, an audit
    event's, an import row's) that people read."""
    return Words(Message(text, **values))


def _plain(value: Any) -> Any:
    if isinstance(value, Words):
        value = value.message
    if isinstance(value, Message):
        return {"message": value.text, "values": {k: _plain(v) for k, v in value.values.items()}}
    if isinstance(value, Enum | Word):
        return {"word": value.value if isinstance(value, Enum) else str(value)}
    if isinstance(value, bool | int | float) or value is None:
        return value
    return str(value)


def _revived(value: Any) -> Any:
    if isinstance(value, dict) and "message" in value:
        return Message(value["message"], **{k: _revived(v) for k, v in value["values"].items()})
    if isinstance(value, dict) and "word" in value:
        return Word(value["word"])
    return value


STORED_PREFIX = '{"message":'


def stored(message: Message) -> str:
    """``message`` as the JSON text a column keeps (see ``revived``)."""
    return json.dumps(_plain(message), ensure_ascii=False, separators=(",", ":"))


def revived(text: str) -> str:
    """A column's text as it was written: ``Words`` where a message was stored, else the text
    (rows written before messages were kept, or one too long to keep whole)."""
    if not text.startswith(STORED_PREFIX):
        return text
    try:
        message = _revived(json.loads(text))
    except (ValueError, TypeError, KeyError, AttributeError):
        return text
    return Words(message) if isinstance(message, Message) else text

"""Chinese names folded to one script, so a search typed in Simplified characters finds a name
registered in Traditional ones and the other way round (陈大文 and 陳大文 are one person's name,
written on the mainland and in Hong Kong)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

TABLE = Path(__file__).resolve().parent / "data" / "TSCharacters.txt"
"""OpenCC's Traditional-to-Simplified character table (data/PROVENANCE.md)."""


@cache
def _to_simplified() -> dict[int, str]:
    table: dict[int, str] = {}
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        traditional, _, simplified = line.partition("\t")
        if len(traditional) == 1 and simplified:
            # Where a character has several Simplified forms the table lists the usual one first.
            table[ord(traditional)] = simplified.split(" ")[0]
    return table


def fold(text: str) -> str:
    """``text`` with every Traditional character in its Simplified form; anything else as it is."""
    return text.translate(_to_simplified())

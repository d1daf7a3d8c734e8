"""Cells of the CSV files people open in a spreadsheet (a failed import's rows, the audit trail):
nothing in them runs as a formula."""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
"""What makes a spreadsheet take a cell for a formula (OWASP's CSV injection rule, with the
full-width forms a CJK spreadsheet also reads), at its start or after leading spaces."""


def safe(text: str) -> str:
    """A cell a spreadsheet will not run as a formula: one that would is given a leading ``'``
    (which ``unsafe`` takes off again, so a fixed file imports as it is)."""
    return "'" + text if text[:1] in FORMULA_STARTS or text.lstrip(" ")[:1] in FORMULA_STARTS else text


def unsafe(text: str) -> str:
    """A cell as ``safe`` gave it out, back as it was."""
    return text[1:] if text[:1] == "'" and text[1:].lstrip(" ")[:1] in FORMULA_STARTS else text

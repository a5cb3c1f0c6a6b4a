"""Making user text inert in files: spreadsheet formulas.

Control and bidi characters are neutralised by :func:`consular_dialogue.text.clean`,
the one rule shared with the terminal, so a title reads the same everywhere.
"""

from __future__ import annotations

# What spreadsheets read as the start of a formula (OWASP's "CSV injection" list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(text: str) -> bool:
    return text.startswith(FORMULA_STARTS)


def defuse_formula(text: str) -> str:
    """Prefix a single quote to text a spreadsheet would run as a formula."""
    return "'" + text if looks_like_formula(text) else text

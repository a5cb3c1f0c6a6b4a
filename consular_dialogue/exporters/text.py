"""Making user text inert in files: control characters, bidi overrides, formulas.

The same rule as ``render.clean`` (which cannot be imported here: render needs
Rich), so a title reads the same on a terminal and in every export.
"""

from __future__ import annotations

import re

# C0/C1 controls (ESC starts ANSI/OSC sequences, BEL ends OSC ones) and bidi
# overrides/isolates, which could reorder or hide what a reader sees. Tabs and
# newlines are kept; a CR is first read as a line break (text typed on Windows).
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")

# What spreadsheets read as the start of a formula (OWASP's "CSV injection" list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def clean(text: str | None) -> str:
    """User text with control and bidi characters made visible (``\\x1b``, ``\\u202e``)."""
    if not text:
        return ""
    return _UNSAFE.sub(_visible, text.replace("\r\n", "\n").replace("\r", "\n"))


def looks_like_formula(text: str) -> bool:
    return text.startswith(FORMULA_STARTS)


def defuse_formula(text: str) -> str:
    """Prefix a single quote to text a spreadsheet would run as a formula."""
    return "'" + text if looks_like_formula(text) else text

"""Making user text inert before it reaches a terminal or a file.

One rule for every place that shows what a user typed (tables, ``Error:`` lines,
prompts, reports, exports), so a title reads the same everywhere.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from collections.abc import Iterable

# C0/C1 controls (ESC starts ANSI/OSC sequences, BEL ends OSC ones) and bidi
# marks, overrides and isolates, which could reorder or hide what a reader sees.
# Tabs and newlines are kept; a CR is first read as a line break (text typed on
# Windows), since a bare CR on a terminal would let the rest overwrite the line.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def clean(text: str | None) -> str:
    """User text with control and bidi characters made visible (``\\x1b``, ``\\u202e``)."""
    if not text:
        return ""
    if text.isprintable() or text.replace("\n", " ").replace("\t", " ").isprintable():
        # Every character matched above (and CR) is a control or a format character,
        # which str.isprintable refuses: such text has nothing to change (most titles),
        # and neither has one whose only such characters are line breaks and tabs, which
        # are kept (notes; an export's description).
        return text
    return _UNSAFE.sub(_visible, text.replace("\r\n", "\n").replace("\r", "\n"))


def clean_all(texts: Iterable[str | None]) -> list[str]:
    """``clean`` of each text; tested as one text where none has anything to change, as
    is usual (the 100,000 titles of a long list)."""
    given = list(texts)
    try:
        printable = "".join(cast("list[str]", given)).isprintable()
    except TypeError:  # None among them (an item without an outcome)
        printable = False
    return cast("list[str]", given) if printable else list(map(clean, given))


def clean_line(text: str | None) -> str:
    """``clean`` for a one-line message: line breaks become spaces.

    An ``Error:`` line or a question must stay one line, so that text a user typed
    cannot draw a second, made-up line under it.
    """
    return clean(text).replace("\n", " ").replace("\u2028", " ").replace("\u2029", " ")


# ---- Markdown ----------------------------------------------------------------------
# Here rather than in ``exporters.markdown``, so that reports can escape for Markdown
# without loading the export formats.

_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_SPECIAL = re.compile(r"[\\|\[\]*_`~&<>]")


def _escape_char(match: re.Match[str]) -> str:
    char = match.group()
    return _ENTITIES.get(char) or "\\" + char


def escape_cell(text: str) -> str:
    """Text that stays one literal Markdown table cell (see ``exporters.markdown``)."""
    escaped = _SPECIAL.sub(_escape_char, clean(text))
    # Leading/trailing blanks would be trimmed anyway; tabs would only confuse.
    return escaped.replace("\t", " ").strip().replace("\n", "<br>")

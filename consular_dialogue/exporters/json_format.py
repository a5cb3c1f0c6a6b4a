"""JSON: the documented record shapes, as ``cdt ... --json`` prints them.

Actions are ``Action.to_json(today)`` (the stored record plus ``overdue``),
meetings ``Meeting.to_record()``. UTF-8, two-space indent, a final newline;
accents stay as they are. Characters a terminal or editor could act on
(C0/C1 controls, bidi marks and overrides, line/paragraph separators) are
written as ``\\uXXXX`` escapes, so the file is inert yet reads back to exactly
the same text.

:func:`dump_json` is the tool's one JSON writer: ``--json``, reports, exports
and dumps all go through it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import orjson

from ..models import Action, Meeting
from .context import ExportContext

# orjson escapes U+0000..U+001F itself; these it leaves raw. They can only occur
# inside strings (JSON's own syntax is ASCII), so escaping them keeps the JSON valid.
_RAW = re.compile("[\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def dump_json(value: Any) -> bytes:
    """``value`` as indented UTF-8 JSON with a final newline, every unsafe character escaped.

    Dates and datetimes are written in ISO form, dataclasses as objects.
    """
    raw = orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS)
    text = raw.decode("utf-8")
    if _RAW.search(text):
        text = _RAW.sub(_escape, text)
    return text.encode("utf-8") + b"\n"


def actions_json(actions: Sequence[Action], ctx: ExportContext) -> str:
    return dump_json([a.to_json(ctx.today) for a in actions]).decode("utf-8")


def meetings_json(meetings: Sequence[Meeting], ctx: ExportContext) -> str:
    return dump_json([m.to_record() for m in meetings]).decode("utf-8")

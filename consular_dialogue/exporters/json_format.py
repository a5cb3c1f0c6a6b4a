"""JSON: the documented record shapes, as ``cdt ... --json`` prints them.

Actions are ``Action.to_json(today)`` (the stored record plus ``overdue``),
meetings ``Meeting.to_record()``. UTF-8, two-space indent, a final newline;
accents stay as they are. Characters a terminal or editor could act on
(C0/C1 controls, bidi overrides, line/paragraph separators) are written as
``\\uXXXX`` escapes, so the file is inert yet reads back to exactly the same text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from ..models import Action, Meeting
from .context import ExportContext

# json.dumps already escapes U+0000..U+001F; these it would leave raw.
_RAW = re.compile("[\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def dump_json(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, indent=2)
    return _RAW.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n"


def actions_json(actions: Sequence[Action], ctx: ExportContext) -> str:
    return dump_json([a.to_json(ctx.today) for a in actions])


def meetings_json(meetings: Sequence[Meeting], ctx: ExportContext) -> str:
    return dump_json([m.to_record() for m in meetings])

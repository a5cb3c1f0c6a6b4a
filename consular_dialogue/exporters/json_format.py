"""JSON: the documented record shapes, as ``cdt ... --json`` prints them.

Actions are ``Action.to_json(today)`` (the stored record plus ``overdue``),
meetings ``Meeting.to_record()``, written by ``jsonout.dump_json``, the tool's one
JSON writer (every character a terminal could act on escaped).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..jsonout import dump_json

if TYPE_CHECKING:
    from ..models import Action, Meeting
    from .context import ExportContext


def actions_json(actions: Sequence[Action], ctx: ExportContext) -> str:
    return dump_json([a.to_json(ctx.today) for a in actions]).decode("utf-8")


def meetings_json(meetings: Sequence[Meeting], ctx: ExportContext) -> str:
    return dump_json([m.to_record() for m in meetings]).decode("utf-8")

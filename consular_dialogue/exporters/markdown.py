"""Markdown: one GitHub-flavoured table for people (reports, wikis, issues).

Whatever a cell contains, the table keeps its rows and columns and nothing in
it becomes markup: backslashes and ``| [ ] * _ ` ~`` are backslash-escaped,
``< > &`` become entities (so no HTML runs), newlines become ``<br>``, and
control characters are made visible (``\\x1b``) before any of that.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..models import Action
from ..text import escape_cell
from .context import ExportContext
from .table import Cell, Table, actions_table, cell_text


def _cell(value: Cell) -> str:
    return escape_cell(cell_text(value))


def table_markdown(table: Table) -> str:
    lines = [
        "| " + " | ".join(escape_cell(h) for h in table.headers) + " |",
        "|" + "|".join("---" for _ in table.headers) + "|",
    ]
    lines.extend("| " + " | ".join(_cell(v) for v in row) + " |" for row in table.rows)
    lines.append("")  # the last newline, without copying the text to add it
    return "\n".join(lines)


def actions_markdown(actions: Sequence[Action], ctx: ExportContext) -> str:
    return table_markdown(actions_table(actions, ctx, for_people=True))

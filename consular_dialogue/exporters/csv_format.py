"""CSV for spreadsheets: the same columns every time, safe to open in Excel.

Choices, so that a double-click opens the file right in Excel and LibreOffice:

* UTF-8 **with a byte-order mark**: without it Excel reads UTF-8 as the local
  code page and "Acción" becomes "AcciÃ³n"; LibreOffice and Python's
  ``utf-8-sig`` read the mark and drop it.
* Comma-separated, fields quoted when needed, CRLF line ends (RFC 4180), as
  Python's ``csv.writer`` writes them (a test compares); newlines inside a cell stay
  inside its quotes.
* Dates in ISO form (``2023-04-17``; month-precise meetings ``2023-10``).
* User text has control characters made visible, and a cell that starts with
  ``= + - @``, a tab or a CR gets a leading ``'`` so no spreadsheet runs it as a
  formula (OWASP's advice on CSV injection).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..lines import each_once
from ..models import Action, Meeting
from ..text import clean
from .context import ExportContext
from .table import Cell, Table, actions_table, cell_text, meetings_table
from .text import FORMULA_STARTS, defuse_formula

BOM = "\ufeff"


def _cell(value: Cell) -> str:
    if isinstance(value, str):
        return defuse_formula(clean(value))
    return cell_text(value)


def _field(text: str) -> str:
    """``text`` as one CSV field, as ``csv.writer`` writes it (RFC 4180): in quotes when
    it holds a comma, a quote or a line break, its quotes doubled."""
    if '"' in text:
        return '"' + text.replace('"', '""') + '"'
    if "," in text or "\n" in text or "\r" in text:
        return f'"{text}"'
    return text


def _csv_field(value: Cell) -> str:
    """``_field(_cell(value))``, with ``_cell``'s steps for text written out: a column of
    20,000 titles makes each of them."""
    if type(value) is not str:
        return _field(_cell(value))
    if not value.isprintable():
        value = clean(value)
    return _field("'" + value if value.startswith(FORMULA_STARTS) else value)


def _fields(column: Sequence[Cell]) -> list[str]:
    """Each cell of a column as a CSV field; a value the column repeats is made once."""
    return each_once(_csv_field, column)


def table_csv(table: Table) -> str:
    """The table as CSV. Its lines are joined here rather than by ``csv.writer``, which
    took 0.2 s for the 20,000 rows of 15 columns of unfinished actions at L."""
    lines = [",".join(_field(defuse_formula(clean(h))) for h in table.headers)]
    lines += map(",".join, zip(*map(_fields, table.columns), strict=True))
    if len(table.headers) == 1:  # a lone empty field is quoted, or the row would be lost
        lines = [line or '""' for line in lines]
    # The mark and the last line break go in as lines: the text is made once, not
    # copied twice more to add them (a CSV of L's actions is 12 MB).
    return "\r\n".join([BOM + lines[0], *lines[1:], ""])


def actions_csv(actions: Sequence[Action], ctx: ExportContext) -> str:
    return table_csv(actions_table(actions, ctx))


def meetings_csv(meetings: Sequence[Meeting], ctx: ExportContext) -> str:
    return table_csv(meetings_table(meetings, ctx))

"""CSV for spreadsheets: the same columns every time, safe to open in Excel.

Choices, so that a double-click opens the file right in Excel and LibreOffice:

* UTF-8 **with a byte-order mark**: without it Excel reads UTF-8 as the local
  code page and "Acción" becomes "AcciÃ³n"; LibreOffice and Python's
  ``utf-8-sig`` read the mark and drop it.
* Comma-separated, fields quoted when needed, CRLF line ends (RFC 4180);
  newlines inside a cell stay inside its quotes.
* Dates in ISO form (``2023-04-17``; month-precise meetings ``2023-10``).
* User text has control characters made visible, and a cell that starts with
  ``= + - @``, a tab or a CR gets a leading ``'`` so no spreadsheet runs it as a
  formula (OWASP's advice on CSV injection).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from ..models import Action, Meeting
from ..text import clean
from .context import ExportContext
from .table import Cell, Table, actions_table, cell_text, meetings_table
from .text import defuse_formula

BOM = "\ufeff"


def _cell(value: Cell) -> str:
    if isinstance(value, str):
        return defuse_formula(clean(value))
    return cell_text(value)


def _texts(column: Sequence[Cell]) -> list[str]:
    """Each cell of a column as CSV text; a text the column repeats is made once."""
    made: dict[str, str] = {}
    texts = []
    for value in column:
        if type(value) is str:
            text = made.get(value)
            if text is None:
                text = made[value] = _cell(value)
        else:
            text = _cell(value)
        texts.append(text)
    return texts


def table_csv(table: Table) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([defuse_formula(clean(h)) for h in table.headers])
    writer.writerows(zip(*map(_texts, table.columns), strict=True))
    return BOM + buffer.getvalue()


def actions_csv(actions: Sequence[Action], ctx: ExportContext) -> str:
    return table_csv(actions_table(actions, ctx))


def meetings_csv(meetings: Sequence[Meeting], ctx: ExportContext) -> str:
    return table_csv(meetings_table(meetings, ctx))

"""Excel workbooks (openpyxl): one sheet, a bold frozen header, real date cells.

* Dates are date cells shown ``yyyy-mm-dd``; a month-precise meeting date has
  no day, so it stays the text ``2023-10`` rather than pretending to be the 1st.
* Text is always a text cell with exactly what the user typed (control
  characters made visible): text that starts like a formula is marked with
  Excel's *quote prefix* (what Excel itself stores when one types ``'=...``),
  so it is never evaluated, not even after the cell is edited.
* Column widths follow the content, capped at 60 characters (longer text wraps).
* The same data and ``now`` give the same bytes: the workbook's dates and the
  zip entries' times come from ``now``, not the clock.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..dates import PartialDate, Precision
from ..models import Action
from ..text import clean
from .context import ExportContext
from .table import Cell, Table, actions_table, text_label
from .text import looks_like_formula

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

DATE_FORMAT = "yyyy-mm-dd"
MAX_WIDTH = 60
MIN_WIDTH = 6
CREATOR = "consular-dialogue"


def _value(value: Cell) -> Any:
    if isinstance(value, PartialDate):
        return value.first_day() if value.precision == Precision.DAY else value.iso
    if isinstance(value, str):
        return clean(value)
    return value


def _width(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, dt.date):
        return len(DATE_FORMAT)
    return max((len(line) for line in str(value).split("\n")), default=0)


def _fill(sheet: Worksheet, table: Table) -> None:
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    top = Alignment(vertical="top")
    widths = [len(h) for h in table.headers]
    for column, header in enumerate(table.headers, start=1):
        cell = sheet.cell(row=1, column=column)
        cell.value = clean(header)
        cell.data_type = "s"
        cell.font = bold
    for row_number, row in enumerate(table.rows, start=2):
        for column, raw in enumerate(row, start=1):
            value = _value(raw)
            cell = sheet.cell(row=row_number, column=column)
            cell.value = value
            cell.alignment = top
            if isinstance(value, str):
                # openpyxl reads "=..." as a formula; keep it literal text.
                cell.data_type = "s"
                if looks_like_formula(value):
                    cell.quotePrefix = True
                if "\n" in value or len(value) > MAX_WIDTH:
                    cell.alignment = wrap
            elif isinstance(value, dt.date):
                cell.number_format = DATE_FORMAT
            widths[column - 1] = max(widths[column - 1], _width(value))
    for column, width in enumerate(widths, start=1):
        letter = get_column_letter(column)
        sheet.column_dimensions[letter].width = min(max(width + 2, MIN_WIDTH), MAX_WIDTH)
    sheet.freeze_panes = "A2"
    last = get_column_letter(len(table.headers))
    sheet.auto_filter.ref = f"A1:{last}{table.row_count + 1}"


def _zip_time(now: dt.datetime) -> tuple[int, int, int, int, int, int]:
    moment = now.astimezone(dt.UTC) if now.tzinfo else now
    moment = max(moment.replace(tzinfo=None), dt.datetime(1980, 1, 1))  # zip's epoch
    return (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)


def _fixed_times(payload: bytes, now: dt.datetime) -> bytes:
    """The same archive with every entry dated ``now`` (zipfile stamps the clock)."""
    stamp = _zip_time(now)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(payload)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for entry in source.infolist():
            fixed = zipfile.ZipInfo(entry.filename, date_time=stamp)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = entry.external_attr
            target.writestr(fixed, source.read(entry))
    return out.getvalue()


def table_xlsx(table: Table, sheet_title: str, ctx: ExportContext) -> bytes:
    from openpyxl import Workbook
    from openpyxl.writer.excel import ExcelWriter

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = sheet_title[:31]  # Excel's limit
    _fill(sheet, table)
    stamp = (ctx.now.astimezone(dt.UTC) if ctx.now.tzinfo else ctx.now).replace(tzinfo=None)
    workbook.properties.creator = CREATOR
    workbook.properties.lastModifiedBy = CREATOR
    workbook.properties.created = stamp
    workbook.properties.modified = stamp
    buffer = io.BytesIO()
    # ExcelWriter rather than Workbook.save, which would stamp "modified" with the clock.
    archive = zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
    ExcelWriter(workbook, archive).save()
    return _fixed_times(buffer.getvalue(), ctx.now)


def actions_xlsx(actions: Sequence[Action], ctx: ExportContext) -> bytes:
    return table_xlsx(actions_table(actions, ctx), text_label("actions", ctx.lang), ctx)

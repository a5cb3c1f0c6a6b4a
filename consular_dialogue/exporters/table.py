"""The rows and columns shared by the tabular formats (CSV, Excel, Markdown).

One place decides which columns an export has, in which order, and what each
cell holds; the formats only differ in how they write a cell. Cells keep their
type (``int``, ``date``, ``PartialDate``, ``str``) so Excel gets real dates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from functools import partial
from operator import attrgetter
from typing import Any, NamedTuple

from ..dates import PartialDate
from ..i18n import label, status_name
from ..lines import each_once
from ..models import Action, ActionStatus, Meeting, overdue_on
from .context import ExportContext

Cell = str | int | dt.date | PartialDate | None

# Headers and words i18n.py does not have (kept here: they only matter in exports).
_EXTRA_LABELS: dict[str, tuple[str, str]] = {
    "uuid": ("UUID", "UUID"),
    "overdue": ("Overdue", "Vencida"),
    "yes": ("yes", "sí"),
    "no": ("no", "no"),
}


def text_label(key: str, lang: str) -> str:
    """A header or word in the run's language: ours first, then i18n's."""
    if key in _EXTRA_LABELS:
        english, spanish = _EXTRA_LABELS[key]
        return spanish if lang == "es" else english
    return label(key, lang)


class Column(NamedTuple):
    key: str
    #: Columns for machines (ids for re-import) are left out of reports for people.
    machine: bool = False


class Table(NamedTuple):
    """A header row and typed cells, ready for any tabular format.

    The cells are kept a column at a time: an export of 20,000 actions fills each
    column in one pass, and a format can write a column's repeated cells (a status, a
    side, a meeting) once.
    """

    keys: tuple[str, ...]
    headers: tuple[str, ...]
    columns: tuple[tuple[Cell, ...], ...]

    @property
    def row_count(self) -> int:
        """The rows (the header not counted); not ``len``, a named tuple's own."""
        return len(self.columns[0]) if self.columns else 0

    @property
    def rows(self) -> list[tuple[Cell, ...]]:
        return list(zip(*self.columns, strict=True))


ACTION_COLUMNS = (
    Column("id"),
    Column("due"),
    Column("overdue"),
    Column("status"),
    Column("priority"),
    Column("party"),
    Column("owner"),
    Column("title"),
    Column("meeting"),
    Column("item"),
    Column("topic"),
    Column("completed"),
    Column("level"),
    Column("notes"),
    Column("uuid", machine=True),
)

MEETING_COLUMNS = (
    Column("id"),
    Column("dialogue"),
    Column("date"),
    Column("end_date"),
    Column("kind"),
    Column("status"),
    Column("title"),
    Column("location"),
    Column("host"),
    Column("delegations"),
    Column("ref"),
    Column("summary"),
    Column("level"),
    Column("uuid", machine=True),
)


def notes_text(action: Action) -> str | None:
    """Every note on its own line, dated: ``2023-05-02: text``."""
    if not action.notes:
        return None
    return "\n".join(f"{note.at[:10]}: {note.text}" for note in action.notes)


def delegations_text(meeting: Meeting) -> str | None:
    """``MX: head (title); US: head`` for the delegations whose head is known."""
    parts = []
    for delegation in meeting.delegations:
        if not delegation.head:
            continue
        title = f" ({delegation.title})" if delegation.title else ""
        parts.append(f"{delegation.party}: {delegation.head}{title}")
    return "; ".join(parts) or None


class Cells(NamedTuple):
    """How a column's cells come from the records: what each record holds under the
    attribute ``read`` (under each, for several; or what a function of it gives), then
    ``convert`` of each different value read (20,000 actions have six statuses)."""

    read: str | tuple[str, ...] | Callable[[Any], Any]
    convert: Callable[[Any], Cell] | None = None


def _cell_columns(records: Sequence[Any], cells: Sequence[Cells]) -> tuple[tuple[Cell, ...], ...]:
    """The columns of ``cells``, every attribute read in one pass over the records (a
    pass a column took longer: 20,000 records spread in memory, each visited 15 times)."""
    reads = [(c.read,) if isinstance(c.read, str) else c.read for c in cells]
    names = list(dict.fromkeys(n for r in reads if isinstance(r, tuple) for n in r))
    get = attrgetter(*names)
    rows = map(get, records) if len(names) > 1 else ((value,) for value in map(get, records))
    by_name = dict(zip(names, zip(*rows, strict=True), strict=False))  # none: no records
    columns = []
    for c, read in zip(cells, reads, strict=True):
        if not isinstance(read, tuple):
            values = list(map(read, records))
        elif len(read) == 1:
            values = list(by_name.get(read[0], ()))
        else:
            values = list(zip(*(by_name.get(n, ()) for n in read), strict=True))
        columns.append(tuple(values if c.convert is None else each_once(c.convert, values)))
    return tuple(columns)


def _named(lang: str) -> Callable[[Any], str]:
    """A status, kind, priority or level by its name in ``lang``."""

    def named(value: Any) -> str:
        return status_name(value.value, lang)

    return named


def _action_cells(ctx: ExportContext) -> dict[str, Cells]:
    lang = ctx.lang
    named = _named(lang)

    def meeting_title(meeting_id: int) -> Cell:
        return ctx.meeting_titles.get(meeting_id, meeting_id)

    def overdue(due_and_status: tuple[dt.date | None, ActionStatus]) -> str:
        return text_label("yes" if overdue_on(*due_and_status, ctx.today) else "no", lang)

    return {
        "id": Cells("id"),
        "due": Cells("due"),
        "overdue": Cells(("due", "status"), overdue),
        "status": Cells("status", named),
        "priority": Cells("priority", named),
        "party": Cells("party", partial(status_name, lang=lang)),
        "owner": Cells("owner"),
        "title": Cells("title"),
        "meeting": Cells("meeting_id", meeting_title),
        "item": Cells("item_id"),
        "topic": Cells("item_id", ctx.item_topic_name),
        "completed": Cells("completed"),
        "level": Cells("level", named),
        "notes": Cells(notes_text),
        "uuid": Cells("uuid"),
    }


def _meeting_cells(ctx: ExportContext) -> dict[str, Cells]:
    named = _named(ctx.lang)
    return {
        "id": Cells("id"),
        "dialogue": Cells("dialogue"),
        "date": Cells("date"),
        "end_date": Cells("end_date"),
        "kind": Cells("kind", named),
        "status": Cells("status", named),
        "title": Cells("title"),
        "location": Cells("location"),
        "host": Cells("host"),
        "delegations": Cells(delegations_text),
        "ref": Cells("ref_text"),
        "summary": Cells("summary"),
        "level": Cells("level", named),
        "uuid": Cells("uuid"),
    }


def _columns(columns: Sequence[Column], *, for_people: bool) -> list[Column]:
    return [c for c in columns if not (for_people and c.machine)]


def actions_table(
    actions: Sequence[Action], ctx: ExportContext, *, for_people: bool = False
) -> Table:
    columns = _columns(ACTION_COLUMNS, for_people=for_people)
    cells = _action_cells(ctx)
    return Table(
        keys=tuple(c.key for c in columns),
        headers=tuple(text_label(c.key, ctx.lang) for c in columns),
        columns=_cell_columns(actions, [cells[c.key] for c in columns]),
    )


def meetings_table(
    meetings: Sequence[Meeting], ctx: ExportContext, *, for_people: bool = False
) -> Table:
    columns = _columns(MEETING_COLUMNS, for_people=for_people)
    cells = _meeting_cells(ctx)
    return Table(
        keys=tuple(c.key for c in columns),
        headers=tuple(text_label(c.key, ctx.lang) for c in columns),
        columns=_cell_columns(meetings, [cells[c.key] for c in columns]),
    )


def cell_text(value: Cell) -> str:
    """A cell as text: ISO dates, plain numbers, nothing for None."""
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, PartialDate):
        return value.iso
    return str(value)

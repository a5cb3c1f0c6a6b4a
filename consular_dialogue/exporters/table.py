"""The rows and columns shared by the tabular formats (CSV, Excel, Markdown).

One place decides which columns an export has, in which order, and what each
cell holds; the formats only differ in how they write a cell. Cells keep their
type (``int``, ``date``, ``PartialDate``, ``str``) so Excel gets real dates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..dates import PartialDate
from ..i18n import label, status_name
from ..models import Action, Meeting
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


@dataclass(frozen=True)
class Column:
    key: str
    #: Columns for machines (ids for re-import) are left out of reports for people.
    machine: bool = False


@dataclass(frozen=True)
class Table:
    """A header row and typed cells, ready for any tabular format.

    The cells are kept a column at a time: an export of 20,000 actions fills each
    column in one pass, and a format can write a column's repeated cells (a status, a
    side, a meeting) once.
    """

    keys: tuple[str, ...]
    headers: tuple[str, ...]
    columns: tuple[tuple[Cell, ...], ...]

    def __len__(self) -> int:
        """The rows (the header not counted)."""
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


def _action_cells(ctx: ExportContext) -> dict[str, Callable[[Action], Cell]]:
    lang = ctx.lang

    def meeting_title(action: Action) -> Cell:
        meeting = ctx.meeting_of(action)
        return meeting.title if meeting is not None else action.meeting_id

    return {
        "id": lambda a: a.id,
        "due": lambda a: a.due,
        "overdue": lambda a: text_label("yes" if a.is_overdue(ctx.today) else "no", lang),
        "status": lambda a: status_name(a.status.value, lang),
        "priority": lambda a: status_name(a.priority.value, lang),
        "party": lambda a: status_name(a.party, lang),
        "owner": lambda a: a.owner,
        "title": lambda a: a.title,
        "meeting": meeting_title,
        "item": lambda a: a.item_id,
        "topic": ctx.topic_name,
        "completed": lambda a: a.completed,
        "level": lambda a: status_name(a.level.value, lang),
        "notes": notes_text,
        "uuid": lambda a: a.uuid,
    }


def _meeting_cells(ctx: ExportContext) -> dict[str, Callable[[Meeting], Cell]]:
    lang = ctx.lang
    return {
        "id": lambda m: m.id,
        "dialogue": lambda m: m.dialogue,
        "date": lambda m: m.date,
        "end_date": lambda m: m.end_date,
        "kind": lambda m: status_name(m.kind.value, lang),
        "status": lambda m: status_name(m.status.value, lang),
        "title": lambda m: m.title,
        "location": lambda m: m.location,
        "host": lambda m: m.host,
        "delegations": delegations_text,
        "ref": lambda m: m.ref_text,
        "summary": lambda m: m.summary,
        "level": lambda m: status_name(m.level.value, lang),
        "uuid": lambda m: m.uuid,
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
        columns=tuple(tuple(map(cells[c.key], actions)) for c in columns),
    )


def meetings_table(
    meetings: Sequence[Meeting], ctx: ExportContext, *, for_people: bool = False
) -> Table:
    columns = _columns(MEETING_COLUMNS, for_people=for_people)
    cells = _meeting_cells(ctx)
    return Table(
        keys=tuple(c.key for c in columns),
        headers=tuple(text_label(c.key, ctx.lang) for c in columns),
        columns=tuple(tuple(map(cells[c.key], meetings)) for c in columns),
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

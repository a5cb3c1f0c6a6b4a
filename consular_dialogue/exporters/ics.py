"""iCalendar (RFC 5545): meetings as all-day events, dated actions as to-dos.

* A meeting known to the day is a VEVENT with ``DTSTART;VALUE=DATE`` and an
  exclusive ``DTEND`` (the day after its last day). A meeting known only to the
  month (or year) has no day to put in a calendar: it is left out, and returned
  in ``left_out`` so the caller can say so. A day-precise start with a
  month-precise end is shown on its first day only.
* An action with a due date is a VTODO with ``DUE;VALUE=DATE``; undated actions
  are left out the same way.
* ``UID`` is ``<record uuid>@consular-dialogue``, so importing a newer export
  updates the entries instead of duplicating them; ``DTSTAMP`` is the ``now``
  passed in, never the clock, so the same data gives the same file.
* The icalendar library escapes ``, ; \\`` and newlines and folds long lines.
  Control and bidi characters, which RFC 5545 text may not contain, are first
  made visible (``\\x1b``, ``\\u202e``), so SUMMARY reads back as that text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..dates import Precision
from ..i18n import status_name
from ..models import Action, ActionStatus, Level, Meeting, MeetingStatus, Priority, Record
from ..text import clean
from .context import ExportContext
from .table import delegations_text, text_label

if TYPE_CHECKING:
    from icalendar import Calendar, Component

PRODID = "-//consular-dialogue//cdt//EN"
UID_DOMAIN = "consular-dialogue"

EVENT_STATUS = {
    MeetingStatus.PLANNED: "CONFIRMED",
    MeetingStatus.HELD: "CONFIRMED",
    MeetingStatus.POSTPONED: "TENTATIVE",
    MeetingStatus.CANCELLED: "CANCELLED",
}
TODO_STATUS = {
    ActionStatus.OPEN: "NEEDS-ACTION",
    ActionStatus.BLOCKED: "NEEDS-ACTION",
    ActionStatus.IN_PROGRESS: "IN-PROCESS",
    ActionStatus.DONE: "COMPLETED",
    ActionStatus.CANCELLED: "CANCELLED",
}
# RFC 5545 3.8.1.9: 1 is the highest priority, 9 the lowest.
TODO_PRIORITY = {Priority.HIGH: 1, Priority.NORMAL: 5, Priority.LOW: 9}
# Who may see an entry when the calendar is shared.
ACCESS_CLASS = {Level.PUBLIC: "PUBLIC", Level.INTERNAL: "PRIVATE", Level.RESTRICTED: "CONFIDENTIAL"}


@dataclass(frozen=True)
class IcsExport:
    """The calendar text, and the records that could not be put in it."""

    text: str
    left_out: tuple[Record, ...]


def uid(record: Record) -> str:
    return f"{record.uuid}@{UID_DOMAIN}"


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC) if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _stored_time(text: str | None) -> dt.datetime | None:
    """A stored ISO time in UTC, or None when absent or unreadable."""
    if not text:
        return None
    try:
        return _utc(dt.datetime.fromisoformat(text))
    except ValueError:
        return None


def _description(lines: list[tuple[str, str | None]], lang: str) -> str:
    return "\n".join(f"{text_label(key, lang)}: {value}" for key, value in lines if value)


def _calendar(name: str, ctx: ExportContext) -> Calendar:
    from icalendar import Calendar

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", text_label(name, ctx.lang))
    return calendar


def _stamp(component: Component, record: Record, ctx: ExportContext) -> None:
    component.add("uid", uid(record))
    component.add("dtstamp", _utc(ctx.now))
    modified = _stored_time(record.updated)
    if modified is not None:
        component.add("last-modified", modified)


def meeting_event(meeting: Meeting, ctx: ExportContext) -> Component:
    from icalendar import Event

    lang = ctx.lang
    start = meeting.date.first_day()
    end = meeting.end_date
    last = end.first_day() if end is not None and end.precision == Precision.DAY else start
    event = Event()
    _stamp(event, meeting, ctx)
    event.add("dtstart", start)
    event.add("dtend", last + dt.timedelta(days=1))
    event.add("summary", clean(meeting.title))
    if meeting.location:
        event.add("location", clean(meeting.location))
    description = _description(
        [
            ("kind", status_name(meeting.kind.value, lang)),
            ("status", status_name(meeting.status.value, lang)),
            ("host", meeting.host),
            ("delegations", delegations_text(meeting)),
            ("ref", meeting.ref_text),
            ("summary", meeting.summary),
        ],
        lang,
    )
    event.add("description", clean(description))
    event.add("categories", [status_name(meeting.kind.value, lang)])
    event.add("status", EVENT_STATUS[meeting.status])
    event.add("class", ACCESS_CLASS[meeting.level])
    return event


def action_todo(action: Action, ctx: ExportContext) -> Component:
    from icalendar import Todo

    assert action.due is not None, "undated actions are left out before this"
    lang = ctx.lang
    notes = "".join(f"\n- {note.at[:10]}: {note.text}" for note in action.notes)
    todo = Todo()
    _stamp(todo, action, ctx)
    created = _stored_time(action.created)
    if created is not None:
        todo.add("created", created)
    todo.add("due", action.due)
    todo.add("summary", clean(action.title))
    description = _description(
        [
            ("party", status_name(action.party, lang)),
            ("owner", action.owner),
            ("meeting", ctx.meeting_titles.get(action.meeting_id)),
            ("topic", ctx.topic_name(action)),
            ("completed", action.completed.isoformat() if action.completed else None),
        ],
        lang,
    )
    if notes:
        description += f"\n{text_label('notes', lang)}:{notes}"
    todo.add("description", clean(description.strip("\n")))
    todo.add("status", TODO_STATUS[action.status])
    todo.add("priority", TODO_PRIORITY[action.priority])
    todo.add("class", ACCESS_CLASS[action.level])
    if action.status == ActionStatus.DONE:
        todo.add("percent-complete", 100)
    return todo


def meetings_ics(meetings: Sequence[Meeting], ctx: ExportContext) -> IcsExport:
    calendar = _calendar("meetings", ctx)
    left_out: list[Record] = []
    for meeting in meetings:
        if meeting.date.precision != Precision.DAY:
            left_out.append(meeting)
            continue
        calendar.add_component(meeting_event(meeting, ctx))
    return IcsExport(calendar.to_ical().decode("utf-8"), tuple(left_out))


def actions_ics(actions: Sequence[Action], ctx: ExportContext) -> IcsExport:
    calendar = _calendar("actions", ctx)
    left_out: list[Record] = []
    for action in actions:
        if action.due is None:
            left_out.append(action)
            continue
        calendar.add_component(action_todo(action, ctx))
    return IcsExport(calendar.to_ical().decode("utf-8"), tuple(left_out))

"""iCalendar (RFC 5545): meetings as all-day events, dated actions as to-dos.

* A meeting known to the day is a VEVENT with ``DTSTART;VALUE=DATE`` and an
  exclusive ``DTEND`` (the day after its last day; none after 9999-12-31, where an
  event without one lasts its one day). A meeting known only to the
  month (or year) has no day to put in a calendar: it is left out, and returned
  in ``left_out`` so the caller can say so. A day-precise start with a
  month-precise end is shown on its first day only.
* An action with a due date is a VTODO with ``DUE;VALUE=DATE``; undated actions
  are left out the same way.
* ``UID`` is ``<record uuid>@consular-dialogue``, so importing a newer export
  updates the entries instead of duplicating them; ``DTSTAMP`` is the ``now``
  passed in, never the clock, so the same data gives the same file.
* Text values escape ``\\ ; ,`` and write line breaks as ``\\n`` (3.3.11); lines
  longer than 75 octets are folded (3.1), never inside a character or an escape.
  Control and bidi characters, which RFC 5545 text may not contain, are first made
  visible (``\\x1b``, ``\\u202e``), so SUMMARY reads back as that text.

The lines are written here rather than by the icalendar library, which builds an
object per property and folds a line a character at a time: L's 19,857 open actions
took about six times as long with it. Properties come in the order it wrote them, and
lines are folded where it folded them but next to a backslash or a ``^`` (it could cut
an escaped backslash in two). Two more differences, where it lost text: it read
``\\N`` in a text as a line break (``C:\\Nuevo`` came back ``C:`` and ``uevo``), and
dropped a byte-order mark (U+FEFF) that began one. The tests read every file back
with it.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Sequence
from typing import NamedTuple

from ..dates import Precision
from ..errors import InputError
from ..i18n import status_name
from ..models import Action, ActionStatus, Level, Meeting, MeetingStatus, Priority, Record
from ..text import clean
from .context import ExportContext
from .table import delegations_text, text_label

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


class IcsExport(NamedTuple):
    """The calendar text, and the records that could not be put in it."""

    text: str
    left_out: tuple[Record, ...]


def uid(record: Record) -> str:
    return f"{record.uuid}@{UID_DOMAIN}"


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC) if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _stored_moment(text: str | None) -> str | None:
    """A stored ISO time in UTC, in the ``Z`` form (``_moment``); None when absent or
    unreadable (or out of range in UTC: 0001-01-01T00:00+01:00)."""
    if not text:
        return None
    try:
        return _moment(dt.datetime.fromisoformat(text))
    except (ValueError, OverflowError):
        return None


def _text(value: str) -> str:
    """A TEXT value (RFC 5545 3.3.11) of text ``clean`` made inert, or of our own: it
    holds no CR (``clean`` reads one as a line break)."""
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


@functools.cache  # 18,000 to-dos of L are due on 4,000 days
def _day(day: dt.date) -> str:
    return f"{day.year:04}{day.month:02}{day.day:02}"


def _moment(moment: dt.datetime) -> str:
    """A time in UTC (the ``Z`` form), to the second."""
    # ISO's first 19 characters are YYYY-MM-DDTHH:MM:SS at every year (0001-9999), with
    # or without microseconds after them (isoformat's own choice is the faster call).
    iso = _utc(moment).isoformat()[:19]
    return iso.replace("-", "").replace(":", "") + "Z"


@functools.lru_cache(maxsize=1)
def _stamp(now: dt.datetime) -> str:
    """Every entry's DTSTAMP: the export's now, made once."""
    try:
        return _moment(now)
    except OverflowError:  # 0001-01-01T00:00+01:00 is before year 1 in UTC
        raise InputError(
            f"The time {now.isoformat()} is outside the years an iCalendar file can hold "
            "in UTC (1 to 9999); set CDT_NOW to a time within them."
        ) from None


_FOLDED = 74  # octets a folded line holds, before the next line's leading space
_CONTINUATION = 0b1100_0000  # the top bits of a UTF-8 byte inside a character: 10


def _fold(line: str) -> str:
    """A content line in lines of at most 75 octets (RFC 5545 3.1), each after the
    first starting with a space. A line is never cut inside a character, nor inside an
    escape (``\\;``, ``\\n``, ``\\\\``), which some readers would not put together again."""
    raw = line.encode()
    if len(raw) <= _FOLDED:
        return line
    pieces: list[bytes] = []
    start = 0
    while len(raw) - start > _FOLDED:
        cut = start + _FOLDED
        while raw[cut] & _CONTINUATION == 0b1000_0000:
            cut -= 1
        backslashes = cut - len(raw[start:cut].rstrip(b"\\")) - start
        if backslashes % 2:  # the last one begins an escape: it goes to the next line
            cut -= 1
        pieces.append(raw[start:cut])
        start = cut
    pieces.append(raw[start:])
    return b"\r\n ".join(pieces).decode()


Properties = list[tuple[str, str]]


def _line(name: str, value: str) -> str:
    """A content line, folded when it must be: most (a stamp, a status, a date) are short
    ASCII, and need no ``_fold`` call."""
    line = f"{name}:{value}"
    return line if len(line) <= _FOLDED and line.isascii() else _fold(line)


def _component(name: str, properties: Properties) -> list[str]:
    """A component's lines; ``properties`` are (name, value as written)."""
    return [f"BEGIN:{name}", *[_line(key, value) for key, value in properties], f"END:{name}"]


def _calendar(
    name: str, components: Sequence[str], ctx: ExportContext, *, head: bool = True, end: bool = True
) -> str:
    """The calendar around ``components``: texts of whole lines (``_lines_text``); its
    head left out without ``head``, and its end without ``end`` (a share of it)."""
    properties = [
        ("VERSION", "2.0"),
        ("PRODID", PRODID),
        ("CALSCALE", "GREGORIAN"),
        ("X-WR-CALNAME", _text(text_label(name, ctx.lang))),
    ]
    *start, last = _component("VCALENDAR", properties)
    return "".join(
        [_lines_text(start) if head else "", *components, _lines_text([last]) if end else ""]
    )


def _lines_text(lines: list[str]) -> str:
    """Content lines as a calendar holds them, each ended by CRLF."""
    return "\r\n".join(lines) + "\r\n" if lines else ""


def _time(name: str, stamp: str | None) -> Properties:
    """A property of a time in the ``Z`` form (``_stored_moment``), if there is one."""
    return [] if stamp is None else [(name, stamp)]


_EVENT_FIELDS = ("kind", "status", "host", "delegations", "ref", "summary")
_TODO_FIELDS = ("party", "owner", "meeting", "topic", "completed")


@functools.lru_cache(maxsize=4)
def _labels(fields: tuple[str, ...], lang: str) -> tuple[str, ...]:
    return tuple(text_label(key, lang) for key in fields)


def _description(labels: tuple[str, ...], values: tuple[str | None, ...]) -> str:
    """A ``Label: value`` line for each field with a value; the labels (``_labels``) are
    looked up once per language (an export describes thousands of to-dos)."""
    return "\n".join(
        [f"{key}: {value}" for key, value in zip(labels, values, strict=True) if value]
    )


_DAY = dt.timedelta(days=1)


def meeting_event(meeting: Meeting, ctx: ExportContext) -> list[str]:
    lang = ctx.lang
    start = meeting.date.first_day()
    end = meeting.end_date
    last = end.first_day() if end is not None and end.precision == Precision.DAY else start
    kind = status_name(meeting.kind.value, lang)
    description = _description(
        _labels(_EVENT_FIELDS, lang),
        (
            kind,
            status_name(meeting.status.value, lang),
            meeting.host,
            delegations_text(meeting),
            meeting.ref_text,
            meeting.summary,
        ),
    )
    location = [("LOCATION", _text(clean(meeting.location)))] if meeting.location else []
    # As the icalendar library wrote an event's: these five first, then by name.
    return _component(
        "VEVENT",
        [
            ("SUMMARY", _text(clean(meeting.title))),
            ("DTSTART;VALUE=DATE", _day(start)),
            *([] if last == dt.date.max else [("DTEND;VALUE=DATE", _day(last + _DAY))]),
            ("DTSTAMP", _stamp(ctx.now)),
            ("UID", _text(clean(uid(meeting)))),
            ("CATEGORIES", _text(kind)),
            ("CLASS", ACCESS_CLASS[meeting.level]),
            ("DESCRIPTION", _text(clean(description))),
            *_time("LAST-MODIFIED", _stored_moment(meeting.updated)),
            *location,
            ("STATUS", EVENT_STATUS[meeting.status]),
        ],
    )


def _todo_maker(ctx: ExportContext) -> Callable[[Action], list[str]]:
    """An action's VTODO, its properties by name as the icalendar library wrote them,
    for each action of one export: what is the same for all of them (the labels) is
    looked up once, and each side's name and due day written once.

    Its lines are written one by one rather than through ``_component``: an export
    writes thousands, and only the description, the summary and the UID can be long.
    """
    lang = ctx.lang
    labels = _labels(_TODO_FIELDS, lang)
    notes_label = f"\n{text_label('notes', lang)}:"
    parties: dict[str, str] = {}
    meeting_titles, topic_name = ctx.meeting_titles, ctx.topic_name

    def todo(action: Action) -> list[str]:
        assert action.due is not None, "undated actions are left out before this"
        party = parties.get(action.party)
        if party is None:
            party = parties[action.party] = status_name(action.party, lang)
        completed = action.completed.isoformat() if action.completed else None
        description = _description(
            labels,
            (party, action.owner, meeting_titles.get(action.meeting_id), topic_name(action),
             completed),
        )  # fmt: skip
        if action.notes:
            notes = "".join([f"\n- {note.at[:10]}: {note.text}" for note in action.notes])
            description += notes_label + notes
        created = _stored_moment(action.created)
        updated = _stored_moment(action.updated)
        return [
            "BEGIN:VTODO",
            f"CLASS:{ACCESS_CLASS[action.level]}",
            *([] if created is None else [f"CREATED:{created}"]),
            _line("DESCRIPTION", _text(clean(description.strip("\n")))),
            # Made by the first to-do (and cached): an export of none writes no stamp,
            # which a `now` outside UTC's calendar could not be.
            f"DTSTAMP:{_stamp(ctx.now)}",
            f"DUE;VALUE=DATE:{_day(action.due)}",
            *([] if updated is None else [f"LAST-MODIFIED:{updated}"]),
            *(["PERCENT-COMPLETE:100"] if action.status == ActionStatus.DONE else []),
            f"PRIORITY:{TODO_PRIORITY[action.priority]}",
            f"STATUS:{TODO_STATUS[action.status]}",
            _line("SUMMARY", _text(clean(action.title))),
            _line("UID", _text(clean(uid(action)))),
            "END:VTODO",
        ]

    return todo


def meetings_ics(meetings: Sequence[Meeting], ctx: ExportContext) -> IcsExport:
    components: list[str] = []
    left_out: list[Record] = []
    for meeting in meetings:
        if meeting.date.precision != Precision.DAY:
            left_out.append(meeting)
            continue
        components += meeting_event(meeting, ctx)
    return IcsExport(_calendar("meetings", [_lines_text(components)], ctx), tuple(left_out))


def actions_ics(
    actions: Sequence[Action], ctx: ExportContext, *, share: int | None = None
) -> IcsExport:
    """The dated actions as to-dos, in their order, and the undated ones left out.

    Of ``share`` 0, the calendar's head and the first half of the to-dos; of share 1,
    the rest and its end: one after the other, they are the whole text. Share 1 names
    nothing left out (share 0 names it all)."""
    dated = [a for a in actions if a.due is not None]
    if share is not None:
        half = len(dated) // 2
        dated = dated[:half] if share == 0 else dated[half:]
    todo = _todo_maker(ctx)
    lines: list[str] = []
    for action in dated:
        lines += todo(action)
    text = _calendar("actions", [_lines_text(lines)], ctx, head=share != 1, end=share != 0)
    left_out = () if share == 1 else tuple(a for a in actions if a.due is None)
    return IcsExport(text, left_out)

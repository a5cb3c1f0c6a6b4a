"""The records the tracker keeps, as typed dataclasses, and their validation.

Records travel to storage and to JSON as plain dicts (``to_record`` /
``from_record``); dates are ISO strings there and ``PartialDate``/``date`` here.
Nothing in this module knows about TinyDB, Typer or Rich.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
import uuid as uuid_module
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import chain
from operator import itemgetter
from typing import Any, ClassVar, NamedTuple, Self, TypeVar

from .dates import PartialDate
from .errors import InputError
from .jsonout import join_json_list, objects_in_json_list


class MeetingKind(StrEnum):
    ANNUAL = "annual"
    INTERMEDIATE = "intermediate"
    WORKING_GROUP = "working-group"
    EXTRAORDINARY = "extraordinary"
    OTHER = "other"


class MeetingStatus(StrEnum):
    PLANNED = "planned"
    HELD = "held"
    POSTPONED = "postponed"
    CANCELLED = "cancelled"


class AgendaStatus(StrEnum):
    PENDING = "pending"
    DISCUSSED = "discussed"
    AGREED = "agreed"
    IN_PROGRESS = "in-progress"
    REFERRED = "referred"
    DEFERRED = "deferred"
    RESOLVED = "resolved"
    DROPPED = "dropped"

    @property
    def is_open(self) -> bool:
        return self not in _CLOSED_ITEMS


class ActionStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in-progress"
    BLOCKED = "blocked"
    DONE = "done"
    CANCELLED = "cancelled"

    @property
    def is_finished(self) -> bool:
        return self in _FINISHED


# Sets of members, not ``(ActionStatus.DONE, ...)`` in the properties: a member looked up
# on its class costs ten times the test, and a list of 100,000 actions asks each.
_CLOSED_ITEMS = frozenset({AgendaStatus.RESOLVED, AgendaStatus.DROPPED})
_FINISHED = frozenset({ActionStatus.DONE, ActionStatus.CANCELLED})


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"


class Level(StrEnum):
    """Sensitivity: what may leave the office."""

    PUBLIC = "public"
    INTERNAL = "internal"
    RESTRICTED = "restricted"

    @property
    def rank(self) -> int:
        return list(Level).index(self)


JOINT = "joint"

E = TypeVar("E", bound=StrEnum)


def parse_choice(enum: type[E], text: str, what: str) -> E:
    """Read one of an enum's values, or say which values exist."""
    try:
        return enum(text.strip().lower())
    except ValueError:
        choices = ", ".join(member.value for member in enum)
        raise InputError(f"Unknown {what} {text!r}; use one of: {choices}.") from None


def _member(kind: type[E], value: Any) -> E:
    """``kind(value)`` for a stored value, without Enum's call machinery, which shows
    when 100,000 records are read."""
    member = kind._value2member_map_.get(value) if isinstance(value, str) else None
    return member if member is not None else kind(value)  # type: ignore[return-value]


def new_uuid() -> str:
    return str(uuid_module.uuid4())


def iso_time(moment: dt.datetime) -> str:
    """Times are stored as ISO 8601 with offset, to the second."""
    return moment.isoformat(timespec="seconds")


class _Unmarked(dict[int, "int | None"]):
    """Code point -> itself, or None for a combining mark: ``str.translate``'s table,
    filled as characters are met (a search folds every title and note it reads)."""

    def __missing__(self, code: int) -> int | None:
        kept = None if unicodedata.combining(chr(code)) else code
        self[code] = kept
        return kept


_UNMARKED = _Unmarked()


# The combining marks of Latin accents: U+0300-U+036F, but for U+034F, which is not one.
_LATIN_MARKS = re.compile("[\u0300-\u034e\u0350-\u036f]")


def fold_text(text: str) -> str:
    """Lower-case and strip accents, so ``accion`` finds ``acción``."""
    if text.isascii():
        return text.lower()
    fast = _by_latin1(text, _unicode_fold)
    return fast if fast is not None else _unicode_fold(text)


def _unicode_fold(text: str) -> str:
    decomposed = _LATIN_MARKS.sub("", unicodedata.normalize("NFKD", text.casefold()))
    # Spanish (Latin) text is ASCII once its accents are gone: no need to look at each
    # character in Python for other marks.
    return decomposed if decomposed.isascii() else decomposed.translate(_UNMARKED)


def fold_to_ascii(text: str) -> str:
    """``fold_text`` with every character that is not ASCII dropped: a cheaper first
    test for a query that folds to ASCII (Spanish titles are full of accents).

    Dropping characters never joins letters that were not side by side in the folded
    text, except around a character that is not ASCII (``a–b`` gives ``ab``): a text
    whose fold holds such a query holds it here too, and a few more pass.
    """
    if text.isascii():
        return text.lower()
    fast = _by_latin1(text, _unicode_fold_to_ascii)
    return fast if fast is not None else _unicode_fold_to_ascii(text)


def _unicode_fold_to_ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text.casefold()).encode("ascii", "ignore").decode()


# Both folds take one character at a time, so a text of Latin-1 characters (Spanish)
# folds by a byte table in C, in a fraction of the time of Unicode normalisation. The
# tables are made by normalising each character, so the two ways cannot disagree;
# the few characters that fold to more than one (ß, ½) or beyond Latin-1 (µ) are left
# as they are by the table and to Unicode normalisation by ``_by_latin1``.
_Latin1Folds = tuple[bytes, bytes, "re.Pattern[bytes]"]


@functools.cache
def _latin1_folds(fold: Callable[[str], str]) -> _Latin1Folds:
    """``bytes.translate``'s table and deletions for ``fold``, and a pattern of the
    characters it cannot fold so; made when a first text is not ASCII (1 ms)."""
    table, deleted, others = bytearray(range(256)), bytearray(), bytearray()
    for code in range(256):
        folded = fold(chr(code))
        if not folded:
            deleted.append(code)
        elif len(folded) == 1 and ord(folded) < 256:
            table[code] = ord(folded)
        else:
            others.append(code)
    pattern = b"[" + re.escape(bytes(others)) + b"]" if others else b"(?!)"
    return bytes(table), bytes(deleted), re.compile(pattern)


def _by_latin1(text: str, fold: Callable[[str], str]) -> str | None:
    """``text`` folded by the tables of ``fold``; None when it is not all Latin-1 they
    can fold."""
    table, deleted, others = _latin1_folds(fold)
    raw = text.encode("latin-1", "ignore")  # not raising: text beyond it costs little more
    if len(raw) != len(text):
        return None
    folded = raw.translate(table, deleted)
    # A character the table leaves is not ASCII: look for one only where there are such.
    if not folded.isascii() and others.search(folded) is not None:
        return None
    return folded.decode("latin-1")


def require_text(value: str, what: str, *, max_length: int = 2000) -> str:
    """Refuse empty or absurdly long user text; keep everything else as typed."""
    cleaned = value.strip()
    if not cleaned:
        raise InputError(f"The {what} is empty; give some text.")
    if len(cleaned) > max_length:
        raise InputError(
            f"The {what} is {len(cleaned)} characters long; keep it under {max_length}."
        )
    if "\x00" in cleaned:
        raise InputError(f"The {what} contains a NUL byte; remove it.")
    return cleaned


def optional_text(value: str | None, what: str, *, max_length: int = 10000) -> str | None:
    if value is None or not value.strip():
        return None
    return require_text(value, what, max_length=max_length)


def _date(value: Any) -> PartialDate | None:
    return None if value is None else PartialDate.from_iso(value)


def _day(value: Any) -> dt.date | None:
    return None if value is None else dt.date.fromisoformat(value)


def _iso(value: PartialDate | dt.date | None) -> str | None:
    if value is None:
        return None
    return value.iso if isinstance(value, PartialDate) else value.isoformat()


@dataclass
class Record:
    """Fields every stored record has: a short per-kind id and a stable UUID."""

    KIND: ClassVar[str] = ""
    TABLE: ClassVar[str] = ""
    LABEL: ClassVar[str] = ""  # how messages name the kind ("agenda item 3"); KIND when empty

    id: int = 0
    uuid: str = field(default_factory=new_uuid)
    updated: str | None = None

    @classmethod
    def label(cls) -> str:
        return cls.LABEL or cls.KIND

    @property
    def ref(self) -> str:
        return f"{self.label()} {self.id}"

    def touch(self, before: dict[str, Any], now: dt.datetime) -> bool:
        """Stamp ``updated`` only when the record differs from ``before``; say whether it did.

        An edit that changes nothing must not rewrite the file or add a history entry.
        """
        if self.to_record() == before:
            return False
        self.updated = iso_time(now)
        return True

    def to_record(self) -> dict[str, Any]:
        raise NotImplementedError

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Self:
        raise NotImplementedError


@dataclass
class Dialogue(Record):
    """A bilateral dialogue mechanism: its parties and when it was set up."""

    KIND: ClassVar[str] = "dialogue"
    TABLE: ClassVar[str] = "dialogues"

    key: str = ""
    name: str = ""
    parties: list[str] = field(default_factory=list)
    established: PartialDate | None = None
    notes: str | None = None

    def to_record(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "key": self.key,
            "uuid": self.uuid,
            "name": self.name,
            "parties": list(self.parties),
            "established": _iso(self.established),
            "notes": self.notes,
            "updated": self.updated,
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Self:
        return cls(
            id=record["id"],
            uuid=record["uuid"],
            updated=record.get("updated"),
            key=record["key"],
            name=record["name"],
            parties=list(record["parties"]),
            established=_date(record.get("established")),
            notes=record.get("notes"),
        )


@dataclass
class Topic(Record):
    """A standing subject of the dialogue, named in both languages."""

    KIND: ClassVar[str] = "topic"
    TABLE: ClassVar[str] = "topics"

    slug: str = ""
    name_es: str = ""
    name_en: str = ""

    def name(self, lang: str) -> str:
        return self.name_es if lang == "es" else self.name_en

    def to_record(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "slug": self.slug,
            "uuid": self.uuid,
            "name_es": self.name_es,
            "name_en": self.name_en,
            "updated": self.updated,
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Self:
        return cls(
            id=record["id"],
            uuid=record["uuid"],
            updated=record.get("updated"),
            slug=record["slug"],
            name_es=record["name_es"],
            name_en=record["name_en"],
        )


@dataclass
class Delegation:
    """One side at a meeting: its head (name and title) and members."""

    party: str
    head: str | None = None
    title: str | None = None
    members: list[str] = field(default_factory=list)

    def to_record(self) -> dict[str, Any]:
        return {
            "party": self.party,
            "head": self.head,
            "title": self.title,
            "members": list(self.members),
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Delegation:
        return cls(
            party=record["party"],
            head=record.get("head"),
            title=record.get("title"),
            members=list(record.get("members") or []),
        )


@dataclass
class Meeting(Record):
    """One meeting of a dialogue: kind, dates, place, status and delegations."""

    KIND: ClassVar[str] = "meeting"
    TABLE: ClassVar[str] = "meetings"

    dialogue: str = ""
    title: str = ""
    kind: MeetingKind = MeetingKind.OTHER
    date: PartialDate = field(default_factory=lambda: PartialDate(2000))
    end_date: PartialDate | None = None
    location: str | None = None
    host: str | None = None
    status: MeetingStatus = MeetingStatus.PLANNED
    ref_text: str | None = None
    summary: str | None = None
    delegations: list[Delegation] = field(default_factory=list)
    level: Level = Level.INTERNAL
    sources: dict[str, str] = field(default_factory=dict)

    def sort_key(self) -> tuple[dt.date, int]:
        return (self.date.first_day(), self.id)

    def delegation(self, party: str) -> Delegation | None:
        return next((d for d in self.delegations if d.party == party), None)

    def to_record(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "uuid": self.uuid,
            "dialogue": self.dialogue,
            "title": self.title,
            "kind": self.kind.value,
            "date": self.date.iso,
            "end_date": _iso(self.end_date),
            "location": self.location,
            "host": self.host,
            "status": self.status.value,
            "ref": self.ref_text,
            "summary": self.summary,
            "delegations": [d.to_record() for d in self.delegations],
            "level": self.level.value,
            "sources": dict(self.sources),
            "updated": self.updated,
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Self:
        return cls(
            id=record["id"],
            uuid=record["uuid"],
            updated=record.get("updated"),
            dialogue=record["dialogue"],
            title=record["title"],
            kind=_member(MeetingKind, record["kind"]),
            date=PartialDate.from_iso(record["date"]),
            end_date=_date(record.get("end_date")),
            location=record.get("location"),
            host=record.get("host"),
            status=_member(MeetingStatus, record["status"]),
            ref_text=record.get("ref"),
            summary=record.get("summary"),
            delegations=[Delegation.from_record(d) for d in record.get("delegations") or []],
            level=_member(Level, record.get("level", "internal")),
            sources=dict(record.get("sources") or {}),
        )


@dataclass
class AgendaItem(Record):
    """An item of a meeting's agenda, with its status and where it came from."""

    KIND: ClassVar[str] = "agenda"
    TABLE: ClassVar[str] = "agenda_items"
    LABEL: ClassVar[str] = "agenda item"

    meeting_id: int = 0
    position: int = 1
    title: str = ""
    topic: str | None = None
    status: AgendaStatus = AgendaStatus.PENDING
    outcome: str | None = None
    lead: str | None = None
    carried_from: int | None = None
    level: Level = Level.INTERNAL

    def to_record(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "uuid": self.uuid,
            "meeting_id": self.meeting_id,
            "position": self.position,
            "title": self.title,
            "topic": self.topic,
            "status": self.status.value,
            "outcome": self.outcome,
            "lead": self.lead,
            "carried_from": self.carried_from,
            "level": self.level.value,
            "updated": self.updated,
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Self:
        return cls(
            id=record["id"],
            uuid=record["uuid"],
            updated=record.get("updated"),
            meeting_id=record["meeting_id"],
            position=record["position"],
            title=record["title"],
            topic=record.get("topic"),
            status=_member(AgendaStatus, record["status"]),
            outcome=record.get("outcome"),
            lead=record.get("lead"),
            carried_from=record.get("carried_from"),
            level=_member(Level, record.get("level", "internal")),
        )


@dataclass
class Note:
    """A dated note on an action, with its sensitivity."""

    at: str
    text: str
    level: Level = Level.INTERNAL

    def to_record(self) -> dict[str, Any]:
        return {"at": self.at, "text": self.text, "level": self.level._value_}

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Note:
        return cls(
            at=record["at"],
            text=record["text"],
            level=_member(Level, record.get("level", "internal")),
        )


@dataclass
class Change:
    """One change of a tracked action field (status, owner, due)."""

    at: str
    field: str
    old: str | None
    new: str | None

    def to_record(self) -> dict[str, Any]:
        return {"at": self.at, "field": self.field, "from": self.old, "to": self.new}

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Change:
        return cls(at=record["at"], field=record["field"], old=record["from"], new=record["to"])


@dataclass
class Action(Record):
    """A follow-up action: what, which side and office, by when, and its history."""

    KIND: ClassVar[str] = "action"
    TABLE: ClassVar[str] = "actions"

    meeting_id: int = 0
    item_id: int | None = None
    title: str = ""
    party: str = JOINT
    owner: str | None = None
    due: dt.date | None = None
    status: ActionStatus = ActionStatus.OPEN
    priority: Priority = Priority.NORMAL
    created: str = ""
    completed: dt.date | None = None
    notes: list[Note] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    level: Level = Level.INTERNAL

    @staticmethod
    def stored_unfinished(record: dict[str, Any]) -> bool:
        """Whether a stored action is unfinished, read without building the model."""
        return record["status"] not in _FINISHED_ACTIONS

    def is_overdue(self, today: dt.date) -> bool:
        return overdue_on(self.due, self.status, today)

    def to_json(self, today: dt.date) -> dict[str, Any]:
        """The documented JSON shape: the stored record plus whether it is overdue."""
        record = self.to_record()
        record["overdue"] = self.is_overdue(today)
        return record

    def to_record(self) -> dict[str, Any]:
        # Enums by ``_value_``, the attribute ``.value`` reads through a descriptor: a
        # --json list of 20,000 actions reads 80,000 of them.
        due, completed = self.due, self.completed
        return {
            "id": self.id,
            "uuid": self.uuid,
            "meeting_id": self.meeting_id,
            "item_id": self.item_id,
            "title": self.title,
            "party": self.party,
            "owner": self.owner,
            "due": None if due is None else due.isoformat(),
            "status": self.status._value_,
            "priority": self.priority._value_,
            "created": self.created,
            "updated": self.updated,
            "completed": None if completed is None else completed.isoformat(),
            "notes": [n.to_record() for n in self.notes],
            "changes": [c.to_record() for c in self.changes],
            "level": self.level._value_,
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Self:
        # Inlined where it shows: a search or a timeline at L builds 100,000 actions.
        # Fields are read in their order, so that a record damaged in several places is
        # refused for the first of them, as always.
        record_id = record["id"]
        get = record.get
        uuid, updated = record["uuid"], get("updated")
        meeting_id, item_id, title = record["meeting_id"], get("item_id"), record["title"]
        party, owner, due = record["party"], get("owner"), get("due")
        due = None if due is None else _from_iso(due)
        status = _action_status(record["status"])
        priority = _priority(get("priority", "normal"))
        created, completed = record["created"], get("completed")
        completed = None if completed is None else _from_iso(completed)
        notes, changes = _notes(get("notes")), get("changes")
        changes = [Change.from_record(c) for c in changes] if changes else []
        try:
            level = _LEVELS[get("level", "internal")]
        except (KeyError, TypeError):
            level = _member(Level, get("level", "internal"))
        return cls(
            id=record_id,
            uuid=uuid,
            updated=updated,
            meeting_id=meeting_id,
            item_id=item_id,
            title=title,
            party=party,
            owner=owner,
            due=due,
            status=status,
            priority=priority,
            created=created,
            completed=completed,
            notes=notes,
            changes=changes,
            level=level,
        )


def meeting_title(record: dict[str, Any]) -> tuple[int, str]:
    """A stored meeting's id and title, as ``Meeting.from_record`` reads them (an
    export names an action's meeting; it needs no more of it)."""
    return record["id"], record["title"]


class MeetingLine(NamedTuple):
    """What a row naming a meeting shows of it (its title, kind, dates and status), built
    from its stored record without its delegations: an action timeline names 5,000
    meetings. Its values are those of ``Meeting.from_record``."""

    id: int
    title: str
    kind: MeetingKind
    date: PartialDate
    end_date: PartialDate | None
    status: MeetingStatus

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> MeetingLine:
        return cls(
            record["id"],
            record["title"],
            _member(MeetingKind, record["kind"]),
            PartialDate.from_iso(record["date"]),
            _date(record.get("end_date")),
            _member(MeetingStatus, record["status"]),
        )

    def sort_key(self) -> tuple[dt.date, int]:
        """``Meeting.sort_key`` of the meeting."""
        return (self.date.first_day(), self.id)


class TimelineMeeting(NamedTuple):
    """What the meeting timeline shows of a meeting and filters it on (its dialogue),
    built from its stored record: L's 5,000 meetings took 43 ms more to build as models
    than their parts took to read. Its values are those of ``Meeting.from_record``; a
    head is a delegation's (party, head, title)."""

    id: int
    dialogue: str
    title: str
    kind: MeetingKind
    date: PartialDate
    end_date: PartialDate | None
    location: str | None
    host: str | None
    status: MeetingStatus
    heads: tuple[tuple[str, str | None, str | None], ...]

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> TimelineMeeting:
        get = record.get
        return cls(
            record["id"],
            record["dialogue"],
            record["title"],
            _member(MeetingKind, record["kind"]),
            PartialDate.from_iso(record["date"]),
            _date(get("end_date")),
            get("location"),
            get("host"),
            _member(MeetingStatus, record["status"]),
            tuple([(d["party"], d.get("head"), d.get("title")) for d in get("delegations") or []]),
        )


class ItemLine(NamedTuple):
    """What a list of agenda items shows of an item and filters and orders it on, built
    from its stored record without the rest: a list of 20,000 items would otherwise build
    them all as models. Its values are those of ``AgendaItem.from_record``."""

    id: int
    meeting_id: int
    position: int
    title: str
    topic: str | None
    status: AgendaStatus
    outcome: str | None
    lead: str | None
    carried_from: int | None

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> ItemLine:
        get = record.get
        # Read in the order of the fields: a record damaged twice is named by its first
        # fault.
        first = record["id"], record["meeting_id"], record["position"], record["title"]
        topic, status = get("topic"), record["status"]
        try:
            status = _AGENDA_STATUSES[status]
        except (KeyError, TypeError):  # a damaged value: the enum says what is wrong
            status = _member(AgendaStatus, status)
        # The tuple made at once: the class's own ``__new__`` is one more call per item.
        return tuple.__new__(
            cls, (*first, topic, status, get("outcome"), get("lead"), get("carried_from"))
        )


# The stored fields an action's list line is made of, in its order.
LINE_KEYS = ("id", "meeting_id", "item_id", "title", "party", "owner", "due", "status")
# The stored fields of each record that the lines beside a part of its table hold, in
# this order (``storage.part_lines``): all that is read of a record by an action's list
# line; by a row naming a meeting (``MeetingLine``, its dialogue, ``meeting_title``);
# and by an agenda item's list line (``ItemLine``, whose fields are stored under their
# names; ``item_topic``).
PART_LINE_KEYS: dict[str, tuple[str, ...]] = {
    Action.TABLE: LINE_KEYS,
    Meeting.TABLE: ("id", "dialogue", "title", "kind", "date", "end_date", "status"),
    AgendaItem.TABLE: ItemLine._fields,
}


def item_topic(record: dict[str, Any]) -> tuple[int, str | None]:
    """A stored agenda item's id and topic, as ``AgendaItem.from_record`` reads them."""
    return record["id"], record.get("topic")


class ActionLine(NamedTuple):
    """What a list shows of an action and filters it on, built from its stored record
    without the notes and change log: a list of 20,000 actions would otherwise build
    them all for nothing. Its values are those of ``Action.from_record``."""

    id: int
    meeting_id: int
    item_id: int | None
    title: str
    party: str
    owner: str | None
    due: dt.date | None
    status: ActionStatus
    #: The action's JSON, as a JSON list holds it (``all_with_json``).
    json: bytes | None = None

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> ActionLine:
        get = record.get
        due = get("due")
        return cls(
            record["id"],
            record["meeting_id"],
            get("item_id"),
            record["title"],
            record["party"],
            get("owner"),
            None if due is None else _from_iso(due),
            _action_status(record["status"]),
        )

    @classmethod
    def from_values(cls, values: list[Any]) -> ActionLine:
        """``from_record`` of a stored action's values of ``LINE_KEYS``, in that order
        (the data file's lines of its unfinished actions)."""
        action_id, meeting_id, item_id, title, party, owner, due, status = values
        due = None if due is None else _from_iso(due)
        # The tuple made at once, as the class would make it: a list of L has 100,000.
        return tuple.__new__(
            cls,
            (action_id, meeting_id, item_id, title, party, owner, due, _action_status(status),
             None),
        )  # fmt: skip

    @classmethod
    def all_with_json(
        cls,
        records: list[dict[str, Any]],
        today: dt.date,
        listed: Callable[[ActionLine], bool] | None = None,
    ) -> list[ActionLine]:
        """``from_record`` of each record; the lines ``listed`` keeps (every one, without
        it) get their action's JSON (``Action.to_json`` on ``today``), as a JSON list
        holds it (``jsonout.in_json_list``): a list of 100,000 actions keeps the bytes it
        prints, not their dicts. Each record is read as its action reads it: kept as it
        is where it is what ``Action.to_record`` writes from it, as a record this tool
        wrote is; else the action is built from it (and refused if damaged), listed or
        not. ``JSON_RUN`` records at a time, each test and the dump made of them all at
        once: so many fit in a processor's cache, which 20,000 (the data file's at L)
        would not, as each test passes over them."""
        lines: list[ActionLine] = []
        for start in range(0, len(records), JSON_RUN):
            lines += cls._run_with_json(records[start : start + JSON_RUN], today, listed)
        return lines

    @classmethod
    def _run_with_json(
        cls,
        records: list[dict[str, Any]],
        today: dt.date,
        listed: Callable[[ActionLine], bool] | None,
    ) -> list[ActionLine]:
        new = tuple.__new__
        dues = _written_dues(records)
        if dues is None:  # one at least not as this tool writes it: each is read alone
            lines = list(map(cls.from_record, records))
            stored = list(map(_as_stored, records))
        else:  # each one as _as_stored keeps it, told of all at once
            statuses = _ACTION_STATUSES
            lines = [
                new(cls, (i, m, item, title, party, owner, dues[due], statuses[status], None))
                for i, m, item, title, party, owner, due, status in map(_LINE_VALUES, records)
            ]
            stored = records
        chosen: Sequence[int] = range(len(lines))
        if listed is not None:
            chosen = [n for n, line in enumerate(lines) if listed(line)]
            stored = [stored[n] for n in chosen]
        # Each as ``Action.to_json`` makes it: its stored record, then whether it is
        # overdue, written into the record's JSON (a copy of each record would cost more).
        # A stored record holds the keys ``to_record`` writes, never "overdue".
        pieces = objects_in_json_list(stored)
        for n, piece in zip(chosen, pieces, strict=True):
            line = lines[n]
            due, finished = line.due, line.status in _FINISHED
            overdue = due is not None and due < today and not finished
            piece = piece[: -len(_LAST_LINE)] + (_OVERDUE if overdue else _NOT_OVERDUE)
            lines[n] = new(cls, (*line[:-1], piece))  # _replace, without its cost
        return lines

    def is_overdue(self, today: dt.date) -> bool:
        return overdue_on(self.due, self.status, today)

    @staticmethod
    def json_list(lines: Sequence[ActionLine]) -> Iterator[bytes]:
        """The bytes of ``dump_json`` of the lines' actions, from each line's JSON
        (``all_with_json``), made before any is written: a record orjson cannot write
        (nested too deep by hand) leaves no half list on stdout. They are joined
        ``JSON_RUN`` at a time as they are written: fewer, longer writes."""
        pieces = [line.json for line in lines if line.json is not None]
        if len(pieces) != len(lines):
            raise ValueError("a line of this list was built without its JSON (all_with_json)")
        runs = range(0, len(pieces), JSON_RUN)
        return join_json_list(b",\n".join(pieces[start : start + JSON_RUN]) for start in runs)


class ReportAction(NamedTuple):
    """What a report of a whole dialogue or a briefing shows of an action (what a list
    shows, with its priority, the day it was completed and its change log), built from
    its stored record without its notes: a briefing at L shows 19,857 actions. Its
    values are those of ``Action.from_record``, read in the same order."""

    id: int
    meeting_id: int
    item_id: int | None
    title: str
    party: str
    owner: str | None
    due: dt.date | None
    status: ActionStatus
    priority: Priority
    completed: dt.date | None
    changes: list[Change]

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> ReportAction:
        get = record.get
        record_id, meeting_id, item_id = record["id"], record["meeting_id"], get("item_id")
        title, party, owner, due = record["title"], record["party"], get("owner"), get("due")
        due = None if due is None else _from_iso(due)
        status = _action_status(record["status"])
        priority = _priority(get("priority", "normal"))
        completed = get("completed")
        completed = None if completed is None else _from_iso(completed)
        changes = get("changes")
        changes = [Change.from_record(c) for c in changes] if changes else []
        return cls(
            record_id, meeting_id, item_id, title, party, owner, due, status, priority,
            completed, changes,
        )  # fmt: skip


def _as_stored(record: dict[str, Any]) -> dict[str, Any]:
    """The record as ``Action.to_record`` writes it: ``record`` itself when it is so, as
    a record this tool wrote is; else the action is built (and refused if damaged)."""
    return record if _written_dues([record]) is not None else Action.from_record(record).to_record()


_ACTION_KEYS = tuple(Action(uuid="").to_record())  # the order to_record writes
_NOTE_KEYS = ("at", "text", "level")
_CHANGE_KEYS = ("at", "field", "from", "to")


JSON_RUN = 1000  # actions read and dumped at a time in a JSON list, and joined to write

# What ``in_json_list`` writes last of an action's record (in a list, one level in), and
# what ``to_json`` writes there instead: its record's keys, then whether it is overdue.
_LAST_LINE = b"\n  }"
_OVERDUE, _NOT_OVERDUE = (b',\n    "overdue": %s\n  }' % word for word in (b"true", b"false"))
# An action's values of a list line, in ``ActionLine``'s order, from its stored record.
_LINE_VALUES = itemgetter(*ActionLine._fields[:-1])
# Its values that ``_written_dues`` tells apart by their kind, and the lists it holds.
_CHECKED_VALUES = itemgetter("status", "priority", "level", "completed", "due")
_HELD = ("notes", "changes")


def _written_dues(records: list[dict[str, Any]]) -> dict[Any, dt.date | None] | None:
    """Each stored due date of ``records`` read as a day, where each record reads as a
    line (a status that is one, a due date that is a day) and is what
    ``Action.from_record(record).to_record()`` writes, the order of keys included: a
    record this tool wrote, which ``ActionLine.all_with_json`` keeps as it is. Else None, and so too where a value is one no set holds (a list where a string is
    due: those records are read one at a time, and refused as they are). Told a field
    at a time across all the records, each different value once, in C loops: a list of
    every action asks it of 100,000."""
    try:
        if not records:
            return {}
        if set(map(type, records)) != {dict} or set(map(tuple, records)) != {_ACTION_KEYS}:
            return None
        fields = zip(*map(_CHECKED_VALUES, records), strict=True)
        statuses, priorities, levels, completed, due_values = map(set, fields)
        notes, changes = (set(map(type, map(itemgetter(held), records))) for held in _HELD)
        if not (
            all(type(v) is str and v in _ACTION_STATUSES for v in statuses)
            and all(type(v) is str and v in _PRIORITIES for v in priorities)
            and all(map(_is_level, levels))
            and all(v is None or _is_iso_day(v) for v in completed)
            and all(v is None or _is_iso_day(v) for v in due_values)
            and notes == {list}
            and changes == {list}
        ):
            return None
        for held, keys in zip(_HELD, (_NOTE_KEYS, _CHANGE_KEYS), strict=True):
            inner = list(chain.from_iterable(map(itemgetter(held), records)))
            if inner and (set(map(type, inner)) != {dict} or set(map(tuple, inner)) != {keys}):
                return None
            if held == "notes" and not all(map(_is_level, set(map(itemgetter("level"), inner)))):
                return None
    except TypeError:  # a value of a kind no set holds (unhashable: a list, a dict)
        return None
    return {v: None if v is None else _from_iso(v) for v in due_values}


def _is_level(value: Any) -> bool:
    return type(value) is str and value in _LEVELS


def _is_iso_day(value: Any) -> bool:
    """Whether ``value`` is a day as ``date.isoformat`` writes it."""
    return type(value) is str and _is_iso_day_text(value)


@functools.lru_cache(maxsize=8192)  # each once: 100,000 actions have a few thousand days
def _is_iso_day_text(value: str) -> bool:
    try:
        return _from_iso(value).isoformat() == value
    except ValueError:
        return False


def overdue_on(due: dt.date | None, status: ActionStatus, today: dt.date) -> bool:
    return due is not None and due < today and status not in _FINISHED


def _priority(stored: Any) -> Priority:
    try:
        return _PRIORITIES[stored]
    except (KeyError, TypeError):  # a damaged value: the enum says what is wrong
        return _member(Priority, stored)


def _action_status(stored: Any) -> ActionStatus:
    try:
        return _ACTION_STATUSES[stored]
    except (KeyError, TypeError):  # a damaged value: the enum says what is wrong
        return _member(ActionStatus, stored)


def _notes(stored: Any) -> list[Note]:
    """``Note.from_record`` of each stored note, its usual case inlined."""
    if not stored:
        return []
    try:
        return [Note(n["at"], n["text"], _LEVELS[n.get("level", "internal")]) for n in stored]
    except (KeyError, TypeError, AttributeError):  # a damaged note: say what is wrong
        return [Note.from_record(n) for n in stored]


_ACTION_STATUSES = {member.value: member for member in ActionStatus}
_AGENDA_STATUSES = {member.value: member for member in AgendaStatus}
_PRIORITIES = {member.value: member for member in Priority}
_LEVELS = {member.value: member for member in Level}
_from_iso = dt.date.fromisoformat


_FINISHED_ACTIONS = frozenset(s.value for s in ActionStatus if s.is_finished)

RECORD_TYPES: tuple[type[Record], ...] = (Dialogue, Topic, Meeting, AgendaItem, Action)

KINDS: dict[str, type[Record]] = {cls.KIND: cls for cls in RECORD_TYPES}

# What a search reads of each kind of record: stored fields, and "notes" for the texts
# of an action's notes.
SEARCHED: dict[str, tuple[str, ...]] = {
    Meeting.TABLE: ("title", "summary"),
    AgendaItem.TABLE: ("title", "outcome"),
    Action.TABLE: ("title", "notes"),
}


def searched_texts(record: dict[str, Any], fields: tuple[str, ...]) -> list[tuple[str, str]]:
    """(field, text) of each text of a stored record a search reads, in order, empty
    ones left out; a note's field is "note". A text that is not one is kept as it is
    stored (folding it fails, and the record is damaged)."""
    texts: list[tuple[str, Any]] = []
    get = record.get
    for name in fields:
        if name != "notes":
            text = get(name)
            if text:
                texts.append((name, text))
        elif notes := get("notes"):
            texts += [("note", text) for note in notes if (text := note.get("text"))]
    return texts

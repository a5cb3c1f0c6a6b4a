"""Share-safe exchange between offices: dumps keyed by UUID, merged safely.

Each office keeps its own file. A dump carries every record in its JSON shape
with references by uuid as well as by local id, plus each record's *sync base*:
a fingerprint of the version both sides last agreed on. On import a record that
only the other side changed since that base is taken; one that only this side
changed is kept; one changed on both sides is a conflict, kept local and listed
unless ``theirs``.

Versions are told apart by content (a fingerprint), not by the ``updated``
stamp: two edits within one second have the same stamp.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from collections.abc import Callable, Container, Iterable, Iterator
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

import orjson

from ..errors import InputError
from ..models import (
    Action,
    AgendaItem,
    Dialogue,
    Meeting,
    Record,
    Topic,
    iso_time,
)
from ..storage import RECORD_PARTS, SYNC_TABLE, Repository, every
from .integrity import Links, load_stored

DUMP_FORMAT = "consular-dialogue"
DUMP_VERSION = 1

FINGERPRINT_PREFIX = "sha256:"
SPILL_EVERY = 1000  # records an import merges between two looks for full parts to write
SECTIONS: list[tuple[str, type[Record]]] = [
    ("dialogues", Dialogue),
    ("topics", Topic),
    ("meetings", Meeting),
    ("agenda_items", AgendaItem),
    ("actions", Action),
]
# Keys a dump adds to the stored record shape; they are dropped on import.
DUMP_ONLY_KEYS = ("dialogue_uuid", "meeting_uuid", "item_uuid", "carried_from_uuid", "overdue")
# References by local id, and the dump key that carries the same reference by uuid.
ID_REFERENCES: dict[str, list[tuple[str, str, type[Record]]]] = {
    "agenda_items": [
        ("meeting_id", "meeting_uuid", Meeting),
        ("carried_from", "carried_from_uuid", AgendaItem),
    ],
    "actions": [("meeting_id", "meeting_uuid", Meeting), ("item_id", "item_uuid", AgendaItem)],
}


def sync_bases(repo: Repository) -> dict[str, str]:
    table = repo.table(SYNC_TABLE)
    bases: dict[str, str] = table.setdefault("1", {})
    return bases


def _id_and_uuid(stored: dict[str, Any]) -> tuple[int, str]:
    return stored["id"], stored["uuid"]


def _uuid_refs(repo: Repository) -> tuple[dict[int, str], dict[int, str]]:
    """Local id -> uuid, for meetings and for agenda items (their parts read one at a
    time and let go)."""
    meetings = dict(repo.select_as(Meeting, _id_and_uuid, every, keep_parts=False))
    items = dict(repo.select_as(AgendaItem, _id_and_uuid, every, keep_parts=False))
    return meetings, items


def build_dump(repo: Repository, *, now: dt.datetime) -> dict[str, Any]:
    """``dump_text`` as a dict (for a dump to merge in-process)."""
    dump: dict[str, Any] = orjson.loads(b"".join(dump_text(repo, now=now)))
    return dump


def dump_text(repo: Repository, *, now: dt.datetime) -> Iterator[bytes | memoryview]:
    """Every record the repository shows, with references by uuid as well as by id, as
    the JSON of a dump with an indent of two (``read_dump`` reads such a dump a record
    at a time), made a part of records at a time: the dump of L built whole took 867 MB.

    Sensitivity is applied before, by hiding records (``sensitivity.restrict``). A
    reference to a record that does not exist is refused (``InputError``) when it is
    reached: a caller writes the pieces to a temp file, or joins them, first.
    """
    today = now.date()
    holder = "\x00" + os.urandom(8).hex()
    names = [section for section, _ in SECTIONS] + ["sync"]
    shape = {
        "format": DUMP_FORMAT,
        "version": DUMP_VERSION,
        "exported_at": iso_time(now),
        **{name: holder + name for name in names},
    }
    text = orjson.dumps(shape, option=orjson.OPT_INDENT_2)
    dialogue_uuids: dict[str, str] = {}
    meeting_uuids: dict[int, str] = {}
    item_uuids: dict[int, str] = {}
    exported: set[str] = set()

    def uuid_of(table: dict[int, str], record: Record, record_id: int | None) -> str | None:
        if record_id is None:
            return None
        found = table.get(record_id)
        if found is None and table is item_uuids:  # carried from a later item: looked up
            later = repo.find(AgendaItem, record_id)
            found = later.uuid if later is not None else None
        if found is None:
            raise InputError(
                f"{record.ref.capitalize()} names a record that does not exist; "
                f"run cdt check on {repo.path}."
            )
        return found

    def section(name: str) -> Iterator[list[dict[str, Any]]]:
        cls = SECTION_TYPES[name]
        for batch in repo.in_batches(cls):
            exported.update(r.uuid for r in batch)
            if cls is Dialogue:
                dialogue_uuids.update((d.key, d.uuid) for d in batch if isinstance(d, Dialogue))
                yield [d.to_record() for d in batch]
            elif cls is Meeting:
                meeting_uuids.update((m.id, m.uuid) for m in batch)
                yield [
                    {**m.to_record(), "dialogue_uuid": dialogue_uuids.get(m.dialogue)}
                    for m in batch
                    if isinstance(m, Meeting)
                ]
            elif cls is AgendaItem:
                item_uuids.update((i.id, i.uuid) for i in batch)
                yield [
                    {
                        **i.to_record(),
                        "meeting_uuid": uuid_of(meeting_uuids, i, i.meeting_id),
                        "carried_from_uuid": uuid_of(item_uuids, i, i.carried_from),
                    }
                    for i in batch
                    if isinstance(i, AgendaItem)
                ]
            elif cls is Action:
                yield [
                    {
                        **a.to_json(today),
                        "meeting_uuid": uuid_of(meeting_uuids, a, a.meeting_id),
                        "item_uuid": uuid_of(item_uuids, a, a.item_id),
                    }
                    for a in batch
                    if isinstance(a, Action)
                ]
            else:
                yield [r.to_record() for r in batch]

    for name in names:
        before, _, text = text.partition(orjson.dumps(holder + name))
        yield before
        if name == "sync":
            bases = repo.table(SYNC_TABLE).get("1", {})
            kept = {u: b for u, b in sorted(bases.items()) if u in exported}
            yield _value_text(kept)
        else:
            yield from _list_text(section(name))
    yield text


def _value_text(value: Any) -> bytes:
    """``value`` as it stands as a top-level member of a dump laid out with an indent."""
    return orjson.dumps({"x": value}, option=orjson.OPT_INDENT_2)[len(b'{\n  "x": ') : -2]


def _list_text(batches: Iterable[list[dict[str, Any]]]) -> Iterator[bytes | memoryview]:
    """A list of records, given in batches, as a top-level member of an indented dump
    (each batch's text a view, not a copy)."""
    first = True
    for batch in batches:
        if batch:
            dumped = orjson.dumps({"x": batch}, option=orjson.OPT_INDENT_2)
            yield b"[\n" if first else b",\n"
            yield memoryview(dumped)[len(b'{\n  "x": [\n') : -len(b"\n  ]\n}")]
            first = False
    yield b"[]" if first else b"\n  ]"


# ---- reading a dump --------------------------------------------------------

SECTION_TYPES: dict[str, type[Record]] = dict(SECTIONS)
_ABSENT = object()  # a reference by uuid the dump leaves out (it is then taken as right)


@dataclass
class Dump:
    """A dump checked whole by ``parse_dump`` or ``read_dump``, ready for ``import_dump``."""

    counts: dict[str, int]  # records by section
    sync: dict[str, str]
    # The records not in their stored form (a hand-made dump may leave fields to their
    # defaults), by uuid: an import builds these, and stores the others as they are.
    rebuilt: set[str]
    # Each record once more, by section in the order of SECTIONS (see ``records``).
    read: Callable[[], Iterator[tuple[str, dict[str, Any]]]]
    # Every uuid the dump holds, until an import takes them (``take_uuids``).
    uuids: Container[str] | None
    streamed: bool = False  # read from the file a record at a time (``read_dump``)

    @property
    def size(self) -> int:
        """How many records the dump holds."""
        return sum(self.counts.values())

    def take_uuids(self) -> Container[str] | None:
        """Every uuid the dump holds, given once and then let go of (125,000 of them at
        L, 35 MB, would stay through the merge); None after: an import into a large
        file looks only at the local records that may match one, and an import of the
        same dump again at every one."""
        taken, self.uuids = self.uuids, None
        return taken

    def records(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """Each record with its section, every reference given by uuid as well (a
        hand-made dump may give ids only, and merging must never meet a reference it
        cannot follow), and each agenda item after the item it was carried from."""
        return self.read()


def _header_problem(data: Any, source: str) -> InputError | None:
    if not isinstance(data, dict) or data.get("format") != DUMP_FORMAT:
        return InputError(
            f'{source} is not a consular-dialogue dump (its "format" is not '
            f"{DUMP_FORMAT!r}); nothing was imported."
        )
    if data.get("version") != DUMP_VERSION:
        return InputError(
            f"{source} is a dump of version {data.get('version')!r}; this cdt reads version "
            f"{DUMP_VERSION}. Nothing was imported."
        )
    return None


def _with_uuids(
    section: str, record: dict[str, Any], refs: dict[str, dict[int, str]]
) -> dict[str, Any]:
    for id_key, uuid_key, target in ID_REFERENCES.get(section, ()):
        record_id = record.get(id_key)
        record[uuid_key] = None if record_id is None else refs[target.TABLE][record_id]
    return record


@dataclass
class _Check:
    """The checks of a dump's records, fed one at a time in the order of ``SECTIONS``.

    What the records say of each other (uuids, ids, what each names) is kept, not the
    records: the check of L's 125,000 records holds a small part of their memory.
    Problems are named in the order they always were: a malformed or repeated record
    at once; then, in turn, a record naming one that is not there, a meeting's dialogue
    uuid, and a reference whose id and uuid disagree.
    """

    source: str
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SECTION_TYPES, 0))
    seen: dict[str, tuple[str, int]] = field(default_factory=dict)  # uuid -> where
    ids: dict[str, dict[int, str]] = field(default_factory=dict)  # table -> id -> uuid
    links: Links = field(default_factory=Links)
    dialogue_keys: dict[str, str] = field(default_factory=dict)  # uuid -> key
    rebuilt: set[str] = field(default_factory=set)
    dialogue_problem: str | None = None
    # References to judge once every record is known (forward, missing or wrong), in
    # the order they are met: (section, position, which reference, id, uuid given).
    later: list[tuple[str, int, int, Any, Any]] = field(default_factory=list)
    ordered: bool = True  # every agenda item comes after the item it was carried from

    def refuse(self, problem: str) -> InputError:
        return InputError(f"{self.source}: {problem}; nothing was imported.")

    def add(self, section: str, position: int, raw: Any) -> None:
        cls = SECTION_TYPES[section]
        where = f"{section}[{position}]"
        if not isinstance(raw, dict):
            raise self.refuse(f"{where} is not an object")
        try:
            record, exact = load_stored(cls, _stored_shape(raw))
        except ValueError as exc:
            raise self.refuse(f"{where} is malformed ({exc})") from None
        if record.uuid in self.seen:
            first, at = self.seen[record.uuid]
            raise self.refuse(f"{where} repeats the uuid of {first}[{at}]")
        self.seen[record.uuid] = (section, position)
        ids = self.ids.setdefault(cls.TABLE, {})
        if record.id in ids:
            raise self.refuse(f"{where} repeats {cls.KIND} id {record.id}")
        ids[record.id] = record.uuid
        self.counts[section] += 1
        self.links.add(record)
        if not exact:
            self.rebuilt.add(record.uuid)
        if isinstance(record, Dialogue):
            self.dialogue_keys[record.uuid] = record.key
        elif isinstance(record, Meeting) and self.dialogue_problem is None:
            given = raw.get("dialogue_uuid")
            if given is not None and (
                not isinstance(given, str) or self.dialogue_keys.get(given) != raw["dialogue"]
            ):
                self.dialogue_problem = (
                    f"{where} names dialogue {raw['dialogue']!r} but dialogue uuid "
                    f"{given!r}, which is not that dialogue in the dump"
                )
        for place, (id_key, uuid_key, target) in enumerate(ID_REFERENCES.get(section, ())):
            record_id = raw.get(id_key)
            given = raw.get(uuid_key, _ABSENT)
            if record_id is None:
                expected = None
            else:
                expected = self.ids.get(target.TABLE, {}).get(record_id)
                if expected is None:  # a later record, or a missing one
                    self.ordered = False
            if (record_id is not None and expected is None) or (
                given is not _ABSENT and given != expected
            ):
                self.later.append((section, position, place, record_id, given))

    def finish(self, sync: Any, read: Callable[[], Iterator[tuple[str, Any]]]) -> Dump:
        """Name the first problem left, or give the checked dump, which ``read`` gives
        again record by record (as they were given to ``add``)."""
        problems = self.links.problems()
        if problems:
            raise InputError(f"{self.source}: {problems[0]} Nothing was imported.")
        if self.dialogue_problem is not None:
            raise self.refuse(self.dialogue_problem)
        self.later.sort(key=lambda r: (list(ID_REFERENCES).index(r[0]), r[1], r[2]))
        for section, position, place, record_id, given in self.later:
            _, uuid_key, target = ID_REFERENCES[section][place]
            targets = self.ids.get(target.TABLE, {})
            expected = None if record_id is None else targets[record_id]
            if given is not _ABSENT and given != expected:
                by_uuid = {uuid: key for key, uuid in targets.items()}
                named = by_uuid.get(given) if isinstance(given, str) else None
                what = f"{target.KIND} {named}" if named is not None else "nothing in the dump"
                raise self.refuse(
                    f"{section}[{position}] names {target.KIND} {record_id} by id but "
                    f"{uuid_key} {given!r} ({what})"
                )
        if not isinstance(sync, dict) or not all(isinstance(v, str) for v in sync.values()):
            raise self.refuse('"sync" is not an object of texts')
        refs = {cls.TABLE: self.ids.get(cls.TABLE, {}) for cls in (Meeting, AgendaItem)}

        def records() -> Iterator[tuple[str, dict[str, Any]]]:
            for section, record in read():
                yield section, _with_uuids(section, record, refs)

        return Dump(dict(self.counts), sync, self.rebuilt, records, self.seen)


def parse_dump(raw: bytes, source: str) -> Dump:
    """Check a dump whole before anything is merged; name the first problem."""
    if not raw.strip():
        raise InputError(f"{source} is empty; nothing was imported.")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InputError(f"{source} is not valid JSON ({exc}); nothing was imported.") from None
    problem = _header_problem(data, source)
    if problem is not None:
        raise problem
    check = _Check(source)
    for section in SECTION_TYPES:
        records = data.get(section, [])
        if not isinstance(records, list):
            raise check.refuse(f"{section!r} is not a list")
        for position, record in enumerate(records, start=1):
            check.add(section, position, record)

    def read() -> Iterator[tuple[str, Any]]:
        for section, cls in SECTIONS:
            records = data.get(section, [])
            if cls is AgendaItem and not check.ordered:
                # (``_with_uuids`` is idempotent: the uuids are given for the ordering)
                refs = {t.TABLE: check.ids.get(t.TABLE, {}) for t in (Meeting, AgendaItem)}
                records = _origin_first([_with_uuids(section, r, refs) for r in records])
            for record in records:
                yield section, record

    return check.finish(data.get("sync", {}), read)


# A dump in a file is read a block of text at a time (``_Text``), and its sections a
# record at a time, twice: to check it, then to merge it. The text around the records
# is parsed whole, with a place holder where each record stood. Where a list's records
# end is found with orjson's own parser: the records up to the last place in the next
# 256 KB where one may end parse as a list when that is where one ends (a "}" before a
# comma and the text the first record opens with: ``_Text.records``); a single value's
# end is where orjson, given a window of text from its start, stops before the
# window's end, if the text up to there parses (a window twice as large is tried while
# it stops at the end). Any other error, and any dump with a problem, is read whole,
# which names the problem.
_READ_BYTES = 1 << 22
_BATCH = 1 << 18
_WINDOW = 1 << 12
_SPACE = re.compile(rb"[ \t\n\r]*")
_TRIES = 3


class _ReadWhole(Exception):
    """Not to be read a record at a time (through a pipe, sections out of order, not
    sound): read it whole, which names a problem as it always has."""


class _Changed(Exception):
    """The file is not what it was when it was checked."""


class _Text:
    """A dump's text read a block at a time: ``at`` is where the reading stands (past
    ``mark``), and the text before ``mark`` has gone to ``around`` (when it is kept).
    The digest of each block read is added to ``digests``; with ``expected`` (the
    digests of an earlier read), a block that differs stops the read (``_Changed``)."""

    def __init__(
        self,
        handle: BinaryIO,
        around: list[bytes] | None,
        digests: list[bytes],
        expected: list[bytes] | None,
    ) -> None:
        self.handle, self.around, self.digests, self.expected = handle, around, digests, expected
        self.text = b""
        self.at = self.mark = 0
        self.ended = False
        self.batch = _BATCH

    def more(self) -> None:
        chunk = self.handle.read(_READ_BYTES)
        digest = hashlib.blake2b(chunk).digest()
        self.digests.append(digest)
        if self.expected is not None and (
            len(self.expected) < len(self.digests) or self.expected[len(self.digests) - 1] != digest
        ):
            raise _Changed
        self.keep(self.at)
        self.text = self.text[self.at :] + chunk
        self.at = self.mark = 0
        self.ended = not chunk

    def keep(self, stop: int, holder: bytes = b"", mark: int | None = None) -> None:
        """The text from ``mark`` to ``stop`` goes to ``around``, then ``holder``; the
        text kept next starts at ``mark`` (``stop`` unless given)."""
        if self.around is not None:
            self.around.append(self.text[self.mark : stop])
            if holder:
                self.around.append(holder)
        self.mark = stop if mark is None else mark

    def peek(self) -> int | None:
        """The byte after any white space (``at`` moves to it); None at the end."""
        while True:
            self.at = _SPACE.match(self.text, self.at).end()  # type: ignore[union-attr]
            if self.at < len(self.text):
                return self.text[self.at]
            if self.ended:
                return None
            self.more()

    def take(self, byte: bytes) -> bool:
        """Whether ``byte`` comes next (``at`` moves past it if so)."""
        if self.peek() != byte[0]:
            return False
        self.at += 1
        return True

    def records(self) -> tuple[int, int, list[Any]]:
        """The records of a list that come next, parsed, and where their text starts
        and ends: those up to the last place in the next batch of text where a record
        may end (``_record_ends``), or one of the two before it (the last may lie inside
        a record), if their text is a list's there; else the next record alone. A batch
        that is not a list's makes the next one smaller (down to a window), one that is,
        or that holds no end (a longer record), makes it larger."""
        self.peek()
        while len(self.text) - self.at < self.batch and not self.ended:
            self.more()
        start, tried = self.at, False
        for end in self._record_ends(start, start + self.batch):
            records = self._list(start, end)
            if records is not None:
                self.batch = min(2 * self.batch, _BATCH)
                break
            tried = True
        else:
            self.batch = max(self.batch // 4, _WINDOW) if tried else min(2 * self.batch, _BATCH)
            start, end = self.value()
            records = self._list(start, end)
            if records is None:
                raise _ReadWhole
        self.at = end
        return start, end, records

    def _record_ends(self, start: int, stop: int) -> Iterator[int]:
        """Up to ``_TRIES`` places between ``start`` and ``stop`` where a record of a
        list may end, the last first, among the last 1,024 "}": after a "}" before a
        comma and the text the record at ``start`` opens with, to its first key (the
        records of a list are written alike; an object in a record, a note say, opens
        with another), or failing any, after a "}" before a comma."""
        colon = self.text.find(b":", start, start + 64)
        first = self.text[start : colon + 1] if colon > start else b""
        for opening in (first, b"") if first else (b"",):
            end, tries = stop, _TRIES
            for _ in range(1024):
                end = self.text.rfind(b"}", start, end)
                if end < 0:
                    break
                after = _SPACE.match(self.text, end + 1).end()  # type: ignore[union-attr]
                if self.text[after : after + 1] == b"," and self.text.startswith(
                    opening,
                    _SPACE.match(self.text, after + 1).end(),  # type: ignore[union-attr]
                ):
                    yield end + 1
                    tries -= 1
                    if not tries:
                        return
            if tries < _TRIES:
                return

    def _list(self, start: int, end: int) -> list[Any] | None:
        """The values the text from ``start`` to ``end`` lists (between commas), or None
        when it is not a list's text."""
        try:  # (two lists deep, as deep as the records lie in the whole dump)
            outer = orjson.loads(b"[[" + self.text[start:end] + b"]]")
        except orjson.JSONDecodeError:
            return None
        return outer[0] if len(outer) == 1 else None  # (not "...],[...")

    def value(self) -> tuple[int, int]:
        """Where the JSON value that comes next starts and ends (with any white space
        after it); ``at`` moves past it."""
        self.peek()
        size = _WINDOW
        while True:
            end = self.at + size
            if end >= len(self.text) and not self.ended:
                self.more()
                continue
            end = min(end, len(self.text))
            while end < len(self.text) and 0x80 <= self.text[end] < 0xC0:
                # A window ends between two characters: cut inside one, its text would
                # not be UTF-8, and be taken for a window too short (a larger one tried).
                end -= 1
            try:
                orjson.loads(memoryview(self.text)[self.at : end])
            except orjson.JSONDecodeError as exc:
                if exc.pos < len(exc.doc):  # it stopped inside the window: where a value ends?
                    end = self.at + len(exc.doc[: exc.pos].encode())
                    try:
                        orjson.loads(memoryview(self.text)[self.at : end])
                    except orjson.JSONDecodeError:
                        raise _ReadWhole from None
                    break
                if end == len(self.text):
                    raise _ReadWhole from None
            else:
                if end == len(self.text):
                    break
            size *= 2
        start, self.at = self.at, end
        return start, end


def _records(
    handle: BinaryIO,
    around: list[bytes] | None,
    holder: bytes,
    digests: list[bytes],
    expected: list[bytes] | None = None,
) -> Iterator[tuple[str, int, Any]]:
    """Each record of a dump, parsed, with its section and position; the text around
    the records goes to ``around``, each record's place held by ``holder`` (see
    ``_Text`` for ``digests`` and ``expected``). The sections must come in the order of
    ``SECTIONS``, each once; any other member is read whole."""
    text = _Text(handle, around, digests, expected)
    order = list(SECTION_TYPES)
    section = ""
    if not text.take(b"{"):
        raise _ReadWhole
    more = text.peek() != ord("}")
    while more:
        start, end = text.value()
        key = orjson.loads(text.text[start:end])
        if not text.take(b":"):
            raise _ReadWhole
        if isinstance(key, str) and key in SECTION_TYPES and text.take(b"["):
            if section and order.index(key) <= order.index(section):
                raise _ReadWhole
            section, position = key, 0
            listed = text.peek() != ord("]")
            while listed:
                start, end, records = text.records()
                text.keep(start, b",".join([holder] * len(records)), end)
                for record in records:
                    position += 1
                    yield section, position, record
                listed = text.take(b",")
            if not text.take(b"]"):
                raise _ReadWhole
        else:
            text.value()
        more = text.take(b",")
    if not text.take(b"}") or text.peek() is not None:
        raise _ReadWhole
    text.keep(text.at)


def read_dump(path: Path, source: str) -> Dump:
    """``parse_dump`` of a file. A file is read a record at a time, and again as it is
    merged: its records are never all in memory (L's dump of 110 MB takes 635 MB parsed
    whole). One given through a pipe, one whose sections are out of order or given
    twice, one that gives an agenda item before the item it was carried from, and any
    dump with a problem, are read whole, which names the problem."""

    def cannot(exc: OSError) -> InputError:
        return InputError(f"Cannot read {path}: {exc.strerror or str(exc).rstrip('.')}.")

    try:
        handle = path.open("rb")
    except OSError as exc:
        raise cannot(exc) from None
    try:
        if handle.seekable():  # a pipe is read once, whole
            return _read_a_record_at_a_time(handle, source, cannot)
    except _ReadWhole:
        pass
    except OSError as exc:
        raise cannot(exc) from None
    # (out of the except clause, so that what the attempt held is let go first)
    with handle:
        try:
            if handle.seekable():
                handle.seek(0)
            raw = handle.read()
        except OSError as exc:
            raise cannot(exc) from None
    return parse_dump(raw, source)


def _read_a_record_at_a_time(
    handle: BinaryIO, source: str, cannot: Callable[[OSError], InputError]
) -> Dump:
    check = _Check(source)
    around: list[bytes] = []
    digests: list[bytes] = []
    # A place holder no text can hold by chance, nor by design (drawn for this read).
    holder = "\x00record-" + os.urandom(8).hex()
    try:
        for section, position, record in _records(handle, around, orjson.dumps(holder), digests):
            check.add(section, position, record)
    except InputError:
        raise _ReadWhole from None
    try:
        data = orjson.loads(b"".join(around))
    except orjson.JSONDecodeError:
        raise _ReadWhole from None
    del around
    if (
        _header_problem(data, source) is not None
        or not check.ordered
        # each section's records where the text around them holds their places (a
        # section given again, not as a list, is the one JSON keeps)
        or any(data.get(s, []) != [holder] * n for s, n in check.counts.items())
    ):
        raise _ReadWhole

    def read() -> Iterator[tuple[str, Any]]:
        again: list[bytes] = []
        try:
            handle.seek(0)
            for section, _, record in _records(handle, None, b"", again, digests):
                yield section, record
        except OSError as exc:
            raise cannot(exc) from None
        except (_Changed, _ReadWhole):
            again.clear()
        if again != digests:
            raise InputError(f"{source} changed while it was imported; nothing was imported.")

    try:
        dump = check.finish(data.get("sync", {}), read)
    except InputError:
        raise _ReadWhole from None
    dump.streamed = True
    return dump


def _without(record: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    """A copy of ``record`` without ``keys`` (a copy and a few pops: 125,000 of them at L)."""
    kept = dict(record)
    for key in keys:
        kept.pop(key, None)
    return kept


def _stored_shape(record: dict[str, Any]) -> dict[str, Any]:
    return _without(record, DUMP_ONLY_KEYS)


# ---- merging ----------------------------------------------------------------


@dataclass
class Conflict:
    """A record changed here and in the dump since they last agreed."""

    kind: str
    record_id: int
    uuid: str
    twice: bool = False  # matched by two of the dump's records

    @property
    def message(self) -> str:
        if self.twice:
            return (
                f"{self.kind} {self.record_id} ({self.uuid}) is matched by two records of "
                "the dump (by uuid, key or slug); the second was not merged."
            )
        return (
            f"{self.kind} {self.record_id} ({self.uuid}) changed here and in the dump; kept this "
            "file's version (use --theirs to take the dump's)."
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.record_id,
            "uuid": self.uuid,
            "message": self.message,
        }


@dataclass
class ImportResult:
    added: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: int = 0
    kept_local: int = 0
    conflicts: list[Conflict] = field(default_factory=list)
    # uuid -> [base before, base after]: kept in the history entry, so undo puts it back
    sync_changes: dict[str, list[str | None]] = field(default_factory=dict)

    def count(self, bucket: dict[str, int], kind: str) -> None:
        bucket[kind] = bucket.get(kind, 0) + 1

    def history_extra(self) -> dict[str, Any]:
        """What the import's history entry keeps besides its records: the moved sync bases."""
        return {"sync": self.sync_changes} if self.sync_changes else {}


_NOT_CONTENT = ("id", "uuid", "updated", "meeting_id", "item_id", "carried_from", *DUMP_ONLY_KEYS)


def _content(record: dict[str, Any]) -> dict[str, Any]:
    """What two versions must share to be the same: everything but local ids and stamps."""
    return _without(record, _NOT_CONTENT)


def fingerprint(record: dict[str, Any], links: tuple[str | None, ...]) -> str:
    """A version's identity in any office's file: its content and its links by uuid."""
    payload = orjson.dumps([_content(record), list(links)], option=orjson.OPT_SORT_KEYS)
    return FINGERPRINT_PREFIX + hashlib.sha256(payload).hexdigest()[:32]


def _is_version(record: dict[str, Any], print_: str, base: str | None) -> bool:
    if base is None:
        return False
    if base.startswith(FINGERPRINT_PREFIX):
        return print_ == base
    return record.get("updated") == base  # a base written before fingerprints: a stamp


def _local_links(
    record: dict[str, Any], meeting_uuids: dict[int, str], item_uuids: dict[int, str]
) -> tuple[str | None, ...]:
    def follow(table: dict[int, str], record_id: Any) -> str | None:
        return table.get(record_id) if isinstance(record_id, int) else None

    return (
        follow(meeting_uuids, record.get("meeting_id")),
        follow(item_uuids, record.get("item_id")),
        follow(item_uuids, record.get("carried_from")),
    )


def _dump_links(raw: dict[str, Any]) -> tuple[str | None, ...]:
    return (raw.get("meeting_uuid"), raw.get("item_uuid"), raw.get("carried_from_uuid"))


def _origin_first(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Agenda items ordered so that an item's origin is merged before it."""
    by_uuid = {i["uuid"]: i for i in items}
    ordered: list[dict[str, Any]] = []
    placed: set[str] = set()
    for item in items:
        chain = []
        current: dict[str, Any] | None = item
        while current is not None and current["uuid"] not in placed:
            chain.append(current)
            placed.add(current["uuid"])
            origin = current.get("carried_from_uuid")
            current = by_uuid.get(origin) if origin else None
        ordered.extend(reversed(chain))
    return ordered


class _Known(NamedTuple):
    """What an import keeps of each local record, instead of the record, to match it
    and to see it unchanged: its id, its fingerprint (of its content and links) and
    the rest of it (ids and stamp). A dump's version with the same fingerprint and
    rest is the very same dict."""

    id: int
    print: str
    rest: tuple[Any, ...]


_ABSENT = object()
_ABSENTS = (_ABSENT,) * len(_NOT_CONTENT)


def _rest(stored: dict[str, Any]) -> tuple[Any, ...]:
    """What ``fingerprint`` leaves out of a stored record, and whether it is there."""
    return tuple(map(stored.get, _NOT_CONTENT, _ABSENTS))


def _matchable(cls: type[Record], uuids: Container[str] | None) -> Container[str] | None:
    """The uuids a local record of ``cls`` may match in a dump that holds ``uuids``
    (None: any)."""
    return None if cls in (Dialogue, Topic) else uuids


def _dangling(record: dict[str, Any], links: tuple[str | None, ...]) -> bool:
    """Whether a record names a meeting or item by an id that names none (a hand edit):
    an import may yet give that id to a record it adds."""
    ids = (record.get("meeting_id"), record.get("item_id"), record.get("carried_from"))
    return any(isinstance(i, int) and link is None for i, link in zip(ids, links, strict=True))


def _known_records(
    repo: Repository,
    cls: type[Record],
    by: str,
    meeting_uuids: dict[int, str],
    item_uuids: dict[int, str],
    among: Container[str] | None = None,
) -> dict[Any, _Known]:
    """The local records of ``cls`` by their field ``by`` (a uuid, a dialogue's key, a
    topic's slug), as their model writes them, their parts read one at a time and let
    go (an import into L held its 125,000 records built: 495 MB); only those whose
    uuid is ``among`` them, if given. A record that names a missing meeting or item
    gets no fingerprint: the merge reads it again and follows its links then."""

    def known(stored: dict[str, Any]) -> tuple[Any, _Known]:
        mine = cls.from_record(stored).to_record()
        links = _local_links(mine, meeting_uuids, item_uuids)
        print_ = "" if _dangling(mine, links) else fingerprint(mine, links)
        return mine[by], _Known(mine["id"], print_, _rest(mine))

    where = every if among is None else (lambda stored: stored["uuid"] in among)
    return dict(repo.select_as(cls, known, where, keep_parts=False))


class _Later(NamedTuple):
    """An action whose merge reads its local version, kept to be merged with the others
    in the order of their ids (``_Merger.merge_later``), and where the dump has it."""

    known: _Known
    incoming: dict[str, Any]
    theirs_print: str
    at: int


@dataclass
class _Merger:
    repo: Repository
    theirs: bool
    incoming_bases: dict[str, str]
    bases: dict[str, str]
    result: ImportResult
    meeting_uuids: dict[int, str]
    item_uuids: dict[int, str]
    at: int = 0  # where the record being merged is in the dump
    # The conflicts, each with where its record is in the dump (they are listed in the
    # dump's order: ``conflicts``), and the actions to merge later.
    placed: list[tuple[int, Conflict]] = field(default_factory=list)
    later: list[_Later] = field(default_factory=list)

    def conflict(self, conflict: Conflict) -> None:
        self.placed.append((self.at, conflict))

    def conflicts(self) -> list[Conflict]:
        """The conflicts found, in the order of their records in the dump."""
        return [conflict for _, conflict in sorted(self.placed, key=itemgetter(0))]

    def set_base(self, uuid: str, value: str) -> None:
        before = self.bases.get(uuid)
        if before == value:
            return
        if uuid in self.result.sync_changes:
            self.result.sync_changes[uuid][1] = value
        else:
            self.result.sync_changes[uuid] = [before, value]
        self.bases[uuid] = value

    def merge(
        self, cls: type[Record], known: _Known, incoming: dict[str, Any], links: tuple[Any, ...]
    ) -> tuple[int, str, Any]:
        """Merge ``incoming`` into the local record ``known``; its id, uuid and key (a
        dialogue's) as they are after. An action whose local version must be read is
        kept to be merged by ``merge_later``, with the others, a part at a time."""
        theirs_print = fingerprint(incoming, links)
        if known.print == theirs_print and known.rest == _rest(incoming):
            return self._unchanged(cls, known.id, True, incoming, theirs_print)
        if cls is Action:  # its version is read below, with the others, a part at a time
            self.later.append(_Later(known, incoming, theirs_print, self.at))
            return known.id, incoming["uuid"], None
        return self._read_and_merge(cls, known, incoming, theirs_print)

    def merge_later(self, progress: Callable[[int], None] | None) -> None:
        """Merge the actions whose local versions had to be read, in the order of their
        ids, a part of actions at a time: the parts of records changed are written and let
        go of every ``PARTS_HELD`` parts (``Repository.spill_changes``). An import that changes
        10,000 of L's 100,000 actions, in the other office's order, held every part it
        read: 480 MB."""
        self.later.sort(key=lambda later: later.known.id)
        repo = self.repo
        for later in self.later:
            if repo.holds_enough(Action.TABLE, later.known.id):
                # (the records': the sync bases merged so far are held as they are)
                repo.spill_changes(RECORD_PARTS)
            self.at = later.at
            self._read_and_merge(Action, later.known, later.incoming, later.theirs_print)
            if progress is not None:
                progress(1)
        self.later.clear()

    def _read_and_merge(
        self, cls: type[Record], known: _Known, incoming: dict[str, Any], theirs_print: str
    ) -> tuple[int, str, Any]:
        if known.print == theirs_print:  # the same, under another stamp or uuid
            return self._unchanged(cls, known.id, False, incoming, theirs_print)
        local = self.repo.get(cls, known.id)  # built only where the versions differ
        mine = local.to_record()
        mine_print = fingerprint(mine, _local_links(mine, self.meeting_uuids, self.item_uuids))
        if mine_print == theirs_print:  # a link followed only now (see _known_records)
            return self._unchanged(cls, known.id, mine == incoming, incoming, theirs_print)
        record = self._differing(cls, local, mine, mine_print, incoming, theirs_print)
        return record.id, record.uuid, getattr(record, "key", None)

    def _unchanged(
        self,
        cls: type[Record],
        record_id: int,
        same: bool,
        incoming: dict[str, Any],
        theirs_print: str,
    ) -> tuple[int, str, Any]:
        self.result.unchanged += 1
        if not same:
            # Same content under another stamp or uuid (a catalog topic, say): adopt
            # theirs, so both files hold the very same record from now on.
            self.repo.update(cls.from_record(incoming))
        self.set_base(incoming["uuid"], theirs_print)
        return record_id, incoming["uuid"], incoming.get("key")

    def _differing(
        self,
        cls: type[Record],
        local: Record,
        mine: dict[str, Any],
        mine_print: str,
        incoming: dict[str, Any],
        theirs_print: str,
    ) -> Record:
        local_base = self.bases.get(local.uuid)
        incoming_base = self.incoming_bases.get(incoming["uuid"])
        if _is_version(incoming, theirs_print, local_base) or (
            _is_version(incoming, theirs_print, incoming_base)
            and not _is_version(mine, mine_print, incoming_base)
        ):
            # The dump holds a version this file has moved on from, or the other office
            # has not changed it since they last agreed: only this side changed.
            self.result.kept_local += 1
            return local
        only_theirs_changed = _is_version(mine, mine_print, incoming_base) or _is_version(
            mine, mine_print, local_base
        )
        if not only_theirs_changed and not self.theirs:
            self.conflict(Conflict(cls.KIND, local.id, local.uuid))
            return local
        record = cls.from_record(incoming)
        self.repo.update(record)
        self.set_base(record.uuid, theirs_print)
        self.result.count(self.result.updated, cls.KIND)
        return record


def import_dump(
    repo: Repository,
    dump: Dump,
    *,
    theirs: bool,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Merge a dump checked by ``parse_dump``: match by uuid, remap references, find conflicts.

    Changes of sync bases are listed in ``ImportResult.sync_changes``; the caller
    keeps them in the history entry so that undo restores them too.
    """
    result = ImportResult()
    meeting_uuids, item_uuids = _uuid_refs(repo)
    merger = _Merger(
        repo=repo,
        theirs=theirs,
        incoming_bases=dump.sync,
        bases=sync_bases(repo),
        result=result,
        meeting_uuids=meeting_uuids,
        item_uuids=item_uuids,
    )
    dialogue_keys: dict[str, str] = {}
    meeting_ids: dict[str, int] = {}
    item_ids: dict[str, int] = {}
    # Only the records a dump's uuid may match (dialogues and topics, few, are matched
    # by key and slug too, and read whole).
    uuids = dump.take_uuids()
    by_uuid = {
        cls.TABLE: _known_records(
            repo, cls, "uuid", meeting_uuids, item_uuids, among=_matchable(cls, uuids)
        )
        for _, cls in SECTIONS
    }
    del uuids
    dialogues_by_key = _known_records(repo, Dialogue, "key", meeting_uuids, item_uuids)
    topics_by_slug = _known_records(repo, Topic, "slug", meeting_uuids, item_uuids)
    merged: set[tuple[str, int]] = set()  # local records a dump's record was merged into

    for count, (section, raw) in enumerate(dump.records(), start=1):
        merger.at = count
        cls = SECTION_TYPES[section]
        stored = _stored_shape(raw)
        local = by_uuid[cls.TABLE].get(stored["uuid"])
        if local is None and cls is Dialogue:
            local = dialogues_by_key.get(stored["key"])
        if local is None and cls is Topic:
            local = topics_by_slug.get(stored["slug"])
        # Remap references to this file's ids.
        if cls is Meeting:
            stored["dialogue"] = dialogue_keys.get(
                raw.get("dialogue_uuid") or "", stored["dialogue"]
            )
        elif cls is AgendaItem:
            stored["meeting_id"] = meeting_ids[raw["meeting_uuid"]]
            origin_uuid = raw.get("carried_from_uuid")
            stored["carried_from"] = item_ids[origin_uuid] if origin_uuid else None
        elif cls is Action:
            stored["meeting_id"] = meeting_ids[raw["meeting_uuid"]]
            item_uuid = raw.get("item_uuid")
            stored["item_id"] = item_ids[item_uuid] if item_uuid else None
        links = _dump_links(raw)
        key: Any  # a dialogue's
        if local is None:
            if stored["uuid"] in dump.rebuilt:
                stored["id"] = 0
                record_id = repo.add(cls.from_record(stored)).id
            else:  # checked to be as to_record gives it: stored as it is
                record_id = repo.add_stored(cls, stored)
            result.count(result.added, cls.KIND)
            merger.set_base(stored["uuid"], fingerprint(stored, links))
            uuid, key = stored["uuid"], stored.get("key")
        elif (cls.TABLE, local.id) in merged:
            # Matched already by another of the dump's records (one dialogue by uuid,
            # another by key): kept as it is now, and named.
            current = repo.get(cls, local.id)
            merger.conflict(Conflict(cls.KIND, current.id, current.uuid, twice=True))
            record_id, uuid, key = current.id, current.uuid, getattr(current, "key", None)
        else:
            stored["id"] = local.id
            record_id, uuid, key = merger.merge(cls, local, stored, links)
            merged.add((cls.TABLE, local.id))
        if cls is Dialogue:
            dialogue_keys[raw["uuid"]] = key
        elif cls is Meeting:
            meeting_ids[raw["uuid"]] = record_id
            meeting_uuids[record_id] = uuid
        elif cls is AgendaItem:
            item_ids[raw["uuid"]] = record_id
            item_uuids[record_id] = uuid
        if count % SPILL_EVERY == 0:
            repo.spill()  # write the parts filled so far, and let go of their records
        if progress is not None and not (merger.later and merger.later[-1].at == count):
            progress(1)  # (an action merged later is counted then)
    merger.merge_later(progress)
    result.conflicts = merger.conflicts()
    if result.sync_changes:
        repo.dirty = True  # a new agreed version is worth keeping even when no record changed
    return result

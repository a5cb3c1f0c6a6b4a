"""The data file: atomic, locked storage behind a Repository that returns models.

The only module that uses TinyDB. A command reads the file once, works on the
records in memory, and a writing command replaces the file once at the end, all
under one lock (git's lockfile + rename). Readers take no lock and create
nothing: the rename is atomic, so they see either the old file or the new one.

What daily commands never read is kept out of the data file, in part files of a
few hundred KB in ``<data file>.parts/`` (as Taskwarrior keeps completed tasks
apart from pending ones): finished actions (1,000 ids per part), the change
history (parts of about 256 KB) and the exchange bases. Parts are immutable: a
change writes new parts under new names first, then replaces the data file,
which names the parts it stands on; that rename is still the one moment a change
happens. A part no longer named is deleted only once the rotating backups that
may name it are gone (``retired``), so every kept backup stays restorable.
Inside the data file, the unfinished actions come last, after their list lines
(``file_bytes``): a read parses them only when it needs them. Beside a part, its
search index (``search_index``) and, for actions, meetings and agenda items, its
records' lines (``part_lines``) spare a search, or a read that needs no more of each
record than its line, reading it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import time
import unicodedata
import zlib
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Collection, Container, Iterable, Iterator, Sequence
from collections.abc import Set as AbstractSet
from functools import partial
from itertools import repeat
from operator import attrgetter, itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeGuard, TypeVar

import orjson

from .dates import PartialDate
from .errors import (
    ConsularDialogueError,
    CorruptFileError,
    DataFileError,
    FileBusyError,
    InputError,
    NewerSchemaError,
    NotFoundError,
)
from .models import (
    KINDS,
    LINE_KEYS,
    PART_LINE_KEYS,
    RECORD_TYPES,
    SEARCHED,
    Action,
    ActionLine,
    AgendaItem,
    Meeting,
    Record,
    fold_text,
    fold_to_ascii,
    iso_time,
    searched_texts,
)

if TYPE_CHECKING:
    from tinydb.storages import Storage

SCHEMA_VERSION = 5
META_TABLE = "_meta"
HISTORY_TABLE = "history"
SYNC_TABLE = "_sync"
TABLES = [cls.TABLE for cls in RECORD_TYPES]
DEFAULT_LOCK_TIMEOUT = 10.0
DEFAULT_BACKUPS = 10
PARTS_SUFFIX = ".parts"
ACTIONS_PER_PART = 1000
# Meetings and agenda items all live in parts, so that the data file holds little more
# than the unfinished actions, which most commands read and every change rewrites.
MEETINGS_PER_PART = 1000
# Parts of records a command that changes records all over a file holds before it
# writes those it changed and lets go of them (``Repository.spill_changes``).
PARTS_HELD = 8
RECORD_PARTS = (Meeting.TABLE, AgendaItem.TABLE, Action.TABLE)  # those records
ITEMS_PER_PART = 2000
HISTORY_PART_BYTES = 256 * 1024
CHANGES_PER_CHUNK = 1000  # a larger history entry is compressed in chunks of this many
MIN_GRACE = 2  # writes a retired part outlives, even with no backups (slow readers)
_PART_BATCH_BYTES = 8 << 20  # parts written before the commit together, after one list
PENDING_PREFIX = ".pending-"
_BY_ID = itemgetter("id")
_FIRST = itemgetter(0)
_MODEL_ID = attrgetter("id")

R = TypeVar("R", bound=Record)
T = TypeVar("T")
U = TypeVar("U")
V = TypeVar("V")
# What a stored value that does not read raises as a model or a view reads it (a stored
# date that is no date too, which ``PartialDate.from_iso`` says as an input error).
_UNREADABLE = (KeyError, ValueError, TypeError, AttributeError, InputError)
Data = dict[str, dict[str, Any]]


def atomic_json_storage(path: Path) -> Storage:
    """The data file as a TinyDB storage that reads it once (orjson) and replaces it
    atomically.

    TinyDB's own JSONStorage rewrites the file in place, which a crash can tear.
    The Repository works on the parsed tables directly: TinyDB's Table rebuilds a
    whole table on every insert (O(n) each), too slow for a 100,000-action import.
    Only a write imports TinyDB: a read parses the file itself (``read_file``), and
    importing TinyDB took 4 ms of every read's start-up.
    """
    from tinydb.storages import Storage

    class AtomicJSONStorage(Storage):
        def read(self) -> Data | None:
            return read_file(path)

        def write(self, data: Data) -> None:
            atomic_write(path, file_bytes(data))

    return AtomicJSONStorage()


def _empty_data() -> Data:
    data: Data = {table: {} for table in [*TABLES, HISTORY_TABLE]}
    data[META_TABLE] = {"1": {"schema": SCHEMA_VERSION, "counters": {}, "txn": 0}}
    return data


class Partition(NamedTuple):
    """A table whose cold records live in part files, each keyed by the first id it holds.

    A part holds ``ids_per_part`` consecutive ids, or, with ``bytes_per_part``, new
    records go to the newest part until it holds that many bytes (the history: one
    huge import entry must not make every later command rewrite it).
    """

    table: str
    hot: Callable[[dict[str, Any]], bool]  # records kept in the data file itself
    ids_per_part: int = 0
    bytes_per_part: int = 0
    # What the data file's list of parts says about each part's records ("about"), so
    # a command can skip the parts that cannot hold what it wants.
    about: Callable[[dict[str, dict[str, Any]]], dict[str, Any]] | None = None

    def key_for(self, record_id: int, sizes: dict[int, int]) -> int:
        """The part a record without one goes to; ``sizes`` are the parts' bytes so far."""
        if self.ids_per_part:
            return record_id // self.ids_per_part * self.ids_per_part
        if sizes:
            newest = max(sizes)
            if record_id >= newest and sizes[newest] < self.bytes_per_part:
                return newest
        return record_id


def _never(record: dict[str, Any]) -> bool:
    return False


def _each(build: Callable[[V], T], records: list[V]) -> list[T]:
    return list(map(build, records))


def every(record: dict[str, Any]) -> bool:
    """A ``where`` that every stored record passes."""
    return True


def _passing(where: Callable[[dict[str, Any]], bool], lines: list[list[Any]]) -> list[list[Any]]:
    """The lines of actions (values of ``LINE_KEYS``) whose status and due date
    ``where`` passes, given as a stored dict of those two; a new list. ``every`` is not
    called: a list of all L's actions has 100,000 lines."""
    if where is every:
        return list(lines)
    return [v for v in lines if where({"status": v[7], "due": v[6]})]


def _about_meetings(records: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The meetings a part's records belong to.

    A malformed record (cdt check names it) makes the part say nothing, so it is
    always read.
    """
    meetings = [r.get("meeting_id") for r in records.values()]
    numbers = [m for m in meetings if isinstance(m, int)]
    if len(numbers) < len(meetings):
        return {}
    return {"meetings": sorted(set(numbers))}


ABOUT_KEYS = {"meetings", "counts", "completed", "items", "dates"}  # what an entry may say


def _about_items(records: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The meetings a part's agenda items belong to, and how many each has in it: the
    meeting timeline counts items without reading their parts."""
    about = _about_meetings(records)
    if about:
        counts = Counter(r["meeting_id"] for r in records.values())
        about["counts"] = [counts[m] for m in about["meetings"]]
    return about


def _said_counts(entry: dict[str, Any]) -> dict[int, int] | None:
    """What a part's entry says it holds for each meeting, or None where it does not say
    (a part written before it did, or an entry that does not read)."""
    about = entry.get("about")
    meetings = about.get("meetings") if isinstance(about, dict) else None
    counts = about.get("counts") if isinstance(about, dict) else None
    if not (isinstance(meetings, list) and isinstance(counts, list)):
        return None
    if not (
        len(meetings) == len(counts)
        and all(type(m) is int for m in meetings)  # whole numbers, not true or false
        and all(type(n) is int and n > 0 for n in counts)
    ):
        return None
    return dict(zip(meetings, counts, strict=True))


def _about_dates(records: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Each of a part's meetings by id and its stored date, in id order: a list of every
    agenda item orders them by their meetings' dates without reading 5,000 meetings."""
    pairs = [(r.get("id"), r.get("date")) for r in records.values()]
    if not all(type(i) is int and isinstance(d, str) for i, d in pairs):
        return {}
    return {"dates": sorted(pairs)}


def _said_dates(entry: dict[str, Any]) -> list[tuple[int, PartialDate]] | None:
    """What a meetings part's entry says of its meetings' dates, or None where it does not
    say (a part written before it did, or an entry that does not read, dates included:
    the part is read instead)."""
    about = entry.get("about")
    said = about.get("dates") if isinstance(about, dict) else None
    if not isinstance(said, list):
        return None
    if not all(
        type(pair) is list and len(pair) == 2 and type(pair[0]) is int and type(pair[1]) is str
        for pair in said
    ):
        return None
    try:
        return [(record_id, PartialDate.from_iso(date)) for record_id, date in said]
    except InputError:  # ("2020-13", "abc")
        return None


def _about_actions(records: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The meetings a part's actions belong to, its newest completion date, and the
    agenda items its actions name: deleting an item reads only the parts that name it
    (an item moved to another meeting by an import keeps its actions where they were)."""
    about = _about_meetings(records)
    dates = [r.get("completed") for r in records.values() if r.get("completed") is not None]
    completed = [d for d in dates if isinstance(d, str)]
    named = [r.get("item_id") for r in records.values() if r.get("item_id") is not None]
    items = [i for i in named if type(i) is int]
    if not about or len(completed) < len(dates) or len(items) < len(named):
        return {}
    return {**about, "completed": max(completed, default=None), "items": sorted(set(items))}


PARTITIONS: dict[str, Partition] = {
    p.table: p
    for p in (
        Partition(
            Action.TABLE,
            Action.stored_unfinished,
            ids_per_part=ACTIONS_PER_PART,
            about=_about_actions,
        ),
        Partition(Meeting.TABLE, _never, ids_per_part=MEETINGS_PER_PART, about=_about_dates),
        Partition(AgendaItem.TABLE, _never, ids_per_part=ITEMS_PER_PART, about=_about_items),
        Partition(HISTORY_TABLE, _never, bytes_per_part=HISTORY_PART_BYTES),
        Partition(SYNC_TABLE, _never, ids_per_part=1 << 62),  # one part
    )
}


# The fields a search index may name for each table ("note" for an action's notes).
_FIELDS = {
    table: {"note" if name == "notes" else name for name in names}
    for table, names in SEARCHED.items()
}
_SEARCHED_TYPES = {cls.TABLE: cls for cls in RECORD_TYPES if cls.TABLE in SEARCHED}


def own_parts_dir(path: Path) -> Path:
    """The parts folder a data file writes: ``<its name>.parts`` beside it."""
    return path.with_name(path.name + PARTS_SUFFIX)


def parts_dir(path: Path, meta: dict[str, Any]) -> Path:
    """Where the parts a file names are: the folder its writer named, beside the file.

    A rotating backup (``tracker.json.bak-...``) names its data file's folder, so it
    can be read, checked and restored where it lies.
    """
    name = meta.get("parts_dir")
    return path.with_name(name) if isinstance(name, str) else own_parts_dir(path)


def _migrate_0_to_1(data: Data) -> None:
    """Files from before the schema version: add the meta record and id counters."""
    counters = {t: max((int(k) for k in data.get(t, {})), default=0) for t in TABLES}
    data[META_TABLE] = {"1": {"schema": 1, "counters": counters, "txn": 0}}
    data.setdefault(HISTORY_TABLE, {})


def _packed(changes: Any, *, fast: bool = False) -> str:
    """Changes as compressed text: ``fast`` (and above 1 MB) at zlib's level 1, which
    took 5 ms for a chunk of 1,000 added actions where level 6 took 12 ms, for a
    third more bytes (95 KB rather than 70 KB): a bulk import of L writes 126 chunks."""
    import base64
    import zlib

    raw = orjson.dumps(changes)
    level = 1 if fast or len(raw) > 1_000_000 else 6
    return base64.b64encode(zlib.compress(raw, level)).decode("ascii")


def _chunked(changes: list[Any]) -> list[str]:
    """Changes packed in chunks of ``CHANGES_PER_CHUNK`` (see ``ChunkedChanges``)."""
    return [
        _packed(changes[start : start + CHANGES_PER_CHUNK], fast=True)
        for start in range(0, len(changes), CHANGES_PER_CHUNK)
    ]


def _unpacked(text: str) -> list[dict[str, Any]]:
    import base64
    import zlib

    changes = orjson.loads(zlib.decompress(base64.b64decode(text)))
    if not isinstance(changes, list) or not all(isinstance(c, dict) for c in changes):
        raise TypeError("its changes are not a list of records")
    return changes


class ChunkedChanges:
    """A large history entry's changes (schema 5), compressed in chunks of
    ``CHANGES_PER_CHUNK`` (the last one fewer) and unpacked one chunk at a time as they
    are walked.

    ``log -n 20`` reaching a bulk import's entry unpacks its newest chunk only, not
    its 125,000 changes (720 MB as objects at L), and ``check`` or an undo of the import
    hold one chunk at a time. ``where`` names the data file: a damaged chunk is then a
    damaged file (exit 3) wherever a command reaches it.
    """

    __slots__ = ("_count", "chunks", "where")

    def __init__(self, chunks: list[Any], where: Path | None = None) -> None:
        if len(chunks) < 2 or not all(isinstance(text, str) for text in chunks):
            raise TypeError("its changes are not two or more packed chunks")
        self.chunks: list[str] = chunks
        self.where = where
        self._count: int | None = None  # known once every chunk has been unpacked

    def _chunk(self, index: int) -> list[dict[str, Any]]:
        try:
            changes = _unpacked(self.chunks[index])
            if index < len(self.chunks) - 1:
                if len(changes) != CHANGES_PER_CHUNK:
                    raise ValueError(f"its chunk {index + 1} holds {len(changes)} changes")
            elif not changes or len(changes) > CHANGES_PER_CHUNK:
                raise ValueError(f"its last chunk holds {len(changes)} changes")
        except Exception as exc:  # undecodable, wrong types, ...
            raise _as_damage(self.where, exc) from None
        return changes

    def _walk(self, indexes: Iterable[int], newest_first: bool) -> Iterator[dict[str, Any]]:
        count = 0
        for index in indexes:
            changes = self._chunk(index)
            count += len(changes)
            yield from reversed(changes) if newest_first else changes
        self._count = count

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return self._walk(range(len(self.chunks)), newest_first=False)

    def __reversed__(self) -> Iterator[dict[str, Any]]:
        return self._walk(reversed(range(len(self.chunks))), newest_first=True)

    def __len__(self) -> int:
        if self._count is None:
            self._count = sum(len(self._chunk(i)) for i in range(len(self.chunks)))
        return self._count

    def checked(self) -> list[str]:
        """The chunks as they are stored, each unpacked once first (unless a walk did
        already): a change that only marks the entry never writes over damage."""
        len(self)
        return self.chunks


def _as_damage(where: Path | None, exc: Exception) -> Exception:
    """What to raise for unreadable history: a damaged file (exit 3) when the file is
    known, else the error itself (``cdt check`` names the entry)."""
    return exc if where is None else damaged_history(where, exc)


def damaged_history(path: Path, exc: Exception) -> CorruptFileError:
    return CorruptFileError(
        f"{path} has a damaged change history ({exc!r}); "
        f"cdt check names the entry. {restore_hint(path)}"
    )


def pack_entry(entry: dict[str, Any], ahead: Sequence[str] = ()) -> dict[str, Any]:
    """Store a history entry's changes compressed: half a file's bytes would be history,
    parsed by every command that never looks at it. A large entry (a bulk import) is
    kept in chunks, so that reading its newest changes does not unpack them all;
    ``ahead`` are the chunks of the changes before ``entry["changes"]``, packed already
    (``Repository.spill``)."""
    packed = {k: v for k, v in entry.items() if k != "changes"}
    changes = entry.get("changes", [])
    if isinstance(changes, ChunkedChanges):  # unchanged since it was read
        packed["changes_z"] = changes.checked()
    elif isinstance(changes, list) and (ahead or len(changes) > CHANGES_PER_CHUNK):
        packed["changes_z"] = [*ahead, *_chunked(changes)]
    else:  # whatever it is: an unmigrated file's damaged entry is check's to name
        packed["changes_z"] = _packed(changes)
    return packed


def unpack_entry(stored: dict[str, Any], where: Path | None = None) -> dict[str, Any]:
    """A stored entry with its changes: a list, or for a chunked entry a
    ``ChunkedChanges`` that unpacks as it is walked."""
    if "changes_z" not in stored:
        return dict(stored)
    entry = {k: v for k, v in stored.items() if k != "changes_z"}
    packed = stored["changes_z"]
    try:
        if isinstance(packed, list):
            entry["changes"] = ChunkedChanges(packed, where)
        else:
            entry["changes"] = _unpacked(packed)
    except Exception as exc:  # undecodable, wrong types, ...
        raise _as_damage(where, exc) from None
    return entry


def _migrate_1_to_2(data: Data) -> None:
    """Schema 2 keeps each history entry's changes compressed."""
    history = data.get(HISTORY_TABLE, {})
    for key, entry in history.items():
        if "changes" in entry:
            history[key] = pack_entry(entry)
    data[META_TABLE]["1"]["schema"] = 2


def _migrate_2_to_3(data: Data) -> None:
    """Schema 3 may keep cold records in part files; a file with none is still whole."""
    data[META_TABLE]["1"]["schema"] = 3


def _migrate_3_to_4(data: Data) -> None:
    """Schema 4 keeps meetings and agenda items in parts too; the next write moves them
    there (a cdt that reads schema 3 would see no meetings in such a file)."""
    data[META_TABLE]["1"]["schema"] = 4


def _migrate_4_to_5(data: Data) -> None:
    """Schema 5 keeps a large history entry's changes in compressed chunks
    (``ChunkedChanges``); entries recorded before stay whole, and are read as before."""
    data[META_TABLE]["1"]["schema"] = 5


MIGRATIONS: dict[int, Callable[[Data], None]] = {
    0: _migrate_0_to_1,
    1: _migrate_1_to_2,
    2: _migrate_2_to_3,
    3: _migrate_3_to_4,
    4: _migrate_4_to_5,
}


def restore_hint(path: Path) -> str:
    """Name the newest backup and the exact command that brings it back."""
    import shlex

    backups = list_backups(path)
    db = shlex.quote(str(path))
    if backups:
        newest = shlex.quote(str(backups[0]))
        return f"Restore the newest backup with: cdt --db {db} restore {newest}"
    return f"Restore it from your own backup copy (cdt --db {db} restore FILE)."


def _unusable(path: Path, reason: str, advice: bool) -> CorruptFileError:
    hint = f" {restore_hint(path)}" if advice else ""
    error = CorruptFileError(f"{path} {reason}; it was left untouched.{hint}")
    error.reason = reason
    return error


def parse_file(raw: bytes, path: Path, *, advice: bool = True) -> Data:
    """Check and migrate the file's contents; refuse anything that is not ours.

    ``advice`` adds how to restore this file from its backups to the message (not
    wanted when the file being read is itself a backup).
    """
    apart = _apart(raw)
    if apart is None:
        return _parse_whole(raw, path, advice)
    data, unparsed = apart  # (the lines of its actions, which a write makes again, unread)
    data[_HOT_TABLE] = unparsed.parse(path, advice)
    return data


def _parse_whole(raw: bytes, path: Path, advice: bool) -> Data:
    if not raw:
        raise _unusable(path, "is empty (0 bytes)", advice)
    try:
        data: Data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise _unusable(path, f"is damaged (not valid JSON: {exc})", advice) from None
    if isinstance(data, dict):  # made again by every write (see ``file_bytes``)
        data.pop(LINES_TABLE, None)
        data.pop(_LINES_OF, None)
    version = _checked_version(data, path, advice)
    while version < SCHEMA_VERSION:
        MIGRATIONS[version](data)
        version += 1
    for table in [*TABLES, HISTORY_TABLE]:
        data.setdefault(table, {})
    return data


def _checked_version(data: Any, path: Path, advice: bool) -> int:
    """The schema version of parsed contents, once they are checked to be a data file's
    (``_shape_problem``); refused with the problem named otherwise."""
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise _unusable(path, "is not a consular-dialogue data file", advice)
    meta = data.get(META_TABLE, {}).get("1")
    if META_TABLE in data and not isinstance(meta, dict):
        raise _unusable(path, "has a damaged schema record", advice)
    version = meta.get("schema", 0) if isinstance(meta, dict) else 0
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        raise _unusable(path, "has an unreadable schema version", advice)
    if version > SCHEMA_VERSION:
        reason = (
            f"was written by a newer consular-dialogue (schema {version}; this one "
            f"reads up to {SCHEMA_VERSION})"
        )
        error = NewerSchemaError(f"{path} {reason}; upgrade with: pip install -U consular-dialogue")
        error.reason = reason
        raise error
    problem = _shape_problem(data)
    if problem:
        raise _unusable(path, f"is damaged: {problem}", advice)
    return version


# ---- the unfinished actions, last and apart -----------------------------
#
# A write lays the data file out so that a read can leave its unfinished actions
# unparsed. They come last, on a line of their own, after a line with their lines (the
# fields ``ActionLine`` reads, in the order of the table); "_lines" gives the length
# and CRC-32 of each of the two:
#
#   {"dialogues":{...},...,"_lines":{"1":{"bytes":N,"crc32":C,"lines_bytes":...}},
#   "_lines_of":{"1":[[4,1,3,"Compartir ...","MX",null,"2026-10-23","open"],...]},
#   "actions":{"4":{...},...}}
#
# That is still one JSON object (TinyDB's format: compact JSON holds no line break, nor
# does a string in it), which an earlier version reads whole, "_lines" and "_lines_of"
# as tables it does not use. A read parses the first line; the lines when it lists
# actions (``action list`` but with ``--json``, ``topic list``, the timeline); the
# actions when a command first needs them. Both lengths and checksums are checked on
# every read, so a file damaged or edited there is read whole, as before (and refused
# as before when it is not JSON). At L: 2.7 MB of lines, against 11.2 MB of actions
# with their notes.

LINES_TABLE = "_lines"
_LINES_OF = "_lines_of"
_HOT_TABLE = Action.TABLE
_LINES_MARK = b'\n"_lines_of":{"1":'
_HOT_MARK = b'\n"actions":'
_line_values = itemgetter(*LINE_KEYS)


def file_bytes(data: Data) -> bytes:
    """The data file's bytes: ``data`` as JSON, its unfinished actions laid out apart
    (above). A file whose actions lack a key of their lines is written plainly."""
    actions = data.get(_HOT_TABLE, {})
    made = (LINES_TABLE, _LINES_OF)  # (made here: never kept in ``data`` once read)
    try:
        lines = orjson.dumps(list(map(_line_values, actions.values())))
    except (KeyError, TypeError):  # (read whole by every command, as before)
        return orjson.dumps({t: v for t, v in data.items() if t not in made})
    region = orjson.dumps(actions)
    head = {t: v for t, v in data.items() if t != _HOT_TABLE and t not in made}
    head[LINES_TABLE] = {
        "1": {
            "lines_bytes": len(lines),
            "lines_crc32": zlib.crc32(lines),
            "bytes": len(region),
            "crc32": zlib.crc32(region),
        }
    }
    return b"".join(
        (orjson.dumps(head)[:-1], b",", _LINES_MARK, lines, b"},", _HOT_MARK, region, b"}")
    )


class Unparsed(NamedTuple):
    """A data file's unfinished actions, not parsed yet: the file's bytes, and where
    their lines and their table lie in them."""

    raw: bytes
    lines: slice
    actions: slice

    def parse_lines(self) -> list[list[Any]] | None:
        """The lines, each a list of the values of ``LINE_KEYS``; None when they are not
        so (a file crafted with its checksums made again)."""
        try:
            lines = orjson.loads(memoryview(self.raw)[self.lines])
        except orjson.JSONDecodeError:
            return None
        return lines if _all_lines(lines, len(LINE_KEYS)) else None

    def parse(self, path: Path, advice: bool = True) -> dict[str, Any]:
        """The actions table, checked as ``parse_file`` checks it (a damaged one is
        refused by reading the whole file, as ``parse_file`` names the problem)."""
        try:
            actions = orjson.loads(memoryview(self.raw)[self.actions])
        except orjson.JSONDecodeError:
            actions = None
        if isinstance(actions, dict) and not _shape_problem({_HOT_TABLE: actions}):
            return actions
        return _parse_whole(self.raw, path, advice)[_HOT_TABLE]


def _apart(raw: bytes) -> tuple[Data, Unparsed] | None:
    """The file's tables but its unfinished actions, and those unparsed, when it is laid
    out as ``file_bytes`` writes it and sound as ``parse_file`` would find it; None
    when it must be read whole."""
    first = raw.find(b"\n")
    if first < 1 or raw[first - 1 : first] != b"," or not raw.startswith(_LINES_MARK, first):
        return None
    lines_start = first + len(_LINES_MARK)
    second = raw.find(b"\n", lines_start)
    if raw[second - 2 : second] != b"}," or not raw.startswith(_HOT_MARK, second):
        return None
    lines, actions = slice(lines_start, second - 2), slice(second + len(_HOT_MARK), -1)
    if raw[-1:] != b"}":
        return None
    try:
        data = orjson.loads(memoryview(raw)[: first - 1].tobytes() + b"}")
    except orjson.JSONDecodeError:
        return None
    if not isinstance(data, dict) or _HOT_TABLE in data or _LINES_OF in data:
        return None
    said = data.pop(LINES_TABLE, {})
    said = said.get("1") if isinstance(said, dict) else None
    view = memoryview(raw)
    if not (
        isinstance(said, dict)
        and said.get("lines_bytes") == len(view[lines])
        and said.get("bytes") == len(view[actions])
        and said.get("lines_crc32") == zlib.crc32(view[lines])
        and said.get("crc32") == zlib.crc32(view[actions])
    ):
        return None
    try:  # checked as a whole file is (a problem is named by reading it whole)
        if _checked_version(data, Path(), False) != SCHEMA_VERSION:
            return None  # (migrated by ``parse_file``)
    except ConsularDialogueError:
        return None
    for table in [*TABLES, HISTORY_TABLE]:
        if table != _HOT_TABLE:
            data.setdefault(table, {})
    return data, Unparsed(raw, lines, actions)


def _usual_record(key: str, record: Any) -> bool:
    """The usual record of a table of records, in one test: a dict with a uuid and an
    id that is a whole number >= 0 written as its key."""
    return (
        type(record) is dict
        and type(record.get("uuid")) is str
        and type(rid := record.get("id")) is int
        and rid >= 0
        and str(rid) == key
    )


def _all_usual(records: dict[str, Any]) -> bool:
    """Whether ``_usual_record`` holds of each of a table's records, told a test at a time
    across them all, in C loops (a part of 1,000 actions, the data file's 20,000 at L)."""
    values = records.values()
    if not values:
        return True
    if set(map(type, values)) != {dict}:
        return False
    ids: list[Any] = list(map(dict.get, values, repeat("id")))
    return (
        set(map(type, ids)) == {int}
        and min(ids) >= 0
        and list(map(str, ids)) == list(records)
        and set(map(type, map(dict.get, values, repeat("uuid")))) == {str}
    )


def _shape_problem(data: Data) -> str | None:
    """What makes the file's skeleton unusable, or None.

    Cheap enough for every command (a type check per record), so that no command
    rewrites a file whose skeleton is broken; field-level checks are cdt check's.
    """
    for table in TABLES:
        records = data.get(table, {})
        if _all_usual(records):
            continue
        for key, record in records.items():
            # The usual record in one test (an id that is a whole number >= 0 written as
            # its key, a uuid); the checks below only name what is wrong with the others.
            if _usual_record(key, record):
                continue
            if not _is_number(key) or not isinstance(record, dict):
                return f"{table} has an entry {key[:20]!r} that is not a numbered record"
            kind = next(c.label() for c in RECORD_TYPES if table == c.TABLE)
            return f"{kind} record {key} has no matching id or no uuid"
    for key, record in data.get(HISTORY_TABLE, {}).items():
        if not _is_number(key) or not isinstance(record, dict):
            return f"{HISTORY_TABLE} has an entry {key[:20]!r} that is not a numbered record"
    meta = data.get(META_TABLE, {}).get("1")
    if isinstance(meta, dict):
        counters = meta.get("counters", {})
        if not isinstance(counters, dict) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in counters.values()
        ):
            return "its id counters are not whole numbers"
        for name in ("txn", "gen"):
            value = meta.get(name, 0)
            if not isinstance(value, int) or isinstance(value, bool):
                return (
                    f"its {'history' if name == 'txn' else 'write'} counter is not a whole number"
                )
        problem = _parts_index_problem(meta.get("parts", {}), meta.get("retired", {}))
        if problem:
            return problem
        folder = meta.get("parts_dir")
        if folder is not None and not (
            isinstance(folder, str)
            and folder.endswith(PARTS_SUFFIX)
            and not folder.startswith(".")
            and not any(c in folder for c in "/\\:\x00")
        ):
            return "its parts folder is not a folder name beside it"
    sync = data.get("_sync", {})
    if sync and not (
        isinstance(sync.get("1"), dict) and all(isinstance(v, str) for v in sync["1"].values())
    ):
        return "its exchange record (_sync) is malformed"
    return None


def _is_part_name(name: object) -> bool:
    """A name split_into_parts gives: never a path out of the parts folder."""
    import re

    return (
        isinstance(name, str)
        and re.fullmatch(r"[a-z_]+-\d{1,18}-[0-9a-f]{12}\.json", name) is not None
    )


def _is_number(key: str) -> bool:
    """A record or part key: plain ASCII digits, written as ``str(int)`` writes them."""
    return key.isascii() and key.isdigit() and key == str(int(key))


def _parts_index_problem(index: object, retired: object) -> str | None:
    if not isinstance(index, dict) or not isinstance(retired, dict):
        return "its list of part files is malformed"
    for table, parts in index.items():
        if table not in PARTITIONS or not isinstance(parts, dict):
            return "its list of part files is malformed"
        for key, entry in parts.items():
            if not (
                _is_number(key)
                and isinstance(entry, dict)
                and _is_part_name(entry.get("file"))
                and isinstance(entry.get("bytes"), int)
                and isinstance(entry.get("about", {}), dict)
            ):
                return f"its list of part files has a bad entry for {table} {key[:20]!r}"
    if not all(_is_part_name(n) and isinstance(g, int) for n, g in retired.items()):
        return "its list of retired part files is malformed"
    return None


# ---- search indexes ------------------------------------------------------------------
# Beside each part of meetings, agenda items and actions, written with it and deleted
# with it: the texts a search reads, as stored and folded, so that a search reads these
# rather than the parts (a third of their size, and nothing to fold). A part without
# one (written before, or whose texts do not read) is read instead.

SEARCH_SUFFIX = ".search"
# Lines of JSON (JSON has no line break of its own): what it was written with and from
# (the part's size and modification time, as git's index keeps them), then the folded
# texts (NUL between records), then each record's id, meeting id and texts. Only the
# records whose folded texts hold the query are parsed.
SEARCH_FORMAT = 3  # 2 had no part stamp, 1 was one JSON object
# A record's id, its meeting's id, and (field, text) pairs of its texts: every searched
# text in an index's line, those that hold the query in what ``mentioning`` gives.
Mention = tuple[int, int, list[tuple[str, str]]]


def sidecar_name(part: str, suffix: str) -> str:
    """The file name of the part file ``part``'s search index or lines (``suffix``)."""
    return part.removesuffix(".json") + suffix


def search_name(part: str) -> str:
    """The search index's file name of the part file ``part``."""
    return sidecar_name(part, SEARCH_SUFFIX)


# What an index must have been written with: this format, and the Unicode tables that
# folded it (another Python's may fold some characters differently).
_SEARCH_STAMP = (SEARCH_FORMAT, unicodedata.unidata_version)


def _stamp_of(index: object) -> tuple[Any, Any] | None:
    if not isinstance(index, dict):
        return None
    return index.get("format"), index.get("unicode")


def _mention(table: str, record: dict[str, Any], texts: list[tuple[str, str]]) -> Mention:
    """A stored record's id, meeting id (a meeting's own) and ``texts``."""
    record_id = record["id"]
    return record_id, record_id if table == Meeting.TABLE else record["meeting_id"], texts


def search_index(
    table: str, records: dict[str, dict[str, Any]], built: Container[str] = ()
) -> bytes | None:
    """The search index of a part's records, but for its first line (``index_file``);
    None for a table no search reads, or where a record does not read as its model
    reads it (the part is read instead, and refused there as every command refuses it).
    The records ``built`` names (by key) are a model's ``to_record``: they read."""
    cls = _SEARCHED_TYPES.get(table)
    if cls is None:
        return None
    fields = SEARCHED[table]
    mentions, folded = [], []
    try:
        for key, record in records.items():
            if key not in built:
                cls.from_record(record)
            mention = _mention(table, record, searched_texts(record, fields))
            if type(mention[0]) is not int or type(mention[1]) is not int:
                return None
            mentions.append(mention)
            folded.append("\x1f".join([fold_text(text) for _, text in mention[2]]))
    except (KeyError, TypeError, ValueError, AttributeError, ConsularDialogueError):
        return None
    joined = "\x00".join(folded)
    if joined.count("\x00") != len(folded) - 1:  # a text holds a NUL itself
        return None
    return b"\n".join([orjson.dumps(joined), *map(orjson.dumps, mentions)])


def _part_stamp(part: os.stat_result) -> list[int]:
    return [part.st_size, part.st_mtime_ns]


def index_file(part: Path, body: bytes) -> bytes:
    """A search index: its first line, then ``body`` (``search_index``) of ``part``,
    which is written already: the index is used only while the part is unchanged."""
    version, unicode = _SEARCH_STAMP
    stamp = {"format": version, "unicode": unicode, "part": _part_stamp(part.stat())}
    return orjson.dumps(stamp) + b"\n" + body


def _indexed_mentions(
    path: Path, table: str, part: os.stat_result, needle: str
) -> list[Mention] | None:
    """The records of a search index with a folded text that holds ``needle``, each
    with those texts; None when there is no usable index (the part is read instead):
    none, another format or Unicode tables, a part changed since (``part`` is its
    stat), or anything that does not read."""
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    head, _, rest = raw.partition(b"\n")
    folded_line, _, records = rest.partition(b"\n")
    try:
        header = orjson.loads(head)
        if _stamp_of(header) != _SEARCH_STAMP or header.get("part") != _part_stamp(part):
            return None
        folded = orjson.loads(folded_line)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(folded, str):
        return None
    if needle not in folded:
        return []
    lines = records.split(b"\n")
    rows = folded.split("\x00")
    if len(rows) != len(lines):
        return None
    found: list[Mention] = []
    for row in _rows_holding(rows, needle):
        try:
            mention = orjson.loads(lines[row])
        except orjson.JSONDecodeError:
            return None
        # What a search uses of it must read (the file may have been edited).
        if not (
            isinstance(mention, list)
            and len(mention) == 3
            and type(mention[0]) is int
            and type(mention[1]) is int
            and isinstance(mention[2], list)
            and all(
                isinstance(pair, list)
                and len(pair) == 2
                and isinstance(pair[0], str)
                and pair[0] in _FIELDS[table]
                and isinstance(pair[1], str)
                for pair in mention[2]
            )
        ):
            return None
        texts = mention[2]
        folded_texts = rows[row].split("\x1f")
        if len(folded_texts) != len(texts):  # a text holds the separator: fold them here
            folded_texts = [fold_text(text) for _, text in texts]
        held = [
            (field, text)
            for (field, text), fold in zip(texts, folded_texts, strict=True)
            if needle in fold
        ]
        if held:  # (none where the query spans two of the record's texts)
            found.append((mention[0], mention[1], held))
    return found


def _rows_holding(rows: list[str], needle: str) -> list[int]:
    """The numbers of the rows that hold ``needle``, in order."""
    return [n for n, row in enumerate(rows) if needle in row]


def _rows_mentioning(
    records: Sequence[dict[str, Any]],
    fields: tuple[str, ...],
    fold: Callable[[str], str],
    needle: str,
) -> list[int] | None:
    """The rows of ``records`` with a searched text (``searched_texts``) that holds
    ``needle`` once folded by ``fold``: each field's texts of every record joined by
    NULs and folded at once (a fold works a character at a time, and a NUL stays
    itself), then cut apart again. None where it cannot tell: a needle holding a NUL,
    or a text that is not one or holds a NUL itself (a hand edit); the caller then
    looks at every record, as it did before."""
    if "\x00" in needle:
        return None
    rows: set[int] = set()
    try:
        for name in fields:
            owners: list[int] | None = None
            if name == "notes":
                pairs = [
                    (n, text)
                    for n, record in enumerate(records)
                    for note in record.get("notes") or ()
                    if (text := note.get("text"))
                ]
                owners = [n for n, _ in pairs]
                texts = [text for _, text in pairs]
            else:
                texts = [record.get(name) or "" for record in records]
            if not texts:
                continue
            folded = fold("\x00".join(texts)).split("\x00")
            if len(folded) != len(texts):
                return None
            found = _rows_holding(folded, needle)
            rows.update(found if owners is None else [owners[n] for n in found])
    except (TypeError, AttributeError):  # a damaged record: named as it is looked at
        return None
    return sorted(rows)


# ---- lines of a part ------------------------------------------------------------------
# Beside each part of actions, meetings and agenda items, written and deleted with it as
# its search index is: a line of each of its records, the values of its table's
# ``PART_LINE_KEYS`` (an action's are those of the data file's lines of its unfinished
# actions). A read that needs no more of a record reads these rather than the part: a
# list of finished actions (a fifth of their size, without notes and change logs), the
# meetings an action timeline names, the titles and topics an export names, a list of
# agenda items and the topic counts. A part without them (written before, or whose
# records lack a field of a line) is read instead, as is one whose lines do not read.

LINES_SUFFIX = ".lines"
# Two lines of JSON: what they were written with and from (as a search index's first
# line: the part's size and modification time), then the list of lines. The lines of
# actions are of format 1, as first written; those of meetings and items of format 2,
# which a version that knew the lines of actions alone does not judge (its check would
# call them a mismatch).
LINES_FORMATS = {Action.TABLE: 1, Meeting.TABLE: 2, AgendaItem.TABLE: 2}


def lines_name(part: str) -> str:
    """The lines' file name of the part file ``part``."""
    return sidecar_name(part, LINES_SUFFIX)


def part_lines(table: str, records: dict[str, dict[str, Any]]) -> bytes | None:
    """The lines of a part's records, but for their first line (``lines_file``); None
    for a table without lines, or where a record lacks a field of its line."""
    keys = PART_LINE_KEYS.get(table)
    if keys is None:
        return None
    try:
        return orjson.dumps(list(map(itemgetter(*keys), records.values())))
    except (KeyError, TypeError):
        return None


def lines_file(part: Path, body: bytes) -> bytes:
    """A part's lines: their first line, then ``body`` (``part_lines``) of ``part``,
    which is written already: they are used only while the part is unchanged."""
    stamp = {"format": _lines_format(part.name), "part": _part_stamp(part.stat())}
    return orjson.dumps(stamp) + b"\n" + body


def _lines_format(part: str) -> int:
    """The format of the lines of the part file ``part``, by its table: the name of a
    part of actions, meetings or items begins with it (``_new_part``)."""
    return LINES_FORMATS[part.rsplit("-", 2)[0]]


def _lines_in(path: Path, part: Path, table: str) -> list[list[Any]] | None:
    """The lines of the part ``part`` of ``table`` in its lines file ``path``, each a
    list of the values of its ``PART_LINE_KEYS`` with a whole number for an id; None
    when there are no usable lines (the part is read instead): none, another format, a
    part changed since or missing, or anything that does not read so."""
    try:
        stamp = {"format": LINES_FORMATS[table], "part": _part_stamp(part.stat())}
        raw = path.read_bytes()
    except OSError:
        return None
    head, _, body = raw.partition(b"\n")
    try:
        if orjson.loads(head) != stamp:
            return None
        lines = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if not _all_lines(lines, len(PART_LINE_KEYS[table])) or not _all_of_type(
        int, map(_FIRST, lines)
    ):
        return None
    return lines


def _all_lines(lines: Any, width: int) -> TypeGuard[list[list[Any]]]:
    """Whether ``lines`` is a list of lists of ``width`` values each, tested a kind of
    test at a time in C (a list of all L's actions has 100,000 lines)."""
    return (
        type(lines) is list
        and _all_of_type(list, lines)
        and all(map(width.__eq__, map(len, lines)))
    )


def _all_of_type(kind: type, values: Iterable[Any]) -> bool:
    """Whether each value is of exactly the type ``kind`` (not a subclass: ``True`` is
    not an id)."""
    return set(map(type, values)) <= {kind}


# What each file beside a part holds and how its first line is made.
_SIDECARS: dict[str, Callable[[Path, bytes], bytes]] = {
    SEARCH_SUFFIX: index_file,
    LINES_SUFFIX: lines_file,
}
# A new part: its name, its bytes, and the body of each file beside it (by suffix).
NewPart = tuple[str, bytes, list[tuple[str, bytes]]]


def _other_stamp(raw: bytes, written: dict[str, Any]) -> bool:
    """Whether the first line of a search index or of a part's lines says it was written
    otherwise than ``written`` says (another format, other Unicode tables): searches and
    lists do not use it, and it is not this version's to judge."""
    try:
        head = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return False
    return isinstance(head, dict) and any(head.get(k) != v for k, v in written.items())


def read_part(folder: Path, name: str, table: str, data_file: Path) -> dict[str, Any]:
    """One part file's records, checked like the data file's own tables."""
    return _read_part(folder, name, table, data_file)[0]


def _digest(raw: bytes) -> bytes:
    import hashlib

    return hashlib.blake2b(raw, digest_size=16).digest()


def _read_part(
    folder: Path, name: str, table: str, data_file: Path
) -> tuple[dict[str, Any], bytes]:
    """A part's records and its bytes."""
    path = folder / name
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        reason = f"stands on the part file {path}, which is missing"
        error = CorruptFileError(
            f"{data_file} {reason}; if another cdt command was writing, run this one "
            f"again. {restore_hint(data_file)}"
        )
        error.reason = reason
        raise error from None
    except OSError as exc:
        raise DataFileError(f"{path} cannot be read ({exc.strerror or exc}).") from None
    try:
        records = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        problem: str | None = f"not valid JSON: {exc}"
    else:
        if not isinstance(records, dict) or not all(isinstance(v, dict) for v in records.values()):
            problem = "not a part file of consular-dialogue"
        else:
            problem = _shape_problem({table: records})
    if problem:
        reason = f"stands on the part file {path}, which is damaged ({problem})"
        error = CorruptFileError(
            f"{data_file} {reason}; it was left untouched. {restore_hint(data_file)}"
        )
        error.reason = reason
        raise error
    return records, raw


def load_parts(data: Data, path: Path) -> Data:
    """``data`` with every part it names merged in: the whole file, as schema 2 held it."""
    folder, all_parts, _ = _taken_apart(data, path)
    for table, parts in all_parts.items():
        target = data.setdefault(table, {})
        for entry in parts.values():
            for key, record in read_part(folder, entry["file"], table, path).items():
                target.setdefault(key, record)
    return data


_PARTS_KEYS = ("parts", "retired", "parts_dir")  # what a whole file's meta record lacks


def _taken_apart(data: Data, path: Path) -> tuple[Path, dict[str, Any], list[str]]:
    """A file's parts folder and list of parts, taken out of its meta record, and its
    tables in the order of the whole file (those only its parts hold last)."""
    meta = data.get(META_TABLE, {}).get("1", {})
    folder = parts_dir(resolve_target(path), meta)
    parts: dict[str, Any] = meta.get("parts", {})
    for name in _PARTS_KEYS:
        meta.pop(name, None)
    return folder, parts, [*data, *(t for t in parts if t not in data)]


def read_file(path: Path) -> Data | None:
    """The file's checked contents, or None when there is no file yet."""
    raw = _file_raw(path)
    return None if raw is None else parse_file(raw, path)


def _file_raw(path: Path) -> bytes | None:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise DataFileError(f"{path} is a folder, not a data file; give a file path.") from None
    except PermissionError:
        raise DataFileError(f"{path} cannot be read (permission denied).") from None
    except OSError as exc:
        raise DataFileError(f"{path} cannot be read ({exc.strerror or exc}).") from None
    return raw


def fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _temp_prefix(path: Path) -> str:
    return f".{path.name}.tmp-"


def atomic_write(
    path: Path,
    payload: bytes | Iterable[bytes | memoryview],
    *,
    private: bool = False,
    like: os.stat_result | None = None,
    sync_folder: bool = True,
) -> None:
    """Replace ``path`` with ``payload`` (bytes, or pieces of them written as they
    come): temp file, fsync, rename over, fsync folder.

    A new file is created 0600; an existing file keeps its mode and owner unless
    ``private`` (exports and backups are always 0600); ``like`` gives the mode and
    owner to take instead (a part takes its data file's). Without ``sync_folder``
    the caller fsyncs the folder once for several files.
    """
    try:
        existing = like if like is not None or private else path.stat()
    except FileNotFoundError:
        existing = None
    fd, temp_name = _mkstemp(path)
    try:
        with os.fdopen(fd, "wb") as handle:
            for piece in [payload] if isinstance(payload, bytes) else payload:
                handle.write(piece)
            handle.flush()
            os.fsync(handle.fileno())
        if existing is not None:
            os.chmod(temp_name, existing.st_mode & 0o7777)
            if hasattr(os, "chown") and (existing.st_uid, existing.st_gid) != (
                os.getuid(),
                os.getgid(),
            ):
                with contextlib.suppress(PermissionError):
                    os.chown(temp_name, existing.st_uid, existing.st_gid)
        os.replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
        raise
    if sync_folder:
        fsync_folder(path.parent)


def _mkstemp(path: Path) -> tuple[int, str]:
    import tempfile

    return tempfile.mkstemp(prefix=_temp_prefix(path), dir=path.parent)


def _remove_stale_temps(path: Path) -> None:
    """Temp files left by a killed writer; safe to remove because we hold the lock."""
    prefix = _temp_prefix(path)
    for entry in path.parent.iterdir():
        if entry.name.startswith(prefix):
            with contextlib.suppress(FileNotFoundError):
                entry.unlink()


def backup_prefix(path: Path) -> str:
    return f"{path.name}.bak-"


_BACKUP_SUFFIX = r"(\d{8}T\d{12})(?:-g(\d{1,18}))?"


def list_backups(path: Path) -> list[Path]:
    """Backups of ``path``, newest first (the names keep_backup gives, nothing else)."""
    import re

    pattern = re.compile(re.escape(backup_prefix(path)) + _BACKUP_SUFFIX)
    try:
        names = [e for e in path.parent.iterdir() if pattern.fullmatch(e.name)]
    except OSError:
        return []
    return sorted(names, key=lambda p: p.name, reverse=True)


def backup_gen(backup: Path) -> int:
    """The write generation of the file a backup keeps (0 when its name does not say:
    then it may name any retired part, and none is deleted while it is kept)."""
    head, _, gen = backup.name.rpartition("-g")
    return int(gen) if head and gen.isdigit() else 0


def keep_backup(path: Path, keep: int | None = None, gen: int | None = None) -> Path | None:
    """Keep the file about to be replaced as the newest backup; returns its path.

    A hard link costs nothing: the old contents stay on disk under the backup name
    once the new file is renamed over ``path``. ``keep`` prunes to that many
    backups (``None`` prunes nothing; 0 keeps no backup at all). Backups are 0600.
    ``gen`` (the kept file's write generation) goes into the name: the parts a
    backup may stand on are known from the names of the backups there are.
    """
    if keep == 0 or not path.exists():
        return None
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
    suffix = f"-g{gen}" if gen else ""
    backup = path.with_name(f"{backup_prefix(path)}{stamp}{suffix}")
    try:
        os.link(path, backup)
    except OSError:  # no hard links on this file system: copy, with a temp file we sweep
        import shutil

        temp = path.with_name(f"{_temp_prefix(path)}backup")
        shutil.copyfile(path, temp)
        os.replace(temp, backup)
    if keep is not None:
        for old in list_backups(path)[keep:]:
            with contextlib.suppress(FileNotFoundError):
                old.unlink()
            # What the backup grew if it was ever used as --db and written.
            with contextlib.suppress(FileNotFoundError):
                old.with_name(old.name + ".lock").unlink()
            own = own_parts_dir(old)
            if own.is_dir():
                import shutil

                shutil.rmtree(own, ignore_errors=True)
    return backup


def _may_hold(test: Callable[[dict[str, Any]], bool], entry: dict[str, Any]) -> bool:
    """Whether a part may hold what ``test`` asks of its "about"; a part without one,
    or with one that does not read, is read to be sure."""
    try:
        return "about" not in entry or bool(test(entry["about"]))
    except (KeyError, TypeError, ValueError):
        return True


def _part_problems(
    partition: Partition,
    entry: dict[str, Any],
    records: dict[str, Any],
    folder: Path,
    data_file: Path,
    checked: Container[str] = (),
) -> list[str]:
    """What a part's entry in the list of parts, its search index or its lines say
    that its records do not (see ``Repository.stored_records``)."""
    problems = []
    table = partition.table
    said = entry.get("about", {})
    if partition.about is not None and said:
        found = partition.about(records)
        # Keys a later version may add are not this one's to judge.
        known = said.keys() & ABOUT_KEYS
        if any(orjson.dumps(found.get(k)) != orjson.dumps(said[k]) for k in known):
            problems.append(
                f"The list of parts misdescribes the {table} part {entry['file']} "
                f"(edited by hand?). {restore_hint(data_file)}"
            )
    index = folder / search_name(entry["file"])
    with contextlib.suppress(OSError):  # none (or unreadable): search reads the part
        head, _, body = index.read_bytes().partition(b"\n")
        written = {"format": SEARCH_FORMAT, "unicode": unicodedata.unidata_version}
        if body != search_index(table, records, checked) and not _other_stamp(head, written):
            problems.append(
                f"The search index {index} does not match its part "
                f"{entry['file']} (edited by hand?); delete it, and searches "
                "read the part instead."
            )
    lines = folder / lines_name(entry["file"])
    with contextlib.suppress(OSError):  # none (or unreadable): reads use the part
        head, _, body = lines.read_bytes().partition(b"\n")
        written = {"format": LINES_FORMATS.get(table)}
        if body != part_lines(table, records) and not _other_stamp(head, written):
            problems.append(
                f"The lines {lines} do not match their part {entry['file']} (edited by "
                "hand?); delete them, and reads use the part instead."
            )
    return problems


def _make_parts_dir(folder: Path, like: os.stat_result | None) -> None:
    """The parts folder, readable by whoever may read the data file."""
    if folder.is_dir():
        return
    readable = (like.st_mode & 0o044) if like is not None else 0
    folder.mkdir(mode=0o700, exist_ok=True)
    os.chmod(folder, 0o700 | readable | (readable >> 2))
    fsync_folder(folder.parent)


class Commit(NamedTuple):
    """What is left to do once the data file is replaced."""

    folder: Path
    doomed: list[str]  # retired parts nothing can name any more
    pending: list[Path]  # the lists of this write's new parts

    def finish(self) -> None:
        _delete_parts(self.folder, self.doomed)
        for listed in self.pending:
            with contextlib.suppress(FileNotFoundError):
                listed.unlink()


def _pending_name(folder: Path, gen: int) -> Path:
    return folder / f"{PENDING_PREFIX}{gen}-{os.urandom(4).hex()}"


def _write_parts(
    pending: Path, like: os.stat_result | None, new: list[NewPart], doomed: list[str]
) -> None:
    """Write new parts (name, bytes, the files beside them) after a pending file that
    lists them and the parts to delete, so that the next writer can tell what a killed
    one left."""
    folder = pending.parent
    _make_parts_dir(folder, like)
    atomic_write(pending, orjson.dumps([name for name, _, _ in new] + doomed))
    for name, payload, _ in new:
        atomic_write(folder / name, payload, like=like, sync_folder=False)
    for name, _, beside in new:  # once their parts are written: they name them
        for suffix, body in beside:
            made = _SIDECARS[suffix](folder / name, body)
            atomic_write(folder / sidecar_name(name, suffix), made, like=like, sync_folder=False)
    fsync_folder(folder)


def _delete_parts(folder: Path, names: list[str]) -> None:
    """Delete part files, and the search index and lines beside each."""
    for name in names:
        for doomed in (name, *(sidecar_name(name, suffix) for suffix in _SIDECARS)):
            with contextlib.suppress(FileNotFoundError):
                (folder / doomed).unlink()


def _sweep_leftovers(folder: Path, meta: dict[str, Any]) -> None:
    """Delete what killed writers left in the parts folder, and the search indexes and
    lines of parts that are gone (an earlier version deletes a part without its index,
    or without its lines); nothing else.

    A writer lists the parts it is about to write or delete in a pending file first:
    those the data file neither names nor keeps as retired are a killed writer's (not
    committed, or committed but not yet deleted). Temp files go too. Anything else
    (parts a backup or a copy stands on) is never touched here.
    """
    try:
        listing = list(folder.iterdir())
    except FileNotFoundError:
        return
    present = [entry for entry in listing if entry.name.startswith(".")]
    names = {entry.name for entry in listing}
    for entry in listing:  # an index or lines whose part an earlier version deleted
        stem, dot, suffix = entry.name.rpartition(".")
        if dot and f".{suffix}" in _SIDECARS and f"{stem}.json" not in names:
            with contextlib.suppress(FileNotFoundError):
                entry.unlink()
    parts = meta.get("parts", {})
    named = {entry["file"] for index in parts.values() for entry in index.values()}
    named.update(meta.get("retired", {}))
    for entry in present:
        if entry.name.startswith(PENDING_PREFIX):
            try:
                listed = orjson.loads(entry.read_bytes())
            except (OSError, orjson.JSONDecodeError):
                listed = []  # torn while being written: its parts were not written yet
            if isinstance(listed, list):
                _delete_parts(folder, [n for n in listed if _is_part_name(n) and n not in named])
        elif ".tmp-" not in entry.name:
            continue
        with contextlib.suppress(FileNotFoundError):
            entry.unlink()


def _stored_id(record: dict[str, Any]) -> int:
    record_id: int = record["id"]
    return record_id


def _id_and_date(record: dict[str, Any]) -> tuple[int, PartialDate]:
    return record["id"], PartialDate.from_iso(record["date"])


def _stays(partition: Partition, record: dict[str, Any]) -> bool:
    """Whether a record stays in the data file; a malformed one does (cdt check names it)."""
    try:
        return partition.hot(record)
    except (KeyError, TypeError, AttributeError):
        return True


class ChangeEntry(NamedTuple):
    """One record's change inside a command, kept in the file's history."""

    kind: str
    record_id: int
    uuid: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


def _change(c: ChangeEntry) -> dict[str, Any]:
    """A change as the history entry keeps it."""
    return {"kind": c.kind, "id": c.record_id, "uuid": c.uuid, "before": c.before, "after": c.after}


class Repository:
    """Typed access to the records of one data file, in memory for one command."""

    def __init__(
        self,
        path: Path,
        loaded: Data,
        unparsed: Unparsed | None = None,
        writable: bool = False,
        is_new: bool = False,
    ) -> None:
        self.path = path
        # The data file's tables as read; a read-only copy may leave its unfinished
        # actions unparsed (``unparsed``) until ``data``, or a look at their table, asks
        # for them.
        self.loaded = loaded
        self.unparsed = unparsed
        self.writable = writable
        self.is_new = is_new
        self.pending: list[ChangeEntry] = []
        self.dirty = False
        self._cache: dict[str, dict[int, Record]] = {}
        self._hidden: dict[str, dict[int, Record]] = {}
        self._counted: set[str] = set()
        self._single: dict[str, dict[int, Record]] = {}
        # Part files read so far: table -> part key -> the records as read; and which
        # part each record read from one came from (it is written back there).
        self._parts: dict[str, dict[int, dict[str, Any]]] = {}
        self._origin: dict[str, dict[str, int]] = {}
        self._whole: set[str] = set()
        self._digests: dict[tuple[int, str], bytes] = {}
        # The keys, by table, of the stored dicts a model's ``to_record`` made in this
        # command: a part's search index need not build them again to see that they read.
        self._built: dict[str, set[str]] = {}
        # Spilling (see ``spill``): whether this repository may; the first id this
        # command gave out, by table; the key below which parts are written; what was
        # written; the changes packed already.
        self.spills = False
        # A dry run's copy: the records it added that ``spill`` would write are let go
        # of instead (nothing is written, and nothing reads them again), with the
        # changes recorded so far.
        self.discards = False
        self._fresh: dict[str, int] = {}
        self._spilled: dict[str, int] = {}
        self._spilled_parts: list[str] = []
        self._spilled_lists: list[Path] = []
        # Parts the list named that this command's spills replaced: those the data
        # file named (retired by the commit), and those a spill wrote (deleted by it).
        self._replaced: list[str] = []
        self._rewritten: list[str] = []
        self._packed: list[str] = []
        self._made_folder = False
        self._keys: dict[str, list[int]] = {}  # parts' keys

    @property
    def data(self) -> Data:
        """The data file's tables, every one parsed."""
        if self.unparsed is not None:
            self.loaded[_HOT_TABLE] = self.unparsed.parse(self.path)
            self.unparsed = None
        return self.loaded

    def parts_bytes(self, cls: type[Record]) -> int:
        """How many bytes the part files of ``cls``'s records hold, as listed (a size
        that is not a whole number, by a hand edit, counts none)."""
        entries = self._index(cls.TABLE).values()
        sizes = (entry.get("bytes") if isinstance(entry, dict) else None for entry in entries)
        return sum(size for size in sizes if type(size) is int)

    def unparsed_bytes(self) -> int:
        """How many bytes of the data file's unfinished actions are still to parse: what
        a read of them has yet to cost."""
        if self.unparsed is None:
            return 0
        return memoryview(self.unparsed.raw)[self.unparsed.actions].nbytes

    def _own(self, table: str) -> dict[str, Any]:
        """The records of ``table`` the data file holds, with those of the parts read so
        far: only a look at the actions parses the unfinished ones."""
        tables = self.data if table == _HOT_TABLE else self.loaded
        return tables.setdefault(table, {})

    # ---- part files ----------------------------------------------------
    def _index(self, table: str) -> dict[str, Any]:
        index: dict[str, Any] = self.meta.get("parts", {}).get(table, {})
        return index

    def _load_part(self, table: str, key: int) -> None:
        loaded = self._parts.setdefault(table, {})
        entry = self._index(table).get(str(key))
        if key in loaded or entry is None:
            return
        folder = parts_dir(resolve_target(self.path), self.meta)
        records, raw = _read_part(folder, entry["file"], table, self.path)
        loaded[key] = records
        if self.writable:  # how a change is seen, even one made in place (sync bases)
            self._digests[key, table] = _digest(raw)
        target = self._own(table)
        origin = self._origin.setdefault(table, {})
        for record_id, record in records.items():
            target.setdefault(record_id, record)
            origin[record_id] = key

    def _load_holding(self, table: str, record_id: int) -> None:
        """Read the part that would hold ``record_id``, if it is not in memory yet."""
        if table not in PARTITIONS or self._holds(table, record_id):
            return
        key = self.part_key(table, record_id)
        if key is not None:
            self._load_part(table, key)

    def part_key(self, table: str, record_id: int) -> int | None:
        """The key of the part that would hold ``record_id``: None for a table without
        parts, or an id below every part's."""
        if table not in PARTITIONS:
            return None
        keys = self._keys.get(table)
        if keys is None:  # (sorted once: a redo of the L import asks 125,000 times)
            keys = self._keys[table] = sorted(map(int, self._index(table)))
        at = bisect_right(keys, record_id)
        return keys[at - 1] if at else None

    def stored(self, table: str, record_id: int) -> dict[str, Any] | None:
        """One stored dict by id, read from its part if need be (no copy)."""
        self._load_holding(table, record_id)
        return self._own(table).get(str(record_id))

    def table(self, name: str) -> dict[str, dict[str, Any]]:
        """Every stored dict of one table, read from its parts if need be (no copy)."""
        if name in PARTITIONS and name not in self._whole:
            for key in sorted(map(int, self._index(name))):
                self._load_part(name, key)
            self._whole.add(name)
        return self._own(name)

    def whole(self) -> Data:
        """The whole contents, parts included (for checks and full copies)."""
        for name in PARTITIONS:
            self.table(name)
        return self.data

    def stored_records(
        self,
        table: str,
        part_problems: list[str] | None = None,
        checked: set[str] | None = None,
        *,
        own: bool = True,
        parts: bool = True,
    ) -> Iterator[tuple[str, Any]]:
        """Every stored record of ``table`` by key, as ``whole`` merges them (those in
        memory first: the data file's, and those of parts read already; then those of
        each other part that are not among them), reading the parts not in memory one at
        a time and letting each go: ``cdt check`` of 100,000 actions holds one part of
        them, not all.

        What a part's entry in the list of parts, its search index or its lines say
        that its records do not (a part edited by hand) is added to ``part_problems``:
        reports, the timeline, search and lists trust these to skip parts, count items,
        find text and list actions.
        What an older version's list left out is not asked of it. A part's problems are
        added once the caller has asked for the record after its last one: the list is
        whole when the records have run out.

        The caller may add to ``checked`` the key of each record it has found in its
        stored form before it asks for the next one (``cdt check`` does): the check of
        a part's search index does not build again those of the records the part gave
        (a copy of a key given before, from the data file or an earlier part, is built).
        The set is emptied as the data file's records and each part are done.

        Without ``own``, the records in memory are left out; without ``parts``, those of
        the other parts (two processes may check a table in two halves).
        """
        in_memory = self._own(table)
        if own:
            yield from in_memory.items()
        if table not in PARTITIONS or not parts:
            return
        checked = set() if checked is None else checked
        checked.clear()
        partition = PARTITIONS[table]
        folder = parts_dir(resolve_target(self.path), self.meta)
        loaded = self._parts.get(table, {})
        seen = set(in_memory)
        index = self._index(table)
        for key in sorted(map(int, index)):
            entry = index[str(key)]
            records = loaded.get(key)
            if records is None:
                records = read_part(folder, entry["file"], table, self.path)
            given = [record_id for record_id in records if record_id not in seen]
            seen.update(given)
            for record_id in given:
                yield record_id, records[record_id]
            # The caller has seen the part's records now, and said which it checked.
            if part_problems is not None:
                built = checked.intersection(given)
                part_problems += _part_problems(partition, entry, records, folder, self.path, built)
            checked.clear()

    # ---- reading -------------------------------------------------------
    def _build(self, cls: type[R], record: dict[str, Any]) -> R:
        return self._build_as(cls, cls.from_record, record)

    def _build_as(self, cls: type[Record], build: Callable[[V], T], stored: V) -> T:
        """``build(stored)``; a record it cannot read is a damaged file."""
        try:
            return build(stored)
        except _UNREADABLE as exc:
            raise self._damaged(cls, exc) from None

    def _damaged(self, cls: type[Record], exc: Exception) -> CorruptFileError:
        return CorruptFileError(
            f"{self.path} has a damaged {cls.label()} record ({exc!r}); run cdt check. "
            f"{restore_hint(self.path)}"
        )

    def _records(self, cls: type[R]) -> dict[int, R]:
        cached = self._cache.get(cls.TABLE)
        if cached is None:
            # Records already handed out one by one keep their identity (a service may
            # be changing one of them).
            single = self._single.pop(cls.TABLE, {})
            cached = {}
            for doc_id, record in self.table(cls.TABLE).items():
                key = int(doc_id)
                cached[key] = single.get(key) or self._build(cls, record)
            self._cache[cls.TABLE] = cached
        return cached  # type: ignore[return-value]

    def _remember(self, record: Record) -> None:
        """Keep a changed record where later look-ups find it, without building its table."""
        cached = self._cache.get(record.TABLE)
        target = cached if cached is not None else self._single.setdefault(record.TABLE, {})
        target[record.id] = record

    def _forget(self, record: Record) -> None:
        self._cache.get(record.TABLE, {}).pop(record.id, None)
        self._single.get(record.TABLE, {}).pop(record.id, None)

    def select(
        self,
        cls: type[R],
        where: Callable[[dict[str, Any]], bool],
        *,
        hot: bool = False,
        parts: Callable[[dict[str, Any]], bool] | None = None,
    ) -> list[R]:
        """The records whose stored dict passes ``where``, in id order.

        Only those are built into models: a list of 2,000 open actions among 100,000
        does not pay for the other 98,000. ``hot`` says that only records kept in the
        data file itself can pass (unfinished actions), so no part file is read;
        ``parts`` (a test on a part's "about") that only the parts it passes can.
        """
        if cls.TABLE in self._cache:
            table = self.table(cls.TABLE)
            chosen = [
                r for i, r in self._records(cls).items() if self._passes(cls, where, table[str(i)])
            ]
            return sorted(chosen, key=_MODEL_ID)
        built = self.select_as(cls, cls.from_record, where, hot=hot, parts=parts)
        if not self.writable:
            return built
        # A writable copy hands out one model per record, as ``all`` and ``find`` do: a
        # change made to a selected record and to one found by id is made to one model.
        handed_out = self._single.setdefault(cls.TABLE, {})
        return [handed_out.setdefault(r.id, r) for r in built]  # type: ignore[misc]

    def select_as(
        self,
        cls: type[Record],
        build: Callable[[dict[str, Any]], T],
        where: Callable[[dict[str, Any]], bool],
        *,
        hot: bool = False,
        parts: Callable[[dict[str, Any]], bool] | None = None,
        keep_parts: bool | None = None,
        lines: bool = False,
    ) -> list[T]:
        """``select``, each stored dict that passes built by ``build`` instead: a view
        that needs less of the record than its model does (a list line of an action,
        without its notes). Views are never kept; the parts read are kept by a writable
        copy (which may change their records) unless ``keep_parts`` says otherwise.

        ``lines`` says that ``where`` and ``build`` read no field of a record but its
        table's ``PART_LINE_KEYS``: a part whose lines are usable is not read, and they
        are given each record's line as a dict of those fields (``_from_part``)."""
        return self.select_all_as(
            cls,
            partial(_each, build),
            where,
            hot=hot,
            parts=parts,
            keep_parts=keep_parts,
            lines=lines,
        )

    def select_all_as(
        self,
        cls: type[Record],
        build_all: Callable[[list[dict[str, Any]]], list[T]],
        where: Callable[[dict[str, Any]], bool],
        *,
        hot: bool = False,
        parts: Callable[[dict[str, Any]], bool] | None = None,
        keep_parts: bool | None = None,
        lines: bool = False,
    ) -> list[T]:
        """``select_as``, with ``build_all`` building the views of a list of stored dicts
        at once, a view for each: those of the data file, then those of each part read
        (the JSON of a part's 1,000 actions is made in one call, not 1,000)."""
        if cls.TABLE in self._cache:
            # Built already, and perhaps changed in memory or hidden (sensitivity
            # filters): a view of each model that is left, as it is now.
            models = self.select(cls, where)
            return self._build_as(cls, build_all, [r.to_record() for r in models])
        try:
            if hot:
                table = self._own(cls.TABLE)
                chosen = [raw for raw in table.values() if where(raw)]
            elif cls.TABLE in self._whole or cls.TABLE not in PARTITIONS:
                chosen = [raw for raw in self.table(cls.TABLE).values() if where(raw)]
            else:
                keep = self.writable if keep_parts is None else keep_parts
                built = self._stream(cls, build_all, where, parts, keep=keep, lines=lines)
                built.sort(key=_FIRST)
                return [view for _, view in built]
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise self._damaged(cls, exc) from None
        chosen.sort(key=_BY_ID)
        return self._build_as(cls, build_all, chosen)

    def unfinished_lines(self, where: Callable[[dict[str, Any]], bool]) -> list[ActionLine]:
        """``select_as(Action, ActionLine.from_record, where, hot=True)``: the lines of
        the data file's actions whose stored dict passes ``where``, in id order. While
        the actions are unparsed, ``where`` is given of each only its stored status and
        due date (``{"status": ..., "due": ...}``), and the lines are made from the data
        file's lines of them, not from the stored actions with their notes."""
        lines = None if self.unparsed is None else self.unparsed.parse_lines()
        if lines is None:
            return self.select_as(Action, ActionLine.from_record, where, hot=True)
        try:
            chosen = _passing(where, lines)
            chosen.sort(key=_FIRST)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise self._damaged(Action, exc) from None
        return self._build_as(Action, partial(_each, ActionLine.from_values), chosen)

    def action_lines(self, where: Callable[[dict[str, Any]], bool]) -> list[ActionLine]:
        """``select_as(Action, ActionLine.from_record, where)``: the lines of the actions
        whose stored dict passes ``where``, in id order. As ``unfinished_lines`` does,
        ``where`` is given of each only its stored status and due date, and the lines are
        the data file's lines of its actions and each part's lines file (``part_lines``)
        while the part is as it was; a part without usable lines is read. A list of all
        100,000 actions of L reads 14 MB of lines, not 60 MB of actions with their notes.
        Where the data file's actions are parsed (``unparsed`` is None: a writable copy,
        a part of actions read, the table read whole as ``restrict`` reads it, or lines
        that are unusable), they may be in memory, changed or hidden: ``select_as``
        reads them."""
        table = Action.TABLE
        hot = None if self.unparsed is None else self.unparsed.parse_lines()
        if hot is None:
            return self.select_as(Action, ActionLine.from_record, where)
        folder = parts_dir(resolve_target(self.path), self.meta)
        index = self._index(table)
        try:
            taken = {v[0] for v in hot}  # ids listed already: the data file's first
        except TypeError as exc:
            raise self._damaged(Action, exc) from None
        built: list[ActionLine] = []
        for key in sorted(map(int, index)):
            name = index[str(key)]["file"]
            lines = _lines_in(folder / lines_name(name), folder / name, table)
            from_lines = None if lines is None else self._lines_passing(where, lines, taken)
            if lines is not None and from_lines is not None:
                built += from_lines
                taken.update(line[0] for line in lines)
                continue
            # A record the data file holds too is the data file's, and one in two parts
            # (a hand edit) the first part's, as _stream has them.
            records = read_part(folder, name, table, self.path)
            try:
                chosen = [r for r in records.values() if r["id"] not in taken and where(r)]
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                raise self._damaged(Action, exc) from None
            taken.update(r["id"] for r in records.values())
            built += self._build_as(Action, partial(_each, ActionLine.from_record), chosen)
        # The data file's are built last, as _stream builds them: of a damaged action
        # there and one in a part, the part's is named.
        try:
            chosen_lines = _passing(where, hot)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise self._damaged(Action, exc) from None
        built = self._build_as(Action, partial(_each, ActionLine.from_values), chosen_lines) + built
        built.sort(key=_FIRST)
        return built

    @staticmethod
    def _lines_passing(
        where: Callable[[dict[str, Any]], bool], lines: list[list[Any]], taken: AbstractSet[int]
    ) -> list[ActionLine] | None:
        """The lines of ``lines`` that ``where`` passes (given their status and due date)
        and whose id ``taken`` does not hold, built; None where one does not read. Each
        line is tested only where a test can fail: ``every`` passes all, and the ids of a
        part are not those of the data file or of another part but after a hand edit."""
        try:
            if not taken.isdisjoint(map(_FIRST, lines)):
                lines = [v for v in lines if v[0] not in taken]
            return _each(ActionLine.from_values, _passing(where, lines))
        except (KeyError, TypeError, ValueError, AttributeError):
            return None

    def lines_problem(self) -> str | None:
        """What is wrong with the data file's lines of its unfinished actions: that they
        do not say what the actions do (only a file crafted with its checksums made
        again can hold such lines; ``cdt check``)."""
        if self.unparsed is None:
            return None  # read whole: no lines are read
        lines = self.unparsed.parse_lines()
        actions = self.data[_HOT_TABLE].values()
        if lines is None:
            return "the data file's lines of its unfinished actions are unreadable."
        with contextlib.suppress(KeyError, TypeError):
            if lines == [list(_line_values(action)) for action in actions]:
                return None
        return (
            "the data file's lines of its unfinished actions do not match the actions "
            "(any change writes them again)."
        )

    def ids_where(
        self,
        cls: type[Record],
        where: Callable[[dict[str, Any]], bool],
        *,
        parts: Callable[[dict[str, Any]], bool] | None = None,
    ) -> list[int]:
        """The ids of the records whose stored dict passes ``where``, in id order, from
        the parts ``parts`` passes (as ``select``). Parts not in memory are read one at a
        time and let go, by a writable copy too (its parts in memory, changed or not, are
        read there): a check before a change needs no more (does any of 100,000 actions
        name the agenda item to delete?)."""
        return self.select_as(cls, _stored_id, where, parts=parts, keep_parts=False)

    def of_meeting(self, cls: type[R], meeting_id: int) -> list[R]:
        """The records of ``cls`` (agenda items, actions) of one meeting, in id order,
        reading only the parts whose list says they may hold one: a meeting's page needs
        its 20 items and 30 actions, not 100,000 actions built."""
        return self.select(
            cls,
            lambda raw: raw["meeting_id"] == meeting_id,
            parts=lambda about: meeting_id in about["meetings"],
        )

    def _stream(
        self,
        cls: type[Record],
        build_all: Callable[[list[dict[str, Any]]], list[T]],
        where: Callable[[dict[str, Any]], bool],
        parts: Callable[[dict[str, Any]], bool] | None,
        *,
        keep: bool,
        lines: bool = False,
    ) -> list[tuple[int, T]]:
        """Each stored record of a partitioned table that passes ``where``, by its id and
        built by ``build_all``, reading only the parts that may hold one; without ``keep`` it
        reads them one at a time, builds what passes and lets each go (a list of 100,000
        actions holds their lines, not their records with notes and change logs), or
        with ``lines`` reads their lines where it can (``select_as``)."""
        table_name = cls.TABLE
        loaded = self._parts.setdefault(table_name, {})
        folder = parts_dir(resolve_target(self.path), self.meta)
        index = self._index(table_name)
        streamed: list[tuple[int, T]] = []
        seen: set[str] = set()  # ids streamed from earlier parts
        kept = self._own(table_name)  # the data file's, while no part is loaded

        def views(records: dict[str, dict[str, Any]]) -> tuple[list[str], list[tuple[int, T]]]:
            # A record the data file holds too is the data file's, and one in two parts
            # (a hand edit) the first part's, as _load_part has them.
            chosen = [r for i, r in records.items() if i not in kept and i not in seen and where(r)]
            return list(records), self._with_ids(cls, build_all, chosen)

        for key in sorted(map(int, index)):
            entry = index[str(key)]
            if key in loaded or (parts is not None and not _may_hold(parts, entry)):
                continue
            if keep:
                self._load_part(table_name, key)
            else:
                held, built = self._from_part(folder, entry["file"], cls, lines, views)
                seen.update(held)
                streamed += built
        table = self._own(table_name)  # with the parts just loaded
        chosen = [raw for raw in table.values() if where(raw)]
        return self._with_ids(cls, build_all, chosen) + streamed

    def _from_part(
        self,
        folder: Path,
        name: str,
        cls: type[Record],
        lines: bool,
        make: Callable[[dict[str, dict[str, Any]]], U],
        only: Container[int] | None = None,
    ) -> U:
        """``make`` of the records of the part ``name``, by id. With ``lines``, while the
        part has usable lines, ``make`` is given each record's line instead, as a dict of
        its table's ``PART_LINE_KEYS`` (at L, the meetings an action timeline names are
        0.6 MB of lines, not 4 MB of meetings with their delegations), or only those of
        the ids ``only`` holds, when ``make`` needs no others; where a value there does
        not read (a hand edit), the part is read, as for a list of actions."""
        table = cls.TABLE
        if lines:
            found = _lines_in(folder / lines_name(name), folder / name, table)
            if found is not None:
                keys = PART_LINE_KEYS[table]
                if only is not None:  # an export's 20,000 actions name half of L's items
                    found = [v for v in found if v[0] in only]
                try:
                    return make({str(v[0]): dict(zip(keys, v, strict=True)) for v in found})
                except (CorruptFileError, *_UNREADABLE):
                    pass
        return make(read_part(folder, name, table, self.path))

    def _with_ids(
        self,
        cls: type[Record],
        build_all: Callable[[list[dict[str, Any]]], list[T]],
        chosen: list[dict[str, Any]],
    ) -> list[tuple[int, T]]:
        ids = [raw["id"] for raw in chosen]
        return list(zip(ids, self._build_as(cls, build_all, chosen), strict=True))

    def _passes(
        self, cls: type[Record], where: Callable[[dict[str, Any]], bool], raw: dict[str, Any]
    ) -> bool:
        try:
            return where(raw)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise self._damaged(cls, exc) from None

    def mentioning(self, cls: type[Record], needle: str) -> list[Mention]:
        """The id, meeting id and texts that hold ``needle`` (a folded query) of each
        record of ``cls`` with such a text, in id order. A record whose texts are read
        here (the data file's, a part's without a usable index) is kept where one of its
        texts holds the query, and read as its model reads it (a damaged one is
        refused); an index's texts are tested as it folded them. A read-only copy
        reads a part's search index instead of the part while the part is as it was
        when the index was written (its size and modification time; a part edited by
        hand is read)."""
        table = cls.TABLE
        fields = SEARCHED[table]
        first = fold_to_ascii if needle.isascii() else fold_text

        def passing(records: Iterable[dict[str, Any]]) -> list[Mention]:
            found = []
            every_one = list(records)
            # The rows whose texts ``first`` finds the query in, folded a field at a
            # time; else each record's texts are folded and tested here.
            rows = _rows_mentioning(every_one, fields, first, needle)
            for record in every_one if rows is None else [every_one[n] for n in rows]:
                texts = searched_texts(record, fields)
                if rows is None and needle not in first("\x1f".join([t for _, t in texts])):
                    continue
                # The first test lets a few more through: only a true find is read.
                held = [(f, text) for f, text in texts if needle in fold_text(text)]
                if held:
                    self._build(cls, record)
                    found.append(_mention(table, record, held))
            return found

        try:
            if table in self._cache:  # built, perhaps changed or hidden: as it is now
                return passing([r.to_record() for r in self.all(cls)])
            if self.writable or table not in PARTITIONS or table in self._whole:
                return sorted(passing(self.table(table).values()), key=itemgetter(0))
            found = passing(self._own(table).values())  # first, as select lists
            folder = parts_dir(resolve_target(self.path), self.meta)
            loaded = self._parts.get(table, {})
            index = self._index(table)
            for key in sorted(map(int, index)):
                if key in loaded:
                    continue  # in the data file's tables
                entry = index[str(key)]
                part = folder / entry["file"]
                indexed = None
                with contextlib.suppress(OSError):  # missing: named as such below
                    stat = part.stat()
                    if stat.st_size == entry["bytes"]:
                        index_path = folder / search_name(part.name)
                        indexed = _indexed_mentions(index_path, table, stat, needle)
                if indexed is None:
                    found += passing(read_part(folder, part.name, table, self.path).values())
                else:
                    found += indexed
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise self._damaged(cls, exc) from None
        return sorted(found, key=itemgetter(0))

    def meeting_dates(self) -> dict[int, PartialDate]:
        """Each meeting's date by id. A part of meetings whose entry in the list of parts
        says their dates (every part this version writes) is not read: L's 5,000 meetings
        with their delegations take 0.13 s to read and check, their dates 20 ms."""
        table = Meeting.TABLE
        if table in self._cache:  # built (perhaps some hidden): as they are in memory
            return {m.id: m.date for m in self._records(Meeting).values()}
        index = self._index(table)
        loaded = self._parts.get(table, {})
        dates: dict[int, PartialDate] = {}
        for key in sorted(map(int, index)):
            pairs = None if key in loaded else _said_dates(index[str(key)])
            for record_id, date in pairs or ():
                dates.setdefault(record_id, date)  # (in two parts, a hand edit: the first)
        # The other parts are read, and the meetings in memory (the data file's, a
        # loaded part's, which may be changed) are taken as they are.
        dates.update(
            self.select_as(
                Meeting,
                _id_and_date,
                every,
                parts=lambda about: _said_dates({"about": about}) is None,
            )
        )
        return dates

    def meeting_counts(self, cls: type[Record]) -> Counter[Any]:
        """How many records of ``cls`` each meeting has, by meeting id. When every part
        says how many it holds (agenda items' do) and none is in memory, no part is read."""
        if cls.TABLE in self._cache:  # built, perhaps with records hidden (--max-level)
            return Counter(map(attrgetter("meeting_id"), self._records(cls).values()))
        counted = [_said_counts(entry) for entry in self._index(cls.TABLE).values()]
        if not self._own(cls.TABLE) and not self._parts.get(cls.TABLE) and None not in counted:
            total: Counter[Any] = Counter()
            for counts in counted:
                total.update(counts)
            return total
        try:
            return Counter(raw["meeting_id"] for raw in self.table(cls.TABLE).values())
        except (KeyError, TypeError) as exc:
            raise self._damaged(cls, exc) from None

    def all(self, cls: type[R]) -> list[R]:
        """Every record of a kind, in id order."""
        return sorted(self._records(cls).values(), key=lambda r: r.id)

    def in_batches(self, cls: type[R]) -> Iterator[list[R]]:
        """Every record of a kind in id order, as ``all`` gives them, a part at a time:
        each part read, built and let go before the next (L's records as models take
        600 MB). Records built already (a sensitivity filter's) are given as they are."""
        table = cls.TABLE
        if self.writable or table in self._cache or table in self._whole or table not in PARTITIONS:
            yield self.all(cls)  # (a writable copy's records may be changed in memory)
            return
        # (what memory holds now: a part read while this runs, by a look-up, is read again)
        own = dict(self._own(table))
        seen = set(own)  # a record in two parts (a hand edit): the first, as ``table``
        hot = sorted((int(key), record) for key, record in own.items())
        index = self._index(table)
        keys = sorted(map(int, index))
        folder = parts_dir(resolve_target(self.path), self.meta)
        loaded = self._parts.get(table, {})
        at = 0
        for number, key in enumerate(keys):
            records = loaded.get(key)
            if records is None:
                records = read_part(folder, index[str(key)]["file"], table, self.path)
            # (a record in the data file too, by a hand edit: the data file's, as ``table``)
            batch = [self._build(cls, r) for k, r in records.items() if k not in seen]
            seen.update(records)
            upper = keys[number + 1] if number + 1 < len(keys) else None
            while at < len(hot) and (upper is None or hot[at][0] < upper):
                batch.append(self._build(cls, hot[at][1]))
                at += 1
            batch.sort(key=_MODEL_ID)
            yield batch
        if at < len(hot):
            yield [self._build(cls, record) for _, record in hot[at:]]

    def find(self, cls: type[R], record_id: int) -> R | None:
        """One record by id; builds only that one unless its table is built already."""
        cached = self._cache.get(cls.TABLE)
        if cached is not None:
            return cached.get(record_id)  # type: ignore[return-value]
        single = self._single.setdefault(cls.TABLE, {})
        if record_id not in single:
            raw = self.stored(cls.TABLE, record_id)
            if raw is None:
                return None
            single[record_id] = self._build(cls, raw)
        return single[record_id]  # type: ignore[return-value]

    def found_as(
        self,
        cls: type[Record],
        build: Callable[[dict[str, Any]], T],
        record_ids: Iterable[Any],
        *,
        lines: bool = False,
    ) -> list[T]:
        """The records of these ids that exist, each built by ``build`` (a view, as for
        ``select_as``, and from a part's lines with ``lines``): an export of 2,000 actions
        needs their meetings' titles, not the dialogue's 5,000 meetings. An id that is
        not a whole number (a hand-edited reference, ``true`` included) finds nothing, as
        it would in a dict by id."""
        wanted = list(dict.fromkeys(i for i in record_ids if type(i) is int))
        if cls.TABLE in self._cache or self._single.get(cls.TABLE):
            # Models handed out already may have changed in memory, or be hidden.
            models = [r for i in wanted if (r := self.find(cls, i)) is not None]
            return [self._build_as(cls, build, r.to_record()) for r in models]
        if self.writable or cls.TABLE not in PARTITIONS or cls.TABLE in self._whole:
            stored = (self.stored(cls.TABLE, record_id) for record_id in wanted)
            return [self._build_as(cls, build, raw) for raw in stored if raw is not None]
        return self._found_in_parts(cls, build, wanted, lines)

    def _found_in_parts(
        self,
        cls: type[Record],
        build: Callable[[dict[str, Any]], T],
        wanted: list[int],
        lines: bool,
    ) -> list[T]:
        """``found_as`` for a read-only copy: each part that holds a wanted record is read
        once, its views built and the part let go, as ``_stream`` does (an export of
        20,000 actions reads 15 parts for their titles and topics, and then held them)."""
        table, name = self._own(cls.TABLE), cls.TABLE
        loaded = self._parts.get(name, {})
        index = self._index(name)
        keys = sorted(map(int, index))
        views: dict[int, T] = {}
        by_part: dict[int, list[int]] = {}
        for record_id in wanted:
            raw = table.get(str(record_id))  # the data file's, or a part's in memory
            if raw is not None:
                views[record_id] = self._build_as(cls, build, raw)
                continue
            holder = bisect_right(keys, record_id) - 1  # as _load_holding finds it
            if holder >= 0 and keys[holder] not in loaded:
                by_part.setdefault(keys[holder], []).append(record_id)
        folder = parts_dir(resolve_target(self.path), self.meta)
        for key in sorted(by_part):
            ids = by_part[key]
            found = partial(self._views_by_id, cls, build, ids)
            part = index[str(key)]["file"]
            views.update(self._from_part(folder, part, cls, lines, found, only=set(ids)))
        return [views[i] for i in wanted if i in views]

    def _views_by_id(
        self,
        cls: type[Record],
        build: Callable[[dict[str, Any]], T],
        ids: list[int],
        records: dict[str, dict[str, Any]],
    ) -> dict[int, T]:
        """The view of each record of ``records`` (by id) whose id ``ids`` holds."""
        found = ((i, records.get(str(i))) for i in ids)
        return {i: self._build_as(cls, build, raw) for i, raw in found if raw is not None}

    def get(self, cls: type[R], record_id: int) -> R:
        record = self.find(cls, record_id)
        if record is None:
            raise NotFoundError(f"{cls.label().capitalize()} {record_id} does not exist.")
        return record

    @property
    def meta(self) -> dict[str, Any]:
        meta: dict[str, Any] = self.loaded[META_TABLE]["1"]
        return meta

    def hide(self, record: Record) -> None:
        """Leave a record out of this read-only copy (sensitivity filters); never saved."""
        if self.writable:
            raise RuntimeError("records are hidden only from read-only copies")
        self._records(type(record)).pop(record.id, None)
        self._hidden.setdefault(record.TABLE, {})[record.id] = record

    def hidden_record(self, cls: type[R], record_id: int) -> R | None:
        record = self._hidden.get(cls.TABLE, {}).get(record_id)
        return record if isinstance(record, cls) else None

    # ---- writing -------------------------------------------------------
    def _require_writable(self) -> None:
        if not self.writable:
            raise RuntimeError("this repository was opened read-only")

    def next_id(self, cls: type[Record]) -> int:
        """The next never-used id: the counter survives deletes, so ids are never reused.

        A counter behind the highest stored id (a hand-edited file) is moved past it
        once per command, so an add can never overwrite a record.
        """
        counters: dict[str, int] = self.meta.setdefault("counters", {})
        if cls.TABLE not in self._counted:
            index = self._index(cls.TABLE)
            if index:
                self._load_part(cls.TABLE, max(map(int, index)))
            highest = max(map(int, self.data.get(cls.TABLE, {})), default=0)
            counters[cls.TABLE] = max(counters.get(cls.TABLE, 0), highest)
            self._counted.add(cls.TABLE)
        value = counters.get(cls.TABLE, 0) + 1
        self._fresh.setdefault(cls.TABLE, value)
        counters[cls.TABLE] = value
        return value

    def add(self, record: R, *, keep_id: bool = False) -> R:
        """Store a new record; it gets the next never-used id of its kind."""
        self._require_writable()
        if not keep_id or not record.id:
            record.id = self.next_id(type(record))
        else:
            self._load_holding(record.TABLE, record.id)
            if str(record.id) in self.data.get(record.TABLE, {}):
                raise ValueError(f"{record.ref} exists already")
            counters = self.meta.setdefault("counters", {})
            counters[record.TABLE] = max(counters.get(record.TABLE, 0), record.id)
        stored = record.to_record()
        key = str(record.id)
        self.data.setdefault(record.TABLE, {})[key] = stored
        self._built.setdefault(record.TABLE, set()).add(key)
        self._remember(record)
        self._log(record.KIND, record.id, record.uuid, None, stored)
        return record

    def add_stored(self, cls: type[Record], stored: dict[str, Any]) -> int:
        """Store a new record given as ``cls.to_record`` gives it (the caller has made
        sure), without building it: it gets the next never-used id of its kind. A bulk
        import stores its 125,000 records so, having built each once to check it."""
        self._require_writable()
        record_id = stored["id"] = self.next_id(cls)
        key = str(record_id)
        self.data.setdefault(cls.TABLE, {})[key] = stored
        self._built.setdefault(cls.TABLE, set()).add(key)
        self._cache.pop(cls.TABLE, None)  # built again, with it, when asked for
        self._log(cls.KIND, record_id, stored["uuid"], None, stored)
        return record_id

    def update(self, record: Record) -> None:
        """Store the record's new state (a no-op when nothing changed)."""
        self._require_writable()
        self._load_holding(record.TABLE, record.id)
        table = self.data[record.TABLE]
        before = table.get(str(record.id))
        if before is None:
            raise NotFoundError(f"{record.ref.capitalize()} does not exist.")
        after = record.to_record()
        if after == before:
            return
        key = str(record.id)
        table[key] = after
        self._built.setdefault(record.TABLE, set()).add(key)
        self._remember(record)
        self._log(record.KIND, record.id, record.uuid, before, after)

    def delete(self, record: Record) -> None:
        self._require_writable()
        self._load_holding(record.TABLE, record.id)
        before = self.data[record.TABLE].get(str(record.id))
        if before is None:
            raise NotFoundError(f"{record.ref.capitalize()} does not exist.")
        del self.data[record.TABLE][str(record.id)]
        self._forget(record)
        self._log(record.KIND, record.id, record.uuid, before, None)

    def put_raw(self, kind: str, record_id: int, record: dict[str, Any] | None) -> None:
        """Set a stored record to exactly ``record`` (None deletes); used by undo."""
        self._require_writable()
        cls = KINDS[kind]
        self._load_holding(cls.TABLE, record_id)
        table = self.data.setdefault(cls.TABLE, {})
        before = table.get(str(record_id))
        self._built.get(cls.TABLE, set()).discard(str(record_id))
        if record is None:
            table.pop(str(record_id), None)
        else:
            table[str(record_id)] = record
            counters = self.meta.setdefault("counters", {})
            counters[cls.TABLE] = max(counters.get(cls.TABLE, 0), record_id)
        self._cache.pop(cls.TABLE, None)
        self._single.pop(cls.TABLE, None)
        uuid = (record or before or {}).get("uuid", "")
        self._log(kind, record_id, uuid, before, record)

    def _log(
        self,
        kind: str,
        record_id: int,
        uuid: str,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
    ) -> None:
        self.dirty = True
        self.pending.append(ChangeEntry(kind, record_id, uuid, before, after))

    def split_into_parts(
        self, like: os.stat_result | None, backup_gens: list[int], retire: Sequence[str] = ()
    ) -> Commit:
        """Write the parts this command changed; leave only hot records in ``self.data``.

        Called under the lock, after the backups are rotated and just before the data
        file is replaced. New parts get new names, listed first in a pending file so
        that the next writer can tell what a killed one left; the parts they replace
        are retired. ``backup_gens`` are the generations of the backups there are:
        this write's generation is above all of them (even when the file was put back
        by hand or by restore, its own count may be behind), and a retired part is
        doomed once every backup is of a later generation and no reader may still be
        reading it (MIN_GRACE writes). Doomed parts are deleted once the data file
        is replaced. ``retire`` names more parts to retire (restore retires them all).
        """
        self._require_writable()
        self._keys.clear()
        meta = self.meta
        folder = own_parts_dir(self.path)
        if parts_dir(self.path, meta) != folder:
            # A file that stands on another file's parts (a backup used as --db) writes
            # its own: it must never retire or sweep what another file stands on.
            self.whole()
            for name in ("parts", "retired"):
                meta.pop(name, None)
            self._parts.clear()
            self._origin.clear()
        meta["parts_dir"] = folder.name
        gen = max([int(meta.get("gen", 0)), *backup_gens]) + 1
        meta["gen"] = gen
        meta.setdefault("parts", {})
        retired: dict[str, int] = meta.setdefault("retired", {})
        retired.update(dict.fromkeys(retire, gen))
        writes = self._changed_parts()
        retired.update(dict.fromkeys(self._replaced, gen))
        limit = min([gen - MIN_GRACE, *backup_gens])
        doomed = [name for name, when in retired.items() if when <= limit]
        for name in doomed:
            del retired[name]
        doomed += self._rewritten
        pending = self._spilled_lists
        if writes or doomed:
            pending.append(_pending_name(folder, gen))
            _write_parts(pending[-1], like, writes, doomed)
        return Commit(folder, doomed, pending)

    def _changed_parts(self, tables: Collection[str] = tuple(PARTITIONS)) -> list[NewPart]:
        """The parts of ``tables`` this command changed, made anew (``_new_part``) and
        entered in the list of parts, leaving only hot records in ``self.data``; the
        parts they replace go to ``_replaced`` (retired by the commit), or, when this
        command wrote them (``spill_changes``), to ``_rewritten`` (deleted by it)."""
        all_parts = self.meta.setdefault("parts", {})
        writes: list[NewPart] = []
        for table, partition in PARTITIONS.items():
            if table not in tables:
                continue
            index = all_parts.setdefault(table, {})
            origin = self._origin.get(table, {})
            hot: dict[str, Any] = {}
            cold: dict[int, dict[str, Any]] = {}
            homeless: list[tuple[int, str, dict[str, Any]]] = []
            for record_id, record in self.data.get(table, {}).items():
                if _stays(partition, record):
                    hot[record_id] = record
                elif record_id in origin:
                    cold.setdefault(origin[record_id], {})[record_id] = record
                else:
                    homeless.append((int(record_id), record_id, record))
            sizes = {int(k): int(v["bytes"]) for k, v in index.items()}
            for number, record_id, record in sorted(homeless, key=lambda h: h[0]):
                key = partition.key_for(number, sizes)
                if partition.bytes_per_part:
                    sizes[key] = sizes.get(key, 0) + len(orjson.dumps(record))
                cold.setdefault(key, {})[record_id] = record
            loaded = self._parts.setdefault(table, {})
            for key in cold.keys() - loaded.keys():
                if str(key) in index:  # a part this command adds to without reading it
                    self._load_part(table, key)
                    for record_id, record in loaded[key].items():
                        cold[key].setdefault(record_id, record)
            for key in sorted(cold.keys() | loaded.keys()):
                records = cold.get(key, {})
                payload = orjson.dumps(records) if records else b""
                if key in loaded and _digest(payload) == self._digests.get((key, table)):
                    continue
                old = index.pop(str(key), None)
                if old is not None and old["file"] in self._spilled_parts:
                    self._rewritten.append(old["file"])  # no file or backup ever named it
                elif old is not None:
                    self._replaced.append(old["file"])
                if records:
                    writes.append(self._new_part(partition, key, records, payload, index))
                    if sum(len(payload) for _, payload, _ in writes) >= _PART_BATCH_BYTES:
                        self._write_early(writes)  # (not all held until the last is made)
                        writes = []
            if not index:
                del all_parts[table]
            self.data[table] = hot
        return writes

    def _write_early(self, writes: list[NewPart]) -> None:
        """Write new parts before the commit, after a pending list of their own: known
        before they are written, so that ``abandon`` (or the next writer's sweep) finds
        a half-written set."""
        folder = own_parts_dir(self.path)
        like = None
        with contextlib.suppress(FileNotFoundError):
            like = self.path.stat()
        if not self._spilled_lists and not folder.is_dir():
            self._made_folder = True
        self._spilled_lists.append(_pending_name(folder, int(self.meta.get("gen", 0)) + 1))
        self._spilled_parts += [name for name, _, _ in writes]
        _write_parts(self._spilled_lists[-1], like, writes, [])

    def spill_changes(self, tables: Collection[str] = tuple(PARTITIONS)) -> None:
        """Write the parts of ``tables`` this command has changed so far under new names,
        as the commit would, and let go of their records and of the changes recorded so
        far.

        An undo of the L import deletes 125,000 records, and its redo puts them back:
        held until the commit, with the changes that keep them, they took 523 and 686
        MB. The parts are listed in a pending file first, as ``spill`` lists the parts it
        writes; the list of parts in memory names them from now on, so that a record
        let go is read from there again if the command reaches it; the parts they
        replace are retired by the commit (deleted, if a spill wrote them), and
        nothing is named by the data file until it is replaced. An import's later merges
        spill so too. A dry run's copy (``discards``) lets go of the parts it read and of
        the changes, writing nothing: its caller reaches none of them again."""
        if self.discards:
            for table in tables:  # (the records of the parts let go of below)
                records = self.data.get(table, {})
                for record_id in self._origin.get(table, ()):
                    records.pop(record_id, None)
            self.pending.clear()
            self._let_go_of_parts(tables)
            return
        if not self.spills or parts_dir(self.path, self.meta) != own_parts_dir(self.path):
            return
        self._pack_pending()
        self._keys.clear()
        writes = self._changed_parts(tables)
        self._let_go_of_parts(tables)  # (their records are in the parts just written)
        if writes:
            self._write_early(writes)

    def _let_go_of_parts(self, tables: Collection[str]) -> None:
        for table in tables:
            for held in (self._parts, self._origin, self._cache, self._single, self._built):
                held.pop(table, None)
            self._whole.discard(table)
        for key in [k for k in self._digests if k[1] in tables]:
            del self._digests[key]

    def parts_held(self) -> int:
        """How many parts of records (meetings, agenda items, actions) this copy holds."""
        return sum(len(self._parts.get(table, {})) for table in RECORD_PARTS)

    def holds_enough(self, table: str, record_id: int) -> bool:
        """Whether this copy holds ``PARTS_HELD`` parts of records and reading the record
        would read one more: a command changing records all over the file spills first."""
        return self.parts_held() >= PARTS_HELD and not self._holds(table, record_id)

    def _holds(self, table: str, record_id: int) -> bool:
        """Whether a record is in memory: the data file's, or a part's read already."""
        return str(record_id) in self._own(table)

    def _new_part(
        self,
        partition: Partition,
        key: int,
        records: dict[str, dict[str, Any]],
        payload: bytes,
        index: dict[str, Any],
    ) -> NewPart:
        """A new part's name, bytes, search index and lines, entered in ``index`` (the
        list of parts the data file will hold) under its key."""
        table = partition.table
        name = f"{table.strip('_')}-{key}-{os.urandom(6).hex()}.json"
        index[str(key)] = {"file": name, "bytes": len(payload)}
        if partition.about is not None:
            index[str(key)]["about"] = partition.about(records)
        made = {
            SEARCH_SUFFIX: search_index(table, records, self._built.get(table, ())),
            LINES_SUFFIX: part_lines(table, records),
        }
        return name, payload, [(suffix, body) for suffix, body in made.items() if body is not None]

    def spill(self) -> None:
        """Write the new parts this command has filled so far, and let go of their
        records and of the changes recorded so far (packed as the history keeps them).

        A bulk import of L would otherwise hold its 125,000 records, their changes and
        their parts' bytes all at once (760 MB). A part is written here once every id
        it may hold has been given out; it is listed in a pending file first, as the
        commit's are, and the data file names it only once it is replaced: if the
        command fails or is killed first, the part is deleted (``abandon``, or the next
        writer's sweep). A record let go is read from its part again if the command
        reaches it. Only a repository that may write spills (``spills``); a dry run's
        copy lets go of the records it added among them, and of every change, writing
        nothing (``discards``: the L import's dry run held all it read, 400 MB).
        """
        if self.discards:  # (records the file held before are kept: it may reach them)
            for _ in self._filled(added_only=True):
                pass
            self.pending.clear()
            return
        folder = own_parts_dir(self.path)
        if not self.spills or parts_dir(self.path, self.meta) != folder:
            return
        self._pack_pending()
        self._keys.clear()  # (parts are added below)
        writes = [
            self._new_part(partition, key, cold, orjson.dumps(cold), index)
            for partition, key, cold, index in self._filled()
        ]
        if writes:
            self._write_early(writes)

    def _filled(
        self, *, added_only: bool = False
    ) -> Iterator[tuple[Partition, int, dict[str, dict[str, Any]], dict[str, Any]]]:
        """Each new part this command has filled since the last spill, every id it may
        hold given out: its partition, key, records and the table's list of parts. Its
        records are let go of once the caller has them (when it asks for the next).
        ``added_only`` leaves out the records the file held before (those a whole file
        keeps in itself), which only a written part could give back."""
        counters = self.meta.get("counters", {})
        all_parts = self.meta.setdefault("parts", {})
        for table, first in self._fresh.items():
            partition = PARTITIONS.get(table)
            if partition is None or not partition.ids_per_part:
                continue
            per = partition.ids_per_part
            start = self._spilled.get(table, first // per * per)
            full = (int(counters.get(table, 0)) + 1) // per * per  # every id below is given
            self._spilled[table] = max(start, full)
            index = all_parts.setdefault(table, {})
            records = self.data.get(table, {})
            origin = self._origin.get(table, {})
            loaded = self._parts.get(table, {})
            for key in range(start, full, per):
                if str(key) in index or key in loaded:
                    continue  # a part there is already: the commit writes it again
                cold: dict[str, dict[str, Any]] = {}
                for number in range(max(key, first) if added_only else key, key + per):
                    record_id = str(number)
                    record = records.get(record_id)
                    if record is None or record_id in origin or _stays(partition, record):
                        continue
                    cold[record_id] = record
                if not cold:
                    continue
                yield partition, key, cold, index
                built = self._built.get(table, set())
                single = self._single.get(table, {})
                for record_id in cold:
                    del records[record_id]
                    built.discard(record_id)
                    single.pop(int(record_id), None)
                self._cache.pop(table, None)
                self._whole.discard(table)
            if not index:
                del all_parts[table]

    def abandon(self) -> None:
        """Delete what ``spill`` wrote (parts, their pending lists, a parts folder it
        made), when the command fails before its commit."""
        folder = own_parts_dir(self.path)
        _delete_parts(folder, self._spilled_parts)
        for listed in self._spilled_lists:
            with contextlib.suppress(FileNotFoundError):
                listed.unlink()
        if self._made_folder:
            with contextlib.suppress(OSError):  # (not empty: something else is there)
                folder.rmdir()
        self._spilled_parts.clear()
        self._spilled_lists.clear()

    def _pack_pending(self) -> None:
        """Pack the changes recorded so far in whole chunks, as ``record_history`` will
        (keeping at least one change back, so that the entry is a chunked one)."""
        whole = (len(self.pending) - 1) // CHANGES_PER_CHUNK * CHANGES_PER_CHUNK
        if whole <= 0:
            return
        self._packed += _chunked([_change(c) for c in self.pending[:whole]])
        del self.pending[:whole]

    def history(self) -> list[dict[str, Any]]:
        """Every recorded command's change set, oldest first."""
        return list(reversed(list(self.history_newest_first())))

    def history_newest_first(self) -> Iterator[dict[str, Any]]:
        """Every recorded command's change set, newest first, each read and unpacked only
        when it is reached: ``log -n 20`` and an undo of the last command never read a
        bulk import's part (24 MB at L) nor unpack its 125,000 changes recorded
        before them. A part holds the entries from its key up to the
        next part's."""
        entries = self.loaded.setdefault(HISTORY_TABLE, {})
        loaded = self._parts.setdefault(HISTORY_TABLE, {})
        waiting = set(entries)  # in memory already: the newest, and parts read before
        done: set[str] = set()
        for key in [*sorted(map(int, self._index(HISTORY_TABLE)), reverse=True), None]:
            if key is not None and key not in loaded:
                self._load_part(HISTORY_TABLE, key)
                waiting.update(txn for txn in loaded.get(key, {}) if txn not in done)
            # Every entry from ``key`` on is in memory now; an older one waits for its part.
            ready = sorted(
                (txn for txn in waiting if key is None or int(txn) >= key), key=int, reverse=True
            )
            waiting.difference_update(ready)
            done.update(ready)
            for txn in ready:
                yield unpack_entry(entries[txn], self.path)

    def history_entry(self, txn: int) -> dict[str, Any]:
        self._load_holding(HISTORY_TABLE, txn)
        return unpack_entry(self.loaded[HISTORY_TABLE][str(txn)], self.path)

    def set_history_entry(self, txn: int, entry: dict[str, Any]) -> None:
        self._load_holding(HISTORY_TABLE, txn)
        self.data.setdefault(HISTORY_TABLE, {})[str(txn)] = pack_entry(entry)
        self.dirty = True

    def mark_history_entry(self, txn: int, key: str, value: int) -> None:
        """Say ``key`` in an entry as it is stored, its changes left packed: for an
        entry the command walks anyway (an undo's), which finds any damage in them."""
        self._load_holding(HISTORY_TABLE, txn)
        stored = self.data[HISTORY_TABLE].get(str(txn))
        if not isinstance(stored, dict):  # (an entry that says another txn than its key)
            raise damaged_history(self.path, KeyError(f"no history entry {txn}"))
        stored[key] = value
        self.dirty = True

    def next_txn(self) -> int:
        """The number the next history entry gets."""
        return int(self.meta.get("txn", 0)) + 1

    def record_history(self, *, now: dt.datetime, command: str, action: str, **extra: Any) -> int:
        """Turn this command's pending changes into one history entry."""
        if not self.pending:
            return 0
        txn = self.meta["txn"] = self.next_txn()
        entry: dict[str, Any] = {
            "txn": txn,
            "at": iso_time(now),
            "user": _os_user(),
            "command": command,
            "action": action,
            "changes": [_change(c) for c in self.pending],
            **extra,
        }
        self.data.setdefault(HISTORY_TABLE, {})[str(txn)] = pack_entry(entry, self._packed)
        self.pending.clear()
        self._packed = []
        return txn


def _os_user() -> str:
    import getpass  # imports termios: only a change needs it

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid()) if hasattr(os, "getuid") else "unknown"


def open_for_reading(path: Path) -> Repository:
    """Read the file without locking or creating anything; its unfinished actions are
    parsed when first needed (see ``file_bytes``)."""
    raw = _file_raw(path)
    if raw is None:
        return Repository(path=path, loaded=_empty_data(), is_new=True)
    apart = _apart(raw)
    if apart is None:
        return Repository(path=path, loaded=_parse_whole(raw, path, True))
    return Repository(path=path, loaded=apart[0], unparsed=apart[1])


def lock_timeout_from_env(value: str | None) -> float:
    if value is None or not value.strip():
        return DEFAULT_LOCK_TIMEOUT
    try:
        timeout = float(value)
    except ValueError:
        raise InputError(
            f"CDT_LOCK_TIMEOUT={value!r} is not a number of seconds; set it to e.g. 10."
        ) from None
    return max(timeout, 0.0)


def backups_from_env(value: str | None) -> int:
    if value is None or not value.strip():
        return DEFAULT_BACKUPS
    try:
        return max(int(value), 0)
    except ValueError:
        raise InputError(
            f"CDT_BACKUPS={value!r} is not a whole number; set it to e.g. 10."
        ) from None


@contextlib.contextmanager
def locked(path: Path, timeout: float) -> Iterator[None]:
    """Hold the file's lock (``<file>.lock``) or fail with exit 3 after ``timeout``.

    On POSIX an ``flock`` on the lock file, which the kernel releases when the
    process dies, however it dies; elsewhere filelock (importing it costs 30 ms, a
    tenth of a command, so it is not used where fcntl does the same).
    """
    lock_path = str(path) + ".lock"
    try:
        fd = os.open(lock_path, os.O_CREAT | os.O_RDWR, 0o600)
    except OSError as exc:
        raise DataFileError(
            f"{path} cannot be written: cannot create {lock_path} ({exc.strerror or exc})."
        ) from None
    started = time.monotonic()
    try:
        if not _acquire(fd, lock_path, started + timeout):
            waited = time.monotonic() - started
            raise FileBusyError(
                f"{path} is busy: another cdt command has held its lock for {waited:.0f} s; "
                "try again, or raise CDT_LOCK_TIMEOUT."
            )
        yield
    finally:
        os.close(fd)  # releases the flock (and filelock's, via its own release)
        _release(lock_path)


_OTHER_LOCKS: dict[str, Any] = {}  # filelock locks, where there is no fcntl


def _acquire(fd: int, lock_path: str, deadline: float) -> bool:
    try:
        import fcntl
    except ImportError:  # Windows
        import filelock

        lock = filelock.FileLock(lock_path, mode=0o600)
        try:
            lock.acquire(timeout=max(deadline - time.monotonic(), 0))
        except filelock.Timeout:
            return False
        _OTHER_LOCKS[lock_path] = lock
        return True
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.02)


def _release(lock_path: str) -> None:
    lock = _OTHER_LOCKS.pop(lock_path, None)
    if lock is not None:
        lock.release()


def resolve_target(path: Path) -> Path:
    """Write through a symlinked ``--db`` to its target."""
    return Path(os.path.realpath(path))


@contextlib.contextmanager
def open_for_writing(
    path: Path,
    *,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    backups: int = DEFAULT_BACKUPS,
    create: bool = True,
) -> Iterator[Repository]:
    """Lock, read, yield a writable Repository, and replace the file if it changed.

    Nothing is written when the body raises: the file stays byte-identical.
    """
    target = resolve_target(path)
    if not target.parent.exists():
        if not create:
            raise DataFileError(f"{target.parent} does not exist.")
        try:
            target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise DataFileError(
                f"Cannot create the folder {target.parent}: {exc.strerror}."
            ) from None
    try:
        with locked(target, lock_timeout):
            _remove_stale_temps(target)
            storage = atomic_json_storage(target)
            data = storage.read()
            repo = Repository(
                path=target,
                loaded=data if data is not None else _empty_data(),
                writable=True,
                is_new=data is None,
            )
            if parts_dir(target, repo.meta) == own_parts_dir(target):
                # (a new file too: a killed writer may have left parts for it)
                _sweep_leftovers(own_parts_dir(target), repo.meta)
            repo.spills = True
            try:
                yield repo
            except BaseException:
                repo.abandon()
                raise
            if repo.dirty:
                like = target.stat() if data is not None else None
                kept_gen = int(repo.meta.get("gen", 0)) if data is not None else None
                backup = keep_backup(target, backups, gen=kept_gen)
                commit = repo.split_into_parts(like, _backup_gens(target))
                storage.write(repo.data)
                commit.finish()
                if backup is not None:
                    # A link shares the old file's mode until the new file is renamed over it.
                    with contextlib.suppress(OSError):
                        os.chmod(backup, 0o600)
    except PermissionError as exc:
        raise DataFileError(
            f"{target} cannot be written ({exc.strerror}); check the folder's permissions."
        ) from None
    except OSError as exc:
        raise DataFileError(f"{target} cannot be written: {exc.strerror or exc}.") from None


def _backup_gens(target: Path) -> list[int]:
    """The write generations the backups of ``target`` keep."""
    return [backup_gen(b) for b in list_backups(target)]


def copy_consistent(path: Path, destination: Path, *, lock_timeout: float) -> int:
    """Copy the data file under its lock, so no writer is half-way, as one whole file
    that stands on no part files; returns bytes written."""
    target = resolve_target(path)
    if not target.exists():
        raise DataFileError(f"{target} does not exist yet; there is nothing to back up.")
    with locked(target, lock_timeout):
        data = parse_file(target.read_bytes(), target)
        atomic_write(destination, _whole_file(data, target), private=True)
        return destination.stat().st_size


# ---- whole backups ---------------------------------------------------------
#
# ``cdt backup`` writes the data file and its parts as one JSON object with a record
# on each line, so that ``restore`` can read it a record at a time (L's 110 MB took
# 730 MB parsed whole, with orjson's working copy):
#
#   {"dialogues":{
#   "1":{"id":1,...},
#   "2":{"id":2,...}
#   },"topics":{
#   ...
#   }}
#
# A line break between values is JSON's white space, and compact JSON holds none
# (not even in a string), so this is still one JSON object, read whole by an earlier
# version and by any JSON tool. A backup laid out otherwise (an earlier version's,
# one edited by hand, a rotating backup), or one with a problem at the level of the
# file (not JSON, not shaped like a data file, an older schema), is read whole, which
# names the problem as it always has.

# The tables whose records a laid-out backup leaves in the file until they are
# checked, and again until they are written; the others are parsed as it is read.
_LINED = frozenset({Meeting.TABLE, AgendaItem.TABLE, Action.TABLE, HISTORY_TABLE})
_RUN_LINES = 1000  # consecutive record lines read again and parsed at once, at most
_RUN_BYTES = 4 << 20


def _record_lines(records: dict[str, Any], first: bool) -> bytes:
    """``records`` as the lines of a laid-out backup, each after a line break; with a
    comma first unless they are the ``first`` of their table."""
    dumps = orjson.dumps
    text = b",\n".join(dumps(key) + b":" + dumps(record) for key, record in records.items())
    return (b"\n" if first else b",\n") + text


def _whole_file(data: Data, path: Path) -> Iterator[bytes]:
    """``load_parts(data, path)`` laid out a record to a line (above), made a part at a
    time: the whole of L held at once took 556 MB."""
    folder, parts, tables = _taken_apart(data, path)
    if not tables:
        yield b"{}"
        return
    for number, table in enumerate(tables):
        yield (b"\n}," if number else b"{") + orjson.dumps(table) + b":{"
        own = data.get(table, {})
        seen = set(own)
        if own:
            yield _record_lines(own, True)
        for entry in parts.get(table, {}).values():
            records = read_part(folder, entry["file"], table, path)
            new = records  # (a key twice: only in a damaged file, where the first is kept)
            if not seen.isdisjoint(records):
                new = {key: record for key, record in records.items() if key not in seen}
            if new:
                yield _record_lines(new, not seen)
                seen.update(new)
    yield b"\n}}"


class _NotLaidOut(Exception):
    """Not a laid-out backup, or not one that reads as it should: read it whole."""


def _record_lines_parsed(text: bytes | memoryview, count: int) -> dict[str, Any]:
    """The records of ``count`` consecutive lines of a laid-out backup, each line with
    its line break; raises ``_NotLaidOut`` unless they are JSON and that many records."""
    end = len(text) - (2 if bytes(text[-2:]) == b",\n" else 1)
    try:  # (in a list: as deep as the records lie in the whole file, orjson's limit)
        records: dict[str, Any] = orjson.loads(b"".join((b"[{", text[:end], b"}]")))[0]
    except orjson.JSONDecodeError:
        raise _NotLaidOut from None
    if len(records) != count:
        raise _NotLaidOut  # (more than a record on a line)
    return records


class _Lines(NamedTuple):
    """Where the records of one table lie in a laid-out backup: each line's offset
    (and the end of the last), its record's id and the CRC-32 of its bytes."""

    starts: Any  # array('q')
    ids: Any  # array('q')
    crcs: Any  # array('L')


class Backup:
    """A backup to restore: its tables in its order, and those parsed. Of the others,
    a laid-out backup knows where their records lie in the file it keeps open (read
    again, their bytes checked, when asked for); a rotating backup, or any data file
    that stands on parts, the parts its tables hold beyond the records it holds itself
    (read one at a time, their bytes checked too)."""

    def __init__(
        self,
        path: Path,
        order: list[str],
        parsed: Data,
        lines: dict[str, _Lines] | None = None,
        handle: Any = None,  # BinaryIO
        parts: dict[str, list[str]] | None = None,  # table -> its part files
        folder: Path | None = None,
    ) -> None:
        self.path = path
        self.order = order
        self.parsed = parsed
        self.lines = {} if lines is None else lines
        self.handle = handle
        self.parts = {} if parts is None else parts
        self.folder = Path() if folder is None else folder
        self._digests: dict[str, bytes] = {}
        # table -> each record's id, the part it comes from (-1: the file itself) and key
        self._located: dict[str, list[tuple[int, int, str]]] = {}

    def __enter__(self) -> Backup:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()

    def records_of(self, table: str) -> Iterator[tuple[str, Any]]:
        """The stored records of ``table``, by key, in the backup's order (for a backup
        on parts: its own, then those of each part that are not among them, as
        ``load_parts`` merges them)."""
        lines = self.lines.get(table)
        if lines is not None:
            for number, record in self._read(table, lines, range(len(lines.ids)), each=True):
                yield str(lines.ids[number]), record
            return
        own = self.parsed.get(table, {})
        located = [(int(key), -1, key) for key in own]
        yield from own.items()
        seen = set(own)
        for number in range(len(self.parts.get(table, []))):
            for key, record in self._part(table, number).items():
                if key not in seen:
                    seen.add(key)
                    located.append((int(key), number, key))
                    yield key, record
        self._located[table] = located

    def by_id(self, table: str) -> Iterator[tuple[int, str, Any]]:
        """Each record of ``table`` with its place in the backup and its key, in the
        order of their ids."""
        lines = self.lines.get(table)
        if lines is None:
            yield from self._by_id_in_parts(table)
            return
        numbers = sorted(range(len(lines.ids)), key=lines.ids.__getitem__)
        for start in range(0, len(numbers), _RUN_LINES):
            # Read in the file's order (the unfinished actions come first in their table)
            batch = numbers[start : start + _RUN_LINES]
            read = dict(self._read(table, lines, sorted(batch), each=False))
            for number in batch:
                yield number, str(lines.ids[number]), read[number]

    def _by_id_in_parts(self, table: str) -> Iterator[tuple[int, str, Any]]:
        if table not in self._located:
            for _ in self.records_of(table):  # (where each record is)
                pass
        located = self._located[table]
        own = self.parsed.get(table, {})
        held: dict[int, dict[str, Any]] = {}  # the parts read last
        for number in sorted(range(len(located)), key=lambda n: located[n][0]):
            _, part, key = located[number]
            if part < 0:
                yield number, key, own[key]
                continue
            if part not in held:
                if len(held) == 2:
                    del held[next(iter(held))]
                held[part] = self._part(table, part)
            yield number, key, held[part][key]

    def _part(self, table: str, number: int) -> dict[str, Any]:
        """A part's records, once its bytes are those first read."""
        name = self.parts[table][number]
        records, raw = _read_part(self.folder, name, table, self.path)
        digest = _digest(raw)
        if self._digests.setdefault(name, digest) != digest:
            raise self._changed()
        return records

    def _read(
        self, table: str, lines: _Lines, numbers: Iterable[int], *, each: bool
    ) -> Iterator[tuple[int, Any]]:
        """The records on the lines ``numbers``, read again: each run of lines that
        follow each other in the file is read at once (and parsed at once, unless
        ``each``)."""
        run: list[int] = []
        for number in numbers:
            if run and (
                number != run[-1] + 1
                or len(run) == _RUN_LINES
                or lines.starts[number] - lines.starts[run[0]] > _RUN_BYTES
            ):
                yield from self._run(table, lines, run, each)
                run = []
            run.append(number)
        if run:
            yield from self._run(table, lines, run, each)

    def _run(
        self, table: str, lines: _Lines, run: list[int], each: bool
    ) -> Iterator[tuple[int, Any]]:
        """The records of consecutive lines, once their bytes are those first read; a
        record that is not one as ``_shape_problem`` has it makes the backup read whole.

        The check reads ``each`` line apart: one that holds more than a record (valid
        JSON, as a hand edit may leave it) is read whole, however the lines are grouped
        (a later read groups them by id). Its lines known to hold a record each, a run
        of them is parsed at once."""
        start, starts, crcs = lines.starts[run[0]], lines.starts, lines.crcs
        self.handle.seek(start)
        text = memoryview(self.handle.read(starts[run[-1] + 1] - start))
        pieces = [text[starts[n] - start : starts[n + 1] - start] for n in run]
        if any(zlib.crc32(piece) != crcs[n] for n, piece in zip(run, pieces, strict=True)):
            raise self._changed()
        records: dict[str, Any] = {}
        for piece in pieces if each else [text]:
            records.update(_record_lines_parsed(piece, 1 if each else len(run)))
        for number, (key, record) in zip(run, records.items(), strict=True):
            if key != str(lines.ids[number]) or not (
                type(record) is dict if table == HISTORY_TABLE else _usual_record(key, record)
            ):
                raise _NotLaidOut
            yield number, record

    def _changed(self) -> InputError:
        return InputError(f"{self.path} changed while it was read; nothing was restored.")


def _laid_out(path: Path, handle: Any) -> Backup:
    """A backup laid out a record to a line, its small tables parsed and checked as
    ``parse_file`` checks them; raises ``_NotLaidOut`` for any other."""
    import re
    from array import array

    head = re.compile(rb'(\{|\},)("[a-z_]{1,40}"):\{\n')
    key = re.compile(rb'"(0|[1-9][0-9]{0,17})":\{')
    first = handle.readline(64)
    if not head.fullmatch(first) or first[0:1] != b"{":
        raise _NotLaidOut
    order: list[str] = []
    parsed: Data = {}
    lines: dict[str, _Lines] = {}
    line, offset = first, 0
    comma = False  # whether the last record line ended with one
    while True:
        found = head.fullmatch(line)
        if found is None or comma or (order and found[1] != b"},"):
            break
        table = found[2][1:-1].decode("ascii")
        if table in order:
            raise _NotLaidOut
        order.append(table)
        records: dict[str, Any] = parsed.setdefault(table, {})
        lined = _Lines(array("q"), array("q"), array("L")) if table in _LINED else None
        ids: set[int] = set()
        offset += len(line)
        for line in handle:
            found = key.match(line)
            if found is None:
                break
            if ids and not comma:  # (a comma between two records)
                raise _NotLaidOut
            comma = line.endswith(b"},\n")
            if not (comma or line.endswith(b"}\n")):
                raise _NotLaidOut
            record_id = int(found[1])
            if record_id in ids:
                raise _NotLaidOut
            ids.add(record_id)
            if lined is None:
                records.update(_record_lines_parsed(line, 1))
            else:
                lined.starts.append(offset)
                lined.ids.append(record_id)
                lined.crcs.append(zlib.crc32(line))
            offset += len(line)
        else:
            line = b""
        if lined is not None:
            lined.starts.append(offset)
            lines[table] = lined
            del parsed[table]
    if line not in (b"}}", b"}}\n") or comma or handle.read(1):
        raise _NotLaidOut
    parsed.pop(LINES_TABLE, None)
    parsed.pop(_LINES_OF, None)
    try:
        version = _checked_version(parsed, path, False)
    except ConsularDialogueError:
        raise _NotLaidOut from None
    meta = parsed[META_TABLE]["1"] if version else {}
    if version != SCHEMA_VERSION or any(name in meta for name in _PARTS_KEYS):
        raise _NotLaidOut  # (migrated, or its parts read, by a whole read)
    return Backup(
        path, [t for t in order if t not in (LINES_TABLE, _LINES_OF)], parsed, lines, handle
    )


def _checked_laid_out(
    path: Path,
    handle: Any,
    check: Callable[[Callable[[str], Iterable[tuple[str, Any]]]], list[str]],
) -> tuple[Backup, list[str]]:
    backup = _laid_out(path, handle)
    return backup, check(backup.records_of)


def read_backup(
    path: Path, check: Callable[[Callable[[str], Iterable[tuple[str, Any]]]], list[str]]
) -> tuple[Backup, list[str]]:
    """The backup at ``path``, and the problems ``check`` finds in its records.

    One laid out as ``cdt backup`` writes it is read a record at a time, and again as
    it is restored (its records are never all in memory); one that stands on parts (a
    rotating backup), a part at a time. Any other is read whole, as is one whose
    records are not what its layout says. A file that is not a data file raises
    ``DataFileError``; one that cannot be read, ``OSError``.
    """
    handle = path.open("rb")
    try:
        if handle.seekable():  # (a pipe is read once, whole)
            return _checked_laid_out(path, handle, check)
    except _NotLaidOut:
        pass
    except BaseException:
        handle.close()
        raise
    # (out of the except clause, so that what the attempt held is let go first)
    with handle:
        if handle.seekable():
            handle.seek(0)
        raw = handle.read()
    data = parse_file(raw, path, advice=False)
    del raw
    folder, all_parts, order = _taken_apart(data, path)
    parts = {t: [e["file"] for e in index.values()] for t, index in all_parts.items()}
    backup = Backup(path, order, data, parts=parts, folder=folder)
    problems = check(backup.records_of)
    for table in parts.keys() - backup._located.keys():  # (parts no check reads: sync)
        for _ in backup.records_of(table):
            pass
    return backup, problems


def _lay_out(
    repo: Repository,
    partition: Partition,
    records: Iterator[tuple[int, str, Any]],
    index: dict[str, Any],
) -> dict[str, Any]:
    """Write the parts of ``records`` (in the order of their ids) into ``index``, as
    ``split_into_parts`` lays out records that have no part, a batch at a time
    (``_write_early``); returns the hot ones, in their order in the backup."""
    hot: list[tuple[int, str, Any]] = []
    sizes: dict[int, int] = {}
    writes: list[NewPart] = []
    key = 0
    cold: dict[str, Any] = {}

    def add() -> None:
        payload = orjson.dumps(cold)
        repo._built[partition.table] = set(cold)  # (checked: its index need not build them)
        writes.append(repo._new_part(partition, key, cold, payload, index))
        if sum(len(payload) for _, payload, _ in writes) >= _PART_BATCH_BYTES:
            repo._write_early(writes)
            writes.clear()

    for number, record_id, record in records:
        if _stays(partition, record):
            hot.append((number, record_id, record))
            continue
        part = partition.key_for(int(record_id), sizes)
        if partition.bytes_per_part:
            sizes[part] = sizes.get(part, 0) + len(orjson.dumps(record))
        if part != key and cold:
            add()
            cold = {}
        key = part
        cold[record_id] = record
    if cold:
        add()
    if writes:
        repo._write_early(writes)
    hot.sort(key=_FIRST)
    return {record_id: record for _, record_id, record in hot}


def restore_whole(target: Path, backup: Backup, *, lock_timeout: float) -> Path | None:
    """Make ``backup`` (its records checked, ``check_records``) the data file; returns where the old one went.

    The old file is not read (it may be damaged): it is kept byte for byte as the
    newest backup, and no older backup is removed (the one being restored may be the
    oldest). Every part file there is retired, so the kept backups stay restorable
    for as long as they are kept. The backup's records are written into parts as
    ``split_into_parts`` would write them all at once, a part at a time.
    """
    with locked(target, lock_timeout):
        _remove_stale_temps(target)
        folder = own_parts_dir(target)
        present = [e.name for e in folder.iterdir()] if folder.is_dir() else []
        data: Data = {t: {} if t in PARTITIONS else backup.parsed[t] for t in backup.order}
        for table in [*TABLES, HISTORY_TABLE]:
            data.setdefault(table, {})
        meta = data[META_TABLE]["1"]
        meta["parts_dir"] = folder.name
        gen = max([int(meta.get("gen", 0)), *_backup_gens(target)]) + 1
        meta["gen"] = gen
        parts = meta.setdefault("parts", {})
        # (every part there retired now, and kept: none is doomed yet)
        meta.setdefault("retired", {}).update(dict.fromkeys(filter(_is_part_name, present), gen))
        repo = Repository(path=target, loaded=data, writable=True)
        try:
            for table, partition in PARTITIONS.items():
                index: dict[str, Any] = {}
                data[table] = _lay_out(repo, partition, backup.by_id(table), index)
                if index:
                    parts[table] = index
            kept = keep_backup(target)  # (only now: a restore that fails keeps no copy)
            atomic_write(target, file_bytes(data))
        except BaseException:
            repo.abandon()  # (the parts written so far, and their lists)
            raise
        Commit(folder, [], repo._spilled_lists).finish()
        if kept is not None:
            os.chmod(kept, 0o600)
    return kept

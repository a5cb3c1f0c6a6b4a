"""Checks that a data file (or a dump) is whole: schema, references, ids, dates."""

from __future__ import annotations

import dataclasses
import operator
import types
import typing
from collections.abc import Callable, Container, Iterable, Iterator
from typing import Any

from ..forked import Child
from ..models import KINDS, Action, AgendaItem, Dialogue, Meeting, Record, Topic
from ..storage import HISTORY_TABLE, PARTITIONS, Repository, unpack_entry

Tables = dict[str, dict[str, dict[str, Any]]]
R = typing.TypeVar("R", bound=Record)
T = typing.TypeVar("T")


# A check returns None, or where inside the value the problem is and what it is.
Problem = tuple[str, str]
Check = Callable[[Any], Problem | None]
_CHECKS: dict[type, Check] = {}


def _compile(hint: Any) -> Check:
    """A fast check that a value is of the annotated type ``hint`` (built once per type)."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(hint)
        optional = type(None) in options
        checks = [_compile(o) for o in options if o is not type(None)]

        def check_union(value: Any) -> Problem | None:
            if value is None and optional:
                return None
            first = None
            for check in checks:
                problem = check(value)
                if problem is None:
                    return None
                first = first or problem
            return first

        return check_union
    if origin is list:
        (inner,) = (_compile(a) for a in typing.get_args(hint))

        def check_list(value: Any) -> Problem | None:
            if not isinstance(value, list):
                return ("", "is not a list")
            for n, element in enumerate(value, start=1):
                problem = inner(element)
                if problem:
                    return (f"[{n}]{problem[0]}", problem[1])
            return None

        return check_list
    if origin is dict:
        check_key, check_value = (_compile(a) for a in typing.get_args(hint))

        def check_dict(value: Any) -> Problem | None:
            if not isinstance(value, dict):
                return ("", "is not an object")
            for key, element in value.items():
                problem = check_key(key) or check_value(element)
                if problem:
                    return (f".{key}{problem[0]}", problem[1])
            return None

        return check_dict
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _dataclass_check(hint)
    if hint in (int, str):
        wanted = "text" if hint is str else "a number"

        def check_plain(value: Any) -> Problem | None:
            # bool is an int to Python, never to a data file
            if isinstance(value, hint) and not isinstance(value, bool):
                return None
            return ("", f"is {type(value).__name__}, not {wanted}")

        return check_plain
    if isinstance(hint, type):
        kind: type = hint

        def check_instance(value: Any) -> Problem | None:
            return None if isinstance(value, kind) else ("", "has the wrong type")

        return check_instance
    return lambda value: None


def _exact_types(hint: Any) -> tuple[type, ...] | None:
    """The types a field's value may have for its check to pass at a glance: int and
    str as JSON gives them (a bool is no int here), enums and dates as ``from_record``
    builds them, or None when optional. None when the field needs its full check."""
    options = typing.get_args(hint) if typing.get_origin(hint) is types.UnionType else (hint,)
    exact = tuple(o for o in options if o is not type(None))
    if len(exact) != 1 or not isinstance(exact[0], type) or dataclasses.is_dataclass(exact[0]):
        return None
    if typing.get_origin(exact[0]) is not None or exact[0] in (list, dict, bool, float):
        return None
    return options if len(options) > 1 else exact


def _dataclass_check(cls: type) -> Check:
    if cls not in _CHECKS:
        hints = typing.get_type_hints(cls)
        fields = [(f.name, _compile(hints[f.name])) for f in dataclasses.fields(cls)]
        # Fast path: the plain fields' types are looked up in one pass of C calls; only
        # the other fields (lists, nested records) go through their checks.
        exact = {f.name: _exact_types(hints[f.name]) for f in dataclasses.fields(cls)}
        allowed = [kinds for kinds in exact.values() if kinds is not None]
        plain = [name for name, kinds in exact.items() if kinds is not None]
        plain_values = operator.attrgetter(*plain) if len(plain) > 1 else None
        rest = [(name, check) for name, check in fields if name not in plain]

        def check_fields(value: Any) -> Problem | None:
            if not isinstance(value, cls):
                return ("", "is not an object")
            plain_ok = plain_values is not None and all(
                map(operator.contains, allowed, map(type, plain_values(value)))
            )
            for name, check in rest if plain_ok else fields:
                problem = check(getattr(value, name))
                if problem:
                    return (f".{name}{problem[0]}", problem[1])
            return None

        _CHECKS[cls] = check_fields
    return _CHECKS[cls]


def load_record(cls: type[R], raw: Any) -> R:
    """Read one stored record strictly: every field of its type, every value as stored.

    ``from_record`` alone is lenient (a title of 5, parties given as the text "MXUS");
    a data file or a dump with such a record is refused rather than half-read.
    Raises ValueError naming the first problem.
    """
    return load_stored(cls, raw)[0]


def load_stored(cls: type[R], raw: Any) -> tuple[R, bool]:
    """``load_record``, and whether ``raw`` is the record's stored form itself (as its
    ``to_record`` gives it), not one that leaves out fields to their defaults."""
    if not isinstance(raw, dict):
        raise ValueError("it is not an object")
    try:
        record = cls.from_record(raw)
    except KeyError as exc:
        raise ValueError(f"it has no {exc.args[0]!r}") from None
    except Exception as exc:  # a record from outside may be wrong in any field
        raise ValueError(f"{type(exc).__name__}: {exc}") from None
    problem = _dataclass_check(cls)(record)
    if problem:
        raise ValueError(f"{problem[0].removeprefix('.')} {problem[1]}")
    if not record.uuid:
        raise ValueError("its uuid is empty")
    stored = record.to_record()
    if stored == raw:  # the usual case, compared in one C call
        return record, True
    for key, value in raw.items():
        if key in stored and stored[key] != value:
            raise ValueError(f"{key} {value!r} is not in its stored form ({stored[key]!r})")
    return record, False


def check_tables(data: Tables) -> list[str]:
    """Every problem found, as sentences; an empty list means the file is sound."""
    return check_records(lambda table: data.get(table, {}).items())


def check_records(
    records_of: Callable[[str], Iterable[tuple[str, Any]]],
    checked: dict[str, set[str]] | None = None,
) -> list[str]:
    """``check_tables`` of the records ``records_of`` gives for each table, by key: each
    is built to be checked and then let go, keeping only its uuid and what it says of
    other records (``Links``), so that the tables may be read a part at a time. The
    key of each record found in its stored form (a precaution: any record read has
    been built) is added to ``checked[table]``, where ``checked`` has the table, before
    the next record is asked for (see ``Repository.stored_records``)."""
    return _together([_walk(records_of, _EVERY_TABLE, checked)])


def check_repository(repo: Repository, *, parallel: bool = True) -> list[str]:
    """Every problem of a data file and its parts: ``check_tables``, then what the list
    of parts, a search index, a part's lines or the lines of the unfinished actions get
    wrong. The parts are read one at a time.

    With ``parallel``, where the machine has a second processor and the process can
    fork safely, a child process checks the data file and every part but the actions'
    while this one checks the actions' parts (about half of the work): the same
    problems, in the same order, in about half the time. Anything that goes wrong on either
    side (a part that cannot be read, a child that dies) has the whole check run again
    here, one table after another, so that it fails as that check fails."""
    lines_problem = repo.lines_problem()
    shares = _shares_in_parallel(repo) if parallel else None
    if shares is None:
        shares = [_check_tables(repo, _EVERY_TABLE)]
    problems = _together(shares)
    return problems + ([lines_problem] if lines_problem else [])


# Where a record is ("action 12"), its uuid (None when it could not be built), and the
# problems of that record alone: what the checks that span tables need of it.
Seen = tuple[str, str | None, tuple[str, ...]]

_EVERY_TABLE = frozenset(
    {cls.TABLE for cls in KINDS.values()} | {HISTORY_TABLE} | PARTITIONS.keys()
)


@dataclasses.dataclass
class Share:
    """What checking some of a file's tables found, to be put together with the other
    shares in the order one walk of every table gives (``_together``)."""

    seen: dict[str, list[Seen]]  # by table of records
    links: Links
    history: list[str]  # the history's problems, if this share walked it
    parts: dict[str, list[str]]  # what the parts of each table get wrong


def _walk(
    records_of: Callable[[str], Iterable[tuple[str, Any]]],
    tables: Container[str],
    checked: dict[str, set[str]] | None,
) -> Share:
    """Each record of ``tables`` built and checked on its own (see ``check_records``)."""
    share = Share({}, Links(), [], {})
    for cls in KINDS.values():
        if cls.TABLE not in tables:
            continue
        stored_keys = checked.get(cls.TABLE) if checked is not None else None
        seen = share.seen[cls.TABLE] = []
        for key, raw in records_of(cls.TABLE):
            where = f"{cls.KIND} {key}"
            try:
                record, as_stored = load_stored(cls, raw)
            except ValueError as exc:
                seen.append((where, None, (f"{where} is malformed ({exc}).",)))
                continue
            if as_stored and stored_keys is not None:
                stored_keys.add(key)
            wrong_id = () if str(record.id) == key else (f"{where} says its id is {record.id}.",)
            seen.append((where, record.uuid, wrong_id))
            share.links.add(record)
    if HISTORY_TABLE in tables:
        share.history = _history_problems(records_of(HISTORY_TABLE))
    return share


def _together(shares: list[Share]) -> list[str]:
    """The problems of every share, in the order of one walk: each record's own and
    its uuid's, table by table; then what records name that does not exist; then the
    history's; then the parts', table by table."""
    problems: list[str] = []
    uuids: dict[str, str] = {}
    for cls in KINDS.values():
        for share in shares:
            for where, uuid, found in share.seen.get(cls.TABLE, ()):
                problems += found
                if uuid is None:
                    continue
                if uuid in uuids:
                    problems.append(f"{where} has the same uuid as {uuids[uuid]}.")
                uuids[uuid] = where
    links = Links()
    for share in shares:
        links.update(share.links)
    problems += links.problems()
    for share in shares:
        problems += share.history
    for table in PARTITIONS:
        for share in shares:
            problems += share.parts.get(table, ())
    return problems


def _check_tables(
    repo: Repository,
    tables: Container[str],
    *,
    own_of: Container[str] = _EVERY_TABLE,
    parts_of: Container[str] = _EVERY_TABLE,
    stop: Callable[[], bool] | None = None,
) -> Share:
    """The share of ``check_repository`` that ``tables`` make, their parts read one at a
    time: of the tables in ``own_of``, the records in memory (the data file's), and of
    those in ``parts_of``, those of the parts (see ``Repository.stored_records``). It
    raises ``_Abandoned`` as soon as ``stop`` says so (asked every 1,024 records)."""
    parts: dict[str, list[str]] = {table: [] for table in PARTITIONS if table in tables}
    checked: dict[str, set[str]] = {table: set() for table in parts}
    walked: set[str] = set()

    def records_of(table: str) -> Iterator[tuple[str, Any]]:
        walked.add(table)
        records = repo.stored_records(
            table,
            parts.get(table),
            checked.get(table),
            own=table in own_of,
            parts=table in parts_of,
        )
        return records if stop is None else _watched(records, stop)

    share = _walk(records_of, tables, checked)
    for table in parts.keys() - walked:  # tables of no records to check (sync bases)
        for _ in repo.stored_records(table, parts[table]):
            pass
    share.parts = parts
    return share


class _Abandoned(Exception):
    """A share of the check given up: the other side failed, or is gone."""


def _watched(items: Iterator[T], stop: Callable[[], bool]) -> Iterator[T]:
    """``items``, asking ``stop`` before the first and every 1,024th."""
    for n, item in enumerate(items):
        if not n % 1024 and stop():
            raise _Abandoned
        yield item


def _shares_in_parallel(repo: Repository) -> list[Share] | None:
    """The actions of the parts checked here while a child process checks the rest (the
    data file's unfinished actions among it): about as much work each. None where there
    is no second processor or no safe fork, or when either side fails: each side gives
    up its share as soon as it sees the other fail or go."""
    finished = {Action.TABLE}
    others = Child.start(
        lambda parent: _check_tables(
            repo, _EVERY_TABLE, parts_of=_EVERY_TABLE - finished, stop=parent.gone
        )
    )
    if others is None:
        return None
    try:
        mine = _check_tables(repo, finished, own_of=(), stop=others.failed)
        # In the ``try``: an interrupt may be raised as ``result`` is entered.
        theirs = others.result()
    except BaseException as exc:
        others.stop()  # (a child reaped already is left alone)
        if isinstance(exc, Exception):
            return None  # checked again in one process, which fails as it should
        raise
    return None if theirs is None else [theirs[0], mine]


def _history_problems(history: Iterable[tuple[str, Any]]) -> list[str]:
    """History entries that undo or log could not read."""
    problems: list[str] = []
    for key, stored in history:
        try:
            entry = unpack_entry(stored)
            if entry.get("txn") != int(key):  # (undo and redo find an entry by its txn)
                raise ValueError(f"it says it is entry {entry.get('txn')!r}")
            for change in entry["changes"]:
                if change["kind"] not in KINDS:
                    raise KeyError(f"a change of an unknown kind {change['kind']!r}")
                if not isinstance(change["id"], int):
                    raise TypeError("a change without a numeric id")
                for side in ("before", "after"):
                    if change[side] is not None and not isinstance(change[side], dict):
                        raise TypeError(f"a change whose {side} is not a record")
        except Exception as exc:  # anything unreadable, however it fails
            problems.append(f"history entry {key} is damaged ({exc!r}).")
    return problems


def check_references(records: dict[str, dict[int, Record]]) -> list[str]:
    """What the records (by table and id) name that is not among them."""
    links = Links()
    for table in records.values():
        for record in table.values():
            links.add(record)
    return links.problems()


@dataclasses.dataclass
class Links:
    """What records say of each other, and no more: enough to find what they name that
    does not exist, for 125,000 records at a small part of their models' memory."""

    dialogues: set[str] = dataclasses.field(default_factory=set)
    topics: set[str] = dataclasses.field(default_factory=set)
    meetings: dict[int, str] = dataclasses.field(default_factory=dict)  # id -> dialogue
    # id -> (meeting, topic, carried from)
    items: dict[int, tuple[int, str | None, int | None]] = dataclasses.field(default_factory=dict)
    actions: dict[int, tuple[int, int | None]] = dataclasses.field(default_factory=dict)

    def add(self, record: Record) -> None:
        if isinstance(record, Dialogue):
            self.dialogues.add(record.key)
        elif isinstance(record, Topic):
            self.topics.add(record.slug)
        elif isinstance(record, Meeting):
            self.meetings[record.id] = record.dialogue
        elif isinstance(record, AgendaItem):
            self.items[record.id] = (record.meeting_id, record.topic, record.carried_from)
        elif isinstance(record, Action):
            self.actions[record.id] = (record.meeting_id, record.item_id)

    def update(self, other: Links) -> None:
        """Add what ``other`` holds (of other tables: a record added twice keeps its
        first place)."""
        self.dialogues |= other.dialogues
        self.topics |= other.topics
        self.meetings.update(other.meetings)
        self.items.update(other.items)
        self.actions.update(other.actions)

    def problems(self) -> list[str]:
        problems: list[str] = []
        meetings, items = self.meetings, self.items
        for meeting_id, dialogue in meetings.items():
            if dialogue not in self.dialogues:
                problems.append(f"meeting {meeting_id} names a missing dialogue {dialogue!r}.")
        for item_id, (meeting_id, topic, carried_from) in items.items():
            if meeting_id not in meetings:
                problems.append(f"agenda {item_id} names a missing meeting {meeting_id}.")
            if topic is not None and topic not in self.topics:
                problems.append(f"agenda {item_id} names a missing topic {topic!r}.")
            if carried_from is not None and carried_from not in items:
                problems.append(f"agenda {item_id} was carried from a missing item {carried_from}.")
        problems += self._carry_loops()
        for action_id, (meeting_id, target) in self.actions.items():
            if meeting_id not in meetings:
                problems.append(f"action {action_id} names a missing meeting {meeting_id}.")
            if target is not None:
                linked = items.get(target)
                if linked is None:
                    problems.append(f"action {action_id} names a missing agenda item {target}.")
                elif linked[0] != meeting_id and meeting_id in meetings:
                    # (a missing meeting is said once, above)
                    problems.append(
                        f"action {action_id} is on meeting {meeting_id} but its item "
                        f"{target} is on meeting {linked[0]}."
                    )
        return problems

    def _carry_loops(self) -> list[str]:
        """Chains of carried items that come back to where they started."""
        problems: list[str] = []
        settled: set[int] = set()
        for start in self.items:
            path: list[int] = []
            current: int | None = start
            while current is not None and current not in settled and current not in path:
                path.append(current)
                item = self.items.get(current)
                current = item[2] if item is not None else None
            if current is not None and current in path:
                loop = path[path.index(current) :]
                problems.append(
                    f"agenda {loop[0]} is carried from itself through items "
                    f"{', '.join(map(str, loop))}."
                )
            settled.update(path)
        return problems

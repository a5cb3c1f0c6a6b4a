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
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

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
from ..storage import SYNC_TABLE, Repository
from .integrity import check_references, load_record

R = TypeVar("R", bound=Record)

DUMP_FORMAT = "consular-dialogue"
DUMP_VERSION = 1

FINGERPRINT_PREFIX = "sha256:"
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


def _uuid_refs(repo: Repository) -> tuple[dict[int, str], dict[int, str]]:
    """Local id -> uuid, for meetings and for agenda items."""
    meetings = {m.id: m.uuid for m in repo.all(Meeting)}
    items = {i.id: i.uuid for i in repo.all(AgendaItem)}
    return meetings, items


def build_dump(repo: Repository, *, now: dt.datetime) -> dict[str, Any]:
    """Every record the repository shows, with references by uuid as well as by id.

    Sensitivity is applied before, by hiding records (``sensitivity.restrict``).
    """
    today = now.date()
    dialogue_uuids = {d.key: d.uuid for d in repo.all(Dialogue)}
    meeting_uuids, item_uuids = _uuid_refs(repo)

    def uuid_of(table: dict[int, str], record: Record, record_id: int | None) -> str | None:
        if record_id is None:
            return None
        found = table.get(record_id)
        if found is None:
            raise InputError(
                f"{record.ref.capitalize()} names a record that does not exist; "
                f"run cdt check on {repo.path}."
            )
        return found

    exported = {
        "dialogues": [d.to_record() for d in repo.all(Dialogue)],
        "topics": [t.to_record() for t in repo.all(Topic)],
        "meetings": [
            {**m.to_record(), "dialogue_uuid": dialogue_uuids.get(m.dialogue)}
            for m in repo.all(Meeting)
        ],
        "agenda_items": [
            {
                **i.to_record(),
                "meeting_uuid": uuid_of(meeting_uuids, i, i.meeting_id),
                "carried_from_uuid": uuid_of(item_uuids, i, i.carried_from),
            }
            for i in repo.all(AgendaItem)
        ],
        "actions": [
            {
                **a.to_json(today),
                "meeting_uuid": uuid_of(meeting_uuids, a, a.meeting_id),
                "item_uuid": uuid_of(item_uuids, a, a.item_id),
            }
            for a in repo.all(Action)
        ],
    }
    bases = repo.table(SYNC_TABLE).get("1", {})
    uuids = {r["uuid"] for records in exported.values() for r in records}
    return {
        "format": DUMP_FORMAT,
        "version": DUMP_VERSION,
        "exported_at": iso_time(now),
        **exported,
        "sync": {u: b for u, b in sorted(bases.items()) if u in uuids},
    }


# ---- reading a dump --------------------------------------------------------


@dataclass
class Dump:
    """A dump checked whole by ``parse_dump``, ready for ``import_dump``.

    ``data`` is the dump with every reference given by uuid too (a hand-made dump
    may give ids only), so that merging never meets a reference it cannot follow.
    ``checked`` holds each record as the check built it, by table and uuid: an
    import takes a new record from there instead of building it a second time.
    """

    data: dict[str, Any]
    checked: dict[str, dict[str, Record]]

    @property
    def size(self) -> int:
        """How many records the dump holds."""
        return sum(len(self.data.get(section, [])) for section, _ in SECTIONS)

    def take(self, cls: type[R], stored: dict[str, Any]) -> R:
        """The record ``stored`` describes, as the check built it (at most once)."""
        record = self.checked[cls.TABLE].pop(stored["uuid"], None)
        if not isinstance(record, cls):  # taken by an earlier import of this dump
            return cls.from_record(stored)
        for key in _REMAPPED_KEYS:
            if key in stored:
                setattr(record, key, stored[key])
        return record


# The fields an import sets to this file's values (see ``import_dump``).
_REMAPPED_KEYS = ("id", "dialogue", "meeting_id", "item_id", "carried_from")


def parse_dump(raw: bytes, source: str) -> Dump:
    """Check a dump whole before anything is merged; name the first problem."""
    if not raw.strip():
        raise InputError(f"{source} is empty; nothing was imported.")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InputError(f"{source} is not valid JSON ({exc}); nothing was imported.") from None
    if not isinstance(data, dict) or data.get("format") != DUMP_FORMAT:
        raise InputError(
            f'{source} is not a consular-dialogue dump (its "format" is not '
            f"{DUMP_FORMAT!r}); nothing was imported."
        )
    if data.get("version") != DUMP_VERSION:
        raise InputError(
            f"{source} is a dump of version {data.get('version')!r}; this cdt reads version "
            f"{DUMP_VERSION}. Nothing was imported."
        )

    def refuse(problem: str) -> InputError:
        return InputError(f"{source}: {problem}; nothing was imported.")

    seen: dict[str, str] = {}
    loaded: dict[str, dict[int, Record]] = {}
    by_uuid: dict[str, dict[str, Record]] = {}
    for section, cls in SECTIONS:
        records = data.get(section, [])
        if not isinstance(records, list):
            raise refuse(f"{section!r} is not a list")
        by_id: dict[int, Record] = {}
        for position, raw_record in enumerate(records, start=1):
            where = f"{section}[{position}]"
            if not isinstance(raw_record, dict):
                raise refuse(f"{where} is not an object")
            try:
                record = load_record(cls, _stored_shape(raw_record))
            except ValueError as exc:
                raise refuse(f"{where} is malformed ({exc})") from None
            if record.uuid in seen:
                raise refuse(f"{where} repeats the uuid of {seen[record.uuid]}")
            seen[record.uuid] = where
            if record.id in by_id:
                raise refuse(f"{where} repeats {cls.KIND} id {record.id}")
            by_id[record.id] = record
        loaded[cls.TABLE] = by_id
        by_uuid[cls.TABLE] = {r.uuid: r for r in by_id.values()}
    problems = check_references(loaded)
    if problems:
        raise InputError(f"{source}: {problems[0]} Nothing was imported.")
    dialogue_keys = {
        d.uuid: d.key for d in loaded[Dialogue.TABLE].values() if isinstance(d, Dialogue)
    }
    for position, meeting in enumerate(data.get("meetings", []), start=1):
        given = meeting.get("dialogue_uuid")
        if given is not None and (
            not isinstance(given, str) or dialogue_keys.get(given) != meeting["dialogue"]
        ):
            raise refuse(
                f"meetings[{position}] names dialogue {meeting['dialogue']!r} but dialogue uuid "
                f"{given!r}, which is not that dialogue in the dump"
            )
    for section, references in ID_REFERENCES.items():
        for position, record in enumerate(data.get(section, []), start=1):
            for id_key, uuid_key, target in references:
                record_id = record.get(id_key)
                expected = None if record_id is None else loaded[target.TABLE][record_id].uuid
                given = record.get(uuid_key, expected)
                if given != expected:
                    named = by_uuid[target.TABLE].get(given) if isinstance(given, str) else None
                    what = f"{target.KIND} {named.id}" if named else "nothing in the dump"
                    raise refuse(
                        f"{section}[{position}] names {target.KIND} {record_id} by id but "
                        f"{uuid_key} {given!r} ({what})"
                    )
                record[uuid_key] = expected
    sync = data.get("sync", {})
    if not isinstance(sync, dict) or not all(isinstance(v, str) for v in sync.values()):
        raise refuse('"sync" is not an object of texts')
    return Dump(dict(data), by_uuid)


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

    @property
    def message(self) -> str:
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


@dataclass
class _Merger:
    repo: Repository
    theirs: bool
    incoming_bases: dict[str, str]
    bases: dict[str, str]
    result: ImportResult
    meeting_uuids: dict[int, str]
    item_uuids: dict[int, str]

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
        self, cls: type[Record], local: Record, incoming: dict[str, Any], links: tuple[Any, ...]
    ) -> Record:
        mine = local.to_record()
        mine_print = fingerprint(mine, _local_links(mine, self.meeting_uuids, self.item_uuids))
        theirs_print = fingerprint(incoming, links)
        if mine_print == theirs_print:
            self.result.unchanged += 1
            if mine != incoming:
                # Same content under another stamp or uuid (a catalog topic, say): adopt
                # theirs, so both files hold the very same record from now on.
                local = cls.from_record(incoming)
                self.repo.update(local)
            self.set_base(local.uuid, theirs_print)
            return local
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
            self.result.conflicts.append(Conflict(cls.KIND, local.id, local.uuid))
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
        incoming_bases=dump.data.get("sync", {}),
        bases=sync_bases(repo),
        result=result,
        meeting_uuids=meeting_uuids,
        item_uuids=item_uuids,
    )
    dialogue_keys: dict[str, str] = {}
    meeting_ids: dict[str, int] = {}
    item_ids: dict[str, int] = {}
    by_uuid: dict[str, dict[str, Record]] = {}
    for _, cls in SECTIONS:
        by_uuid[cls.TABLE] = {r.uuid: r for r in repo.all(cls)}
    dialogues_by_key = {d.key: d for d in repo.all(Dialogue)}
    topics_by_slug = {t.slug: t for t in repo.all(Topic)}

    for section, cls in SECTIONS:
        records = dump.data.get(section, [])
        if cls is AgendaItem:
            records = _origin_first(records)
        for raw in records:
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
            if local is None:
                stored["id"] = 0
                record = repo.add(dump.take(cls, stored))
                result.count(result.added, cls.KIND)
                merger.set_base(record.uuid, fingerprint(stored, links))
            else:
                stored["id"] = local.id
                record = merger.merge(cls, local, stored, links)
            if isinstance(record, Dialogue):
                dialogue_keys[raw["uuid"]] = record.key
            elif isinstance(record, Meeting):
                meeting_ids[raw["uuid"]] = record.id
                meeting_uuids[record.id] = record.uuid
            elif isinstance(record, AgendaItem):
                item_ids[raw["uuid"]] = record.id
                item_uuids[record.id] = record.uuid
            if progress is not None:
                progress(1)
    if result.sync_changes:
        repo.dirty = True  # a new agreed version is worth keeping even when no record changed
    return result

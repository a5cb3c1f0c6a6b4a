"""Share-safe exchange between offices: dumps keyed by UUID, merged safely.

Each office keeps its own file. A dump carries every record in its JSON shape
with references by uuid as well as by local id, plus each record's *sync base*:
the version (``updated`` stamp) both sides last agreed on. On import a record
that only the other side changed since that base is taken; one that only this
side changed is kept; one changed on both sides is a conflict, kept local and
listed unless ``theirs``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

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
from ..storage import Repository
from .integrity import check_references

DUMP_FORMAT = "consular-dialogue"
DUMP_VERSION = 1
SYNC_TABLE = "_sync"
SECTIONS: list[tuple[str, type[Record]]] = [
    ("dialogues", Dialogue),
    ("topics", Topic),
    ("meetings", Meeting),
    ("agenda_items", AgendaItem),
    ("actions", Action),
]
# Keys a dump adds to the stored record shape; they are dropped on import.
DUMP_ONLY_KEYS = ("dialogue_uuid", "meeting_uuid", "item_uuid", "carried_from_uuid", "overdue")


def sync_bases(repo: Repository) -> dict[str, str]:
    table = repo.data.setdefault(SYNC_TABLE, {})
    bases: dict[str, str] = table.setdefault("1", {})
    return bases


def build_dump(repo: Repository, *, now: dt.datetime) -> dict[str, Any]:
    """Every record the repository shows, with references by uuid as well as by id.

    Sensitivity is applied before, by hiding records (``sensitivity.restrict``).
    """
    today = now.date()
    dialogue_uuids = {d.key: d.uuid for d in repo.all(Dialogue)}
    meeting_uuids = {m.id: m.uuid for m in repo.all(Meeting)}
    item_uuids = {i.id: i.uuid for i in repo.all(AgendaItem)}

    def uuid_of(table: dict[int, str], record_id: int | None) -> str | None:
        return table[record_id] if record_id is not None else None

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
                "meeting_uuid": meeting_uuids[i.meeting_id],
                "carried_from_uuid": uuid_of(item_uuids, i.carried_from),
            }
            for i in repo.all(AgendaItem)
        ],
        "actions": [
            {
                **a.to_json(today),
                "meeting_uuid": meeting_uuids[a.meeting_id],
                "item_uuid": uuid_of(item_uuids, a.item_id),
            }
            for a in repo.all(Action)
        ],
    }
    bases = repo.data.get(SYNC_TABLE, {}).get("1", {})
    uuids = {r["uuid"] for records in exported.values() for r in records}
    return {
        "format": DUMP_FORMAT,
        "version": DUMP_VERSION,
        "exported_at": iso_time(now),
        **exported,
        "sync": {u: b for u, b in sorted(bases.items()) if u in uuids},
    }


# ---- reading a dump --------------------------------------------------------


def parse_dump(raw: bytes, source: str) -> dict[str, Any]:
    """Check a dump whole before anything is merged; name the first problem."""
    import orjson

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
    seen: dict[str, str] = {}
    loaded: dict[str, dict[int, Record]] = {}
    for section, cls in SECTIONS:
        records = data.get(section, [])
        if not isinstance(records, list):
            raise InputError(f"{source}: {section!r} is not a list; nothing was imported.")
        by_id: dict[int, Record] = {}
        for position, raw_record in enumerate(records, start=1):
            where = f"{section}[{position}]"
            if not isinstance(raw_record, dict):
                raise InputError(f"{source}: {where} is not an object; nothing was imported.")
            try:
                record = cls.from_record(_stored_shape(raw_record))
            except Exception as exc:  # a dump from outside may be wrong in any field
                raise InputError(
                    f"{source}: {where} is malformed ({type(exc).__name__}: {exc}); "
                    "nothing was imported."
                ) from None
            if record.uuid in seen:
                raise InputError(
                    f"{source}: {where} repeats the uuid of {seen[record.uuid]}; "
                    "nothing was imported."
                )
            seen[record.uuid] = where
            if record.id in by_id:
                raise InputError(
                    f"{source}: {where} repeats {cls.KIND} id {record.id}; nothing was imported."
                )
            by_id[record.id] = record
        loaded[cls.TABLE] = by_id
    problems = check_references(loaded)
    if problems:
        raise InputError(f"{source}: {problems[0]} Nothing was imported.")
    if not isinstance(data.get("sync", {}), dict):
        raise InputError(f'{source}: "sync" is not an object; nothing was imported.')
    return data


def _stored_shape(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in DUMP_ONLY_KEYS}


# ---- merging ----------------------------------------------------------------


@dataclass
class ImportResult:
    added: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: int = 0
    kept_local: int = 0
    conflicts: list[str] = field(default_factory=list)

    def count(self, bucket: dict[str, int], kind: str) -> None:
        bucket[kind] = bucket.get(kind, 0) + 1


def _content(record: dict[str, Any]) -> dict[str, Any]:
    """What two versions must share to be the same: everything but local ids."""
    ignored = {"id", "uuid", "updated", "meeting_id", "item_id", "carried_from", *DUMP_ONLY_KEYS}
    return {k: v for k, v in record.items() if k not in ignored}


def _links(record: dict[str, Any]) -> tuple[Any, ...]:
    return (record.get("meeting_id"), record.get("item_id"), record.get("carried_from"))


def import_dump(
    repo: Repository,
    dump: dict[str, Any],
    *,
    theirs: bool,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Merge a checked dump: match by uuid, remap references, detect conflicts."""
    result = ImportResult()
    bases = sync_bases(repo)
    incoming_bases: dict[str, str] = dump.get("sync", {})
    dialogue_keys: dict[str, str] = {}
    meeting_ids: dict[str, int] = {}
    item_ids: dict[str, int] = {}
    by_uuid: dict[str, dict[str, Record]] = {}
    for _, cls in SECTIONS:
        by_uuid[cls.TABLE] = {r.uuid: r for r in repo.all(cls)}
    dialogues_by_key = {d.key: d for d in repo.all(Dialogue)}
    topics_by_slug = {t.slug: t for t in repo.all(Topic)}
    # Agenda items may be carried from items later in the dump: resolve in date order.
    dump_item_uuid = {r["id"]: r["uuid"] for r in dump.get("agenda_items", [])}

    for section, cls in SECTIONS:
        for raw in dump.get(section, []):
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
                origin_uuid = raw.get("carried_from_uuid") or (
                    dump_item_uuid.get(stored["carried_from"])
                    if stored.get("carried_from")
                    else None
                )
                stored["carried_from"] = item_ids.get(origin_uuid) if origin_uuid else None
            elif cls is Action:
                stored["meeting_id"] = meeting_ids[raw["meeting_uuid"]]
                item_uuid = raw.get("item_uuid")
                stored["item_id"] = item_ids[item_uuid] if item_uuid else None
            if local is None:
                stored["id"] = 0
                record = repo.add(cls.from_record(stored))
                result.count(result.added, cls.KIND)
                bases[record.uuid] = stored.get("updated") or ""
            else:
                stored["id"] = local.id
                record = _merge(repo, cls, local, stored, incoming_bases, bases, theirs, result)
            if isinstance(record, Dialogue):
                dialogue_keys[raw["uuid"]] = record.key
            elif isinstance(record, Meeting):
                meeting_ids[raw["uuid"]] = record.id
            elif isinstance(record, AgendaItem):
                item_ids[raw["uuid"]] = record.id
            if progress is not None:
                progress(1)
    return result


def _merge(
    repo: Repository,
    cls: type[Record],
    local: Record,
    incoming: dict[str, Any],
    incoming_bases: dict[str, str],
    bases: dict[str, str],
    theirs: bool,
    result: ImportResult,
) -> Record:
    mine = local.to_record()
    if _content(mine) == _content(incoming) and _links(mine) == _links(incoming):
        result.unchanged += 1
        if mine != incoming:
            # Same content under another stamp or uuid (a catalog topic, say): adopt theirs,
            # so both files hold the very same record from now on.
            local = cls.from_record(incoming)
            repo.update(local)
        bases[local.uuid] = incoming.get("updated") or ""
        return local
    base = incoming_bases.get(incoming["uuid"]) or bases.get(local.uuid)
    theirs_changed = incoming.get("updated") != base
    mine_changed = mine.get("updated") != base
    if theirs_changed and mine_changed and not theirs:
        result.conflicts.append(
            f"{cls.KIND} {local.id} ({local.uuid}) changed here and in the dump; kept this "
            "file's version (use --theirs to take the dump's)."
        )
        return local
    if not theirs_changed and not theirs:
        result.kept_local += 1
        return local
    record = cls.from_record(incoming)
    repo.update(record)
    bases[local.uuid] = incoming.get("updated") or ""
    result.count(result.updated, cls.KIND)
    return record

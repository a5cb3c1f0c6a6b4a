"""The change history kept in the data file: log lines, undo and redo.

Every writing command stores one history entry (its changes with each record's
fields before and after). ``undo`` reverts the newest entries that are not yet
undone and records itself as an entry; ``redo`` reverts the newest undo, as
long as no ordinary change came after it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any, NamedTuple

from ..errors import CorruptFileError, InputError
from ..storage import SYNC_TABLE, Repository, damaged_history

REVERSIBLE = {"undo", "redo"}
# Changes an undo or redo reverts, of one entry or several, between writing the parts
# it changed so far (``Repository.spill_changes``): 10,000 actions are ten parts.
SPILL_EVERY = 10_000  # (or it holds PARTS_HELD parts: 10,000 changes all over L are 100)
HIDDEN_FIELDS = {"updated"}


class LogLine(NamedTuple):
    txn: int
    at: str
    user: str
    command: str
    kind: str
    record_id: int
    uuid: str
    summary: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    action: str = ""

    @property
    def ref(self) -> str:
        """``action 7``: how the record is named on the command line."""
        return f"{self.kind} {self.record_id}"

    def to_json(self) -> dict[str, Any]:
        return {
            "txn": self.txn,
            "at": self.at,
            "user": self.user,
            "command": self.command,
            "action": self.action,
            "kind": self.kind,
            "id": self.record_id,
            "uuid": self.uuid,
            "summary": self.summary,
            "before": self.before,
            "after": self.after,
        }


def _short(value: Any) -> str:
    if value is None:
        return "—"
    if (
        isinstance(value, list)
        and value
        and all(isinstance(v, dict) and "party" in v for v in value)
    ):
        return ", ".join(f"{v['party']} ({_short(v.get('head'))})" for v in value)  # delegations
    if isinstance(value, list | dict):
        return f"{len(value)} entries" if value else "none"
    text = str(value).replace("\n", " ")
    return text if len(text) <= 40 else text[:39] + "…"


def describe(before: dict[str, Any] | None, after: dict[str, Any] | None) -> str:
    """``due 2023-05-10 → 2023-06-01``; ``added "title"``; ``deleted "title"``."""
    if before is None and after is not None:
        return f"added {_short(after.get('title') or after.get('name') or after.get('slug'))}"
    if after is None and before is not None:
        return f"deleted {_short(before.get('title') or before.get('name') or before.get('slug'))}"
    assert before is not None and after is not None
    parts = []
    for key in after:
        if key in HIDDEN_FIELDS or before.get(key) == after.get(key):
            continue
        if key == "notes" and isinstance(after[key], list):  # an action's; a dialogue's is text
            old_notes, new_notes = before.get(key) or [], after[key]
            if len(new_notes) > len(old_notes):
                parts.append(f"note added: {_short(new_notes[-1]['text'])}")
            elif len(new_notes) < len(old_notes):
                parts.append(f"note removed: {_short(old_notes[-1]['text'])}")
            else:
                parts.append("notes edited")
            continue
        if key == "changes":
            continue
        parts.append(f"{key} {_short(before.get(key))} → {_short(after.get(key))}")
    return ", ".join(parts) or "no visible change"


def log_lines(repo: Repository, *, limit: int | None, record: str | None) -> Iterator[LogLine]:
    """History, newest first; ``record`` like ``action:7`` keeps one record's lines.

    Lines of an undo or a redo say so: an undone add reads ``undo of 12: deleted ...``.
    Each line is made as it is reached, entry by entry and chunk by chunk: a caller that
    keeps only its text never holds the 125,000 records an import's entry names.
    """
    if limit is not None and limit < 0:
        raise InputError(f"-n {limit} must be 0 or more.")
    if limit == 0:
        return
    kind = record_id = None
    if record:
        kind, _, number = record.partition(":")
        if not number.isdigit() or kind not in {"meeting", "agenda", "action", "dialogue", "topic"}:
            raise InputError(
                f"--record {record!r} must look like meeting:3, agenda:12 or action:7."
            )
        record_id = int(number)
    made = 0
    for entry in newest_first(repo):
        for change in reversed(entry["changes"]):
            if kind is not None and (change["kind"], change["id"]) != (kind, record_id):
                continue
            yield LogLine(
                txn=entry["txn"],
                at=entry["at"],
                user=entry["user"],
                command=entry["command"],
                kind=change["kind"],
                record_id=change["id"],
                uuid=change["uuid"],
                summary=_prefix(entry) + describe(change["before"], change["after"]),
                before=change["before"],
                after=change["after"],
                action=entry.get("action", ""),
            )
            made += 1
            if limit is not None and made >= limit:
                return


def newest_first(repo: Repository) -> Iterator[dict[str, Any]]:
    """The file's history, newest first, each entry unpacked when it is reached; a
    damaged entry is a damaged file (exit 3)."""
    entries = repo.history_newest_first()
    while True:
        try:
            entry = next(entries)
        except StopIteration:
            return
        except CorruptFileError:  # a damaged entry, named as such where it was read
            raise
        except Exception as exc:  # undecodable compressed changes, wrong types, ...
            raise damaged_history(repo.path, exc) from None
        yield entry


def _prefix(entry: dict[str, Any]) -> str:
    if entry.get("action") == "undo":
        return f"undo of {', '.join(map(str, entry.get('undoes', [])))}: "
    if entry.get("action") == "redo":
        return f"redo of {entry.get('redoes')}: "
    return ""


def _revert(repo: Repository, entry: dict[str, Any]) -> None:
    """Put every record of ``entry`` back as it was before, newest change first, a part
    at a time (``_a_part_at_a_time``).

    An import also moved sync bases (the versions agreed with another office);
    they go back too, or importing the same dump again after an undo would keep
    this file's version as if it were newer.
    """
    for change in _a_part_at_a_time(repo, reversed(entry["changes"])):
        table = _table(change["kind"])
        # This command's changes since the last spill, or the parts it holds and one more
        # to read: the parts changed so far, and the changes, are written and let go.
        if len(repo.pending) > SPILL_EVERY or repo.holds_enough(table, change["id"]):
            repo.spill_changes()
        # (the part that holds it, not the whole table: 100,000 actions at L)
        current = repo.stored(table, change["id"])
        if current != change["after"]:
            raise InputError(
                f"Cannot undo change {entry['txn']}: {change['kind']} {change['id']} was "
                "changed since in a way history does not explain; run cdt check."
            )
        repo.put_raw(change["kind"], change["id"], change["before"])
    moved = entry.get("sync")
    if not moved:
        return
    from .exchange import sync_bases  # (here, so that ``log`` need not import it)

    bases = sync_bases(repo)
    for uuid, (before, _after) in moved.items():
        if before is None:
            bases.pop(uuid, None)
        else:
            bases[uuid] = before


def _a_part_at_a_time(
    repo: Repository, changes: Iterable[dict[str, Any]]
) -> Iterator[dict[str, Any]]:
    """``changes``, each ``SPILL_EVERY`` of them grouped by the part that holds their
    records (the groups in the order of their first change, each record's changes in
    their order): an entry of changes all over the file (an import made in the other
    office's order) is reverted a part at a time, one made a part at a time in its own
    order, and no more than ``SPILL_EVERY`` changes are held at once (a bulk import's
    entry of 125,000 is unpacked a chunk at a time)."""
    walked = iter(changes)
    while window := list(islice(walked, SPILL_EVERY)):
        groups: dict[tuple[str, int | None], list[dict[str, Any]]] = {}
        for change in window:
            part = repo.part_key(_table(change["kind"]), change["id"])
            groups.setdefault((change["kind"], part), []).append(change)
        for group in groups.values():
            yield from group


def _current_bases(repo: Repository) -> dict[str, str]:
    return dict(repo.table(SYNC_TABLE).get("1", {}))


def _bases_if_moved(repo: Repository, entries: list[dict[str, Any]]) -> dict[str, str] | None:
    """The sync bases before reverting ``entries``, if any of them moved bases (an
    import did): only then can reverting move them. None spares an undo of an ordinary
    change the exchange bases' part (125,000 of them after an import at L)."""
    return _current_bases(repo) if any(e.get("sync") for e in entries) else None


def _sync_extra(repo: Repository, before: dict[str, str] | None) -> dict[str, Any]:
    """How sync bases moved, in the shape an import's history entry keeps (if they did)."""
    if before is None:
        return {}
    after = _current_bases(repo)
    moved = {
        uuid: [before.get(uuid), after.get(uuid)]
        for uuid in sorted(before.keys() | after.keys())
        if before.get(uuid) != after.get(uuid)
    }
    return {"sync": moved} if moved else {}


def _table(kind: str) -> str:
    from ..models import KINDS

    return KINDS[kind].TABLE


def undoable(repo: Repository) -> Iterator[dict[str, Any]]:
    """Entries an undo may revert, newest first."""
    return (
        e
        for e in newest_first(repo)
        if e.get("action") not in REVERSIBLE and not e.get("undone_by")
    )


def undo(
    repo: Repository, steps: int, *, now: dt.datetime, command: str, dry_run: bool
) -> list[dict[str, Any]]:
    """Revert the newest ``steps`` commands as one change; returns the entries reverted."""
    if steps < 1:
        raise InputError("--steps must be 1 or more.")
    targets = list(islice(undoable(repo), steps))
    if not targets:
        raise InputError("There is nothing to undo.")
    if len(targets) < steps:
        raise InputError(f"Only {len(targets)} changes can be undone; use --steps {len(targets)}.")
    if dry_run:
        return targets
    bases_before = _bases_if_moved(repo, targets)
    txn = repo.next_txn()
    _mark(repo, targets, "undone_by", txn)
    for entry in targets:
        _revert(repo, entry)
    recorded = repo.record_history(
        now=now,
        command=command,
        action="undo",
        undoes=[e["txn"] for e in targets],
        **_sync_extra(repo, bases_before),
    )
    if recorded != txn:  # (nothing was changed: no entry)
        _mark(repo, targets, "undone_by", recorded)
    return targets


def _mark(repo: Repository, entries: list[dict[str, Any]], key: str, txn: int) -> None:
    """Say in each entry which undo or redo takes it back. Done before reverting them,
    while the parts that hold them are read (a revert of 125,000 changes writes the
    parts it has changed as it goes and lets go of them, ``spill_changes``), and
    without packing their changes again: the revert unpacks each chunk, and a damaged
    one stops the command."""
    for entry in entries:
        repo.mark_history_entry(entry["txn"], key, txn)


def redo(repo: Repository, *, now: dt.datetime, command: str, dry_run: bool) -> dict[str, Any]:
    """Revert the newest undo, if nothing but undos and redos came after it; returns
    that undo's ``txn`` and ``command``."""
    for entry in newest_first(repo):
        if entry.get("action") == "undo" and not entry.get("redone_by"):
            break
        if entry.get("action") not in REVERSIBLE:
            raise InputError("There is nothing to redo (changes were made after the last undo).")
    else:
        raise InputError("There is nothing to redo.")
    found: dict[str, Any] = entry
    said = {"txn": found["txn"], "command": found["command"]}
    if dry_run:
        return said
    txn = repo.next_txn()
    _mark(repo, [found], "redone_by", txn)
    for original in found.get("undoes", []):
        target = repo.history_entry(original)
        target.pop("undone_by", None)
        repo.set_history_entry(original, target)
    bases_before = _bases_if_moved(repo, [found])
    _revert(repo, found)
    recorded = repo.record_history(
        now=now,
        command=command,
        action="redo",
        redoes=found["txn"],
        **_sync_extra(repo, bases_before),
    )
    if recorded != txn:  # (nothing was changed: no entry)
        _mark(repo, [found], "redone_by", recorded)
    return said

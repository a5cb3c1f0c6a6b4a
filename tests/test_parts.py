"""Part files: what daily commands never read is kept beside the data file, safely."""

from __future__ import annotations

import datetime as dt
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from conftest import (
    Result,
    base_env,
    cdt_executable,
    read_whole,
    run_cdt,
    whole_bytes,
    write_whole,
)

from consular_dialogue.dates import PartialDate
from consular_dialogue.models import (
    Action,
    ActionLine,
    AgendaItem,
    Level,
    Meeting,
    MeetingKind,
    MeetingStatus,
)
from consular_dialogue.services.actions import add_action, complete_actions
from consular_dialogue.services.dialogues import add_dialogue
from consular_dialogue.services.meetings import MeetingFields, record_meeting
from consular_dialogue.storage import (
    ACTIONS_PER_PART,
    CHANGES_PER_CHUNK,
    HISTORY_PART_BYTES,
    ITEMS_PER_PART,
    MEETINGS_PER_PART,
    PARTITIONS,
    SCHEMA_VERSION,
    Repository,
    file_bytes,
    list_backups,
    load_parts,
    open_for_reading,
    open_for_writing,
    parse_file,
    read_file,
    search_name,
)

Run = Callable[..., Result]
WIDE = {"COLUMNS": "400"}
MOMENT = dt.datetime(2023, 4, 24, 10, 0, tzinfo=dt.UTC)


def parts_of(db: Path) -> Path:
    return db.with_name(db.name + ".parts")


def meta_of(db: Path) -> dict[str, Any]:
    data = read_file(db)
    assert data is not None
    meta: dict[str, Any] = data["_meta"]["1"]
    return meta


def named_parts(db: Path, table: str) -> list[str]:
    return sorted(e["file"] for e in meta_of(db).get("parts", {}).get(table, {}).values())


def records(cdt: Run) -> dict[str, Any]:
    dump: dict[str, Any] = cdt("export", "all").json()
    dump.pop("exported_at")
    return dump


@pytest.fixture
def tracked(cdt: Run) -> Run:
    """A meeting with three actions, the first two done."""
    for args in [
        ("dialogue", "add", "Diálogo Consular", "--key", "consular", "--parties", "MX,US"),
        ("meeting", "add", "Intermedia 2023", "--kind", "intermediate", "--date", "2023-04-17"),
        ("action", "add", "Guía de acceso consular", "--meeting", "1", "--due", "2023-05-10"),
        ("action", "add", "Estadísticas H-2", "--meeting", "1", "--party", "US"),
        ("action", "add", "Capacitación", "--meeting", "1", "--party", "MX"),
        ("action", "done", "1", "2"),
    ]:
        result = cdt(*args)
        assert result.code == 0, (args, result.stderr)
    return cdt


def test_finished_actions_and_the_history_live_in_parts_not_in_the_data_file(
    tracked: Run, db: Path
) -> None:
    data = read_file(db)
    assert data is not None
    assert sorted(data["actions"]) == ["3"]  # only the unfinished one
    assert data["history"] == {}
    assert named_parts(db, "actions") and named_parts(db, "history")
    whole = read_whole(db)
    assert sorted(whole["actions"]) == ["1", "2", "3"]
    assert len(whole["history"]) == 6


def test_daily_reads_never_open_a_part_and_a_missing_part_is_named_with_exit_3(
    tracked: Run, db: Path, tmp_path: Path
) -> None:
    shutil.move(parts_of(db), tmp_path / "away")
    before = db.read_bytes()

    listed = tracked("action", "list", "--json")
    overdue = tracked("action", "list", "--overdue", "--json", now="2023-06-01T10:00:00-06:00")
    everything = tracked("action", "list", "--status", "all", **WIDE)
    done = tracked("action", "reopen", "1", **WIDE)

    assert listed.code == 0 and [a["id"] for a in listed.json()] == [3]
    assert overdue.code == 0 and overdue.json() == []
    for refused in (everything, done):
        assert refused.code == 3
        assert "stands on the part file" in refused.stderr and "which is missing" in refused.stderr
        assert "Traceback" not in refused.stderr
    assert db.read_bytes() == before


def test_done_and_reopen_move_an_action_out_of_the_data_file_and_back(
    tracked: Run, db: Path
) -> None:
    assert tracked("action", "done", "3").code == 0
    assert read_file(db)["actions"] == {}  # type: ignore[index]
    assert tracked("action", "reopen", "1").code == 0
    assert sorted(read_file(db)["actions"]) == ["1"]  # type: ignore[index]
    shown = tracked("action", "show", "2", "--json")
    assert shown.code == 0 and shown.json()["status"] == "done"


def test_undo_of_a_done_puts_the_records_back_exactly(tracked: Run, db: Path) -> None:
    before = records(tracked)
    assert tracked("action", "done", "3").code == 0
    assert tracked("undo").code == 0
    assert records(tracked) == before


def three_parts_of_done_actions(db: Path) -> None:
    """A meeting and 2,010 done actions: parts of ids 1-999, 1000-1999 and 2000-2010."""
    with open_for_writing(db) as repo:
        add_dialogue(repo, name="D", key="d", parties=["MX", "US"], established=None,
                     notes=None, now=MOMENT)  # fmt: skip
        record_meeting(
            repo,
            MeetingFields(title="M", kind=MeetingKind.ANNUAL, date=PartialDate(2023, 4, 17)),
            dialogue_key=None,
            now=MOMENT,
        )
        count = 2 * ACTIONS_PER_PART + 10
        for n in range(count):
            add_action(
                repo, title=f"A{n}", meeting_id=1, item_id=None, party="MX", owner=None,
                due=None, priority=None, level=None, now=MOMENT,
            )  # fmt: skip
        complete_actions(repo, list(range(1, count + 1)), now=MOMENT)


def test_only_parts_a_change_touches_are_rewritten(tmp_path: Path) -> None:
    db = tmp_path / "tracker.json"
    three_parts_of_done_actions(db)
    before = named_parts(db, "actions")
    assert len(before) == 3  # ids 1-999, 1000-1999, 2000-2010

    result = run_cdt(["action", "reopen", "1500"], base_env(db))

    assert result.code == 0, result.stderr
    after = named_parts(db, "actions")
    assert len(set(before) - set(after)) == 1  # only the part that held 1500
    assert sorted(read_file(db)["actions"]) == ["1500"]  # type: ignore[index]


def bulk_command(db: Path) -> None:
    """One command with a history entry of ~0.5 MB: 2,000 meetings added."""
    with open_for_writing(db) as repo:
        add_dialogue(repo, name="D", key="d", parties=["MX", "US"], established=None,
                     notes=None, now=MOMENT)  # fmt: skip
        for _ in range(2000):
            record_meeting(
                repo,
                MeetingFields(
                    title=os.urandom(100).hex(),  # incompressible, as real history can be
                    kind=MeetingKind.OTHER,
                    date=PartialDate(2023, 4, 17),
                ),
                dialogue_key=None,
                now=MOMENT,
            )
        repo.record_history(now=MOMENT, command="bulk", action="import")


def test_a_huge_history_entry_gets_a_part_of_its_own_and_is_not_rewritten_after(
    tmp_path: Path,
) -> None:
    db = tmp_path / "tracker.json"
    bulk_command(db)
    big = named_parts(db, "history")
    assert max(e["bytes"] for e in meta_of(db)["parts"]["history"].values()) > HISTORY_PART_BYTES

    assert run_cdt(["meeting", "edit", "1", "--title", "Otra"], base_env(db)).code == 0

    after = named_parts(db, "history")
    assert set(big) <= set(after) and len(after) == len(big) + 1


def test_undo_and_redo_of_one_change_read_only_the_part_that_holds_its_record(
    tmp_path: Path,
) -> None:
    # At L an undo read every part of the table (100,000 actions): 1.75 s and 325 MB.
    db = tmp_path / "tracker.json"
    three_parts_of_done_actions(db)
    env = base_env(db)
    assert run_cdt(["action", "reopen", "1500"], env).code == 0
    other = meta_of(db)["parts"]["actions"]["0"]["file"]
    shutil.move(parts_of(db) / other, tmp_path / "away.json")

    undone = run_cdt(["undo"], env)
    assert undone.code == 0, undone.stderr
    assert run_cdt(["action", "show", "1500", "--json"], env).json()["status"] == "done"
    redone = run_cdt(["redo"], env)
    assert redone.code == 0, redone.stderr
    assert run_cdt(["action", "show", "1500", "--json"], env).json()["status"] == "open"
    shutil.move(tmp_path / "away.json", parts_of(db) / other)
    assert run_cdt(["check"], env).code == 0


def test_the_newest_history_is_shown_and_undone_without_reading_an_older_part(
    tmp_path: Path,
) -> None:
    db = tmp_path / "tracker.json"
    bulk_command(db)  # its history entry gets a part of its own
    env = base_env(db, COLUMNS="120")
    assert run_cdt(["meeting", "edit", "1", "--title", "Otra"], env).code == 0
    (bulk,) = [e["file"] for e in meta_of(db)["parts"]["history"].values() if e["bytes"] > 1e5]
    shutil.move(parts_of(db) / bulk, tmp_path / bulk)

    shown = run_cdt(["log", "-n", "1"], env)
    assert shown.code == 0 and "title" in shown.stdout and "Otra" in shown.stdout
    assert run_cdt(["undo"], env).code == 0  # the edit, from the newer part
    assert run_cdt(["log"], env).code == 3  # reaching the bulk entry: its part is missing
    shutil.move(tmp_path / bulk, parts_of(db) / bulk)
    assert run_cdt(["meeting", "show", "1", "--json"], env).json()["title"] != "Otra"


def bulk_entry(data: dict[str, Any]) -> dict[str, Any]:
    entries: list[dict[str, Any]] = [e for e in data["history"].values() if e["action"] == "import"]
    (entry,) = entries
    return entry


def test_a_bulk_commands_history_is_chunked_and_log_unpacks_only_its_newest_chunk(
    tmp_path: Path,
) -> None:
    db = tmp_path / "tracker.json"
    bulk_command(db)  # 2,001 changes: the dialogue and 2,000 meetings
    data = read_whole(db)
    chunks = bulk_entry(data)["changes_z"]
    assert isinstance(chunks, list) and len(chunks) == -(-2001 // CHANGES_PER_CHUNK)
    chunks[0] = "not base64!"  # the oldest changes: the dialogue and the first meetings
    write_whole(db, data)
    before = db.read_bytes()
    env = base_env(db, COLUMNS="120")

    shown = run_cdt(["log", "-n", "5"], env)
    assert shown.code == 0, shown.stderr
    assert shown.stdout.splitlines()[0].split()[3:5] == ["meeting", "2000"]
    assert len(shown.stdout.splitlines()) == 5
    for result in (run_cdt(["log"], env), run_cdt(["undo"], env)):
        assert result.code == 3
        assert f"Error: {db} has a damaged change history" in result.stderr
        assert "Traceback" not in result.stderr
    assert db.read_bytes() == before
    checked = run_cdt(["check"], env)
    assert checked.code == 1 and "history entry 1 is damaged" in checked.stdout


def _packed_by_hand(changes: list[dict[str, Any]]) -> str:
    import base64
    import zlib

    return base64.b64encode(zlib.compress(orjson.dumps(changes))).decode()


def _first_chunk(chunks: list[str]) -> list[dict[str, Any]]:
    import base64
    import zlib

    changes: list[dict[str, Any]] = orjson.loads(zlib.decompress(base64.b64decode(chunks[0])))
    return changes


CHUNK_DAMAGE: dict[str, tuple[Callable[[list[str]], list[str]], bool]] = {
    # How the chunk list is damaged, and whether the newest changes can still be shown.
    "no chunks": (lambda chunks: [], False),
    "a chunk short of a thousand": (
        lambda chunks: [_packed_by_hand(_first_chunk(chunks)[1:]), *chunks[1:]],
        True,
    ),
    "an empty last chunk": (lambda chunks: [*chunks[:-1], _packed_by_hand([])], False),
    "a chunk that is not text": (lambda chunks: [*chunks[:-1], 42], False),  # type: ignore[list-item]
}


@pytest.mark.parametrize("damage", CHUNK_DAMAGE)
def test_a_chunked_entry_that_pack_entry_could_not_have_written_is_damage(
    tmp_path: Path, damage: str
) -> None:
    db = tmp_path / "tracker.json"
    bulk_command(db)
    env = base_env(db, COLUMNS="120")
    assert run_cdt(["meeting", "edit", "1", "--title", "Otra"], env).code == 0
    data = read_whole(db)
    damaged, newest_shown = CHUNK_DAMAGE[damage]
    entry = bulk_entry(data)
    entry["changes_z"] = damaged(entry["changes_z"])
    write_whole(db, data)
    before = db.read_bytes()

    assert (run_cdt(["log", "-n", "5"], env).code == 0) is newest_shown
    for argv in (
        ["log"],
        ["log", "--json"],
        ["undo", "--steps", "2"],
        ["undo", "--steps", "2", "--dry-run"],
    ):
        result = run_cdt(argv, env)
        assert result.code == 3, argv
        assert result.stderr.startswith(f"Error: {db} has a damaged change history")
        assert len(result.stderr.splitlines()) == 1  # no line about the edit's entry first
        assert result.stderr.count("damaged change history") == 1  # said once, not nested
        assert result.stdout == ""  # nor the newer changes, as if they were all there are
    assert db.read_bytes() == before
    checked = run_cdt(["check"], env)
    assert checked.code == 1 and "history entry 1 is damaged" in checked.stdout


def test_a_redo_refuses_to_mark_an_entry_whose_chunks_are_damaged(tmp_path: Path) -> None:
    db = tmp_path / "tracker.json"
    bulk_command(db)
    env = base_env(db)
    assert run_cdt(["undo"], env).code == 0
    data = read_whole(db)
    bulk_entry(data)["changes_z"][0] = "not base64!"  # the entry the redo re-enables
    write_whole(db, data)
    before = db.read_bytes()

    result = run_cdt(["redo"], env)

    assert result.code == 3
    assert f"Error: {db} has a damaged change history" in result.stderr
    assert db.read_bytes() == before


def test_marking_a_chunked_entry_stores_its_chunks_as_they_were_read() -> None:
    from consular_dialogue.storage import pack_entry, unpack_entry

    changes = [
        {"kind": "meeting", "id": n, "uuid": f"u{n}", "before": None, "after": {"id": n}}
        for n in range(1, CHANGES_PER_CHUNK + 2)
    ]
    stored = pack_entry({"txn": 1, "action": "import", "changes": changes})
    assert isinstance(stored["changes_z"], list) and len(stored["changes_z"]) == 2
    entry = unpack_entry(stored)
    assert list(entry["changes"]) == changes and len(entry["changes"]) == len(changes)
    entry["undone_by"] = 2
    marked = pack_entry(entry)
    assert marked["changes_z"] is stored["changes_z"]  # not unpacked and packed again
    assert marked["undone_by"] == 2


def test_an_unmigrated_entry_whose_changes_are_not_a_list_is_named_by_check(
    tmp_path: Path,
) -> None:
    db = tmp_path / "tracker.json"
    env = base_env(db)
    assert run_cdt(["dialogue", "add", "D", "--key", "d", "--parties", "MX,US"], env).code == 0
    data = read_whole(db)
    data["_meta"]["1"]["schema"] = 1
    (entry,) = data["history"].values()
    entry.pop("changes_z")
    entry["changes"] = None  # as a schema 1 file held changes: in the clear
    write_whole(db, data)

    assert run_cdt(["dialogue", "list"], env).code == 0
    checked = run_cdt(["check"], env)
    assert checked.code == 1 and "history entry 1 is damaged" in checked.stdout
    logged = run_cdt(["log"], env)
    assert logged.code == 3 and "Traceback" not in logged.stderr


def test_undo_and_redo_of_a_chunked_entry_put_back_every_record_and_keep_its_chunks(
    tmp_path: Path,
) -> None:
    db = tmp_path / "tracker.json"
    bulk_command(db)
    chunks = bulk_entry(read_whole(db))["changes_z"]
    env = base_env(db)

    undone = run_cdt(["undo"], env)
    assert undone.code == 0, undone.stderr
    assert "(2001 changes)" in undone.stderr
    assert run_cdt(["meeting", "list", "--json"], env).json() == []
    assert run_cdt(["redo"], env).code == 0
    meetings = run_cdt(["meeting", "list", "--json"], env).json()
    assert sorted(m["id"] for m in meetings) == list(range(1, 2001))
    data = read_whole(db)
    assert bulk_entry(data)["changes_z"] == chunks
    undo_entry = next(e for e in data["history"].values() if e["action"] == "undo")
    assert isinstance(undo_entry["changes_z"], list)  # the undo's own 2,001 changes
    logged = run_cdt(["log", "--json"], env).json()
    assert len(logged) == 3 * 2001


def test_a_schema_4_file_whose_bulk_entry_is_one_packed_array_is_read_and_undone(
    tmp_path: Path,
) -> None:
    import base64
    import zlib

    db = tmp_path / "tracker.json"
    bulk_command(db)
    data = read_whole(db)
    entry = bulk_entry(data)
    changes = list(open_for_reading(db).history()[-1]["changes"])
    assert len(changes) == 2001
    # As schema 4 stored every entry: its changes as one compressed JSON array.
    entry["changes_z"] = base64.b64encode(zlib.compress(orjson.dumps(changes))).decode()
    data["_meta"]["1"]["schema"] = 4
    write_whole(db, data)
    env = base_env(db, COLUMNS="120")

    assert run_cdt(["log", "-n", "1"], env).stdout.split()[3:5] == ["meeting", "2000"]
    assert run_cdt(["undo"], env).code == 0
    assert run_cdt(["meeting", "list", "--json"], env).json() == []
    assert meta_of(db)["schema"] == SCHEMA_VERSION


def test_undoing_an_ordinary_change_never_reads_the_exchange_bases(
    tracked: Run, tmp_path: Path
) -> None:
    dump, other = tmp_path / "dump.json", tmp_path / "other.json"
    assert tracked("export", "all", "-o", str(dump)).code == 0
    env = base_env(other)
    assert run_cdt(["import", str(dump)], env).code == 0  # agrees a base for every record
    assert run_cdt(["action", "set", "3", "--owner", "SRE"], env).code == 0
    (bases,) = [e["file"] for e in meta_of(other)["parts"]["_sync"].values()]
    shutil.move(parts_of(other) / bases, tmp_path / bases)

    assert run_cdt(["undo"], env).code == 0
    assert run_cdt(["redo"], env).code == 0
    assert run_cdt(["undo", "--steps", "2"], env).code == 3  # the import moved bases
    shutil.move(tmp_path / bases, parts_of(other) / bases)
    assert run_cdt(["undo", "--steps", "2"], env).code == 0


def test_check_reads_the_exchange_bases_part_too(tracked: Run, tmp_path: Path) -> None:
    dump, other = tmp_path / "dump.json", tmp_path / "other.json"
    assert tracked("export", "all", "-o", str(dump)).code == 0
    env = base_env(other)
    assert run_cdt(["import", str(dump)], env).code == 0
    assert run_cdt(["check"], env).code == 0
    (bases,) = [e["file"] for e in meta_of(other)["parts"]["_sync"].values()]
    (parts_of(other) / bases).unlink()

    checked = run_cdt(["check"], env)

    assert checked.code == 3 and f"{bases}, which is missing" in checked.stderr


def test_retired_parts_are_deleted_once_no_kept_backup_names_them(cdt: Run, db: Path) -> None:
    assert cdt("dialogue", "add", "D", "--key", "consular", "--parties", "MX,US").code == 0
    for n in range(8):
        result = cdt("dialogue", "edit", "consular", "--notes", f"note {n}", CDT_BACKUPS="2")
        assert result.code == 0, result.stderr
        for backup in list_backups(db):
            assert run_cdt(["check"], base_env(backup)).code == 0, backup.name

    present = sorted(p.name for p in parts_of(db).iterdir())
    kept = set(named_parts(db, "history")) | set(meta_of(db)["retired"])
    assert set(present) == kept
    assert len(present) <= 1 + 2 + 1  # the current part, and those two backups may need


def test_a_backup_used_as_the_data_file_writes_its_own_parts_and_spares_the_original(
    tracked: Run, db: Path
) -> None:
    original = read_whole(db)
    backup = list_backups(db)[0]

    added = run_cdt(["action", "add", "En la copia", "--meeting", "1"], base_env(backup))

    assert added.code == 0, added.stderr
    assert parts_of(backup).is_dir()
    assert read_whole(db) == original
    assert tracked("check").code == 0
    assert "En la copia" in json.dumps(read_whole(backup))


def test_cdt_backup_writes_one_whole_file_that_restores_into_an_empty_folder(
    tracked: Run, db: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "copy.json"
    assert tracked("backup", "-o", str(copy)).code == 0
    assert "parts" not in orjson.loads(copy.read_bytes())["_meta"]["1"]
    elsewhere = tmp_path / "other" / "tracker.json"

    restored = run_cdt(["restore", str(copy), "--yes"], base_env(elsewhere))

    assert restored.code == 0, restored.stderr
    assert (
        run_cdt(["export", "all"], base_env(elsewhere)).json()["actions"]
        == (tracked("export", "all").json()["actions"])
    )
    assert run_cdt(["check"], base_env(elsewhere)).code == 0


@pytest.mark.parametrize("twice", [False, True], ids=["sound", "a record twice"])
def test_a_backup_is_the_file_with_every_part_merged_in_a_record_to_a_line(
    tmp_path: Path, twice: bool
) -> None:
    # Written a part at a time (the whole of L held at once took 556 MB), it must still
    # be the file read whole, as every part merged in makes it, in the same order.
    db = tmp_path / "tracker.json"
    three_parts_of_done_actions(db)
    if twice:  # a hand edit: action 5 in the data file as well as in its part
        data = read_file(db)
        assert data is not None
        data["actions"]["5"] = {**read_whole(db)["actions"]["5"], "title": "Otra"}
        db.write_bytes(orjson.dumps(data))
    whole = orjson.dumps(load_parts(parse_file(db.read_bytes(), db), db))
    copy = tmp_path / "copy.json"

    result = run_cdt(["backup", "-o", str(copy)], base_env(db))

    assert result.code == 0, result.stderr
    written = copy.read_bytes()
    assert orjson.dumps(orjson.loads(written)) == whole
    assert written.count(b"\n") == written.count(b'\n"') + len(orjson.loads(whole))
    assert f"{len(written)} bytes" in result.stderr
    assert (orjson.loads(whole)["actions"]["5"]["title"] == "Otra") is twice


def test_restoring_a_rotating_backup_keeps_the_other_backups_restorable(
    tracked: Run, db: Path
) -> None:
    backups = list_backups(db)
    assert tracked("restore", str(backups[-1]), "--yes").code == 0
    assert tracked("dialogue", "edit", "consular", "--notes", "Después").code == 0
    for backup in backups:
        assert run_cdt(["check"], base_env(backup)).code == 0, backup.name


def test_a_whole_schema_2_file_is_read_and_split_into_parts_on_its_first_write(
    tracked: Run, db: Path, tmp_path: Path
) -> None:
    before = tracked("action", "list", "--status", "all", "--json").json()
    data = read_whole(db)
    data["_meta"]["1"]["schema"] = 2
    data["_meta"]["1"].pop("gen", None)
    old = tmp_path / "old" / "tracker.json"
    old.parent.mkdir()
    write_whole(old, data)

    assert run_cdt(["action", "list", "--status", "all", "--json"], base_env(old)).json() == before
    assert run_cdt(["action", "note", "3", "Revisado"], base_env(old)).code == 0

    assert meta_of(old)["schema"] == SCHEMA_VERSION
    whole = read_file(old)
    assert whole is not None and sorted(whole["actions"]) == ["3"]
    assert whole["meetings"] == whole["agenda_items"] == {}
    for table in ("actions", "history", "meetings"):
        assert named_parts(old, table), table


def test_a_damaged_part_is_refused_with_exit_3_naming_it_and_nothing_is_written(
    tracked: Run, db: Path
) -> None:
    (part,) = named_parts(db, "actions")
    path = parts_of(db) / part
    path.write_bytes(path.read_bytes()[:40])
    before = db.read_bytes()

    for args in (("action", "list", "--status", "all"), ("action", "reopen", "1"), ("check",)):
        result = tracked(*args, **WIDE)
        assert result.code == 3, args
        assert f"stands on the part file {path}, which is damaged" in result.stderr
        assert "Restore the newest backup with: cdt --db" in result.stderr
    assert db.read_bytes() == before


@pytest.mark.parametrize("name", ["../outside.json", ".hidden.json", "a/b.json", 7])
def test_a_parts_list_that_points_outside_its_folder_is_refused(
    tracked: Run, db: Path, name: object
) -> None:
    data = json.loads(db.read_bytes())
    data["_meta"]["1"]["parts"]["actions"]["0"]["file"] = name
    db.write_text(json.dumps(data), encoding="utf-8")

    result = tracked("meeting", "list", **WIDE)

    assert result.code == 3
    assert "list of part files has a bad entry for actions '0'" in result.stderr


def test_parts_a_killed_writer_listed_are_swept_and_parts_nothing_lists_are_kept(
    tracked: Run, db: Path
) -> None:
    leftover = parts_of(db) / "actions-0-deadbeef0000.json"  # written, never committed
    leftover.write_bytes(b"{}")
    pending = parts_of(db) / ".pending-99-abcd"
    pending.write_text(json.dumps([leftover.name]), encoding="utf-8")
    unknown = parts_of(db) / "actions-0-0123456789ab.json"  # e.g. what a copy stands on
    unknown.write_bytes(b"{}")

    assert tracked("action", "list").code == 0
    assert leftover.exists() and pending.exists(), "a reader takes no lock: it sweeps nothing"
    assert tracked("meeting", "edit", "1", "--title", "Intermedia").code == 0

    assert not leftover.exists() and not pending.exists()
    assert unknown.exists()
    assert not [p.name for p in parts_of(db).iterdir() if p.name.startswith(".")]


def test_whole_bytes_of_a_file_stand_on_no_part(tracked: Run, db: Path, tmp_path: Path) -> None:
    copy = tmp_path / "alone" / "tracker.json"
    copy.parent.mkdir()
    copy.write_bytes(whole_bytes(db))
    assert [a.id for a in open_for_reading(copy).all(Action)] == [1, 2, 3]


def test_each_partition_places_new_cold_records_as_documented() -> None:
    actions, history = PARTITIONS["actions"], PARTITIONS["history"]
    assert actions.key_for(1, {}) == 0
    assert actions.key_for(ACTIONS_PER_PART + 5, {0: 10**9}) == ACTIONS_PER_PART
    assert history.key_for(7, {}) == 7
    assert history.key_for(8, {7: 100}) == 7  # the newest part while it is small
    assert history.key_for(9, {7: HISTORY_PART_BYTES}) == 9  # a new one once it is full


def test_reports_read_only_the_parts_their_list_says_may_matter(tmp_path: Path) -> None:
    db = tmp_path / "tracker.json"
    early, late = MOMENT.replace(month=1, day=10), MOMENT.replace(month=6, day=1)
    with open_for_writing(db) as repo:
        add_dialogue(repo, name="D", key="d", parties=["MX", "US"], established=None,
                     notes=None, now=MOMENT)  # fmt: skip
        for title, day in (
            ("Primera", PartialDate(2023, 1, 2)),
            ("Segunda", PartialDate(2023, 4, 3)),
        ):
            record_meeting(
                repo,
                MeetingFields(title=title, kind=MeetingKind.OTHER, date=day,
                              status=MeetingStatus.HELD),
                dialogue_key=None,
                now=MOMENT,
            )  # fmt: skip
        for n in range(ACTIONS_PER_PART + 10):  # part 0: the first meeting's, done early
            add_action(
                repo, title=f"A{n}", meeting_id=1 if n < ACTIONS_PER_PART - 1 else 2,
                item_id=None, party="MX", owner=None, due=None, priority=None, level=None,
                now=MOMENT,
            )  # fmt: skip
        complete_actions(repo, list(range(1, ACTIONS_PER_PART)), now=early)
        complete_actions(repo, list(range(ACTIONS_PER_PART, ACTIONS_PER_PART + 11)), now=late)
    env = base_env(db, now="2023-07-01T10:00:00-06:00", COLUMNS="120")
    wanted = {args: run_cdt(list(args), env) for args in (("report", "2"), ("report",))}
    assert all(r.code == 0 for r in wanted.values())
    (first_part,) = [e["file"] for k, e in meta_of(db)["parts"]["actions"].items() if k == "0"]
    shutil.move(parts_of(db) / first_part, tmp_path / "away.json")

    for args, result in wanted.items():  # the second meeting, and what got done since it
        again = run_cdt(list(args), env)
        assert (again.code, again.stdout) == (0, result.stdout), args
    assert run_cdt(["report", "1"], env).code == 3  # its actions are in that part


def dialogue_with_meetings(repo: Repository, *titles: str) -> None:
    add_dialogue(repo, name="D", key="d", parties=["MX", "US"], established=None,
                 notes=None, now=MOMENT)  # fmt: skip
    for title in titles:
        record_meeting(
            repo,
            MeetingFields(title=title, kind=MeetingKind.OTHER, date=PartialDate(2023, 4)),
            dialogue_key=None,
            now=MOMENT,
        )


def test_meetings_and_items_live_in_parts_and_a_meeting_report_reads_only_its_items_parts(
    tmp_path: Path,
) -> None:
    db = tmp_path / "tracker.json"
    with open_for_writing(db) as repo:
        dialogue_with_meetings(repo, "Primera", "Segunda")
        # Items 1 to ITEMS_PER_PART - 1 (part 0) are the first meeting's, the next the second's.
        for n in range(1, ITEMS_PER_PART + 5):
            meeting_id = 1 if n < ITEMS_PER_PART else 2
            repo.add(AgendaItem(meeting_id=meeting_id, position=n, title=f"Tema {n}"))
    data = read_file(db)
    assert data is not None and data["meetings"] == data["agenda_items"] == {}
    assert named_parts(db, "meetings") and len(named_parts(db, "agenda_items")) == 2
    env = base_env(db, COLUMNS="120")
    second = run_cdt(["report", "2"], env)
    assert second.code == 0 and f"Tema {ITEMS_PER_PART + 4}" in second.stdout
    (first_part,) = [e["file"] for k, e in meta_of(db)["parts"]["agenda_items"].items() if k == "0"]
    shutil.move(parts_of(db) / first_part, tmp_path / "away.json")

    again = run_cdt(["report", "2"], env)
    assert (again.code, again.stdout) == (0, second.stdout)
    assert run_cdt(["report", "1"], env).code == 3  # its items are in that part
    assert run_cdt(["action", "list"], env).code == 0  # reads no part at all


def test_an_item_named_by_an_action_on_another_meeting_is_not_deleted(tmp_path: Path) -> None:
    # An import with --theirs can move an item to another meeting and leave its actions
    # where they are (cdt check names them): the item must still not go.
    db = tmp_path / "tracker.json"
    with open_for_writing(db) as repo:
        dialogue_with_meetings(repo, "Primera", "Segunda")
        repo.add(AgendaItem(meeting_id=1, position=1, title="Tema"))
        add_action(repo, title="Informe", meeting_id=1, item_id=1, party="MX", owner=None,
                   due=None, priority=None, level=None, now=MOMENT)  # fmt: skip
        complete_actions(repo, [1], now=MOMENT)  # into a part that says "meeting 1"
    with open_for_writing(db) as repo:
        item = repo.get(AgendaItem, 1)
        item.meeting_id = 2
        repo.update(item)
    env = base_env(db)
    before = whole_bytes(db)

    refused = run_cdt(["agenda", "delete", "1", "--yes"], env)

    assert refused.code == 1
    assert "Agenda item 1 has actions (1)" in refused.stderr
    assert whole_bytes(db) == before


def test_deleting_an_item_reads_only_the_action_parts_that_name_it(tmp_path: Path) -> None:
    db = tmp_path / "tracker.json"
    with open_for_writing(db) as repo:
        dialogue_with_meetings(repo, "Primera")
        for n in (1, 2, 3):
            repo.add(AgendaItem(meeting_id=1, position=n, title=f"T{n}"))
        last = ACTIONS_PER_PART + 2
        for n in range(1, last + 1):  # part 0 names item 2 only, the next part item 3
            add_action(repo, title=f"A{n}", meeting_id=1,
                       item_id=2 if n < ACTIONS_PER_PART else 3, party="MX", owner=None,
                       due=None, priority=None, level=None, now=MOMENT)  # fmt: skip
        complete_actions(repo, list(range(1, last + 1)), now=MOMENT)
    listed = meta_of(db)["parts"]["actions"]
    assert {k: e["about"]["items"] for k, e in listed.items()} == {
        "0": [2],
        str(ACTIONS_PER_PART): [3],
    }
    shutil.move(parts_of(db) / listed["0"]["file"], tmp_path / "away.json")
    env = base_env(db)

    kept = run_cdt(["agenda", "delete", "3", "--yes"], env)
    deleted = run_cdt(["agenda", "delete", "1", "--yes"], env)
    unreadable = run_cdt(["agenda", "delete", "2", "--yes"], env)

    assert kept.code == 1 and f"Agenda item 3 has actions ({ACTIONS_PER_PART}, " in kept.stderr
    assert deleted.code == 0, deleted.stderr
    assert unreadable.code == 3 and listed["0"]["file"] in unreadable.stderr


def test_a_part_listed_without_the_items_its_actions_name_is_read_before_a_delete(
    tmp_path: Path,
) -> None:
    # As an earlier version listed its parts: the delete cannot know, so it reads them.
    db = tmp_path / "tracker.json"
    with open_for_writing(db) as repo:
        dialogue_with_meetings(repo, "Primera")
        repo.add(AgendaItem(meeting_id=1, position=1, title="T1"))
        add_action(repo, title="A", meeting_id=1, item_id=None, party="MX", owner=None,
                   due=None, priority=None, level=None, now=MOMENT)  # fmt: skip
        complete_actions(repo, [1], now=MOMENT)
    data = json.loads(db.read_bytes())
    (entry,) = data["_meta"]["1"]["parts"]["actions"].values()
    assert entry["about"]["items"] == []
    del entry["about"]["items"]
    db.write_text(json.dumps(data), encoding="utf-8")
    shutil.move(parts_of(db) / entry["file"], tmp_path / "away.json")

    refused = run_cdt(["agenda", "delete", "1", "--yes"], base_env(db))

    assert refused.code == 3 and entry["file"] in refused.stderr


@pytest.mark.parametrize(
    "command",
    [
        ["meeting", "show", "2"],
        ["meeting", "show", "2", "--json"],
        ["agenda", "list", "--meeting", "2"],
    ],
)
def test_a_meetings_page_and_agenda_read_only_the_parts_that_may_hold_its_records(
    tmp_path: Path, command: list[str]
) -> None:
    db = tmp_path / "tracker.json"
    with open_for_writing(db) as repo:
        dialogue_with_meetings(repo, "Primera", "Segunda")
        for n in range(1, ITEMS_PER_PART + 5):  # part 0 is the first meeting's
            repo.add(
                AgendaItem(meeting_id=1 if n < ITEMS_PER_PART else 2, position=n, title=f"T{n}")
            )
        for meeting_id in (1, 2):
            add_action(repo, title=f"Informe {meeting_id}", meeting_id=meeting_id, item_id=None,
                       party="MX", owner=None, due=None, priority=None, level=None, now=MOMENT)  # fmt: skip
        complete_actions(repo, [1, 2], now=MOMENT)  # both in the first actions part
    env = base_env(db, COLUMNS="120")
    shown = run_cdt(command, env)
    assert shown.code == 0 and f"T{ITEMS_PER_PART + 4}" in shown.stdout, shown.stderr
    first_items = meta_of(db)["parts"]["agenda_items"]["0"]["file"]
    shutil.move(parts_of(db) / first_items, tmp_path / "away.json")

    assert run_cdt(command, env).stdout == shown.stdout
    first = ["1" if arg == "2" else arg for arg in command]
    assert run_cdt(first, env).code == 3  # the first meeting's items are in that part


def test_the_action_timeline_reads_no_agenda_item(tracked: Run, db: Path, tmp_path: Path) -> None:
    assert tracked("agenda", "add", "1", "Acceso consular").code == 0
    assert tracked("action", "add", "Guía", "--item", "1", "--due", "2023-06-01").code == 0
    shown = tracked("timeline", "--actions", COLUMNS="120")
    assert shown.code == 0 and "Guía" in shown.stdout
    for entry in meta_of(db)["parts"]["agenda_items"].values():
        shutil.move(parts_of(db) / entry["file"], tmp_path / entry["file"])
    assert tracked("timeline", "--actions", COLUMNS="120").stdout == shown.stdout
    assert tracked("report", "1").code == 3  # a meeting report does read its items


def test_topic_list_counts_from_open_actions_without_reading_finished_ones(
    tracked: Run, db: Path, tmp_path: Path
) -> None:
    assert tracked("agenda", "add", "1", "Acceso consular", "--topic", "consular-access").code == 0
    assert tracked("action", "add", "Guía", "--item", "1").code == 0
    assert tracked("action", "add", "Nota", "--item", "1").code == 0
    assert tracked("action", "done", "5").code == 0
    listed = tracked("topic", "list", "--json").json()
    counts = {t["slug"]: (t["agenda_items"], t["open_actions"]) for t in listed}
    assert counts["consular-access"] == (1, 1) and counts["h2-visas"] == (0, 0)
    for entry in meta_of(db)["parts"]["actions"].values():  # finished actions only
        shutil.move(parts_of(db) / entry["file"], tmp_path / entry["file"])
    assert tracked("topic", "list", "--json").json() == listed


def test_an_action_export_reads_only_the_item_parts_of_the_actions_it_exports(
    tmp_path: Path,
) -> None:
    db = tmp_path / "tracker.json"
    with open_for_writing(db) as repo:
        dialogue_with_meetings(repo, "Primera")
        for n in range(1, ITEMS_PER_PART + 5):  # part 0, then part ITEMS_PER_PART
            repo.add(AgendaItem(meeting_id=1, position=n, title=f"Tema {n}", topic="h2"))
        add_action(repo, title="Informe", meeting_id=1, item_id=ITEMS_PER_PART + 2, party="MX",
                   owner=None, due=None, priority=None, level=None, now=MOMENT)  # fmt: skip
    env = base_env(db, COLUMNS="120")
    exported = run_cdt(["export", "actions", "--format", "csv"], env)
    assert exported.code == 0 and "Informe" in exported.stdout and "Primera" in exported.stdout
    (first_part,) = [e["file"] for k, e in meta_of(db)["parts"]["agenda_items"].items() if k == "0"]
    shutil.move(parts_of(db) / first_part, tmp_path / "away.json")

    again = run_cdt(["export", "actions", "--format", "csv"], env)
    assert (again.code, again.stdout) == (0, exported.stdout)
    assert run_cdt(["export", "meetings", "--format", "csv"], env).code == 0
    assert run_cdt(["report", "1"], env).code == 3  # its items are in that part


def test_a_data_file_replaced_by_hand_never_costs_a_backup_its_parts(
    tracked: Run, db: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "mine.json"
    assert tracked("backup", "-o", str(copy)).code == 0
    assert tracked("action", "note", "3", "Antes de copiar").code == 0
    shutil.copyfile(copy, db)  # a restore by hand, outside cdt

    for n in range(3):
        assert tracked("action", "note", "3", f"Después {n}").code == 0

    for backup in list_backups(db):
        assert run_cdt(["check"], base_env(backup)).code == 0, backup.name


def test_restore_with_no_backups_kept_still_keeps_the_replaced_file_restorable(
    tracked: Run, db: Path
) -> None:
    oldest = list_backups(db)[-1]
    restored = tracked("restore", str(oldest), "--yes", CDT_BACKUPS="0", **WIDE)
    assert restored.code == 0, restored.stderr
    kept = list_backups(db)[0]
    assert f"kept as {kept}" in restored.stderr

    for n in range(4):
        result = tracked("dialogue", "edit", "consular", "--notes", f"n{n}", CDT_BACKUPS="0")
        assert result.code == 0, result.stderr

    assert run_cdt(["check"], base_env(kept)).code == 0


def test_a_backup_written_as_the_data_file_is_pruned_whole_and_never_blocks_writes(
    tracked: Run, db: Path
) -> None:
    backup = list_backups(db)[0]
    assert run_cdt(["action", "add", "En la copia", "--meeting", "1"], base_env(backup)).code == 0
    assert parts_of(backup).is_dir()

    for n in range(5):
        result = tracked("dialogue", "edit", "consular", "--notes", f"n{n}", CDT_BACKUPS="3")
        assert result.code == 0, result.stderr

    assert not backup.exists() and not parts_of(backup).exists()
    assert len(list_backups(db)) == 3


def test_a_write_keeps_a_malformed_action_in_the_data_file_for_check_to_name(
    tracked: Run, db: Path
) -> None:
    data = json.loads(db.read_bytes())
    del data["actions"]["3"]["status"]
    db.write_text(json.dumps(data), encoding="utf-8")

    added = tracked("meeting", "add", "Otra", "--kind", "other", "--date", "2023-10-01")
    checked = tracked("check", **WIDE)

    assert added.code == 0, added.stderr
    assert checked.code == 1 and "action 3 is malformed" in checked.stdout


@pytest.mark.parametrize("key", ["01", "²", "١٢"])
def test_a_part_key_that_is_not_a_plain_number_is_refused(tracked: Run, db: Path, key: str) -> None:
    data = json.loads(db.read_bytes())
    parts = data["_meta"]["1"]["parts"]["actions"]
    parts[key] = parts.pop("0")
    db.write_text(json.dumps(data), encoding="utf-8")

    result = tracked("action", "list", "--status", "all", **WIDE)

    assert result.code == 3
    assert "list of part files has a bad entry" in result.stderr


def test_a_read_only_search_reads_parts_one_at_a_time_and_keeps_only_its_finds(
    tracked: Run, db: Path
) -> None:
    repo = open_for_reading(db)
    found = repo.select(Action, lambda raw: raw["title"].startswith("Guía"))
    assert [a.id for a in found] == [1]
    assert repo._parts.get("actions") == {}  # nothing kept in memory
    assert sorted(repo.data["actions"]) == ["3"]


def test_a_record_in_the_data_file_and_in_a_part_is_read_once_as_the_data_file_has_it(
    tracked: Run, db: Path
) -> None:
    data = read_file(db)
    assert data is not None
    meta = data["_meta"]["1"]
    (entry,) = meta["parts"]["actions"].values()  # actions 1 and 2, done
    part = orjson.loads((parts_of(db) / entry["file"]).read_bytes())
    data["actions"]["1"] = {**part["1"], "title": "Copia del archivo de datos"}
    db.write_bytes(orjson.dumps(data))
    repo = open_for_reading(db)
    selected = repo.select(Action, lambda raw: raw["id"] < 3)
    assert [(a.id, a.title) for a in selected] == [
        (1, "Copia del archivo de datos"),
        (2, "Estadísticas H-2"),
    ]
    assert [(a.id, a.title) for a in repo.all(Action)][:2] == [(a.id, a.title) for a in selected]


def test_a_writable_copy_checks_ids_as_they_stand_without_keeping_the_parts_it_reads(
    tracked: Run, db: Path
) -> None:
    with open_for_writing(db) as repo:  # actions 1 and 2 are done (in a part), 3 is open
        assert repo.ids_where(Action, lambda raw: raw["party"] != "") == [1, 2, 3]
        assert repo._parts.get("actions", {}) == {}  # the part was read and let go
        changed = repo.get(Action, 2)  # its part is now kept: it may be rewritten
        changed.owner = "SRE"
        repo.update(changed)
        repo.delete(repo.get(Action, 3))
        assert repo.ids_where(Action, lambda raw: raw.get("owner") == "SRE") == [2]
        assert repo.ids_where(Action, lambda raw: True) == [1, 2]


def test_a_read_only_copy_finds_records_in_parts_without_keeping_the_parts(
    tracked: Run, db: Path
) -> None:
    repo = open_for_reading(db)  # actions 1 and 2 are done (in a part), 3 is open
    found = repo.found_as(Action, ActionLine.from_record, [3, 1, 99, -1, 2, 1])
    assert [(line.id, line.title) for line in found] == [
        (3, "Capacitación"),
        (1, "Guía de acceso consular"),
        (2, "Estadísticas H-2"),
    ]
    assert repo._parts.get("actions", {}) == {}  # nothing kept in memory
    assert sorted(repo.data["actions"]) == ["3"]
    writable = Repository(path=db, loaded=read_file(db), writable=True)  # reads whole parts
    assert writable.found_as(Action, ActionLine.from_record, [3, 1, 99, -1, 2, 1]) == found


@pytest.mark.parametrize("put_back", ["by hand", "with restore"])
def test_an_older_backup_put_back_never_costs_the_newer_backups_their_parts(
    tracked: Run, db: Path, put_back: str
) -> None:
    # Later backups stand on the same part of finished actions as the older one.
    for n in range(3):
        assert tracked("action", "note", "3", f"n{n}").code == 0
    older = list_backups(db)[2]  # the file just after the actions were done
    if put_back == "by hand":
        shutil.copyfile(older, db)
    else:
        assert tracked("restore", str(older), "--yes").code == 0

    # With no new backups, the older generation counts on must not let that part go.
    for verb in ("reopen", "done", "reopen", "done"):
        assert tracked("action", verb, "1", CDT_BACKUPS="0").code == 0
    for backup in list_backups(db):
        assert run_cdt(["check"], base_env(backup)).code == 0, backup.name


def _agenda_counts(timeline: str) -> dict[str, str]:
    """Each meeting's id and its Agenda cell, from a wide meeting timeline."""
    rows = [line.split() for line in timeline.splitlines() if line[:1] in "●○◐✕"]
    return {row[1]: row[-1] for row in rows if row[1].isdigit()}


def test_the_meeting_timeline_counts_items_from_the_list_of_parts_without_reading_them(
    tmp_path: Path,
) -> None:
    db = tmp_path / "tracker.json"
    with open_for_writing(db) as repo:
        dialogue_with_meetings(repo, "Primera", "Segunda", "Tercera")
        for n in range(1, ITEMS_PER_PART + 5):  # two parts; the third meeting has none
            level = Level.RESTRICTED if n % 7 == 0 else Level.INTERNAL
            repo.add(AgendaItem(meeting_id=1 + n % 2, position=n, title=f"T{n}", level=level))
    abouts = [e["about"] for e in meta_of(db)["parts"]["agenda_items"].values()]
    assert [a["meetings"] for a in abouts] == [[1, 2], [1, 2]]
    assert sum(sum(a["counts"]) for a in abouts) == ITEMS_PER_PART + 4
    env = base_env(db, COLUMNS="120")
    shown = run_cdt(["timeline"], env)
    every = {"1": str((ITEMS_PER_PART + 4) // 2), "2": str((ITEMS_PER_PART + 5) // 2), "3": "0"}
    assert (shown.code, _agenda_counts(shown.stdout)) == (0, every)
    hidden = run_cdt(["timeline", "--max-level", "internal"], env)  # read: items are built
    restricted = Counter(1 + n % 2 for n in range(7, ITEMS_PER_PART + 5, 7))
    assert _agenda_counts(hidden.stdout) == {
        key: str(int(count) - restricted[int(key)]) for key, count in every.items()
    }
    away = tmp_path / "away"
    away.mkdir()
    for name in named_parts(db, "agenda_items"):
        shutil.move(parts_of(db) / name, away / name)
    assert run_cdt(["timeline"], env).stdout == shown.stdout  # not one item part was read
    assert run_cdt(["agenda", "list"], env).code == 3  # they are missing
    # A list of parts written before it counted items: the parts are read.
    data = json.loads(db.read_bytes())
    for entry in data["_meta"]["1"]["parts"]["agenda_items"].values():
        del entry["about"]["counts"]
    db.write_text(json.dumps(data), encoding="utf-8")
    assert run_cdt(["timeline"], env).code == 3
    for name in named_parts(db, "agenda_items"):
        shutil.move(away / name, parts_of(db) / name)
    assert run_cdt(["timeline"], env).stdout == shown.stdout
    assert run_cdt(["check"], env).code == 0  # a list that says less is not wrong
    # Counts that cannot be right (none, or below one) are not believed.
    for entry in data["_meta"]["1"]["parts"]["agenda_items"].values():
        entry["about"]["counts"] = [-3] * len(entry["about"]["meetings"])
    db.write_text(json.dumps(data), encoding="utf-8")
    assert run_cdt(["timeline"], env).stdout == shown.stdout
    assert run_cdt(["check"], env).code == 1


def test_check_names_a_part_its_list_misdescribes(cdt: Run, db: Path, tmp_path: Path) -> None:
    with open_for_writing(db) as repo:
        dialogue_with_meetings(repo, "Primera", "Segunda")
        for n in range(1, 6):  # four items of the first meeting, one of the second
            repo.add(AgendaItem(meeting_id=1 if n < 5 else 2, position=n, title=f"T{n}"))
    assert cdt("check").code == 0
    (part,) = [parts_of(db) / name for name in named_parts(db, "agenda_items")]
    items = json.loads(part.read_bytes())
    items["4"]["meeting_id"] = 2  # by hand: the list still says four and one
    part.write_text(json.dumps(items), encoding="utf-8")
    checked = cdt("check")
    assert checked.code == 1 and part.name in checked.stdout and "restore" in checked.stdout
    items["4"]["meeting_id"] = 1
    part.write_text(json.dumps(items), encoding="utf-8")
    data = json.loads(db.read_bytes())
    (entry,) = data["_meta"]["1"]["parts"]["agenda_items"].values()
    assert entry["about"] == {"meetings": [1, 2], "counts": [4, 1]}
    entry["about"]["later"] = "what a later version may add"
    db.write_text(json.dumps(data), encoding="utf-8")
    assert cdt("check").code == 0
    entry["about"]["counts"] = [4, True]  # equal to 1 in Python, not in the file
    db.write_text(json.dumps(data), encoding="utf-8")
    assert cdt("check").code == 1


def test_check_names_an_action_part_whose_list_misnames_its_items(cdt: Run, db: Path) -> None:
    with open_for_writing(db) as repo:
        dialogue_with_meetings(repo, "Primera")
        for n in (1, 2):
            repo.add(AgendaItem(meeting_id=1, position=n, title=f"T{n}"))
        add_action(repo, title="A", meeting_id=1, item_id=1, party="MX", owner=None,
                   due=None, priority=None, level=None, now=MOMENT)  # fmt: skip
        complete_actions(repo, [1], now=MOMENT)
    assert cdt("check").code == 0
    (part,) = [parts_of(db) / name for name in named_parts(db, "actions")]
    actions = json.loads(part.read_bytes())
    actions["1"]["item_id"] = 2  # by hand: the list still says item 1
    part.write_text(json.dumps(actions), encoding="utf-8")

    checked = cdt("check")

    assert checked.code == 1 and part.name in checked.stdout and "restore" in checked.stdout


def test_check_part_by_part_names_what_a_check_of_the_merged_file_names(cdt: Run, db: Path) -> None:
    from consular_dialogue.services.integrity import check_tables

    three_parts_of_done_actions(db)
    assert cdt("check").code == 0
    data = json.loads(db.read_bytes())
    index = data["_meta"]["1"]["parts"]["actions"]
    assert sorted(map(int, index)) == [0, ACTIONS_PER_PART, 2 * ACTIONS_PER_PART]
    first, second, third = (
        parts_of(db) / index[str(key)]["file"] for key in sorted(map(int, index))
    )
    in_first, in_second, in_third = (json.loads(p.read_bytes()) for p in (first, second, third))
    # By hand: a missing meeting in the second part, a uuid of the first in the third.
    in_second["1500"]["meeting_id"] = 99
    in_third["2005"]["uuid"] = in_first["3"]["uuid"]
    for part, records in ((second, in_second), (third, in_third)):
        part.write_text(json.dumps(records), encoding="utf-8")
    # Action 7 is in the data file too, reopened: that copy is the one read, once.
    data["actions"]["7"] = {**in_first["7"], "status": "open", "completed": None}
    db.write_text(json.dumps(data), encoding="utf-8")

    checked = cdt("check", **WIDE)

    whole = check_tables(read_whole(db))
    assert checked.code == 1
    assert "action 1500 names a missing meeting 99." in whole
    assert "action 2005 has the same uuid as action 3." in whole
    assert not any("action 7 " in problem for problem in whole)
    assert checked.stdout.splitlines()[: len(whole)] == whole
    # Then what the second part's entry in the list, its search index and its lines (of
    # action 1500, now of meeting 99) say wrongly.
    listed, indexed, lined = checked.stdout.splitlines()[len(whole) :]
    assert listed.startswith(f"The list of parts misdescribes the actions part {second.name}")
    assert indexed.startswith(f"The search index {parts_of(db) / second.stem}.search does not")
    assert lined.startswith(f"The lines {parts_of(db) / second.stem}.lines do not match")


# Run in a process of its own, with no thread but its main one, where check may fork:
# the problems of the two shares a forked check puts together, and those of one walk.
_BOTH_WAYS = """
import json, pathlib, sys
from consular_dialogue import forked
from consular_dialogue.services import integrity
from consular_dialogue.storage import open_for_reading
repo = open_for_reading(pathlib.Path(sys.argv[1]))
shares = integrity._shares_in_parallel(repo)
print(json.dumps({
    "processors": forked.processors(),
    "forked": None if shares is None else integrity._together(shares),
    "one_walk": integrity._together([integrity._check_tables(repo, integrity._EVERY_TABLE)]),
    "whole": integrity.check_repository(repo, parallel=False),
}))
"""


def test_check_in_two_processes_names_what_one_walk_names_in_the_same_order(
    cdt: Run, db: Path
) -> None:
    three_parts_of_done_actions(db)
    data = json.loads(db.read_bytes())
    index = data["_meta"]["1"]["parts"]["actions"]
    first, second, third = (
        parts_of(db) / index[str(key)]["file"] for key in sorted(map(int, index))
    )
    in_first, in_second, in_third = (json.loads(p.read_bytes()) for p in (first, second, third))
    meeting_uuid = read_whole(db)["meetings"]["1"]["uuid"]
    # By hand, damage that spans the two halves: the data file's actions are checked with
    # the other tables, the parts' actions on their own.
    data["actions"]["7"] = {**in_first["7"], "status": "open", "completed": None}
    data["actions"]["5000"] = {
        **data["actions"]["7"],
        "id": 5000,
        "uuid": in_second["1500"]["uuid"],
    }
    data["actions"]["5001"] = {**data["actions"]["7"], "id": 5001, "uuid": "u5001", "title": 7}
    in_third["2003"]["title"] = 5
    in_third["2005"]["uuid"] = meeting_uuid
    in_third["2007"]["meeting_id"] = 42
    data["history"]["999"] = {"txn": 5, "changes": []}
    db.write_text(json.dumps(data), encoding="utf-8")
    third.write_text(json.dumps(in_third), encoding="utf-8")
    (meetings,) = named_parts(db, "meetings")
    searched = parts_of(db) / search_name(meetings)
    searched.write_bytes(searched.read_bytes() + b"[]")

    ran = subprocess.run(
        [sys.executable, "-c", _BOTH_WAYS, str(db)], capture_output=True, text=True
    )
    checked = cdt("check", **WIDE)

    assert ran.returncode == 0, ran.stderr
    found = json.loads(ran.stdout)
    if found["processors"] < 2:
        pytest.skip("one processor here: cdt check runs in one process")
    one_walk = found["one_walk"]
    assert found["forked"] == one_walk
    assert "action 1500 has the same uuid as action 5000." in one_walk
    assert "action 2005 has the same uuid as meeting 1." in one_walk
    assert "action 2007 names a missing meeting 42." in one_walk
    assert [p for p in one_walk if p.startswith(("action 2003 is", "action 5001 is"))] == [
        "action 5001 is malformed (title is int, not text).",
        "action 2003 is malformed (title is int, not text).",
    ]
    assert "history entry 999 is damaged (ValueError('it says it is entry 5'))." in one_walk
    assert any(p.startswith(f"The search index {searched} does not match") for p in one_walk)
    assert not any("action 7 " in problem for problem in one_walk)
    assert found["whole"][: len(one_walk)] == one_walk  # then the lines the edit left behind
    assert checked.code == 1 and checked.stdout.splitlines() == found["whole"]


@pytest.mark.parametrize(
    "tables", [("actions",), ("meetings",), ("history",), ("actions", "meetings")]
)
def test_check_fails_on_an_unreadable_part_of_either_half_as_one_walk_fails(
    tracked: Run, db: Path, tables: tuple[str, ...]
) -> None:
    """Of two unreadable parts, one in each half, one walk names the first it reads (the
    meetings', before the actions'), and so does a check in two processes."""
    from consular_dialogue.errors import CorruptFileError
    from consular_dialogue.services.integrity import check_repository

    paths = [parts_of(db) / named_parts(db, table)[0] for table in tables]
    for path in paths:
        path.write_bytes(path.read_bytes()[:40])

    result = tracked("check", **WIDE)

    with pytest.raises(CorruptFileError) as one_walk:
        check_repository(open_for_reading(db), parallel=False)
    assert f"stands on the part file {paths[-1]}, which is damaged" in str(one_walk.value)
    assert result.code == 3 and str(one_walk.value) in result.stderr
    assert "Traceback" not in result.stderr


# A child of a process that is then killed: its pid, then the parent waits.
_KILLED_PARENT = """
import collections, itertools, json, os, time
from consular_dialogue import forked
from consular_dialogue.services import integrity
streams = forked.Child.start(lambda parent: [os.readlink(f"/proc/self/fd/{n}") for n in (0, 1, 2)])
print(json.dumps(None if streams is None else streams.result()[0]), flush=True)
# Counting for ever, keeping nothing: only its parent gone ends it.
count = lambda parent: collections.deque(integrity._watched(itertools.count(), parent.gone), maxlen=0)
child = forked.Child.start(count)
print(0 if child is None else child.pid, flush=True)
time.sleep(120)
"""


def _ended(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[-1][0] in "ZX"
    except (FileNotFoundError, ProcessLookupError):
        return True


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="no /proc to watch a child in")
def test_the_child_of_a_check_stops_when_its_parent_is_killed_and_holds_no_output_open() -> None:
    """The child's work here never ends by itself: only seeing its parent gone stops it.
    Its standard output is /dev/null, so a reader of the killed command's output gets
    its end at once."""
    started = subprocess.Popen(
        [sys.executable, "-c", _KILLED_PARENT], stdout=subprocess.PIPE, cwd=Path(__file__).parent
    )
    assert started.stdout is not None
    streams = json.loads(started.stdout.readline())
    pid = int(started.stdout.readline())
    if not pid:
        started.kill()
        started.wait()
        pytest.skip("one processor here (or another thread): check runs in one process")
    started.kill()
    started.wait()
    try:
        assert streams == [os.devnull] * 3
        assert select.select([started.stdout], [], [], 30)[0]  # the end, or the child holds it
        assert started.stdout.read() == b""
        for _ in range(3000):  # up to 30 s
            if _ended(pid):
                break
            time.sleep(0.01)
        assert _ended(pid)
    finally:
        if not _ended(pid):
            os.kill(pid, signal.SIGKILL)


# A child that fails at once, and a share of three parts of actions given up once it has.
_FAILED_CHILD = """
import json, pathlib, sys, time
from consular_dialogue import forked
from consular_dialogue.services import integrity
from consular_dialogue.storage import open_for_reading
child = forked.Child.start(lambda parent: 1 / 0)
if child is None:
    print(json.dumps(None))
    sys.exit()
for _ in range(3000):  # up to 30 s
    if child.failed():
        break
    time.sleep(0.01)
repo = open_for_reading(pathlib.Path(sys.argv[1]))
try:
    integrity._check_tables(repo, {"actions"}, own_of=(), stop=child.failed)
    given_up = False
except integrity._Abandoned:
    given_up = True
print(json.dumps({"failed": child.failed(), "result": child.result(), "given_up": given_up}))
"""


def test_a_share_of_the_check_is_given_up_once_the_child_has_failed(db: Path) -> None:
    three_parts_of_done_actions(db)

    ran = subprocess.run(
        [sys.executable, "-c", _FAILED_CHILD, str(db)], capture_output=True, text=True
    )

    assert ran.returncode == 0, ran.stderr
    found = json.loads(ran.stdout)
    if found is None:
        pytest.skip("one processor here: check runs in one process")
    assert found == {"failed": True, "result": None, "given_up": True}


def test_check_with_children_reaped_by_the_system_runs_in_one_process(
    tracked: Run, db: Path
) -> None:
    """A command started with SIGCHLD ignored (which a program may pass on) has no
    child's status to read: check runs in one process and says what it always says."""
    path = parts_of(db) / named_parts(db, "actions")[0]
    records = json.loads(path.read_bytes())
    records["1"]["title"] = 5
    path.write_text(json.dumps(records), encoding="utf-8")
    expected = tracked("check", **WIDE)

    ignored = subprocess.run(
        [cdt_executable(), "check"],
        env=base_env(db, **WIDE),
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=lambda: signal.signal(signal.SIGCHLD, signal.SIG_IGN),
    )

    assert expected.code == 1 and "action 1 is malformed" in expected.stdout
    assert (ignored.returncode, ignored.stdout, ignored.stderr) == (
        expected.code,
        expected.stdout,
        expected.stderr,
    )


def test_a_record_a_hand_edit_put_in_two_parts_is_listed_once(cdt: Run, db: Path) -> None:
    for args in [
        ("dialogue", "add", "Diálogo Consular", "--key", "consular", "--parties", "MX,US"),
        ("meeting", "add", "Intermedia 2023", "--kind", "intermediate", "--date", "2023-04-17"),
        ("agenda", "add", "1", "Visas H-2"),
        ("agenda", "add", "1", "Acceso consular"),
    ]:
        assert cdt(*args).code == 0, args
    data = parse_file(db.read_bytes(), db)
    entries = data["_meta"]["1"]["parts"]["agenda_items"]
    ((key, entry),) = entries.items()
    twin = dict(entry, file=entry["file"].replace(f"-{key}-", "-4000-"))
    shutil.copy(parts_of(db) / entry["file"], parts_of(db) / twin["file"])
    entries["4000"] = twin  # the same items, in a second part too
    db.write_bytes(file_bytes(data))
    listed = cdt("agenda", "list", **WIDE)
    assert listed.code == 0 and listed.stdout.count("Visas H-2") == 1, listed.stdout
    assert [i["id"] for i in cdt("agenda", "list", "--json").json()] == [1, 2]


def _dated_meetings(
    repo: Repository, count: int, day: Callable[[int], tuple[int, int, int]]
) -> None:
    """A dialogue and ``count`` meetings, the n-th on ``day(n)``, every other one known only
    to the month."""
    dialogue_with_meetings(repo)
    for n in range(1, count + 1):
        year, month, on = day(n)
        date = PartialDate(year, month, None if n % 2 else on)
        repo.add(Meeting(dialogue="d", kind=MeetingKind.OTHER, title=f"M{n}", date=date))


def _listed_item_ids(env: dict[str, str]) -> list[int]:
    listed = run_cdt(["agenda", "list", "--json"], env)
    assert listed.code == 0, listed.stderr
    return [item["id"] for item in listed.json()]


def test_a_list_of_every_agenda_item_orders_by_meeting_dates_the_list_of_parts_says(
    tmp_path: Path,
) -> None:
    db = tmp_path / "tracker.json"
    count = MEETINGS_PER_PART + 2  # two parts of meetings
    with open_for_writing(db) as repo:
        # The later the id, the earlier the date.
        _dated_meetings(repo, count, lambda n: (2030 - n // 12, 12 - n % 12, 1 + n % 28))
        for position, meeting_id in enumerate((1, 2, 500, count - 1, count), start=1):
            repo.add(AgendaItem(meeting_id=meeting_id, position=position, title=f"T{meeting_id}"))
        dates = {m.id: m.date.iso for m in repo.all(Meeting)}
    said = [e["about"]["dates"] for e in meta_of(db)["parts"]["meetings"].values()]
    assert [pair for part in said for pair in part] == [[i, dates[i]] for i in sorted(dates)]
    assert [len(part) for part in said] == [MEETINGS_PER_PART - 1, 3]  # (ids from 1)
    env = base_env(db, COLUMNS="120")
    assert _listed_item_ids(env) == [5, 4, 3, 2, 1]
    shown = run_cdt(["agenda", "list"], env)
    assert shown.code == 0 and f"{count} · {dates[count]}" in shown.stdout

    away = tmp_path / "away"
    away.mkdir()
    for name in named_parts(db, "meetings"):
        shutil.move(parts_of(db) / name, away / name)
    assert run_cdt(["agenda", "list"], env).stdout == shown.stdout  # no meeting was read
    assert run_cdt(["meeting", "list"], env).code == 3  # they are missing
    # A part written before its entry said the dates is read.
    data = json.loads(db.read_bytes())
    entries = data["_meta"]["1"]["parts"]["meetings"]
    del entries["1000"]["about"]
    db.write_text(json.dumps(data), encoding="utf-8")
    assert run_cdt(["agenda", "list"], env).code == 3
    for name in named_parts(db, "meetings"):
        shutil.move(away / name, parts_of(db) / name)
    assert run_cdt(["agenda", "list"], env).stdout == shown.stdout
    assert run_cdt(["check"], env).code == 0  # a list that says less is not wrong

    # A change of date rewrites the part and what its entry says.
    assert run_cdt(["meeting", "edit", "1", "--date", "1901-01-01"], env).code == 0
    assert _listed_item_ids(env) == [1, 5, 4, 3, 2]
    assert meta_of(db)["parts"]["meetings"]["0"]["about"]["dates"][0] == [1, "1901-01-01"]
    assert run_cdt(["check"], env).code == 0
    # A date the list says and the meeting does not have is named by check.
    data = json.loads(db.read_bytes())
    data["_meta"]["1"]["parts"]["meetings"]["0"]["about"]["dates"][1][1] = "1990-05"
    db.write_text(json.dumps(data), encoding="utf-8")
    checked = run_cdt(["check"], env)
    assert checked.code == 1 and "misdescribes the meetings part" in checked.stdout
    # One that is no date makes the part be read, as one written before the list said.
    data["_meta"]["1"]["parts"]["meetings"]["0"]["about"]["dates"][1][1] = "2020-13"
    db.write_text(json.dumps(data), encoding="utf-8")
    assert _listed_item_ids(env) == [1, 5, 4, 3, 2]
    assert run_cdt(["check"], env).code == 1


def test_meeting_dates_are_read_from_parts_that_do_not_say_them_and_from_memory(
    tmp_path: Path,
) -> None:
    db = tmp_path / "tracker.json"
    last = MEETINGS_PER_PART + 2
    with open_for_writing(db) as repo:
        _dated_meetings(repo, last, lambda n: (2000 + n % 30, 1 + n % 12, 1 + n % 28))
    data = json.loads(db.read_bytes())
    del data["_meta"]["1"]["parts"]["meetings"]["0"]["about"]["dates"]  # says nothing
    db.write_text(json.dumps(data), encoding="utf-8")
    before = {m.id: m.date for m in open_for_reading(db).all(Meeting)}
    assert len(set(before.values())) > 12
    assert open_for_reading(db).meeting_dates() == before

    changed = {1: PartialDate(1999, 2, 3), last: PartialDate(1998)}
    with open_for_writing(db) as repo:
        for meeting_id, date in changed.items():  # changed in memory, not yet written
            meeting = repo.get(Meeting, meeting_id)
            meeting.date = date
            repo.update(meeting)
        assert repo.meeting_dates() == {**before, **changed}
    assert open_for_reading(db).meeting_dates() == {**before, **changed}
    said = [e["about"]["dates"] for e in meta_of(db)["parts"]["meetings"].values()]
    assert said[0][0] == [1, "1999-02-03"] and said[1][-1] == [last, "1998"]

"""Backups, restore and check: a damaged data file is refused, and brought back.

Everything runs the installed ``cdt`` on real files; damage is simulated the way
it happens (a truncated file, a hand edit), never by patching the tool.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import Result, base_env, read_whole, run_cdt, write_whole

Run = Callable[..., Result]
WIDE = {"COLUMNS": "500"}  # long temp paths in messages stay on one line


def backups_of(db: Path) -> list[Path]:
    """The rotating backups next to ``db``, newest first (their names sort by time)."""
    return sorted(db.parent.glob(f"{db.name}.bak-*"), reverse=True)


def records_of(cdt: Run) -> dict[str, Any]:
    result = cdt("export", "all")
    assert result.code == 0, result.stderr
    dump: dict[str, Any] = result.json()
    dump.pop("exported_at")
    return dump


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(scope="module")
def written_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder where four commands wrote the data file (so with backups of earlier states)."""
    folder = tmp_path_factory.mktemp("written")
    env = base_env(folder / "tracker.json")
    for args in [
        ["dialogue", "add", "Diálogo Consular", "--key", "consular", "--parties", "MX,US"],
        ["meeting", "add", "Intermedia 2023", "--kind", "intermediate", "--date", "2023-04-17"],
        ["agenda", "add", "1", "Acceso consular", "--topic", "consular-access"],
        ["action", "add", "Share figures", "--item", "1", "--due", "2023-05-10"],
    ]:
        result = run_cdt(args, env)
        assert result.code == 0, result.stderr
    return folder


@pytest.fixture
def written(cdt: Run, db: Path, written_template: Path) -> Run:
    """The test's data file as four commands left it, with its rotating backups."""
    for name in ["tracker.json", *(b.name for b in backups_of(written_template / "tracker.json"))]:
        shutil.copy2(written_template / name, db.parent / name)
    shutil.copytree(written_template / "tracker.json.parts", db.parent / "tracker.json.parts")
    assert len(backups_of(db)) == 3
    return cdt


# ---- a damaged file --------------------------------------------------------------

DAMAGED_COMMANDS = [
    ("meeting", "list"),
    ("action", "add", "Another", "--meeting", "1"),
    ("export", "all"),
    ("report",),
    ("log",),
    ("undo",),
    ("check",),
]


@pytest.mark.parametrize("args", DAMAGED_COMMANDS, ids=" ".join)
def test_every_command_refuses_a_damaged_file_naming_the_newest_backup_and_the_restore_command(
    written: Run, db: Path, args: tuple[str, ...]
) -> None:
    db.write_bytes(db.read_bytes()[:100])  # a truncated file
    damaged = db.read_bytes()
    newest = backups_of(db)[0]

    result = written(*args, **WIDE)

    assert result.code == 3
    assert result.stderr.startswith(f"Error: {db} is damaged (not valid JSON")
    assert f"Restore the newest backup with: cdt --db {db} restore {newest}\n" in result.stderr
    assert db.read_bytes() == damaged


def test_backup_of_a_damaged_file_is_refused_and_writes_nothing(
    written: Run, db: Path, tmp_path: Path
) -> None:
    db.write_bytes(db.read_bytes()[:100])
    result = written("backup", "-o", str(tmp_path / "copy.json"))
    assert result.code == 3
    assert "restore" in result.stderr
    assert not (tmp_path / "copy.json").exists()


def test_running_the_suggested_restore_command_gives_back_the_newest_backed_up_state(
    written: Run, db: Path
) -> None:
    kept = records_of(written)  # the newest backup will hold this state
    assert written("action", "set", "1", "--owner", "DGPC").code == 0
    db.write_bytes(db.read_bytes()[:100])
    damaged = db.read_bytes()
    refused = written("meeting", "list", **WIDE)
    (command,) = re.findall(r"Restore the newest backup with: (.+)", refused.stderr)
    argv = shlex.split(command)
    assert argv[0] == "cdt"

    restored = run_cdt([*argv[1:], "--yes"], base_env(db, **WIDE))

    assert restored.code == 0, restored.stderr
    assert records_of(written) == kept
    checked = written("check")
    assert checked.code == 0, checked.stdout
    assert f"{db} is sound" in checked.stderr
    # The damaged file was not thrown away: it is the newest backup now.
    assert backups_of(db)[0].read_bytes() == damaged
    assert f"the file it replaced is kept as {backups_of(db)[0]}" in restored.stderr
    assert written("meeting", "list").code == 0


def test_restore_replaces_a_sound_file_and_its_history_comes_with_the_backup(
    written: Run, db: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "copy.json"
    assert written("backup", "-o", str(copy)).code == 0
    kept = records_of(written)
    assert written("meeting", "delete", "1", "--cascade", "--yes").code == 0

    assert written("restore", str(copy), "--yes").code == 0

    assert records_of(written) == kept
    log = written("log", "-n", "1").stdout
    assert "added Share figures" in log  # the backup's own history


# ---- cdt check --------------------------------------------------------------------


def edit_json(db: Path, change: Callable[[dict[str, Any]], None]) -> None:
    data = read_whole(db)
    change(data)
    write_whole(db, data)


def test_check_exits_0_on_a_sound_file(written: Run) -> None:
    result = written("check")
    assert result.code == 0
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("meeting_id", 99, "action 1 names a missing meeting 99."),
        ("item_id", 7, "action 1 names a missing agenda item 7."),
        ("title", 5, "action 1 is malformed (title is int, not text)."),
        ("due", "2023-02-30", "action 1 is malformed (ValueError: day is out of range"),
    ],
)
def test_check_exits_1_naming_a_problem_crafted_into_the_file(
    written: Run, db: Path, field: str, value: Any, problem: str
) -> None:
    edit_json(db, lambda data: data["actions"]["1"].update({field: value}))

    result = written("check", **WIDE)

    assert result.code == 1
    assert problem in result.stdout
    assert f"1 problem found in {db}" in result.stderr


def test_check_finds_items_carried_from_each_other(written: Run, db: Path) -> None:
    assert written("agenda", "add", "1", "Visas").code == 0

    def loop(data: dict[str, Any]) -> None:
        data["agenda_items"]["1"]["carried_from"] = 2
        data["agenda_items"]["2"]["carried_from"] = 1

    edit_json(db, loop)
    result = written("check", **WIDE)
    assert result.code == 1
    assert "agenda 1 is carried from itself through items 1, 2." in result.stdout


def test_a_damaged_history_entry_is_found_by_check_and_refused_where_log_or_undo_reach_it(
    written: Run, db: Path
) -> None:
    # Shaped like an entry (a non-object is refused by every command as a damaged file),
    # but its packed changes cannot be read. Entries are unpacked newest first, as far
    # as a command goes: the two newer ones are still shown and undone.
    edit_json(db, lambda data: data["history"]["2"].update({"changes_z": "not base64!"}))

    checked = written("check", **WIDE)
    assert checked.code == 1
    assert "history entry 2 is damaged" in checked.stdout
    assert written("log", "-n", "2", **WIDE).stdout.count("\n") == 2
    before = db.read_bytes()
    for result in (written("log", **WIDE), written("undo", "--steps", "3", **WIDE)):
        assert result.code == 3
        assert f"Error: {db} has a damaged change history" in result.stderr
        assert "cdt check names the entry" in result.stderr
        assert "Traceback" not in result.stderr
    assert db.read_bytes() == before
    assert written("undo", **WIDE).code == 0  # the newest command's changes are whole


# ---- restore refuses what it cannot use -----------------------------------------------


def _truncated(raw: bytes) -> bytes:
    return raw[:100]


def _dangling(raw: bytes) -> bytes:
    data = json.loads(raw)
    data["agenda_items"]["1"]["meeting_id"] = 42
    return json.dumps(data).encode()


def _newer(raw: bytes) -> bytes:
    data = json.loads(raw)
    data["_meta"]["1"]["schema"] = 99
    return json.dumps(data).encode()


def _damaged_history(raw: bytes) -> bytes:
    data = json.loads(raw)
    data["history"]["1"]["changes_z"] = "lost"
    return json.dumps(data).encode()


def _a_dump(raw: bytes) -> bytes:
    return json.dumps({"format": "consular-dialogue", "version": 1, "meetings": []}).encode()


BAD_BACKUPS: dict[str, tuple[Callable[[bytes], bytes], str]] = {
    "truncated": (_truncated, "it is damaged (not valid JSON"),
    "empty": (lambda raw: b"", "it is empty (0 bytes)."),
    "dangling reference": (_dangling, "agenda 1 names a missing meeting 42."),
    "newer schema": (_newer, "it was written by a newer consular-dialogue (schema 99"),
    "a dump, not a data file": (_a_dump, "it is not a consular-dialogue data file."),
    "damaged history": (_damaged_history, "history entry 1 is damaged"),
}


@pytest.mark.parametrize("case", list(BAD_BACKUPS))
def test_restore_refuses_an_unusable_file_and_leaves_the_data_file_byte_identical(
    written: Run, db: Path, tmp_path: Path, case: str
) -> None:
    spoil, message = BAD_BACKUPS[case]
    bad = tmp_path / "bad.json"
    bad.write_bytes(spoil(json.dumps(read_whole(db)).encode()))
    before, backups = db.read_bytes(), backups_of(db)

    result = written("restore", str(bad), "--yes", **WIDE)

    assert result.code == 1
    assert result.stderr.startswith(f"Error: {bad} cannot be restored: ")
    assert message in result.stderr
    assert db.read_bytes() == before
    assert backups_of(db) == backups


def test_restore_refuses_the_data_file_itself(written: Run, db: Path) -> None:
    before = db.read_bytes()
    result = written("restore", str(db), "--yes")
    assert result.code == 1
    assert "is the data file itself" in result.stderr
    assert db.read_bytes() == before


# ---- rotating backups -------------------------------------------------------------


def test_only_the_newest_n_rotating_backups_are_kept_each_private(cdt: Run, db: Path) -> None:
    assert cdt("dialogue", "add", "Diálogo", "--key", "consular", "--parties", "MX,US").code == 0
    db.chmod(0o644)  # a file the user opened up keeps its mode; its backups do not
    previous = b""
    for n in range(11):
        previous = db.read_bytes()
        result = cdt("dialogue", "edit", "consular", "--notes", f"note {n}", CDT_BACKUPS="3")
        assert result.code == 0, result.stderr

    backups = backups_of(db)

    assert len(backups) == 3
    assert [mode_of(b) for b in backups] == [0o600, 0o600, 0o600]
    assert backups[0].read_bytes() == previous  # the file as it was before the last write
    assert mode_of(db) == 0o644
    for backup in backups:
        assert run_cdt(["check"], base_env(backup)).code == 0


def test_backups_zero_keeps_no_rotating_backup(cdt: Run, db: Path) -> None:
    for n in range(3):
        assert (
            cdt(
                "dialogue", "add", f"D{n}", "--key", f"d{n}", "--parties", "MX,US", CDT_BACKUPS="0"
            ).code
            == 0
        )
    assert backups_of(db) == []


# ---- cdt backup -o --------------------------------------------------------------------


def test_backup_o_writes_a_private_copy_and_refuses_to_replace_it_without_force(
    written: Run, db: Path, tmp_path: Path
) -> None:
    target = tmp_path / "copies" / "tracker-copy.json"
    target.parent.mkdir()

    first = written("backup", "-o", str(target))

    assert first.code == 0, first.stderr
    assert json.loads(target.read_bytes()) == read_whole(db)  # whole: no part files needed
    assert mode_of(target) == 0o600
    assert written("action", "done", "1").code == 0
    refused = written("backup", "-o", str(target))
    assert refused.code == 1
    assert "exists already; add --force to replace it" in refused.stderr
    assert json.loads(target.read_bytes()) != read_whole(db)
    forced = written("backup", "-o", str(target), "--force")
    assert forced.code == 0, forced.stderr
    assert json.loads(target.read_bytes()) == read_whole(db)
    assert mode_of(target) == 0o600


def test_backup_o_refuses_the_data_file_and_its_rotating_backups(written: Run, db: Path) -> None:
    before = db.read_bytes()
    for target in (db, backups_of(db)[0]):
        result = written("backup", "-o", str(target), "--force")
        assert result.code == 1
        assert "is the tracker's data file" in result.stderr
    assert db.read_bytes() == before


def test_backup_without_o_writes_next_to_the_data_file(written: Run, db: Path) -> None:
    result = written("backup")
    assert result.code == 0, result.stderr
    (copy,) = db.parent.glob("tracker-backup-*.json")
    assert json.loads(copy.read_bytes()) == read_whole(db)
    assert mode_of(copy) == 0o600

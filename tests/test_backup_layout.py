"""Whole backups laid out a record to a line, so that ``restore`` reads them a record at
a time (``storage.read_backup``), and restores what a whole read of the same backup
restores; a backup laid out otherwise is read whole, as before."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest
from conftest import Result, answered, base_env, cdt_executable, run_cdt

from consular_dialogue.dates import PartialDate
from consular_dialogue.models import MeetingKind
from consular_dialogue.services.actions import add_action, complete_actions
from consular_dialogue.services.dialogues import add_dialogue
from consular_dialogue.services.meetings import MeetingFields, record_meeting
from consular_dialogue.storage import (
    ACTIONS_PER_PART,
    Repository,
    atomic_write,
    file_bytes,
    load_parts,
    open_for_writing,
    parse_file,
)

MOMENT = dt.datetime(2023, 4, 24, 10, 0, tzinfo=dt.UTC)
WIDE = {"COLUMNS": "500"}


def cdt_at(db: Path, *args: str, **env: str) -> Result:
    return run_cdt(list(args), base_env(db, **env))


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A file with every kind of record, in parts and in the data file: 2,010 actions
    done (three parts), some reopened (unfinished ones out of id order), an item, notes
    with markup and line breaks, the history of several commands and exchange bases."""
    db = tmp_path_factory.mktemp("source") / "tracker.json"
    with open_for_writing(db) as repo:
        add_dialogue(repo, name="Diálogo Consular", key="consular", parties=["MX", "US"],
                     established=None, notes=None, now=MOMENT)  # fmt: skip
        record_meeting(
            repo,
            MeetingFields(
                title="Intermedia 2023",
                kind=MeetingKind.INTERMEDIATE,
                date=PartialDate(2023, 4, 17),
            ),
            dialogue_key=None,
            now=MOMENT,
        )
        count = 2 * ACTIONS_PER_PART + 10
        for n in range(count):
            add_action(repo, title=f"Acción {n}", meeting_id=1, item_id=None, party="MX",
                       owner=None, due=None, priority=None, level=None, now=MOMENT)  # fmt: skip
        complete_actions(repo, list(range(1, count + 1)), now=MOMENT)
    for args in [
        ("meeting", "add", "Anual 2023", "--kind", "annual", "--date", "octubre 2023"),
        ("agenda", "add", "2", "Visas H-2", "--topic", "h2-visas"),
        ("action", "add", "Estadísticas [b]H-2[/b]", "--item", "1", "--due", "2023-11-30"),
        ("action", "note", "2011", "Primera línea\nsegunda \x1b[31mroja\x1b[0m"),
        ("action", "reopen", "1500"),
        ("action", "reopen", "3"),
    ]:
        result = cdt_at(db, *args)
        assert result.code == 0, (args, result.stderr)
    dump = db.with_name("dump.json")
    assert cdt_at(db, "export", "all", "-o", str(dump)).code == 0
    assert cdt_at(db, "import", str(dump)).code == 0  # (exchange bases)
    return db


@pytest.fixture
def backup(source: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "backup.json"
    result = cdt_at(source, "backup", "-o", str(copy))
    assert result.code == 0, result.stderr
    return copy


def compact(backup: Path) -> Path:
    """The same backup as one line of JSON, as an earlier version wrote it."""
    copy = backup.with_name("compact.json")
    copy.write_bytes(orjson.dumps(orjson.loads(backup.read_bytes())))
    return copy


def restored(backup: Path, folder: Path) -> Path:
    db = folder / "tracker.json"
    result = cdt_at(db, "restore", str(backup), "--yes")
    assert result.code == 0, result.stderr
    return db


def state(db: Path) -> dict[str, Any]:
    """A data file with each part it names in its list of parts (names aside), read;
    without its write count."""
    data: dict[str, Any] = orjson.loads(db.read_bytes())
    folder = db.with_name(db.name + ".parts")
    for index in data["_meta"]["1"]["parts"].values():
        for entry in index.values():
            entry["file"] = orjson.loads((folder / entry.pop("file")).read_bytes())
    data["_meta"]["1"].pop("retired")
    data["_meta"]["1"].pop("gen")  # (one above the generations of the backups there)
    return data


def without_gen(backup: Path) -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads(backup.read_bytes())
    del data["_meta"]["1"]["gen"]
    return data


def folder_state(db: Path) -> tuple[bytes, list[str]]:
    folder = db.with_name(db.name + ".parts")
    return db.read_bytes(), sorted(p.name for p in folder.iterdir())


def test_a_backup_has_each_record_on_a_line_of_its_own(backup: Path) -> None:
    lines = backup.read_bytes().split(b"\n")
    data = orjson.loads(backup.read_bytes())

    assert lines[0] == b'{"dialogues":{'
    assert lines[-1] == b"}}"
    tables = [line for line in lines if line.startswith(b"},")]
    assert [t[3:-3].decode() for t in tables] == list(data)[1:]
    records = [line for line in lines if line.startswith(b'"')]
    assert len(records) == sum(len(table) for table in data.values())
    for line in records:  # one record, whole
        assert len(orjson.loads(b"{" + line.removesuffix(b",") + b"}")) == 1


def test_restoring_a_laid_out_backup_gives_what_reading_it_whole_gives(
    backup: Path, source: Path, tmp_path: Path
) -> None:
    laid_out = restored(backup, tmp_path / "a")
    whole = restored(compact(backup), tmp_path / "b")

    assert state(laid_out) == state(whole)
    # The unfinished actions, in the data file in the backup's order (not their ids').
    in_backup = list(orjson.loads(backup.read_bytes())["actions"])
    assert list(state(laid_out)["actions"]) == [a for a in in_backup if a in {"3", "1500", "2011"}]
    assert list(state(laid_out)["actions"]) != sorted(state(laid_out)["actions"], key=int)
    again = tmp_path / "again.json"
    assert cdt_at(laid_out, "backup", "-o", str(again)).code == 0
    assert without_gen(again) == without_gen(backup)  # (a write's count, one more)
    assert cdt_at(laid_out, "check").code == 0
    listed = cdt_at(laid_out, "action", "list", "--status", "all", "--json").json()
    assert listed == cdt_at(source, "action", "list", "--status", "all", "--json").json()
    assert len(listed) == 2011


def _one_record_over_two_lines(raw: bytes) -> bytes:
    return raw.replace(b'\n"1500":{', b'\n"1500":\n{', 1)


def _two_records_on_a_line(raw: bytes) -> bytes:
    return raw.replace(b',\n"1501":{', b',"1501":{', 1)


def _edit_line(raw: bytes, key: bytes, edit: Any) -> bytes:
    """``raw`` with the line of the record ``key`` given to ``edit`` (lines for it)."""
    lines = raw.split(b"\n")
    found = next(n for n, line in enumerate(lines) if line.startswith(b'"%s":' % key))
    return b"\n".join([*lines[:found], *edit(lines[found]), *lines[found + 1 :]])


def _a_record_twice(raw: bytes) -> bytes:
    # Action 7 given again on the next line, changed: JSON keeps the last.
    return _edit_line(raw, b"7", lambda line: [line, line.replace(b':"Acci', b':"Otra acci')])


def _a_line_holding_the_next_record_too(raw: bytes) -> bytes:
    # Action 1000's line gives 1001 as well, changed; 1001's own line, later, wins.
    def edit(line: bytes) -> list[bytes]:
        nxt = next(x for x in raw.split(b"\n") if x.startswith(b'"1001":'))
        return [line[:-1] + b"," + nxt.replace(b':"Acci', b':"Otra acci')]

    return _edit_line(raw, b"1000", edit)


def _compact_first_line(raw: bytes) -> bytes:
    return raw.replace(b'{"dialogues":{\n', b'{"dialogues":{', 1)


@pytest.mark.parametrize(
    "edit",
    [
        _one_record_over_two_lines,
        _two_records_on_a_line,
        _a_record_twice,
        _a_line_holding_the_next_record_too,
        _compact_first_line,
    ],
)
def test_a_backup_edited_off_its_layout_restores_as_read_whole(
    backup: Path, tmp_path: Path, edit: Any
) -> None:
    edited = tmp_path / "edited.json"
    edited.write_bytes(edit(backup.read_bytes()))
    assert edited.read_bytes() != backup.read_bytes()

    restored_edit = restored(edited, tmp_path / "a")

    assert state(restored_edit) == state(restored(compact(edited), tmp_path / "b"))
    if edit is _a_record_twice:
        shown = cdt_at(restored_edit, "action", "show", "7", "--json").json()
        assert shown["title"].startswith("Otra acci")


def _not_json(raw: bytes) -> bytes:
    return raw.replace(b'\n"1500":{', b'\n"1500":{{', 1)


def _id_not_its_key(raw: bytes) -> bytes:
    return raw.replace(b'\n"1501":{"id":1501,', b'\n"1501":{"id":1502,', 1)


def _a_missing_meeting(raw: bytes) -> bytes:
    return _edit_line(
        raw, b"1501", lambda line: [line.replace(b'"meeting_id":1,', b'"meeting_id":99,')]
    )


@pytest.mark.parametrize(
    ("edit", "said"),
    [
        (_not_json, "it is damaged (not valid JSON"),
        (_id_not_its_key, "action record 1501 has no matching id or no uuid"),
        (_a_missing_meeting, "action 1501 names a missing meeting 99."),
    ],
)
def test_a_laid_out_backup_with_a_problem_is_refused_as_when_read_whole(
    backup: Path, source: Path, tmp_path: Path, edit: Any, said: str
) -> None:
    edited = tmp_path / "edited.json"
    edited.write_bytes(edit(backup.read_bytes()))
    target = restored(compact(backup), tmp_path / "target")
    before = folder_state(target)

    result = cdt_at(target, "restore", str(edited), "--yes", **WIDE)

    assert result.code == 1
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"Error: {edited} cannot be restored: ")
    assert said in result.stderr
    if edit is not _not_json:  # (the message of the same backup read whole)
        edited.write_bytes(orjson.dumps(orjson.loads(edited.read_bytes())))
        assert cdt_at(target, "restore", str(edited), "--yes", **WIDE).stderr == result.stderr
    assert folder_state(target) == before


def test_a_backup_given_through_a_pipe_is_read_whole_and_restored(
    backup: Path, tmp_path: Path
) -> None:
    db = tmp_path / "piped" / "tracker.json"
    proc = subprocess.run(
        [cdt_executable(), "restore", "/dev/stdin", "--yes"],
        input=backup.read_bytes(),
        env=base_env(db),
        capture_output=True,
        timeout=120,
    )

    assert proc.returncode == 0, proc.stderr
    assert state(db) == state(restored(backup, tmp_path / "file"))


def restore_changing(backup: Path, target: Path, change: Path) -> tuple[int, bytes]:
    """Restore ``backup`` into ``target``, changing a title in ``change`` in place (to
    the same length) while the command, its check done, asks whether to go on."""

    def meanwhile(_: bytes) -> None:
        raw = change.read_bytes()
        changed = raw.replace("Acción 1999".encode(), "Acción 1998".encode())
        assert len(changed) == len(raw) and changed != raw
        with change.open("r+b") as handle:
            handle.write(changed)

    return answered(["restore", str(backup)], base_env(target), meanwhile)


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_a_backup_changed_after_its_check_restores_nothing(backup: Path, tmp_path: Path) -> None:
    # The records are read again as they are written: bytes other than those checked
    # stop the restore, before the data file is replaced, and its new parts go.
    target = restored(compact(backup), tmp_path / "target")
    before, names = folder_state(target), sorted(p.name for p in target.parent.iterdir())

    code, err = restore_changing(backup, target, backup)

    assert code == 1, err
    assert b"changed while it was read; nothing was restored" in err
    assert b"Traceback" not in err
    assert folder_state(target) == before
    assert sorted(p.name for p in target.parent.iterdir()) == names  # (no copy kept either)


def rotating(source: Path, folder: Path) -> tuple[Path, Path]:
    """A copy of ``source`` changed once, and its rotating backup of the state before."""
    folder.mkdir()
    db = folder / "tracker.json"
    db.write_bytes(source.read_bytes())
    shutil.copytree(source.with_name(source.name + ".parts"), folder / "tracker.json.parts")
    assert cdt_at(db, "action", "done", "1500").code == 0
    (kept,) = folder.glob("tracker.json.bak-*")
    return db, kept


def test_restoring_a_rotating_backup_gives_what_its_whole_copy_gives(
    source: Path, tmp_path: Path
) -> None:
    # A rotating backup stands on parts: read a part at a time, as a whole copy is read
    # a record at a time, it restores the same records.
    db, kept = rotating(source, tmp_path / "rotating")
    whole = tmp_path / "whole.json"
    assert cdt_at(kept, "backup", "-o", str(whole)).code == 0

    result = cdt_at(db, "restore", str(kept), "--yes")

    assert result.code == 0, result.stderr
    assert state(db) == state(restored(compact(whole), tmp_path / "b"))
    assert cdt_at(db, "action", "show", "1500", "--json").json()["status"] == "open"
    assert cdt_at(db, "check").code == 0


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_a_part_of_a_rotating_backup_changed_after_its_check_restores_nothing(
    source: Path, tmp_path: Path
) -> None:
    db, kept = rotating(source, tmp_path / "rotating")
    part = next(
        p for p in db.with_name("tracker.json.parts").glob("actions-2000-*.json")
        if p.name in kept.read_text()
    )  # fmt: skip
    before = folder_state(db)

    code, err = restore_changing(kept, db, part)

    assert code == 1, err
    assert b"changed while it was read; nothing was restored" in err
    assert folder_state(db)[0] == before[0]
    assert set(folder_state(db)[1]) - set(before[1]) == set()  # (the part changed in place)


def test_a_rotating_backup_on_a_damaged_part_is_refused_before_any_question(
    source: Path, tmp_path: Path
) -> None:
    # The check reads every part the backup stands on, the exchange bases' too.
    db, kept = rotating(source, tmp_path / "rotating")
    (sync,) = db.with_name("tracker.json.parts").glob("sync-*.json")
    sync.write_bytes(sync.read_bytes()[:-10])
    before = folder_state(db)

    result = subprocess.run(  # (no terminal: a question would be refused, exit 2)
        [cdt_executable(), "restore", str(kept)],
        env=base_env(db, **WIDE),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith(f"Error: {kept} cannot be restored: it stands on the part")
    assert f"{sync.name}, which is damaged (not valid JSON" in result.stderr
    assert result.stderr.count("\n") == 1
    assert folder_state(db) == before


def test_a_restore_lays_out_parts_as_a_write_of_the_whole_file_does(
    backup: Path, tmp_path: Path
) -> None:
    # What ``restore`` writes a part at a time is what ``split_into_parts`` writes of
    # the same records held at once (as the restore of earlier versions did).
    db = restored(backup, tmp_path / "a")
    whole = tmp_path / "b" / "tracker.json"
    whole.parent.mkdir()
    data = load_parts(parse_file(backup.read_bytes(), backup, advice=False), backup)
    repo = Repository(path=whole, loaded=data, writable=True)
    commit = repo.split_into_parts(None, [])
    atomic_write(whole, file_bytes(repo.data))
    commit.finish()

    assert state(db) == state(whole)
    assert orjson.dumps(state(db)) == orjson.dumps(state(whole))  # (the same order too)

"""The data file: refusing unusable files, ids, uuids, permissions, locking and paths."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from conftest import NOW, Result, base_env, cdt_executable, run_cdt
from hypothesis import example, given, settings
from hypothesis import strategies as st

import consular_dialogue
from consular_dialogue.dates import PartialDate
from consular_dialogue.errors import (
    EXIT_DATA_FILE,
    CorruptFileError,
    DataFileError,
    NewerSchemaError,
)
from consular_dialogue.models import (
    Action,
    ActionStatus,
    AgendaItem,
    AgendaStatus,
    Meeting,
    MeetingKind,
)
from consular_dialogue.services.actions import (
    ActionFields,
    add_action,
    add_note,
    complete_actions,
    set_action,
)
from consular_dialogue.services.agenda import add_item, move_item, set_item
from consular_dialogue.services.dialogues import add_dialogue
from consular_dialogue.services.meetings import (
    MeetingFields,
    delete_meeting,
    edit_meeting,
    record_meeting,
    set_delegation,
)
from consular_dialogue.storage import (
    SCHEMA_VERSION,
    _all_usual,
    _usual_record,
    open_for_reading,
    open_for_writing,
    read_file,
)

MOMENT = dt.datetime.fromisoformat(NOW)
LATER = MOMENT + dt.timedelta(days=3)
ADD_MEETING = ["meeting", "add", "Reunión Anual", "--kind", "annual", "--date", "2023-10-12"]


def build(path: Path, meetings: int = 1) -> None:
    """A real data file with the consular dialogue and ``meetings`` meetings."""
    with open_for_writing(path) as repo:
        add_dialogue(
            repo,
            name="Diálogo Consular México–Estados Unidos",
            key="consular",
            parties=["MX", "US"],
            established=PartialDate(2013),
            notes=None,
            now=MOMENT,
        )
        for number in range(1, meetings + 1):
            record_meeting(
                repo,
                MeetingFields(
                    title=f"Reunión {number}",
                    kind=MeetingKind.INTERMEDIATE,
                    date=PartialDate(2023, 4, number),
                ),
                dialogue_key=None,
                now=MOMENT,
            )


def meeting_ids(path: Path) -> list[int]:
    return [m.id for m in open_for_reading(path).all(Meeting)]


def folder_listing(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


def assert_refused_untouched(code: int, stderr: str, path: Path, before: bytes) -> None:
    assert code == EXIT_DATA_FILE, stderr
    assert stderr.startswith("Error: ")
    assert stderr.strip().count("\n") == 0, stderr
    assert "Traceback" not in stderr
    assert str(path) in stderr or str(path.resolve()) in stderr
    assert path.read_bytes() == before


# ---------------------------------------------------------------- unusable files


def truncated_file(path: Path) -> bytes:
    build(path, meetings=2)
    raw = path.read_bytes()
    return raw[: len(raw) // 2]


def newer_schema_file(path: Path) -> bytes:
    build(path)
    data = orjson.loads(path.read_bytes())
    data["_meta"]["1"]["schema"] = SCHEMA_VERSION + 1
    return orjson.dumps(data)


UNUSABLE = {
    "not-json": (lambda path: b"meeting notes, not a tracker file\n", "damaged"),
    "empty": (lambda path: b"", "empty"),
    "truncated": (truncated_file, "damaged"),
    "newer-schema": (newer_schema_file, "newer"),
}


@pytest.mark.parametrize("kind", list(UNUSABLE))
def test_read_file_refuses_an_unusable_file_with_a_data_file_error(
    tmp_path: Path, kind: str
) -> None:
    db = tmp_path / "tracker.json"
    make, word = UNUSABLE[kind]
    db.write_bytes(make(db))
    expected = NewerSchemaError if kind == "newer-schema" else CorruptFileError
    with pytest.raises(expected) as caught:
        read_file(db)
    assert caught.value.exit_code == EXIT_DATA_FILE
    assert word in str(caught.value)
    assert str(db) in str(caught.value)


@pytest.mark.parametrize(
    "command", [["meeting", "list"], ADD_MEETING], ids=["read-meeting-list", "write-meeting-add"]
)
@pytest.mark.parametrize("kind", list(UNUSABLE))
def test_cdt_refuses_an_unusable_file_with_exit_3_naming_it_and_leaves_it_byte_identical(
    tmp_path: Path, kind: str, command: list[str]
) -> None:
    db = tmp_path / "tracker.json"
    make, word = UNUSABLE[kind]
    db.write_bytes(make(db))
    before = db.read_bytes()
    others = folder_listing(tmp_path)

    result = run_cdt(command, base_env(db))

    assert_refused_untouched(result.code, result.stderr, db, before)
    assert word in result.stderr
    assert result.stdout == ""
    # No backup or temp file appears next to a refused file (the lock file may).
    assert folder_listing(tmp_path) - others <= {"tracker.json.lock"}


def test_a_damaged_record_in_valid_json_is_refused_with_exit_3(tmp_path: Path) -> None:
    db = tmp_path / "tracker.json"
    build(db, meetings=2)
    data = orjson.loads(db.read_bytes())
    del data["dialogues"]["1"]["uuid"]
    db.write_bytes(orjson.dumps(data))
    before = db.read_bytes()
    for command in (["meeting", "list"], ADD_MEETING):
        result = run_cdt(command, base_env(db))
        assert_refused_untouched(result.code, result.stderr, db, before)
        assert "dialogue record" in result.stderr


def test_a_command_that_fails_inside_the_lock_writes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "tracker.json"
    build(db)
    before = db.read_bytes()
    listing = folder_listing(tmp_path)
    with pytest.raises(ZeroDivisionError), open_for_writing(db) as repo:
        edit_meeting(repo, 1, MeetingFields(title="Changed"), now=LATER)
        raise ZeroDivisionError
    assert db.read_bytes() == before
    assert folder_listing(tmp_path) == listing


# ---------------------------------------------------------------- ids and uuids


def test_deleting_the_newest_meeting_does_not_free_its_id(tmp_path: Path) -> None:
    db = tmp_path / "tracker.json"
    build(db, meetings=3)
    with open_for_writing(db) as repo:
        delete_meeting(repo, 3, cascade=False, now=LATER)
    assert meeting_ids(db) == [1, 2]

    with open_for_writing(db) as repo:
        added = record_meeting(
            repo,
            MeetingFields(title="Nueva", kind=MeetingKind.ANNUAL, date=PartialDate(2023, 10)),
            dialogue_key=None,
            now=LATER,
        )
    assert added.id == 4
    assert meeting_ids(db) == [1, 2, 4]


def test_uuids_stay_the_same_across_edits_and_differ_between_records(tmp_path: Path) -> None:
    db = tmp_path / "tracker.json"
    build(db, meetings=1)
    with open_for_writing(db) as repo:
        add_item(
            repo, 1, title="Acceso consular", topic="consular-access", status=None,
            outcome=None, lead=None, level=None, now=MOMENT,
        )  # fmt: skip
        add_item(
            repo, 1, title="Visas H-2", topic="h2-visas", status=None,
            outcome=None, lead=None, level=None, now=MOMENT,
        )  # fmt: skip
        add_action(
            repo, title="Compartir estadísticas", meeting_id=None, item_id=2, party="US",
            owner=None, due=dt.date(2023, 6, 30), priority=None, level=None, now=MOMENT,
        )  # fmt: skip
    reader = open_for_reading(db)
    uuids_before = {
        (cls.KIND, r.id): r.uuid for cls in (Meeting, AgendaItem, Action) for r in reader.all(cls)
    }

    with open_for_writing(db) as repo:
        edit_meeting(repo, 1, MeetingFields(title="Reunión Intermedia", location="SRE"), now=LATER)
        set_delegation(
            repo, 1, party="MX", head="Vanessa Calva Ruiz", title=None, members=[], now=LATER
        )
        set_item(repo, 1, status=AgendaStatus.AGREED, outcome="Seguimiento", now=LATER)
        move_item(repo, 2, 1, now=LATER)
        set_action(repo, 1, ActionFields(due=dt.date(2023, 7, 31), owner="CA/VO"), now=LATER)
        add_note(repo, 1, "Borrador enviado", level=None, now=LATER)
        complete_actions(repo, [1], now=LATER)

    reader = open_for_reading(db)
    uuids_after = {
        (cls.KIND, r.id): r.uuid for cls in (Meeting, AgendaItem, Action) for r in reader.all(cls)
    }
    assert reader.get(Meeting, 1).title == "Reunión Intermedia"
    assert reader.get(AgendaItem, 2).position == 1
    assert reader.get(Action, 1).status == ActionStatus.DONE
    assert uuids_after == uuids_before
    assert len(set(uuids_before.values())) == len(uuids_before)


def test_an_edit_that_changes_nothing_does_not_rewrite_the_file(tmp_path: Path) -> None:
    db = tmp_path / "tracker.json"
    build(db)
    before = db.read_bytes()
    with open_for_writing(db) as repo:
        edit_meeting(
            repo, 1, MeetingFields(title="Reunión 1", kind=MeetingKind.INTERMEDIATE), now=LATER
        )
        assert not repo.dirty
    assert db.read_bytes() == before


# ---------------------------------------------------------------- permissions and paths


def test_a_new_data_file_is_readable_by_its_owner_only(
    tmp_path: Path, cdt: Callable[..., Result]
) -> None:
    db = tmp_path / "tracker.json"
    assert cdt("dialogue", "add", "Diálogo", "--key", "consular", "--parties", "MX,US").code == 0
    assert db.stat().st_mode & 0o777 == 0o600


def test_an_existing_0640_file_keeps_its_mode_after_a_write(tmp_path: Path) -> None:
    db = tmp_path / "tracker.json"
    build(db)
    db.chmod(0o640)
    result = run_cdt(ADD_MEETING, base_env(db))
    assert result.code == 0, result.stderr
    assert meeting_ids(db) == [1, 2]
    assert db.stat().st_mode & 0o777 == 0o640


def test_a_db_symlink_is_written_through_to_its_target_and_stays_a_link(tmp_path: Path) -> None:
    target = tmp_path / "real" / "tracker.json"
    target.parent.mkdir()
    build(target)
    link = tmp_path / "link.json"
    link.symlink_to(target)

    result = run_cdt(["--db", str(link), *ADD_MEETING], base_env(tmp_path / "unused.json"))

    assert result.code == 0, result.stderr
    assert link.is_symlink()
    assert link.resolve() == target.resolve()
    assert meeting_ids(target) == [1, 2]
    assert not (tmp_path / "unused.json").exists()
    # Nothing of the write lands beside the link.
    assert folder_listing(tmp_path) == {"real", "link.json"}


READ_ONLY_COMMANDS = {
    "meeting-list": (["meeting", "list", "--json"], []),
    "agenda-list": (["agenda", "list", "--json"], []),
    "action-list": (["action", "list", "--json"], []),
    "dialogue-list": (["dialogue", "list", "--json"], []),
    "search": (["search", "visas", "--json"], []),
}


@pytest.mark.parametrize("name", list(READ_ONLY_COMMANDS))
def test_read_only_command_on_a_missing_file_creates_nothing_and_shows_nothing(
    tmp_path: Path, name: str
) -> None:
    folder = tmp_path / "not-yet"
    db = folder / "tracker.json"
    args, expected = READ_ONLY_COMMANDS[name]
    result = run_cdt(args, base_env(db))
    assert result.code == 0, result.stderr
    assert result.json() == expected
    assert not folder.exists()
    assert list(tmp_path.iterdir()) == []


def test_topic_list_on_a_missing_file_shows_the_catalog_without_creating_it(
    tmp_path: Path,
) -> None:
    db = tmp_path / "not-yet" / "tracker.json"
    result = run_cdt(["topic", "list", "--json"], base_env(db))
    assert result.code == 0, result.stderr
    rows = result.json()
    assert "consular-access" in {r["slug"] for r in rows}
    assert {(r["agenda_items"], r["open_actions"]) for r in rows} == {(0, 0)}
    assert list(tmp_path.iterdir()) == []


def test_meeting_list_on_a_missing_file_says_there_are_no_meetings(tmp_path: Path) -> None:
    db = tmp_path / "tracker.json"
    result = run_cdt(["meeting", "list"], base_env(db))
    assert result.code == 0, result.stderr
    assert "No meetings" in result.stdout
    assert list(tmp_path.iterdir()) == []


HOLD_LOCK = """
import sys, time
from pathlib import Path
from consular_dialogue.storage import locked
with locked(Path(sys.argv[1]), timeout=5):
    print("locked", flush=True)
    time.sleep(120)
"""


def test_a_write_waits_for_the_lock_then_fails_busy_with_exit_3(tmp_path: Path) -> None:
    db = tmp_path / "tracker.json"
    build(db)
    before = db.read_bytes()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(db)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        started = time.monotonic()
        result = run_cdt(ADD_MEETING, base_env(db, CDT_LOCK_TIMEOUT="1"))
        waited = time.monotonic() - started
        # Readers take no lock, so they still work while a writer holds it.
        reading = run_cdt(["meeting", "list", "--json"], base_env(db))
    finally:
        holder.kill()
        holder.wait()
    assert_refused_untouched(result.code, result.stderr, db, before)
    assert "busy" in result.stderr
    assert waited >= 1.0
    assert reading.code == 0
    assert [m["id"] for m in reading.json()] == [1]


def test_db_option_beats_the_cdt_db_variable(tmp_path: Path) -> None:
    from_env = tmp_path / "env.json"
    from_flag = tmp_path / "flag.json"
    build(from_env, meetings=1)
    build(from_flag, meetings=2)
    env_bytes = from_env.read_bytes()

    listed = run_cdt(["--db", str(from_flag), "meeting", "list", "--json"], base_env(from_env))
    added = run_cdt(["--db", str(from_flag), *ADD_MEETING], base_env(from_env))

    assert [m["id"] for m in listed.json()] == [1, 2]
    assert added.code == 0, added.stderr
    assert meeting_ids(from_flag) == [1, 2, 3]
    assert from_env.read_bytes() == env_bytes


def test_cdt_db_variable_is_used_without_db_option(tmp_path: Path) -> None:
    db = tmp_path / "env.json"
    build(db, meetings=2)
    listed = run_cdt(["meeting", "list", "--json"], base_env(db))
    assert [m["title"] for m in listed.json()] == ["Reunión 1", "Reunión 2"]


@pytest.mark.parametrize(
    "command",
    [
        [sys.executable, "-m", "consular_dialogue", "--version"],
        [str(Path(cdt_executable()).with_name("consular-dialogue")), "--version"],
        [cdt_executable(), "--version"],
    ],
    ids=["python-m", "consular-dialogue", "cdt"],
)
def test_version_is_printed_by_every_entry_point(command: list[str], tmp_path: Path) -> None:
    proc = subprocess.run(
        command, capture_output=True, text=True, env=base_env(tmp_path / "t.json"), timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert consular_dialogue.__version__ in proc.stdout
    assert list(tmp_path.iterdir()) == []


def test_a_folder_given_as_the_data_file_is_refused_with_exit_3(tmp_path: Path) -> None:
    result = run_cdt(["meeting", "list"], base_env(tmp_path))
    assert result.code == EXIT_DATA_FILE
    assert result.stderr.startswith("Error: ")
    assert "Traceback" not in result.stderr
    with pytest.raises(DataFileError):
        read_file(tmp_path)


def test_a_new_file_starts_with_the_current_schema_and_the_topic_catalog(tmp_path: Path) -> None:
    db = tmp_path / "tracker.json"
    result = run_cdt(
        ["dialogue", "add", "Diálogo", "--key", "consular", "--parties", "MX,US"], base_env(db)
    )
    assert result.code == 0, result.stderr
    data = read_file(db)
    assert data is not None
    assert data["_meta"]["1"]["schema"] == SCHEMA_VERSION
    assert "consular-access" in {t["slug"] for t in data["topics"].values()}
    # The catalog comes with the file; it is not a user's change to undo.
    history = open_for_reading(db).history()
    assert history and all(
        change["kind"] == "dialogue" for entry in history for change in entry["changes"]
    )


def test_a_writer_killed_while_holding_the_lock_does_not_block_the_next(tmp_path: Path) -> None:
    db = tmp_path / "tracker.json"
    build(db)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(db)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "locked"
    holder.kill()  # SIGKILL: no cleanup ran; the kernel drops the lock with the process
    holder.wait()

    result = run_cdt(ADD_MEETING, base_env(db, CDT_LOCK_TIMEOUT="1"))

    assert result.code == 0, result.stderr


# Stored records as a hand edit may leave them: ids of every kind, keys that are and are
# not their ids, a uuid or not, a record that is not a dict.
_ID = st.one_of(st.integers(-2, 3), st.booleans(), st.just("1"), st.just(1.0), st.none())
_RECORD = st.one_of(
    st.fixed_dictionaries({"id": _ID}, optional={"uuid": st.one_of(st.just("u"), st.just(1))}),
    st.just([]),
    st.just("x"),
)


@settings(max_examples=300)
@given(st.dictionaries(st.sampled_from(["0", "1", "2", "3", "01", "-1", "x"]), _RECORD))
@example({"-1": {"id": -1, "uuid": "u"}})
@example({"1": {"id": True, "uuid": "u"}})
@example({"0": {"id": 0, "uuid": "u"}, "01": {"id": 1, "uuid": "u"}})
@example({"1": {"id": 2, "uuid": "u"}, "2": {"id": 1, "uuid": "u"}})
@example({"True": {"id": True, "uuid": "u"}})
def test_a_table_is_told_usual_at_once_exactly_when_each_record_is(
    records: dict[str, Any],
) -> None:
    each = all(_usual_record(key, record) for key, record in records.items())
    assert _all_usual(records) == each

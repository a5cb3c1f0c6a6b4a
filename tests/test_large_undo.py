"""An undo or redo of more than ``SPILL_EVERY`` changes writes the parts it has changed
as it goes and lets go of them (``Repository.spill_changes``), so that the undo of a
bulk import never holds every record it deletes; what it leaves is what an undo that
held them all leaves, and a kill half-way leaves the file as it was."""

from __future__ import annotations

import datetime as dt
import os
import random
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import base_env, cdt_executable, cdt_ok, exported, many_actions, run_cdt

from consular_dialogue.dates import PartialDate
from consular_dialogue.models import MeetingKind
from consular_dialogue.services.actions import add_action
from consular_dialogue.services.dialogues import add_dialogue
from consular_dialogue.services.history import SPILL_EVERY, undo
from consular_dialogue.services.meetings import MeetingFields, record_meeting
from consular_dialogue.storage import PARTS_HELD, open_for_writing, read_file

MOMENT = dt.datetime(2023, 4, 24, 10, 0, tzinfo=dt.UTC)
ACTIONS = SPILL_EVERY + 1_500  # (a spill, then the commit)


@pytest.fixture(scope="module")
def dump(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Another office's export of three meetings and their actions, most of them done."""
    db = tmp_path_factory.mktemp("office") / "tracker.json"
    many_actions(db, ACTIONS)
    path = db.with_name("dump.json")
    cdt_ok(db, "export", "all", "-o", str(path))
    return path


@pytest.fixture
def imported(dump: Path, tmp_path: Path) -> Path:
    """A new file into which the dump was imported: one entry of its changes."""
    db = tmp_path / "tracker.json"
    cdt_ok(db, "import", str(dump))
    return db


def leftovers(db: Path) -> list[str]:
    """Files in the parts folder that the data file neither names nor keeps retired
    (a part's search index goes with its part)."""
    data = read_file(db)
    assert data is not None
    meta = data["_meta"]["1"]
    named = {e["file"] for index in meta["parts"].values() for e in index.values()}
    named |= set(meta.get("retired", {}))
    folder = db.with_name(db.name + ".parts")
    return sorted(
        p.name
        for p in folder.iterdir()
        if p.name.replace(".search", ".json").replace(".lines", ".json") not in named
        or p.name.startswith(".")
    )


def test_undoing_and_redoing_a_large_import_gives_back_each_state(
    dump: Path, tmp_path: Path
) -> None:
    db = tmp_path / "tracker.json"
    cdt_ok(db, "dialogue", "add", "Otro", "--key", "otro", "--parties", "MX,GT")
    before = exported(db)
    cdt_ok(db, "import", str(dump))
    imported = exported(db)

    undone = cdt_ok(db, "undo")

    assert f"({ACTIONS + 4} changes)" in undone.stderr  # a dialogue, 3 meetings, the actions
    assert exported(db) == before
    assert leftovers(db) == []
    cdt_ok(db, "check")

    cdt_ok(db, "redo")

    assert exported(db) == imported
    assert leftovers(db) == []
    cdt_ok(db, "check")
    cdt_ok(db, "undo")  # the import again: the redo said it is no longer undone
    assert exported(db) == before


def test_an_undo_killed_while_it_writes_parts_leaves_the_file_as_it_was(imported: Path) -> None:
    db = imported
    imported, raw = exported(db), db.read_bytes()
    folder = db.with_name(db.name + ".parts")
    first = {p.name for p in folder.iterdir()}
    proc = subprocess.Popen(
        [cdt_executable(), "undo"],
        env=base_env(db),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while not any(p.suffix == ".json" and p.name not in first for p in folder.iterdir()):
            assert proc.poll() is None, "the undo ended before it wrote any part"
            assert time.monotonic() < deadline
            time.sleep(0.002)
        os.kill(proc.pid, signal.SIGSTOP)
        assert db.read_bytes() == raw  # stopped after writing parts, before the data file
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=60)

    assert exported(db) == imported
    # What the killed undo wrote (a pending list, then parts), until the next writer:
    assert any(not name.startswith(".") for name in leftovers(db))
    assert any(name.startswith(".pending-") for name in leftovers(db))
    cdt_ok(db, "undo")
    assert leftovers(db) == []
    assert exported(db)["actions"] == []


def test_spill_changes_writes_the_changed_parts_and_reads_them_again_when_reached(
    imported: Path,
) -> None:
    db = imported
    folder = db.with_name(db.name + ".parts")
    first, raw = {p.name for p in folder.iterdir()}, db.read_bytes()
    with open_for_writing(db) as repo:
        six = repo.stored("actions", 6)  # (done: in the part of ids 0-999)
        assert six is not None and six["status"] == "done"
        repo.put_raw("action", 6, {**six, "title": "Primera"})
        repo.put_raw("action", 1201, None)

        repo.spill_changes()

        assert "6" not in repo.data["actions"] and not repo._parts.get("actions")
        written = {p.name for p in folder.iterdir()} - first
        # Two parts, each with its search index and lines.
        assert len([n for n in written if n.startswith("actions-")]) == 2 * 3
        assert any(n.startswith(".pending-") for n in written)
        assert db.read_bytes() == raw  # (the data file still names the parts it did)
        again = repo.stored("actions", 6)  # read from the part just written
        assert again is not None and again["title"] == "Primera"
        repo.put_raw("action", 6, {**again, "title": "Segunda"})
        repo.record_history(now=MOMENT, command="test", action="test")

    titles = {a["id"]: a["title"] for a in exported(db)["actions"]}
    assert titles[6] == "Segunda" and 1201 not in titles and len(titles) == ACTIONS - 1
    assert leftovers(db) == []
    written = {p.name for p in folder.iterdir()} - first
    # The last, with its index and lines.
    assert len([n for n in written if n.startswith("actions-0-")]) == 3
    cdt_ok(db, "check")


def commands_of(db: Path, count: int, size: int) -> None:
    """``count`` commands of ``size`` new actions each, one history entry each."""
    for _ in range(count):
        with open_for_writing(db) as repo:
            if not repo.data["dialogues"]:
                add_dialogue(repo, name="D", key="d", parties=["MX", "US"], established=None,
                             notes=None, now=MOMENT)  # fmt: skip
                fields = MeetingFields(title="M", kind=MeetingKind.ANNUAL, date=PartialDate(2023))
                record_meeting(repo, fields, dialogue_key=None, now=MOMENT)
            for n in range(size):
                add_action(repo, title=f"A{n}", meeting_id=1, item_id=None, party="MX",
                           owner=None, due=None, priority=None, level=None,
                           now=MOMENT)  # fmt: skip
            repo.record_history(now=MOMENT, command="test", action="test")


def test_an_undo_of_several_commands_writes_parts_before_its_commit_once_it_has_enough(
    tmp_path: Path,
) -> None:
    # Two commands of fewer changes each than SPILL_EVERY, more together: the spill
    # counts the undo's changes, not each entry's.
    db = tmp_path / "tracker.json"
    commands_of(db, 2, SPILL_EVERY // 2 + 100)
    raw = db.read_bytes()
    folder = db.with_name(db.name + ".parts")
    with open_for_writing(db) as repo:
        undo(repo, 2, now=MOMENT, command="cdt undo --steps 2", dry_run=False)

        assert repo._spilled_lists  # written before the commit
        assert all(listed.exists() for listed in repo._spilled_lists)
        assert db.read_bytes() == raw

    assert exported(db)["actions"] == []
    assert leftovers(db) == [] and not any(p.name.startswith(".") for p in folder.iterdir())
    cdt_ok(db, "check")


def test_an_undo_that_fails_after_writing_parts_deletes_them_and_changes_nothing(
    imported: Path,
) -> None:
    db = imported
    folder = db.with_name(db.name + ".parts")
    (part,) = folder.glob("actions-0-*.json")  # (reached last: the newest change first)
    part.write_bytes(part.read_bytes()[:-5])
    before = db.read_bytes(), sorted(p.name for p in folder.iterdir())

    result = run_cdt(["undo"], base_env(db))

    assert result.code == 3, result.stderr
    assert f"{part.name}, which is damaged" in result.stderr and "Traceback" not in result.stderr
    assert (db.read_bytes(), sorted(p.name for p in folder.iterdir())) == before


def test_an_entry_that_says_another_txn_than_its_key_is_refused_by_undo_and_named_by_check(
    tmp_path: Path,
) -> None:
    db = tmp_path / "tracker.json"
    commands_of(db, 1, 3)
    (part,) = db.with_name(db.name + ".parts").glob("history-*.json")  # (a hand edit)
    part.write_bytes(part.read_bytes().replace(b'{"txn":1,', b'{"txn":5,'))
    before = db.read_bytes()

    undone = run_cdt(["undo"], base_env(db))
    checked = run_cdt(["check"], base_env(db))

    assert undone.code == 3 and undone.stderr.count("\n") == 1, undone.stderr
    assert "damaged change history" in undone.stderr
    assert db.read_bytes() == before
    assert checked.code == 1 and "history entry 1 is damaged" in checked.stdout
    assert "it says it is entry 5" in checked.stdout


def test_an_undo_of_changes_all_over_the_file_reverts_them_a_part_at_a_time(
    imported: Path,
) -> None:
    db = imported
    before = exported(db)
    ids = list(range(1, ACTIONS + 1, 7))  # in every part, most of them done (in parts)
    random.Random(3).shuffle(ids)  # as an import in the other office's order changed them
    with open_for_writing(db) as repo:
        for action_id in ids:
            stored = repo.stored("actions", action_id)
            assert stored is not None
            repo.put_raw("action", action_id, {**stored, "title": f"Cambiada {action_id}"})
        repo.record_history(now=MOMENT, command="test", action="test")
    assert exported(db) != before

    with open_for_writing(db) as repo:
        undo(repo, 1, now=MOMENT, command="cdt undo", dry_run=False)

        assert repo.parts_held() <= PARTS_HELD
        written = [n.split("-")[1] for n in repo._spilled_parts if n.startswith("actions-")]
        assert len(written) >= PARTS_HELD  # (the rest at the commit)
        assert len(written) == len(set(written))  # each part written once, not once a spill

    assert exported(db) == before
    assert leftovers(db) == []
    cdt_ok(db, "check")


def test_an_undo_groups_an_entry_by_part_a_window_at_a_time(imported: Path) -> None:
    from consular_dialogue.services.history import _a_part_at_a_time

    def entry() -> Iterator[dict[str, Any]]:
        """Changes of a part's actions between another's, one action changed twice;
        then more than an undo may hold at once, and then damage."""
        yield from ({"kind": "action", "id": i, "n": n} for n, i in enumerate([1, 1500, 2, 1]))
        yield from ({"kind": "action", "id": 3} for _ in range(SPILL_EVERY - 4))
        raise AssertionError("read past the first window")

    with open_for_writing(imported) as repo:
        walked = _a_part_at_a_time(repo, entry())
        first = [next(walked) for _ in range(SPILL_EVERY)]  # one window, grouped by part
        assert [(c["id"], c.get("n")) for c in first[:4]] == [(1, 0), (2, 2), (1, 3), (3, None)]
        assert first[-1] == {"kind": "action", "id": 1500, "n": 1}
        with pytest.raises(AssertionError, match="past the first window"):
            next(walked)

"""An import whose dump changes actions spread over many parts, in the other office's
order, merges them in the order of their ids once the rest is merged, writing the parts
of actions it has changed every ``PARTS_HELD`` parts (``Repository.spill_changes``)
instead of holding every part it read; what it leaves is what the dump says, as if
each had been merged where the dump has it."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

import pytest
from conftest import cdt_ok, exported, many_actions

from consular_dialogue.services.exchange import import_dump, read_dump
from consular_dialogue.storage import (
    ACTIONS_PER_PART,
    PARTS_HELD,
    open_for_reading,
    open_for_writing,
)

MOMENT = dt.datetime(2023, 4, 24, 10, 0, tzinfo=dt.UTC)
ACTIONS = (PARTS_HELD + 2) * ACTIONS_PER_PART  # parts of actions to read: more than held
LATER = "2023-05-02T10:00:00-06:00"


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A file of three meetings and their actions, most of them done (in parts), and
    its export."""
    db = tmp_path_factory.mktemp("office") / "tracker.json"
    many_actions(db, ACTIONS)
    cdt_ok(db, "export", "all", "-o", str(db.with_name("shared.json")))
    return db


@pytest.fixture
def ours(office: Path, tmp_path: Path) -> Path:
    """This office's copy, into which the shared dump was imported."""
    db = tmp_path / "tracker.json"
    cdt_ok(db, "import", str(office.with_name("shared.json")))
    return db


def their_changes(office: Path, path: Path, changed: list[int]) -> dict[int, str]:
    """The other office's dump, with new titles for the actions ``changed`` (their ids in
    the shared dump) and its actions in a shuffled order; the new titles by uuid."""
    dump = json.loads(office.with_name("shared.json").read_bytes())
    titles = {}
    for action in dump["actions"]:
        if action["id"] in changed:
            action["title"] += " (revisada)"
            action["updated"] = LATER
            titles[action["uuid"]] = action["title"]
    random.Random(6).shuffle(dump["actions"])
    path.write_text(json.dumps(dump, ensure_ascii=False, indent=2), encoding="utf-8")
    return titles


def test_actions_changed_all_over_a_dump_are_merged_as_it_says(
    office: Path, ours: Path, tmp_path: Path
) -> None:
    changed = list(range(3, ACTIONS + 1, 7))  # in every part
    theirs = tmp_path / "theirs.json"
    titles = their_changes(office, theirs, changed)
    before = exported(ours)

    result = cdt_ok(ours, "import", str(theirs), "--json", now=LATER)

    assert result.json()["updated"] == {"action": len(changed)}
    after = {a["uuid"]: a for a in exported(ours)["actions"]}
    assert {u: after[u]["title"] for u in titles} == titles
    unchanged = [a for a in before["actions"] if a["uuid"] not in titles]
    assert all(after[a["uuid"]] == a for a in unchanged) and len(after) == ACTIONS
    cdt_ok(ours, "check")
    merged = exported(ours)
    cdt_ok(ours, "undo")
    assert exported(ours) == before
    cdt_ok(ours, "redo")
    assert exported(ours) == merged

    # The bases both offices agree on are the versions just merged: an action changed
    # here since is this office's change alone, kept, and no conflict. (The first and
    # the last merged: the last after every part written before the commit.)
    by_id = sorted(titles, key=lambda uuid: after[uuid]["id"])
    some = by_id[:2] + by_id[-3:]
    for uuid in some:
        cdt_ok(ours, "action", "set", str(after[uuid]["id"]), "--title", "Nuestra versión")
    again = cdt_ok(ours, "import", str(theirs), "--json", now=LATER).json()
    assert (again["kept_local"], again["conflicts"], again["updated"]) == (len(some), [], {})


def test_conflicts_are_listed_in_the_order_of_the_dump(
    office: Path, ours: Path, tmp_path: Path
) -> None:
    changed = list(range(5, ACTIONS + 1, 11))
    theirs = tmp_path / "theirs.json"
    titles = their_changes(office, theirs, changed)
    both = sorted(titles)[::40]  # changed here too, otherwise
    ids = {a["uuid"]: a["id"] for a in exported(ours)["actions"]}
    for uuid in both:
        cdt_ok(ours, "action", "set", str(ids[uuid]), "--title", "Aquí también")
    order = [a["uuid"] for a in json.loads(theirs.read_bytes())["actions"]]
    assert [ids[u] for u in order if u in both] != sorted(ids[u] for u in both)

    result = cdt_ok(ours, "import", str(theirs), "--json", now=LATER).json()

    assert [c["uuid"] for c in result["conflicts"]] == [u for u in order if u in both]
    assert result["updated"] == {"action": len(changed) - len(both)}


def test_an_import_writes_the_parts_it_changed_before_its_commit(
    office: Path, ours: Path, tmp_path: Path
) -> None:
    theirs = tmp_path / "theirs.json"
    titles = their_changes(office, theirs, list(range(1, ACTIONS + 1, 13)))
    dump = read_dump(theirs, str(theirs))
    with open_for_writing(ours) as repo:
        repo.spills = True  # (as cdt import's copy)
        result = import_dump(repo, dump, theirs=False)

        assert repo.parts_held() <= PARTS_HELD
        assert repo._spilled_lists  # parts written before the commit
        assert all(listed.exists() for listed in repo._spilled_lists)
        written = [n.split("-")[1] for n in repo._spilled_parts if n.startswith("actions-")]
        assert len(written) >= PARTS_HELD  # (the rest at the commit)
        assert len(written) == len(set(written))  # each part written once, not once a spill
        repo.record_history(now=MOMENT, command="test", action="test")

    assert result.updated == {"action": len(titles)}
    after = {a["uuid"]: a["title"] for a in exported(ours)["actions"]}
    assert {u: after[u] for u in titles} == titles
    cdt_ok(ours, "check")


def test_a_dry_run_says_what_the_import_does_and_lets_go_of_what_it_read(
    office: Path, ours: Path, tmp_path: Path
) -> None:
    theirs = tmp_path / "theirs.json"
    their_changes(office, theirs, list(range(2, ACTIONS + 1, 3)))
    raw = ours.read_bytes()

    dry = cdt_ok(ours, "import", str(theirs), "--dry-run", now=LATER)
    assert ours.read_bytes() == raw
    repo = open_for_reading(ours)  # as cdt import --dry-run reads it
    repo.writable = repo.discards = True
    import_dump(repo, read_dump(theirs, str(theirs)), theirs=False)
    assert repo.parts_held() <= PARTS_HELD
    real = cdt_ok(ours, "import", str(theirs), now=LATER)

    assert dry.stderr == real.stderr.replace("Imported:", "Would import:")

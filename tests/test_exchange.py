"""Exchange between offices: ``cdt export all`` dumps merged by ``cdt import``.

Two offices run the installed ``cdt`` on their own files; dumps are compared with
local ids set aside (records created on each side get different ids there) and
every reference followed through its uuid, which dumps carry next to the ids.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
from conftest import NOW, Result, base_env, run_cdt, whole_bytes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_history_undo import START, Op, op_strategy, run_command, seed_file

from consular_dialogue.dates import PartialDate
from consular_dialogue.models import Meeting
from consular_dialogue.services.exchange import Dump, build_dump, import_dump, parse_dump
from consular_dialogue.services.topics import load_catalog
from consular_dialogue.storage import MEETINGS_PER_PART, open_for_reading, open_for_writing

Run = Callable[..., Result]
SECTIONS = ["dialogues", "topics", "meetings", "agenda_items", "actions"]
LOCAL_IDS = {"id", "meeting_id", "item_id", "carried_from"}


@dataclass
class Office:
    """One office's data file, and the installed cdt run on it."""

    db: Path

    def __call__(self, *args: str, now: str = NOW) -> Result:
        return run_cdt(list(args), base_env(self.db, now))

    def ok(self, *args: str, now: str = NOW) -> Result:
        result = self(*args, now=now)
        assert result.code == 0, (args, result.stderr)
        return result

    def dump(self) -> dict[str, Any]:
        dump: dict[str, Any] = self.ok("export", "all").json()
        dump.pop("exported_at")
        return dump


def by_uuid(dump: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A dump's records keyed by uuid, local ids left out (references stay, by uuid)."""
    return {
        section: {
            r["uuid"]: {k: v for k, v in r.items() if k not in LOCAL_IDS} for r in dump[section]
        }
        for section in SECTIONS
    }


def records_only(dump: dict[str, Any]) -> dict[str, Any]:
    return {section: dump[section] for section in SECTIONS}


def local_id(dump: dict[str, Any], section: str, title: str) -> int:
    (found,) = [r["id"] for r in dump[section] if r.get("title") == title]
    return int(found)


def uuid_of(dump: dict[str, Any], section: str, title: str) -> str:
    (found,) = [r["uuid"] for r in dump[section] if r.get("title") == title]
    return str(found)


@pytest.fixture(scope="module")
def office_a_template(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """Office A's file: a meeting, two agenda items, and actions X, Y (on items) and Z."""
    office = Office(tmp_path_factory.mktemp("office-a") / "tracker.json")
    for args in [
        ("dialogue", "add", "Diálogo Consular", "--key", "consular", "--parties", "MX,US"),
        ("meeting", "add", "Intermedia 2023", "--kind", "intermediate", "--date", "2023-04-17"),
        ("agenda", "add", "1", "Acceso consular", "--topic", "consular-access"),
        ("agenda", "add", "1", "Visas H-2", "--topic", "h2-visas"),
        ("action", "add", "X guide", "--item", "1", "--due", "2023-05-10"),
        ("action", "add", "Y statistics", "--item", "2", "--party", "US"),
        ("action", "add", "Z training", "--meeting", "1", "--party", "MX"),
    ]:
        office.ok(*args)
    return whole_bytes(office.db)


@pytest.fixture
def office_a(tmp_path: Path, office_a_template: bytes) -> Office:
    office = Office(tmp_path / "a" / "tracker.json")
    office.db.parent.mkdir()
    office.db.write_bytes(office_a_template)
    office.db.chmod(0o600)
    return office


@pytest.fixture
def office_b(tmp_path: Path) -> Office:
    office = Office(tmp_path / "b" / "tracker.json")
    office.db.parent.mkdir()
    return office


T1 = "2023-04-25T09:00:00-06:00"
T2 = "2023-04-26T09:00:00-06:00"
T3 = "2023-04-27T09:00:00-06:00"


def test_two_offices_that_diverge_converge_after_exchanging_both_ways_and_taking_theirs(
    office_a: Office, office_b: Office, tmp_path: Path
) -> None:
    a, b = office_a, office_b
    a.ok("export", "all", "-o", str(tmp_path / "a0.json"))
    b.ok("import", str(tmp_path / "a0.json"))
    assert by_uuid(b.dump()) == by_uuid(a.dump())

    # Each office works on its own copy: different records, and Y on both sides.
    a.ok("action", "set", "1", "--owner", "DGPC", now=T1)  # X
    a.ok("action", "set", "2", "--due", "2023-06-30", now=T1)  # Y
    a.ok("meeting", "add", "Anual 2023", "--kind", "annual", "--date", "2023-10-10", now=T1)
    a.ok("agenda", "add", "2", "Movilidad laboral", now=T1)
    a.ok("action", "add", "V figures", "--item", "3", "--party", "US", now=T1)
    b.ok("action", "set", "3", "--status", "blocked", now=T2)  # Z
    b.ok("action", "set", "2", "--owner", "CA/VO", now=T2)  # Y
    b.ok(
        "meeting",
        "add",
        "Grupo de trabajo",
        "--kind",
        "working-group",
        "--date",
        "2023-06-01",
        now=T2,
    )
    b.ok("agenda", "add", "2", "Trabajo temporal", now=T2)
    b.ok("action", "add", "W visas", "--item", "3", "--party", "MX", now=T2)
    a.ok("export", "all", "-o", str(tmp_path / "a1.json"), now=T2)
    b.ok("export", "all", "-o", str(tmp_path / "b1.json"), now=T2)
    y_uuid = uuid_of(a.dump(), "actions", "Y statistics")

    into_b = b("import", str(tmp_path / "a1.json"), "--json", now=T3)
    into_a = a("import", str(tmp_path / "b1.json"), now=T3)

    assert into_b.code == 0, into_b.stderr
    result = into_b.json()
    assert result["added"] == {"meeting": 1, "agenda": 1, "action": 1}
    assert result["updated"] == {"action": 1}  # X, changed only in A
    assert [(c["kind"], c["id"], c["uuid"]) for c in result["conflicts"]] == [("action", 2, y_uuid)]
    assert f"Conflict: action 2 ({y_uuid}) changed here and in the dump" in into_b.stderr
    assert into_a.code == 0, into_a.stderr
    assert f"Conflict: action 2 ({y_uuid})" in into_a.stderr
    assert a.ok("action", "show", "2", "--json").json()["due"] == "2023-06-30"  # kept local
    assert b.ok("action", "show", "2", "--json").json()["owner"] == "CA/VO"

    # B takes A's Y; Z, changed only in B, must stay as B made it.
    theirs = b("import", str(tmp_path / "a1.json"), "--theirs", "--json", now=T3)

    assert theirs.code == 0, theirs.stderr
    assert theirs.json()["conflicts"] == []
    dump_a, dump_b = a.dump(), b.dump()
    assert by_uuid(dump_a) == by_uuid(dump_b)
    y_in_b = b.ok("action", "show", "2", "--json").json()
    assert (y_in_b["due"], y_in_b["owner"]) == ("2023-06-30", None)
    assert b.ok("action", "show", "3", "--json").json()["status"] == "blocked"
    # Records created on each side got other ids there, and their references followed.
    assert local_id(dump_a, "meetings", "Grupo de trabajo") == 3
    assert local_id(dump_b, "meetings", "Grupo de trabajo") == 2
    w_in_a = a.ok("action", "show", str(local_id(dump_a, "actions", "W visas")), "--json").json()
    assert w_in_a["meeting_id"] == 3 and w_in_a["item_id"] == 4
    assert local_id(dump_a, "agenda_items", "Trabajo temporal") == 4

    # Another round changes no record on either side.
    a.ok("export", "all", "-o", str(tmp_path / "a2.json"), now=T3)
    b.ok("export", "all", "-o", str(tmp_path / "b2.json"), now=T3)
    b.ok("import", str(tmp_path / "a2.json"), now=T3)
    a.ok("import", str(tmp_path / "b2.json"), now=T3)
    assert records_only(a.dump()) == records_only(dump_a)
    assert records_only(b.dump()) == records_only(dump_b)


def test_importing_the_same_dump_twice_leaves_the_file_byte_identical_the_second_time(
    office_a: Office, office_b: Office, tmp_path: Path
) -> None:
    dump = tmp_path / "a.json"
    office_a.ok("export", "all", "-o", str(dump))
    office_b.ok("import", str(dump))
    first = office_b.db.read_bytes()

    again = office_b("import", str(dump))

    assert again.code == 0, again.stderr
    assert "added nothing new; updated none" in again.stderr
    assert office_b.db.read_bytes() == first


def test_importing_again_after_local_edits_keeps_them_and_writes_nothing(
    office_a: Office, office_b: Office, tmp_path: Path
) -> None:
    dump = tmp_path / "a.json"
    office_a.ok("export", "all", "-o", str(dump))
    office_b.ok("import", str(dump))
    office_b.ok("action", "set", "1", "--owner", "Embajada", now=T1)
    edited = office_b.db.read_bytes()

    again = office_b("import", str(dump), "--theirs", now=T2)

    assert again.code == 0, again.stderr
    assert "1 changed only here, kept" in again.stderr
    assert office_b.db.read_bytes() == edited


def test_export_import_into_an_empty_file_export_gives_the_same_records(
    office_a: Office, office_b: Office, tmp_path: Path
) -> None:
    office_a.ok("agenda", "add", "1", "Pensiones alimenticias", "--topic", "child-support-new")
    office_a.ok("action", "note", "1", "Sent to the Embassy")
    office_a.ok("meeting", "delegation", "1", "--party", "MX", "--head", "Vanessa Calva Ruiz")
    office_a.ok("meeting", "add", "Anual 2023", "--kind", "annual", "--date", "2023-10-10")
    office_a.ok("agenda", "carry", "1", "2")
    original = office_a.dump()
    office_a.ok("export", "all", "-o", str(tmp_path / "a.json"))

    office_b.ok("import", str(tmp_path / "a.json"))

    assert records_only(office_b.dump()) == records_only(original)


def test_a_change_made_only_here_survives_an_import_with_theirs(
    office_a: Office, office_b: Office, tmp_path: Path
) -> None:
    office_a.ok("export", "all", "-o", str(tmp_path / "a.json"))
    office_b.ok("import", str(tmp_path / "a.json"))
    office_b.ok("action", "done", "3", now=T1)

    office_b.ok("import", str(tmp_path / "a.json"), "--theirs", now=T2)

    assert office_b.ok("action", "show", "3", "--json").json()["status"] == "done"


def test_an_edit_made_in_the_same_second_as_the_record_still_reaches_the_other_office(
    office_a: Office, office_b: Office, tmp_path: Path
) -> None:
    # CDT_NOW is the same for every command: the edit carries the record's own stamp.
    office_a.ok("export", "all", "-o", str(tmp_path / "a0.json"))
    office_b.ok("import", str(tmp_path / "a0.json"))
    office_a.ok("action", "set", "1", "--owner", "DGPC")
    office_a.ok("export", "all", "-o", str(tmp_path / "a1.json"))

    result = office_b("import", str(tmp_path / "a1.json"), "--json")

    assert result.code == 0, result.stderr
    assert result.json()["updated"] == {"action": 1}
    assert office_b.ok("action", "show", "1", "--json").json()["owner"] == "DGPC"


def test_after_undoing_an_import_the_same_dump_brings_its_changes_again(
    office_a: Office, office_b: Office, tmp_path: Path
) -> None:
    office_a.ok("export", "all", "-o", str(tmp_path / "a0.json"))
    office_b.ok("import", str(tmp_path / "a0.json"))
    office_a.ok("action", "set", "1", "--owner", "DGPC", now=T1)
    office_a.ok("export", "all", "-o", str(tmp_path / "a1.json"), now=T1)
    before = office_b.dump()
    office_b.ok("import", str(tmp_path / "a1.json"), now=T2)
    taken = office_b.dump()

    office_b.ok("undo", now=T2)

    assert office_b.dump() == before  # records and the agreed versions (sync)
    office_b.ok("import", str(tmp_path / "a1.json"), now=T3)
    assert office_b.dump() == taken


def test_import_dry_run_says_what_it_would_do_and_writes_nothing(
    office_a: Office, office_b: Office, tmp_path: Path
) -> None:
    office_a.ok("export", "all", "-o", str(tmp_path / "a.json"))
    office_b.ok("dialogue", "add", "Otro", "--key", "otro", "--parties", "MX,GT")
    before = office_b.db.read_bytes()

    result = office_b("import", str(tmp_path / "a.json"), "--dry-run", "--json")

    assert result.code == 0, result.stderr
    assert "Would import: added 1 dialogue, 1 meeting, 2 agenda, 3 action" in result.stderr
    assert result.json()["dry_run"] is True
    assert office_b.db.read_bytes() == before


def test_a_dry_run_into_a_whole_file_says_what_the_import_does_when_it_spills(
    office_a: Office, office_b: Office, tmp_path: Path
) -> None:
    # Office A's file is one whole file (as `cdt backup` writes it, or an earlier
    # version): its meeting 1 sits in the block of ids the import fills first. The
    # dump brings more than a part of meetings, then a new version of that meeting.
    shared = tmp_path / "a.json"
    office_a.ok("export", "all", "-o", str(shared))
    office_a.db.write_bytes(whole_bytes(office_a.db))
    office_b.ok("dialogue", "add", "Diálogo Consular", "--key", "consular", "--parties", "MX,US")
    with open_for_writing(office_b.db) as repo:
        for n in range(2 * MEETINGS_PER_PART + 50):  # (a spill comes every 1,000 records)
            repo.add(Meeting(dialogue="consular", title=f"B{n}", date=PartialDate(2023, 5)))
    office_b.ok("import", str(shared))
    shared_id = local_id(office_b.dump(), "meetings", "Intermedia 2023")
    office_b.ok("meeting", "edit", str(shared_id), "--title", "Intermedia 2023 (SRE)", now=T1)
    office_b.ok("export", "all", "-o", str(tmp_path / "b.json"))
    before = office_a.db.read_bytes()

    dry = office_a("import", str(tmp_path / "b.json"), "--dry-run", now=T2)
    assert dry.code == 0, dry.stderr
    assert office_a.db.read_bytes() == before
    real = office_a("import", str(tmp_path / "b.json"), now=T2)

    assert real.code == 0, real.stderr
    assert "updated 1 meeting" in real.stderr
    assert dry.stderr == real.stderr.replace("Imported:", "Would import:")


def test_a_local_record_two_records_of_a_dump_match_is_merged_once_and_named(
    office_a: Office, tmp_path: Path
) -> None:
    dump = office_a.dump()
    (ours,) = dump["dialogues"]
    # A dump made by hand: one dialogue with our uuid, another with our key only.
    again = {**ours, "id": 2, "uuid": "22222222-2222-4222-8222-222222222222", "name": "Otro"}
    dump["dialogues"].append(again)
    (tmp_path / "dump.json").write_text(json.dumps(dump), encoding="utf-8")

    result = office_a("import", str(tmp_path / "dump.json"), "--json", "--theirs")

    assert result.code == 0, result.stderr
    (conflict,) = result.json()["conflicts"]
    assert (conflict["kind"], conflict["id"], conflict["uuid"]) == ("dialogue", 1, ours["uuid"])
    assert "matched by two records of the dump" in conflict["message"]
    assert office_a.dump()["dialogues"] == [ours]


@pytest.mark.parametrize("dumps_y_on_the_item", [True, False], ids=["same Y", "Y on no item"])
def test_a_local_record_naming_a_missing_item_is_compared_as_it_names_it_then(
    office_a: Office, tmp_path: Path, dumps_y_on_the_item: bool
) -> None:
    # By hand: item 2 and its counter are gone; action Y still names item 2. The dump
    # brings the item back (it gets id 2 again): this file's Y now names that item, so
    # it is the dump's Y when that names the item too, and differs from a Y on none.
    dump = office_a.dump()
    (y,) = [a for a in dump["actions"] if a["title"] == "Y statistics"]
    if not dumps_y_on_the_item:
        y.update(item_id=None, item_uuid=None)
    whole = json.loads(whole_bytes(office_a.db))
    del whole["agenda_items"]["2"]
    whole["_meta"]["1"]["counters"]["agenda_items"] = 1
    whole["_sync"] = {}
    office_a.db.write_text(json.dumps(whole), encoding="utf-8")
    (tmp_path / "dump.json").write_text(json.dumps(dump), encoding="utf-8")

    result = office_a("import", str(tmp_path / "dump.json"), "--json")

    assert result.code == 0, result.stderr
    assert result.json()["added"] == {"agenda": 1}
    conflicts = [(c["kind"], c["uuid"]) for c in result.json()["conflicts"]]
    assert conflicts == ([] if dumps_y_on_the_item else [("action", y["uuid"])])
    records = sum(len(dump[section]) for section in SECTIONS)
    assert result.json()["unchanged"] == records - 1 - len(conflicts)


def test_a_hand_made_dump_with_references_by_id_only_is_imported_with_them_remapped(
    office_a: Office, office_b: Office, tmp_path: Path
) -> None:
    dump = office_a.dump()
    for section in ("meetings", "agenda_items", "actions"):
        for record in dump[section]:
            for key in ("dialogue_uuid", "meeting_uuid", "item_uuid", "carried_from_uuid"):
                record.pop(key, None)
    (tmp_path / "ids.json").write_text(json.dumps(dump), encoding="utf-8")
    office_b.ok("dialogue", "add", "Otro", "--key", "otro", "--parties", "MX,GT")
    office_b.ok("meeting", "add", "Bilateral", "--kind", "other", "--date", "2023-01-10")

    office_b.ok("import", str(tmp_path / "ids.json"))

    y = office_b.ok("action", "show", "2", "--json").json()
    assert y["title"] == "Y statistics"
    assert (y["meeting_id"], y["item_id"]) == (2, 2)
    assert office_b("check").code == 0


# ---- malformed dumps ---------------------------------------------------------------


@pytest.fixture(scope="module")
def valid_dump(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Two meetings; items 1 (meeting 1), 2 (meeting 2) and 3 (carried from 1); two actions."""
    office = Office(tmp_path_factory.mktemp("source") / "tracker.json")
    for args in [
        ("dialogue", "add", "Diálogo Consular", "--key", "consular", "--parties", "MX,US"),
        ("meeting", "add", "Intermedia 2023", "--kind", "intermediate", "--date", "2023-04-17"),
        ("meeting", "add", "Anual 2023", "--kind", "annual", "--date", "2023-10-10"),
        ("agenda", "add", "1", "Acceso consular"),
        ("agenda", "add", "2", "Visas H-2"),
        ("agenda", "carry", "1", "2"),
        ("action", "add", "Guide", "--item", "1", "--due", "2023-05-10"),
        ("action", "add", "Figures", "--item", "2"),
    ]:
        office.ok(*args)
    return office.dump()


@pytest.fixture(scope="module")
def target_template(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    office = Office(tmp_path_factory.mktemp("target") / "tracker.json")
    office.ok("dialogue", "add", "Otro", "--key", "otro", "--parties", "MX,GT")
    office.ok("meeting", "add", "Bilateral", "--kind", "other", "--date", "2023-01-10")
    return whole_bytes(office.db)


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """A change to one field of a dump: ``actions.0.due``."""

    def change(dump: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = dump
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        node[int(last) if last.isdigit() else last] = value

    return change


def _carry_loop(dump: dict[str, Any]) -> None:
    first, third = dump["agenda_items"][0], dump["agenda_items"][2]
    first["carried_from"], first["carried_from_uuid"] = 3, third["uuid"]


def _item_of_another_meeting(dump: dict[str, Any]) -> None:
    action, item = dump["actions"][0], dump["agenda_items"][1]
    action["item_id"], action["item_uuid"] = item["id"], item["uuid"]


def _meeting_uuid_of_another_meeting(dump: dict[str, Any]) -> None:
    dump["agenda_items"][0]["meeting_uuid"] = dump["meetings"][1]["uuid"]


def _repeat_uuid(dump: dict[str, Any]) -> None:
    dump["actions"][1]["uuid"] = dump["actions"][0]["uuid"]


def _uuid_of_a_dialogue_on_a_meeting(dump: dict[str, Any]) -> None:
    dump["meetings"][0]["uuid"] = dump["dialogues"][0]["uuid"]


def _drop_title(dump: dict[str, Any]) -> None:
    del dump["actions"][0]["title"]


def _drop_version(dump: dict[str, Any]) -> None:
    del dump["version"]


MALFORMED: dict[str, tuple[bytes | Callable[[dict[str, Any]], None], str]] = {
    "bad JSON": (
        b'{"format": "consular-dialogue", "version": 1, "meetings": [',
        "is not valid JSON",
    ),
    "empty file": (b"", "is empty; nothing was imported."),
    "a JSON list": (b"[]", 'is not a consular-dialogue dump (its "format" is not'),
    "wrong format": (_set("format", "trello"), "its \"format\" is not 'consular-dialogue'"),
    "wrong version": (_set("version", 2), "is a dump of version 2; this cdt reads version 1"),
    "no version": (_drop_version, "is a dump of version None"),
    "agenda meeting_uuid pointing nowhere": (
        _set("agenda_items.0.meeting_uuid", "no-such-meeting"),
        "agenda_items[1] names meeting 1 by id but meeting_uuid 'no-such-meeting' "
        "(nothing in the dump)",
    ),
    "meeting dialogue_uuid of another dialogue": (
        _set("meetings.0.dialogue_uuid", "some-other-dialogue"),
        "meetings[1] names dialogue 'consular' but dialogue uuid 'some-other-dialogue'",
    ),
    "agenda meeting_uuid of another meeting": (
        _meeting_uuid_of_another_meeting,
        "agenda_items[1] names meeting 1 by id but meeting_uuid",
    ),
    "agenda meeting_id pointing nowhere": (
        _set("agenda_items.0.meeting_id", 99),
        "agenda 1 names a missing meeting 99.",
    ),
    "action item from another meeting": (
        _item_of_another_meeting,
        "action 1 is on meeting 1 but its item 2 is on meeting 2.",
    ),
    "action item_uuid pointing nowhere": (
        _set("actions.1.item_uuid", "gone"),
        "actions[2] names agenda 2 by id but item_uuid 'gone' (nothing in the dump)",
    ),
    "item carried from nowhere": (
        _set("agenda_items.2.carried_from", 42),
        "agenda 3 was carried from a missing item 42.",
    ),
    "items carried from each other": (_carry_loop, "agenda 1 is carried from itself"),
    "meeting of a missing dialogue": (
        _set("meetings.0.dialogue", "other"),
        "meeting 1 names a missing dialogue 'other'.",
    ),
    "duplicate uuids": (_repeat_uuid, "actions[2] repeats the uuid of actions[1]"),
    "a uuid shared by two kinds": (
        _uuid_of_a_dialogue_on_a_meeting,
        "meetings[1] repeats the uuid of dialogues[1]",
    ),
    "impossible date": (
        _set("meetings.0.date", "2023-02-30"),
        "meetings[1] is malformed (InputError: '2023-02-30' is not an ISO date",
    ),
    "month name as a date": (
        _set("actions.0.due", "octubre"),
        "actions[1] is malformed (ValueError: Invalid isoformat string: 'octubre')",
    ),
    "record not an object": (_set("actions", [5]), "actions[1] is not an object"),
    "section not a list": (_set("meetings", {}), "'meetings' is not a list"),
    "text field given a number": (
        _set("meetings.0.title", 5),
        "meetings[1] is malformed (title is int, not text)",
    ),
    "id given as text": (
        _set("agenda_items.0.id", "1"),
        "agenda_items[1] is malformed (id is str, not a number)",
    ),
    "missing field": (_drop_title, "actions[1] is malformed (it has no 'title')"),
    "unknown status": (_set("actions.0.status", "finished"), "actions[1] is malformed"),
    "parties as one text": (
        _set("dialogues.0.parties", "MXUS"),
        "dialogues[1] is malformed (parties 'MXUS' is not in its stored form",
    ),
    "sync not an object": (_set("sync", []), '"sync" is not an object of texts'),
}


@pytest.mark.parametrize(
    ("case", "indent"),
    [(case, None) for case in MALFORMED]
    # laid out as export all -o writes it: read a record at a time, then whole to name it
    + [(case, 2) for case, (change, _) in MALFORMED.items() if not isinstance(change, bytes)],
)
def test_a_malformed_dump_is_refused_whole_naming_its_first_problem(
    case: str,
    indent: int | None,
    valid_dump: dict[str, Any],
    target_template: bytes,
    cdt: Run,
    db: Path,
    tmp_path: Path,
) -> None:
    db.write_bytes(target_template)
    change, expected = MALFORMED[case]
    if isinstance(change, bytes):
        payload = change
    else:
        dump = copy.deepcopy(valid_dump)
        change(dump)
        payload = json.dumps(dump, indent=indent).encode()
    source = tmp_path / "dump.json"
    source.write_bytes(payload)

    result = cdt("import", str(source))

    assert result.code == 1
    assert result.stderr.startswith(f"Error: {source}")
    assert expected in result.stderr
    assert "othing was imported" in result.stderr
    assert "Traceback" not in result.stderr
    assert db.read_bytes() == target_template


def test_the_valid_dump_the_malformed_cases_start_from_is_imported(
    valid_dump: dict[str, Any], target_template: bytes, cdt: Run, db: Path, tmp_path: Path
) -> None:
    db.write_bytes(target_template)
    source = tmp_path / "dump.json"
    source.write_text(json.dumps(valid_dump), encoding="utf-8")
    result = cdt("import", str(source))
    assert result.code == 0, result.stderr
    assert "added 1 dialogue, 2 meeting, 3 agenda, 2 action" in result.stderr


# ---- property: random datasets round-trip through a dump ------------------------------


def _fresh_import(path: Path, dump: Dump, now: dt.datetime) -> bool:
    """``cdt import`` into ``path``: a new file gets the topic catalog first, as writing() does.

    Returns whether anything was written.
    """
    with open_for_writing(path, backups=0) as repo:
        if repo.is_new:
            load_catalog(repo, now)
            repo.pending.clear()
        result = import_dump(repo, dump, theirs=False)
        repo.record_history(
            now=now, command="cdt import", action="import", **result.history_extra()
        )
        return repo.dirty


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=st.lists(op_strategy.filter(lambda op: op.name != "import"), max_size=10))
def test_a_random_dataset_round_trips_through_a_dump_into_an_empty_file(ops: list[Op]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        source, target = Path(folder) / "source.json", Path(folder) / "target.json"
        seed_file(source)
        for n, op in enumerate(ops, start=1):
            run_command(source, op, START + dt.timedelta(hours=n), None)
        original = build_dump(open_for_reading(source), now=START)
        dump = parse_dump(orjson.dumps(original), "dump")

        assert _fresh_import(target, dump, START)

        again = build_dump(open_for_reading(target), now=START)
        assert by_uuid(again) == by_uuid(original)
        contiguous = all(
            [r["id"] for r in original[s]] == list(range(1, len(original[s]) + 1)) for s in SECTIONS
        )
        if contiguous:  # nothing was deleted: even the local ids are the same
            assert records_only(again) == records_only(original)
        written = target.read_bytes()
        assert not _fresh_import(target, dump, START)  # the same dump again: nothing to write
        assert target.read_bytes() == written

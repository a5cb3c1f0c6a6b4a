"""A hand-edited or damaged file is refused whole (exit 3) and never rewritten."""

from __future__ import annotations

import dataclasses
import json
import time
import typing
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Any

import pytest
from conftest import Result, read_whole, write_whole

from consular_dialogue.models import (
    Action,
    ActionStatus,
    AgendaItem,
    Dialogue,
    Level,
    Meeting,
    Note,
    Priority,
    Record,
    Topic,
)
from consular_dialogue.services.integrity import load_record

DAMAGED_SKELETONS = {
    "negative schema": {"_meta": {"1": {"schema": -1}}},
    "a record key that is not a number": {"meetings": {"abc": {}}},
    "a record that is not an object": {"_meta": {"1": {"schema": 2}}, "meetings": {"1": "str"}},
    "id counters not numbers": {"_meta": {"1": {"schema": 2, "counters": "x"}}},
    "history counter not a number": {"_meta": {"1": {"schema": 2, "txn": "x"}}},
    "malformed exchange record": {"_meta": {"1": {"schema": 2}}, "_sync": {"1": "x"}},
    "a record id that is not its key": {"meetings": {"1": {"id": 2, "uuid": "u"}}},
    "a record id that is true, not a number": {"meetings": {"1": {"id": True, "uuid": "u"}}},
    "a record id that is a fraction": {"meetings": {"1": {"id": 1.0, "uuid": "u"}}},
    "a record without a uuid": {"meetings": {"1": {"id": 1}}},
    "a record key with a leading zero": {"meetings": {"01": {"id": 1, "uuid": "u"}}},
}


@pytest.mark.parametrize("case", list(DAMAGED_SKELETONS))
def test_a_damaged_skeleton_is_refused_by_reads_and_writes_and_left_byte_identical(
    cdt: Callable[..., Result], db: Path, case: str
) -> None:
    db.write_text(json.dumps(DAMAGED_SKELETONS[case]), encoding="utf-8")
    before = db.read_bytes()
    for args in (
        ["meeting", "list"],
        ["dialogue", "add", "D", "--key", "d", "--parties", "MX,US"],
        ["export", "all"],
    ):
        result = cdt(*args)
        assert result.code == 3, (args, result.stderr)
        assert str(db) in result.stderr and "restore" in result.stderr
        assert "Traceback" not in result.stderr
    assert db.read_bytes() == before


def test_a_counter_behind_the_stored_ids_never_lets_an_add_overwrite_a_record(
    cdt: Callable[..., Result], db: Path
) -> None:
    assert cdt("demo", "--db", str(db)).code == 0
    data = json.loads(db.read_text(encoding="utf-8"))
    titles = {k: v["title"] for k, v in data["actions"].items()}
    data["_meta"]["1"]["counters"]["actions"] = 2
    db.write_text(json.dumps(data), encoding="utf-8")

    added = cdt("action", "add", "Nueva acción", "--meeting", "1", "--party", "MX", "--json")
    assert added.code == 0, added.stderr
    assert added.json()["id"] == max(map(int, titles)) + 1
    after = json.loads(db.read_text(encoding="utf-8"))["actions"]
    assert {k: after[k]["title"] for k in titles} == titles


def test_a_record_missing_a_field_a_list_filters_on_is_a_damaged_file_not_a_traceback(
    cdt: Callable[..., Result], db: Path
) -> None:
    assert cdt("demo", "--db", str(db)).code == 0
    data = json.loads(db.read_text(encoding="utf-8"))
    del data["actions"]["1"]["status"]
    db.write_text(json.dumps(data), encoding="utf-8")
    for args in (["action", "list"], ["timeline"], ["report"]):
        result = cdt(*args)
        assert result.code == 3, (args, result.stderr)
        assert "damaged action record" in result.stderr
        assert "Traceback" not in result.stderr


def test_an_action_whose_references_are_text_still_exports_them_as_they_are(
    cdt: Callable[..., Result], db: Path
) -> None:
    # Reads are lenient: such a file lists and exports (cdt check names the damage).
    assert cdt("demo", "--db", str(db)).code == 0
    data = read_whole(db)
    action = data["actions"]["1"]
    action["meeting_id"], action["item_id"] = "1", "3"
    write_whole(db, data)
    result = cdt("export", "actions", "--format", "csv")
    assert result.code == 0, result.stderr
    (row,) = [line for line in result.stdout.splitlines() if line.startswith("1,")]
    assert ",1,3," in row  # the meeting and the item as stored, no title or topic found
    assert cdt("check").code == 1


def test_a_data_path_under_a_file_is_unusable_not_a_traceback(
    cdt: Callable[..., Result], tmp_path: Path
) -> None:
    plain = tmp_path / "plain.txt"
    plain.write_text("x", encoding="utf-8")
    result = cdt("--db", str(plain / "tracker.json"), "meeting", "list")
    assert result.code == 3
    assert "cannot be read" in result.stderr and "Traceback" not in result.stderr


def test_a_lock_file_that_cannot_be_created_fails_at_once_not_as_busy(
    cdt: Callable[..., Result], tmp_path: Path
) -> None:
    target = tmp_path / "missing-folder-is-a-file"
    target.write_text("x", encoding="utf-8")
    # The data file's folder is a regular file: neither the lock nor the data can be made.
    started = time.monotonic()
    result = cdt(
        "--db",
        str(target / "tracker.json"),
        "dialogue",
        "add",
        "D",
        "--key",
        "d",
        "--parties",
        "MX,US",
        CDT_LOCK_TIMEOUT="20",
    )
    assert result.code == 3
    assert "busy" not in result.stderr
    assert time.monotonic() - started < 15


def test_a_meeting_report_over_an_origin_with_a_text_meeting_id_prints_without_that_origin(
    cdt: Callable[..., Result], db: Path
) -> None:
    from conftest import read_whole, write_whole

    assert cdt("demo", "--db", str(db)).code == 0
    data = read_whole(db)
    carried = [i for i in data["agenda_items"].values() if i.get("carried_from")]
    assert carried, "the demo carries items from its first meeting into the second"
    origin = data["agenda_items"][str(carried[0]["carried_from"])]
    meeting = carried[0]["meeting_id"]
    origin["meeting_id"] = str(origin["meeting_id"])  # found by its text, not a number
    write_whole(db, data)
    result = cdt("report", str(meeting))
    assert result.code == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert carried[0]["title"] in result.stdout


def test_reports_of_a_dialogue_end_a_carry_chain_a_hand_edit_led_into_another_dialogue(
    cdt: Callable[..., Result], db: Path
) -> None:
    """``agenda carry`` refuses to carry between dialogues; an item whose origin a hand
    edit put in another dialogue ends its chain there, as a meeting's report ends it."""
    assert cdt("demo", "--db", str(db)).code == 0
    for line in (
        ("dialogue", "add", "Otro diálogo", "--key", "otro", "--parties", "MX,GT"),
        (
            "meeting",
            "add",
            "Reunión",
            "--dialogue",
            "otro",
            "--kind",
            "annual",
            "--date",
            "2012-10",
        ),
    ):
        assert cdt(*line).code == 0
    data = read_whole(db)
    other = max(map(int, data["meetings"]))
    assert cdt("agenda", "add", str(other), "Tema de otro diálogo").code == 0
    data = read_whole(db)
    stranger = max(map(int, data["agenda_items"]))
    carried = next(i for i in data["agenda_items"].values() if i.get("carried_from"))
    data["agenda_items"][str(carried["carried_from"])]["carried_from"] = stranger
    write_whole(db, data)

    meeting = str(carried["meeting_id"])
    for args in (("report", "--dialogue", "consular"), ("brief", meeting), ("report", meeting)):
        result = cdt(*args, COLUMNS="200")
        assert result.code == 0 and "Traceback" not in result.stderr, (args, result.stderr)
        assert carried["title"] in result.stdout, args


def test_the_reports_of_a_dialogue_show_an_action_whose_note_is_damaged_and_check_names_it(
    cdt: Callable[..., Result], db: Path
) -> None:
    """The whole report and a briefing read of an action what they show, and no note; a
    meeting's report, which reads its actions whole, and ``cdt check`` name the damage."""
    assert cdt("demo", "--db", str(db)).code == 0
    data = read_whole(db)
    action = next(a for a in data["actions"].values() if a["status"] == "open")
    action["notes"] = ["Pedido"]
    write_whole(db, data)
    before = db.read_bytes()
    meeting = str(action["meeting_id"])

    for args in (("report",), ("brief", meeting)):
        result = cdt(*args, "--format", "markdown")
        assert result.code == 0 and "Traceback" not in result.stderr, (args, result.stderr)
        assert f"| {action['id']} |" in result.stdout, args
    refused = cdt("report", meeting)
    assert refused.code == 3 and "damaged action record" in refused.stderr, refused.stderr
    checked = cdt("check")
    assert checked.code == 1 and f"action {action['id']} is malformed" in checked.stdout
    assert db.read_bytes() == before


def _sample_records() -> list[Record]:
    meeting = Meeting(id=1, dialogue="consular", title="Intermedia", location="CDMX", host="MX")
    note = Note(at="2023-04-24T10:00:00-06:00", text="Pedido")
    return [
        Dialogue(id=1, key="consular", name="Diálogo", parties=["MX", "US"]),
        Topic(id=1, slug="h2", name_es="Visas H-2", name_en="H-2 visas"),
        meeting,
        AgendaItem(id=1, meeting_id=1, position=1, title="Acceso consular", carried_from=None),
        Action(
            id=1,
            meeting_id=1,
            item_id=1,
            title="Informe",
            party="MX",
            owner="SRE",
            created="2023-04-24",
            notes=[note],
        ),
    ]


WRONG_VALUES = {int: [True, 1.0, "1", None], str: [5, True, None, ["x"]]}


@pytest.mark.parametrize("record", _sample_records(), ids=lambda r: r.KIND)
def test_every_plain_field_of_a_record_refuses_a_value_of_another_type_naming_the_field(
    record: Record,
) -> None:
    # Each field of type int, str or their optional form, in each kind of record and in
    # an action's note, is given values JSON can hold but the field cannot.
    cases: list[tuple[dict[str, Any], str]] = []
    stored = record.to_record()
    hints = typing.get_type_hints(type(record))
    for field in dataclasses.fields(record):
        if field.name not in stored:
            continue  # stored under another key (a meeting's ref_text is "ref")
        base = next((t for t in (int, str) if hints[field.name] in (t, t | None)), None)
        for wrong in WRONG_VALUES.get(base, []) if base else []:
            if wrong is None and hints[field.name] != base:
                continue  # None is allowed in an optional field
            cases.append(({**stored, field.name: wrong}, field.name))
    if isinstance(record, Action):
        cases.append(({**stored, "notes": [{**stored["notes"][0], "text": 5}]}, "notes[1].text"))
    assert len(cases) >= 8
    for raw, named in cases:
        with pytest.raises(ValueError) as refused:
            load_record(type(record), raw)
        assert str(refused.value).startswith(f"{named} is "), (raw, str(refused.value))
    assert load_record(type(record), stored) == record


@pytest.mark.parametrize("wrong", ["bogus", ["open"], 5, None])
@pytest.mark.parametrize(
    ("field", "enum"), [("status", ActionStatus), ("priority", Priority), ("level", Level)]
)
def test_an_actions_damaged_status_priority_or_level_is_named_as_its_enum_names_it(
    field: str, enum: type[StrEnum], wrong: Any
) -> None:
    # Actions read their enums through a plain dict lookup; a damaged value must still
    # be refused with the enum's own words, whatever its type.
    stored = next(r for r in _sample_records() if isinstance(r, Action)).to_record()
    with pytest.raises(ValueError) as by_enum:
        enum(wrong)
    with pytest.raises(ValueError) as refused:
        load_record(Action, {**stored, field: wrong})
    assert str(refused.value) == f"ValueError: {by_enum.value}"
    note = {**stored["notes"][0], "level": wrong}
    if field == "level":
        with pytest.raises(ValueError) as refused:
            load_record(Action, {**stored, "notes": [note]})
        assert str(refused.value) == f"ValueError: {by_enum.value}"


def test_an_action_damaged_in_several_fields_is_refused_for_the_first_of_them() -> None:
    stored = next(r for r in _sample_records() if isinstance(r, Action)).to_record()
    without_title = {k: v for k, v in stored.items() if k != "title"}
    cases = [
        ({**without_title, "level": "secret"}, "it has no 'title'"),
        ({**stored, "due": "2023-13-01", "priority": "urgent"}, "ValueError: month must be"),
        ({**stored, "status": "bogus", "notes": [{"at": "x"}]}, "ValueError: 'bogus' is not"),
        ({**stored, "notes": "x", "level": ["public"]}, "TypeError: string indices"),
    ]
    for raw, first in cases:
        with pytest.raises(ValueError) as refused:
            load_record(Action, raw)
        assert str(refused.value).startswith(first), (raw, str(refused.value))


def test_an_actions_note_that_is_not_an_object_is_refused() -> None:
    stored = next(r for r in _sample_records() if isinstance(r, Action)).to_record()
    for wrong in ("Pedido", 5, ["Pedido"]):
        with pytest.raises(ValueError) as refused:
            load_record(Action, {**stored, "notes": [wrong]})
        assert str(refused.value).startswith("TypeError: "), refused.value


@pytest.mark.parametrize(
    "args", [["report", "2"], ["meeting", "list"], ["meeting", "show", "2"], ["brief", "2"]]
)
def test_a_field_of_the_wrong_type_that_fails_a_command_is_named_as_damage_not_a_traceback(
    cdt: Callable[..., Result], db: Path, args: list[str]
) -> None:
    # Records are built leniently; a title of 5 fails deep in these commands, and the
    # error boundary then checks the file and names the damaged record.
    assert cdt("demo", "--db", str(db)).code == 0
    data = read_whole(db)
    data["meetings"]["2"]["title"] = 5
    write_whole(db, data)
    before = db.read_bytes()

    result = cdt(*args)

    assert result.code == 3, result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "meeting 2 is malformed (title is int, not text)" in result.stderr
    assert "cdt check" in result.stderr and str(db) in result.stderr
    assert db.read_bytes() == before


@pytest.mark.parametrize("json_out", [[], ["--json"]])
@pytest.mark.parametrize("statuses", [[], ["--status", "all"]])
def test_an_owner_a_list_filters_on_stored_as_a_number_is_named_as_damage(
    cdt: Callable[..., Result], db: Path, json_out: list[str], statuses: list[str]
) -> None:
    assert cdt("demo", "--db", str(db)).code == 0
    data = read_whole(db)
    number, action = next(iter(data["actions"].items()))  # an unfinished one
    action["owner"] = 5
    write_whole(db, data)
    before = db.read_bytes()

    result = cdt("action", "list", "--owner", "consulado", *statuses, *json_out)

    assert result.code == 3, result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert f"action {number} is malformed (owner is int, not text)" in result.stderr
    assert db.read_bytes() == before


@pytest.mark.parametrize("field", ["date", "end_date"])
@pytest.mark.parametrize(
    "args", [["meeting", "list"], ["timeline"], ["timeline", "--actions"], ["report", "2"]]
)
def test_a_stored_meeting_date_that_is_no_date_is_named_as_damage(
    cdt: Callable[..., Result], db: Path, field: str, args: list[str]
) -> None:
    assert cdt("demo", "--db", str(db)).code == 0
    data = read_whole(db)
    data["meetings"]["2"][field] = "notadate"
    write_whole(db, data)
    before = db.read_bytes()

    result = cdt(*args)

    assert result.code == 3, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "damaged meeting record" in result.stderr and "notadate" in result.stderr
    assert "cdt check" in result.stderr and db.read_bytes() == before

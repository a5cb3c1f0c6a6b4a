"""History, undo and redo: every kind of change is taken back exactly.

The commands run the installed ``cdt`` on a real file and compare ``cdt export all``
dumps; the property tests drive random command sequences through the services,
one locked write and one history entry per command, as ``cli/common.writing`` does.
"""

from __future__ import annotations

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

from consular_dialogue.dates import PartialDate
from consular_dialogue.errors import ConsularDialogueError
from consular_dialogue.models import (
    ActionStatus,
    AgendaStatus,
    Level,
    MeetingKind,
    MeetingStatus,
)
from consular_dialogue.services import actions as action_services
from consular_dialogue.services import agenda as agenda_services
from consular_dialogue.services import meetings as meeting_services
from consular_dialogue.services.dialogues import add_dialogue
from consular_dialogue.services.exchange import (
    SYNC_TABLE,
    Dump,
    build_dump,
    import_dump,
    parse_dump,
)
from consular_dialogue.services.history import redo, undo
from consular_dialogue.services.topics import load_catalog
from consular_dialogue.storage import TABLES, Repository, open_for_reading, open_for_writing

Run = Callable[..., Result]
LATER = "2023-05-02T09:00:00-06:00"


def records_of(cdt: Run) -> dict[str, Any]:
    """The file's records as ``cdt export all`` shows them, without the export's time."""
    result = cdt("export", "all")
    assert result.code == 0, result.stderr
    dump: dict[str, Any] = result.json()
    dump.pop("exported_at")
    return dump


FILLED_COMMANDS = [
    ("dialogue", "add", "Diálogo Consular", "--key", "consular", "--parties", "MX,US"),
    ("meeting", "add", "Intermedia 2023", "--kind", "intermediate", "--date", "2023-04-17"),
    ("meeting", "add", "Anual 2023", "--kind", "annual", "--date", "octubre 2023"),
    ("agenda", "add", "1", "Acceso consular", "--topic", "consular-access", "--lead", "joint"),
    ("agenda", "add", "1", "Visas H-2", "--topic", "h2-visas"),
    ("agenda", "add", "1", "Capacitación", "--status", "resolved"),
    ("action", "add", "Share H-2 statistics", "--item", "2", "--party", "US"),
    ("action", "add", "Training calendar", "--meeting", "1", "--party", "MX"),
    ("action", "set", "1", "--due", "2023-05-10"),
    ("action", "note", "2", "Draft sent to the Embassy"),
]


@pytest.fixture(scope="module")
def filled_template(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The file ``FILLED_COMMANDS`` leave, written once by the installed cdt."""
    path = tmp_path_factory.mktemp("template") / "tracker.json"
    for args in FILLED_COMMANDS:
        result = run_cdt(list(args), base_env(path))
        assert result.code == 0, (args, result.stderr)
    return whole_bytes(path)


@pytest.fixture
def filled(cdt: Run, db: Path, filled_template: bytes) -> Run:
    """A dialogue with two meetings, three agenda items and two actions (action 1 due 10 May),
    each added by its own command (ten history entries)."""
    db.write_bytes(filled_template)
    db.chmod(0o600)
    return cdt


# ---- every kind of change, undone through the installed cdt ------------------------


def _other_office_dump(tmp: Path, dump: dict[str, Any]) -> list[str]:
    """An import that adds records and updates one: another office's copy, edited there."""
    source = tmp / "other.json"
    dump_file = tmp / "ours.json"
    dump_file.write_text(json.dumps(dump), encoding="utf-8")
    env = base_env(source, LATER)
    for args in [
        ["import", str(dump_file)],
        ["action", "set", "1", "--owner", "CA/VO", "--due", "2023-07-01"],
        ["agenda", "add", "2", "Movilidad laboral", "--topic", "labor-mobility"],
        ["action", "add", "Labor mobility figures", "--item", "4", "--party", "US"],
        ["export", "all", "-o", str(tmp / "theirs.json")],
    ]:
        result = run_cdt(args, env)
        assert result.code == 0, (args, result.stderr)
    return ["import", str(tmp / "theirs.json")]


CHANGES: dict[str, list[str]] = {
    "add meeting": [
        "meeting",
        "add",
        "Grupo de trabajo",
        "--kind",
        "working-group",
        "--date",
        "2023-06-01",
    ],
    "add agenda item": ["agenda", "add", "2", "Doble nacionalidad", "--topic", "dual-nationality"],
    "add action": ["action", "add", "Consular access guide", "--item", "1", "--due", "2023-08-01"],
    "edit meeting": [
        "meeting",
        "edit",
        "2",
        "--location",
        "Ciudad de México",
        "--end",
        "2023-10-20",
    ],
    "set agenda item": ["agenda", "set", "1", "--status", "agreed", "--outcome", "Joint plan"],
    "set action": ["action", "set", "1", "--due", "2023-06-01", "--owner", "DGPC"],
    "action status change": ["action", "set", "2", "--status", "blocked"],
    "action done": ["action", "done", "1", "2"],
    "action note": ["action", "note", "1", "Figures requested"],
    "delete action": ["action", "delete", "2", "--yes"],
    "delete agenda item": ["agenda", "delete", "3", "--yes"],
    "delete meeting": ["meeting", "delete", "2", "--yes"],
    "delete meeting with cascade": ["meeting", "delete", "1", "--cascade", "--yes"],
    "carry agenda": ["agenda", "carry", "1", "2"],
    "move agenda item": ["agenda", "move", "3", "--position", "1"],
    "delegation": ["meeting", "delegation", "1", "--party", "MX", "--head", "Vanessa Calva Ruiz"],
    "topic edit": ["topic", "edit", "h2-visas", "--name-en", "Temporary work visas"],
    "import": [],  # built from another office's file in the test
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_undo_restores_the_records_exactly_after_each_kind_of_change(
    filled: Run, tmp_path: Path, change: str
) -> None:
    before = records_of(filled)
    args = CHANGES[change] or _other_office_dump(tmp_path, before)
    result = filled(*args, now=LATER)
    assert result.code == 0, result.stderr
    changed = records_of(filled)
    assert changed != before  # the change did change something

    undone = filled("undo", now=LATER)

    assert undone.code == 0, undone.stderr
    assert records_of(filled) == before
    assert filled("check").code == 0


@pytest.mark.parametrize("change", ["delete action", "delete meeting with cascade"])
def test_redo_reapplies_the_undone_change(filled: Run, change: str) -> None:
    assert filled(*CHANGES[change], now=LATER).code == 0
    changed = records_of(filled)
    assert filled("undo", now=LATER).code == 0
    assert records_of(filled) != changed

    redone = filled("redo", now=LATER)

    assert redone.code == 0, redone.stderr
    assert "Redid the undo" in redone.stderr
    assert records_of(filled) == changed


def test_undoing_a_delete_brings_back_the_record_with_its_id_and_uuid(filled: Run) -> None:
    meeting = filled("meeting", "show", "1", "--json").json()
    assert filled("meeting", "delete", "1", "--cascade", "--yes").code == 0
    assert filled("meeting", "show", "1").code == 1

    assert filled("undo").code == 0

    again = filled("meeting", "show", "1", "--json").json()
    assert again == meeting  # the meeting with its agenda and actions, ids and uuids alike
    assert [i["uuid"] for i in again["agenda_items"]] == [
        i["uuid"] for i in meeting["agenda_items"]
    ]


def test_a_new_record_after_undoing_a_delete_does_not_take_the_restored_id(filled: Run) -> None:
    assert filled("action", "delete", "2", "--yes").code == 0
    assert filled("undo").code == 0
    added = filled("action", "add", "Another", "--meeting", "1", "--json")
    assert added.code == 0, added.stderr
    assert added.json()["id"] == 3
    assert filled("action", "show", "2", "--json").json()["title"] == "Training calendar"


def test_undo_steps_reverts_several_commands_in_one_change(filled: Run) -> None:
    start = records_of(filled)
    assert filled("action", "set", "1", "--due", "2023-06-01", now=LATER).code == 0
    after_first = records_of(filled)
    assert filled("action", "done", "2", now=LATER).code == 0
    assert filled("agenda", "delete", "3", "--yes", now=LATER).code == 0

    result = filled("undo", "--steps", "2", now=LATER)

    assert result.code == 0, result.stderr
    assert records_of(filled) == after_first
    assert "Undid" in result.stderr and "agenda delete 3" in result.stderr
    assert filled("undo", now=LATER).code == 0
    assert records_of(filled) == start


def test_undo_steps_beyond_the_history_is_refused_and_changes_nothing(
    filled: Run, db: Path
) -> None:
    before = db.read_bytes()
    result = filled("undo", "--steps", "50")
    assert result.code == 1
    assert "Only 10 changes can be undone; use --steps 10." in result.stderr
    assert db.read_bytes() == before


def test_undo_dry_run_leaves_the_file_byte_identical(filled: Run, db: Path) -> None:
    before = db.read_bytes()
    result = filled("undo", "--steps", "2", "--dry-run")
    assert result.code == 0, result.stderr
    assert "Would undo 10: cdt action note 2 Draft sent to the Embassy" in result.stderr
    assert "Would undo 9: cdt action set 1 --due 2023-05-10" in result.stderr
    assert db.read_bytes() == before


def test_redo_after_a_new_change_is_refused(filled: Run, db: Path) -> None:
    assert filled("undo").code == 0
    assert filled("action", "done", "1").code == 0
    before = db.read_bytes()
    result = filled("redo")
    assert result.code == 1
    assert "changes were made after the last undo" in result.stderr
    assert db.read_bytes() == before


def test_undo_after_undo_goes_further_back_and_redo_comes_forward_in_order(filled: Run) -> None:
    states = [records_of(filled)]
    for args in (["action", "done", "1"], ["action", "done", "2"]):
        assert filled(*args, now=LATER).code == 0
        states.append(records_of(filled))
    assert filled("undo").code == 0
    assert filled("undo").code == 0
    assert records_of(filled) == states[0]
    assert filled("redo").code == 0
    assert records_of(filled) == states[1]
    assert filled("redo").code == 0
    assert records_of(filled) == states[2]
    assert filled("redo").code == 1


def test_nothing_to_undo_in_a_missing_file_exits_1_and_creates_nothing(cdt: Run, db: Path) -> None:
    result = cdt("undo")
    assert result.code == 1
    assert "nothing to undo" in result.stderr
    assert not db.exists()


# ---- cdt log ---------------------------------------------------------------------


def test_log_shows_one_readable_line_per_change_newest_first(filled: Run) -> None:
    assert filled("action", "set", "1", "--due", "2023-06-01", now=LATER).code == 0
    result = filled("log", "-n", "3")
    assert result.code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("2023-05-02 09:00")
    assert "action 1" in lines[0]
    assert lines[0].endswith("due 2023-05-10 → 2023-06-01")
    assert lines[1].endswith("note added: Draft sent to the Embassy")
    assert lines[2].endswith("due — → 2023-05-10")


def test_log_names_deletes_and_their_undo(filled: Run) -> None:
    assert filled("action", "delete", "2", "--yes").code == 0
    assert filled("undo").code == 0
    lines = filled("log", "-n", "2").stdout.splitlines()
    assert lines[0].endswith("action 2     undo of 11: added Training calendar")
    assert lines[1].endswith("action 2     deleted Training calendar")


def test_log_record_keeps_the_lines_of_one_record(filled: Run) -> None:
    result = filled("log", "--record", "action:1")
    assert result.code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert all(" action 1 " in line for line in lines)
    assert lines[1].endswith("added Share H-2 statistics")


def test_log_record_must_name_a_kind_and_an_id(filled: Run) -> None:
    result = filled("log", "--record", "action7")
    assert result.code == 1
    assert "--record 'action7' must look like" in result.stderr


def test_log_json_lists_changes_with_their_fields_before_and_after(filled: Run) -> None:
    result = filled("log", "--json", "-n", "2")
    assert result.code == 0, result.stderr
    lines = result.json()
    assert [line["txn"] for line in lines] == [10, 9]
    newest = lines[0]
    assert set(newest) == {
        "txn",
        "at",
        "user",
        "command",
        "action",
        "kind",
        "id",
        "uuid",
        "summary",
        "before",
        "after",
    }
    assert newest["command"] == "cdt action note 2 Draft sent to the Embassy"
    assert (newest["kind"], newest["id"]) == ("action", 2)
    assert newest["at"] == NOW
    assert newest["before"]["notes"] == []
    assert newest["after"]["notes"][0]["text"] == "Draft sent to the Embassy"
    assert newest["uuid"] == newest["after"]["uuid"]
    assert lines[1]["before"]["due"] is None and lines[1]["after"]["due"] == "2023-05-10"


def test_log_names_a_change_of_a_dialogues_notes_which_are_text(filled: Run) -> None:
    assert filled("dialogue", "edit", "consular", "--notes", "Mecanismo bilateral").code == 0
    assert filled("action", "note", "1", "Second note").code == 0
    result = filled("log", "-n", "2")
    assert result.code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].endswith("note added: Second note")
    assert lines[1].endswith("notes — → Mecanismo bilateral")


def test_log_n_zero_shows_nothing(filled: Run) -> None:
    result = filled("log", "-n", "0", "--json")
    assert result.code == 0
    assert result.json() == []


# ---- property: random commands, then undo all of them -------------------------------

START = dt.datetime.fromisoformat(NOW)
TITLES = st.sampled_from(["Acceso consular", "Visas H-2", "Niñez migrante", "  ", "Protección"])


@dataclass(frozen=True)
class Op:
    """One command: a name and the small numbers that choose its target and values."""

    name: str
    a: int
    b: int
    text: str


OPS = [
    "add_meeting",
    "edit_meeting",
    "delegation",
    "delete_meeting",
    "add_item",
    "set_item",
    "move_item",
    "delete_item",
    "carry",
    "add_action",
    "set_action",
    "done",
    "note",
    "delete_action",
    "import",
]
op_strategy = st.builds(
    Op,
    name=st.sampled_from(OPS),
    a=st.integers(0, 20),
    b=st.integers(0, 20),
    text=TITLES,
)


def _pick(ids: list[int], n: int) -> int:
    if not ids:
        raise ConsularDialogueError("nothing to choose from")
    return sorted(ids)[n % len(ids)]


def apply_op(repo: Repository, op: Op, now: dt.datetime, other_dump: Dump | None) -> dict[str, Any]:
    """Run one command on ``repo`` through the services, as the CLI would.

    Returns what the command's history entry keeps besides its changes.
    """
    from consular_dialogue.models import Action, AgendaItem, Meeting

    meetings = [m.id for m in repo.all(Meeting)]
    items = [i.id for i in repo.all(AgendaItem)]
    actions = [x.id for x in repo.all(Action)]
    level = list(Level)[op.b % 3]
    if op.name == "add_meeting":
        fields = meeting_services.MeetingFields(
            title=op.text,
            kind=list(MeetingKind)[op.a % 5],
            date=PartialDate(2023, 1 + op.a % 12, None if op.b % 2 else 1 + op.b),
            level=level,
        )
        meeting_services.record_meeting(repo, fields, dialogue_key=None, now=now)
    elif op.name == "edit_meeting":
        fields = meeting_services.MeetingFields(
            location=op.text, status=list(MeetingStatus)[op.b % 4], level=level
        )
        meeting_services.edit_meeting(repo, _pick(meetings, op.a), fields, now=now)
    elif op.name == "delegation":
        meeting_services.set_delegation(
            repo,
            _pick(meetings, op.a),
            party=["MX", "US"][op.b % 2],
            head=op.text,
            title=None,
            members=["Ana"] * (op.b % 3),
            now=now,
        )
    elif op.name == "delete_meeting":
        meeting_services.delete_meeting(repo, _pick(meetings, op.a), cascade=op.b % 2 == 0, now=now)
    elif op.name == "add_item":
        agenda_services.add_item(
            repo,
            _pick(meetings, op.a),
            title=op.text,
            topic=["consular-access", "h2-visas", None, "new-subject"][op.b % 4],
            status=list(AgendaStatus)[op.b % 8],
            outcome=None,
            lead=["MX", "joint", None][op.b % 3],
            level=level,
            now=now,
        )
    elif op.name == "set_item":
        agenda_services.set_item(
            repo, _pick(items, op.a), now=now, status=list(AgendaStatus)[op.b % 8], outcome=op.text
        )
    elif op.name == "move_item":
        agenda_services.move_item(repo, _pick(items, op.a), 1 + op.b % 3, now=now)
    elif op.name == "delete_item":
        agenda_services.delete_item(repo, _pick(items, op.a), now=now)
    elif op.name == "carry":
        source = _pick(meetings, op.a)
        target = _pick([m for m in meetings if m != source], op.b)
        agenda_services.carry_agenda(repo, source, target, now=now, dry_run=False)
    elif op.name == "add_action":
        on_item = op.b % 2 == 0 and bool(items)
        action_services.add_action(
            repo,
            title=op.text,
            meeting_id=None if on_item else _pick(meetings, op.a),
            item_id=_pick(items, op.a) if on_item else None,
            party=["MX", "US", "joint"][op.b % 3],
            owner=None,
            due=dt.date(2023, 1 + op.b % 12, 1 + op.a) if op.a % 3 else None,
            priority=None,
            level=level,
            now=now,
        )
    elif op.name == "set_action":
        fields = action_services.ActionFields(
            status=list(ActionStatus)[op.b % 5],
            due=dt.date(2023, 6, 1 + op.b),
            owner=op.text,
        )
        action_services.set_action(repo, _pick(actions, op.a), fields, now=now)
    elif op.name == "done":
        action_services.complete_actions(
            repo, [_pick(actions, op.a), _pick(actions, op.b)], now=now
        )
    elif op.name == "note":
        action_services.add_note(repo, _pick(actions, op.a), op.text, level=level, now=now)
    elif op.name == "delete_action":
        action_services.delete_action(repo, _pick(actions, op.a))
    elif op.name == "import":
        assert other_dump is not None, "an import needs a dump"
        return import_dump(repo, other_dump, theirs=op.b % 2 == 0).history_extra()
    else:  # pragma: no cover - OPS and this function are kept in step
        raise AssertionError(op.name)
    return {}


def run_command(path: Path, op: Op, now: dt.datetime, other_dump: Dump | None) -> bool:
    """One CLI-like command: lock, change, one history entry; nothing written on error."""
    try:
        with open_for_writing(path, backups=0) as repo:
            if repo.is_new:
                load_catalog(repo, now)
                repo.pending.clear()
            extra = apply_op(repo, op, now, other_dump)
            return repo.record_history(now=now, command=op.name, action=op.name, **extra) != 0
    except ConsularDialogueError:
        return False


def seed_file(path: Path) -> None:
    """A dialogue, two meetings, two agenda items and an action: something to change."""
    with open_for_writing(path, backups=0) as repo:
        load_catalog(repo, START)
        repo.pending.clear()
        add_dialogue(
            repo,
            name="Consular",
            key="consular",
            parties=["MX", "US"],
            established=None,
            notes=None,
            now=START,
        )
        repo.record_history(now=START, command="seed", action="seed")
    for op in [
        Op("add_meeting", 3, 0, "Intermedia"),
        Op("add_meeting", 9, 1, "Anual"),
        Op("add_item", 0, 0, "Acceso"),
        Op("add_item", 0, 1, "Visas"),
        Op("add_action", 0, 0, "Datos"),
    ]:
        assert run_command(path, op, START, None)


def records(path: Path) -> dict[str, Any]:
    """The stored records and the sync bases (what an exchange agreed on) of a file."""
    data = open_for_reading(path).data
    return {
        **{t: data.get(t, {}) for t in TABLES},
        "sync bases": data.get(SYNC_TABLE, {}).get("1", {}),
    }


def other_office(folder: Path) -> Dump:
    """A dump from another office that shares the seed's dialogue and adds its own records."""
    path = folder / "other.json"
    seed_file(path)
    for n, op in enumerate(
        [
            Op("add_meeting", 5, 0, "Anual"),
            Op("add_item", 1, 0, "Movilidad"),
            Op("set_action", 0, 1, "CA/VO"),
            Op("note", 0, 0, "Pedido"),
        ],
        start=1,
    ):
        assert run_command(path, op, START + dt.timedelta(days=n), None)
    dump = build_dump(open_for_reading(path), now=START)
    return parse_dump(orjson.dumps(dump), "other office")  # as cdt import reads it


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=st.lists(op_strategy, min_size=1, max_size=8), one_at_a_time=st.booleans())
def test_undoing_every_command_of_a_random_sequence_gives_the_original_records(
    ops: list[Op], one_at_a_time: bool
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "tracker.json"
        seed_file(path)
        dump = other_office(Path(folder))
        original = records(path)
        done = 0
        for n, op in enumerate(ops, start=1):
            done += run_command(path, op, START + dt.timedelta(hours=n), dump)
        final = records(path)
        if done == 0:
            assert final == original
            return
        later = START + dt.timedelta(days=30)
        with open_for_writing(path, backups=0) as repo:
            if one_at_a_time:
                for _ in range(done):
                    undo(repo, 1, now=later, command="cdt undo", dry_run=False)
            else:
                undo(repo, done, now=later, command="cdt undo", dry_run=False)
        assert records(path) == original
        if not one_at_a_time:
            with open_for_writing(path, backups=0) as repo:
                redo(repo, now=later, command="cdt redo", dry_run=False)
            assert records(path) == final

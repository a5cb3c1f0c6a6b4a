"""The data file's layout: its unfinished actions last, apart, after their list lines,
so that a read parses them only when it needs them (``storage.file_bytes``)."""

from __future__ import annotations

import datetime as dt
import json
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from conftest import Result

from consular_dialogue.models import Action, Meeting
from consular_dialogue.reports import build_action_timeline
from consular_dialogue.services.actions import ActionFilter, list_action_lines
from consular_dialogue.services.agenda import list_items
from consular_dialogue.services.topics import topic_counts
from consular_dialogue.storage import LINE_KEYS, file_bytes, open_for_reading, parse_file

Run = Callable[..., Result]
TODAY = dt.date(2023, 6, 1)
LATER = "2023-06-01T10:00:00-06:00"


@pytest.fixture
def tracked(cdt: Run) -> Run:
    """Two meetings, an agenda item and five actions: open, in progress, blocked and
    done; two overdue by LATER."""
    for args in [
        ("dialogue", "add", "Diálogo Consular", "--key", "consular", "--parties", "MX,US"),
        ("meeting", "add", "Intermedia 2023", "--kind", "intermediate", "--date", "2023-04-17"),
        ("meeting", "add", "Anual 2023", "--kind", "annual", "--date", "octubre 2023"),
        ("agenda", "add", "1", "Visas H-2", "--topic", "h2-visas"),
        ("action", "add", "Guía de acceso consular", "--meeting", "1", "--due", "2023-05-10"),
        ("action", "add", "Estadísticas H-2", "--meeting", "1", "--item", "1", "--party", "US"),
        ("action", "add", "Capacitación [b]x[/b]", "--meeting", "2", "--owner", "SRE"),
        ("action", "add", "Ya hecha", "--meeting", "2", "--party", "MX"),
        ("action", "add", "Bloqueada", "--meeting", "2", "--due", "2023-05-20"),
        ("action", "note", "2", "Waiting on the figures."),
        ("action", "set", "3", "--status", "in-progress"),
        ("action", "set", "5", "--status", "blocked"),
        ("action", "done", "4"),
    ]:
        result = cdt(*args)
        assert result.code == 0, (args, result.stderr)
    return cdt


def laid_out(db: Path) -> tuple[dict[str, Any], list[Any], dict[str, Any]]:
    """The data file's three lines, parsed: the tables before, the lines, the actions."""
    raw = db.read_bytes()
    head, lines, actions = raw.split(b"\n")
    assert lines.startswith(LINES_OPEN) and lines.endswith(b"},")
    assert actions.startswith(b'"actions":') and actions.endswith(b"}")
    return (
        orjson.loads(head[:-1] + b"}"),
        orjson.loads(lines[len(LINES_OPEN) : -2]),
        orjson.loads(actions[len(b'"actions":') : -1]),
    )


LINES_OPEN = b'"_lines_of":{"1":'


def craft_lines(db: Path, change: Callable[[bytes], bytes]) -> None:
    """Change the JSON of the data file's lines by hand and make their length and checksum
    again, as only a crafted file would."""
    head, lines, actions = db.read_bytes().split(b"\n")
    given = lines[len(LINES_OPEN) : -2]
    crafted = change(given)
    said = orjson.loads(head[:-1] + b"}")["_lines"]["1"]
    for key, old, new in [
        ("lines_crc32", said["lines_crc32"], zlib.crc32(crafted)),
        ("lines_bytes", said["lines_bytes"], len(crafted)),
    ]:
        head = head.replace(f'"{key}":{old}'.encode(), f'"{key}":{new}'.encode())
    db.write_bytes(b"\n".join([head, LINES_OPEN + crafted + b"},", actions]))


def plain_copy(db: Path, to: Path) -> Path:
    """The same file written as one JSON object without the layout (as an earlier version
    writes it): every command reads it whole. The parts folder is shared."""
    data = parse_file(db.read_bytes(), db)
    data["_meta"]["1"]["parts_dir"] = db.name + ".parts"
    to.write_bytes(orjson.dumps(data))
    return to


def test_a_write_puts_the_unfinished_actions_last_after_their_lines_in_one_json_object(
    tracked: Run, db: Path
) -> None:
    head, lines, actions = laid_out(db)
    whole = json.loads(db.read_text(encoding="utf-8"))  # still one JSON object
    assert list(whole)[-2:] == ["_lines_of", "actions"]
    assert whole["actions"] == actions and sorted(actions) == ["1", "2", "3", "5"]
    assert lines == [[a[k] for k in LINE_KEYS] for a in actions.values()]
    said = head["_lines"]["1"]
    raw = db.read_bytes()
    assert said["bytes"] == len(orjson.dumps(actions))
    assert said["lines_bytes"] == len(orjson.dumps(lines))
    assert "actions" not in head and "_lines_of" not in head
    # What a command reads is the tables, without what the layout adds.
    assert set(parse_file(raw, db)) == set(head) - {"_lines"} | {"actions"}


def test_lists_made_from_the_lines_are_those_made_from_the_actions(tracked: Run, db: Path) -> None:
    plain = plain_copy(db, db.with_name("plain.json"))
    for args in [
        ("action", "list"),
        ("action", "list", "--overdue"),
        ("action", "list", "--party", "US", "--status", "open"),
        ("action", "list", "--status", "blocked"),
        ("action", "list", "--status", "in-progress", "--overdue"),
        ("action", "list", "--status", "done"),
        ("action", "list", "--owner", "sre"),
        ("action", "list", "--meeting", "2"),
        ("action", "list", "--topic", "h2-visas"),
        ("action", "list", "--json"),
        ("topic", "list"),
        ("timeline",),
        ("timeline", "--actions"),
        ("agenda", "list"),
        ("meeting", "list"),
        ("report", "1"),
    ]:
        apart = tracked(*args, now=LATER)
        whole = tracked(*args, now=LATER, CDT_DB=str(plain))
        assert apart.code == whole.code == 0, (args, apart.stderr, whole.stderr)
        assert apart.stdout == whole.stdout, args
    assert "Capacitación [b]x[/b]" in tracked("action", "list").stdout  # inert, as ever
    blocked = tracked("action", "list", "--status", "blocked", "--json").json()
    assert [a["id"] for a in blocked] == [5]
    listed = tracked("action", "list", "--status", "in-progress", COLUMNS="200")
    assert "Capacitación" in listed.stdout and "Bloqueada" not in listed.stdout
    assert "Guía" not in listed.stdout


def test_a_read_parses_the_unfinished_actions_only_when_it_needs_them(
    tracked: Run, db: Path
) -> None:
    repo = open_for_reading(db)
    list_items(repo)
    assert repo.unparsed is not None  # an agenda reads no action
    topic_counts(repo)
    lines = list_action_lines(repo, ActionFilter(), today=TODAY)
    assert sorted(line.id for line in lines) == [1, 2, 3, 5]
    second = next(line for line in lines if line.id == 2)
    assert second.title == "Estadísticas H-2" and second.item_id == 1
    assert repo.unparsed is not None  # only their lines were read
    timeline = build_action_timeline(repo, None, TODAY, "en")
    assert [row.action.action_id for row in timeline.entries if hasattr(row, "action")] == [1, 5]
    assert [row.action.action_id for row in timeline.undated] == [2, 3]
    assert timeline.undated[0].meeting.title == "Intermedia 2023"
    # Neither an action nor a meeting was built: a timeline needs their lines.
    assert repo.unparsed is not None and not {Action.TABLE, Meeting.TABLE} & set(repo._cache)
    assert repo.get(Action, 2).notes[0].text == "Waiting on the figures."
    assert repo.unparsed is None
    assert repo.loaded["actions"]["2"]["notes"][0]["text"] == "Waiting on the figures."


@pytest.mark.parametrize("where", ["actions", "lines"])
def test_a_file_edited_where_its_actions_or_lines_lie_is_read_whole(
    tracked: Run, db: Path, where: str
) -> None:
    raw = db.read_bytes()
    head, lines, actions = raw.split(b"\n")
    # Edited in place, to the same length: only the checksums can tell.
    if where == "actions":  # the record changed by hand: the lines no longer say it
        actions = actions.replace("Estadísticas H-2".encode(), "Estadísticas H-3".encode())
    else:  # the lines changed by hand: the record still says what it says
        lines = lines.replace("Estadísticas H-2".encode(), "Estadísticas H-3".encode())
    db.write_bytes(b"\n".join([head, lines, actions]))
    listed = tracked("action", "list").stdout  # the table, which reads the lines
    expected, stale = ("Estadísticas H-3", "Estadísticas H-2")
    if where == "lines":
        expected, stale = stale, expected
    assert expected in listed and stale not in listed
    assert open_for_reading(db).unparsed is None  # read whole


@pytest.mark.parametrize("damage", ["truncated", "not json among the actions"])
def test_a_damaged_file_is_refused_by_a_command_that_reads_no_action(
    tracked: Run, db: Path, damage: str
) -> None:
    raw = db.read_bytes()
    if damage == "truncated":
        broken = raw[:-40]
    else:
        at = raw.index(b'"title":"Capacit')  # the action, not its line; the same length
        broken = raw[:at] + b'"title":_Capacit' + raw[at + len(b'"title":"Capacit') :]
    db.write_bytes(broken)
    for args in [("agenda", "list"), ("meeting", "list"), ("action", "list")]:
        result = tracked(*args)
        assert result.code == 3, (args, result.stdout)
        assert "is damaged (not valid JSON" in result.stderr, args
        assert "Traceback" not in result.stderr
    assert db.read_bytes() == broken


def test_stale_lines_an_earlier_version_wrote_back_are_ignored(
    tracked: Run, db: Path, tmp_path: Path
) -> None:
    whole = json.loads(db.read_text(encoding="utf-8"))
    whole["actions"]["2"]["title"] = "Cambiada por una versión anterior"
    db.write_bytes(orjson.dumps(whole))  # kept "_lines" and "_lines_of", on one line
    listed = tracked("action", "list", COLUMNS="200").stdout
    assert "Cambiada por una versión anterior" in listed and "Estadísticas" not in listed
    copy = tmp_path / "copy.json"
    assert tracked("backup", "-o", str(copy)).code == 0
    assert {"_lines", "_lines_of"}.isdisjoint(json.loads(copy.read_text(encoding="utf-8")))
    assert tracked("action", "note", "1", "again").code == 0
    _, lines, _ = laid_out(db)  # the next write made them again
    assert [line[3] for line in lines if line[0] == 2] == ["Cambiada por una versión anterior"]


def test_actions_lacking_a_field_of_their_lines_are_written_plainly() -> None:
    data: dict[str, Any] = {"actions": {"1": {"id": 1, "uuid": "u", "meeting_id": 1}}}
    written = file_bytes(data)
    assert b"\n" not in written and orjson.loads(written) == data
    data["actions"]["1"].update(
        item_id=None, title="t", party="MX", owner=None, due=None, status="open"
    )
    assert file_bytes(data).count(b"\n") == 2


def test_check_names_lines_crafted_to_differ_from_their_actions(tracked: Run, db: Path) -> None:
    craft_lines(db, lambda given: given.replace(b"H-2", b"H-3"))
    assert "Estadísticas H-3" in tracked("action", "list").stdout  # trusted by a list
    checked = tracked("check")
    assert checked.code == 1
    assert "lines of its unfinished actions do not match the actions" in checked.stdout
    assert tracked("action", "note", "2", "again").code == 0
    assert tracked("check").code == 0
    assert "Estadísticas H-3" not in tracked("action", "list").stdout


def test_a_laid_out_file_with_a_schema_it_must_not_take_is_read_whole(
    tracked: Run, db: Path
) -> None:
    raw = db.read_bytes()
    head, rest = raw.split(b"\n", 1)
    assert b'"schema":5,' in head
    db.write_bytes(head.replace(b'"schema":5,', b'"schema":5.0,') + b"\n" + rest)
    for args in [("agenda", "list"), ("action", "list")]:
        refused = tracked(*args)
        assert refused.code == 3, args
        assert "has an unreadable schema version" in refused.stderr


def test_crafted_lines_that_are_not_lines_are_not_used(tracked: Run, db: Path) -> None:
    craft_lines(db, lambda given: given[:-1] + b',"x"]')
    listed = tracked("action", "list", COLUMNS="200")
    assert listed.code == 0 and "Estadísticas H-2" in listed.stdout  # from the actions
    checked = tracked("check")
    assert checked.code == 1 and "Traceback" not in checked.stderr
    assert "lines of its unfinished actions are unreadable" in checked.stdout

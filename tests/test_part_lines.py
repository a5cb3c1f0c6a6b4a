"""The lines written beside each part of actions, meetings and agenda items: a list of
finished actions, the meetings an action timeline names, an export's titles and topics,
a list of agenda items and the topic counts read them instead of the part."""

from __future__ import annotations

import datetime as dt
import json
import os
import shlex
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Result
from test_search_index import named, parts_of

from consular_dialogue.models import (
    LINE_KEYS,
    PART_LINE_KEYS,
    Action,
    ActionLine,
    ItemLine,
    Level,
    MeetingLine,
    item_topic,
    meeting_title,
)
from consular_dialogue.services.actions import ActionFilter, list_action_lines
from consular_dialogue.services.sensitivity import restrict
from consular_dialogue.storage import (
    file_bytes,
    lines_file,
    lines_name,
    list_backups,
    open_for_reading,
    open_for_writing,
    parse_file,
    part_lines,
    read_part,
    search_name,
)

Run = Callable[..., Result]
ALL = ("action", "list", "--status", "all")


def listed(cdt: Run, *args: str) -> str:
    result = cdt(*ALL, *args, COLUMNS="200")
    assert result.code == 0, result.stderr
    return result.stdout


@pytest.fixture
def finished(cdt: Run) -> Run:
    """A meeting, an agenda item and four actions: three finished (kept in a part),
    one of them with a note and one cancelled; the fourth open, in the data file."""
    return run_each(
        cdt,
        "dialogue add 'Diálogo Consular' --key consular --parties MX,US",
        "meeting add 'Reunión Intermedia' --kind intermediate --date 2023-04",
        "agenda add 1 'Acceso consular' --topic consular-access",
        "action add 'Guía de acceso consular' --meeting 1 --item 1",
        "action add 'Estadísticas H-2' --meeting 1 --party US --owner CA/VO --due 2023-06-30",
        "action add 'Capacitación' --meeting 1 --party MX",
        "action add 'Taller de [bold]niñez[/bold]' --meeting 1 --due 2023-05-02",
        "action note 2 'Notificación enviada a la Embajada'",
        "action done 1 2",
        "action set 4 --status cancelled",
    )


def run_each(cdt: Run, *lines: str) -> Run:
    for line in lines:
        result = cdt(*shlex.split(line))
        assert result.code == 0, (line, result.stderr)
    return cdt


def stored(db: Path, part: str) -> dict[str, dict[str, object]]:
    records: dict[str, dict[str, object]] = json.loads((parts_of(db) / part).read_bytes())
    return records


def test_a_part_of_actions_has_its_actions_lines_beside_it(finished: Run, db: Path) -> None:
    [part] = named(db, "actions")
    head, body = (parts_of(db) / lines_name(part)).read_bytes().split(b"\n")
    stat = (parts_of(db) / part).stat()
    # A part changed since (another size or time) is read: the lines are not used.
    assert json.loads(head) == {"format": 1, "part": [stat.st_size, stat.st_mtime_ns]}
    records = stored(db, part)
    rows = json.loads(body)
    assert sorted(row[0] for row in rows) == [1, 2, 4]
    assert rows == [[record[key] for key in LINE_KEYS] for record in records.values()]
    assert [ActionLine.from_values(row) for row in rows] == [
        ActionLine.from_record(record) for record in records.values()
    ]


@pytest.mark.parametrize(("table", "title"), [("meetings", "Reunión Intermedia"),
                                              ("agenda_items", "Acceso consular")])  # fmt: skip
def test_a_part_of_meetings_or_items_has_their_lines_beside_it(
    finished: Run, db: Path, table: str, title: str
) -> None:
    [part] = named(db, table)
    head, body = (parts_of(db) / lines_name(part)).read_bytes().split(b"\n")
    stat = (parts_of(db) / part).stat()
    # Of format 2, which a version that knew the lines of actions alone (format 1) does
    # not judge.
    assert json.loads(head) == {"format": 2, "part": [stat.st_size, stat.st_mtime_ns]}
    records = stored(db, part)
    rows = json.loads(body)
    assert rows == [[record[key] for key in PART_LINE_KEYS[table]] for record in records.values()]
    assert [row[PART_LINE_KEYS[table].index("title")] for row in rows] == [title]


def test_a_list_of_finished_actions_reads_the_lines_and_never_the_parts(
    finished: Run, db: Path
) -> None:
    before = {status: listed(finished, "--status", status) for status in ("done", "cancelled")}
    whole = listed(finished)
    assert "Guía de acceso consular" in whole and "Capacitación" in whole
    assert "Taller de [bold]niñez[/bold]" in before["cancelled"]  # text, not markup
    [part] = named(db, "actions")
    path = parts_of(db) / part
    stat = path.stat()
    path.write_bytes(b" " * stat.st_size)  # unreadable, but of the same size and time
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))

    assert listed(finished) == whole
    assert {s: listed(finished, "--status", s) for s in ("done", "cancelled")} == before
    assert finished(*ALL, "--json").code == 3  # the JSON is the records': as read, damaged


def test_filters_of_a_list_read_the_lines_as_they_read_the_actions(finished: Run, db: Path) -> None:
    filters = [
        ("--party", "US"),
        ("--owner", "ca/vo"),
        ("--meeting", "1"),
        ("--topic", "consular-access"),
        ("--due-before", "2023-06-01"),
        ("--overdue",),
    ]
    through_lines = [listed(finished, *f) for f in filters]
    [part] = named(db, "actions")
    (parts_of(db) / lines_name(part)).unlink()
    assert [listed(finished, *f) for f in filters] == through_lines
    assert "Estadísticas H-2" in through_lines[0] and "Guía" not in through_lines[0]
    assert "Guía de acceso consular" in through_lines[3] and "H-2" not in through_lines[3]


def test_a_part_changed_since_its_lines_were_written_is_read_instead(
    finished: Run, db: Path
) -> None:
    [part] = named(db, "actions")
    path = parts_of(db) / part
    size = path.stat().st_size
    path.write_bytes(path.read_bytes().replace(b"acceso", b"salida"))
    assert path.stat().st_size == size
    assert "Guía de salida consular" in listed(finished)


UNUSABLE = {
    # How the lines are damaged, and whether cdt check judges them.
    "deleted": False,
    "not JSON": True,
    "another format": False,
    "an older part's size": True,
    "a line one value short": True,
    "an id that is not a whole number": True,
    "an id that is true, not a number": True,
    "a line that is not a list": True,
    "a status that does not read": True,
    "a due date that does not read": True,
}


@pytest.mark.parametrize("damage", UNUSABLE)
def test_a_part_whose_lines_are_missing_or_unusable_is_read_instead(
    finished: Run, db: Path, damage: str
) -> None:
    whole = listed(finished)
    [part] = named(db, "actions")
    path = parts_of(db) / lines_name(part)
    head, rows = map(json.loads, path.read_bytes().split(b"\n"))
    rows[0][3] = "Título que solo las líneas dicen"  # a list that trusted them shows it
    if damage == "deleted":
        path.unlink()
    elif damage == "not JSON":
        path.write_bytes(json.dumps(head).encode() + b"\n[[1, 1, ")
    else:
        if damage == "another format":  # (2: that of meetings' lines)
            head["format"] = 2
        elif damage == "an older part's size":
            head["part"][0] -= 1
        elif damage == "a line one value short":
            rows[1] = rows[1][:-1]
        elif damage == "an id that is not a whole number":
            rows[1][0] = str(rows[1][0])
        elif damage == "an id that is true, not a number":
            rows[1][0] = True
        elif damage == "a line that is not a list":
            rows[1] = dict(enumerate(rows[1]))
        elif damage == "a status that does not read":
            rows[1][7] = "dxne"
        elif damage == "a due date that does not read":
            rows[1][6] = "2023-02-30"
        path.write_text(f"{json.dumps(head)}\n{json.dumps(rows)}", encoding="utf-8")
    assert listed(finished) == whole
    # Lines of another format are not this version's to judge; the rest do not match.
    checked = finished("check", COLUMNS="400")
    assert checked.code == (1 if UNUSABLE[damage] else 0), checked.stdout
    if UNUSABLE[damage]:
        assert f"The lines {path} do not match their part {part}" in checked.stdout


def test_a_record_the_data_file_holds_too_is_listed_once_as_the_data_file_has_it(
    finished: Run, db: Path
) -> None:
    """A hand edit that copies an unfinished action into a part, its lines made again
    to match: the list shows the data file's action, once, as a list of the records
    does."""
    [part] = named(db, "actions")
    path = parts_of(db) / part
    records = stored(db, part)
    open_action = open_for_reading(db).get(Action, 3).to_record()
    records["3"] = {**open_action, "title": "Copia en la parte", "status": "done"}
    path.write_text(json.dumps(records), encoding="utf-8")
    body = part_lines("actions", records)
    assert body is not None
    (parts_of(db) / lines_name(part)).write_bytes(lines_file(path, body))

    through_lines = listed(finished)
    (parts_of(db) / lines_name(part)).unlink()
    assert listed(finished) == through_lines
    assert through_lines.count("Capacitación") == 1 and "Copia en la parte" not in through_lines


def test_a_list_leaves_out_what_a_level_hides_though_lines_hold_no_level(
    finished: Run, db: Path
) -> None:
    assert finished("action", "set", "2", "--level", "restricted").code == 0
    flt = ActionFilter(all_statuses=True)
    today = dt.date(2026, 6, 15)
    every = [line.id for line in list_action_lines(open_for_reading(db), flt, today=today)]
    repo = open_for_reading(db)
    restrict(repo, Level.INTERNAL)
    assert 2 in every
    assert [line.id for line in list_action_lines(repo, flt, today=today)] == [
        n for n in every if n != 2
    ]


def test_a_part_that_is_let_go_takes_its_lines_with_it(finished: Run, db: Path) -> None:
    [first] = named(db, "actions")
    for backup in list_backups(db):  # none stands on that part any more
        backup.unlink()
    whole = listed(finished)
    for verb in ("reopen", "done", "reopen", "done"):  # each write rewrites that part
        assert finished("action", verb, "1", CDT_BACKUPS="0").code == 0
        present = {p.name for p in parts_of(db).iterdir()}
        # Deleted with its part, not left for the next write to sweep.
        assert {n for n in present if n.endswith(".lines")} == {
            lines_name(n)
            for n in present
            if n.endswith(".json") and n.rsplit("-", 2)[0] in PART_LINE_KEYS
        }
    assert first not in present and lines_name(first) not in present
    [now] = named(db, "actions")
    assert lines_name(now) in present
    assert listed(finished) == whole


def test_a_write_deletes_lines_whose_part_is_gone(finished: Run, db: Path) -> None:
    stray = parts_of(db) / "actions-0-0123456789ab.lines"  # an earlier version's leftover
    stray.write_bytes(b"{}")
    kept = {p.name for p in parts_of(db).iterdir() if p.suffix == ".lines"} - {stray.name}
    assert kept
    assert finished("action", "note", "3", "Otra nota").code == 0
    left = {p.name for p in parts_of(db).iterdir() if p.suffix == ".lines"}
    assert stray.name not in left and kept <= left


def test_a_part_whose_records_lack_a_field_of_a_line_gets_no_lines(db: Path) -> None:
    records = {"1": {"id": 1, "meeting_id": 1, "title": "Sin estado", "party": "MX"}}
    assert part_lines("actions", records) is None
    assert part_lines("meetings", {"1": {"id": 1, "title": "Sin fecha"}}) is None
    assert part_lines("meetings", {}) == b"[]"
    assert part_lines("history", {}) is None  # no read needs lines of it


def test_a_list_in_a_command_that_changes_actions_shows_them_as_changed(
    finished: Run, db: Path
) -> None:
    flt = ActionFilter(all_statuses=True)
    with open_for_writing(db) as repo:
        action = repo.get(Action, 3)  # unfinished: the data file's lines hold it
        action.title = "Capacitación revisada"
        repo.update(action)
        lines = list_action_lines(repo, flt, today=dt.date(2026, 6, 15))
    assert [line.title for line in lines if line.id == 3] == ["Capacitación revisada"]


def test_a_record_a_hand_edit_put_in_two_parts_is_listed_once_as_the_first_has_it(
    finished: Run, db: Path
) -> None:
    """The part of actions copied under another key, action 1 retitled there, the copy's
    lines made to match: the list shows the first part's action 1, once."""
    data = parse_file(db.read_bytes(), db)
    entries = data["_meta"]["1"]["parts"]["actions"]
    ((key, entry),) = entries.items()
    twin = dict(entry, file=entry["file"].replace(f"-{key}-", "-4000-"))
    records = stored(db, entry["file"])
    records["1"] = {**records["1"], "title": "Copia en la otra parte"}
    path = parts_of(db) / twin["file"]
    path.write_text(json.dumps(records), encoding="utf-8")
    body = part_lines("actions", records)
    assert body is not None
    (parts_of(db) / lines_name(twin["file"])).write_bytes(lines_file(path, body))
    entries["4000"] = twin
    db.write_bytes(file_bytes(data))

    through_lines = listed(finished)
    assert through_lines.count("Guía de acceso consular") == 1
    assert "Copia en la otra parte" not in through_lines
    (parts_of(db) / lines_name(entry["file"])).unlink()  # the first part is read instead
    assert listed(finished) == through_lines


def test_of_a_damaged_action_in_the_data_file_and_one_in_a_part_the_part_s_is_named(
    finished: Run, db: Path
) -> None:
    """As a list that reads the records names them (the data file's are built last)."""
    data = parse_file(db.read_bytes(), db)
    data["actions"]["3"]["due"] = "2023-02-30"
    db.write_bytes(file_bytes(data))  # (its lines made again: they say so too)
    [part] = named(db, "actions")
    path = parts_of(db) / part
    path.write_bytes(path.read_bytes().replace(b'"status":"done"', b'"status":"dxne"', 1))
    refused = finished(*ALL)
    assert refused.code == 3 and "dxne" in refused.stderr, refused.stderr
    assert "damaged action record" in refused.stderr and "Traceback" not in refused.stderr
    (parts_of(db) / part).write_bytes(
        path.read_bytes().replace(b'"status":"dxne"', b'"status":"done"', 1)
    )
    refused = finished(*ALL)
    assert refused.code == 3 and "dxne" not in refused.stderr, refused.stderr


# ---- lines of meetings and agenda items ----------------------------------------------
# Each read below needs of a meeting or an item no more than its line: the meetings an
# action timeline names, an export's meeting titles and item topics, a list of agenda
# items, the topic counts, the meetings and items of a dialogue's standing, a topic's
# timeline and (but for its own meeting's header) a briefing.

READS = {
    "meetings": [
        ("timeline", "--actions"),
        ("export", "actions", "--format", "csv", "--status", "all"),
        ("export", "actions", "--format", "ics", "--status", "all"),
        ("report",),
        ("timeline", "--topic", "consular-access"),
    ],
    "agenda_items": [
        ("agenda", "list"),
        ("topic", "list"),
        ("export", "actions", "--format", "csv", "--status", "all"),
        ("report",),
        ("brief", "2"),
        ("timeline", "--topic", "consular-access"),
    ],
}


@pytest.fixture
def lined(finished: Run) -> Run:
    """``finished``, with every field of a line set somewhere: a second meeting with an
    end date, the first item's outcome and lead, the item carried there, and an action
    on the carried item."""
    return run_each(
        finished,
        "meeting add 'Reunión Anual' --kind annual --date 2023-10-16 --end 2023-10-17",
        "agenda set 1 --outcome 'Guía acordada' --lead joint",
        "agenda carry 1 2",
        "action add 'Seguimiento de la guía' --meeting 2 --item 2 --due 2023-11-30",
    )


def read(cdt: Run, args: tuple[str, ...]) -> str:
    result = cdt(*args, COLUMNS="200")
    assert result.code == 0, (args, result.stderr)
    return result.stdout


@pytest.mark.parametrize("table", READS)
def test_reads_of_meetings_and_items_show_through_lines_what_the_parts_show(
    lined: Run, db: Path, table: str
) -> None:
    through_lines = [read(lined, args) for args in READS[table]]
    shown = {  # what each shows of the lines: a meeting's date, kind, title; an item's
        "meetings": ["2023-10-16 Annual [2]", "Reunión Anual", "Reunión Intermedia"],
        "agenda_items": ["Guía acordada", "consular-access ← 1", "Consular access"],
    }
    assert all(text in "".join(through_lines) for text in shown[table])
    for part in named(db, table):
        (parts_of(db) / lines_name(part)).unlink()
    assert [read(lined, args) for args in READS[table]] == through_lines


@pytest.mark.parametrize("table", READS)
def test_reads_of_meetings_and_items_never_open_a_part_whose_lines_serve(
    lined: Run, db: Path, table: str
) -> None:
    before = [read(lined, args) for args in READS[table]]
    for part in named(db, table):
        path = parts_of(db) / part
        stat = path.stat()
        path.write_bytes(b" " * stat.st_size)  # unreadable, but of the same size and time
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))

    assert [read(lined, args) for args in READS[table]] == before
    refused = lined("agenda", "history", "2")  # reads the meetings and items whole
    assert refused.code == 3 and "Traceback" not in refused.stderr, refused.stderr


def test_what_reads_through_lines_reads_of_a_record_is_in_its_line(lined: Run, db: Path) -> None:
    """The views built from lines read no field a line lacks: from a line, a missing
    field would read as empty rather than as the record has it."""

    class Reads(dict[str, object]):
        def __init__(self, record: dict[str, object]) -> None:
            super().__init__(record)
            self.read: set[str] = set()

        def __getitem__(self, key: str) -> object:
            self.read.add(key)
            return super().__getitem__(key)

        def get(self, key: str, default: object = None) -> object:
            self.read.add(key)
            return super().get(key, default)

    views = {"meetings": [MeetingLine.from_record, meeting_title], "agenda_items": [
        ItemLine.from_record, item_topic]}  # fmt: skip
    for table, builds in views.items():
        [part] = named(db, table)
        for record in read_part(parts_of(db), part, table, db).values():
            for build in builds:
                seen = Reads(record)
                build(seen)
                assert seen.read <= set(PART_LINE_KEYS[table]), (build, seen.read)


@pytest.mark.parametrize(
    ("table", "record", "reading"),
    [("actions", "1", ALL), ("meetings", "2", READS["meetings"][1]), ("agenda_items", "1",
     READS["agenda_items"][0])],
)  # fmt: skip
def test_check_names_lines_their_part_was_edited_away_from(
    lined: Run, db: Path, table: str, record: str, reading: tuple[str, ...]
) -> None:
    [part] = named(db, table)
    records = stored(db, part)
    records[record]["title"] = "Retitulado a mano"
    (parts_of(db) / part).write_text(json.dumps(records), encoding="utf-8")

    checked = lined("check", COLUMNS="400")

    assert checked.code == 1
    assert lines_name(part) in checked.stdout and "delete them" in checked.stdout
    assert "Retitulado a mano" in read(lined, reading)  # another size: the part is read
    (parts_of(db) / lines_name(part)).unlink()
    (parts_of(db) / search_name(part)).unlink()
    assert lined("check").code == 0


UNREADABLE_IN_LINES = [
    # (table, the field given a value that does not read, the value)
    ("meetings", "status", "hxld"),
    ("meetings", "date", "2023-02-30"),
    ("meetings", "kind", None),
    ("agenda_items", "status", "pxnding"),
]


@pytest.mark.parametrize(("table", "field", "value"), UNREADABLE_IN_LINES)
def test_a_read_that_meets_a_value_in_lines_that_does_not_read_reads_the_part(
    lined: Run, db: Path, table: str, field: str, value: object
) -> None:
    """A hand edit of the lines alone: the part is sound, so a read whose view reads that
    value (the timeline's meetings, an agenda list's items) reads the part, where it
    would otherwise refuse the file; a read that does not trusts the lines, as ever."""
    before = [read(lined, args) for args in READS[table]]
    [part] = named(db, table)
    path = parts_of(db) / lines_name(part)
    head, rows = map(json.loads, path.read_bytes().split(b"\n"))
    keys = PART_LINE_KEYS[table]
    rows[0][keys.index("title")] = "Título que solo las líneas dicen"  # shown if trusted
    rows[-1][keys.index(field)] = value
    path.write_text(f"{json.dumps(head)}\n{json.dumps(rows)}", encoding="utf-8")

    after = [read(lined, args) for args in READS[table]]
    assert after[0] == before[0]
    assert "Título que solo las líneas dicen" not in after[0]
    checked = lined("check", COLUMNS="400")
    assert checked.code == 1 and f"The lines {path} do not match" in checked.stdout


@pytest.mark.parametrize("table", READS)
def test_lines_of_meetings_or_items_of_another_format_are_neither_read_nor_judged(
    lined: Run, db: Path, table: str
) -> None:
    before = [read(lined, args) for args in READS[table]]
    [part] = named(db, table)
    path = parts_of(db) / lines_name(part)
    head, rows = map(json.loads, path.read_bytes().split(b"\n"))
    rows[0][PART_LINE_KEYS[table].index("title")] = "Título que solo las líneas dicen"
    head["format"] = 1  # as a version that wrote lines of actions alone would have
    path.write_text(f"{json.dumps(head)}\n{json.dumps(rows)}", encoding="utf-8")

    assert [read(lined, args) for args in READS[table]] == before
    assert lined("check").code == 0


def test_a_meeting_a_level_hides_stays_hidden_while_lines_serve_its_part(
    lined: Run, db: Path
) -> None:
    """Lines hold no level: a read that leaves out records above a level reads the
    meetings whole, as it always did."""
    assert lined("meeting", "edit", "2", "--level", "restricted").code == 0
    shown = [read(lined, args) for args in READS["meetings"]]
    hidden = [read(lined, (*args, "--max-level", "internal")) for args in READS["meetings"]]
    marks = ("Reunión Anual", "[2]", "2023-10-16 Annual")  # its title, id, date and kind

    assert all(any(mark in out for mark in marks) for out in shown)
    assert not any(mark in out for out in hidden for mark in marks)

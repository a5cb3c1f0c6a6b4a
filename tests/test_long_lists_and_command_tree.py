"""Long lists drawn one line per record, the lazily built command tree, and history packing."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from conftest import read_whole, run_cdt, write_whole
from hypothesis import example, given, settings
from hypothesis import strategies as st
from rich.console import Console

from consular_dialogue.cli import (
    COMMANDS,
    GROUPS,
    SUMMARIES,
    build_app,
    requested_command,
    requested_subcommand,
)
from consular_dialogue.dates import PartialDate
from consular_dialogue.jsonout import dump_json, in_json_list
from consular_dialogue.lines import (
    _ROWS_AT_ONCE,
    LONG_LIST,
    WIDE_COLUMNS,
    LineTable,
    actions_table,
    due_cell,
    due_cells,
    each_once,
)
from consular_dialogue.models import (
    JSON_RUN,
    Action,
    ActionLine,
    ActionStatus,
    AgendaItem,
    AgendaStatus,
    Meeting,
    _as_stored,
    _written_dues,
    meeting_title,
)
from consular_dialogue.storage import (
    HISTORY_TABLE,
    SCHEMA_VERSION,
    Repository,
    open_for_reading,
    open_for_writing,
    parse_file,
)

TODAY = dt.date(2023, 4, 24)
NOW = dt.datetime(2023, 4, 24, 10, 0, tzinfo=dt.UTC)


def render(renderable: object, width: int) -> str:
    buffer = io.StringIO()
    Console(file=buffer, width=width, color_system=None, force_terminal=False).print(renderable)
    return buffer.getvalue()


def many_actions(count: int, title: str = "Compartir estadísticas de visas H-2") -> list[Action]:
    return [
        Action(
            id=n,
            meeting_id=1,
            title=f"{title} {n}",
            party="MX",
            owner="Dirección General de Protección Consular",
            due=TODAY + dt.timedelta(days=n - 5),
            created="2023-04-24T10:00:00+00:00",
        )
        for n in range(1, count + 1)
    ]


def test_a_long_action_list_is_one_line_per_action_within_the_width() -> None:
    actions = many_actions(LONG_LIST + 40)
    table = actions_table(actions, TODAY, "en")
    assert isinstance(table, LineTable)
    for width in (120, 80, 60):
        lines = render(table, width).splitlines()
        assert len(lines) == 2 + len(actions)  # header, rule, one line each
        assert all(len(line) <= width for line in lines)
    at_100 = render(table, 100).splitlines()
    assert at_100[2].startswith("1 ") and "!" in at_100[2]  # overdue marked
    assert "…" in at_100[2]  # long text cut, not wrapped


@given(
    st.lists(
        st.tuples(
            st.none() | st.dates(TODAY - dt.timedelta(days=3), TODAY + dt.timedelta(days=3)),
            st.sampled_from(ActionStatus),
        ),
        max_size=40,
    )
)
def test_a_long_lists_due_cells_are_each_actions_due_cell(dues: list[Any]) -> None:
    """Overdue (past due and not finished) is marked as for one action; each day is
    written once for the whole column."""
    actions = [
        ActionLine(n, 1, None, "t", "MX", None, due, status)
        for n, (due, status) in enumerate(dues, 1)
    ]
    texts, styles = due_cells(actions, TODAY)
    assert list(zip(texts, styles, strict=True)) == [due_cell(a, TODAY) for a in actions]


def test_only_done_and_cancelled_actions_are_finished_and_only_resolved_and_dropped_items_closed() -> (
    None
):
    finished = {s.value for s in ActionStatus if s.is_finished}
    closed = {s.value for s in AgendaStatus if not s.is_open}
    assert (finished, closed) == ({"done", "cancelled"}, {"resolved", "dropped"})


def test_a_short_action_list_keeps_the_rich_table() -> None:
    assert not isinstance(actions_table(many_actions(3), TODAY, "en"), LineTable)


def test_user_text_in_a_long_list_is_never_markup_nor_escape_sequences() -> None:
    hostile = "[link=http://x]y[/link] [/] \x1b[31mred\x1b]8;;http://x\x07 \u202eabc"
    text = render(actions_table(many_actions(LONG_LIST + 1, hostile), TODAY, "en"), 400)
    assert "[link=http://x]y[/link]" in text
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert "\\x1b[31mred" in text


# Values a column may hold, hand-edited ones included: equal as dict keys (1, True, 1.0)
# but not as text, None, and a list that cannot be a key at all.
COLUMN_VALUES = st.one_of(
    st.sampled_from([1, True, 1.0, 0, False, None, "1", "True", [1], 0.0, -0.0]),
    st.integers(-3, 3),
    st.text(max_size=2),
)


@given(st.lists(COLUMN_VALUES, max_size=30))
@example([0.0, -0.0, None])
@example([-0.0, 1, 0.0])
def test_each_once_converts_each_different_value_of_a_column_once(values: list[Any]) -> None:
    calls: list[Any] = []

    def convert(value: Any) -> str:
        calls.append(value)
        return f"{type(value).__name__}:{value!r}"

    assert each_once(convert, values) == [convert(v) for v in values]
    converted = calls[: len(calls) - len(values)]
    if any(isinstance(v, list | float) for v in values):
        return  # no keys (a list), or equal keys written apart (0.0, -0.0): one by one
    different = list(dict.fromkeys((type(v), v) for v in values))
    assert [(type(v), v) for v in converted] == different  # once each, in first-come order


LOG_TEXT = st.text(
    alphabet=st.sampled_from(list("ab yz  áÑ…—[]\t\n\r\x1b\u202e\u0301漢字😀")), max_size=50
)


@settings(max_examples=300, deadline=None)
@given(st.lists(LOG_TEXT, min_size=1, max_size=4), st.integers(1, 60), st.booleans())
@example(["ab   ", "abc", "ab"], 3, False)  # blanks past the width are cut too
@example(["a漢字b", "漢字漢"], 4, True)  # a wide character at the edge
@example(["a\u0301bc", "…" * 5], 2, False)
def test_cut_lines_print_as_rich_prints_each_line_as_a_cut_text(
    texts: list[str], width: int, colour: bool
) -> None:
    from rich.text import Text

    from consular_dialogue.lines import CutLines
    from consular_dialogue.render import _Console
    from consular_dialogue.text import clean

    def printed(*renderables: Any, **options: Any) -> str:
        buffer = io.StringIO()
        console = _Console(
            file=buffer, width=width, force_terminal=colour, color_system="standard" if colour else None,
            highlight=False, markup=False, emoji=False, soft_wrap=False,
        )  # fmt: skip
        for renderable in renderables:
            console.print(renderable, **options)
        return buffer.getvalue()

    one_by_one = [Text(clean(text), style="dim") for text in texts]
    expected = printed(*one_by_one, no_wrap=True, overflow="ellipsis")
    assert printed(CutLines(texts, style="dim")) == expected
    plain = CutLines(texts, style="dim").plain_lines(width)
    if plain is not None and not colour:  # None: a tab or a line break, left to Rich
        assert "".join(plain) == expected


def test_the_command_named_on_the_line_is_found_past_global_options() -> None:
    assert requested_command(["--db", "meeting", "action", "list"]) == "action"
    assert requested_command(["--lang", "es", "report", "1"]) == "report"
    assert requested_command(["--debug", "meeting", "list"]) == "meeting"
    assert requested_command(["--version"]) is None
    assert requested_command(["nonsense"]) is None
    assert requested_subcommand(["--db", "action", "action", "list", "--json"]) == "list"
    assert requested_subcommand(["meeting", "--help"]) is None
    assert requested_subcommand(["report", "1"]) is None


def test_a_group_is_narrowed_to_the_named_command_and_an_unknown_one_keeps_them_all() -> None:
    from typer.main import get_command

    narrowed = get_command(build_app("action", "list"))
    assert set(narrowed.commands["action"].commands) == {"list"}  # type: ignore[attr-defined]
    whole = get_command(build_app("action", "lst"))
    assert {"list", "add", "done"} <= set(whole.commands["action"].commands)  # type: ignore[attr-defined]


def test_the_root_help_from_summaries_is_the_whole_apps_root_help() -> None:
    from typer.testing import CliRunner

    runner = CliRunner()
    whole = runner.invoke(build_app(), ["--help"], prog_name="cdt", terminal_width=100)
    quick = runner.invoke(
        build_app(summaries_only=True), ["--help"], prog_name="cdt", terminal_width=100
    )
    assert whole.exit_code == quick.exit_code == 0
    assert quick.output == whole.output
    assert set(SUMMARIES) == set(GROUPS) | set(COMMANDS)


def test_version_and_root_help_import_no_command_module() -> None:
    import subprocess
    import sys

    probe = (
        "import sys\n"
        "from consular_dialogue.cli import main\n"
        "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
        "loaded = [m for m in sys.modules if m.startswith('consular_dialogue.')]\n"
        "print(sorted(loaded), 'typer' in sys.modules, file=sys.stderr)\n"
    )
    version = subprocess.run(
        [sys.executable, "-c", probe, "--version"], capture_output=True, text=True, check=True
    )
    assert version.stdout.startswith("cdt ")
    assert version.stderr.strip() == "['consular_dialogue.cli', 'consular_dialogue.errors'] False"
    helped = subprocess.run(
        [sys.executable, "-c", probe, "--help"], capture_output=True, text=True, check=True
    )
    assert "Commands:" in helped.stdout
    loaded = helped.stderr
    assert "consular_dialogue.cli.meeting" not in loaded
    assert "consular_dialogue.storage" not in loaded


def test_the_whole_app_has_every_group_and_command_and_a_partial_one_only_its_own() -> None:
    from typer.main import get_command

    whole = get_command(build_app())
    assert set(whole.commands) == set(GROUPS) | set(COMMANDS)  # type: ignore[attr-defined]
    partial = get_command(build_app("action"))
    assert set(partial.commands) == {"action"}  # type: ignore[attr-defined]


def add_six_actions_finishing_three(tmp_path: Path) -> Path:
    """A data file with actions 1 to 6, of which 1, 2 and 3 are done."""
    db = tmp_path / "tracker.json"
    from consular_dialogue.models import MeetingKind
    from consular_dialogue.services.actions import add_action, complete_actions
    from consular_dialogue.services.dialogues import add_dialogue
    from consular_dialogue.services.meetings import MeetingFields, record_meeting

    with open_for_writing(db) as repo:
        add_dialogue(
            repo, name="D", key="d", parties=["MX", "US"], established=None, notes=None, now=NOW
        )
        meeting = record_meeting(
            repo,
            MeetingFields(title="M", kind=MeetingKind.ANNUAL, date=PartialDate(2023, 4, 17)),
            dialogue_key=None,
            now=NOW,
        )
        for n in range(6):
            add_action(
                repo, title=f"A{n}", meeting_id=meeting.id, item_id=None, party="MX",
                owner=None, due=None, priority=None, level=None, now=NOW,
            )  # fmt: skip
        complete_actions(repo, [1, 2, 3], now=NOW)
    return db


def test_select_builds_only_the_records_that_pass_the_stored_test(tmp_path: Path) -> None:
    repo = open_for_reading(add_six_actions_finishing_three(tmp_path))
    unfinished = repo.select(Action, lambda raw: raw["status"] != ActionStatus.DONE.value)
    assert [a.id for a in unfinished] == [4, 5, 6]
    assert Action.TABLE not in repo._cache  # nothing else was built


# Values a stored action's listed fields may hold, damaged ones included.
LINE_FIELD_VALUES = {
    "id": st.integers(0, 10**6),
    "meeting_id": st.integers(0, 10**6) | st.text(max_size=3),
    "item_id": st.none() | st.integers(0, 10**6),
    "title": st.text(max_size=8) | st.integers(),
    "party": st.sampled_from(["MX", "US", "joint"]),
    "owner": st.none() | st.text(max_size=8),
    "due": st.none() | st.dates().map(dt.date.isoformat) | st.sampled_from(["2023-02-30", 5, ""]),
    "status": st.sampled_from([*(s.value for s in ActionStatus), "bogus", None, ["open"]]),
}


@given(
    values=st.fixed_dictionaries(LINE_FIELD_VALUES),
    missing=st.sampled_from([None, *LINE_FIELD_VALUES]),
    notes=st.sampled_from([[], [{"at": "2023-04-24T10:00:00+00:00", "text": "Nota"}]]),
)
def test_an_action_line_has_the_values_of_the_action_built_from_the_same_record(
    values: dict[str, Any], missing: str | None, notes: list[dict[str, str]]
) -> None:
    stored = {**Action(id=1, created="2023-04-24T10:00:00+00:00").to_record(), **values}
    stored["notes"] = notes
    stored.pop(missing or "", None)
    try:
        action = Action.from_record(stored)
    except (KeyError, ValueError, TypeError) as refused:
        # A damaged field that a line shows is refused as the action refuses it.
        with pytest.raises(type(refused)) as also_refused:
            ActionLine.from_record(stored)
        assert repr(also_refused.value) == repr(refused)
        return
    line = ActionLine.from_record(stored)
    shown = [name for name in ActionLine._fields if name != "json"]
    assert line == (*(getattr(action, name) for name in shown), None)
    for today in (dt.date(2023, 4, 24), dt.date.max):
        assert line.is_overdue(today) == action.is_overdue(today)


NOTE = {"at": "2023-04-24T10:00:00+00:00", "text": "Nota", "level": "public"}
CHANGE = {"at": "2023-04-24T10:00:00+00:00", "field": "status", "from": "open", "to": "done"}


def _set(field: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(record: dict[str, Any]) -> None:
        record[field] = value

    return change


def _drop(field: str) -> Callable[[dict[str, Any]], None]:
    def change(record: dict[str, Any]) -> None:
        del record[field]

    return change


def _reverse_keys(record: dict[str, Any]) -> None:
    items = list(record.items())
    record.clear()
    record.update(reversed(items))


# One way each that a stored action may differ from what this tool writes.
DEVIATIONS: dict[str, Callable[[dict[str, Any]], None]] = {
    "none": lambda record: None,
    "keys in another order": _reverse_keys,
    "no priority": _drop("priority"),
    "no level": _drop("level"),
    "no notes": _drop("notes"),
    "no updated": _drop("updated"),
    "no owner": _drop("owner"),
    "due in basic form": _set("due", "20230424"),
    "due as a week date": _set("due", "2023-W17-1"),
    "due not a day": _set("due", "2023-02-30"),
    "completed in basic form": _set("completed", "20230502"),
    "completed a number": _set("completed", 7),
    "unknown priority": _set("priority", "urgent"),
    "priority a number": _set("priority", 1),
    "priority a list": _set("priority", ["high"]),
    "level a list": _set("level", ["public"]),
    "a note's level a list": _set("notes", [{**NOTE, "level": ["public"]}]),
    "unknown level": _set("level", "secret"),
    "status a list": _set("status", ["open"]),
    "title a number": _set("title", 5),
    "notes null": _set("notes", None),
    "notes not a list": _set("notes", "x"),
    "a note without a level": _set("notes", [{"at": NOTE["at"], "text": "Sin nivel"}]),
    "a note with another key": _set("notes", [{**NOTE, "extra": 1}]),
    "a note's keys in another order": _set("notes", [dict(reversed(NOTE.items()))]),
    "a note of an unknown level": _set("notes", [{**NOTE, "level": "secret"}]),
    "completed a list": _set("completed", ["2023-05-02"]),
    "unknown status": _set("status", "pending"),
    "notes an object": _set("notes", {}),
    "a note not an object": _set("notes", ["Nota"]),
    "changes null": _set("changes", None),
    "a change not an object": _set("changes", [["status"]]),
    "changes a string": _set("changes", ""),
    "a change a list of its keys": _set("changes", [list(CHANGE)]),
    "a change without its new value": _set("changes", [{k: CHANGE[k] for k in list(CHANGE)[:3]}]),
    "a change's keys in another order": _set("changes", [dict(reversed(CHANGE.items()))]),
}  # fmt: skip


@pytest.mark.parametrize("deviation", list(DEVIATIONS))
@pytest.mark.parametrize("completed", [None, "2023-05-02"])
def test_an_action_lines_json_is_the_json_of_the_action_built_from_the_same_record(
    deviation: str, completed: str | None
) -> None:
    stored = Action(
        id=1, title="Compartir cifras", due=dt.date(2023, 4, 24), created=NOTE["at"]
    ).to_record()
    stored.update(completed=completed, notes=[NOTE], changes=[CHANGE])
    DEVIATIONS[deviation](stored)
    today = dt.date(2023, 4, 25)
    other = Action(id=2, title="Otra", created=NOTE["at"]).to_record()
    try:
        expected = Action.from_record(stored).to_json(today)
    except (KeyError, ValueError, TypeError, AttributeError) as refused:
        for records in ([stored], [other, stored, other]):
            with pytest.raises(type(refused)):
                ActionLine.all_with_json(records, today)
        return
    (line,) = ActionLine.all_with_json([stored], today)
    assert line.json == in_json_list([expected])  # and the key order
    # The stored dict itself is kept exactly when the action would write it so...
    kept = _as_stored(stored) is stored
    rewritten = orjson.dumps(Action.from_record(stored).to_record())
    assert kept == (orjson.dumps(stored) == rewritten)
    assert kept == (deviation in ("none", "title a number"))
    # ... and, told of three at once, they are kept as stored exactly when each is.
    dues = _written_dues([other, stored, other])
    assert (dues is not None) == kept
    assert dues is None or dues[stored["due"]] == line.due
    # Made with others in one dump, each action's JSON is its own.
    lines = ActionLine.all_with_json([other, stored, other], today)
    assert [line.json for line in lines] == [
        in_json_list([Action.from_record(r).to_json(today)]) for r in (other, stored, other)
    ]
    assert [line._replace(json=None) for line in lines] == [
        ActionLine.from_record(r) for r in (other, stored, other)
    ]


def test_only_the_lines_a_json_list_keeps_get_their_json_and_more_than_a_run_join_whole() -> None:
    today = dt.date(2023, 4, 25)
    records = [
        Action(
            id=n, title=f"Acción {n}", due=dt.date(2023, 4, 1 + n % 28), created=NOTE["at"]
        ).to_record()
        for n in range(1, 2502)
    ]
    for record in records[::7]:  # some done, some overdue, some not
        record["status"] = "done"
    # Past the first run, one record edited by hand in each of two runs.
    records[1500] = dict(reversed(records[1500].items()))
    records[2200]["due"] = records[2200]["due"].replace("-", "")
    expected = [Action.from_record(r).to_json(today) for r in records]
    as_stored = {**records[1500], "overdue": expected[1500]["overdue"]}
    assert orjson.dumps(expected[1500]) != orjson.dumps(as_stored)  # (in another order)

    kept = ActionLine.all_with_json(records, today, lambda line: line.id % 3 == 0)
    assert [line.json for line in kept] == [
        in_json_list([value]) if value["id"] % 3 == 0 else None for value in expected
    ]
    assert {value["overdue"] for value in expected} == {True, False}

    lines = ActionLine.all_with_json(records, today)
    assert b"".join(ActionLine.json_list(lines)) == dump_json(expected)


def test_a_json_list_of_actions_as_written_reads_none_of_them_one_at_a_time() -> None:
    today = dt.date(2023, 4, 25)
    records = [
        Action(id=n, title=f"Acción {n}", due=dt.date(2023, 4, n), created=NOTE["at"]).to_record()
        for n in range(1, 11)
    ]
    called: set[str] = set()

    def calls(frame: Any, event: str, arg: Any) -> None:
        if event == "call":
            called.add(frame.f_code.co_name)

    def names_called(records: list[dict[str, Any]]) -> set[str]:
        called.clear()
        sys.setprofile(calls)
        try:
            ActionLine.all_with_json(records, today)
        finally:
            sys.setprofile(None)
        return called & {"from_record", "_as_stored", "_written_dues"}

    assert names_called(records) == {"_written_dues"}  # of all ten together
    records[4] = dict(reversed(records[4].items()))  # one edited by hand: each is read alone
    assert names_called(records) == {"from_record", "_as_stored", "_written_dues"}


def test_a_line_built_without_its_json_is_no_json_list() -> None:
    line = ActionLine.from_record(Action(id=1).to_record())
    with pytest.raises(ValueError, match="all_with_json"):
        ActionLine.json_list([line])


def test_a_writable_copy_hands_out_one_model_per_record_whether_selected_or_found(
    tmp_path: Path,
) -> None:
    db = add_six_actions_finishing_three(tmp_path)
    with open_for_writing(db) as repo:
        found = repo.get(Action, 2)  # done: in a part
        selected = repo.select(Action, lambda raw: raw["id"] in (2, 5))
        assert [a.id for a in selected] == [2, 5] and selected[0] is found
        assert repo.get(Action, 5) is selected[1]
        assert repo.of_meeting(Action, 1)[4] is selected[1]
    reader = open_for_reading(db)  # views of a read-only copy are not kept
    assert reader.select(Action, lambda raw: raw["id"] == 5)[0] is not reader.get(Action, 5)


def test_select_as_builds_views_in_id_order_leaving_out_hidden_records(tmp_path: Path) -> None:
    db = add_six_actions_finishing_three(tmp_path)
    repo = open_for_reading(db)
    every = repo.select_as(Action, ActionLine.from_record, lambda raw: True)
    assert [line.id for line in every] == [1, 2, 3, 4, 5, 6]
    assert Action.TABLE not in repo._cache  # views are never kept
    repo.hide(repo.get(Action, 5))
    repo.get(Action, 6).title = "Changed in memory"  # as sensitivity filters change notes
    unfinished = repo.select_as(
        Action, ActionLine.from_record, lambda raw: raw["status"] != ActionStatus.DONE.value
    )
    assert [(line.id, line.title) for line in unfinished] == [(4, "A3"), (6, "Changed in memory")]


def test_found_as_builds_views_of_the_records_found_as_the_models_stand(tmp_path: Path) -> None:
    db = add_six_actions_finishing_three(tmp_path)
    repo = open_for_reading(db)
    wanted = [6, 2, 2, 99, "6", 4]  # a repeat, a missing id, a hand-edited reference
    assert [line.id for line in repo.found_as(Action, ActionLine.from_record, wanted)] == [6, 2, 4]
    assert repo.found_as(Meeting, meeting_title, [1, 1, 2]) == [(1, "M")]
    # A hand-edited true is not the meeting 1, nor does it hide it when it comes first.
    assert repo.found_as(Meeting, meeting_title, [True, 1]) == [(1, "M")]
    assert Action.TABLE not in repo._cache and not repo._single.get(Action.TABLE)
    # Once models are handed out, views are taken from them: changed, or hidden.
    repo.get(Action, 6).title = "Changed in memory"
    views = repo.found_as(Action, ActionLine.from_record, [6, 2])
    assert [(line.id, line.title) for line in views] == [(6, "Changed in memory"), (2, "A1")]
    repo.hide(repo.get(Action, 2))
    views = repo.found_as(Action, ActionLine.from_record, [6, 2, 4])
    assert [(line.id, line.title) for line in views] == [(6, "Changed in memory"), (4, "A3")]


@pytest.mark.parametrize(
    "damage",
    [
        {"notes": "not a list of notes"},
        {"changes": [{"at": "2023-04-24"}]},
        {"priority": "urgent"},
        {"created": None, "completed": "yesterday"},
    ],
)
def test_a_list_and_a_timeline_show_an_action_damaged_only_in_what_they_never_read(
    tmp_path: Path, damage: dict[str, Any]
) -> None:
    """Reads build what they show (a check of every field would cost every read):
    damage elsewhere is named by the commands that read it, and by cdt check."""
    import subprocess
    import sys

    from conftest import base_env

    db = add_six_actions_finishing_three(tmp_path)
    data = read_whole(db)
    data["actions"]["4"].update(damage)
    data["actions"]["4"] = {k: v for k, v in data["actions"]["4"].items() if v is not None}
    write_whole(db, data)
    before = db.read_bytes()
    env = base_env(db, now="2023-04-24T10:00:00-06:00")

    def cdt(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "consular_dialogue", *args]
        return subprocess.run(command, env=env, capture_output=True, text=True)

    listed = cdt("action", "list")
    assert listed.returncode == 0, listed.stderr
    assert [line.split()[0] for line in listed.stdout.splitlines()[2:]] == ["4", "5", "6"]
    timeline = cdt("timeline")
    assert timeline.returncode == 0, timeline.stderr
    # The JSON list writes the whole action, and cdt check reads every field.
    as_json = cdt("action", "list", "--json")
    assert as_json.returncode == 3
    assert "damaged action record" in as_json.stderr and "Traceback" not in as_json.stderr
    checked = cdt("check")
    assert checked.returncode != 0 and "action 4" in checked.stdout + checked.stderr
    assert db.read_bytes() == before


def test_an_owner_stored_as_an_empty_list_shows_as_no_owner_in_short_and_long_lists() -> None:
    for count in (3, LONG_LIST + 1):
        actions = many_actions(count)
        expected = render(actions_table(actions, TODAY, "en"), 120)
        actions[0].owner = None
        without = render(actions_table(actions, TODAY, "en"), 120)
        actions[0].owner = []  # type: ignore[assignment]  # a hand-edited file
        assert render(actions_table(actions, TODAY, "en"), 120) == without != expected


def test_equal_values_of_different_types_keep_their_own_text_in_a_long_list() -> None:
    actions = many_actions(LONG_LIST + 1)
    # A hand-edited file: true and 1.0 are equal to 1 as dict keys, not as text.
    actions[1].meeting_id = True
    actions[2].meeting_id = 1.0  # type: ignore[assignment]
    lines = render(actions_table(actions, TODAY, "en"), 200).splitlines()
    rows = {line.split()[0]: line.split() for line in lines[2:]}
    assert [rows[n][-1] for n in "1234"] == ["1", "True", "1.0", "1"]


def test_history_is_stored_packed_and_a_schema_1_file_is_migrated(tmp_path: Path) -> None:
    db = tmp_path / "tracker.json"
    from consular_dialogue.services.dialogues import add_dialogue

    with open_for_writing(db) as repo:
        add_dialogue(
            repo, name="D", key="d", parties=["MX", "US"], established=None, notes=None, now=NOW
        )
        repo.record_history(now=NOW, command="cdt dialogue add D", action="dialogue add")
    stored = read_whole(db)
    entry = next(iter(stored[HISTORY_TABLE].values()))
    assert "changes_z" in entry and "changes" not in entry
    changes = open_for_reading(db).history()[0]["changes"]
    assert changes[0]["kind"] == "dialogue" and changes[0]["after"]["key"] == "d"

    # The same entry as schema 1 wrote it (changes in the clear) is read and migrated.
    stored["_meta"]["1"]["schema"] = 1
    entry.pop("changes_z")
    entry["changes"] = changes
    migrated = parse_file(orjson.dumps(stored), db)
    assert migrated["_meta"]["1"]["schema"] == SCHEMA_VERSION
    assert "changes_z" in next(iter(migrated[HISTORY_TABLE].values()))


def test_a_long_action_timeline_is_one_line_per_action_with_today_and_month_headings(
    tmp_path: Path,
) -> None:
    from consular_dialogue.models import MeetingKind
    from consular_dialogue.reports import build_action_timeline
    from consular_dialogue.services.actions import add_action
    from consular_dialogue.services.dialogues import add_dialogue
    from consular_dialogue.services.meetings import MeetingFields, record_meeting
    from consular_dialogue.timeline import action_timeline

    db = tmp_path / "tracker.json"
    count = LONG_LIST + 20
    with open_for_writing(db) as repo:
        add_dialogue(
            repo, name="D", key="d", parties=["MX", "US"], established=None, notes=None, now=NOW
        )
        meeting = record_meeting(
            repo,
            MeetingFields(title="M", kind=MeetingKind.ANNUAL, date=PartialDate(2023, 1, 17)),
            dialogue_key=None,
            now=NOW,
        )
        for n in range(count):
            add_action(
                repo, title=f"Acción [b]{n}[/b] \x1b[31m", meeting_id=meeting.id, item_id=None,
                party="MX", owner=None, due=TODAY + dt.timedelta(days=n - 30), priority=None,
                level=None, now=NOW,
            )  # fmt: skip
    view = action_timeline(build_action_timeline(open_for_reading(db), None, TODAY, "en"))
    lines = render(view, 80).splitlines()
    assert all(len(line) <= 80 for line in lines)
    assert sum(1 for line in lines if "Acción [b]" in line) == count
    today_rules = [i for i, line in enumerate(lines) if "today 2023-04-24" in line]
    assert len(today_rules) == 1
    before = [line for line in lines[: today_rules[0]] if "Acción [b]" in line]
    assert len(before) == 30 and all(line.startswith("!") for line in before)  # overdue first
    assert "\x1b" not in "\n".join(lines)


def test_the_global_options_that_take_a_value_are_all_known_to_the_lazy_loader() -> None:
    from typer.main import get_command

    from consular_dialogue.cli import GLOBAL_OPTIONS_WITH_VALUE

    root = get_command(build_app("meeting"))
    taking_values = {
        name for param in root.params if not getattr(param, "is_flag", False) for name in param.opts
    }
    assert taking_values == GLOBAL_OPTIONS_WITH_VALUE


def _mixed_table() -> LineTable:
    """Cells of every kind a long list meets: ASCII, accents, wide and combining
    characters, line breaks, text far longer than any column, styled separators."""
    from rich.text import Text

    table = LineTable(["id", "owner", "title", "meeting"], [False, True, True, False])
    table.add_separator(Text("2023", style="bold underline"))
    for n, (owner, title) in enumerate(
        [
            ("SRE", "Notificación consular"),
            ("Dirección General de Protección Consular", "Acceso consular " * 12),
            ("領事局", "Visas H-2: estadísticas\ny plazos"),
            ("Cancille\u0301ria", "e\u0301 combining marks " * 4),
            ("", ""),
        ],
        start=1,
    ):
        table.add_row((str(n), None), (owner, None), (title, "bold red" if n % 2 else None), "7")
    table.add_separator(("── today 2023-04-24 ", "dim"))
    table.add_row("6", "CA/OCS", "Compartir estadísticas", "12")
    return table


GOLDEN_LINES = Path(__file__).parent / "golden" / "lines"


def test_plain_lines_are_the_layout_joined_wherever_the_separators_are() -> None:
    """The plain writer joins runs of rows at once; the layout (drawn in colour) goes
    a row at a time: no rows, only separators, separators side by side, first, last."""
    shapes = ["", "s", "ss", "r", "rs", "sr", "srs", "rssr", "rrsrrss", "ssrr"]
    for shape in shapes:
        table = LineTable(["id", "title"], [False, True])
        for n, kind in enumerate(shape):
            if kind == "s":
                table.add_separator((f"── {n} ──", "dim"))
            else:
                table.add_row((str(n), None), (f"Acción número {n}", "bold"))
        for width in (8, 30):
            expected = "".join(
                table.GAP.join(text for text, _ in cells) + "\n" for cells in table.layout(width)
            )
            assert "".join(table.plain_lines(width)) == expected, (shape, width)
            assert len(expected.splitlines()) == 2 + len(shape)


def test_plain_lines_written_a_few_thousand_at_a_time_are_the_layout_joined() -> None:
    """Runs of rows longer than the writer joins at once, with separators at, before
    and after the ends of its runs, and none at all."""
    many = _ROWS_AT_ONCE
    for separators in ([], [many - 1, many, 2 * many + 1], [many + 1, 2 * many]):
        table = LineTable(["id", "title"], [False, True])
        for n in range(2 * many + 3):
            if n in separators:
                table.add_separator((f"── {n} ──", "dim"))
            table.add_row((str(n), None), (f"Acción número {n}", "bold"))
        expected = "".join(
            table.GAP.join(text for text, _ in cells) + "\n" for cells in table.layout(30)
        )
        written = list(table.plain_lines(30))
        assert "".join(written) == expected, separators
        assert max(piece.count("\n") for piece in written) == many  # never all at once


def test_a_long_list_is_drawn_as_before_whether_written_plain_or_by_rich() -> None:
    """``golden/lines/mixed.w*.txt`` were drawn by the Rich-only LineTable of commit
    649990a (before the plain writer), through the CLI's console, without colour."""
    from consular_dialogue.render import make_console

    table = _mixed_table()
    for width in (20, 33, 40, 80, 132):
        golden = (GOLDEN_LINES / f"mixed.w{width}.txt").read_text(encoding="utf-8")
        assert "".join(table.plain_lines(width)) == golden, width
        buffer = io.StringIO()
        console = make_console(buffer)  # as the CLI draws: a long list is never cropped
        console.width = width
        console.print(table)
        assert buffer.getvalue() == golden, width


def _plain_width_probe(**env: str) -> list[str]:
    import os
    import subprocess
    import sys

    probe = (
        "import sys\n"
        "from rich.console import Console\n"
        "from consular_dialogue.lines import plain_width\n"
        "print(plain_width(sys.stdout), Console(file=sys.stdout).width, "
        "Console(file=sys.stdout).color_system)\n"
    )
    clean = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "FORCE_COLOR")}
    done = subprocess.run(
        [sys.executable, "-c", probe],
        env={**clean, **env},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.split()


def test_plain_width_is_richs_width_on_a_pipe_and_none_where_rich_would_colour() -> None:
    assert _plain_width_probe(COLUMNS="57") == ["57", "57", "None"]
    assert _plain_width_probe() == ["80", "80", "None"]
    assert _plain_width_probe(FORCE_COLOR="1")[0] == "None"
    assert _plain_width_probe(TTY_COMPATIBLE="1")[0] == "None"


@contextlib.contextmanager
def _one_meeting(db: Path) -> Iterator[Repository]:
    """A writable new file holding a dialogue and its meeting 1 (17 April 2023)."""
    from consular_dialogue.models import MeetingKind
    from consular_dialogue.services.dialogues import add_dialogue
    from consular_dialogue.services.meetings import MeetingFields, record_meeting

    with open_for_writing(db) as repo:
        add_dialogue(repo, name="D", key="d", parties=["MX", "US"], established=None,
                     notes=None, now=NOW)  # fmt: skip
        record_meeting(repo, MeetingFields(title="Reunión", kind=MeetingKind.ANNUAL,
                       date=PartialDate(2023, 4, 17)), dialogue_key=None, now=NOW)  # fmt: skip
        yield repo


def test_a_long_list_the_output_cannot_encode_writes_nothing_and_says_so_in_one_line(
    tmp_path: Path,
) -> None:
    """Written in pieces, a long list is still all encoded before any is written: an
    ASCII output gets not even the header, and a UTF-8 one the whole list."""
    from conftest import base_env

    from consular_dialogue.services.actions import add_action

    db = tmp_path / "tracker.json"
    with _one_meeting(db) as repo:
        for n in range(LONG_LIST + 5):
            title = f"Action {n}" if n < LONG_LIST else f"Acción {n}"  # the last ones
            add_action(repo, title=title, meeting_id=1, item_id=None, party="MX",
                       owner=None, due=None, priority=None, level=None, now=NOW)  # fmt: skip
    ascii_out = run_cdt(["action", "list"], base_env(db, PYTHONIOENCODING="ascii"))
    assert (ascii_out.code, ascii_out.stdout) == (1, "")
    # The header is ASCII; its rule (─) is not, nor the last titles.
    assert ascii_out.stderr.startswith("Error: the output holds '\\u2500")
    assert "encoding (ascii) cannot write" in ascii_out.stderr
    assert "PYTHONIOENCODING=utf-8" in ascii_out.stderr and ascii_out.stderr.count("\n") == 1
    utf8_out = run_cdt(["action", "list"], base_env(db, PYTHONIOENCODING="utf-8"))
    assert utf8_out.code == 0 and len(utf8_out.stdout.splitlines()) == 2 + LONG_LIST + 5
    assert f"Acción {LONG_LIST + 4}" in utf8_out.stdout


def _without_rich(db: Path, *argv: str) -> tuple[Any, dict[str, str]]:
    """Run ``cdt argv`` on ``db`` in a fresh interpreter, stdout a pipe, and check that it
    never imported Rich; its finished process and environment."""
    import subprocess
    import sys

    from conftest import base_env

    probe = (
        "import sys\n"
        "from consular_dialogue.cli import main\n"
        f"try:\n    main({list(argv)!r})\nexcept SystemExit:\n    pass\n"
        "print('rich.console' in sys.modules, file=sys.stderr)\n"
    )
    env = base_env(db, now="2023-04-24T10:00:00-06:00")
    done = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    )
    assert done.stderr.strip() == "False"
    return done, env


def test_a_long_action_list_to_a_pipe_is_drawn_without_importing_rich(tmp_path: Path) -> None:
    from consular_dialogue.services.actions import add_action

    db = tmp_path / "tracker.json"
    with _one_meeting(db) as repo:
        for n in range(LONG_LIST + 5):
            add_action(repo, title=f"Acción número {n} sobre notificación consular",
                       meeting_id=1, item_id=None, party="MX" if n % 2 else "US",
                       owner="Dirección General", due=TODAY + dt.timedelta(days=n - 30),
                       priority=None, level=None, now=NOW)  # fmt: skip
    done, env = _without_rich(db, "action", "list")
    actions = sorted(open_for_reading(db).all(Action), key=lambda a: (a.due or TODAY, a.id))
    expected = render(actions_table(actions, TODAY, "en"), int(env["COLUMNS"]))
    assert done.stdout == expected
    assert len(done.stdout.splitlines()) == 2 + LONG_LIST + 5


def test_a_long_list_in_colour_is_the_plain_lines_with_styles_around_cells() -> None:
    import re

    table = _mixed_table()
    buffer = io.StringIO()
    Console(file=buffer, width=60, force_terminal=True, color_system="standard").print(
        table, crop=False
    )
    drawn = buffer.getvalue()
    assert "\x1b[1;31m" in drawn  # a bold red title
    assert re.sub(r"\x1b\[[0-9;]*m", "", drawn) == "".join(table.plain_lines(60))


@pytest.mark.parametrize("system", ["standard", "256", "truecolor"])
@pytest.mark.parametrize("no_color", [False, True])
def test_a_long_list_in_colour_is_written_as_rich_writes_its_cells_segments(
    system: str, no_color: bool
) -> None:
    from rich.console import Group
    from rich.segment import Segments
    from rich.style import Style

    from consular_dialogue.render import _Console

    table = _mixed_table()
    table.add_row("7", ("DGPME", "link https://sre.gob.mx"), ("Guía", Style(italic=True)), "")
    table.add_row("8", ("", "bold"), ("—", "dim"), ("12", "green"))
    table.add_row("9", "SRE", "Sin reunión", ("", "bold"))  # empty and last: not padded

    def printed(renderable: Any, width: int, *, crop: bool = True, **options: Any) -> str:
        """As the tool's console prints it (a list alone is never cropped)."""
        buffer = io.StringIO()
        console = _Console(file=buffer, width=width, force_terminal=True, color_system=system,
                           no_color=no_color, **options)  # fmt: skip
        how = {} if crop else {"crop": False}
        console.print(renderable(console) if callable(renderable) else renderable, **how)
        return re.sub(r"\x1b\]8;id=[0-9]+;", "\x1b]8;id=;", buffer.getvalue())  # new for each

    for width in (12, 60, 120):
        written = printed(table, width, crop=False)
        assert written == printed(table, width)  # a list alone is never cropped
        segments = printed(lambda c, w=width: Segments(table._segments(c, w)), width, crop=False)
        assert written == segments
        assert written == printed(table, width, crop=False, record=True)  # segments again
        # Inside another renderable the lines are cropped, by their text alone.
        in_group = printed(lambda c, w=width: Group("A", Segments(table._segments(c, w))), width)
        assert printed(Group("A", table), width) == in_group
        assert ("\x1b[1;31m" in written) != no_color  # bold red, or bold alone
    assert "\x1b]8;id=;https://sre.gob.mx" in written  # a link, around its cell
    # A recording console keeps each cell's style, for an export in HTML, say.
    recording = _Console(file=io.StringIO(), width=60, force_terminal=True, record=True)
    recording.print(table)
    html = recording.export_html()
    assert "\x1b" not in html and "font-weight: bold" in html


def test_a_long_list_in_colour_codes_only_its_cells_with_text() -> None:
    """A style on empty cells alone (a header, a separator, a row) is never looked up,
    as it was not when cells were coded one at a time; a list of no columns draws its
    empty header and rule."""
    from consular_dialogue.render import _Console

    table = LineTable(["id", ""], [False, False])
    table.headers[1] = ("", "no-such-style")
    table.add_separator(("", "no-such-style"))
    table.add_row("1", ("", "no-such-style"))
    for shown in (table, LineTable([], [])):
        buffer = io.StringIO()
        _Console(file=buffer, width=40, force_terminal=True, color_system="256").print(shown)
        drawn = re.sub(r"\x1b\[[0-9;]*m", "", buffer.getvalue())
        assert drawn == "".join(shown.plain_lines(40))


def test_a_long_list_is_written_as_one_string_only_when_printed_alone() -> None:
    """Inside a panel, beside one, restyled, realigned, into a pager, or while another
    thread prints a list alone, the tool's console writes what Rich's own writes."""
    import threading

    import rich.pager
    from rich.console import Group
    from rich.panel import Panel

    from consular_dialogue.render import _Console

    class Kept(rich.pager.Pager):
        def show(self, content: str) -> None:
            self.content = content

    def drawn(console_type: Any, scene: Callable[[Any], str | None]) -> str:
        buffer = io.StringIO()
        console = console_type(file=buffer, width=60, force_terminal=True, color_system="256")
        shown = scene(console)
        return re.sub(r"\x1b\]8;id=[0-9]+;", "", shown if shown is not None else buffer.getvalue())

    def paged(console: Any) -> str:
        pager = Kept()
        with console.pager(pager=pager):
            console.print(_mixed_table())
        return pager.content

    table = _mixed_table()

    def racing(console: Any) -> None:
        """While this thread draws ``table`` in a panel, another prints it alone."""
        drawing, printing, drawn_here = threading.Event(), threading.Event(), threading.Event()

        class Until:
            FITS_WIDTH = True

            def __init__(self, started: threading.Event, go_on: threading.Event) -> None:
                self.started, self.go_on = started, go_on

            def __rich_console__(self, console: Any, options: Any) -> Any:
                self.started.set()
                self.go_on.wait(10)
                yield from ()

        def other() -> None:
            drawing.wait(10)
            console.print(Until(printing, drawn_here), table)

        thread = threading.Thread(target=other)
        thread.start()
        console.print(Group(Until(drawing, printing), Panel(table)))
        drawn_here.set()
        thread.join()

    scenes: dict[str, Callable[[Any], str | None]] = {
        "beside a panel": lambda c: c.print(_mixed_table(), Panel(_mixed_table())),
        "in a panel, uncropped": lambda c: c.print(Panel(_mixed_table()), crop=False),
        "restyled": lambda c: c.print(_mixed_table(), style="italic"),
        "centred": lambda c: c.print(_mixed_table(), justify="center"),
        "into a pager": paged,
    }
    for name, scene in scenes.items():
        assert drawn(_Console, scene) == drawn(Console, scene), name
    # The panel is written first: the other thread's print ends after it.
    panel = drawn(Console, lambda c: c.print(Panel(table)))
    assert drawn(_Console, racing) == panel + drawn(Console, lambda c: c.print(table, crop=False))


def test_every_character_a_list_counts_as_one_cell_is_one_cell_for_rich() -> None:
    from rich.cells import cell_len

    from consular_dialogue.lines import _one_cell_each

    counted = [chr(c) for c in range(0x80, 0x110000) if _one_cell_each(chr(c))]
    assert "ñ" in counted and "Á" in counted and "ł" in counted
    assert "—" in counted and "“" in counted and "…" in counted and "€" in counted
    assert "←" in counted and "→" in counted
    assert "\u0301" not in counted and "領" not in counted and "\u00ad" not in counted
    assert "\u200b" not in counted and "\u2028" not in counted and "\u202e" not in counted
    assert [c for c in counted if cell_len(c) != 1] == []


@given(st.text(alphabet=st.sampled_from(list("ab yz áÑ…—→·\n\u0301漢字😀")), max_size=30))
def test_a_text_takes_as_many_cells_as_rich_counts(text: str) -> None:
    from rich.cells import cell_len

    from consular_dialogue.lines import cell_width

    # ASCII is one cell a character, a line break included, as it always was.
    assert cell_width(text) == (len(text) if text.isascii() else cell_len(text))


def test_a_column_of_latin_text_is_cut_and_padded_as_rich_measures_it() -> None:
    from rich.cells import cell_len, set_cell_size

    from consular_dialogue.lines import _fit_column, _one_cell_each

    def rich_fit(text: str, width: int, pad: bool) -> str:
        if cell_len(text) > width:
            return set_cell_size(text, max(width - 1, 0)) + "…"
        return text + " " * (width - cell_len(text)) if pad else text

    column = ["Notificación consular", "", "Protección", "ñandú " * 9, "SRE", "Œuvre ß ø"]
    two_lines = ["dos\nlíneas", "two\nlines"]  # a timeline's action cells: on one line
    for texts in (column, [*column, "領事局"], [*column, *two_lines], two_lines[1:]):
        for width in range(45):
            for pad in (True, False):
                expected = [rich_fit(t.replace("\n", " "), width, pad) for t in texts]
                joined = "".join(texts)
                one_cell = _one_cell_each(joined)
                fitted = _fit_column(texts, width, pad=pad, joined=joined, one_cell=one_cell)
                assert fitted == expected, (texts, width)


def _agenda_as_rich_cells(
    items: list[AgendaItem], dates: dict[int, PartialDate], *, show_meeting: bool
) -> LineTable:
    """A long agenda list as it was drawn before it was built without Rich: each row's
    cells Rich ``Text``, the topic and origin appended after the title, dim."""
    from consular_dialogue.i18n import label, status_name
    from consular_dialogue.lines import reference_text
    from consular_dialogue.render import plain, status_text

    columns = ["id", *(["meeting"] if show_meeting else []), "title", "status", "lead", "outcome"]
    table = LineTable([label(c, "en") for c in columns], [c in WIDE_COLUMNS for c in columns])
    for i in items:
        date = dates.get(i.meeting_id)
        cells: list[Any] = [str(i.id)]
        if show_meeting:
            cells.append(f"{i.meeting_id} · {date.iso}" if date else reference_text(i.meeting_id))
        title = plain(f"{i.position}. {i.title}")
        under = " ".join(
            p
            for p in (
                plain(i.topic).plain,
                f"← {reference_text(i.carried_from)}" if i.carried_from else "",
            )
            if p
        )
        if under:
            title.append(" · ")
            title.append(under, style="dim")
        lead = plain(status_name(i.lead, "en") if i.lead else "")
        cells += [title, status_text(i.status.value, "en"), lead, plain(i.outcome)]
        table.add_row(*cells)
    return table


def test_a_long_agenda_list_is_drawn_as_its_rich_cells_were_in_plain_and_in_colour() -> None:
    from consular_dialogue.lines import agenda_table

    dates = {1: PartialDate(2023, 4, 17)}
    statuses = list(AgendaStatus)
    items = [
        AgendaItem(
            id=n,
            # Items of meetings the list does not know: one by number, one hand-edited.
            meeting_id=(1 if n % 7 else 99) if n != 3 else "7\x1b",  # type: ignore[arg-type]
            position=n,
            title=f"Notificación consular {n}" + ("\x1b[31m rojo\u202e" if n % 5 == 0 else ""),
            topic=("h2-visas" if n % 3 else "consular-\x07access") if n % 4 else None,
            status=statuses[n % len(statuses)],
            outcome=f"Acuerdo {n}\nsegunda línea" if n % 2 else None,
            lead=[None, "MX", "US", "joint", "Oficina\x1b"][n % 5],
            carried_from=n - 1 if n % 6 == 0 else None,
        )
        for n in range(1, LONG_LIST + 10)
    ]
    assert not isinstance(agenda_table(items[:LONG_LIST], dates, "en"), LineTable)
    for show_meeting in (True, False):
        built = agenda_table(items[: LONG_LIST + 1], dates, "en", show_meeting=show_meeting)
        assert isinstance(built, LineTable)
        built = agenda_table(items, dates, "en", show_meeting=show_meeting)
        expected = _agenda_as_rich_cells(items, dates, show_meeting=show_meeting)
        assert isinstance(built, LineTable)
        for width in (30, 80, 160):
            plain = "".join(built.plain_lines(width))
            assert plain == "".join(expected.plain_lines(width))
            coloured = [io.StringIO(), io.StringIO()]
            for table, buffer in zip((built, expected), coloured, strict=True):
                Console(file=buffer, width=width, force_terminal=True).print(table, crop=False)
            assert coloured[0].getvalue() == coloured[1].getvalue()
        assert "5. Notificación consular 5\\x1b[31m rojo\\u202e · h2-visas" in plain


def test_a_long_agenda_list_to_a_pipe_is_drawn_without_importing_rich(tmp_path: Path) -> None:
    from consular_dialogue.lines import agenda_table
    from consular_dialogue.services.agenda import add_item

    db = tmp_path / "tracker.json"
    with _one_meeting(db) as repo:
        for n in range(LONG_LIST + 5):
            add_item(repo, 1, title=f"Punto {n} sobre notificación consular", topic=None,
                     status=None, outcome="Acordado" if n % 2 else None,
                     lead="MX" if n % 3 else None, level=None, now=NOW)  # fmt: skip
    done, env = _without_rich(db, "agenda", "list")
    stored = open_for_reading(db)
    items = sorted(stored.all(AgendaItem), key=lambda i: i.position)
    dates = {m.id: m.date for m in stored.all(Meeting)}
    expected = render(agenda_table(items, dates, "en"), int(env["COLUMNS"]))
    assert done.stdout == expected
    assert len(done.stdout.splitlines()) == 2 + LONG_LIST + 5


@pytest.mark.parametrize(
    ("listed", "shown", "deep_in"),
    [
        # Their JSON is made as the data file and each part are read, JSON_RUN at a time.
        ((), JSON_RUN + 2, "the last open action"),
        (("--status", "all"), JSON_RUN + 5, "the last open action"),
        (("--status", "done"), 3, "the first done action"),
    ],
)
def test_a_json_list_is_written_whole_or_not_at_all(
    tmp_path: Path, listed: tuple[str, ...], shown: int, deep_in: str
) -> None:
    """All of it is made before any is written: an action orjson cannot write, listed
    after the first JSON_RUN or read from a part, leaves nothing on stdout, and the error
    names what ``cdt check`` finds wrong with it."""
    from conftest import base_env

    from consular_dialogue.services.actions import add_action, complete_actions

    db = tmp_path / "tracker.json"
    count = JSON_RUN + 5
    with _one_meeting(db) as repo:
        for n in range(count):
            add_action(repo, title=f"Acción {n}", meeting_id=1, item_id=None, party="MX",
                       owner=None, due=None, priority=None, level=None, now=NOW)  # fmt: skip
        complete_actions(repo, [1, 2, 3], now=NOW)
    env = base_env(db, now="2023-04-24T10:00:00-06:00")
    whole = run_cdt(["action", "list", *listed, "--json"], env)
    assert whole.code == 0 and len(whole.json()) == shown
    data = read_whole(db)
    deep: Any = "fondo"
    for _ in range(300):  # orjson reads 1,024 levels and writes 254
        deep = [deep]
    # Undated, the last open action is listed last; the first done one is in a part.
    chosen = data["actions"][str(count) if deep_in == "the last open action" else "1"]
    chosen["changes"] = [{"at": chosen["created"], "field": "owner", "from": None, "to": deep}]
    write_whole(db, data)

    result = run_cdt(["action", "list", *listed, "--json"], env)
    # One the list leaves out is never written, so it is no error.
    elsewhere = run_cdt(["action", "list", *listed, "--party", "US", "--json"], env)

    assert result.code == 3
    assert result.stdout == ""
    assert result.stderr.startswith("Error: ") and "Traceback" not in result.stderr
    number = chosen["id"]
    assert f"is damaged: action {number} is malformed (changes[1].new is list" in result.stderr
    assert (elsewhere.code, elsewhere.stdout) == (0, "[]\n")

"""Tables on an 80-column terminal, with the shipped sample data: ids, dates and
statuses are never cut, and free text wraps between words (never inside one)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import Result
from rich.cells import cell_len

from consular_dialogue.i18n import status_name

Run = Callable[..., Result]
WIDTH = "80"


@pytest.fixture
def demo(cdt: Run, db: Path) -> Run:
    assert cdt("demo", "--db", str(db)).code == 0
    return cdt


def shown(run: Run, lang: str, *args: str) -> str:
    result = run("--lang", lang, *args, COLUMNS=WIDTH)
    assert result.code == 0, result.stderr
    assert max(cell_len(line) for line in result.stdout.splitlines()) <= int(WIDTH)
    return result.stdout


def row_of(text: str, record_id: int) -> str:
    """The first line of a record's row: the one that starts with its id."""
    rows = [line for line in text.splitlines() if line.startswith(f"{record_id} ")]
    assert rows, f"no row starts with id {record_id}:\n{text}"
    return rows[0]


def assert_whole_words(text: str, *values: str | None) -> None:
    tokens = set(text.split())
    for value in values:
        for word in (value or "").split():
            assert word in tokens, f"{word!r} was cut:\n{text}"


@pytest.mark.parametrize("lang", ["en", "es"])
def test_agenda_history_keeps_each_meeting_date_and_status_and_names_the_meetings(
    demo: Run, lang: str
) -> None:
    chain: list[dict[str, Any]] = demo("agenda", "history", "12", "--json").json()
    meetings = {m["id"]: m for m in demo("meeting", "list", "--json").json()}
    text = shown(demo, lang, "agenda", "history", "12")
    assert len(chain) == 2
    for item in chain:
        row = row_of(text, item["id"])
        assert item["meeting_date"] in row.split()
        assert status_name(item["status"], lang) in row
        assert_whole_words(text, item["outcome"], meetings[item["meeting_id"]]["title"])


@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize("one_meeting", [True, False])
def test_agenda_list_keeps_ids_dates_statuses_and_whole_topic_slugs(
    demo: Run, lang: str, one_meeting: bool
) -> None:
    only = ["--meeting", "1"] if one_meeting else []
    items: list[dict[str, Any]] = demo("agenda", "list", *only, "--json").json()
    dates = {m["id"]: m["date"] for m in demo("meeting", "list", "--json").json()}
    text = shown(demo, lang, "agenda", "list", *only)
    assert len(items) == (10 if one_meeting else 19)
    for item in items:
        row = row_of(text, item["id"])
        assert status_name(item["status"], lang) in row
        assert (dates[item["meeting_id"]] in row.split()) is not one_meeting
        assert_whole_words(text, item["title"], item["topic"], item["outcome"])


@pytest.mark.parametrize("lang", ["en", "es"])
def test_action_and_meeting_lists_keep_ids_dates_and_statuses(demo: Run, lang: str) -> None:
    actions: list[dict[str, Any]] = demo("action", "list", "--status", "all", "--json").json()
    text = shown(demo, lang, "action", "list", "--status", "all")
    assert len(actions) == 5
    for action in actions:
        row = row_of(text, action["id"])
        assert status_name(action["status"], lang) in row
        if action["due"]:
            assert action["due"] in row.split()
        assert_whole_words(text, action["title"], action["owner"])
    meetings: list[dict[str, Any]] = demo("meeting", "list", "--json").json()
    text = shown(demo, lang, "meeting", "list")
    for meeting in meetings:
        row = row_of(text, meeting["id"])
        assert meeting["date"] in row.split()
        assert status_name(meeting["status"], lang) in row
        assert_whole_words(text, meeting["title"], meeting["location"])


def test_meeting_show_keeps_the_heads_of_delegation_on_one_line(demo: Run) -> None:
    meeting = demo("meeting", "show", "1", "--json").json()
    text = shown(demo, "en", "meeting", "show", "1")
    for delegation in meeting["delegations"]:
        assert delegation["head"] in text
        assert_whole_words(text, delegation["title"])

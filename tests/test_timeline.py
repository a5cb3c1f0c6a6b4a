"""Timelines: golden renderings at a fixed width, narrow terminals, colour and hostile text."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from rich.cells import cell_len
from rich.console import Console, RenderableType
from test_reports import HOSTILE, LANGS, TODAY, build_dialogue, build_hostile, check_golden

from consular_dialogue import reports, timeline
from consular_dialogue.errors import InputError, NotFoundError
from consular_dialogue.storage import Repository, open_for_reading

WIDTHS = (100, 80, 60, 40, 24)


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Repository:
    path = tmp_path_factory.mktemp("timeline") / "tracker.json"
    build_dialogue(path)
    return open_for_reading(path)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Repository:
    path = tmp_path_factory.mktemp("hostile-timeline") / "tracker.json"
    build_hostile(path)
    return open_for_reading(path)


def render(view: RenderableType, width: int = 100, *, color: bool = False) -> str:
    """What a terminal of ``width`` columns shows (no colour unless asked)."""
    console = Console(
        file=io.StringIO(),
        width=width,
        color_system="standard" if color else None,
        force_terminal=color,
        highlight=False,
        markup=False,
        emoji=False,
    )
    console.print(view)
    output = console.file.getvalue()  # type: ignore[attr-defined]
    assert isinstance(output, str)
    return output


def golden_text(output: str) -> str:
    """Rich pads every table line to the full width; the golden files keep no trailing blanks."""
    return "\n".join(line.rstrip() for line in output.splitlines()) + "\n"


def views(repo: Repository, lang: str) -> dict[str, RenderableType]:
    return {
        "meetings": timeline.meeting_timeline(
            reports.build_meeting_timeline(repo, None, TODAY, lang)
        ),
        "topic": timeline.topic_timeline(
            reports.build_topic_timeline(repo, "consular-access", None, TODAY, lang)
        ),
        "actions": timeline.action_timeline(reports.build_action_timeline(repo, None, TODAY, lang)),
    }


@pytest.mark.parametrize("lang", LANGS)
def test_timelines_match_golden_files(repo: Repository, lang: str) -> None:
    for name, view in views(repo, lang).items():
        check_golden(f"timeline-{name}.{lang}.txt", golden_text(render(view)))


@pytest.mark.parametrize("width", [80, 40])
def test_narrow_timelines_match_golden_files(repo: Repository, width: int) -> None:
    for name, view in views(repo, "es").items():
        check_golden(f"timeline-{name}.es.w{width}.txt", golden_text(render(view, width)))


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("dataset", ["repo", "hostile"])
def test_every_line_fits_the_width(
    dataset: str, width: int, request: pytest.FixtureRequest
) -> None:
    data: Repository = request.getfixturevalue(dataset)
    for lang in LANGS:
        for name, view in views(data, lang).items():
            lines = render(view, width).splitlines()
            assert lines, name
            too_wide = [line for line in lines if cell_len(line) > width]
            assert not too_wide, (name, width, too_wide)


def test_narrow_terminals_drop_secondary_columns(repo: Repository) -> None:
    view = views(repo, "en")["meetings"]
    wide, narrow = render(view, 100), render(view, 40)
    assert "Heads of delegation" in wide and "Daria Darnell" in wide
    assert "Heads of delegation" not in narrow and "Daria Darnell" not in narrow
    # the counts are not lost, they join the meeting's cell
    assert "Agenda 5 · 2 open · 1 overdue" in " ".join(narrow.split())


def test_today_marker_sits_between_past_and_future_meetings(repo: Repository) -> None:
    lines = render(views(repo, "en")["meetings"]).splitlines()
    today = next(i for i, line in enumerate(lines) if "today 2023-04-24" in line)
    assert lines[today].startswith("── today 2023-04-24 ──")
    april = next(i for i, line in enumerate(lines) if "17–21 April" in line)
    october = next(i for i, line in enumerate(lines) if "October" in line)
    assert april < today < october


def test_held_planned_and_cancelled_meetings_look_different(repo: Repository) -> None:
    lines = render(views(repo, "en")["meetings"]).splitlines()
    held = next(line for line in lines if "17–21 April" in line)
    planned = next(line for line in lines if "October" in line)
    cancelled = next(line for line in lines if "24 January" in line)
    assert held.lstrip().startswith("●") and planned.lstrip().startswith("○")
    assert cancelled.lstrip().startswith("✕")
    coloured = render(views(repo, "en")["meetings"], color=True).splitlines()
    cancelled_row = next(line for line in coloured if "24 January" in line)
    assert "\x1b[9m" in cancelled_row or ";9m" in cancelled_row  # struck out
    planned_row = next(line for line in coloured if "October" in line)
    assert "\x1b[3m" in planned_row or ";3m" in planned_row  # italic


def test_topic_timeline_shows_the_carry_chain(repo: Repository) -> None:
    text = " ".join(render(views(repo, "en")["topic"], 200).split())
    assert "↳ carried from item 1 (2022-11-08)" in text
    assert "↳ carried from item 5 (2023-04-17)" in text
    spanish = " ".join(render(views(repo, "es")["topic"], 200).split())
    assert "↳ arrastrado del punto 1 (2022-11-08)" in spanish


def test_action_timeline_puts_overdue_before_today_by_party(repo: Repository) -> None:
    lines = render(views(repo, "en")["actions"]).splitlines()
    today = next(i for i, line in enumerate(lines) if "today 2023-04-24" in line)
    overdue = [i for i, line in enumerate(lines) if line.startswith("!")]
    assert overdue and all(i < today for i in overdue)
    assert any("No due date" in line for line in lines[today:])
    assert {"US", "MX", "joint"} <= {word for line in lines for word in line.split()}


def test_date_range_filters_every_timeline(repo: Repository) -> None:
    start, end = dt.date(2023, 1, 1), dt.date(2023, 12, 31)
    meetings = reports.build_meeting_timeline(repo, "mx-us", TODAY, "en", start=start, end=end)
    years = {e.year for e in meetings.entries}
    assert years == {2023}
    actions = reports.build_action_timeline(repo, None, TODAY, "en", start=dt.date(2023, 4, 1))
    dues = [e.action.due for e in actions.entries if isinstance(e, reports.ActionRow)]
    assert dues == ["2023-04-12", "2023-06-30", "2023-06-30"]
    assert actions.undated == ()  # a range asks for dates
    later = reports.build_meeting_timeline(repo, None, TODAY, "en", start=dt.date(2024, 1, 1))
    assert all(not isinstance(e, reports.TodayMarker) for e in later.entries)
    with pytest.raises(InputError, match="after"):
        reports.build_meeting_timeline(repo, None, TODAY, "en", start=end, end=start)


def test_unknown_topic_is_a_clear_error(repo: Repository) -> None:
    with pytest.raises(NotFoundError, match="cdt topic list"):
        reports.build_topic_timeline(repo, "no-such-topic", None, TODAY, "en")


def test_empty_data_file_says_so(tmp_path: Path) -> None:
    empty = open_for_reading(tmp_path / "none.json")
    text = render(
        timeline.meeting_timeline(reports.build_meeting_timeline(empty, None, TODAY, "es"))
    )
    assert "No hay reuniones." in text
    text = render(timeline.action_timeline(reports.build_action_timeline(empty, None, TODAY, "en")))
    assert "No actions." in text
    assert not (tmp_path / "none.json").exists()


@pytest.mark.parametrize("width", [100, 40])
def test_hostile_text_shows_literally_in_timelines(hostile: Repository, width: int) -> None:
    for lang in LANGS:
        for name, view in views(hostile, lang).items():
            for color in (False, True):
                output = render(view, width, color=color)
                # colour may add its own SGR codes; user text adds none, nor OSC links
                assert "\x1b]" not in output and "\x07" not in output, name
                assert "\u202e" not in output and "\u202c" not in output, name
                if not color:
                    assert "\x1b" not in output, name
                    flat = "".join(output.split())
                    assert "[link=http://x]y[/link]" in flat, name
                    assert "\\x1b[31mred" in flat and "\\u202eevil" in flat, name
                    assert "<script>alert(1)</script>" in flat, name


def test_hostile_fixture_really_is_hostile() -> None:
    assert "\x1b" in HOSTILE and "[link=" in HOSTILE and "\u202e" in HOSTILE and "\n" in HOSTILE

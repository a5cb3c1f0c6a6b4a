"""Timelines: golden renderings at a fixed width, narrow terminals, colour and hostile text."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Result, read_whole, write_whole
from hypothesis import given
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.console import Console, RenderableType
from rich.text import Text
from test_reports import (
    HOSTILE,
    LANGS,
    NOW,
    TODAY,
    _action,
    _item,
    _meeting,
    build_dialogue,
    build_hostile,
    check_golden,
)

from consular_dialogue import reports, timeline
from consular_dialogue.errors import InputError, NotFoundError
from consular_dialogue.lines import LONG_LIST, Styled
from consular_dialogue.models import AgendaStatus, Delegation, Meeting, MeetingKind
from consular_dialogue.services import dialogues, topics
from consular_dialogue.storage import Repository, open_for_reading, open_for_writing

WIDTHS = (100, 80, 60, 40, 24)


@pytest.mark.parametrize("system", [None, "standard", "truecolor"])
def test_a_long_timeline_on_a_terminal_is_what_rich_draws_cropping_it(
    long_db: Path, system: str | None
) -> None:
    """The tool's console prints a timeline uncropped, its long table written as one
    string: what Rich's console draws, cropping each line at the width, cell by cell,
    where columns cannot shrink enough (12 and 20 columns)."""
    from consular_dialogue.render import _Console

    for name, view in views(open_for_reading(long_db), "es").items():
        for width in (12, 20, 33, 60, 120):
            drawn = []
            for console_type in (_Console, Console):
                buffer = io.StringIO()
                console = console_type(file=buffer, width=width, color_system=system,
                                       force_terminal=system is not None, highlight=False,
                                       markup=False, emoji=False)  # fmt: skip
                console.print(view)
                drawn.append(buffer.getvalue())
            assert drawn[0] == drawn[1], (name, width)
            widest = max(map(cell_len, re.sub(r"\x1b\[[0-9;]*m", "", drawn[0]).splitlines()))
            assert widest <= width, (name, width)


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


def test_a_long_action_timeline_colours_each_row_by_its_side_and_overdue_ones_red(
    long_db: Path,
) -> None:
    built = reports.build_action_timeline(open_for_reading(long_db), None, TODAY, "en")
    view = timeline.action_timeline(built)
    first, second = built.parties  # MX green, US blue; joint (any other side) magenta
    sides = {first: "green", second: "blue", "joint": "magenta"}
    rows = [row for row in built.entries if isinstance(row, reports.ActionRow)]
    assert rows and {row.action.party for row in rows} == set(sides)
    assert any(row.action.overdue for row in rows) and not all(r.action.overdue for r in rows)
    for row in rows:
        cells = view.cells(row, True)
        side = sides[row.action.party]
        assert cells["party"].style == side
        assert cells["mark"].style == ("bold red" if row.action.overdue else side)


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


# ---- long timelines: one line per row, written without Rich to a pipe -----------------


@pytest.fixture(scope="module")
def long_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """More meetings, consular-access items and open actions than ``LONG_LIST``, so that
    each timeline is drawn one line per row; half their text is hostile."""
    path = tmp_path_factory.mktemp("long-timeline") / "tracker.json"
    with open_for_writing(path) as repo:
        topics.load_catalog(repo, NOW)
        dialogues.add_dialogue(repo, name="Diálogo Consular México–Estados Unidos", key="mx-us",
                               parties=["MX", "US"], established=None, notes=None, now=NOW)  # fmt: skip
        for n in range(LONG_LIST + 6):
            text = HOSTILE if n % 2 else f"Reunión {n} en Ciudad de México"
            day = f"{2012 + n // 6}-{1 + 2 * (n % 6):02d}" + ("" if n % 7 == 0 else "-15")
            heads = [Delegation("MX", text, "Subsecretario"), Delegation("US", f"Jefa {n}")]
            meeting = _meeting(repo, text, (MeetingKind.ANNUAL, MeetingKind.INTERMEDIATE)[n % 2],
                               day, location=text, host="MX", delegations=heads)  # fmt: skip
            item = _item(repo, meeting, text, "consular-access", list(AgendaStatus)[n % 4],
                         text if n % 3 else None, when="2023-04-21")  # fmt: skip
            due = None if n % 9 == 0 else (TODAY + dt.timedelta(days=7 * n - 200)).isoformat()
            _action(repo, text, item_id=item.id, party=("MX", "US", "joint")[n % 3], owner=text,
                    due=due, when="2023-04-21")  # fmt: skip
    return path


def _drawn_by_rich(view: RenderableType, width: int) -> str:
    """``view`` as the CLI's console draws it on a pipe of ``width`` columns."""
    from consular_dialogue.render import make_console

    buffer = io.StringIO()
    console = make_console(buffer)
    console.width = width
    console.print(view)
    return buffer.getvalue()


@pytest.mark.parametrize("lang", LANGS)
def test_a_long_timeline_written_plain_is_what_rich_draws(long_db: Path, lang: str) -> None:
    for name, view in views(open_for_reading(long_db), lang).items():
        assert isinstance(view, timeline.Axis)
        for width in (30, 40, 72, 100, 119, 120, 160):
            drawn = _drawn_by_rich(view, width)
            assert len(drawn.splitlines()) > LONG_LIST + 3, (name, width)  # one line per row
            # Plain lines are written unless the title or legend would wrap.
            ends = [view.title] + ([view.legend] if view.legend is not None else [])
            fits = all(cell_len(end.plain) <= width and "\n" not in end.plain for end in ends)
            lines = view.plain_lines(width)
            assert (lines is not None) == fits, (name, width)
            if lines is not None:
                assert "".join(lines) == drawn, (name, width)


def test_a_long_meeting_timeline_lists_each_meeting_once_under_its_year_and_today_between(
    long_db: Path,
) -> None:
    repo = open_for_reading(long_db)
    meetings = {m.id: m for m in repo.all(Meeting)}
    lines = timeline.meeting_timeline(
        reports.build_meeting_timeline(repo, None, TODAY, "en")
    ).plain_lines(120)
    assert lines is not None
    year, today_seen, listed = None, False, []
    for line in "".join(lines).splitlines()[3:-1]:  # title, header, rule; legend
        if line.isdigit():
            year = int(line)
        elif line.startswith("── today"):
            today_seen = True
        else:
            meeting = meetings[int(line.split()[1])]
            assert meeting.date.year == year, line
            assert (meeting.date.first_day() >= TODAY) == today_seen, line
            listed.append(meeting.id)
    assert today_seen and sorted(listed) == sorted(meetings)


def test_a_short_timeline_is_left_to_rich(repo: Repository) -> None:
    for view in views(repo, "en").values():
        assert isinstance(view, timeline.Axis) and view.plain_lines(100) is None


@pytest.mark.parametrize("line", [["timeline"], ["timeline", "--actions"]])
def test_a_long_timeline_to_a_pipe_is_drawn_without_importing_rich(
    long_db: Path, line: list[str]
) -> None:
    import subprocess
    import sys

    from conftest import base_env

    probe = (
        "import sys\n"
        "from consular_dialogue.cli import main\n"
        "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
        "print('rich.console' in sys.modules, file=sys.stderr)\n"
    )
    env = base_env(long_db, now="2023-04-24T10:00:00-06:00")
    done = subprocess.run(
        [sys.executable, "-c", probe, *line], env=env, capture_output=True, text=True, check=True
    )
    assert done.stderr.strip() == "False"
    repo = open_for_reading(long_db)
    view = views(repo, "en")["actions" if "--actions" in line else "meetings"]
    assert done.stdout == _drawn_by_rich(view, int(env["COLUMNS"]))


_TEXTS = st.text(alphabet="ab ·é●\n\t\x07\x08\x0b\x0c\r\x1b", max_size=5)
_STYLES = st.sampled_from(["", "bold", "dim", "red on white"])


@given(st.lists(st.tuples(st.integers(0, 5), _TEXTS, _STYLES, st.lists(st.integers(0, 9))),
                max_size=12))  # fmt: skip
def test_styled_text_is_the_text_rich_builds_from_the_same_calls(
    steps: list[tuple[int, str, str, list[int]]],
) -> None:
    """Each step makes or changes a text both ways: a new one, an appended string or text,
    an assembly, a join, a style over the whole."""
    pairs: list[tuple[Styled, Text]] = [(Styled(), Text())]
    for op, words, style, picks in steps:
        picked = [pairs[i % len(pairs)] for i in picks]
        styled, text = pairs[-1]
        if op == 0:
            pairs.append((Styled(words, style), Text(words, style=style)))
        elif op == 1:
            styled.append(words, style)
            text.append(words, style=style)
        elif op == 2 and picked and picked[0][0] is not styled:
            styled.append(picked[0][0])
            text.append(picked[0][1])
        elif op == 3:
            pairs.append(
                (Styled.assemble(words, (words, style), *(p[0] for p in picked)),
                 Text.assemble(words, (words, style), *(p[1] for p in picked)))
            )  # fmt: skip
        elif op == 4:
            pairs.append((Styled(words, style).join([p[0] for p in picked]),
                          Text(words, style=style).join([p[1] for p in picked])))  # fmt: skip
        else:
            styled.stylize(style)
            text.stylize(style)
    for styled, text in pairs:
        expected = (text.plain, text.style, [tuple(span) for span in text.spans])
        assert (styled.plain, styled.style, styled.spans) == expected
        built = styled.text()
        assert (built.plain, built.style, built.spans) == (text.plain, text.style, text.spans)


def test_the_meeting_timeline_counts_items_by_their_meeting_alone(
    cdt: Callable[..., Result], db: Path
) -> None:
    """Reads build what they show: the timeline counts an item damaged elsewhere (the
    commands that read the rest of it name the damage, as cdt check does), and refuses
    one whose meeting it cannot read."""
    assert cdt("dialogue", "add", "D", "--key", "d", "--parties", "MX,US").code == 0
    assert cdt("meeting", "add", "M", "--kind", "annual", "--date", "2023-04-17").code == 0
    for title in ("Acceso consular", "Visas H-2", "Doble nacionalidad"):
        assert cdt("agenda", "add", "1", title).code == 0
    data = read_whole(db)
    data["agenda_items"]["2"]["status"] = "nonsense"
    write_whole(db, data)
    shown = cdt("timeline")
    assert shown.code == 0, shown.stderr
    row = next(line for line in shown.stdout.splitlines() if "Annual" in line)
    assert row.split()[-1] == "3"  # the Agenda column; no open actions after it
    refused = cdt("agenda", "list", "--meeting", "1")
    assert refused.code == 3 and "damaged agenda item record" in refused.stderr
    checked = cdt("check")
    assert checked.code != 0 and "nonsense" in checked.stdout + checked.stderr
    del data["agenda_items"]["2"]["meeting_id"]
    write_whole(db, data)
    before = db.read_bytes()
    unreadable = cdt("timeline")
    assert unreadable.code == 3 and "damaged agenda item record" in unreadable.stderr
    assert "Traceback" not in unreadable.stderr
    assert db.read_bytes() == before


def test_the_action_timeline_of_a_dialogue_shows_only_its_meetings_actions(
    cdt: Callable[..., Result],
) -> None:
    for args in [
        ("dialogue", "add", "Diálogo Consular", "--key", "consular", "--parties", "MX,US"),
        ("dialogue", "add", "Grupo Técnico", "--key", "gt", "--parties", "MX,GT"),
        ("meeting", "add", "Intermedia", "--kind", "intermediate", "--date", "2023-04-17",
         "--dialogue", "consular"),
        ("meeting", "add", "Técnica", "--kind", "working-group", "--date", "2023-05-02",
         "--dialogue", "gt"),
        ("action", "add", "Guía consular", "--meeting", "1", "--due", "2023-05-10"),
        ("action", "add", "Ficha técnica", "--meeting", "2", "--due", "2023-05-11"),
        ("action", "add", "Sin fecha técnica", "--meeting", "2"),
    ]:  # fmt: skip
        assert cdt(*args).code == 0, args
    shown = {}
    for key in ("consular", "gt"):
        result = cdt("timeline", "--actions", "--dialogue", key)
        assert result.code == 0, result.stderr
        shown[key] = result.stdout
    assert "Guía consular" in shown["consular"] and "técnica" not in shown["consular"]
    assert "Ficha técnica" in shown["gt"] and "Sin fecha técnica" in shown["gt"]
    assert "Guía consular" not in shown["gt"]


def test_the_meeting_timeline_reads_of_each_meeting_what_its_model_says(
    cdt: Callable[..., Result], db: Path
) -> None:
    from consular_dialogue.models import TimelineMeeting
    from consular_dialogue.storage import every

    assert cdt("demo", "--db", str(db)).code == 0
    with open_for_writing(db) as repo:  # a meeting with no delegation and an end date
        meeting = repo.get(Meeting, 1)
        meeting.delegations = [Delegation("MX", head=None, title="Directora"), Delegation("US")]
        meeting.end_date = meeting.date
        repo.update(meeting)
    views = open_for_reading(db).select_as(Meeting, TimelineMeeting.from_record, every)
    models = open_for_reading(db).all(Meeting)
    assert len(views) == len(models) > 1
    for view, model in zip(views, models, strict=True):
        heads = tuple((d.party, d.head, d.title) for d in model.delegations)
        fields = [name for name in TimelineMeeting._fields if name != "heads"]
        assert view == (*(getattr(model, name) for name in fields), heads)
    assert views[0].heads == (("MX", None, "Directora"), ("US", None, None))


def test_the_meeting_timeline_of_a_dialogue_shows_its_meetings_only_equal_days_by_id(
    tmp_path: Path,
) -> None:
    from consular_dialogue.dates import PartialDate
    from consular_dialogue.services.meetings import MeetingFields, record_meeting

    path = tmp_path / "tracker.json"
    with open_for_writing(path) as repo:
        for key, other in (("mx-us", "US"), ("mx-gt", "GT")):
            dialogues.add_dialogue(repo, name=key, key=key, parties=["MX", other],
                                   established=None, notes=None, now=NOW)  # fmt: skip
        for key, date in [("mx-us", "2023-04"), ("mx-gt", "2023-04-01"), ("mx-us", "2023-04-01"),
                          ("mx-us", "2023"), ("mx-gt", "2022")]:  # fmt: skip
            fields = MeetingFields(
                title=f"{key} {date}", kind=MeetingKind.OTHER, date=PartialDate.from_iso(date)
            )
            record_meeting(repo, fields, dialogue_key=key, now=NOW)

    def shown(key: str) -> list[int]:
        built = reports.build_meeting_timeline(open_for_reading(path), key, TODAY, "en")
        return [row.meeting_id for row in built.entries if isinstance(row, reports.MeetingRow)]

    # 2023 and 2023-04 count from their first days: 2023-01-01, then 2023-04-01 twice.
    assert shown("mx-us") == [4, 1, 3]
    assert shown("mx-gt") == [5, 2]

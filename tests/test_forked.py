"""Work shared with a forked child (``forked.in_two``), and the commands that use it.

A fork is tried only in a process with no thread but its main one: pytest's workers
have more, so each case runs in a process of its own, started here.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import pty
import struct
import subprocess
import sys
import termios
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import NOW, base_env, cdt_executable
from hypothesis import given, settings
from hypothesis import strategies as st
from test_parts import dialogue_with_meetings
from test_reports import build_dialogue

from consular_dialogue.cli.reads import EXPORT_IN_TWO_FROM, LIST_IN_TWO_FROM, REPORT_IN_TWO_FROM
from consular_dialogue.exporters import ExportContext
from consular_dialogue.exporters.ics import actions_ics
from consular_dialogue.i18n import label
from consular_dialogue.lines import LineTable, actions_table, terminal_codes
from consular_dialogue.models import Action, ActionLine, ActionStatus, Topic
from consular_dialogue.reports import build_standing_report, to_text
from consular_dialogue.services.actions import (
    ActionFields,
    ActionFilter,
    add_action,
    add_note,
    list_action_lines,
    set_action,
)
from consular_dialogue.storage import open_for_reading, open_for_writing

MOMENT = dt.datetime(2023, 4, 24, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=-6)))

needs_two_processors = pytest.mark.skipif(
    len(os.sched_getaffinity(0)) < 2 if hasattr(os, "sched_getaffinity") else True,
    reason="one processor here (or no affinity to read): nothing is forked",
)


def run_script(script: str, *args: str) -> Any:
    """``script``'s JSON on stdout, run in a new Python with no other thread."""
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def alone_if(one_processor: bool) -> Callable[[], None] | None:
    """What a child process runs before its command to run on the first processor
    this one may use, alone (where nothing is forked), if ``one_processor``."""
    first = min(os.sched_getaffinity(0))
    return (lambda: os.sched_setaffinity(0, {first})) if one_processor else None


# Two shares that tell each other their size: what each made, saw and where; and
# which exception the caller got. argv: the step that fails in share 1, if any
# ("make", "measure", "share"), or "here" (share 0 fails), and whether to fork.
_IN_TWO = """
import json, os, sys
from consular_dialogue.forked import in_two
failing, fork = sys.argv[1], sys.argv[2] == "fork"
calls = []
def make():
    calls.append(["make", os.getpid()])
    if failing == "make" and os.getpid() != me:
        raise ValueError("make failed in the child")
    return {"rows": [3, 5]}
def measure(made, share):
    calls.append(["measure", share])
    if failing == "measure" and share == 1:
        raise ValueError("share 1 cannot be measured")
    return made["rows"][share] * 10
def share_of(made, share, sizes):
    calls.append(["share", share])
    if failing == "share" and share == 1:
        raise ValueError("share 1 cannot be made")
    if failing == "here" and share == 0:
        raise ValueError("share 0 cannot be made")
    return {"share": share, "sizes": sizes, "pid": os.getpid()}
me = os.getpid()
try:
    here, made = in_two(make, share_of, measure=measure, fork=fork)
    raised = None
except ValueError as exc:
    here, made, raised = None, None, str(exc)
try:
    left = os.waitpid(-1, os.WNOHANG)
except ChildProcessError:
    left = None
print(json.dumps({"here": here, "made": made, "raised": raised, "calls": calls, "me": me,
                  "left": left}))
"""


@needs_two_processors
def test_in_two_tells_each_share_the_others_size_and_makes_the_second_in_a_child() -> None:
    ran = run_script(_IN_TWO, "none", "fork")
    assert ran["here"] == {"rows": [3, 5]}  # what this process made, given back
    first, second = ran["made"]
    assert first == {"share": 0, "sizes": [30, 50], "pid": ran["me"]}
    assert second["sizes"] == [30, 50] and second["pid"] != ran["me"]
    # This process made and measured only its own share.
    assert ran["calls"] == [["make", ran["me"]], ["measure", 0], ["share", 0]]
    assert ran["left"] is None


def test_in_two_without_a_fork_makes_both_shares_here_alike() -> None:
    ran = run_script(_IN_TWO, "none", "one")
    me = ran["me"]
    assert ran["made"] == [
        {"share": 0, "sizes": [30, 50], "pid": me},
        {"share": 1, "sizes": [30, 50], "pid": me},
    ]


@needs_two_processors
@pytest.mark.parametrize(
    ("failing", "raised"),
    [
        ("make", None),  # only the child's make fails: here it does not
        ("measure", "share 1 cannot be measured"),
        ("share", "share 1 cannot be made"),
        ("here", "share 0 cannot be made"),  # and the child is ended
    ],
)
def test_in_two_makes_here_what_a_failed_child_did_not_send(
    failing: str, raised: str | None
) -> None:
    """Whichever step fails in the child, this process goes on from there, as it would
    alone: it raises what one process raises, or makes both shares. A failure here is
    raised, and the child ended."""
    ran = run_script(_IN_TWO, failing, "fork")
    assert ran["raised"] == raised
    assert ran["left"] is None  # the child was reaped
    if raised is None:
        assert [share["pid"] for share in ran["made"]] == [ran["me"], ran["me"]]
        assert [share["sizes"] for share in ran["made"]] == [[30, 50], [30, 50]]


# A second share of None, and the process that made it (the last to write it down).
_NONE = """
import json, os, sys
from consular_dialogue.forked import in_two
def share_of(made, share, sizes):
    if share == 1:
        with open(sys.argv[1], "w") as made_by:
            made_by.write(str(os.getpid()))
print(json.dumps({"shares": in_two(lambda: None, share_of)[1], "me": os.getpid()}))
"""


@needs_two_processors
def test_a_share_that_is_none_is_not_taken_for_a_failed_child(tmp_path: Path) -> None:
    made_by = tmp_path / "made_by"
    ran = run_script(_NONE, str(made_by))
    assert ran["shares"] == [None, None]
    assert int(made_by.read_text()) != ran["me"]  # the child's None was kept


# ---- the iCalendar export of many actions ---------------------------------------------

HOSTILE = [
    "Plain title",
    "Café, niño; «comillas» — guion",
    "Line\nbreak and \\backslash, comma; semicolon",
    "\x1b[31mred\x1b[0m \u202eright-to-left",
    "汉字 and emoji 🎉 that fold " * 4,
]


def many_dated_actions(db: Path, count: int) -> None:
    """A meeting and ``count`` actions, each due, of every status, with notes and
    texts that must be escaped and folded."""
    with open_for_writing(db) as repo:
        dialogue_with_meetings(repo, "M")
        statuses = list(ActionStatus)
        for n in range(count):
            text = HOSTILE[n % len(HOSTILE)]
            action = add_action(
                repo, title=f"{n} {text}", meeting_id=1, item_id=None,
                party=["MX", "US", "joint"][n % 3], owner=HOSTILE[(n + 1) % len(HOSTILE)],
                due=dt.date(2023, 5, 1) + dt.timedelta(days=n % 700), priority=None,
                level=None, now=MOMENT,
            )  # fmt: skip
            if n % 7 == 0:
                add_note(repo, action.id, HOSTILE[(n + 2) % len(HOSTILE)], level=None, now=MOMENT)
            status = statuses[n % len(statuses)]
            if status != ActionStatus.OPEN:
                set_action(repo, action.id, ActionFields(status=status), now=MOMENT)


@needs_two_processors
def test_an_ics_export_written_in_two_processes_is_the_one_written_in_one(
    tmp_path: Path,
) -> None:
    """The whole command, forked, held to one processor, and as the exporter writes it
    in one piece, on more actions than one process writes alone."""
    db = tmp_path / "tracker.json"
    count = 9001  # dated actions: enough bytes to fork (asserted below)
    many_dated_actions(db, count)
    with open_for_writing(db) as repo:  # and two undated ones, left out
        for title in ("Sin fecha", "Undated"):
            add_action(
                repo, title=title, meeting_id=1, item_id=None, party="MX", owner=None,
                due=None, priority=None, level=None, now=MOMENT,
            )  # fmt: skip
    repo = open_for_reading(db)
    assert repo.unparsed_bytes() + repo.parts_bytes(Action) >= EXPORT_IN_TWO_FROM
    args = ["export", "actions", "--format", "ics", "--status", "all"]
    two, said, forked_cpu = run_in_process(args, db)
    one = run_bytes([cdt_executable(), *args], db, one_processor=True)
    assert said == "Left out 2 undated actions: 9002 (Sin fecha); 9003 (Undated).\n"
    now = dt.datetime.fromisoformat(NOW)
    ctx = ExportContext(
        today=now.date(),
        now=now,
        lang="en",
        meeting_titles={1: "M"},
        topics={t.slug: t for t in repo.all(Topic)},
    )
    whole = actions_ics(sorted_by_due(repo.all(Action)), ctx).text.encode()
    assert forked_cpu > 0  # a child did some of it
    assert two == one == whole
    assert two.count(b"BEGIN:VTODO") == count


def sorted_by_due(actions: list[Action]) -> list[Action]:
    """As ``list_actions`` lists them: by due date, undated last, by id."""
    return sorted(actions, key=lambda a: (a.due is None, a.due or dt.date.max, a.id))


def run_bytes(command: list[str], db: Path, *, one_processor: bool = False) -> bytes:
    """The stdout of a command that must succeed; with ``one_processor``, run on one
    processor (``alone_if``)."""
    done = subprocess.run(
        command,
        capture_output=True,
        env=base_env(db),
        timeout=120,
        check=False,
        preexec_fn=alone_if(one_processor),
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


# The command line run by ``cli.main`` in a process of its own, its stdout into a file
# (what it says stays on stderr); then the processor time its children took, on stdout.
_MAIN = """
import os, resource, sys
out = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
saved = os.dup(1)
os.dup2(out, 1)
from consular_dialogue.cli import main
try:
    main(sys.argv[2:])
finally:
    sys.stdout.flush()
    os.dup2(saved, 1)
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(usage.ru_utime + usage.ru_stime)
"""


def run_in_process(args: list[str], db: Path) -> tuple[bytes, str, float]:
    """What ``cdt args`` writes on stdout and says on stderr, and the processor time of
    the children its process forked (none forked: 0)."""
    written = db.with_name("stdout.bin")
    done = subprocess.run(
        [sys.executable, "-c", _MAIN, str(written), *args],
        capture_output=True,
        text=True,
        env=base_env(db),
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return written.read_bytes(), done.stderr, float(done.stdout)


@pytest.mark.parametrize("lang", ["en", "es"])
def test_actions_ics_in_two_shares_is_the_text_of_one(tmp_path: Path, lang: str) -> None:
    """Share 0 and share 1, one after the other, are the whole calendar; share 0
    names every action left out, share 1 none. Of an odd count, and of one."""
    db = tmp_path / "tracker.json"
    many_dated_actions(db, 61)
    with open_for_writing(db) as repo:  # one undated action among them, left out
        add_action(
            repo, title="Sin fecha", meeting_id=1, item_id=None, party="MX", owner=None,
            due=None, priority=None, level=None, now=MOMENT,
        )  # fmt: skip
    actions = sorted_by_due(open_for_reading(db).all(Action))
    ctx = ExportContext(today=dt.date(2024, 9, 2), now=dt.datetime(2024, 9, 2, 15, 30,
                        tzinfo=dt.UTC), lang=lang)  # fmt: skip
    for listed in (actions, actions[:1], actions[-1:]):
        whole = actions_ics(listed, ctx)
        first, second = (actions_ics(listed, ctx, share=share) for share in (0, 1))
        assert first.text + second.text == whole.text
        assert first.left_out == whole.left_out and second.left_out == ()
    assert actions_ics(actions, ctx).text.count("BEGIN:VTODO") == 61


# ---- the text of a large dialogue's report ----------------------------------------------


@needs_two_processors
@pytest.mark.parametrize("lang", ["en", "es"])
def test_a_large_reports_text_made_in_two_processes_is_the_one_made_in_one(
    tmp_path: Path, lang: str
) -> None:
    """A realistic dialogue with enough unfinished actions (and notes) for its report
    to be made in two processes, run as a user runs it and again held to one processor,
    on stdout and into a file."""
    db = tmp_path / "tracker.json"
    build_dialogue(db)
    with open_for_writing(db) as repo:
        for n in range(3600):
            action = add_action(
                repo, title=f"{n} {HOSTILE[n % len(HOSTILE)]}", meeting_id=1 + n % 3,
                item_id=None, party=["MX", "US", "joint"][n % 3], owner=HOSTILE[n % 4],
                due=dt.date(2023, 5, 1) + dt.timedelta(days=n % 900), priority=None,
                level=None, now=MOMENT,
            )  # fmt: skip
            add_note(repo, action.id, HOSTILE[n % len(HOSTILE)] * 3, level=None, now=MOMENT)
    assert open_for_reading(db).unparsed_bytes() >= REPORT_IN_TWO_FROM
    args = ["--lang", lang, "report"]
    two, _, forked_cpu = run_in_process(args, db)
    one = run_bytes([cdt_executable(), *args], db, one_processor=True)
    today = dt.datetime.fromisoformat(NOW).date()
    whole = to_text(build_standing_report(open_for_reading(db), None, today, lang))
    assert forked_cpu > 0  # a child did some of it
    assert two == one == whole.encode()
    # Both shares are there: the open items' and the actions'.
    assert label("open_items_by_topic", lang).encode() in two
    assert label("actions_by_party", lang).encode() in two
    written = tmp_path / "report.txt"
    run_bytes([cdt_executable(), *args, "-o", str(written)], db)
    assert written.read_bytes() == one


# ---- a long list of actions, drawn in two shares ---------------------------------------

# Texts that take one cell a character, and texts that do not (wide, combining, emoji,
# line breaks, controls made visible): a share of either kind may meet one of the other.
LIST_TEXT = st.text(
    alphabet=st.sampled_from([*"abc xyz-ñÁé—←", "汉", "字", "🎉", "\n", "\x1b", "\u0301"]),
    max_size=40,
)


@st.composite
def action_lines(draw: st.DrawFn) -> list[ActionLine]:
    count = draw(st.integers(min_value=0, max_value=30))
    return [
        ActionLine(
            n,
            draw(st.integers(min_value=1, max_value=10**6)),
            None,
            draw(LIST_TEXT),
            draw(st.sampled_from(["MX", "US", "joint", "CA"])),
            draw(st.none() | LIST_TEXT),
            draw(st.none() | st.dates(dt.date(2020, 1, 1), dt.date(2030, 12, 31))),
            draw(st.sampled_from(list(ActionStatus))),
        )
        for n in range(1, count + 1)
    ]


@settings(max_examples=300, deadline=None)
@given(
    lines=action_lines(),
    cut=st.integers(min_value=0, max_value=30),
    width=st.integers(min_value=10, max_value=160),
    coded=st.booleans(),
    lang=st.sampled_from(["en", "es"]),
)
def test_a_long_list_drawn_in_two_shares_is_the_list_drawn_whole(
    lines: list[ActionLine], cut: int, width: int, coded: bool, lang: str
) -> None:
    """Each share's table of its own rows, drawn at the widths both measure, then the
    other's: the lines of the table of every row, plain and with their codes."""
    today = dt.date(2024, 9, 2)
    whole = actions_table(lines, today, lang, long=True)
    shares = [actions_table(part, today, lang, long=True) for part in (lines[:cut], lines[cut:])]
    assert isinstance(whole, LineTable)
    assert all(isinstance(share, LineTable) for share in shares)
    measures = [share.measure() for share in shares]  # type: ignore[union-attr]
    drawn = "".join(
        share.share_text(width, terminal_codes if coded else None, measures, first=n == 0)  # type: ignore[union-attr]
        for n, share in enumerate(shares)
    )
    expected = whole.terminal_lines(width) if coded else whole.plain_lines(width)
    assert expected is not None
    assert drawn == "".join(expected)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        # Wide characters in one share only: the width is their cells, not characters.
        (["汉字汉字汉字"], ["abcdefgh"]),
        (["abcdefgh"], ["汉字汉字汉字"]),
        # Latin text with line breaks in one share, a wide one in the other: the breaks
        # take no cell there, as Rich counted them.
        (["ñ\nñ\nñ\nñ\nñ"], ["汉"]),
    ],
)
@pytest.mark.parametrize("coded", [False, True])
def test_a_share_of_one_cell_a_character_and_one_of_wider_text_meet_at_the_whole_widths(
    first: list[str], second: list[str], coded: bool
) -> None:
    def lines_of(titles: list[str], start: int) -> list[ActionLine]:
        return [
            ActionLine(start + n, 1, None, title, "MX", title, None, ActionStatus.OPEN)
            for n, title in enumerate(titles)
        ]

    shares = [actions_table(lines_of(first, 1), dt.date(2024, 9, 2), "en", long=True),
              actions_table(lines_of(second, 2), dt.date(2024, 9, 2), "en", long=True)]  # fmt: skip
    whole = actions_table(lines_of(first + second, 1), dt.date(2024, 9, 2), "en", long=True)
    assert isinstance(whole, LineTable)
    measures = [share.measure() for share in shares]  # type: ignore[union-attr]
    codes = terminal_codes if coded else None
    drawn = "".join(
        share.share_text(120, codes, measures, first=n == 0)  # type: ignore[union-attr]
        for n, share in enumerate(shares)
    )
    expected = whole.terminal_lines(120) if coded else whole.plain_lines(120)
    assert expected is not None
    assert drawn == "".join(expected)
    # There is room: each title of one line is whole, its column as wide as its cells.
    assert all(title in drawn for title in first + second if "\n" not in title)


def test_a_table_with_separators_is_not_drawn_in_shares() -> None:
    table = LineTable(["a"], [False])
    table.add_row("x")
    table.add_separator("2024")
    with pytest.raises(ValueError, match="separators"):
        table.share_text(80, None, [table.measure()], first=True)


def many_finished_actions(db: Path, count: int) -> None:
    """``count`` actions, most of them finished (in parts), each with a long note, of
    texts of every kind a list must fit."""
    texts = [*HOSTILE, "Título con acentos — y guion", "汉字 wide"]
    with open_for_writing(db) as repo:
        dialogue_with_meetings(repo, "M", "N")
        for n in range(count):
            action = add_action(
                repo, title=f"{n} {texts[n % len(texts)]}", meeting_id=1 + n % 2,
                item_id=None, party=["MX", "US", "joint"][n % 3],
                owner=texts[(n + 3) % len(texts)] if n % 4 else None,
                due=dt.date(2023, 5, 1) + dt.timedelta(days=n % 900) if n % 5 else None,
                priority=None, level=None, now=MOMENT,
            )  # fmt: skip
            add_note(repo, action.id, "nota larga " * 180, level=None, now=MOMENT)
            status = [ActionStatus.DONE, ActionStatus.CANCELLED, ActionStatus.DONE][n % 3]
            if n % 10:
                set_action(repo, action.id, ActionFields(status=status), now=MOMENT)


# A list drawn by ListShares in two processes: its text, the list drawn whole, and the
# processes that set out to draw share 1, one line each. With "ends" (argv 3), the
# child ends as it starts share 1, after both told their sizes (as a child killed
# then would).
_LIST_SHARES = """
import datetime as dt, json, os, pathlib, sys
from consular_dialogue.cli.reads import ListShares
from consular_dialogue.lines import actions_table
from consular_dialogue.services.actions import ActionFilter
from consular_dialogue.storage import open_for_reading
repo, (made_by, mode), me = open_for_reading(pathlib.Path(sys.argv[1])), sys.argv[2:], os.getpid()
today = dt.date(2023, 4, 24)
class Told(ListShares):
    def share_of(self, lines, share, sizes):
        if share == 1:
            with open(made_by, "a") as told:
                told.write(f"{'here' if os.getpid() == me else 'child'}\\n")
            if mode == "ends" and os.getpid() != me:
                os._exit(1)
        return super().share_of(lines, share, sizes)
shares = Told(repo, ActionFilter(all_statuses=True), today, "en", (100, False))
lines, drawn = shares.drawn()
whole = "".join(actions_table(lines, today, "en").plain_lines(100))
print(json.dumps({"drawn": drawn, "whole": whole}))
"""


@needs_two_processors
@pytest.mark.parametrize(
    ("mode", "made_by"),
    [
        ("kept", ["child"]),  # drawn in shares, share 1 by the child, and kept
        ("ends", ["child", "here"]),  # the child ends: this process draws share 1
    ],
)
def test_a_long_lists_second_share_is_the_childs_or_made_here_when_it_ends(
    tmp_path: Path, mode: str, made_by: list[str]
) -> None:
    db = tmp_path / "tracker.json"
    many_finished_actions(db, 200)
    told = tmp_path / "made_by"
    ran = run_script(_LIST_SHARES, str(db), str(told), mode)
    assert told.read_text().split() == made_by
    assert ran["drawn"] is not None  # drawn in shares, not left to the whole
    assert ran["drawn"] == ran["whole"]
    assert len(ran["drawn"].splitlines()) == 200 + 2


@needs_two_processors
def test_a_list_of_every_action_drawn_in_two_processes_is_the_one_drawn_in_one(
    tmp_path: Path,
) -> None:
    """On more bytes of finished actions than one process draws alone: as a user runs
    it, held to one processor, and as the list's table of every action is drawn."""
    db = tmp_path / "tracker.json"
    many_finished_actions(db, 8000)
    repo = open_for_reading(db)
    assert repo.parts_bytes(Action) >= LIST_IN_TWO_FROM
    args = ["action", "list", "--status", "all"]
    two, _, forked_cpu = run_in_process(args, db)
    one = run_bytes([cdt_executable(), *args], db, one_processor=True)
    assert forked_cpu > 0  # a child did some of it
    today = dt.datetime.fromisoformat(NOW).date()
    listed = list_action_lines(repo, ActionFilter(all_statuses=True), today=today)
    table = actions_table(listed, today, "en")
    assert isinstance(table, LineTable)
    whole = "".join(table.plain_lines(int(base_env(db)["COLUMNS"])))
    assert two == one == whole.encode()
    assert len(two.splitlines()) == 8000 + 2  # the header, its rule, every action


# ``cli.main`` on the standard streams it is given; then the processor time of its
# children, as the last line on stderr.
_MAIN_HERE = """
import resource, sys
from consular_dialogue.cli import main
try:
    main(sys.argv[1:])
finally:
    sys.stdout.flush()
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(usage.ru_utime + usage.ru_stime, file=sys.stderr)
"""


def on_terminal(command: list[str], db: Path, *, one_processor: bool = False) -> bytes:
    """What ``command`` writes on a terminal of 120 columns (its own pseudo-terminal,
    colours allowed), and its stderr after a NUL byte."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    env = {k: v for k, v in base_env(db).items() if k not in ("NO_COLOR", "COLUMNS")}
    env["TERM"] = "xterm"
    proc = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=subprocess.PIPE,
        env=env,
        preexec_fn=alone_if(one_processor),
    )
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 1 << 16)
        except OSError:  # EIO: the command closed its end
            break
        if not chunk:
            break
        seen += chunk
    os.close(leader)
    assert proc.stderr is not None
    err = proc.stderr.read()
    assert proc.wait(timeout=120) == 0, err
    return seen + b"\0" + err


@needs_two_processors
def test_a_list_of_every_action_on_a_terminal_is_drawn_in_two_processes_as_in_one(
    tmp_path: Path,
) -> None:
    """On a terminal the list's lines carry the codes of their styles: drawn in two
    processes, they are those of one."""
    db = tmp_path / "tracker.json"
    many_finished_actions(db, 8000)
    args = ["action", "list", "--status", "all"]
    two, _, said = on_terminal([sys.executable, "-c", _MAIN_HERE, *args], db).partition(b"\0")
    one = on_terminal([cdt_executable(), *args], db, one_processor=True).partition(b"\0")[0]
    today = dt.datetime.fromisoformat(NOW).date()
    listed = list_action_lines(open_for_reading(db), ActionFilter(all_statuses=True), today=today)
    table = actions_table(listed, today, "en")
    assert isinstance(table, LineTable)
    whole = table.terminal_lines(120)
    assert whole is not None
    # (the terminal writes each line's end as CR LF)
    assert float(said.splitlines()[-1]) > 0  # a child did some of it
    assert two == one == "".join(whole).encode().replace(b"\n", b"\r\n")
    assert b"\x1b[" in two.splitlines()[-1]  # styled to the last line
    assert two.count(b"\n") == 8000 + 2

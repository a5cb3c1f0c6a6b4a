"""What a user typed never acts on a terminal: not in tables, not in ``Error:`` lines or
confirm questions, not in ``--json``. One cleaning rule (``consular_dialogue.text``) and
one JSON writer (``jsonout.dump_json``) serve every output.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import Result, read_whole, write_whole
from hypothesis import example, given
from hypothesis import strategies as st
from rich.console import Console

from consular_dialogue.jsonout import dump_json
from consular_dialogue.render import plain
from consular_dialogue.text import clean, clean_all, clean_line

Run = Callable[..., Result]

ESC_TITLE = "X \x1b[31mRED\x1b[0m \u202eevil"
# Everything a terminal, an editor or a JavaScript parser could act on.
RAW = ("\x1b", "\x07", "\x85", "\x9b", "\u202e", "\u2066", "\u200f", "\u2028", "\u2029")


@pytest.fixture
def one_action(cdt: Run) -> Run:
    """A data file with one dialogue, one meeting, and action 1 titled ``ESC_TITLE``."""
    assert cdt("dialogue", "add", "D", "--key", "d", "--parties", "MX,US").code == 0
    assert cdt("meeting", "add", "T", "--kind", "annual", "--date", "2023-04-17").code == 0
    assert cdt("action", "add", ESC_TITLE, "--meeting", "1", "--party", "MX").code == 0
    return cdt


def test_clean_reads_a_carriage_return_as_a_line_break_everywhere() -> None:
    assert clean("dos\r\nmac\rend") == "dos\nmac\nend"
    assert clean("\x1b[31m\u202e") == "\\x1b[31m\\u202e"
    buffer = io.StringIO()
    Console(file=buffer, width=40, color_system=None).print(plain("first\rsecond"))
    assert buffer.getvalue() == "first\nsecond\n"


@given(st.lists(st.none() | st.text(st.sampled_from("aé —\t\n\r\x1b\u202e\x85"), max_size=4)))
@example(["Visa H-2", "Niñez"])  # nothing to change: the texts themselves
@example(["Visa\x1b[31m", None, ""])
def test_a_column_cleaned_at_once_is_each_text_cleaned(texts: list[str | None]) -> None:
    assert clean_all(texts) == [clean(text) for text in texts]


def test_clean_line_keeps_a_message_on_one_line() -> None:
    assert clean_line("a\nb\r\nc\u2028d") == "a b c d"
    assert clean_line("\x1b]8;;http://x\x07") == "\\x1b]8;;http://x\\x07"


def test_a_confirm_question_quoting_a_title_is_one_inert_error_line(one_action: Run) -> None:
    before = one_action("action", "show", "1", "--json").json()
    result = one_action("action", "delete", "1", stdin="")
    assert result.code == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("Error: ")
    assert not any(ch in result.stderr for ch in RAW)
    assert "X \\x1b[31mRED\\x1b[0m \\u202eevil" in result.stderr
    assert one_action("action", "show", "1", "--json").json() == before


def test_a_title_with_a_line_break_cannot_draw_a_second_error_line(cdt: Run) -> None:
    assert cdt("dialogue", "add", "D", "--key", "d", "--parties", "MX,US").code == 0
    title = "T\nDeleted meeting 1"
    assert cdt("meeting", "add", title, "--kind", "annual", "--date", "2023-04-17").code == 0
    result = cdt("meeting", "delete", "1", stdin="")
    assert result.code == 2
    assert result.stderr.splitlines() == [
        "Error: Delete meeting 1 (T Deleted meeting 1)? There is no terminal to ask; add --yes."
    ]


def test_a_path_with_a_line_break_is_named_on_one_line(cdt: Run, tmp_path: Path) -> None:
    assert cdt("demo", "--db", str(tmp_path / "t.json")).code == 0
    target = tmp_path / "a\nWrote passwd.txt"
    for args in (
        ["report", "1", "-o", str(target)],
        ["export", "actions", "-o", str(target) + "2"],
    ):
        result = cdt("--db", str(tmp_path / "t.json"), *args)
        assert result.code == 0, result.stderr
        assert len(result.stderr.splitlines()) == 1, result.stderr
        assert "a Wrote passwd.txt" in result.stderr  # a path wider than the terminal, too


def test_every_error_line_is_cleaned_at_the_boundary(cdt: Run, tmp_path: Path) -> None:
    # The file name is quoted as given (no repr): only the boundary can clean it.
    name = str(tmp_path / "no\x1b[31mfile\u202e\nError: fake.txt")
    result = cdt("meeting", "import-communique", name, "--dry-run")
    assert result.code == 1
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("Error: Cannot read ")
    assert not any(ch in result.stderr for ch in RAW)
    assert "no\\x1b[31mfile\\u202e Error: fake.txt" in result.stderr


@pytest.mark.parametrize(
    "words",
    [
        [b"action", b"add", b"Env\xedo", b"--meeting", b"1"],  # Latin-1, typed on a terminal so set
        [b"action", b"note", b"1", b"\xff"],
        [b"meeting", b"add", b"Reuni\xf3n", b"--kind", b"annual", b"--date", b"2023-04"],
    ],
)
def test_text_that_is_not_utf8_is_a_one_line_error_and_changes_nothing(
    one_action: Run, db: Path, words: list[bytes]
) -> None:
    import subprocess

    from conftest import base_env, cdt_executable

    before = read_whole(db)
    done = subprocess.run([cdt_executable().encode(), *words], env=base_env(db),
                          capture_output=True)  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.decode().startswith("Error: the command line holds bytes that are not UTF-8")
    assert done.stderr.count(b"\n") == 1 and b"Traceback" not in done.stderr
    assert read_whole(db) == before


def test_a_data_file_path_that_is_not_utf8_is_kept_escaped_in_the_history(
    tmp_path: Path,
) -> None:
    import os
    import subprocess

    from conftest import base_env, cdt_executable

    folder = os.fsencode(tmp_path) + b"/datos-\xf1"
    os.mkdir(folder)
    db = folder + b"/tracker.json"
    env = {k: v for k, v in base_env(tmp_path / "unused.json").items() if k != "CDT_DB"}
    for words in ([b"dialogue", b"add", b"D", b"--key", b"d", b"--parties", b"MX,US"],
                  [b"meeting", b"add", b"T", b"--kind", b"annual", b"--date", b"2023-04"],
                  [b"action", b"add", b"Enviar", b"--meeting", b"1"]):  # fmt: skip
        done = subprocess.run([cdt_executable().encode(), b"--db", db, *words], env=env,
                              capture_output=True)  # fmt: skip
        assert done.returncode == 0, done.stderr
    log = subprocess.run([cdt_executable().encode(), b"--db", db, b"log", b"--json"], env=env,
                         capture_output=True, check=True)  # fmt: skip
    assert [e["command"].split(" ", 3)[2] for e in json.loads(log.stdout)] == [
        os.fsdecode(db).encode("utf-8", "backslashreplace").decode()
    ] * 3


def test_json_output_escapes_controls_bidi_and_line_separators_and_round_trips(
    cdt: Run,
) -> None:
    title = "a\x1b[2Jb\x07c\x85d\x9be\u202ef\u2066g\u200fh\u2028i\u2029j «ñ»"
    assert cdt("dialogue", "add", "D", "--key", "d", "--parties", "MX,US").code == 0
    assert cdt("meeting", "add", "T", "--kind", "annual", "--date", "2023-04-17").code == 0
    assert cdt("action", "add", title, "--meeting", "1", "--party", "MX").code == 0
    for args in (["action", "show", "1", "--json"], ["action", "list", "--json"]):
        result = cdt(*args)
        assert result.code == 0
        assert not any(ch in result.stdout for ch in RAW), args
        assert "\\u202e" in result.stdout and "\\u2028" in result.stdout
        assert "«ñ»" in result.stdout  # accents stay readable
        shown = result.json()
        assert (shown if isinstance(shown, dict) else shown[0])["title"] == title


def test_dump_json_escapes_every_unsafe_character_and_ends_with_a_newline() -> None:
    value = {"title": "".join(RAW) + "é", "due": dt.date(2023, 6, 30), "n": [1, 2]}
    payload = dump_json(value)
    assert isinstance(payload, bytes) and payload.endswith(b"}\n")
    text = payload.decode("utf-8")
    assert '\n  "title": ' in text
    assert not any(ch in text for ch in RAW)
    assert "é" in text
    assert json.loads(text) == {**value, "due": "2023-06-30"}


UNSAFE_RANGES = [(0x7F, 0x9F), (0x200E, 0x200F), (0x2028, 0x202E), (0x2066, 0x2069)]


def test_dump_json_escapes_each_unsafe_range_whole_and_keeps_its_neighbours_as_they_are() -> None:
    for first, last in UNSAFE_RANGES:
        inside = [chr(c) for c in range(first, last + 1)]
        outside = [chr(first - 1), chr(last + 1)]
        payload = dump_json(["".join(inside), *outside, "–é¿"])
        text = payload.decode("utf-8")
        assert not any(ch in text for ch in inside), hex(first)
        assert all(f"\\u{ord(ch):04x}" in text for ch in inside), hex(first)
        assert all(ch in text for ch in outside), hex(first)
        assert "–é¿" in text
        assert json.loads(text) == ["".join(inside), *outside, "–é¿"]


@pytest.mark.parametrize("count", range(8))
def test_a_json_list_written_in_pieces_is_the_list_written_at_once(count: int) -> None:
    from consular_dialogue.jsonout import dump_json_list, in_json_list, join_json_list

    values = [
        {"id": n, "title": f"Acción {n}" + RAW[n % len(RAW)], "due": dt.date(2023, 6, n + 1)}
        for n in range(count)
    ]
    values += [[1, "\u202e"], "texto"][: count % 3]  # not only objects
    pieces = list(dump_json_list(iter(values), chunk_size=3))
    assert b"".join(pieces) == dump_json(values)
    # A comma (or the opening bracket) and a piece per chunk, then the end.
    assert len(pieces) == 2 * -(-len(values) // 3) + 1
    assert b"".join(join_json_list(in_json_list([v]) for v in values)) == dump_json(values)


@given(
    st.lists(
        st.dictionaries(
            st.text(),
            st.recursive(
                st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(),
                lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
                max_leaves=8,
            ),
        ),
        max_size=6,
    )
)
@example([{}, {"a": {}}, {"t": ",\n  {", "u": "\u2028{", "l": [{}, {"x": [{}]}]}, {}])
def test_objects_dumped_at_once_are_each_what_a_list_holds(values: list[dict[str, Any]]) -> None:
    from consular_dialogue.jsonout import in_json_list, join_json_list, objects_in_json_list

    pieces = objects_in_json_list(values)
    assert pieces == [in_json_list([value]) for value in values]
    assert b"".join(join_json_list(pieces)) == dump_json(values)


class _Stand:
    """A command's context, as ``cli.fast`` stands for it: its root holds the state."""

    def __init__(self, obj: object) -> None:
        self.obj = obj

    def find_root(self) -> _Stand:
        return self


@given(st.text())
@example("Added action 7 ([b]Acción[/b] :smile: 字字 e\u0301 \U0001f600) " + ESC_TITLE + " " * 90)
@example("Tab\there, 字\tthere")
@example("")
def test_a_message_on_stderr_is_what_rich_writes_without_rich(message: str) -> None:
    import contextlib

    from consular_dialogue.cli.common import say
    from consular_dialogue.render import make_console
    from consular_dialogue.settings import settings_from

    def state() -> object:
        from consular_dialogue.cli.common import State

        return State(settings_from(db="x.json", lang=None, date_order=None, debug=False), "cdt")

    written = io.StringIO()
    with contextlib.redirect_stderr(written):
        say(_Stand(state()), message)
    expected = []
    for file in (io.StringIO(), io.StringIO()):
        # The tool's console, and one with colours, as on a terminal.
        console = make_console(file) if not expected else Console(
            file=file, force_terminal=True, color_system="truecolor", highlight=False,
            markup=False, emoji=False, soft_wrap=False)  # fmt: skip
        console.print(plain(clean_line(message)), soft_wrap=True)
        expected.append(file.getvalue())
    assert written.getvalue() == expected[0] == expected[1]
    assert written.getvalue().count("\n") == 1


def test_only_objects_are_dumped_at_once() -> None:
    from consular_dialogue.jsonout import objects_in_json_list

    for values in ([{"a": 1}, [1, 2]], [[1, 2], {"a": 1}], ["{"]):
        with pytest.raises(ValueError, match="objects only"):
            objects_in_json_list(values)  # type: ignore[arg-type]


def test_a_report_as_json_escapes_line_separators_too(cdt: Run) -> None:
    title = "Reunión\u2028Anual\u2029\u202e2023"
    assert cdt("dialogue", "add", "D", "--key", "d", "--parties", "MX,US").code == 0
    assert cdt("meeting", "add", title, "--kind", "annual", "--date", "2023-04-17").code == 0
    result = cdt("report", "1", "--format", "json")
    assert result.code == 0
    assert not any(ch in result.stdout for ch in RAW)
    assert "\\u2028" in result.stdout
    assert result.json()["meeting"]["title"] == title


def test_output_the_encoding_cannot_write_is_a_one_line_error_not_a_traceback(
    cdt: Run, one_action: Run
) -> None:
    assert cdt("meeting", "add", "Reunión", "--kind", "annual", "--date", "2024-04-17").code == 0
    result = cdt("meeting", "list", PYTHONIOENCODING="ascii")
    assert result.code == 1
    assert result.stderr.startswith("Error: ") and "PYTHONIOENCODING=utf-8" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
def test_a_full_disk_under_stdout_is_a_one_line_error_not_a_traceback(
    db: Path, one_action: Run
) -> None:
    import subprocess

    from conftest import base_env, cdt_executable

    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [cdt_executable(), "action", "list"],
            env=base_env(db),
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    assert done.returncode == 1
    assert done.stderr.startswith("Error: No space left on device")
    assert len(done.stderr.strip().splitlines()) == 1


def test_a_columns_value_rich_cannot_read_is_ignored(cdt: Run, one_action: Run) -> None:
    result = cdt("action", "list", COLUMNS="\u00b2")
    assert result.code == 0, result.stderr
    assert result.stdout == cdt("action", "list", COLUMNS="80").stdout  # 80: no terminal here


def test_clean_leaves_no_control_or_bidi_character_of_any_code_point_and_keeps_the_rest() -> None:
    # Every code point, alone between two letters and beside a line break and a tab:
    # clean's shortcuts for printable text, and for printable text with line breaks and
    # tabs, must never let through what its rule makes visible, nor change anything else.
    unsafe = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\r]")
    for code in range(0x110000):
        if 0xD800 <= code <= 0xDFFF:
            continue  # surrogates are not text
        for text in (f"a{chr(code)}b", f"a\n{chr(code)}\tb"):
            cleaned = clean(text)
            assert not unsafe.search(cleaned), hex(code)
            if not unsafe.search(text):
                assert cleaned == text, hex(code)


HOSTILE_REFERENCE = "7\x1b[2J\u202e"


def test_a_hand_edited_reference_holding_escapes_is_shown_inert_in_every_list(
    one_action: Run, db: Path
) -> None:
    assert one_action("agenda", "add", "1", "Acceso consular").code == 0
    assert one_action("agenda", "add", "1", "Notificación consular").code == 0
    data = read_whole(db)
    data["actions"]["1"]["meeting_id"] = HOSTILE_REFERENCE
    data["agenda_items"]["1"]["meeting_id"] = HOSTILE_REFERENCE
    data["agenda_items"]["2"]["carried_from"] = HOSTILE_REFERENCE
    write_whole(db, data)
    for args in (["action", "list"], ["search", "consular"], ["search", "RED"], ["agenda", "list"]):
        for colour in ({"NO_COLOR": "1"}, {"FORCE_COLOR": "1", "TERM": "xterm-256color"}):
            result = one_action(*args, **colour)
            assert result.code == 0, (args, result.stderr)
            assert "\\x1b[2J" in result.stdout, (args, colour)  # shown, made visible
            assert "\x1b[2J" not in result.stdout and "\u202e" not in result.stdout, args


def test_a_long_list_shows_a_hand_edited_reference_inert() -> None:
    from consular_dialogue.lines import LONG_LIST, LineTable, actions_table
    from consular_dialogue.models import Action

    actions = [
        Action(id=n, meeting_id=HOSTILE_REFERENCE, title="T")  # type: ignore[arg-type]
        for n in range(1, LONG_LIST + 2)
    ]
    table = actions_table(actions, dt.date(2023, 4, 24), "en")
    assert isinstance(table, LineTable)
    text = "".join(table.plain_lines(100))
    assert not any(ch in text for ch in RAW)
    assert text.count("\\x1b[2J\\u202e") == len(actions)

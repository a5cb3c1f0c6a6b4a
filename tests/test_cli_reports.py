"""``cdt timeline``, ``cdt report`` and ``cdt brief`` through the installed command."""

from __future__ import annotations

import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Result
from test_reports import build_dialogue, build_hostile

Cdt = Callable[..., Result]
INTERMEDIATE = "4"  # ids as build_dialogue creates them
ANNUAL_2023 = "5"


@pytest.fixture
def dialogue(db: Path) -> Path:
    build_dialogue(db)
    return db


def test_timeline_reads_without_touching_the_file(cdt: Cdt, dialogue: Path) -> None:
    before = dialogue.read_bytes()
    files = sorted(p.name for p in dialogue.parent.iterdir())
    result = cdt("timeline")
    assert result.code == 0, result.stderr
    assert result.stderr == ""
    assert "── today 2023-04-24 ──" in result.stdout
    assert "Daria Darnell" in result.stdout
    assert "\x1b" not in result.stdout  # not a terminal: no colour
    assert dialogue.read_bytes() == before
    assert sorted(p.name for p in dialogue.parent.iterdir()) == files  # no lock, no backup


def test_timeline_modes_and_language(cdt: Cdt, dialogue: Path) -> None:
    topic = cdt("--lang", "es", "timeline", "--topic", "consular-access")
    assert topic.code == 0, topic.stderr
    assert "Tema: Acceso consular" in topic.stdout and "── hoy 2023-04-24" in topic.stdout
    actions = cdt("timeline", "--actions", "--from", "2023-04-01", "--to", "2023-12")
    assert actions.code == 0, actions.stderr
    assert "Revisar los requisitos" in actions.stdout
    assert "Programar la capacitación" not in actions.stdout  # due before --from


def test_timeline_fits_a_narrow_terminal(cdt: Cdt, dialogue: Path) -> None:
    result = cdt("timeline", COLUMNS="40")
    assert result.code == 0, result.stderr
    assert max(len(line) for line in result.stdout.splitlines()) <= 40


def test_timeline_refuses_two_modes_and_unknown_topics(cdt: Cdt, dialogue: Path) -> None:
    both = cdt("timeline", "--topic", "h2-visas", "--actions")
    assert both.code == 2 and "not both" in both.stderr
    unknown = cdt("timeline", "--topic", "nothing-here")
    assert unknown.code == 1 and unknown.stdout == ""
    assert "Topic 'nothing-here' does not exist" in unknown.stderr


def test_timeline_on_a_missing_file_creates_nothing(cdt: Cdt, db: Path) -> None:
    result = cdt("timeline")
    assert result.code == 0, result.stderr
    assert "No meetings." in result.stdout
    assert not db.exists()


def test_meeting_report_as_json(cdt: Cdt, dialogue: Path) -> None:
    result = cdt("report", INTERMEDIATE, "--format", "json")
    assert result.code == 0, result.stderr
    data = result.json()
    assert data["report"] == "meeting"
    assert data["meeting"]["title"] == "Reunión Intermedia del Diálogo Consular 2023"
    assert data["actions"] == {"open": 2, "overdue": 1, "done": 1, "cancelled": 0}


def test_standing_report_in_spanish_text(cdt: Cdt, dialogue: Path) -> None:
    result = cdt("--lang", "es", "report")
    assert result.code == 0, result.stderr
    assert "Situación del diálogo · al 24 de abril de 2023" in result.stdout
    assert "Completadas desde la última reunión (2023-04-21)" in result.stdout


def test_report_file_is_written_once_unless_forced(
    cdt: Cdt, dialogue: Path, tmp_path: Path
) -> None:
    target = tmp_path / "informe.html"
    first = cdt("report", INTERMEDIATE, "-f", "html", "-o", str(target))
    assert first.code == 0, first.stderr
    assert first.stdout == "" and "Wrote" in first.stderr
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    again = cdt("report", INTERMEDIATE, "-f", "markdown", "-o", str(target))
    assert again.code == 1 and "--force" in again.stderr
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    forced = cdt("report", INTERMEDIATE, "-f", "markdown", "-o", str(target), "--force")
    assert forced.code == 0, forced.stderr
    assert target.read_text(encoding="utf-8").startswith("# Reunión Intermedia")


def test_report_never_overwrites_the_data_file(cdt: Cdt, dialogue: Path) -> None:
    before = dialogue.read_bytes()
    result = cdt("report", "-o", str(dialogue), "--force")
    assert result.code == 1 and "data file" in result.stderr
    assert dialogue.read_bytes() == before


def test_text_report_written_to_a_file_is_plain(cdt: Cdt, dialogue: Path, tmp_path: Path) -> None:
    target = tmp_path / "standing.txt"
    result = cdt("report", "-o", str(target), FORCE_COLOR="1")
    assert result.code == 0, result.stderr
    text = target.read_text(encoding="utf-8")
    assert "Open actions by party" in text and "\x1b" not in text


def test_report_errors_have_exit_codes(cdt: Cdt, dialogue: Path) -> None:
    missing = cdt("report", "999")
    assert missing.code == 1 and "Meeting 999 does not exist" in missing.stderr
    bad_format = cdt("report", INTERMEDIATE, "--format", "pdf")
    assert bad_format.code == 2 and "text, markdown, html, json" in bad_format.stderr


def test_brief_as_markdown(cdt: Cdt, dialogue: Path) -> None:
    result = cdt("brief", ANNUAL_2023, "-f", "markdown")
    assert result.code == 0, result.stderr
    assert "## Items carried in" in result.stdout
    assert "| 3 | US | Compartir estadísticas trimestrales de visas H-2 | 2 |" in result.stdout


def test_hostile_text_reaches_the_terminal_inert(cdt: Cdt, db: Path) -> None:
    build_hostile(db)
    for args in (("timeline",), ("report", "1"), ("brief", "2"), ("timeline", "--actions")):
        result = cdt(*args)
        assert result.code == 0, result.stderr
        assert "\x1b" not in result.stdout and "\u202e" not in result.stdout
        assert "[link=http://x]y[/link]" in "".join(result.stdout.split())


@pytest.mark.parametrize("command", ["timeline", "report", "brief"])
def test_help_ends_with_an_example(cdt: Cdt, command: str) -> None:
    result = cdt(command, "--help")
    assert result.code == 0, result.stderr
    assert f"Example: cdt {command}" in result.stdout


@pytest.mark.parametrize("args", [["report", "1"], ["action", "list"], ["action", "add", "T"]])
def test_a_command_with_its_output_closed_says_so_in_one_line(
    dialogue: Path, args: list[str]
) -> None:
    import shlex
    import subprocess

    from conftest import base_env, cdt_executable

    before = dialogue.read_bytes()
    line = " ".join(shlex.quote(a) for a in [cdt_executable(), *args])
    done = subprocess.run(["sh", "-c", f"exec {line} >&-"], env=base_env(dialogue),
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "Error: the standard output is closed; give the command somewhere to write "
        "(a terminal, a file or a pipe)."
    ]
    assert dialogue.read_bytes() == before

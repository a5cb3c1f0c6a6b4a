"""``cdt export``: where the data goes, what is refused, and what is said on stderr.

The formats themselves are tested in process (test_exporters.py); these run the
installed ``cdt`` on a data file holding the same realistic dataset.
"""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Result, base_env, cdt_executable
from test_exporters import realistic_dataset

from consular_dialogue.storage import open_for_writing

NOW = "2024-09-02T09:30:00-06:00"  # the exporter tests' "now": actions 2 and 6 are overdue
Cdt = Callable[..., Result]


@pytest.fixture
def filled(db: Path) -> Path:
    """The data file, written through the storage layer with the realistic dataset."""
    data = realistic_dataset()
    with open_for_writing(db) as repo:
        for record in [data.dialogue, *data.topics, *data.meetings, *data.items, *data.actions]:
            repo.add(record, keep_id=True)
    return db


@pytest.fixture
def run(cdt: Cdt, filled: Path) -> Cdt:
    def go(*args: str, **env: str) -> Result:
        # Wide enough that stderr's messages (long temp paths) are not wrapped.
        return cdt("export", *args, now=NOW, **{"COLUMNS": "500", **env})

    return go


def csv_rows(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:], newline="")))


# ---- stdout -------------------------------------------------------------------------


def test_without_o_the_data_goes_to_stdout_and_nothing_to_stderr(run: Cdt) -> None:
    result = run("actions", "--format", "json", "--status", "all")
    assert result.code == 0, result.stderr
    assert result.stderr == ""
    records = result.json()
    assert [r["id"] for r in records] == [1, 5, 2, 6, 7, 3, 4, 8]
    assert records[2]["owner"] == "Dirección General de Protección Consular"


def test_csv_is_the_default_format(run: Cdt) -> None:
    result = run("actions")
    assert result.code == 0, result.stderr
    rows = csv_rows(result.stdout)
    assert rows[0][:3] == ["ID", "Due", "Overdue"]
    assert [r[0] for r in rows[1:]] == ["2", "6", "7", "3", "4", "8"]  # unfinished only


def test_dash_means_stdout(run: Cdt, tmp_path: Path) -> None:
    result = run("meetings", "--format", "json", "-o", "-")
    assert result.code == 0, result.stderr
    assert [m["id"] for m in result.json()] == [1, 3, 2, 4, 5]
    assert not (tmp_path / "-").exists()


def test_the_action_filters_apply(run: Cdt) -> None:
    result = run("actions", "--format", "json", "--overdue", "--party", "MX")
    assert result.code == 0, result.stderr
    assert [r["id"] for r in result.json()] == [2]
    topic = run("actions", "--format", "json", "--status", "all", "--topic", "consular-access")
    assert topic.code == 0, topic.stderr
    assert [r["id"] for r in topic.json()] == [2, 3]
    meeting = run("actions", "--format", "json", "--status", "done", "--meeting", "1")
    assert meeting.code == 0, meeting.stderr
    assert [r["id"] for r in meeting.json()] == [1]
    due = run("actions", "--format", "json", "--due-before", "2024-07-01", "--owner", "office")
    assert due.code == 0, due.stderr
    assert [r["id"] for r in due.json()] == [6]


def test_headers_and_status_names_follow_lang(cdt: Cdt, filled: Path) -> None:
    result = cdt("--lang", "es", "export", "actions", "--status", "all", now=NOW)
    assert result.code == 0, result.stderr
    rows = csv_rows(result.stdout)
    assert rows[0][:4] == ["ID", "Vence", "Vencida", "Estado"]
    assert rows[1][3] == "hecha"
    assert rows[1][7] == "Compartir estadísticas de visas H-2 del año fiscal 2023"


def test_markdown_to_stdout(run: Cdt) -> None:
    result = run("actions", "--format", "markdown")
    assert result.code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("| ID | Due | Overdue |")
    assert len(lines) == 2 + 6


# ---- -o FILE ------------------------------------------------------------------------


def test_o_writes_a_private_file_and_says_so(run: Cdt, tmp_path: Path) -> None:
    target = tmp_path / "actions.csv"
    result = run("actions", "--status", "all", "-o", str(target))
    assert result.code == 0, result.stderr
    assert result.stdout == ""
    assert f"Exported 8 actions to {target}" in result.stderr
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    rows = csv_rows(target.read_bytes().decode("utf-8"))
    assert len(rows) == 1 + 8
    assert not [p for p in tmp_path.iterdir() if ".tmp-" in p.name]


def test_o_refuses_an_existing_file_without_force(run: Cdt, tmp_path: Path) -> None:
    target = tmp_path / "actions.json"
    target.write_text("keep me\n", encoding="utf-8")
    target.chmod(0o644)
    result = run("actions", "--format", "json", "-o", str(target))
    assert result.code == 1
    assert "exists already" in result.stderr and "--force" in result.stderr
    assert result.stdout == ""
    assert target.read_text(encoding="utf-8") == "keep me\n"

    forced = run("actions", "--format", "json", "-o", str(target), "--force")
    assert forced.code == 0, forced.stderr
    assert len(json.loads(target.read_text(encoding="utf-8"))) == 6
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_o_refuses_the_data_file_even_with_force(run: Cdt, filled: Path, tmp_path: Path) -> None:
    before = filled.read_bytes()
    for path in (str(filled), str(tmp_path / "." / filled.name)):
        result = run("actions", "--format", "json", "-o", path, "--force")
        assert result.code == 1
        assert "data file" in result.stderr
        assert filled.read_bytes() == before


def test_o_refuses_the_data_file_through_a_symlink(run: Cdt, filled: Path, tmp_path: Path) -> None:
    link = tmp_path / "innocent.json"
    link.symlink_to(filled)
    before = filled.read_bytes()
    result = run("meetings", "--format", "json", "-o", str(link), "--force")
    assert result.code == 1
    assert filled.read_bytes() == before
    assert link.is_symlink()


def test_o_into_a_missing_folder_is_refused(run: Cdt, tmp_path: Path) -> None:
    result = run("meetings", "-o", str(tmp_path / "nowhere" / "m.csv"))
    assert result.code == 1
    assert "does not exist" in result.stderr


def test_xlsx_to_a_file(run: Cdt, tmp_path: Path) -> None:
    import openpyxl

    target = tmp_path / "acciones.xlsx"
    result = run("actions", "--format", "xlsx", "--status", "all", "-o", str(target))
    assert result.code == 0, result.stderr
    sheet = openpyxl.load_workbook(target).active
    assert sheet.max_row == 1 + 8
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_xlsx_is_never_written_to_a_terminal(filled: Path) -> None:
    import pty

    leader, follower = pty.openpty()
    try:
        proc = subprocess.run(
            [cdt_executable(), "export", "actions", "--format", "xlsx"],
            env=base_env(filled, NOW),
            stdout=follower,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    finally:
        os.close(follower)
        os.close(leader)
    assert proc.returncode == 2
    assert "-o FILE.xlsx" in proc.stderr


def test_xlsx_may_go_to_a_pipe(filled: Path) -> None:
    proc = subprocess.run(
        [cdt_executable(), "export", "actions", "--format", "xlsx"],
        env=base_env(filled, NOW),
        capture_output=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(b"PK")  # a zip: the workbook, for `> file.xlsx` or a pipe


# ---- ICS ----------------------------------------------------------------------------


def test_month_precise_meetings_are_left_out_of_ics_with_a_warning(run: Cdt) -> None:
    from icalendar import Calendar

    result = run("meetings", "--format", "ics")
    assert result.code == 0, result.stderr
    assert (
        "Left out 1 month-precise meeting: 2 (Reunión Anual del Diálogo Consular 2023, 2023-10)"
        in result.stderr
    )
    calendar = Calendar.from_ical(result.stdout)
    assert len(calendar.walk("VEVENT")) == 4


def test_undated_actions_are_left_out_of_ics_with_a_warning(run: Cdt, tmp_path: Path) -> None:
    from icalendar import Calendar

    target = tmp_path / "acciones.ics"
    result = run("actions", "--format", "ics", "--status", "all", "-o", str(target))
    assert result.code == 0, result.stderr
    assert "Left out 2 undated actions: 4 (" in result.stderr
    assert f"Exported 6 actions to {target}" in result.stderr
    calendar = Calendar.from_ical(target.read_bytes())
    assert len(calendar.walk("VTODO")) == 6


def test_a_warning_names_the_first_ten_records_left_out_and_counts_the_rest(
    run: Cdt, filled: Path
) -> None:
    from consular_dialogue.models import Action

    with open_for_writing(filled) as repo:
        for n in range(1, 13):
            repo.add(Action(meeting_id=1, title=f"Sin fecha {n}", party="MX"))
    result = run("actions", "--format", "ics")
    assert result.code == 0, result.stderr
    (warning,) = [line for line in result.stderr.splitlines() if "Left out" in line]
    assert warning.startswith("Left out 14 undated actions: 4 (")  # the dataset has two
    assert warning.count(" (Sin fecha ") == 8 and warning.endswith("; and 4 more.")


# ---- the data file is only read ---------------------------------------------------


def test_exports_never_create_the_data_file(cdt: Cdt, db: Path) -> None:
    result = cdt("export", "meetings", "--format", "json", now=NOW)
    assert result.code == 0, result.stderr
    assert result.json() == []
    assert not db.exists()
    assert list(db.parent.iterdir()) == []  # no lock file either


def test_exports_leave_the_data_file_untouched(run: Cdt, filled: Path) -> None:
    before = filled.read_bytes()
    mtime = filled.stat().st_mtime_ns
    assert run("actions", "--format", "xlsx", "-o", str(filled.parent / "a.xlsx")).code == 0
    assert filled.read_bytes() == before
    assert filled.stat().st_mtime_ns == mtime


# ---- usage --------------------------------------------------------------------------


def test_an_unknown_format_is_a_usage_error(run: Cdt) -> None:
    result = run("meetings", "--format", "xlsx")
    assert result.code == 2
    assert "csv, json, ics" in result.stderr


def test_a_bad_status_filter_is_bad_input(run: Cdt) -> None:
    result = run("actions", "--status", "finished")
    assert result.code == 1
    assert "use one of" in result.stderr


@pytest.mark.parametrize("command", ["actions", "meetings"])
def test_every_export_command_has_help_with_an_example(cdt: Cdt, command: str) -> None:
    result = cdt("export", command, "--help")
    assert result.code == 0, result.stderr
    assert "Example: cdt export " + command in result.stdout
    assert "--format" in result.stdout and "--force" in result.stdout

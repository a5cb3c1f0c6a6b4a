"""Many cdt processes writing one file at once lose nothing."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

from conftest import NOW, base_env, cdt_executable, read_whole

from consular_dialogue.dates import PartialDate
from consular_dialogue.models import Action, Meeting, MeetingKind
from consular_dialogue.services.actions import add_action
from consular_dialogue.services.dialogues import add_dialogue
from consular_dialogue.services.meetings import MeetingFields, record_meeting
from consular_dialogue.storage import open_for_reading, open_for_writing

MOMENT = dt.datetime.fromisoformat(NOW)
PROCESSES = 8

# One process: run the installed cdt N times in a row, stop at the first failure.
CDT_LOOP = """
import subprocess, sys
cdt, worker, times = sys.argv[1], sys.argv[2], int(sys.argv[3])
for number in range(times):
    title = f"Reunión de trabajo {worker}-{number}"
    proc = subprocess.run(
        [cdt, "meeting", "add", title, "--kind", "working-group", "--date", "2023-04-17"],
        capture_output=True, text=True,
    )
    if proc.returncode != 0:
        sys.exit(f"{title}: exit {proc.returncode}: {proc.stderr}")
"""

# One process: run the cdt app in-process N times (same code as the installed cdt,
# without paying interpreter start-up for each command).
APP_LOOP = """
import sys
from consular_dialogue.cli import main
worker, times = sys.argv[1], int(sys.argv[2])
for number in range(times):
    for args in (
        ["action", "add", f"Acción {worker}-{number}", "--meeting", "1", "--party", "MX"],
        ["action", "note", "1", f"Nota {worker}-{number}"],
    ):
        try:
            main(args)
        except SystemExit as exc:
            if exc.code not in (0, None):
                sys.exit(f"{args}: exit {exc.code}")
"""


def build(path: Path, *, with_action: bool) -> None:
    with open_for_writing(path) as repo:
        add_dialogue(
            repo,
            name="Diálogo Consular México–Estados Unidos",
            key="consular",
            parties=["MX", "US"],
            established=None,
            notes=None,
            now=MOMENT,
        )
        if with_action:
            record_meeting(
                repo,
                MeetingFields(
                    title="Reunión Intermedia",
                    kind=MeetingKind.INTERMEDIATE,
                    date=PartialDate(2023, 4, 17),
                ),
                dialogue_key=None,
                now=MOMENT,
            )
            add_action(
                repo,
                title="Seguimiento común",
                meeting_id=1,
                item_id=None,
                party="joint",
                owner=None,
                due=None,
                priority=None,
                level=None,
                now=MOMENT,
            )


def run_all(commands: list[list[str]], env: dict[str, str]) -> None:
    workers = [
        subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for cmd in commands
    ]
    failures = []
    for worker in workers:
        _, err = worker.communicate(timeout=1800)
        if worker.returncode != 0:
            failures.append(err)
    assert failures == []


def test_eight_processes_adding_25_meetings_each_leave_200_meetings_with_ids_1_to_200(
    tmp_path: Path,
) -> None:
    db = tmp_path / "tracker.json"
    build(db, with_action=False)
    times = 25
    run_all(
        [
            [sys.executable, "-c", CDT_LOOP, cdt_executable(), str(worker), str(times)]
            for worker in range(PROCESSES)
        ],
        base_env(db),
    )

    data = read_whole(db)  # a damaged file or part raises here
    meetings = open_for_reading(db).all(Meeting)
    assert [m.id for m in meetings] == list(range(1, PROCESSES * times + 1))
    assert {m.title for m in meetings} == {
        f"Reunión de trabajo {w}-{n}" for w in range(PROCESSES) for n in range(times)
    }
    assert len({m.uuid for m in meetings}) == PROCESSES * times
    # Every command also left exactly one history entry.
    assert len(data["history"]) == PROCESSES * times
    assert data["_meta"]["1"]["counters"]["meetings"] == PROCESSES * times


def test_eight_processes_adding_actions_and_notes_to_one_meeting_lose_nothing(
    tmp_path: Path,
) -> None:
    db = tmp_path / "tracker.json"
    build(db, with_action=True)
    times = 12
    run_all(
        [[sys.executable, "-c", APP_LOOP, str(worker), str(times)] for worker in range(PROCESSES)],
        base_env(db),
    )

    repo = open_for_reading(db)
    actions = repo.all(Action)
    expected_titles = {f"Acción {w}-{n}" for w in range(PROCESSES) for n in range(times)}
    assert {a.title for a in actions[1:]} == expected_titles
    assert [a.id for a in actions] == list(range(1, PROCESSES * times + 2))
    assert {a.meeting_id for a in actions} == {1}
    notes = [n.text for n in repo.get(Action, 1).notes]
    assert sorted(notes) == sorted(f"Nota {w}-{n}" for w in range(PROCESSES) for n in range(times))

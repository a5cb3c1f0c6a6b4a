"""The one-command demo from a plain install, and recording a communiqué through the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from conftest import REPO, SEED, Result


def test_demo_from_a_plain_install_in_a_fresh_venv_shows_both_2023_meetings(
    tmp_path: Path,
) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(venv / "bin" / "pip"), "install", "--quiet", str(REPO)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("CDT_")}
    # TMPDIR: the demo's temporary file stays in the test's folder.
    env.update(
        {"CDT_NOW": "2023-04-24", "NO_COLOR": "1", "COLUMNS": "100", "TMPDIR": str(tmp_path)}
    )
    proc = subprocess.run(
        [str(venv / "bin" / "cdt"), "demo"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    timeline = proc.stdout.split("Standing of the dialogue")[0]
    assert "2023" in timeline
    assert "Intermediate" in timeline and "17–21 April" in timeline
    assert "Annual" in timeline and "October" in timeline
    assert "Vanessa Calva Ruiz" in timeline and "Daria Darnell" in timeline
    assert "Traceback" not in proc.stderr


def test_demo_refuses_an_existing_non_empty_file(
    cdt: Callable[..., Result], tmp_path: Path
) -> None:
    target = tmp_path / "kept.json"
    target.write_text("{}", encoding="utf-8")
    result = cdt("demo", "--db", str(target))
    assert result.code == 1
    assert "not empty" in result.stderr
    assert target.read_text(encoding="utf-8") == "{}"


def test_import_communique_records_the_seed_meeting_and_the_announced_annual(
    cdt: Callable[..., Result], db: Path, seed_text: str
) -> None:
    assert (
        cdt("dialogue", "add", "Diálogo Consular", "--key", "consular", "--parties", "MX,US").code
        == 0
    )
    dry = cdt("meeting", "import-communique", str(SEED), "--dry-run")
    assert dry.code == 0
    assert not db.with_name("nothing").exists()
    listed_before = cdt("meeting", "list", "--json").json()
    assert listed_before == []

    result = cdt("meeting", "import-communique", str(SEED), "--json")
    assert result.code == 0, result.stderr
    ids = result.json()
    meeting = cdt("meeting", "show", str(ids["meeting"]), "--json").json()
    assert meeting["kind"] == "intermediate"
    assert (meeting["date"], meeting["end_date"]) == ("2023-04-17", "2023-04-21")
    heads = {d["party"]: d["head"] for d in meeting["delegations"]}
    assert heads == {"MX": "Vanessa Calva Ruiz", "US": "Daria Darnell"}
    for head in heads.values():
        assert head in seed_text
    assert meeting["sources"]["kind"] in seed_text
    topics = {i["topic"] for i in meeting["agenda_items"]}
    assert {"consular-access", "h2-visas", "labor-mobility", "training"} <= topics
    annual = cdt("meeting", "show", str(ids["announced"][0]), "--json").json()
    assert (annual["kind"], annual["date"], annual["status"]) == ("annual", "2023-10", "planned")

    before = db.read_bytes()
    again = cdt("meeting", "import-communique", str(SEED))
    assert again.code == 1
    assert "recorded already" in again.stderr
    assert db.read_bytes() == before


def test_demo_takes_an_existing_empty_file_as_a_new_one(
    cdt: Callable[..., Result], tmp_path: Path
) -> None:
    target = tmp_path / "from-mktemp.json"
    target.touch()
    result = cdt("demo", "--db", str(target))
    assert result.code == 0, result.stderr
    meetings = cdt("--db", str(target), "meeting", "list", "--json").json()
    assert [m["date"] for m in meetings] == ["2023-04-17", "2023-10"]


def test_undoing_the_demo_takes_back_the_sample_and_keeps_the_topic_catalog(
    cdt: Callable[..., Result], db: Path
) -> None:
    import json

    catalog = {t["slug"] for t in json.loads((REPO / "data" / "topics.json").read_text())}
    assert cdt("demo", "--db", str(db)).code == 0
    assert cdt("action", "done", "1").code == 0
    undone = cdt("undo", "--steps", "2")
    assert undone.code == 0, undone.stderr
    assert cdt("meeting", "list", "--json").json() == []
    assert {t["slug"] for t in cdt("topic", "list", "--json").json()} == catalog


def test_demo_without_db_says_its_file_is_temporary(
    cdt: Callable[..., Result], tmp_path: Path
) -> None:
    result = cdt("demo", TMPDIR=str(tmp_path))
    assert result.code == 0, result.stderr
    loaded = " ".join(result.stderr.split("Explore further")[0].split())
    assert f"Loaded the sample into {tmp_path}" in loaded
    assert "temporary file" in loaded

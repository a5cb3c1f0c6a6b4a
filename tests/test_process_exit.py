"""``cdt`` ends its process without freeing what it read (``cli.entry``): what it
wrote, its exit status and what libraries run at exit must be as a normal exit's."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from conftest import REPO, Result, base_env, cdt_executable, read_whole, run_cdt, write_whole

# The same command line run as ``cdt`` is, and by ``main`` in a process that ends as
# any Python program does (freeing everything, running every exit step).
_BY_MAIN = "import sys\nfrom consular_dialogue.cli import main\nmain(sys.argv[1:])\n"


def _by_main(args: list[str], env: dict[str, str]) -> Result:
    proc = subprocess.run(
        [sys.executable, "-c", _BY_MAIN, *args], env=env, capture_output=True, text=True
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def _many_actions(db: Path, count: int) -> None:
    """The sample data with ``count`` more actions on its first meeting, imported."""
    dump = json.loads((REPO / "data" / "sample.json").read_text(encoding="utf-8"))
    first = dump["actions"][0]
    top = max(a["id"] for a in dump["actions"])
    for n in range(1, count + 1):
        action = {**first, "id": top + n, "uuid": str(uuid.UUID(int=n)), "notes": []}
        dump["actions"].append({**action, "title": f"Seguimiento {n:05} de acceso consular"})
    source = db.with_name("many.json")
    source.write_text(json.dumps(dump), encoding="utf-8")
    assert run_cdt(["import", str(source)], base_env(db)).code == 0


def _same_as_by_main(args: list[str], env: dict[str, str]) -> Result:
    ended = run_cdt(args, env)
    normal = _by_main(args, env)
    assert (ended.code, ended.stdout, ended.stderr) == (
        normal.code,
        normal.stdout,
        normal.stderr,
    ), args
    return ended


def _buffered_env(db: Path) -> dict[str, str]:
    """As a user runs cdt: stdout to a pipe is buffered (unless PYTHONUNBUFFERED)."""
    return {k: v for k, v in base_env(db).items() if k != "PYTHONUNBUFFERED"}


def test_output_and_exit_status_are_those_of_a_normal_exit(db: Path) -> None:
    _many_actions(db, 600)
    env = _buffered_env(db)
    codes = {}
    for args in (
        ["export", "actions", "--format", "json", "--status", "all"],  # over a pipe's 64 KiB
        ["action", "list", "--status", "all"],
        ["report"],
        ["timeline"],
        ["search", "consular"],
        ["meeting", "list", "--json"],
        ["action", "show", "99999"],  # an error: a line on stderr
        ["action", "list", "--no-such-option"],  # a usage error (Typer's)
        ["--version"],
    ):
        ended = _same_as_by_main(args, env)
        codes[args[-1]] = ended.code
        if args[0] == "export":
            assert len(ended.stdout.encode()) > 200_000
    assert (codes["99999"], codes["--no-such-option"], codes["--version"]) == (1, 2, 0)
    # A failing command that has written to stdout: cdt check names the damage there.
    data = read_whole(db)
    next(iter(data["actions"].values()))["due"] = "tomorrow"
    write_whole(db, data)
    checked = _same_as_by_main(["check"], env)
    assert checked.code != 0
    assert "tomorrow" in checked.stdout


def test_what_a_library_registered_to_run_at_exit_still_runs(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    probe = (
        "import atexit, sys\n"
        "from pathlib import Path\n"
        "atexit.register(Path(sys.argv.pop()).write_text, 'ran')\n"
        "from consular_dialogue.cli import entry\n"
        "entry()\n"
    )
    env = _buffered_env(tmp_path / "tracker.json")
    for args, code in ((["--version"], 0), (["meeting", "list"], 0), (["nosuch"], 2)):
        marker.unlink(missing_ok=True)
        ended = subprocess.run(
            [sys.executable, "-c", probe, *args, str(marker)],
            env=env,
            capture_output=True,
            text=True,
        )
        assert ended.returncode == code, ended.stderr
        assert marker.read_text() == "ran"


def test_an_in_process_run_keeps_only_what_the_last_command_read(db: Path) -> None:
    from consular_dialogue.cli import KEPT, main

    _many_actions(db, 1)
    for _ in range(3):
        try:
            main(["--db", str(db), "action", "list"])
        except SystemExit as finished:
            assert not finished.code
        assert len(KEPT) == 1
    main(["--version"])
    assert KEPT == []


def test_output_that_cannot_be_written_ends_as_python_ends_it(tmp_path: Path) -> None:
    full = Path("/dev/full")
    if not full.exists():
        pytest.skip("no /dev/full here to stand for a full disk")
    env = _buffered_env(tmp_path / "tracker.json")
    ended = []
    for command in ([cdt_executable()], [sys.executable, "-c", _BY_MAIN]):
        with full.open("w") as stdout:
            proc = subprocess.run(
                [*command, "--version"], env=env, stdout=stdout, stderr=subprocess.PIPE, text=True
            )
        ended.append((proc.returncode, proc.stderr))
    assert ended[0] == ended[1]
    assert ended[0][0] == 120 and "No space left on device" in ended[0][1]

"""Shared fixtures: a real data file in a temporary folder and ways to run ``cdt``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SEED = SHARED / "seeds" / "sre-comunicado-176-2023-04-24.txt"
NOW = "2023-04-24T10:00:00-06:00"


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


def cdt_executable() -> str:
    """The installed ``cdt`` next to the running interpreter (the test venv's)."""
    candidate = Path(sys.executable).with_name("cdt")
    if candidate.exists():
        return str(candidate)
    found = shutil.which("cdt")
    if found is None:
        pytest.fail("cdt is not installed in this environment; run pip install -e '.[test]'")
    return found


# What would make Rich draw otherwise than the tests expect, set where they run.
_FORCING = ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "COLORTERM")


def base_env(db: Path, now: str | None = NOW, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CDT_") and k not in _FORCING}
    env.update({"CDT_DB": str(db), "NO_COLOR": "1", "COLUMNS": "100", "CDT_LOCK_TIMEOUT": "30"})
    if now is not None:
        env["CDT_NOW"] = now
    env.update(extra)
    return env


def run_cdt(
    args: list[str], env: dict[str, str], stdin: str | None = None, cwd: Path | None = None
) -> Result:
    proc = subprocess.run(
        [cdt_executable(), *args],
        env=env,
        capture_output=True,
        text=True,
        input=stdin,
        timeout=120,
        cwd=cwd,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def cdt_ok(db: Path, *args: str, now: str | None = NOW) -> Result:
    """The installed ``cdt`` run on ``db``, which must succeed."""
    result = run_cdt(list(args), base_env(db, now))
    assert result.code == 0, (args, result.stderr)
    return result


def exported(db: Path) -> dict[str, Any]:
    """Every record of ``db`` as ``cdt export all`` gives them, the moment left out."""
    dump: dict[str, Any] = cdt_ok(db, "export", "all").json()
    dump.pop("exported_at")
    return dump


def many_actions(db: Path, count: int) -> None:
    """A new file of a dialogue, three meetings and ``count`` actions, four in five of
    them done (in parts), all made in-process in one command."""
    import datetime as dt

    from consular_dialogue.dates import PartialDate
    from consular_dialogue.models import MeetingKind
    from consular_dialogue.services.actions import add_action, complete_actions
    from consular_dialogue.services.dialogues import add_dialogue
    from consular_dialogue.services.meetings import MeetingFields, record_meeting
    from consular_dialogue.storage import open_for_writing

    moment = dt.datetime(2023, 4, 24, 10, 0, tzinfo=dt.UTC)
    with open_for_writing(db) as repo:
        add_dialogue(repo, name="Diálogo Consular", key="consular", parties=["MX", "US"],
                     established=None, notes=None, now=moment)  # fmt: skip
        for n in range(3):
            fields = MeetingFields(
                title=f"Reunión {n}", kind=MeetingKind.ANNUAL, date=PartialDate(2020 + n, 4)
            )
            record_meeting(repo, fields, dialogue_key=None, now=moment)
        for n in range(count):
            add_action(repo, title=f"Acción {n}", meeting_id=n % 3 + 1, item_id=None,
                       party="MX", owner=None, due=None, priority=None, level=None,
                       now=moment)  # fmt: skip
        complete_actions(repo, [n for n in range(1, count + 1) if n % 5], now=moment)


def read_whole(db: Path) -> dict[str, Any]:
    """The data file's whole contents with its part files merged in (as cdt backup writes)."""
    from consular_dialogue.storage import load_parts, parse_file

    return load_parts(parse_file(db.read_bytes(), db), db)


def whole_bytes(db: Path) -> bytes:
    """The data file as one whole file, standing on no part files: a copy to start from."""
    return json.dumps(read_whole(db)).encode()


def write_whole(db: Path, data: dict[str, Any]) -> None:
    """Replace the data file with ``data`` as one whole file: how tests craft damage."""
    db.write_text(json.dumps(data), encoding="utf-8")


def read_until(fd: int, marker: bytes, timeout: float = 60.0) -> bytes:
    """What a command writes to ``fd`` until ``marker`` (a question it asks)."""
    import select
    import time

    seen = b""
    deadline = time.monotonic() + timeout
    while marker not in seen:
        ready, _, _ = select.select([fd], [], [], max(deadline - time.monotonic(), 0))
        assert ready, f"no {marker!r} after {timeout}s; got {seen!r}"
        chunk = os.read(fd, 4096)
        assert chunk, f"the command ended before asking; got {seen!r}"
        seen += chunk
    return seen


def answered(
    args: list[str], env: dict[str, str], meanwhile: Callable[[bytes], None]
) -> tuple[int, bytes]:
    """Run ``cdt`` on a terminal of its own; once it asks its question, call
    ``meanwhile`` with what it said, then answer yes. Its exit code and what it wrote
    to stderr after the question."""
    main_fd, terminal = os.openpty()
    proc = subprocess.Popen(
        [cdt_executable(), *args],
        stdin=terminal,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    os.close(terminal)
    try:
        assert proc.stderr is not None
        meanwhile(read_until(proc.stderr.fileno(), b"[y/N]"))
        os.write(main_fd, b"y\n")
        _, err = proc.communicate(timeout=120)
    finally:
        os.close(main_fd)
        if proc.poll() is None:
            proc.kill()
    return proc.returncode, err


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "tracker.json"


@pytest.fixture
def cdt(db: Path) -> Callable[..., Result]:
    """Run the installed ``cdt`` on the test's data file, with a fixed CDT_NOW."""

    def run(
        *args: str,
        now: str | None = NOW,
        stdin: str | None = None,
        cwd: Path | None = None,
        **env: str,
    ) -> Result:
        return run_cdt(list(args), base_env(db, now, **env), stdin=stdin, cwd=cwd)

    return run


@pytest.fixture
def seed_text() -> str:
    if not SEED.exists():
        pytest.skip(f"the seed communiqué is not at {SEED} (../shared is absent)")
    return SEED.read_text(encoding="utf-8")

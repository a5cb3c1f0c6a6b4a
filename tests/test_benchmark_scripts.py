"""The benchmark scripts that are not run by CI's smoke test (``benchmarks/``)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "instructions.py"


def instructions(
    tmp_path: Path, *revs: str, path: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = None if path is None else {"PATH": path}
    command = [sys.executable, str(SCRIPT), "--db", str(tmp_path / "none.json")]
    for rev in revs:
        command += ["--rev", rev]
    return subprocess.run(
        [*command, "--", "--version"], capture_output=True, text=True, env=env, check=False
    )


@pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind is not installed")
def test_instruction_counts_of_the_same_code_agree_within_a_percent(tmp_path: Path) -> None:
    done = instructions(tmp_path, ".", ".")
    assert done.returncode == 0, done.stderr
    counts = [float(n) for n in re.findall(r"([\d.]+) M instructions", done.stdout)]
    assert len(counts) == 2 and counts[0] > 1, done.stdout
    assert abs(counts[1] - counts[0]) / counts[0] < 0.01, done.stdout
    assert not (tmp_path / "none.json").exists()  # --version opens no data file


def test_instruction_counts_without_valgrind_say_so_and_count_nothing(tmp_path: Path) -> None:
    done = instructions(tmp_path, ".", path=str(tmp_path))  # no valgrind on this PATH
    assert done.returncode == 2
    assert "valgrind is not installed" in done.stdout
    assert "instructions" not in done.stdout

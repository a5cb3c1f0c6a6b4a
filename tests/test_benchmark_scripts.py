"""The benchmark scripts that are not run by CI's smoke test (``benchmarks/``)."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "instructions.py"
needs_valgrind = pytest.mark.skipif(shutil.which("valgrind") is None, reason="no valgrind")


def instructions(
    tmp_path: Path, *revs: str, args: tuple[str, ...] = ("--version",), path: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = None if path is None else {"PATH": path}
    command = [sys.executable, str(SCRIPT), "--db", str(tmp_path / "none.json")]
    for rev in revs:
        command += ["--rev", rev]
    return subprocess.run(
        [*command, "--", *args], capture_output=True, text=True, env=env, check=False
    )


@needs_valgrind
def test_instruction_counts_of_a_commit_and_the_same_working_tree_agree_within_a_percent(
    tmp_path: Path,
) -> None:
    done = instructions(tmp_path, "HEAD", ".")
    assert done.returncode == 0, done.stderr
    counts = [float(n) for n in re.findall(r"([\d.]+) M instructions", done.stdout)]
    assert len(counts) == 2 and counts[0] > 1, done.stdout
    assert abs(counts[1] - counts[0]) / counts[0] < 0.01, done.stdout
    assert not (tmp_path / "none.json").exists()  # --version opens no data file


@needs_valgrind
def test_a_command_that_fails_is_not_counted_and_its_error_is_shown(tmp_path: Path) -> None:
    done = instructions(tmp_path, ".", args=("no-such-command",))
    assert done.returncode == 1
    assert "exited 2" in done.stderr and "No such command" in done.stderr
    assert "instructions" not in done.stdout


FIRST_COMMIT = "738c4ea"  # no timeline yet


@needs_valgrind
def test_each_revision_runs_its_own_code(tmp_path: Path) -> None:
    known = subprocess.run(["git", "-C", str(SCRIPT.parent), "cat-file", "-e", FIRST_COMMIT])
    if known.returncode != 0:
        pytest.skip(f"{FIRST_COMMIT} is not in this clone")
    done = instructions(tmp_path, "HEAD", FIRST_COMMIT, args=("timeline",))
    assert re.search(r"HEAD +[\d.]+ M instructions", done.stdout), done.stdout
    assert done.returncode == 1
    assert f"{FIRST_COMMIT}: cdt timeline exited 2" in done.stderr
    assert "No such command 'timeline'" in done.stderr


@needs_valgrind
def test_a_revision_git_cannot_read_stops_the_count_with_git_s_message(tmp_path: Path) -> None:
    done = instructions(tmp_path, "no-such-revision")
    assert done.returncode == 1
    assert "git archive no-such-revision:" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_commit_is_copied_as_installed_with_its_data_and_compiled(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("instructions", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    tree = module.materialize("HEAD", tmp_path)
    package = tree / "consular_dialogue"
    assert (package / "data" / "sample.json").is_file()
    assert not (tree / "data").exists()
    assert list(package.glob("cli/__pycache__/*.pyc"))


def test_instruction_counts_without_valgrind_say_so_and_count_nothing(tmp_path: Path) -> None:
    done = instructions(tmp_path, ".", path=str(tmp_path))  # no valgrind on this PATH
    assert done.returncode == 1
    assert "valgrind is not installed" in done.stdout
    assert "instructions" not in done.stdout

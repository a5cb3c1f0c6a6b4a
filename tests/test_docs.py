"""The README's examples work as written: every ``cdt ...`` line of its code blocks is
run, in order, by the installed ``cdt`` on a copy of the demo data (as sqlite-utils'
``test_docs`` does for its documentation).

Files the examples write (``-o``) land in the test's folder, and a file an example
reads back (``restore``) is the one written earlier; the communiqué is the seed in
``../shared`` when there is one.
"""

from __future__ import annotations

import re
import shlex
import shutil
from collections.abc import Callable
from pathlib import Path

from conftest import REPO, SEED, Result

README = REPO / "README.md"
CODE_BLOCK = re.compile(r"^```[a-z]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
OUTPUT_OPTIONS = {"-o", "--output"}
# The README's name for a file it reads, and where the test finds it.
INPUT_FILES = {"comunicado-176.txt": SEED}


def readme_commands() -> list[str]:
    """Every line of a README code block that runs ``cdt``, in the README's order."""
    text = README.read_text(encoding="utf-8")
    return [
        line.strip()
        for block in CODE_BLOCK.findall(text)
        for line in block.splitlines()
        if line.strip().startswith("cdt ")
    ]


def as_run_here(line: str, folder: Path, written: dict[str, Path]) -> list[str]:
    """The line's arguments, with ``-o`` targets moved into ``folder`` and remembered."""
    args = shlex.split(line, comments=True)[1:]
    result: list[str] = []
    for position, arg in enumerate(args):
        if position and args[position - 1] in OUTPUT_OPTIONS:
            target = folder / Path(arg).name
            written[arg] = target
            result.append(str(target))
        else:
            result.append(str(written.get(arg, arg)))
    return result


def test_the_readme_shows_the_commands_of_every_section() -> None:
    commands = readme_commands()
    assert len(commands) >= 40
    for group in ("dialogue", "meeting", "agenda", "action", "export", "undo", "demo"):
        assert any(c.split()[1] == group for c in commands), group


def test_every_readme_example_runs_in_order_on_the_demo_data(
    cdt: Callable[..., Result], db: Path, tmp_path: Path
) -> None:
    assert cdt("demo", "--db", str(db)).code == 0
    for name, source in INPUT_FILES.items():
        if source.exists():
            shutil.copyfile(source, tmp_path / name)
    written: dict[str, Path] = {}
    failures: list[str] = []
    ran = 0
    for line in readme_commands():
        args = as_run_here(line, tmp_path, written)
        if any(name in args and not (tmp_path / name).exists() for name in INPUT_FILES):
            continue  # ../shared is absent: there is no communiqué to read
        if args[:2] == ["dialogue", "add"]:
            # The first step on a new file; the demo data has this dialogue already.
            args = ["--db", str(tmp_path / "new.json"), *args]
        # TMPDIR keeps `cdt demo`'s temporary file inside the test's folder.
        result = cdt(*args, cwd=tmp_path, TMPDIR=str(tmp_path))
        ran += 1
        if result.code != 0:
            failures.append(f"{line}\n    exit {result.code}: {result.stderr.strip()}")
    assert not failures, "README examples that fail:\n" + "\n".join(failures)
    assert ran >= 40
    assert all(path.exists() for path in written.values()), written

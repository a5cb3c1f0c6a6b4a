"""Count the instructions one ``cdt`` command runs, for the code of several commits.

    /work/venv/bin/python benchmarks/instructions.py --db FILE --rev 5fa908c --rev . -- agenda list

Whole-process times on this shared machine drift by a third from one run to the next
(``run.py``'s min and max), so a change that spares 5% of a command cannot be seen in
them. The number of instructions a process runs barely moves: valgrind's callgrind
counts them (0.2% apart between runs here), at fifty to a hundred times the run time. It
does not count the kernel's work (page faults, reading files): a change of memory use
shows in ``run.py``'s CPU time and peak RSS, not here.

Each ``--rev`` (a commit, or ``.`` for the working tree's files) is copied to a
temporary folder, its modules compiled there, and the command run from it
(``python -m consular_dialogue``) with ``CDT_DB=FILE``, ``CDT_NOW`` fixed and
``PYTHONHASHSEED=0``, on the libraries of the python running this script; its output
goes to /dev/null. The data file is only read by the commands worth counting; give a
copy for a command that writes. A command that fails is not counted: its error is
shown and the script stops (exit 1), as when valgrind or git is missing or a revision
cannot be read.
"""

from __future__ import annotations

import argparse
import compileall
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOW = "2026-06-15T10:00:00-06:00"


class Failure(Exception):
    """What stops the count, said in one line."""


def materialize(rev: str, into: Path) -> Path:
    """The package of ``rev`` in ``into``, as installed: ``data/`` inside it."""
    if rev == ".":
        fresh = shutil.ignore_patterns("__pycache__")  # compiled here, as for a commit
        shutil.copytree(ROOT / "consular_dialogue", into / "consular_dialogue", ignore=fresh)
        shutil.copytree(ROOT / "data", into / "data", ignore=fresh)
    else:
        try:
            archive = subprocess.run(
                ["git", "-C", str(ROOT), "archive", rev, "consular_dialogue", "data"],
                check=True,
                capture_output=True,
            ).stdout
        except FileNotFoundError:
            raise Failure("git is not installed: only --rev . can be counted") from None
        except subprocess.CalledProcessError as exc:
            said = exc.stderr.decode(errors="replace").strip()
            raise Failure(f"git archive {rev}: {said}") from None
        subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    (into / "data").rename(into / "consular_dialogue" / "data")
    compileall.compile_dir(into / "consular_dialogue", quiet=1)
    return into


def count(tree: Path, db: str, args: list[str]) -> int:
    """The instructions ``cdt ARGS`` runs from ``tree``."""
    paths = [str(tree), sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CDT_")}
    env.update(CDT_DB=db, CDT_NOW=NOW, PYTHONHASHSEED="0", PYTHONPATH=os.pathsep.join(paths))
    valgrind = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"]
    done = subprocess.run(
        [*valgrind, sys.executable, "-S", "-m", "consular_dialogue", *args],
        cwd=tree,  # (-m looks in the current folder first)
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    # Valgrind's own lines start with ==pid==; the rest is the command's.
    said = [line for line in done.stderr.splitlines() if line.strip() and line[:2] != "=="]
    if done.returncode != 0:
        raise Failure(f"cdt {' '.join(args)} exited {done.returncode}: {' / '.join(said[-3:])}")
    found = re.search(r"Collected : (\d+)", done.stderr)
    if found is None:
        raise Failure(f"valgrind gave no count: {done.stderr[-500:]}")
    return int(found.group(1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="the data file (CDT_DB)")
    parser.add_argument("--rev", action="append", required=True, help="a commit, or . (repeat)")
    parser.add_argument("args", nargs="+", help="the cdt command line, after --")
    options = parser.parse_args()
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (Debian: apt install valgrind); nothing counted.")
        return 1
    first = None
    for rev in options.rev:
        try:
            with tempfile.TemporaryDirectory() as folder:
                tree = materialize(rev, Path(folder))
                n = count(tree, str(Path(options.db).absolute()), options.args)
        except Failure as failure:
            print(f"{rev}: {failure}", file=sys.stderr)
            return 1
        first = first or n
        change = f" ({(n - first) / first:+.2%})" if n != first else ""
        print(f"{rev:>12}  {n / 1e6:9.1f} M instructions{change}  cdt {' '.join(options.args)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

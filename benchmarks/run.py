"""Time whole ``cdt`` processes on realistic data, side by side with Taskwarrior.

One command (run it with the venv's python, never a pyenv shim):

    /work/venv/bin/python benchmarks/run.py [--sizes S,M,L] [--runs 5] [--taskwarrior] [--jrnl]
    /work/venv/bin/python benchmarks/run.py --smoke        # CI: size S once, exit codes only
    /work/venv/bin/python benchmarks/run.py --profile --sizes M,L   # importtime + cProfile
    /work/venv/bin/python benchmarks/run.py --sizes L --reuse-db    # skip re-importing L

What it does, per size (S 50 meetings / 1,000 actions, M 500 / 10,000, L 5,000 / 100,000):
generates the dump (``benchmarks/generate.py``, seeded), loads it with the tool's own
bulk import (``cdt import dump.json``, timed), then times each command as a whole
process: median of ``--runs`` runs, min and max shown, median user+sys CPU time
(``os.wait4``) and peak RSS of that very process, with the children it waits for (GNU
``time -f %M``). Stdout goes to
a pipe that is read to the end (one row, ``action list`` on a terminal, to a
pseudo-terminal of 120 columns); stdin is /dev/null; ``CDT_NOW`` is fixed at
2026-06-15 so due dates and "overdue" never drift. Commands run round-robin (every command once per round) so a slow moment of
the machine does not land on one command only. A command the CLI does not register
yet (``report``, ``timeline``, ``export`` while others add them) is shown as n/a.

``--taskwarrior`` loads the same tasks (same titles, due dates, statuses, one
annotation each) into a throwaway TASKRC/TASKDATA under ``benchmarks/out/`` with
``task import`` and times pairs in turn (A B A B ...): ``cdt action list`` vs
``task list``, ``cdt action list --json`` vs ``task status:pending export``,
``cdt action add`` vs ``task add``. Only ``confirmation=off`` differs from a
user's defaults. Missing Taskwarrior is reported, not fatal.

``--jrnl`` installs jrnl into ``benchmarks/out/jrnl-venv`` (once) and times
``jrnl --version`` and, at M, adding one entry to a journal of 10,000 entries.

Output: a Markdown report on stdout and in ``benchmarks/out/results.md`` (raw
figures in ``results.json``). ``benchmarks/out/`` is ignored by git.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402  (the sibling module, not an installed package)

OUT = HERE / "out"
CDT_NOW = "2026-06-15T10:00:00-06:00"
SEARCH_WORD = "notificacion"  # accent-free on purpose: exercises the folding
IMPORT_RUNS = {"S": 5, "M": 3, "L": 1}  # at most --runs
SIZE_BUDGET = {"S": 300.0, "M": 600.0, "L": 900.0}  # seconds of timing per size


# ---- running one process -----------------------------------------------------


@dataclass
class Sample:
    wall: float  # seconds
    cpu: float  # user + system seconds of this process: less disturbed by a busy machine
    rss_kb: int  # peak resident set size of this process
    rc: int
    out_bytes: int
    err: str


GNU_TIME = Path("/usr/bin/time")


TERMINAL_SIZE = (40, 120)  # rows, columns of the pseudo-terminal a "terminal" run draws on


def run_once(
    argv: Sequence[str], env: dict[str, str], cwd: Path | None = None, *, terminal: bool = False
) -> Sample:
    """One whole process: stdout to a pipe read to its end, stdin /dev/null.

    With ``terminal``, stdout is a pseudo-terminal of TERMINAL_SIZE instead, as when a
    user runs the command by hand (Rich draws with colours there).

    Peak RSS comes from GNU time when present: a child's ru_maxrss from wait4 (or
    RUSAGE_CHILDREN) also counts the memory of the parent it was forked from,
    before the exec, so it would report this script's size, not cdt's.
    """
    with tempfile.TemporaryFile() as err_file, tempfile.NamedTemporaryFile("r") as rss_file:
        command = list(argv)
        if GNU_TIME.exists():
            command = [str(GNU_TIME), "-f", "%M", "-o", rss_file.name, *command]
        reader, writer = _terminal() if terminal else (None, subprocess.PIPE)
        started = time.perf_counter()
        proc = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=writer,
            stderr=err_file,
            env=env,
            cwd=cwd,
        )
        out_bytes = 0
        if reader is None:
            assert proc.stdout is not None
            while chunk := proc.stdout.read(1 << 16):
                out_bytes += len(chunk)
        else:
            os.close(writer)
            while True:
                try:
                    chunk = os.read(reader, 1 << 16)
                except OSError:  # EIO: the process closed the terminal's other end
                    break
                if not chunk:
                    break
                out_bytes += len(chunk)
            os.close(reader)
        # wait4's rusage covers the child and its reaped children (GNU time's command).
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.stdout is not None:
            proc.stdout.close()
        err_file.seek(0)
        err = err_file.read().decode("utf-8", "replace")
        rss_kb = usage.ru_maxrss
        if GNU_TIME.exists():
            reported = rss_file.read().split()
            rss_kb = int(reported[-1]) if reported and reported[-1].isdigit() else 0
    cpu = usage.ru_utime + usage.ru_stime
    return Sample(wall, cpu, rss_kb, proc.returncode, out_bytes, err)


def _terminal() -> tuple[int, int]:
    """A pseudo-terminal of TERMINAL_SIZE: (the end this script reads, the process's end)."""
    import fcntl
    import pty
    import struct
    import termios

    reader, writer = pty.openpty()
    fcntl.ioctl(writer, termios.TIOCSWINSZ, struct.pack("HHHH", *TERMINAL_SIZE, 0, 0))
    return reader, writer


def not_registered(sample: Sample) -> bool:
    """Click's usage error for an unknown command (exit 2)."""
    return sample.rc == 2 and "No such command" in sample.err


@dataclass
class Timing:
    label: str
    samples: list[Sample] = field(default_factory=list)
    status: str = "ok"  # ok | n/a | FAIL
    note: str = ""

    def add(self, sample: Sample) -> None:
        self.samples.append(sample)
        if sample.rc != 0 and self.status == "ok":
            self.status = "FAIL"
            lines = sample.err.strip().splitlines()
            self.note = f"exit {sample.rc}: {lines[-1] if lines else '(no message)'}"

    @property
    def walls_ms(self) -> list[float]:
        return [s.wall * 1000 for s in self.samples]

    @property
    def median_ms(self) -> float | None:
        return statistics.median(self.walls_ms) if self.samples else None

    @property
    def cpu_ms(self) -> float | None:
        return statistics.median(s.cpu * 1000 for s in self.samples) if self.samples else None

    @property
    def rss_mb(self) -> float | None:
        return max(s.rss_kb for s in self.samples) / 1024 if self.samples else None

    def cell(self, runs: int) -> str:
        if self.status == "n/a":
            return "n/a"
        if not self.samples:
            return "—"
        walls = self.walls_ms
        text = f"{fmt_ms(statistics.median(walls))} ({fmt_ms(min(walls))}–{fmt_ms(max(walls))})"
        if len(walls) != runs:
            text += f" n={len(walls)}"
        text += f" · cpu {fmt_ms(self.cpu_ms or 0)} · {self.rss_mb:.0f} MiB"
        if self.status == "FAIL":
            text = f"FAIL {text}"
        return text

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "status": self.status,
            "note": self.note,
            "median_ms": self.median_ms,
            "cpu_median_ms": self.cpu_ms,
            "walls_ms": self.walls_ms,
            "rss_mb": self.rss_mb,
            "out_bytes": [s.out_bytes for s in self.samples],
        }


def fmt_ms(ms: float) -> str:
    if ms >= 10_000:
        return f"{ms / 1000:.1f} s"
    if ms >= 1000:
        return f"{ms / 1000:.2f} s"
    return f"{ms:.0f} ms"


def fmt_bytes(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


def load() -> str:
    """The 1-minute load average: other work on the machine shows in wall times."""
    try:
        return f"{os.getloadavg()[0]:.1f}"
    except OSError:
        return "?"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ---- the tools ---------------------------------------------------------------


PYTHON = sys.executable  # the python whose venv holds the cdt being timed (see main)


def product_python() -> str:
    """A venv under ``out/`` with the project installed as the README installs it.

    ``pip install .`` (not ``-e``): compiled ``.pyc`` files and no editable-install
    finder, which costs ~20 ms on every start, so the figures are what users get.
    Re-installed on every run so they are the figures of the code in this tree.
    """
    venv = OUT / "venv"
    python = venv / "bin" / "python"
    if not python.exists():
        log("[install] creating benchmarks/out/venv")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    # pip reinstalls a local project on every call (and its dependencies only once).
    pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    subprocess.run([*pip, str(HERE.parent)], check=True)
    log("[install] cdt installed from this tree into benchmarks/out/venv")
    return str(python)


def cdt_argv() -> list[str]:
    """The venv's ``cdt`` next to PYTHON; ``python -m`` as a fallback."""
    script = Path(PYTHON).parent / "cdt"
    if script.exists():
        return [str(script)]
    return [PYTHON, "-m", "consular_dialogue"]


def cdt_env(db: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CDT_")}
    env.update(CDT_DB=str(db), CDT_NOW=CDT_NOW, CDT_LANG="en")
    env.pop("COLUMNS", None)
    return env


@dataclass
class Command:
    key: str
    label: str
    args: Callable[[SizeData, int], list[str]]  # (size data, run number) -> cdt args
    terminal: bool = False  # stdout a pseudo-terminal (as by hand), not a pipe


@dataclass
class SizeData:
    name: str
    dump_path: Path
    db: Path
    largest_meeting: int
    largest_meeting_actions: int
    open_ids: list[int]
    counts: dict[str, int]


def _add_args(d: SizeData, run: int) -> list[str]:
    return [
        "action",
        "add",
        f"Enviar estadísticas de visas H-2 a la Embajada (benchmark {run})",
        "--meeting",
        str(d.largest_meeting),
        "--party",
        "US",
        "--owner",
        "CA/VO",
        "--due",
        "2026-07-01",
    ]


COMMANDS = [
    Command("list", "`action list`", lambda d, r: ["action", "list"]),
    Command(
        "list_terminal",
        f"`action list` on a terminal ({TERMINAL_SIZE[1]} columns, colours)",
        lambda d, r: ["action", "list"],
        terminal=True,
    ),
    Command(
        "overdue",
        "`action list --overdue --json`",
        lambda d, r: ["action", "list", "--overdue", "--json"],
    ),
    Command(
        "report_meeting",
        "`report <largest meeting>`",
        lambda d, r: ["report", str(d.largest_meeting)],
    ),
    Command("report", "`report` (whole dialogue)", lambda d, r: ["report"]),
    Command("timeline", "`timeline`", lambda d, r: ["timeline"]),
    Command(
        "export_csv",
        "`export actions --format csv`",
        lambda d, r: ["export", "actions", "--format", "csv"],
    ),
    Command("search", f"`search {SEARCH_WORD}`", lambda d, r: ["search", SEARCH_WORD]),
    # Other everyday reads: the budget is every read command.
    Command(
        "meeting_show",
        "`meeting show <largest meeting>`",
        lambda d, r: ["meeting", "show", str(d.largest_meeting)],
    ),
    Command(
        "agenda_meeting",
        "`agenda list --meeting <largest meeting>`",
        lambda d, r: ["agenda", "list", "--meeting", str(d.largest_meeting)],
    ),
    Command("brief", "`brief <largest meeting>`", lambda d, r: ["brief", str(d.largest_meeting)]),
    Command("topics", "`topic list`", lambda d, r: ["topic", "list"]),
    Command("action_timeline", "`timeline --actions`", lambda d, r: ["timeline", "--actions"]),
    Command("log", "`log -n 20`", lambda d, r: ["log", "-n", "20"]),
    Command("agenda_all", "`agenda list`", lambda d, r: ["agenda", "list"]),
    Command(
        "list_all",
        "`action list --status all`",
        lambda d, r: ["action", "list", "--status", "all"],
    ),
    Command(
        "list_all_json",
        "`action list --status all --json`",
        lambda d, r: ["action", "list", "--status", "all", "--json"],
    ),
    Command(
        "export_ics",
        "`export actions --format ics`",
        lambda d, r: ["export", "actions", "--format", "ics"],
    ),
    Command("check", "`check` (every record and part)", lambda d, r: ["check"]),
    Command("add", "`action add` (write)", _add_args),
    Command("done", "`action done` (write)", lambda d, r: ["action", "done", str(d.open_ids[r])]),
]
STARTUP = [
    ("version", "`cdt --version`", ["--version"]),
    ("empty_list", "`cdt meeting list` (no data file)", ["meeting", "list"]),
    ("help", "`cdt --help`", ["--help"]),
]


# ---- data --------------------------------------------------------------------


def prepare_dump(size: str) -> tuple[Path, Path, dict[str, Any]]:
    """The dump and the Taskwarrior file, regenerated when the generator is newer."""
    folder = OUT / "data" / size
    dump_path, tw_path = folder / "dump.json", folder / "taskwarrior.json"
    generator = Path(generate.__file__)
    fresh = (
        dump_path.exists()
        and tw_path.exists()
        and dump_path.stat().st_mtime > generator.stat().st_mtime
    )
    if fresh:
        import orjson

        return dump_path, tw_path, orjson.loads(dump_path.read_bytes())
    log(f"[{size}] generating {dump_path.relative_to(HERE.parent)}")
    dump = generate.write_dump(size, dump_path, tw_path)
    return dump_path, tw_path, dump


def size_data(size: str, dump_path: Path, db: Path, dump: dict[str, Any]) -> SizeData:
    per_meeting: dict[int, int] = {}
    for action in dump["actions"]:
        per_meeting[action["meeting_id"]] = per_meeting.get(action["meeting_id"], 0) + 1
    largest = max(per_meeting, key=lambda m: (per_meeting[m], m))
    open_ids = [a["id"] for a in dump["actions"] if a["status"] not in ("done", "cancelled")]
    return SizeData(
        name=size,
        dump_path=dump_path,
        db=db,
        largest_meeting=largest,
        largest_meeting_actions=per_meeting[largest],
        open_ids=open_ids,
        counts={
            "meetings": len(dump["meetings"]),
            "agenda_items": len(dump["agenda_items"]),
            "actions": len(dump["actions"]),
            "unfinished": len(open_ids),
        },
    )


def fresh_db(folder: Path) -> Path:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return folder / "tracker.json"


def file_breakdown(db: Path) -> dict[str, int]:
    """Bytes of the data file (what most commands parse) and of its part files."""
    parts = db.with_name(db.name + ".parts")
    sizes: dict[str, int] = {"file": db.stat().st_size, "parts": 0, "history": 0}
    for part in parts.iterdir() if parts.exists() else ():
        size = part.stat().st_size
        sizes["parts"] += size
        if part.name.startswith("history-"):
            sizes["history"] += size
    return sizes


def copy_db(source: Path, destination: Path) -> None:
    """The data file and its parts folder (the whole store)."""
    shutil.copyfile(source, destination)
    parts = source.with_name(source.name + ".parts")
    if parts.exists():
        shutil.copytree(parts, destination.with_name(destination.name + ".parts"))


# ---- Taskwarrior and jrnl ----------------------------------------------------


def taskwarrior_version() -> str | None:
    exe = shutil.which("task")
    if exe is None:
        return None
    try:
        return subprocess.run(
            [exe, "--version"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def taskwarrior_env(folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TASK")}
    env.update(TASKRC=str(folder / "taskrc"), TASKDATA=str(folder / "data"))
    return env


def setup_taskwarrior(size: str, tw_json: Path, version: str) -> tuple[dict[str, str], Sample]:
    """A throwaway TASKRC/TASKDATA holding the same tasks, loaded by ``task import``."""
    folder = OUT / "tw" / size
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "data").mkdir(parents=True)
    # A user's defaults, except that scripts must not be asked questions; the news
    # line only silences the one-off "recently upgraded" banner. `owner` is declared
    # so the field the cdt data has is a real attribute, not an orphan.
    (folder / "taskrc").write_text(
        f"data.location={folder / 'data'}\n"
        "confirmation=off\n"
        f"news.version={version}\n"
        "uda.owner.type=string\nuda.owner.label=Owner\n",
        encoding="utf-8",
    )
    env = taskwarrior_env(folder)
    imported = run_once(["task", "import", str(tw_json)], env)
    # First command after an import does the garbage collection (moves finished
    # tasks to completed.data): once, untimed, as a user's first `task` would.
    run_once(["task", "list"], env)
    return env, imported


JRNL_CONFIG = """colors: {{body: none, date: none, tags: none, title: none}}
default_hour: 9
default_minute: 0
editor: ''
encrypt: false
highlight: false
indent_character: '|'
journals:
  default:
    journal: {journal}
linewrap: 79
tagsymbols: '#@'
template: false
timeformat: '%Y-%m-%d %H:%M'
version: v{version}
"""


def jrnl_exe() -> Path | None:
    venv = OUT / "jrnl-venv"
    exe = venv / "bin" / "jrnl"
    if exe.exists():
        return exe
    log("[jrnl] installing jrnl into benchmarks/out/jrnl-venv")
    try:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
        subprocess.run(
            [str(venv / "bin" / "pip"), "install", "-q", "jrnl"], check=True, capture_output=True
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        log(f"[jrnl] not installable: {exc}")
        return None
    return exe if exe.exists() else None


def setup_jrnl(exe: Path, dump: dict[str, Any]) -> dict[str, str]:
    """A journal with one entry per action (title, then its note as the body)."""
    folder = OUT / "jrnl"
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "config" / "jrnl").mkdir(parents=True)
    journal = folder / "journal.txt"
    lines = []
    for action in dump["actions"]:
        moment = dt.datetime.fromisoformat(action["created"])
        title = action["title"].rstrip(".") + "."
        lines.append(f"[{moment:%Y-%m-%d %H:%M}] {title}\n{action['notes'][0]['text']}\n")
    journal.write_text("\n".join(lines), encoding="utf-8")
    version = subprocess.run([str(exe), "--version"], capture_output=True, text=True).stdout
    number = version.split()[1].lstrip("v") if version.split()[1:] else "4.0"
    (folder / "config" / "jrnl" / "jrnl.yaml").write_text(
        JRNL_CONFIG.format(journal=journal, version=number), encoding="utf-8"
    )
    env = dict(os.environ, XDG_CONFIG_HOME=str(folder / "config"))
    return env


# ---- the benchmark -----------------------------------------------------------


@dataclass
class SizeResult:
    name: str
    counts: dict[str, int] = field(default_factory=dict)
    dump_bytes: int = 0
    largest_meeting: int = 0
    largest_meeting_actions: int = 0
    files: dict[str, int] = field(default_factory=dict)
    timings: dict[str, Timing] = field(default_factory=dict)
    pairs: list[tuple[Timing, Timing]] = field(default_factory=list)
    tw_import: Timing | None = None
    tw_files: int = 0
    load_before: str = ""
    load_after: str = ""
    notes: list[str] = field(default_factory=list)


def bench_import(data: SizeData, runs: int, result: SizeResult, budget_end: float) -> bool:
    """Time ``cdt import`` into a new file; the last run's file is the one measured next."""
    timing = Timing("`import dump.json` (bulk load)")
    result.timings["import"] = timing
    folder = data.db.parent
    for run in range(runs):
        db = fresh_db(folder)
        sample = run_once([*cdt_argv(), "import", str(data.dump_path)], cdt_env(db))
        timing.add(sample)
        log(
            f"[{data.name}] import run {run + 1}: {sample.wall:.2f} s, {sample.rss_kb / 1024:.0f} MiB, rc {sample.rc}"
        )
        if sample.rc != 0:
            result.notes.append(f"import failed: {sample.err.strip()[-300:]}")
            return False
        if time.monotonic() > budget_end:
            result.notes.append(f"import timed {run + 1} time(s): out of the size's time budget")
            break
    result.files = file_breakdown(data.db)
    return True


def bench_commands(
    data: SizeData, runs: int, result: SizeResult, budget_end: float, smoke: bool
) -> None:
    env = cdt_env(data.db)
    cdt = cdt_argv()
    live: list[Command] = []
    firsts: dict[str, Sample] = {}
    for command in COMMANDS:
        timing = Timing(command.label)
        result.timings[command.key] = timing
        # The first run checks the command exists and warms the page cache; in a
        # smoke run it is the only run. `done` uses a different open action each run.
        try:
            first = run_once([*cdt, *command.args(data, runs)], env, terminal=command.terminal)
        except OSError as exc:  # no pseudo-terminal to be had here
            timing.status = "n/a"
            timing.note = f"cannot open a pseudo-terminal ({exc.strerror or exc})"
            continue
        if not_registered(first):
            timing.status = "n/a"
            timing.note = "not registered in this build"
            continue
        if smoke or first.rc != 0:
            timing.add(first)
        if first.rc == 0:
            live.append(command)
            firsts[command.key] = first
    if smoke:
        return
    for run in range(runs):
        if time.monotonic() > budget_end:
            result.notes.append(f"commands timed {run} time(s): out of the size's time budget")
            if run == 0:
                # Better one figure than none: the checking run, marked n=1.
                for command in live:
                    result.timings[command.key].add(firsts[command.key])
                result.notes.append("figures with n=1 are the first (checking) run only")
            break
        for command in live:
            result.timings[command.key].add(
                run_once([*cdt, *command.args(data, run)], env, terminal=command.terminal)
            )
        log(f"[{data.name}] round {run + 1}/{runs} done")


def bench_taskwarrior(
    data: SizeData, tw_json: Path, runs: int, result: SizeResult, version: str, budget_end: float
) -> None:
    env_tw, imported = setup_taskwarrior(data.name, tw_json, version)
    result.tw_import = Timing("`task import`")
    result.tw_import.add(imported)
    result.tw_files = sum(p.stat().st_size for p in (OUT / "tw" / data.name / "data").iterdir())
    env_cdt = cdt_env(data.db)
    cdt = cdt_argv()
    add_title = "Enviar estadísticas de visas H-2 a la Embajada (benchmark tw {})"
    pairs: list[tuple[Timing, Timing, Callable[[int], list[str]], Callable[[int], list[str]]]] = [
        (
            Timing("`cdt action list`"),
            Timing("`task list`"),
            lambda r: [*cdt, "action", "list"],
            lambda r: ["task", "list"],
        ),
        (
            Timing("`cdt action list --json`"),
            Timing("`task status:pending export`"),
            lambda r: [*cdt, "action", "list", "--json"],
            lambda r: ["task", "status:pending", "export"],
        ),
        (
            Timing("`cdt action add`"),
            Timing("`task add`"),
            lambda r: [
                *cdt,
                "action",
                "add",
                add_title.format(r),
                "--meeting",
                str(data.largest_meeting),
                "--party",
                "US",
                "--owner",
                "CA/VO",
                "--due",
                "2026-07-01",
            ],
            lambda r: [
                "task",
                "add",
                add_title.format(r),
                f"project:consular.m{data.largest_meeting}",
                "owner:CA/VO",
                "due:2026-07-01",
            ],
        ),
    ]
    for run in range(runs):
        if time.monotonic() > budget_end:
            result.notes.append(
                f"Taskwarrior pairs timed {run} time(s): out of the size's time budget"
            )
            break
        for cdt_timing, tw_timing, cdt_args, tw_args in pairs:
            cdt_timing.add(run_once(cdt_args(run), env_cdt))
            tw_timing.add(run_once(tw_args(run), env_tw))
    result.pairs = [(a, b) for a, b, _, _ in pairs]


def bench_startup(runs: int, smoke: bool, taskwarrior: bool) -> dict[str, Timing]:
    """Start-up with no data, three times as many runs (they are short and noisy),
    next to the floors they stand on: the bare interpreter and the imports alone."""
    folder = OUT / "data" / "empty"
    db = fresh_db(folder)  # a path with no file: reading commands create nothing
    env = cdt_env(db)
    cases = [(key, label, [*cdt_argv(), *args]) for key, label, args in STARTUP]
    cases += [
        ("python", "`python -c pass` (interpreter floor)", [PYTHON, "-c", "pass"]),
        (
            "import_cli",
            "`python -c 'import consular_dialogue.cli'` (imports only)",
            [PYTHON, "-c", "import consular_dialogue.cli"],
        ),
    ]
    if taskwarrior:
        cases.append(("task_version", "`task --version` (reference)", ["task", "--version"]))
    timings = {key: Timing(label) for key, label, _ in cases}
    for key, _, argv in cases:
        first = run_once(argv, env)  # warm-up
        if smoke or first.rc != 0:
            timings[key].add(first)
    if not smoke:
        for _ in range(3 * runs):
            for key, _, argv in cases:
                timings[key].add(run_once(argv, env))
    return timings


def bench_jrnl(runs: int, dump_m: dict[str, Any] | None) -> dict[str, Timing]:
    exe = jrnl_exe()
    if exe is None:
        return {}
    timings: dict[str, Timing] = {"version": Timing("`jrnl --version`")}
    env_plain = dict(os.environ)
    run_once([str(exe), "--version"], env_plain)
    for _ in range(runs):
        timings["version"].add(run_once([str(exe), "--version"], env_plain))
    if dump_m is not None:
        env = setup_jrnl(exe, dump_m)
        timings["add"] = Timing(f'`jrnl "..."` add to {len(dump_m["actions"]):,} entries (M)')
        run_once([str(exe), "Calentamiento. Primera entrada."], env)
        for run in range(runs):
            timings["add"].add(
                run_once(
                    [str(exe), f"Enviar estadísticas de visas H-2 {run}. Borrador enviado."], env
                )
            )
    return timings


# ---- the report ----------------------------------------------------------------


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        from importlib.metadata import version

        cdt_version = version("consular-dialogue")
    except Exception:  # not installed: the report still says something
        cdt_version = "?"
    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cdt": cdt_version,
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "load": load(),
        "tree": source_tree(),
    }


def source_tree() -> str:
    """The commit measured, and whether the work tree had uncommitted changes."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=HERE
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--", "consular_dialogue"],
            capture_output=True,
            text=True,
            cwd=HERE.parent,
        ).stdout.splitlines()
    except OSError:
        return "?"
    return f"{head or '?'}" + (f" + {len(changed)} uncommitted file(s)" if changed else "")


def report(
    info: dict[str, str],
    runs: int,
    startup: dict[str, Timing],
    sizes: list[SizeResult],
    tw_version: str | None,
    jrnl: dict[str, Timing],
    smoke: bool,
) -> str:
    lines = ["# cdt benchmark", ""]
    lines.append(
        f"Machine: {info['nproc']} CPU(s), {info['cpu']}; Python {info['python']}; "
        f"{info['platform']}; cdt {info['cdt']} ({info['tree']}); Taskwarrior {tw_version or 'not installed'}; "
        f"run {info['date']}."
    )
    lines.append(
        f"Whole processes, stdout to a pipe, `CDT_NOW={CDT_NOW}`. Cells: median (min–max) of "
        f"{runs} run(s) · median user+sys CPU time · peak RSS, all of that one process "
        "with the children it waits for (`check` forks one, and so do the whole report, "
        "the ICS export and `action list --status all` at L: its CPU time is both's, its "
        "peak RSS the larger's). "
        f"Load average when the run started: {info['load']} (nproc {info['nproc']}); CPU "
        "time is the steadier figure when other work shares the machine."
    )
    if smoke:
        lines.append("")
        lines.append("**Smoke run: one run each; exit codes checked; no timing claims.**")
    lines += ["", f"## Start-up (no data; {1 if smoke else 3 * runs} runs each)", ""]
    lines += ["| Command | Time · RSS |", "|---|---|"]
    for timing in startup.values():
        lines.append(f"| {timing.label} | {timing.cell(1 if smoke else 3 * runs)} |")
    if jrnl:
        for timing in jrnl.values():
            lines.append(f"| {timing.label} (reference) | {timing.cell(runs)} |")

    if sizes:
        lines += ["", "## Data", ""]
        lines.append("| | " + " | ".join(s.name for s in sizes) + " |")
        lines.append("|---|" + "---|" * len(sizes))
        rows: list[tuple[str, Callable[[SizeResult], str]]] = [
            ("meetings", lambda s: f"{s.counts.get('meetings', 0):,}"),
            ("agenda items", lambda s: f"{s.counts.get('agenda_items', 0):,}"),
            (
                "actions (unfinished)",
                lambda s: f"{s.counts.get('actions', 0):,} ({s.counts.get('unfinished', 0):,})",
            ),
            ("dump (import input)", lambda s: fmt_bytes(s.dump_bytes)),
            (
                "data file after import (dialogues, topics, unfinished actions)",
                lambda s: fmt_bytes(s.files["file"]) if s.files else "—",
            ),
            (
                "part files (meetings, agenda items, finished actions, history, exchange bases)",
                lambda s: fmt_bytes(s.files["parts"]) if s.files else "—",
            ),
            ("… of which history", lambda s: fmt_bytes(s.files["history"]) if s.files else "—"),
            ("Taskwarrior data files", lambda s: fmt_bytes(s.tw_files) if s.tw_files else "—"),
            ("load average at start → end", lambda s: f"{s.load_before} → {s.load_after}"),
            (
                "largest meeting (its actions)",
                lambda s: f"{s.largest_meeting} ({s.largest_meeting_actions})",
            ),
        ]
        for label, getter in rows:
            lines.append(f"| {label} | " + " | ".join(getter(s) for s in sizes) + " |")

        lines += ["", "## cdt commands by size", ""]
        lines.append("| Command | " + " | ".join(s.name for s in sizes) + " |")
        lines.append("|---|" + "---|" * len(sizes))
        keys = ["import", *[c.key for c in COMMANDS]]
        labels = {"import": "`import dump.json` (bulk load)", **{c.key: c.label for c in COMMANDS}}
        for key in keys:
            cells = []
            for s in sizes:
                found = s.timings.get(key)
                cells.append(found.cell(runs) if found else "—")
            lines.append(f"| {labels[key]} | " + " | ".join(cells) + " |")

        tw_sizes = [s for s in sizes if s.pairs or s.tw_import]
        if tw_sizes:
            lines += [
                "",
                "## Side by side with Taskwarrior (same tasks; runs alternate A B A B)",
                "",
            ]
            lines.append("| Size | cdt | median · RSS | task | median · RSS | ratio cdt/task |")
            lines.append("|---|---|---|---|---|---|")
            for s in tw_sizes:
                if s.tw_import:
                    lines.append(
                        f"| {s.name} | `cdt import` | {s.timings['import'].cell(runs)} | `task import` | "
                        f"{s.tw_import.cell(1)} | {ratio(s.timings['import'], s.tw_import)} |"
                    )
                for a, b in s.pairs:
                    lines.append(
                        f"| {s.name} | {a.label} | {a.cell(runs)} | {b.label} | {b.cell(runs)} | "
                        f"{ratio(a, b)} |"
                    )
        notes = [f"{s.name}: {n}" for s in sizes for n in s.notes]
        missing = sorted({t.label for s in sizes for t in s.timings.values() if t.status == "n/a"})
        failed = [
            f"{s.name} {t.label}: {t.note}"
            for s in sizes
            for t in s.timings.values()
            if t.status == "FAIL"
        ]
        failed += [f"{t.label}: {t.note}" for t in startup.values() if t.status == "FAIL"]
        if missing or failed or notes:
            lines += ["", "## Notes", ""]
            if missing:
                lines.append("- Not registered in this build (n/a): " + ", ".join(missing))
            for line in failed:
                lines.append(f"- FAILED: {line}")
            for line in notes:
                lines.append(f"- {line}")
    return "\n".join(lines) + "\n"


def ratio(a: Timing, b: Timing) -> str:
    if a.median_ms is None or b.median_ms is None or b.median_ms == 0:
        return "—"
    return f"{a.median_ms / b.median_ms:.1f}×"


# ---- profiles ------------------------------------------------------------------


def profile(sizes: list[str]) -> None:
    """``-X importtime`` of the CLI, cProfile of list/add at M and of the L import."""
    folder = OUT / "profile"
    folder.mkdir(parents=True, exist_ok=True)
    env = cdt_env(OUT / "data" / "empty" / "tracker.json")
    proc = subprocess.run(
        [PYTHON, "-X", "importtime", "-c", "import consular_dialogue.cli"],
        capture_output=True,
        text=True,
        env=env,
    )
    rows = []
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:"):
            continue
        parts = line[len("import time:") :].split("|")
        if len(parts) != 3 or not parts[0].strip().isdigit():
            continue  # the header line
        rows.append((int(parts[1]), int(parts[0]), parts[2].rstrip()))
    rows.sort(reverse=True)
    text = "cumulative_us self_us module\n" + "\n".join(
        f"{c:>12} {s:>8} {n}" for c, s, n in rows[:40]
    )
    (folder / "importtime.txt").write_text(text + "\n", encoding="utf-8")
    log(f"[profile] {folder / 'importtime.txt'}")

    def cprofile(name: str, db: Path, args: list[str]) -> None:
        """Top 25 by cumulative time, then top 20 by own time (where the time really goes)."""
        import io
        import pstats

        stats_file = folder / f"{name}.prof"
        proc = subprocess.run(
            [
                PYTHON,
                *("-m", "cProfile", "-o", str(stats_file)),
                *("-m", "consular_dialogue", *args),
            ],
            capture_output=True,
            text=True,
            env=cdt_env(db),
        )
        text = io.StringIO()
        text.write(f"$ cdt {' '.join(args)}   (exit {proc.returncode})\n")
        stats = pstats.Stats(str(stats_file), stream=text)
        stats.sort_stats("cumulative").print_stats(25)
        stats.sort_stats("tottime").print_stats(20)
        (folder / f"{name}.txt").write_text(text.getvalue(), encoding="utf-8")
        log(f"[profile] {folder / name}.txt (rc {proc.returncode})")

    for size in sizes:
        db = OUT / "data" / size / "db" / "tracker.json"
        if not db.exists():
            log(f"[profile] {size}: no imported data file yet; run the benchmark first")
            continue
        if size in ("S", "M"):
            dump_path, _, dump = prepare_dump(size)
            data = size_data(size, dump_path, db, dump)
            cprofile(f"{size}-action-list", db, ["action", "list"])
            scratch = fresh_db(OUT / "profile" / f"{size}-db")
            copy_db(db, scratch)
            cprofile(f"{size}-action-add", scratch, _add_args(data, 0))
        if size == "L":
            scratch = fresh_db(OUT / "profile" / f"{size}-import-db")
            cprofile(f"{size}-import", scratch, ["import", str(OUT / "data" / size / "dump.json")])


# ---- main ------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="S,M,L", help="comma-separated: S, M, L")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per command")
    parser.add_argument("--taskwarrior", action="store_true", help="compare with Taskwarrior")
    parser.add_argument("--jrnl", action="store_true", help="time jrnl for reference")
    parser.add_argument("--smoke", action="store_true", help="size S once; fail on non-zero exits")
    parser.add_argument("--profile", action="store_true", help="write importtime/cProfile files")
    parser.add_argument(
        "--reuse-db",
        action="store_true",
        help="skip the import when a size's imported data file exists (e.g. to time L's commands)",
    )
    parser.add_argument(
        "--in-place",
        action="store_true",
        help="time the cdt of the python running this script (default: install into out/venv)",
    )
    args = parser.parse_args(argv)
    sizes = [s.strip().upper() for s in args.sizes.split(",") if s.strip()]
    for size in sizes:
        if size not in generate.SIZES:
            parser.error(f"unknown size {size!r}; use S, M or L")
    if args.smoke:
        sizes, runs = ["S"], 1
    else:
        runs = max(args.runs, 1)
    OUT.mkdir(parents=True, exist_ok=True)
    global PYTHON
    if not args.smoke and not args.in_place:
        PYTHON = product_python()
    if args.profile:
        profile(sizes)
        return 0

    info = machine()
    tw_version = taskwarrior_version() if args.taskwarrior else None
    if args.taskwarrior and tw_version is None:
        log(
            "Taskwarrior (`task`) is not installed; going on without it "
            "(apt-get install taskwarrior)."
        )
    startup = bench_startup(runs, args.smoke, tw_version is not None)
    log("[startup] done")

    results: list[SizeResult] = []
    dumps: dict[str, dict[str, Any]] = {}
    for size in sizes:
        started = time.monotonic()
        budget_end = started + SIZE_BUDGET[size]
        dump_path, tw_json, dump = prepare_dump(size)
        if size == "M":
            dumps[size] = dump
        data = size_data(size, dump_path, OUT / "data" / size / "db" / "tracker.json", dump)
        result = SizeResult(
            name=size,
            counts=data.counts,
            dump_bytes=dump_path.stat().st_size,
            largest_meeting=data.largest_meeting,
            largest_meeting_actions=data.largest_meeting_actions,
            load_before=load(),
        )
        results.append(result)
        del dump
        import_runs = 1 if args.smoke else min(runs, IMPORT_RUNS[size])
        if args.reuse_db and data.db.exists():
            result.notes.append("import not timed: --reuse-db used the file imported earlier")
            result.files = file_breakdown(data.db)
        elif not bench_import(data, import_runs, result, budget_end):
            continue
        # Writes go to a copy, so the imported file stays as imported (for --reuse-db
        # and --profile) and every benchmark starts from the same state.
        work = fresh_db(OUT / "data" / size / "work")
        copy_db(data.db, work)
        data.db = work
        bench_commands(data, runs, result, budget_end, args.smoke)
        if tw_version and not args.smoke:
            bench_taskwarrior(data, tw_json, runs, result, tw_version, budget_end)
        elif tw_version:
            # Smoke: only check that the same tasks load.
            _, imported = setup_taskwarrior(size, tw_json, tw_version)
            result.tw_import = Timing("`task import`")
            result.tw_import.add(imported)
            result.tw_files = sum(p.stat().st_size for p in (OUT / "tw" / size / "data").iterdir())
        result.load_after = load()
        log(f"[{size}] finished in {time.monotonic() - started:.0f} s")

    jrnl = bench_jrnl(runs, dumps.get("M")) if args.jrnl and not args.smoke else {}
    text = report(info, runs, startup, results, tw_version, jrnl, args.smoke)
    (OUT / "results.md").write_text(text, encoding="utf-8")
    raw = {
        "machine": info,
        "runs": runs,
        "smoke": args.smoke,
        "startup": {k: t.to_json() for k, t in startup.items()},
        "jrnl": {k: t.to_json() for k, t in jrnl.items()},
        "sizes": [
            {
                **{
                    k: v for k, v in asdict(r).items() if k not in ("timings", "pairs", "tw_import")
                },
                "timings": {k: t.to_json() for k, t in r.timings.items()},
                "pairs": [[a.to_json(), b.to_json()] for a, b in r.pairs],
                "tw_import": r.tw_import.to_json() if r.tw_import else None,
            }
            for r in results
        ],
    }
    (OUT / "results.json").write_text(
        json.dumps(raw, indent=1, ensure_ascii=False), encoding="utf-8"
    )
    print(text)

    failures = [t for t in startup.values() if t.status == "FAIL"]
    failures += [t for r in results for t in r.timings.values() if t.status == "FAIL"]
    failures += [r.tw_import for r in results if r.tw_import and r.tw_import.status == "FAIL"]
    missing = sorted({t.label for r in results for t in r.timings.values() if t.status == "n/a"})
    if args.smoke:
        if missing:
            log("Not registered yet (n/a, not a failure): " + ", ".join(missing))
        for t in failures:
            log(f"FAILED: {t.label}: {t.note}")
        log("smoke: " + ("FAILED" if failures else "ok"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

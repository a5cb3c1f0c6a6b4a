"""The frequent commands (``action list``, ``report``, ``meeting show``, ``action add``
and the others ``cli.fast.FAST_COMMANDS`` names) run without Typer when their line is
plain (``cli.fast``): the same options and arguments as the Typer commands, the same
output and changes, and any other line left to Typer."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import base_env, cdt_executable, run_cdt

from consular_dialogue.cli import build_app
from consular_dialogue.cli.fast import FAST_COMMANDS, ROOT, plain_command
from consular_dialogue.dates import PartialDate
from consular_dialogue.exporters import format_names
from consular_dialogue.lines import LONG_LIST
from consular_dialogue.models import AgendaStatus, Level, MeetingKind
from consular_dialogue.services.actions import add_action
from consular_dialogue.services.agenda import add_item, carry_agenda
from consular_dialogue.services.dialogues import add_dialogue
from consular_dialogue.services.meetings import MeetingFields, record_meeting
from consular_dialogue.services.topics import load_catalog
from consular_dialogue.storage import open_for_writing

TODAY = dt.date(2023, 4, 24)
NOW = dt.datetime(2023, 4, 24, 10, 0, tzinfo=dt.UTC)


Described = tuple[str, str, object, object, object, object]


def click_options(command: object) -> dict[str, Described]:
    """Each option of a click command: its parameter, its kind as ``cli.fast`` names it,
    its default, and what ``cli.fast`` never reads (an environment variable, repeats,
    a callback)."""
    found: dict[str, Described] = {}
    for param in command.params:  # type: ignore[attr-defined]
        if param.param_type_name != "option" or param.name == "help":
            continue
        kinds = {"BoolParamType": "flag", "IntParamType": "number", "StringParamType": "text"}
        kind = "flag" if param.is_flag else kinds.get(type(param.type).__name__, "other")
        if (
            type(param.type).__name__ == "TyperPath"
            and tuple(getattr(param.type, a) for a in _PATH_SETTINGS) == _PATH_AS_READ
        ):  # cli.fast mirrors Typer's Path with these settings only
            kind = "path"
        if type(param.type).__name__ == "FuncParamType" and all(
            param.type.convert(name, param, None) == name for name in format_names("actions")
        ):  # Typer's --format of export actions reads each of its names as given
            kind = "actions format"
        for name in param.opts + param.secondary_opts:
            described = (param.envvar, param.multiple, param.callback)
            found[name] = (str(param.name), kind, param.default, *described)
    return found


_PATH_SETTINGS = ("exists", "file_okay", "dir_okay", "writable", "readable", "resolve_path",
                  "allow_dash", "type")  # fmt: skip
_PATH_AS_READ = (False, True, True, False, True, False, False, None)


def fast_options(
    options: dict[str, tuple[str, str]],
    defaults: dict[str, object] | None = None,
    envvars: dict[str, str] | None = None,
) -> dict[str, Described]:
    defaults, envvars = defaults or {}, envvars or {}
    return {
        name: (
            param,
            kind,
            defaults.get(param, False if kind == "flag" else None),
            envvars.get(param),
            False,
            None,
        )
        for name, (param, kind) in options.items()
    }


def test_the_fast_paths_options_and_arguments_are_the_typer_commands() -> None:
    import typer

    root = typer.main.get_command(build_app())
    root_options = click_options(root)
    # The root's other options (--version, completion) are left to Typer.
    assert {n: root_options[n] for n in ROOT} == fast_options(ROOT)
    for words, fast in FAST_COMMANDS.items():
        command = root
        for word in words:
            command = command.commands[word]  # type: ignore[attr-defined]
        expected = fast_options(fast.options, fast.defaults, fast.envvars)
        assert click_options(command) == expected, words
        arguments = [p for p in command.params if p.param_type_name == "argument"]
        assert [p.name for p in arguments] == list(fast.arguments), words
        assert [p.required for p in arguments] == [i < fast.required for i in range(len(arguments))]
        kinds = {"IntParamType": "number", "StringParamType": "text"}
        assert [kinds[type(p.type).__name__] for p in arguments] == [*fast.arguments.values()]
        # Each argument is one word, but with ``many`` the last, which takes the rest.
        assert [p.nargs for p in arguments] == [1] * (len(arguments) - fast.many) + [-1] * fast.many
        assert [(p.default, p.envvar) for p in arguments] == [(None, None)] * len(arguments)


@pytest.mark.parametrize(
    "line",
    [
        "action list --help",
        "action list -h",
        "--version action list",
        "action list --party=MX",
        "action list --party MX --party US",
        "action list --json --json",
        "action list --meeting 1x",
        "action list --meeting +1",
        "action list --meeting ١",
        "action list --meeting 1234567890123456789",
        f"meeting list --year {'1' * 4301}",
        "action list --owner -x",
        "action list --owner",
        "action list extra",
        "action list --unknown",
        "action list -- --json",
        "--db",
        "--db x",
        "--db x --db y action list",
        "action list --db x",
        "action show",
        "action show 1 2",
        "action add",
        "action add -x",
        "action add a b",
        "action add a --party",
        "action add a --meeting one",
        "action set",
        "action set 1 --status",
        "action set x --status done",
        "action done",
        "action done 3x",
        "action done 3 -4",
        "action note 3",
        "action note x y",
        "action note 3 a b",
        "action note 3 --level",
        "action reopen 3",
        "meeting show -1",
        "agenda list 1",
        "log -n",
        "log -n -1",
        "topic list --json --json",
        "action",
        "meeting list --overdue",
        "list action",
        "",
        "report 1 2",
        "report x",
        "report -1",
        "report --format",
        "report -f html -f text",
        "report --format html --format text",
        "report -fhtml",
        "report --max-level=public",
        "brief",
        "brief 2 3",
        "timeline 2",
        "timeline --actions --actions",
        "timeline --from -1d",
        "report 2 --unknown",
        "--debug action list",
        "--debug report 1",
        "export actions --format CSV",
        "export actions --format ' csv'",
        "export actions --format pdf",
        "export actions --format=json",
        "export actions --format json --format csv",
        "export actions -o -",
        "export actions -o a.csv --output b.csv",
        "export actions --json",
        "export actions 1",
        "export meetings",
        "export",
        "search",
        "search a b",
        "search -x",
        "search - ",
        "search a --json --json",
        "search a --json=1",
        "search a --help",
        "search --lang es a",
    ],
)
def test_any_line_but_a_plain_one_is_left_to_typer(line: str) -> None:
    import shlex

    assert plain_command(shlex.split(line)) is None


def test_a_plain_line_sets_every_option_it_names_and_leaves_the_others_at_default() -> None:
    line = "--db f.json --lang es action list --meeting 12 --overdue --party MX"
    function, root, given = plain_command(line.split()) or ("", {}, {})
    assert function == "action_list"
    assert root == {"db": "f.json", "lang": "es", "date_order": None, "debug": False}
    assert given == {
        "status": None,
        "overdue": True,
        "due_before": None,
        "party": "MX",
        "owner": None,
        "meeting": 12,
        "topic": None,
        "json_out": False,
    }
    assert plain_command(["meeting", "list", "--year", "2023", "--kind", ""]) == (
        "meeting_list",
        {"db": None, "lang": None, "date_order": None, "debug": False},
        {"kind": "", "status": None, "year": 2023, "dialogue": None, "json_out": False},
    )
    no_root = {"db": None, "lang": None, "date_order": None, "debug": False}
    assert plain_command(["report", "-o", "r.html", "07", "--force"]) == (
        "report",
        no_root,
        {"meeting_id": 7, "dialogue": None, "output_format": "text", "output": "r.html",
         "force": True, "max_level": None},
    )  # fmt: skip
    assert plain_command(["export", "actions", "-o", "a//b.csv", "--overdue"]) == (
        "export_actions",
        no_root,
        {"output_format": "csv", "output": Path("a/b.csv"), "force": False, "status": None,
         "overdue": True, "due_before": None, "party": None, "owner": None, "meeting": None,
         "topic": None, "max_level": None},
    )  # fmt: skip
    assert plain_command(["search", "--json", "acción consular"]) == (
        "search", no_root, {"json_out": True, "text": "acción consular"}
    )  # fmt: skip
    assert plain_command(["search", ""]) == ("search", no_root, {"json_out": False, "text": ""})
    assert plain_command(["action", "done", "3", "04", "3"]) == (
        "action_done", no_root, {"action_ids": [3, 4, 3]}
    )  # fmt: skip
    assert plain_command(["action", "note", "--level", "public", "7", "Enviado"]) == (
        "action_note", no_root, {"action_id": 7, "text": "Enviado", "level": "public"}
    )  # fmt: skip
    assert plain_command(["action", "add", "Enviar cifras", "--due", "+30d"]) == (
        "action_add",
        no_root,
        {"title": "Enviar cifras", "meeting": None, "item": None, "party": "joint",
         "owner": None, "due": "+30d", "priority": None, "level": None, "json_out": False},
    )  # fmt: skip
    assert plain_command(["timeline", "--to", "2024"]) == (
        "timeline",
        no_root,
        {"dialogue": None, "topic": None, "actions": False, "start": None, "end": "2024",
         "max_level": None},
    )  # fmt: skip


def test_an_output_path_typer_would_refuse_as_unreadable_is_left_to_typer() -> None:
    """Typer refuses an ``-o`` path that exists and cannot be read; the fast path leaves
    it to Typer. Root reads anything, so as root the check runs as user nobody."""
    import os
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp())
    try:
        folder.chmod(0o755)  # nobody must reach the files
        secret, readable = folder / "secret.csv", folder / "open.csv"
        secret.write_text("")
        secret.chmod(0)
        readable.write_text("")
        probe = (
            "import sys\nfrom consular_dialogue.cli.fast import plain_command\n"
            "print([plain_command(['export', 'actions', '-o', p]) is None "
            "for p in sys.argv[1:]])"
        )
        command = [sys.executable, "-c", probe, str(secret), str(readable), str(folder / "new")]
        if os.geteuid() == 0:
            setpriv = shutil.which("setpriv")
            if setpriv is None:
                pytest.skip("running as root, with no setpriv to run as an unprivileged user")
            command = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", *command]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0 and os.geteuid() == 0:
            last = (done.stderr.strip().splitlines() or ["no message"])[-1]
            pytest.skip(f"user nobody cannot run this python from here: {last}")
        assert done.stdout.strip() == "[True, False, False]", done.stderr
    finally:
        shutil.rmtree(folder)


def test_a_line_whose_option_typer_would_read_from_the_environment_is_left_to_typer(
    tmp_path: Path,
) -> None:
    probe = "import sys\nfrom consular_dialogue.cli.fast import plain_command\n" + (
        "print(plain_command(sys.argv[1:]) is None)"
    )
    for value, declined in (("consular", "True"), ("", "False")):
        env = {**base_env(tmp_path / "t.json"), "CDT_DIALOGUE": value}
        for line in ("report", "timeline"):
            done = subprocess.run(
                [sys.executable, "-c", probe, line], env=env, capture_output=True, text=True
            )
            assert done.stdout.strip() == declined, (line, value, done.stderr)


@pytest.fixture(scope="module")
def listed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data file with two meetings and a long list of actions, some overdue."""
    db = tmp_path_factory.mktemp("fast") / "tracker.json"
    with open_for_writing(db) as repo:
        add_dialogue(repo, name="Diálogo Consular", key="consular", parties=["MX", "US"],
                     established=None, notes=None, now=NOW)  # fmt: skip
        for title, day in (("Reunión Anual", PartialDate(2023, 4, 17)),
                           ("Reunión Intermedia", PartialDate(2023, 10))):  # fmt: skip
            record_meeting(repo, MeetingFields(title=title, kind=MeetingKind.ANNUAL, date=day),
                           dialogue_key=None, now=NOW)  # fmt: skip
        load_catalog(repo, NOW)
        for n, topic in enumerate(("consular-access", "h2-visas", "training", None)):
            add_item(repo, 1, title=f"Tema {n} [i]y[/i]", topic=topic, status=None,
                     outcome=None, lead=None, level=(None, Level.PUBLIC)[n % 2], now=NOW)  # fmt: skip
        carry_agenda(repo, 1, 2, now=NOW, dry_run=False)
        for n in range(LONG_LIST + 5):
            add_action(repo, title=f"Acción {n}: notificación consular [b]x[/b]",
                       meeting_id=1 + n % 2, item_id=1 + n % 4 if n % 2 == 0 else None,
                       party=("MX", "US", "joint")[n % 3], owner="Dirección General",
                       due=TODAY + dt.timedelta(days=n - 30), priority=None,
                       level=(None, Level.PUBLIC)[n % 2], now=NOW)  # fmt: skip
        repo.record_history(now=NOW, command="cdt import x.json", action="import")
    return db


LINES = [
    "action list",
    "action list --json",
    "action list --overdue --party MX",
    "action list --meeting 2 --json",
    "action list --status all --topic consular",
    "action list --status bogus",
    "action list --due-before 05/04/2023",
    "--date-order dmy action list --due-before 05/04/2023",
    "--lang es action list --due-before +1m",
    "--lang es meeting list",
    "meeting list --json --year 2023",
    "meeting list --kind annual --status planned",
    "meeting list --kind yearly",
    "--db {missing} action list",
    "--db {missing} meeting list",
    "--date-order ymd action list",
    "report",
    "report 1",
    "report 2 --format markdown",
    "--lang es report 1 -f html",
    "report 1 -f json --max-level public",
    "report 9",
    "report 1 --dialogue consular",
    "report --dialogue nope",
    "report 1 -f pdf",
    "brief 2",
    "brief 1 --format markdown",
    "--lang es brief 2 --max-level internal",
    "brief 9",
    "timeline",
    "timeline --actions",
    "timeline --actions --from 2023-04 --to 2023-06",
    "--lang es timeline --max-level public",
    "timeline --topic consular-access",
    "timeline --topic consular-access --actions",
    "timeline --from 05/04/2023",
    "timeline --dialogue nope",
    "--date-order dmy timeline --from 05/04/2023",
    "report 1 -o {folder}",
    "report 1 -o {db}",
    "brief 2 -o {folder}/no/such.txt",
    "export actions",
    "export actions --format json --status all",
    "--lang es export actions --format markdown --overdue",
    "export actions --format ics --party MX --meeting 1",
    "export actions --max-level public --topic consular",
    "export actions --status bogus",
    "--date-order dmy export actions --due-before 05/04/2023",
    "export actions --due-before 05/04/2023",
    "export actions -o {folder}",
    "export actions -o {folder}/./",
    "export actions -o {db}",
    "export actions -o {db}/x.csv",
    "export actions --output {folder}/no/such.csv",
    "search notificacion",
    "search NOTIFICACIÓN --json",
    "--lang es search Tema",
    "search [b]x[/b]",
    "--lang es search nada",
    "--db {missing} search nada",
    "meeting show 1",
    "--lang es meeting show 2",
    "meeting show 1 --json",
    "meeting show 9",
    "action show 3",
    "--lang es action show 4 --json",
    "action show 999",
    "agenda list",
    "agenda list --meeting 2",
    "--lang es agenda list --open --topic H2-visas",
    "agenda list --status bogus",
    "agenda list --status open --json",
    "topic list",
    "--lang es topic list --json",
    "--db {missing} topic list",
    "log",
    "log -n 3",
    "log --record action:7 --json",
    "log --record bogus",
    "check",
    "--db {missing} check",
    "--db {missing} log",
]


@pytest.mark.parametrize("line", LINES)
def test_a_line_prints_the_same_with_or_without_typer(
    line: str, listed: Path, tmp_path: Path
) -> None:
    args = line.format(missing=tmp_path / "none.json", folder=tmp_path, db=listed).split()
    assert plain_command(args) is not None  # else this compares Typer with itself
    env = base_env(listed)
    fast = subprocess.run([cdt_executable(), *args], env=env, capture_output=True, text=True)
    typer_only = (
        "import sys\nfrom consular_dialogue.cli import main\nmain(sys.argv[1:], fast=False)\n"
    )
    slow = subprocess.run(
        [sys.executable, "-c", typer_only, *args], env=env, capture_output=True, text=True
    )
    assert (fast.returncode, fast.stdout, fast.stderr) == (
        slow.returncode,
        slow.stdout,
        slow.stderr,
    )
    assert fast.stdout or fast.stderr


CHANGES = [
    "action add Enviar_cifras_[b]H-2[/b] --meeting 2 --party US --owner CA/VO --due 2023-06-30",
    "action add Capacitación --item 3 --priority high --level restricted --json",
    "--date-order dmy action add Revisar --due 05/06/2023",
    "action add Revisar --due 05/06/2023",
    "action add Nada --meeting 9",
    "action add Nada --party XX",
    "action set 4 --status done --owner DGPC --json",
    "--lang es action set 5 --due none --title Nuevo",
    "action set 6 --due +2w --priority low --level public",
    "action set 7 --status bogus",
    "action set 9999 --status done",
    "action done 3",
    "action done 8 10 12",
    "action done 3 9999",
    "action note 11 Enviado_a_la_Embajada",
    "action note 13 Nota_reservada --level restricted",
    "action note 9999 x",
]


def _masked(text: str) -> str:
    """Output with every uuid (made anew by each run) and part file name masked."""
    import re

    text = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "U", text)
    return re.sub(r"-[0-9a-f]{12}\.json", "-P.json", text)


@pytest.mark.parametrize("line", CHANGES)
def test_a_change_does_the_same_with_or_without_typer(
    line: str, listed: Path, tmp_path: Path
) -> None:
    args = [word.replace("_", " ") for word in line.split()]
    assert plain_command(args) is not None  # else this compares Typer with itself
    seen = []
    for way, command in enumerate(_both_ways(args)):
        db = _copy(listed, tmp_path / str(way))
        done = subprocess.run(command, env=base_env(db), capture_output=True, text=True)
        after = [
            subprocess.run([cdt_executable(), *words], env=base_env(db), capture_output=True,
                           text=True, check=True).stdout
            for words in (["log", "-n", "3", "--json"], ["action", "list", "--status", "all",
                                                         "--json"])
        ]  # fmt: skip
        seen.append((done.returncode, _masked(done.stdout), done.stderr, *map(_masked, after)))
    assert seen[0] == seen[1]
    assert seen[0][2]  # it says what it did, or what is wrong
    # The change is the newest entry of the history, named by its command path.
    assert (seen[0][0] == 0) == (f'"action": "cdt action {args[args.index("action") + 1]}"'
                                 in seen[0][3])  # fmt: skip


def _copy(listed: Path, folder: Path) -> Path:
    """A copy of the ``listed`` file, with its parts, for a command that changes it."""
    import shutil

    shutil.copytree(listed.parent, folder)
    return folder / listed.name


def test_check_names_the_same_problems_of_a_damaged_file_with_or_without_typer(
    listed: Path, tmp_path: Path
) -> None:
    db = _copy(listed, tmp_path / "copy")
    data = json.loads(db.read_bytes())
    first, second = sorted(data["actions"], key=int)[:2]
    data["actions"][first]["due"] = "2023-13-01"
    data["actions"][second]["meeting_id"] = 999
    db.write_text(json.dumps(data), encoding="utf-8")
    assert plain_command(["check"]) is not None
    ended = [
        subprocess.run(command, env=base_env(db), capture_output=True, text=True)
        for command in _both_ways(["check"])
    ]
    assert [(e.returncode, e.stdout, e.stderr) for e in ended] == [
        (
            1,
            f"action {first} is malformed (ValueError: month must be in 1..12).\n"
            f"action {second} names a missing meeting 999.\n",
            f"2 problems found in {db}\n",
        )
    ] * 2


def test_a_change_with_its_stderr_closed_writes_only_its_data_with_or_without_typer(
    listed: Path, tmp_path: Path
) -> None:
    import os

    seen = []
    for way, command in enumerate(_both_ways(["action", "add", "Enviar", "--meeting", "1",
                                              "--json"])):  # fmt: skip
        db = _copy(listed, tmp_path / str(way))
        done = subprocess.run(command, env=base_env(db), capture_output=True, text=True)
        assert done.returncode == 0 and "Added action" in done.stderr
        closed = subprocess.run(command, env=base_env(db), stdout=subprocess.PIPE, text=True,
                                preexec_fn=lambda: os.close(2))  # fmt: skip
        # "Added action N" goes nowhere: not into the JSON on stdout.
        assert closed.returncode == 0
        seen.append(json.loads(closed.stdout)["title"])
        # A message with a tab (the undone command line quotes the title) too.
        tabbed = subprocess.run([cdt_executable(), "action", "add", "a\tb", "--meeting", "1"],
                                env=base_env(db), capture_output=True, text=True)  # fmt: skip
        assert tabbed.returncode == 0
        undone = subprocess.run([cdt_executable(), "undo"], env=base_env(db),
                                stdout=subprocess.PIPE, preexec_fn=lambda: os.close(2))  # fmt: skip
        assert (undone.returncode, undone.stdout) == (0, b"")
    assert seen == ["Enviar", "Enviar"]


@pytest.mark.parametrize("line", ["action add Enviar --meeting 1", "action done 3", "log -n 0"])
def test_a_reader_of_stderr_that_leaves_ends_a_command_as_typer_ends_it(
    line: str, listed: Path, tmp_path: Path
) -> None:
    import os

    ended = []
    for way, command in enumerate(_both_ways(line.split())):
        db = _copy(listed, tmp_path / str(way))
        # Buffered, as stderr is by default: what it still holds is written again at exit.
        env = {k: v for k, v in base_env(db).items() if k != "PYTHONUNBUFFERED"}
        read_end, write_end = os.pipe()
        os.close(read_end)  # gone before anything is said
        done = subprocess.run(command, env=env, stdout=subprocess.PIPE, stderr=write_end)
        os.close(write_end)
        ended.append((done.returncode, done.stdout))
    assert ended[0] == ended[1] == (1, b"")


def test_a_plain_change_runs_without_importing_typer(listed: Path, tmp_path: Path) -> None:
    db = _copy(listed, tmp_path / "copy")
    probe = (
        "import sys\n"
        "from consular_dialogue.cli import main\n"
        "main(sys.argv[1:])\n"
        "print('typer' in sys.modules, 'rich' in sys.modules, file=sys.stderr)\n"
    )
    for line in ("action add Enviar --meeting 1", "action done 3 5", "action note 7 Enviado",
                 "action set 9 --owner DGPC"):  # fmt: skip
        done = subprocess.run([sys.executable, "-c", probe, *line.split()], env=base_env(db),
                              capture_output=True, text=True, check=True)  # fmt: skip
        said, loaded = done.stderr.splitlines()[:-1], done.stderr.splitlines()[-1]
        assert loaded == "False False", line
        assert said and all(" action " in message for message in said), line


@pytest.mark.parametrize(
    ("line", "typer_loaded"),
    [
        ("action list --overdue", False),
        ("meeting list --json", False),
        ("report 1", False),
        ("timeline --actions", False),
        ("brief 2 -f markdown", False),
        ("export actions --format json", False),
        ("search notificación", False),
        ("meeting show 1", False),
        ("action show 2 --json", False),
        ("agenda list --meeting 1", False),
        ("topic list", False),
        ("log -n 2", False),
        ("export actions --format Json", True),
        ("action list --party=MX", True),
        ("action show 1 --json --json", True),
        ("log --record=action:1", True),
    ],
)
def test_a_plain_line_runs_without_importing_typer(
    line: str, typer_loaded: bool, listed: Path
) -> None:
    probe = (
        "import sys\n"
        "from consular_dialogue.cli import main\n"
        "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
        "print('typer' in sys.modules, file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, *line.split()],
        env=base_env(listed),
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stderr.splitlines()[-1] == str(typer_loaded)
    assert done.stdout


def test_a_check_of_a_sound_file_loads_neither_typer_nor_rich(listed: Path) -> None:
    loaded = "print('typer' in sys.modules, 'rich.console' in sys.modules, file=sys.stderr)\n"
    assert _after("check", listed, loaded) == "False False"


@pytest.mark.parametrize(
    ("line", "tinydb_loaded"),
    [
        ("action list", False),
        ("meeting list --json", False),
        ("report", False),
        ("timeline", False),
        ("search notificacion", False),
        ("action note 1 Enviada", True),
    ],
)
def test_only_a_write_imports_tinydb(line: str, tinydb_loaded: bool, listed: Path) -> None:
    """A read parses the data file itself; a write replaces it through a TinyDB storage."""
    found = _after(line, listed, "print('tinydb.storages' in sys.modules, file=sys.stderr)\n")
    assert found == str(tinydb_loaded)


def _after(line: str, listed: Path, then: str) -> str:
    """The last line that the code ``then`` prints on stderr, run in the process that
    ran ``cdt <line>`` (successfully) on ``listed``."""
    probe = (
        "import sys\n"
        "from consular_dialogue.cli import main\n"
        "try:\n    main(sys.argv[1:])\nexcept SystemExit as end:\n    assert not end.code\n" + then
    )
    done = subprocess.run([sys.executable, "-c", probe, *line.split()], env=base_env(listed),
                          capture_output=True, text=True, check=True)  # fmt: skip
    return done.stderr.splitlines()[-1]


# The stored records, and a report's count of items by status (a dataclass: a named
# tuple's field "count" would hide tuple.count).
DATACLASSES_OF_A_READ = {"PartialDate", "Record", "Dialogue", "Topic", "Delegation", "Meeting",
                         "AgendaItem", "Note", "Change", "Action", "StatusCount"}  # fmt: skip


@pytest.mark.parametrize(
    "line",
    ["action list", "action list --json", "export actions --format csv",
     "export actions --format ics", "meeting show 1", "report", "brief 2", "timeline",
     "agenda list", "search notificacion", "log"],
)  # fmt: skip
def test_a_read_defines_no_dataclass_but_the_records(line: str, listed: Path) -> None:
    """Python writes and compiles each dataclass's methods as the class is defined (1 ms
    for each, 1.5 ms frozen): the tool's other value types are named tuples or plain
    classes, which every command would otherwise pay for as it starts."""
    listing = (  # every class of the package's, nested ones too
        "import dataclasses, gc\n"
        "print(*{o.__qualname__ for o in gc.get_objects() if isinstance(o, type)\n"
        "        and o.__module__.startswith('consular_') and dataclasses.is_dataclass(o)},\n"
        "      file=sys.stderr)\n"
    )
    made = set(_after(line, listed, listing).split())
    assert {"Action", "PartialDate"} <= made  # (the probe sees the records' dataclasses)
    assert made <= DATACLASSES_OF_A_READ


def test_a_long_search_to_a_pipe_is_drawn_without_importing_rich(listed: Path) -> None:
    probe = (
        "import sys\n"
        "from consular_dialogue.cli import main\n"
        "main(sys.argv[1:])\n"
        "print('rich.console' in sys.modules, file=sys.stderr)\n"
    )
    args = ["search", "notificacion"]
    done = subprocess.run([sys.executable, "-c", probe, *args], env=base_env(listed),
                          capture_output=True, text=True, check=True)  # fmt: skip
    assert done.stderr == "False\n"
    assert len(done.stdout.splitlines()) == 2 + LONG_LIST + 5  # a header, a rule, the hits
    slow = subprocess.run(_both_ways(args)[1], env=base_env(listed), capture_output=True,
                          text=True, check=True)  # fmt: skip
    assert done.stdout == slow.stdout


def _both_ways(args: list[str]) -> list[list[str]]:
    typer_only = (
        "import sys\nfrom consular_dialogue.cli import main\nmain(sys.argv[1:], fast=False)\n"
    )
    return [[cdt_executable(), *args], [sys.executable, "-c", typer_only, *args]]


@pytest.mark.parametrize(
    "line",
    ["action list", "action list --json", "meeting list", "report", "timeline", "brief 2",
     "export actions --status all", "search notificacion"],
)  # fmt: skip
def test_a_reader_that_leaves_ends_a_command_as_typer_ends_it(line: str, listed: Path) -> None:
    ended = []
    for command in _both_ways(line.split()):
        process = subprocess.Popen(
            command, env=base_env(listed), stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()  # long before the list is written
        ended.append((process.wait(timeout=60), process.stderr.read()))
    assert ended[0] == ended[1]
    assert b"Traceback" not in ended[0][1]


@pytest.mark.parametrize(
    "line", ["action list", "report", "timeline --actions", "export actions --format ics"]
)
def test_an_interrupt_ends_a_command_as_typer_ends_it(line: str, tmp_path: Path) -> None:
    import os
    import signal
    import time

    fifo = tmp_path / "tracker.json"
    os.mkfifo(fifo)
    ended = []
    for command in _both_ways(line.split()):
        process = subprocess.Popen(
            command,
            env=base_env(fifo),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            # A shell's background job ignores Ctrl-C, and its children inherit that.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        deadline = time.monotonic() + 60
        while True:  # the command has opened the data file once a writer can open it
            try:
                writer = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
                break
            except OSError:
                assert time.monotonic() < deadline and process.poll() is None
                time.sleep(0.05)
        time.sleep(0.2)  # now it waits for the file's bytes
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
        os.close(writer)
        ended.append((process.returncode, out, err))
    assert ended[0] == ended[1] == (130, b"", b"")


@pytest.mark.parametrize(
    ("line", "second"),
    [
        ("report 1 -o {out}", 1),  # refused: the file exists
        ("brief 2 --format html --output {out}", 1),
        ("report -f json -o {out}", 1),
        ("report 1 -o {out} --force", 0),
        ("export actions -o {out}", 1),
        ("export actions --format xlsx --status all -o {out} --force", 0),
        ("export actions --format ics --output {out}", 1),
    ],
)
def test_a_report_or_export_written_to_a_file_is_the_same_with_or_without_typer(
    line: str, second: int, listed: Path, tmp_path: Path
) -> None:
    written = []
    for way, command in enumerate(_both_ways(line.split())):
        folder = tmp_path / "out"
        folder.mkdir()
        out = folder / "report.txt"
        args = [word.format(out=out) for word in command]
        done = subprocess.run(args, env=base_env(listed), capture_output=True, text=True)
        again = subprocess.run(args, env=base_env(listed), capture_output=True, text=True)
        written.append((done.returncode, done.stderr, out.read_bytes(), again.returncode,
                        again.stderr))  # fmt: skip
        (folder / "report.txt").rename(tmp_path / f"report{way}.txt")
        folder.rmdir()
    assert written[0] == written[1]
    assert written[0][0] == 0 and written[0][2] and written[0][3] == second


def _on_terminal(
    command: list[str], db: Path, stdin_columns: int | None = None, **environ: str
) -> tuple[int, bytes]:
    """Run ``command`` on a 72-column terminal (TERM=xterm unless ``environ`` says
    otherwise), its stdin on a terminal of its own of ``stdin_columns`` if given: its exit
    code and what the terminal got."""
    import fcntl
    import os
    import pty
    import struct
    import termios

    parent, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 72, 0, 0))
    stdin_parent, stdin_child = pty.openpty() if stdin_columns else (None, child)
    if stdin_columns:
        fcntl.ioctl(stdin_child, termios.TIOCSWINSZ, struct.pack("HHHH", 40, stdin_columns, 0, 0))
    env = {k: v for k, v in base_env(db).items() if k not in ("COLUMNS", "NO_COLOR")}
    env = {**env, "TERM": "xterm", **environ}
    process = subprocess.Popen(command, env=env, stdout=child, stderr=child,
                               stdin=stdin_child)  # fmt: skip
    for fd in {child, stdin_child}:
        os.close(fd)
    chunks = []
    while True:
        try:
            chunk = os.read(parent, 65536)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        chunks.append(chunk)
    for fd in (parent, stdin_parent):
        if fd is not None:
            os.close(fd)
    return process.wait(timeout=60), b"".join(chunks)


@pytest.mark.parametrize(
    "line", ["report 1", "timeline", "action list", "meeting show 1", "agenda list", "log"]
)
def test_a_command_on_a_terminal_draws_the_same_with_or_without_typer(
    line: str, listed: Path
) -> None:
    drawn = [_on_terminal(command, listed) for command in _both_ways(line.split())]
    assert drawn[0] == drawn[1]
    lines = strip_styles(drawn[0][1]).splitlines()
    assert drawn[0][0] == 0 and 60 < max(map(len, lines)) <= 72  # the terminal's width


@pytest.fixture(scope="module")
def styled(listed: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``listed``, with actions of every status (each its own style) among the open."""
    db = _copy(listed, tmp_path_factory.mktemp("styled") / "copy")
    for action_id, status in ((3, "done"), (4, "blocked"), (5, "cancelled"), (6, "in-progress")):
        done = run_cdt(["action", "set", str(action_id), "--status", status], base_env(db))
        assert done.code == 0, done.stderr
    with open_for_writing(db) as repo:  # a long agenda, of every status
        for n in range(LONG_LIST):
            status = tuple(AgendaStatus)[n % len(AgendaStatus)]
            add_item(repo, 2, title=f"Punto {n}", topic=None, status=status, outcome=None,
                     lead="MX" if n % 2 else None, level=None, now=NOW)  # fmt: skip
    return db


# ``cdt`` ARGS, then whether Rich's console was loaded, written to $RICH_FLAG.
RICH_PROBE = (
    "import os, sys\n"
    "from consular_dialogue.cli import main\n"
    "code = 0\n"
    "try:\n    main(sys.argv[1:])\nexcept SystemExit as end:\n    code = end.code\n"
    "open(os.environ['RICH_FLAG'], 'w').write(str('rich.console' in sys.modules))\n"
    "sys.stdout.flush()\n"
    "sys.exit(code)\n"
)
TERMINALS = [
    {},
    {"TERM": "xterm-256color", "COLORTERM": "truecolor"},
    {"TERM": "xterm-kitty"},
    {"TERM": ""},
    {"COLUMNS": "57"},
    {"COLUMNS": "300"},
    {"CDT_LANG": "es"},
]


@pytest.mark.parametrize(
    "line",
    ["action list", "action list --status all", "search notificacion", "search consular",
     "agenda list"],
)  # fmt: skip
@pytest.mark.parametrize("terminal", TERMINALS, ids=str)
def test_a_long_list_on_a_terminal_is_what_rich_draws_there_without_loading_rich(
    line: str, terminal: dict[str, str], styled: Path, tmp_path: Path
) -> None:
    flag = tmp_path / "rich-loaded"
    command = [sys.executable, "-c", RICH_PROBE, *line.split()]
    env = {**terminal, "RICH_FLAG": str(flag)}
    drawn = _on_terminal(command, styled, **env)
    loaded = flag.read_text()
    # TTY_COMPATIBLE=1 tells Rich it is a terminal, as the terminal does: Rich draws.
    by_rich = _on_terminal(command, styled, **env, TTY_COMPATIBLE="1")
    assert (loaded, flag.read_text()) == ("False", "True")
    assert drawn == by_rich
    assert drawn[0] == 0 and b"\x1b[1m" in drawn[1]  # styled: its header is bold
    if line == "action list --status all":
        for code in (b"\x1b[32m", b"\x1b[31m", b"\x1b[2;9m", b"\x1b[1;31m"):
            assert code in drawn[1]  # done, blocked, cancelled, overdue


@pytest.mark.parametrize(
    "environ",
    [{"NO_COLOR": "1"}, {"NO_COLOR": ""}, {"FORCE_COLOR": "1"}, {"TTY_INTERACTIVE": "0"},
     {"TERM": "dumb"}, {"TERM": "unknown"}, {"TERM": "DUMB"}, {"COLUMNS": "0"}],
    ids=str,
)  # fmt: skip
def test_a_long_list_is_left_to_rich_on_a_terminal_rich_may_draw_otherwise(
    environ: dict[str, str], styled: Path, tmp_path: Path
) -> None:
    flag = tmp_path / "rich-loaded"
    command = [sys.executable, "-c", RICH_PROBE, "action", "list"]
    drawn = _on_terminal(command, styled, **environ, RICH_FLAG=str(flag))
    assert drawn[0] == 0 and flag.read_text() == "True"


def test_a_long_list_on_a_terminal_takes_richs_width_from_stdin_first(
    styled: Path, tmp_path: Path
) -> None:
    """Rich asks stdin, stdout and stderr for the terminal's size, in that order: stdin
    on a terminal of 50 columns draws at 50 on stdout's of 72, as Rich does."""
    drawn = []
    for n, extra in enumerate(({}, {"TTY_COMPATIBLE": "1"})):
        flag = tmp_path / f"flag{n}"
        command = [sys.executable, "-c", RICH_PROBE, "action", "list"]
        drawn.append(
            (*_on_terminal(command, styled, 50, RICH_FLAG=str(flag), **extra), flag.read_text())
        )
    assert drawn[0][:2] == drawn[1][:2] and (drawn[0][2], drawn[1][2]) == ("False", "True")
    lines = strip_styles(drawn[0][1]).splitlines()
    assert drawn[0][0] == 0 and max(map(len, lines)) == 50


def test_each_code_a_long_list_writes_on_a_terminal_is_richs_for_every_colour_system() -> None:
    from rich.color import ColorSystem
    from rich.style import Style

    from consular_dialogue.lines import _SGR, STATUS_STYLES, terminal_codes
    from consular_dialogue.timeline import PARTY_STYLES, TODAY_STYLE

    for style in _SGR:
        for system in (ColorSystem.STANDARD, ColorSystem.EIGHT_BIT, ColorSystem.TRUECOLOR):
            before, _, after = (
                Style.parse(style).render("\x00", color_system=system).partition("\x00")
            )
            assert terminal_codes(style) == (before, after), (style, system)
    # Every style a long list or timeline uses has its codes here (else Rich draws it).
    used = {*STATUS_STYLES.values(), *PARTY_STYLES, TODAY_STYLE, "bold", "bold red", "dim"}
    assert used <= _SGR.keys()


def test_an_export_refuses_to_write_xlsx_to_a_terminal_with_or_without_typer(
    listed: Path,
) -> None:
    line = ["export", "actions", "--format", "xlsx"]
    assert plain_command(line) is not None
    refused = [_on_terminal(command, listed) for command in _both_ways(line)]
    assert refused[0] == refused[1]
    assert refused[0][0] != 0 and b"binary format" in refused[0][1]
    assert b"PK" not in refused[0][1]  # no zip archive reached the terminal


def strip_styles(output: bytes) -> str:
    import re

    return re.sub(r"\x1b\[[0-9;]*m", "", output.decode("utf-8")).replace("\r", "")


@pytest.mark.parametrize("line", ["report", "timeline"])
def test_an_empty_cdt_dialogue_is_no_dialogue_with_or_without_typer(
    line: str, listed: Path
) -> None:
    env = {**base_env(listed), "CDT_DIALOGUE": ""}
    assert plain_command(line.split()) is not None
    done = [subprocess.run(c, env=env, capture_output=True, text=True) for c in _both_ways([line])]
    assert (done[0].returncode, done[0].stdout, done[0].stderr) == (
        done[1].returncode,
        done[1].stdout,
        done[1].stderr,
    )
    assert done[0].returncode == 0 and "Diálogo Consular" in done[0].stdout

"""The frequent commands run without Typer, when their command line is a plain one.

Importing Typer and letting it build a command costs about 45 ms of every run here,
a quarter of ``cdt action list`` on 10,000 actions: the difference between keeping
pace with Taskwarrior or not. So the commands of ``FAST_COMMANDS`` (the lists, pages,
reports, searches and exports people run every day, ``check``, and the commonest changes:
``action list``, ``meeting show``, ``report``, ``log``, ``action add``, ``action
done``...) are read here when every word of their line is one of their options, each
given once in its plain form (``--party MX``, ``--overdue``, ``-f html``), or one of
their arguments (``report 2``, ``search acción``, ``action done 3 4``). Anything else
(``--help``, ``--party=MX``, a repeated or unknown option, a number that is not plain
digits or longer than 18, a word that starts with a dash, an export format not named
exactly, an ``-o`` path that Typer would refuse, a missing or extra argument, an
environment variable that Typer would read, ``--debug``) is left to Typer, which reads
it or says what is wrong. An interrupt or a reader that leaves ends the command as
Typer ends it.

``ROOT`` and ``FAST_COMMANDS`` mirror the Typer commands; a test keeps them equal, and
runs lines both ways to compare what they print and, for a change, what it wrote.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence
from itertools import zip_longest
from pathlib import Path
from typing import Any

from ..errors import EXIT_INTERRUPTED

# Option -> (the parameter it sets, its kind): "flag", or one of ``_VALUES``.
Options = dict[str, tuple[str, str]]

# ``--debug`` is left to Typer: its tracebacks show Typer's frames.
ROOT: Options = {
    "--db": ("db", "text"),
    "--lang": ("lang", "text"),
    "--date-order": ("date_order", "text"),
}


class FastCommand:
    """A command this module runs: its function in ``cli.<module>`` (``reads``, or
    ``writes`` for a change), its options, its arguments (their kinds by name, in
    order: "number" or "text"; the first ``required`` of them must be given, and with
    ``many`` the last takes every word left, as a list), the defaults that are neither
    off nor None, and the environment variables Typer would read for an option (a line
    is left to Typer while one is set)."""

    def __init__(
        self,
        function: str,
        options: Options,
        *,
        module: str = "reads",
        arguments: Mapping[str, str] | None = None,
        required: int = 0,
        many: bool = False,
        defaults: Mapping[str, object] | None = None,
        envvars: Mapping[str, str] | None = None,
    ) -> None:
        self.function = function
        self.module = module
        self.options = options
        self.arguments = dict(arguments or {})
        self.required = required
        self.many = many
        self.defaults = dict(defaults or {})
        self.envvars = dict(envvars or {})


_REPORT_OPTIONS: Options = {
    "--format": ("output_format", "text"),
    "-f": ("output_format", "text"),
    "--output": ("output", "text"),
    "-o": ("output", "text"),
    "--force": ("force", "flag"),
    "--max-level": ("max_level", "text"),
}
_DIALOGUE_FROM_ENV = {"dialogue": "CDT_DIALOGUE"}
_ACTION_FILTER: Options = {
    "--status": ("status", "text"),
    "--overdue": ("overdue", "flag"),
    "--due-before": ("due_before", "text"),
    "--party": ("party", "text"),
    "--owner": ("owner", "text"),
    "--meeting": ("meeting", "number"),
    "--topic": ("topic", "text"),
}

# What ``action add`` and ``action set`` both set.
_ACTION_FIELDS: Options = {
    "--party": ("party", "text"),
    "--owner": ("owner", "text"),
    "--due": ("due", "text"),
    "--priority": ("priority", "text"),
    "--level": ("level", "text"),
    "--json": ("json_out", "flag"),
}

# The words that name a command (``action list``, ``report``) -> how it is run.
FAST_COMMANDS: dict[tuple[str, ...], FastCommand] = {
    ("action", "list"): FastCommand(
        "action_list", {**_ACTION_FILTER, "--json": ("json_out", "flag")}
    ),
    ("action", "show"): FastCommand(
        "action_show",
        {"--json": ("json_out", "flag")},
        arguments={"action_id": "number"},
        required=1,
    ),
    ("meeting", "show"): FastCommand(
        "meeting_show",
        {"--json": ("json_out", "flag")},
        arguments={"meeting_id": "number"},
        required=1,
    ),
    ("agenda", "list"): FastCommand(
        "agenda_list",
        {
            "--meeting": ("meeting", "number"),
            "--topic": ("topic", "text"),
            "--status": ("status", "text"),
            "--open": ("open_only", "flag"),
            "--json": ("json_out", "flag"),
        },
    ),
    ("topic", "list"): FastCommand("topic_list", {"--json": ("json_out", "flag")}),
    ("log",): FastCommand(
        "log",
        {
            "-n": ("number", "number"),
            "--record": ("record", "text"),
            "--json": ("json_out", "flag"),
        },
    ),
    # The commonest changes.
    ("action", "add"): FastCommand(
        "action_add",
        {"--meeting": ("meeting", "number"), "--item": ("item", "number"), **_ACTION_FIELDS},
        module="writes",
        arguments={"title": "text"},
        required=1,
        defaults={"party": "joint"},
    ),
    ("action", "set"): FastCommand(
        "action_set",
        {"--status": ("status", "text"), "--title": ("title", "text"), **_ACTION_FIELDS},
        module="writes",
        arguments={"action_id": "number"},
        required=1,
    ),
    ("action", "done"): FastCommand(
        "action_done",
        {},
        module="writes",
        arguments={"action_ids": "number"},
        required=1,
        many=True,
    ),
    ("action", "note"): FastCommand(
        "action_note",
        {"--level": ("level", "text")},
        module="writes",
        arguments={"action_id": "number", "text": "text"},
        required=2,
    ),
    ("export", "actions"): FastCommand(
        "export_actions",
        {
            "--format": ("output_format", "actions format"),
            "--output": ("output", "path"),
            "-o": ("output", "path"),
            "--force": ("force", "flag"),
            **_ACTION_FILTER,
            "--max-level": ("max_level", "text"),
        },
        defaults={"output_format": "csv"},
    ),
    ("search",): FastCommand(
        "search",
        {"--json": ("json_out", "flag")},
        arguments={"text": "text"},
        required=1,
    ),
    ("meeting", "list"): FastCommand(
        "meeting_list",
        {
            "--kind": ("kind", "text"),
            "--status": ("status", "text"),
            "--year": ("year", "number"),
            "--dialogue": ("dialogue", "text"),
            "--json": ("json_out", "flag"),
        },
    ),
    ("report",): FastCommand(
        "report",
        {"--dialogue": ("dialogue", "text"), **_REPORT_OPTIONS},
        arguments={"meeting_id": "number"},
        defaults={"output_format": "text"},
        envvars=_DIALOGUE_FROM_ENV,
    ),
    ("brief",): FastCommand(
        "brief",
        _REPORT_OPTIONS,
        arguments={"meeting_id": "number"},
        required=1,
        defaults={"output_format": "text"},
    ),
    ("check",): FastCommand("check", {}),
    ("timeline",): FastCommand(
        "timeline",
        {
            "--dialogue": ("dialogue", "text"),
            "--topic": ("topic", "text"),
            "--actions": ("actions", "flag"),
            "--from": ("start", "text"),
            "--to": ("end", "text"),
            "--max-level": ("max_level", "text"),
        },
        envvars=_DIALOGUE_FROM_ENV,
    ),
}


def _number(word: str) -> int | None:
    """A plain number as Typer reads it the same way; None for any other word."""
    return int(word) if word.isascii() and word.isdigit() and len(word) <= 18 else None


def _path(word: str) -> Path | None:
    """A path as Typer reads it (a ``Path``), unless Typer would refuse it: it exists
    and cannot be read."""
    try:
        os.stat(word)
    except OSError:
        return Path(word)
    return Path(word) if os.access(word, os.R_OK) else None


def _actions_format(word: str) -> str | None:
    """One of the export formats of actions, as named; Typer reads any other word."""
    from ..exporters import format_names

    return word if word in format_names("actions") else None


# An option's kind -> its value, read from the word after it; None when Typer should
# read the word.
_VALUES: dict[str, Callable[[str], Any]] = {
    "text": str,
    "number": _number,
    "path": _path,
    "actions format": _actions_format,
}


def _read_words(
    args: list[str],
    options: Options,
    values: dict[str, Any],
    arguments: list[Any] | None,
    kinds: Sequence[str] = (),
    many: bool = False,
) -> int | None:
    """Read ``args`` from the start into ``values`` (options) and ``arguments`` (None
    where there can be none, at the root), up to the first other word: its index, or
    None if a word is not read plainly. The arguments are of ``kinds``, in order, and
    with ``many`` as many more of the last kind as are given."""
    i = 0
    while i < len(args):
        word = args[i]
        if not word.startswith("-"):
            if arguments is None:
                return i
            at = len(arguments)
            if at >= len(kinds) and not (many and kinds):
                return None  # one too many: Typer says so
            argument = _VALUES[kinds[min(at, len(kinds) - 1)]](word)
            if argument is None:
                return None
            arguments.append(argument)
            i += 1
            continue
        option = options.get(word)
        if option is None:
            return None
        name, kind = option
        if name in values:  # given twice: Typer says what that means
            return None
        if kind == "flag":
            values[name] = True
            i += 1
            continue
        if i + 1 == len(args) or args[i + 1].startswith("-"):
            return None
        value = _VALUES[kind](args[i + 1])
        if value is None:
            return None
        values[name] = value
        i += 2
    return i


def plain_command(args: list[str]) -> tuple[str, dict[str, Any], dict[str, Any]] | None:
    """The name of the function a plain line runs, with the root's and the command's
    arguments (every option not given at its default); None when the line is not one
    this module reads."""
    plain = _plain(args)
    return None if plain is None else (plain[1].function, *plain[2:])


def _plain(
    args: list[str],
) -> tuple[tuple[str, ...], FastCommand, dict[str, Any], dict[str, Any]] | None:
    """``plain_command``, with the words that name the command and the command itself."""
    root: dict[str, Any] = {}
    at = _read_words(args, ROOT, root, None)
    if at is None:
        return None
    for length in (1, 2):
        named = tuple(args[at : at + length])
        command = FAST_COMMANDS.get(named)
        if command is not None:
            break
    else:
        return None
    given: dict[str, Any] = {}
    arguments: list[Any] = []
    words = args[at + length :]
    kinds = list(command.arguments.values())
    if _read_words(words, command.options, given, arguments, kinds, command.many) is None:
        return None
    if len(arguments) < command.required:
        return None
    if any(os.environ.get(variable) for variable in command.envvars.values()):
        return None
    if command.many:  # the last argument takes the rest
        arguments[len(kinds) - 1 :] = [arguments[len(kinds) - 1 :]]
    given.update(zip_longest(command.arguments, arguments))  # an argument not given: None
    return (
        named,
        command,
        _with_defaults(root, ROOT, {"debug": False}),
        _with_defaults(given, command.options, command.defaults),
    )


def _with_defaults(
    values: dict[str, Any], options: Options, defaults: Mapping[str, object]
) -> dict[str, Any]:
    """``values`` with every option not given at its default: ``defaults``'s, else off
    for a flag and None for the others."""
    every = {name: False if kind == "flag" else None for name, kind in options.values()}
    return {**every, **defaults, **values}


class _Root:
    """Stands for Typer's contexts: the root's holds the run's ``State`` as ``obj``, and
    the command's its path."""

    def __init__(self, obj: Any, command_path: str) -> None:
        self.obj = obj
        self.command_path = command_path

    def find_root(self) -> _Root:
        return self


def run(args: list[str]) -> bool:
    """Run a plain command line; False, having done nothing, for any other line."""
    plain = _plain(args)
    if plain is None:
        return False
    named, fast, root, given = plain
    import importlib

    from .common import new_state

    module = importlib.import_module(f"{__package__}.{fast.module}")
    command: Callable[..., None] = getattr(module, fast.function)
    try:
        # The command path a change's history names, as Typer's context gives it.
        command(_Root(new_state(**root), " ".join(["cdt", *named])), **given)
    except KeyboardInterrupt:  # as Typer ends it: no message
        raise SystemExit(EXIT_INTERRUPTED) from None
    except BrokenPipeError:  # as Typer ends it: a reader left while the output was written
        from . import mute

        mute(sys.stdout)
        mute(sys.stderr)
        raise SystemExit(1) from None
    return True

"""The list commands run without Typer, when their command line is a plain one.

Importing Typer and letting it build a command costs about 45 ms of every run here,
a quarter of ``cdt action list`` on 10,000 actions: the difference between keeping
pace with Taskwarrior or not. So ``cdt action list`` and ``cdt meeting list`` are read
here when every word of their line is one of their options, each given once in its
plain form (``--party MX``, ``--overdue``); anything else (``--help``, ``--party=MX``,
a repeated or unknown option, a number that is not plain digits or longer than 18, a
value that starts with a dash) is left to Typer, which reads it or says what is wrong.
An interrupt or a reader that leaves ends the command as Typer ends it.

``ROOT`` and ``FAST_COMMANDS`` mirror the Typer options; a test keeps them equal, and
runs lines both ways to compare what they print.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import EXIT_INTERRUPTED

# Option -> (the parameter it sets, its kind): "flag", "text" or "number".
Options = dict[str, tuple[str, str]]

ROOT: Options = {
    "--db": ("db", "text"),
    "--lang": ("lang", "text"),
    "--date-order": ("date_order", "text"),
    "--debug": ("debug", "flag"),
}
# (group, command) -> (the function of ``cli.lists`` that runs it, its options)
FAST_COMMANDS: dict[tuple[str, str], tuple[str, Options]] = {
    ("action", "list"): (
        "action_list",
        {
            "--status": ("status", "text"),
            "--overdue": ("overdue", "flag"),
            "--due-before": ("due_before", "text"),
            "--party": ("party", "text"),
            "--owner": ("owner", "text"),
            "--meeting": ("meeting", "number"),
            "--topic": ("topic", "text"),
            "--json": ("json_out", "flag"),
        },
    ),
    ("meeting", "list"): (
        "meeting_list",
        {
            "--kind": ("kind", "text"),
            "--status": ("status", "text"),
            "--year": ("year", "number"),
            "--dialogue": ("dialogue", "text"),
            "--json": ("json_out", "flag"),
        },
    ),
}


def _read_options(args: list[str], options: Options, values: dict[str, Any]) -> int | None:
    """Read ``args`` from the start while they are ``options`` into ``values``; the
    index of the first other word, or None if a word is not read plainly."""
    i = 0
    while i < len(args) and args[i].startswith("-"):
        option = options.get(args[i])
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
        value = args[i + 1]
        if kind == "number":
            if not (value.isascii() and value.isdigit() and len(value) <= 18):
                return None
            values[name] = int(value)
        else:
            values[name] = value
        i += 2
    return i


def plain_command(args: list[str]) -> tuple[str, dict[str, Any], dict[str, Any]] | None:
    """The ``cli.lists`` function a plain line runs, with the root's and the command's
    arguments (every option not given at its default: off, or None); None when the
    line is not one this module reads."""
    root: dict[str, Any] = {}
    at = _read_options(args, ROOT, root)
    if at is None:
        return None
    entry = FAST_COMMANDS.get((args[at], args[at + 1])) if len(args) >= at + 2 else None
    if entry is None:
        return None
    function, options = entry
    given: dict[str, Any] = {}
    end = _read_options(args[at + 2 :], options, given)
    if end is None or at + 2 + end != len(args):
        return None
    return function, _with_defaults(root, ROOT), _with_defaults(given, options)


def _with_defaults(values: dict[str, Any], options: Options) -> dict[str, Any]:
    """``values`` with every option not given at its default: off, or None."""
    return {
        name: values.get(name, False if kind == "flag" else None) for name, kind in options.values()
    }


class _Root:
    """Stands for Typer's root context: it holds the run's ``State`` as ``obj``."""

    def __init__(self, obj: Any) -> None:
        self.obj = obj

    def find_root(self) -> _Root:
        return self


def run(args: list[str]) -> bool:
    """Run a plain list command line; False, having done nothing, for any other line."""
    plain = plain_command(args)
    if plain is None:
        return False
    function, root, given = plain
    from . import lists
    from .common import new_state

    command: Callable[..., None] = getattr(lists, function)
    try:
        command(_Root(new_state(**root)), **given)
    except KeyboardInterrupt:  # as Typer ends it: no message
        raise SystemExit(EXIT_INTERRUPTED) from None
    except BrokenPipeError:  # as Typer ends it: the reader left while the list was written
        from . import _mute_stdout

        _mute_stdout()
        raise SystemExit(1) from None
    return True

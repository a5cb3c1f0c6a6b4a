"""The ``cdt`` command line: the only place that parses argv, prints and exits.

Each noun has its own module with a Typer app; this one builds the root app, its
global options, and the single error boundary.
"""

from __future__ import annotations

import gc
import os
import sys
from typing import Annotated

import typer

from .. import __version__
from ..errors import EXIT_INTERRUPTED, ConsularDialogueError
from .common import State

# Where each command lives: (module, attribute). Only the module of the command
# being run is imported and handed to Typer, which evaluates the annotations of
# every command it is given on every run (measured: a third of start-up).
GROUPS: dict[str, str] = {
    "dialogue": "dialogue",
    "meeting": "meeting",
    "topic": "topic",
    "agenda": "agenda",
    "action": "action",
    "export": "export",
}
COMMANDS: dict[str, tuple[str, str]] = {
    "search": ("search", "search_command"),
    "timeline": ("report", "timeline_command"),
    "report": ("report", "report_command"),
    "brief": ("report", "brief_command"),
    "log": ("history", "log_command"),
    "undo": ("history", "undo_command"),
    "redo": ("history", "redo_command"),
    "backup": ("files", "backup_command"),
    "restore": ("files", "restore_command"),
    "check": ("files", "check_command"),
    "import": ("exchange", "import_command"),
    "demo": ("demo", "demo_command"),
}
GLOBAL_OPTIONS_WITH_VALUE = {"--db", "--lang", "--date-order"}


def _version(value: bool) -> None:
    if value:
        print(f"cdt {__version__}")
        raise typer.Exit()


def root(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option("--db", help="Data file (default: $CDT_DB, then the per-user data folder)."),
    ] = None,
    lang: Annotated[
        str | None, typer.Option("--lang", help="Language of labels and reports: en or es.")
    ] = None,
    date_order: Annotated[
        str | None,
        typer.Option(
            "--date-order",
            help="Read numeric dates like 04/05/2023 as dmy or mdy (default: refuse them).",
        ),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """Track the meetings, agendas and follow-up actions of bilateral dialogues.

    Example: cdt meeting list --year 2023
    """
    from ..settings import settings_from

    settings = settings_from(db=db, lang=lang, date_order=date_order, debug=debug)
    ctx.obj = State(settings=settings, command_line=_command_line())


def build_app(only: str | None = None) -> typer.Typer:
    """The root app with every command, or with just ``only`` (a group or command name)."""
    import importlib

    app = typer.Typer(
        name="cdt",
        help="Track the meetings, agendas and follow-up actions of bilateral dialogues.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    app.callback()(root)
    for name, module_name in GROUPS.items():
        if only in (None, name):
            module = importlib.import_module(f"{__name__}.{module_name}")
            app.add_typer(module.app, name=name)
    for name, (module_name, attribute) in COMMANDS.items():
        if only in (None, name):
            module = importlib.import_module(f"{__name__}.{module_name}")
            app.command(name)(getattr(module, attribute))
    return app


def requested_command(args: list[str]) -> str | None:
    """The group or command named on the command line, if it is one we know."""
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg in GLOBAL_OPTIONS_WITH_VALUE:
            skip = True
        elif not arg.startswith("-"):
            return arg if arg in GROUPS or arg in COMMANDS else None
    return None


def __getattr__(name: str) -> typer.Typer:
    """``consular_dialogue.cli.app``: the whole app, for tests and tools that walk it."""
    if name == "app":
        return build_app()
    raise AttributeError(name)


def _command_line() -> str:
    return " ".join(["cdt", *sys.argv[1:]])


def main(argv: list[str] | None = None) -> None:
    """Run the app; turn every error of ours into a one-line message and an exit code.

    Typer handles its own usage errors (exit 2) and Ctrl-C (exit 130).
    """
    args = sys.argv[1:] if argv is None else argv
    # A command lives well under a second and makes few reference cycles: the cyclic
    # garbage collector only re-scans the parsed file (measured: 3.7 s -> 1.4 s to
    # parse 100,000 actions).
    gc.disable()
    if args == ["--version"]:
        print(f"cdt {__version__}")
        return
    # Shell completion needs every command; so does an unknown one (for Typer's hint).
    only = None if "_CDT_COMPLETE" in os.environ else requested_command(args)
    try:
        build_app(only)(args=args, prog_name="cdt")
    except ConsularDialogueError as exc:
        if "--debug" in args:
            raise
        from ..text import clean_line

        # Messages quote what users typed (titles, values): one inert line.
        print(f"Error: {clean_line(str(exc))}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        sys.exit(EXIT_INTERRUPTED)
    except BrokenPipeError:
        # `cdt ... | head`: the reader left; that is not an error of ours.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(0)

"""The ``cdt`` command line: the only place that parses argv, prints and exits.

Each noun has its own module with a Typer app; this one builds the root app, its
global options, and the single error boundary.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from .. import __version__
from ..errors import EXIT_INTERRUPTED, ConsularDialogueError
from . import (
    action,
    agenda,
    demo,
    dialogue,
    exchange,
    export,
    files,
    history,
    meeting,
    report,
    search,
    topic,
)
from .common import State

app = typer.Typer(
    name="cdt",
    help="Track the meetings, agendas and follow-up actions of bilateral dialogues.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(dialogue.app, name="dialogue")
app.add_typer(meeting.app, name="meeting")
app.add_typer(topic.app, name="topic")
app.add_typer(agenda.app, name="agenda")
app.add_typer(action.app, name="action")
app.add_typer(export.app, name="export")
export.app.command("all")(exchange.export_all_command)
app.command("search")(search.search_command)
app.command("log")(history.log_command)
app.command("undo")(history.undo_command)
app.command("redo")(history.redo_command)
app.command("backup")(files.backup_command)
app.command("restore")(files.restore_command)
app.command("check")(files.check_command)
app.command("import")(exchange.import_command)
app.command("demo")(demo.demo_command)
app.command("timeline")(report.timeline_command)
app.command("report")(report.report_command)
app.command("brief")(report.brief_command)


def _version(value: bool) -> None:
    if value:
        print(f"cdt {__version__}")
        raise typer.Exit()


@app.callback()
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


def _command_line() -> str:
    return " ".join(["cdt", *sys.argv[1:]])


def main(argv: list[str] | None = None) -> None:
    """Run the app; turn every error of ours into a one-line message and an exit code.

    Typer handles its own usage errors (exit 2) and Ctrl-C (exit 130).
    """
    args = sys.argv[1:] if argv is None else argv
    try:
        app(args=args, prog_name="cdt")
    except ConsularDialogueError as exc:
        if "--debug" in args:
            raise
        print(f"Error: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        sys.exit(EXIT_INTERRUPTED)
    except BrokenPipeError:
        # `cdt ... | head`: the reader left; that is not an error of ours.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(0)

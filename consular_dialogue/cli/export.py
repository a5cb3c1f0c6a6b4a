"""``cdt export``: actions and meetings as files for spreadsheets, calendars and reports.

The formats live in ``consular_dialogue.exporters`` (pure functions and a
registry); this module declares the commands. Reading the data file, picking the
records and the one piece of file I/O (stdout, or ``-o FILE`` written privately and
atomically) are in ``cli.reads``, which ``cli.fast`` runs without Typer.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from ..exporters import FORMATS, Kind, format_names
from .action import (
    DueBeforeOpt,
    MeetingFilterOpt,
    OverdueOpt,
    OwnerOpt,
    PartyOpt,
    StatusFilterOpt,
    TopicFilterOpt,
)
from .common import reading, state
from .options import MaxLevelOpt
from .reads import check_export_target, deliver_export, export_actions

app = typer.Typer(
    help="Export actions or meetings as CSV, JSON, Markdown, iCalendar or Excel files.",
    no_args_is_help=True,
)

DEFAULT_FORMAT = "csv"


def _format_help(kind: Kind) -> str:
    described = "; ".join(f"{f.name}: {f.description}" for f in FORMATS.values() if f.kind == kind)
    return f"{described}."


def _format_parser(kind: Kind) -> Callable[[str], str]:
    names = format_names(kind)

    def parse(value: str) -> str:
        name = value.strip().lower()
        if name not in names:
            raise typer.BadParameter(f"{value!r} is not one of {', '.join(names)}.")
        return name

    return parse


def _format_option(kind: Kind) -> Any:
    """``--format``: its choices and help come from the exporters' registry."""
    return typer.Option(
        "--format",
        metavar="|".join(format_names(kind)),
        help=_format_help(kind),
        parser=_format_parser(kind),
        autocompletion=lambda: format_names(kind),
    )


ActionFormatOpt = Annotated[str, _format_option("actions")]
MeetingFormatOpt = Annotated[str, _format_option("meetings")]
OutputOpt = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        help="Write to this file (created 0600) instead of stdout; '-' is stdout.",
    ),
]
ForceOpt = Annotated[bool, typer.Option("--force", help="Replace the output file if it exists.")]


# ---- commands ----------------------------------------------------------------


@app.command("actions")
def actions(
    ctx: typer.Context,
    output_format: ActionFormatOpt = DEFAULT_FORMAT,
    output: OutputOpt = None,
    force: ForceOpt = False,
    status: StatusFilterOpt = None,
    overdue: OverdueOpt = False,
    due_before: DueBeforeOpt = None,
    party: PartyOpt = None,
    owner: OwnerOpt = None,
    meeting: MeetingFilterOpt = None,
    topic: TopicFilterOpt = None,
    max_level: MaxLevelOpt = None,
) -> None:
    """Export actions, filtered as in action list (default: the unfinished ones).

    Headers and status names follow --lang; what users typed is exported as typed.
    ICS holds the dated actions as to-dos (undated ones are left out with a
    warning); xlsx is never written to a terminal.

    Example: cdt export actions --format csv -o actions.csv --status all
    """
    export_actions(
        ctx,
        output_format=output_format,
        output=output,
        force=force,
        status=status,
        overdue=overdue,
        due_before=due_before,
        party=party,
        owner=owner,
        meeting=meeting,
        topic=topic,
        max_level=max_level,
    )


@app.command("meetings")
def meetings(
    ctx: typer.Context,
    output_format: MeetingFormatOpt = DEFAULT_FORMAT,
    output: OutputOpt = None,
    force: ForceOpt = False,
    dialogue: Annotated[str | None, typer.Option("--dialogue", help="Only this dialogue.")] = None,
    max_level: MaxLevelOpt = None,
) -> None:
    """Export meetings by date.

    ICS holds the meetings known to the day as all-day events; month-precise
    ones are left out with a warning.

    Example: cdt export meetings --format ics -o meetings.ics --dialogue consular
    """
    from ..exporters import ExportContext, get_format
    from ..services.meetings import list_meetings

    settings = state(ctx).settings
    fmt = get_format("meetings", output_format)
    check_export_target(ctx, fmt, output, force)
    with reading(ctx, max_level) as repo:
        records = list_meetings(repo, dialogue=dialogue)
    export_ctx = ExportContext(today=settings.today, now=settings.now, lang=settings.lang)
    rendered = fmt.render(records, export_ctx)
    deliver_export(ctx, "meetings", rendered, count=len(records), output=output, force=force)


def _register_dump_command() -> None:
    from .exchange import export_all_command

    app.command("all")(export_all_command)


_register_dump_command()

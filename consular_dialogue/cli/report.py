"""``cdt timeline``, ``cdt report``, ``cdt brief``: read-only views of a dialogue.

The lead registers these as top-level commands. They only read the data file
(no lock, nothing created); reports go to stdout or, with ``-o``, to a new file.
"""

from __future__ import annotations

from typing import Annotated

import typer

from .options import MaxLevelOpt

# Kept in step with reports.FORMATS by a test; importing reports here would slow start-up.
FORMAT_HELP = "text|markdown|html|json"

DialogueOpt = Annotated[
    str | None,
    typer.Option("--dialogue", envvar="CDT_DIALOGUE", help="Dialogue key ($CDT_DIALOGUE)."),
]
FromOpt = Annotated[
    str | None, typer.Option("--from", help="From this date (a month counts from its first day).")
]
ToOpt = Annotated[
    str | None, typer.Option("--to", help="Up to this date (a month counts to its last day).")
]
FormatOpt = Annotated[str, typer.Option("--format", "-f", help=FORMAT_HELP)]
OutputOpt = Annotated[
    str | None, typer.Option("--output", "-o", help="Write to this new file instead of stdout.")
]
ForceOpt = Annotated[bool, typer.Option("--force", help="Replace the -o file if it exists.")]


def timeline_command(
    ctx: typer.Context,
    dialogue: DialogueOpt = None,
    topic: Annotated[
        str | None, typer.Option("--topic", help="Follow one topic (slug) across meetings.")
    ] = None,
    actions: Annotated[
        bool, typer.Option("--actions", help="Open actions on a due-date axis instead.")
    ] = False,
    start: FromOpt = None,
    end: ToOpt = None,
    max_level: MaxLevelOpt = None,
) -> None:
    """Show the dialogue's meetings on a timeline, with a marker for today.

    --topic SLUG follows one topic across meetings (carries shown as a chain);
    --actions places the open actions by due date, overdue ones before today.

    Example: cdt timeline --from 2023-01-01 --to 2024-12-31
    """
    from .reads import timeline

    timeline(
        ctx,
        dialogue=dialogue,
        topic=topic,
        actions=actions,
        start=start,
        end=end,
        max_level=max_level,
    )


def report_command(
    ctx: typer.Context,
    meeting_id: Annotated[
        int | None,
        typer.Argument(
            metavar="MEETING_ID", help="Meeting id; without it, the whole dialogue's standing."
        ),
    ] = None,
    dialogue: DialogueOpt = None,
    output_format: FormatOpt = "text",
    output: OutputOpt = None,
    force: ForceOpt = False,
    max_level: MaxLevelOpt = None,
) -> None:
    """Report a meeting's agenda status, or (without an id) the dialogue's standing.

    For a meeting: its header and delegations, every agenda item with its status,
    outcome and actions, and a summary. Without an id: open items by topic, open
    and overdue actions by party, and what was completed since the last meeting.

    Example: cdt report 1 --format html -o intermedia-2023.html
    """
    from .reads import report

    report(
        ctx,
        meeting_id=meeting_id,
        dialogue=dialogue,
        output_format=output_format,
        output=output,
        force=force,
        max_level=max_level,
    )


def brief_command(
    ctx: typer.Context,
    meeting_id: Annotated[
        int, typer.Argument(metavar="MEETING_ID", help="Id of the upcoming meeting.")
    ],
    output_format: FormatOpt = "text",
    output: OutputOpt = None,
    force: ForceOpt = False,
    max_level: MaxLevelOpt = None,
) -> None:
    """Brief a delegation before a meeting.

    Items carried in (how often and since when), open actions by party (overdue
    first), due dates that moved, and each topic's last outcome.

    Example: cdt brief 2 --format markdown -o briefing.md
    """
    from .reads import brief

    brief(
        ctx,
        meeting_id=meeting_id,
        output_format=output_format,
        output=output,
        force=force,
        max_level=max_level,
    )

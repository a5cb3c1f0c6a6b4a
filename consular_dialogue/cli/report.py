"""``cdt timeline``, ``cdt report``, ``cdt brief``: read-only views of a dialogue.

The lead registers these as top-level commands. They only read the data file
(no lock, nothing created); reports go to stdout or, with ``-o``, to a new file.
"""

from __future__ import annotations

import datetime as dt
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from ..errors import UsageProblem
from .common import parse_user_date, reading, say, state, write_output
from .options import MaxLevelOpt

if TYPE_CHECKING:
    from ..reports import Report

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


def _emit(
    ctx: typer.Context, report: Report, output_format: str, output: str | None, force: bool
) -> None:
    from ..reports import FORMATS, to_text

    st = state(ctx)
    renderer = FORMATS.get(output_format.strip().lower())
    if renderer is None:
        raise UsageProblem(f"Unknown format {output_format!r}; use one of: {', '.join(FORMATS)}.")
    if output is None:
        if renderer is to_text and sys.stdout.isatty():
            text = to_text(report, width=st.out.width)
        else:
            text = renderer(report)
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    path = write_output(ctx, output, renderer(report).encode("utf-8"), force=force)
    say(ctx, f"Wrote {path}")


def _day_range(
    ctx: typer.Context, start: str | None, end: str | None
) -> tuple[dt.date | None, dt.date | None]:
    first = parse_user_date(ctx, start).first_day() if start else None
    last = parse_user_date(ctx, end).last_day() if end else None
    return first, last


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
    from ..reports import build_action_timeline, build_meeting_timeline, build_topic_timeline

    if topic and actions:
        raise UsageProblem("Choose --topic or --actions, not both.")
    st = state(ctx)
    settings = st.settings
    first, last = _day_range(ctx, start, end)
    from .. import timeline as views

    with reading(ctx, max_level) as repo:
        if topic:
            view = views.topic_timeline(
                build_topic_timeline(
                    repo, topic, dialogue, settings.today, settings.lang, start=first, end=last
                )
            )
        elif actions:
            view = views.action_timeline(
                build_action_timeline(
                    repo, dialogue, settings.today, settings.lang, start=first, end=last
                )
            )
        else:
            view = views.meeting_timeline(
                build_meeting_timeline(
                    repo, dialogue, settings.today, settings.lang, start=first, end=last
                )
            )
    st.out.print(view)


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
    from ..reports import build_meeting_report, build_standing_report

    settings = state(ctx).settings
    with reading(ctx, max_level) as repo:
        if meeting_id is not None:
            if dialogue:
                raise UsageProblem("Give a meeting id or --dialogue, not both.")
            report: Report = build_meeting_report(repo, meeting_id, settings.today, settings.lang)
        else:
            report = build_standing_report(repo, dialogue, settings.today, settings.lang)
    _emit(ctx, report, output_format, output, force)


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
    from ..reports import build_briefing

    settings = state(ctx).settings
    with reading(ctx, max_level) as repo:
        report = build_briefing(repo, meeting_id, settings.today, settings.lang)
    _emit(ctx, report, output_format, output, force)

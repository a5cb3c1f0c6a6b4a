"""``cdt agenda``: each meeting's agenda items, and carrying them over."""

from __future__ import annotations

from typing import Annotated

import typer

from ..models import AgendaItem, AgendaStatus, Meeting, parse_choice
from .common import confirm, level_choice, print_json, reading, say, state, writing

app = typer.Typer(help="Agenda items of meetings, carried across meetings.", no_args_is_help=True)

STATUSES = "|".join(s.value for s in AgendaStatus)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON to stdout.")]
StatusOpt = Annotated[str | None, typer.Option("--status", help=STATUSES)]
TopicOpt = Annotated[
    str | None, typer.Option("--topic", help="Topic slug (new slugs are created).")
]
OutcomeOpt = Annotated[str | None, typer.Option("--outcome", help="What was agreed or said.")]
LeadOpt = Annotated[str | None, typer.Option("--lead", help="Who leads it: MX, US or joint.")]
LevelOpt = Annotated[str | None, typer.Option("--level", help="public|internal|restricted")]


def _status(text: str | None) -> AgendaStatus | None:
    return parse_choice(AgendaStatus, text, "agenda status") if text else None


@app.command("add")
def add(
    ctx: typer.Context,
    meeting_id: Annotated[int, typer.Argument(help="Meeting id.")],
    title: Annotated[str, typer.Argument(help="Agenda item title.")],
    topic: TopicOpt = None,
    status: StatusOpt = None,
    outcome: OutcomeOpt = None,
    lead: LeadOpt = None,
    level: LevelOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Add an item at the end of a meeting's agenda.

    Example: cdt agenda add 1 "Acceso consular" --topic consular-access --lead joint
    """
    from ..services.agenda import add_item

    settings = state(ctx).settings
    with writing(ctx) as repo:
        item = add_item(
            repo,
            meeting_id,
            title=title,
            topic=topic,
            status=_status(status),
            outcome=outcome,
            lead=lead,
            level=level_choice(level),
            now=settings.now,
        )
    say(ctx, f"Added agenda item {item.id}")
    if json_out:
        print_json(item.to_record())


@app.command("list")
def list_(
    ctx: typer.Context,
    meeting: Annotated[int | None, typer.Option("--meeting", help="Only this meeting.")] = None,
    topic: Annotated[str | None, typer.Option("--topic", help="Only this topic.")] = None,
    status: StatusOpt = None,
    open_only: Annotated[bool, typer.Option("--open", help="Only open items.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """List agenda items by meeting date and position.

    Example: cdt agenda list --topic h2-visas --open
    """
    from .reads import agenda_list

    agenda_list(
        ctx, meeting=meeting, topic=topic, status=status, open_only=open_only, json_out=json_out
    )


@app.command("set")
def set_(
    ctx: typer.Context,
    item_id: Annotated[int, typer.Argument(help="Agenda item id.")],
    status: StatusOpt = None,
    outcome: OutcomeOpt = None,
    title: Annotated[str | None, typer.Option("--title", help="New title.")] = None,
    topic: TopicOpt = None,
    lead: LeadOpt = None,
    level: LevelOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Change an agenda item's status, outcome, title, topic or lead.

    Example: cdt agenda set 3 --status agreed --outcome "Joint training plan for 2024"
    """
    from ..services.agenda import set_item

    settings = state(ctx).settings
    with writing(ctx) as repo:
        item = set_item(
            repo,
            item_id,
            now=settings.now,
            status=_status(status),
            outcome=outcome,
            title=title,
            topic=topic,
            lead=lead,
            level=level_choice(level),
        )
    say(ctx, f"Updated agenda item {item.id}")
    if json_out:
        print_json(item.to_record())


@app.command("move")
def move(
    ctx: typer.Context,
    item_id: Annotated[int, typer.Argument(help="Agenda item id.")],
    position: Annotated[int, typer.Option("--position", help="New position, 1 = first.")],
) -> None:
    """Reorder an item within its meeting's agenda.

    Example: cdt agenda move 5 --position 1
    """
    from ..services.agenda import move_item

    settings = state(ctx).settings
    with writing(ctx) as repo:
        item = move_item(repo, item_id, position, now=settings.now)
    say(ctx, f"Moved agenda item {item.id} to position {item.position}")


@app.command("carry")
def carry(
    ctx: typer.Context,
    from_meeting: Annotated[int, typer.Argument(help="Meeting whose open items carry over.")],
    to_meeting: Annotated[int, typer.Argument(help="Meeting that receives them.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show, change nothing.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """Carry every open item of one meeting into another, as pending (never twice).

    Example: cdt agenda carry 1 2 --dry-run
    """
    from ..services.agenda import carry_agenda

    settings = state(ctx).settings
    if dry_run:
        with reading(ctx) as repo:
            carried, skipped = carry_agenda(
                repo, from_meeting, to_meeting, now=settings.now, dry_run=True
            )
    else:
        with writing(ctx) as repo:
            carried, skipped = carry_agenda(
                repo, from_meeting, to_meeting, now=settings.now, dry_run=False
            )
    if json_out:
        print_json([new.to_record() for _, new in carried])
    verb = "Would carry" if dry_run else "Carried"
    for origin, new in carried:
        target = "" if dry_run else f" as item {new.id}"
        say(ctx, f"{verb} item {origin.id} ({origin.title}){target}")
    for origin in skipped:
        say(ctx, f"Item {origin.id} is already on meeting {to_meeting}'s agenda")
    say(ctx, f"{verb} {len(carried)} items from meeting {from_meeting} to meeting {to_meeting}")


@app.command("history")
def history(
    ctx: typer.Context,
    item_id: Annotated[int, typer.Argument(help="Agenda item id.")],
    json_out: JsonOpt = False,
) -> None:
    """Follow an item across meetings, from its origin to its latest carry.

    Example: cdt agenda history 12
    """
    from ..services.agenda import item_history

    st = state(ctx)
    with reading(ctx) as repo:
        chain = item_history(repo, item_id)
        meetings = {m.id: m for m in repo.all(Meeting)}
    if json_out:
        print_json(
            [
                {**item.to_record(), "meeting_date": meetings[item.meeting_id].date.iso}
                for item in chain
            ]
        )
        return
    from ..render import item_history_table

    st.out.print(item_history_table(chain, meetings, st.settings.lang))


@app.command("delete")
def delete(
    ctx: typer.Context,
    item_id: Annotated[int, typer.Argument(help="Agenda item id.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False,
) -> None:
    """Delete an agenda item (asks first on a terminal).

    Example: cdt agenda delete 7 --yes
    """
    from ..services.agenda import delete_item

    settings = state(ctx).settings
    # Asked under the lock: what is confirmed is what gets deleted.
    with writing(ctx) as repo:
        item = repo.get(AgendaItem, item_id)
        confirm(ctx, f"Delete agenda item {item_id} ({item.title})?", yes)
        delete_item(repo, item_id, now=settings.now)
    say(ctx, f"Deleted agenda item {item_id}")

"""``cdt action``: follow-up actions, their owners, due dates and notes."""

from __future__ import annotations

from typing import Annotated

import typer

from ..models import Action, ActionStatus
from .common import (
    confirm,
    say,
    state,
    writing,
)

app = typer.Typer(help="Follow-up actions: who does what by when.", no_args_is_help=True)

STATUSES = "|".join(s.value for s in ActionStatus)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON to stdout.")]
PartyOpt = Annotated[str | None, typer.Option("--party", help="MX, US or joint.")]
OwnerOpt = Annotated[str | None, typer.Option("--owner", help="Office or person in charge.")]
DueOpt = Annotated[str | None, typer.Option("--due", help="Due date, e.g. 2023-06-30 or +30d.")]
PriorityOpt = Annotated[str | None, typer.Option("--priority", help="low|normal|high")]
LevelOpt = Annotated[str | None, typer.Option("--level", help="public|internal|restricted")]


@app.command("add")
def add(
    ctx: typer.Context,
    title: Annotated[str, typer.Argument(help="What must be done.")],
    meeting: Annotated[int | None, typer.Option("--meeting", help="Meeting it arose from.")] = None,
    item: Annotated[int | None, typer.Option("--item", help="Agenda item it arose from.")] = None,
    party: Annotated[str, typer.Option("--party", help="MX, US or joint.")] = "joint",
    owner: OwnerOpt = None,
    due: DueOpt = None,
    priority: PriorityOpt = None,
    level: LevelOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Record a follow-up action from a meeting (--item alone implies its meeting).

    Example: cdt action add "Share H-2 visa statistics" --item 4 --party US --owner "CA/VO" --due "30 de junio de 2023"
    """
    from .writes import action_add

    action_add(
        ctx,
        title=title,
        meeting=meeting,
        item=item,
        party=party,
        owner=owner,
        due=due,
        priority=priority,
        level=level,
        json_out=json_out,
    )


StatusFilterOpt = Annotated[
    str | None, typer.Option("--status", help=f"{STATUSES}|all (default: unfinished).")
]
OverdueOpt = Annotated[bool, typer.Option("--overdue", help="Only overdue actions.")]
DueBeforeOpt = Annotated[str | None, typer.Option("--due-before", help="Due before this date.")]
MeetingFilterOpt = Annotated[int | None, typer.Option("--meeting", help="Only this meeting.")]
TopicFilterOpt = Annotated[str | None, typer.Option("--topic", help="Only this topic.")]


@app.command("list")
def list_(
    ctx: typer.Context,
    status: StatusFilterOpt = None,
    overdue: OverdueOpt = False,
    due_before: DueBeforeOpt = None,
    party: PartyOpt = None,
    owner: OwnerOpt = None,
    meeting: MeetingFilterOpt = None,
    topic: TopicFilterOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """List actions by due date (undated last); by default the unfinished ones.

    Example: cdt action list --overdue --party MX
    """
    from .reads import action_list

    action_list(
        ctx,
        status=status,
        overdue=overdue,
        due_before=due_before,
        party=party,
        owner=owner,
        meeting=meeting,
        topic=topic,
        json_out=json_out,
    )


@app.command("show")
def show(
    ctx: typer.Context,
    action_id: Annotated[int, typer.Argument(help="Action id.")],
    json_out: JsonOpt = False,
) -> None:
    """Show an action with its notes and every change of status, owner or due date.

    Example: cdt action show 7
    """
    from .reads import action_show

    action_show(ctx, action_id=action_id, json_out=json_out)


@app.command("set")
def set_(
    ctx: typer.Context,
    action_id: Annotated[int, typer.Argument(help="Action id.")],
    status: Annotated[str | None, typer.Option("--status", help=STATUSES)] = None,
    due: Annotated[
        str | None, typer.Option("--due", help="New due date ('none' clears it).")
    ] = None,
    owner: OwnerOpt = None,
    party: PartyOpt = None,
    priority: PriorityOpt = None,
    title: Annotated[str | None, typer.Option("--title", help="New title.")] = None,
    level: LevelOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Change an action; status, owner and due changes are kept in its history.

    Example: cdt action set 7 --due 2023-09-30 --owner "Dirección General de Protección Consular"
    """
    from .writes import action_set

    action_set(
        ctx,
        action_id=action_id,
        status=status,
        due=due,
        owner=owner,
        party=party,
        priority=priority,
        title=title,
        level=level,
        json_out=json_out,
    )


@app.command("done")
def done(
    ctx: typer.Context,
    action_ids: Annotated[list[int], typer.Argument(help="One or more action ids.")],
) -> None:
    """Mark actions done, recording today as their completion date.

    Example: cdt action done 3 4
    """
    from .writes import action_done

    action_done(ctx, action_ids=action_ids)


@app.command("reopen")
def reopen(
    ctx: typer.Context,
    action_id: Annotated[int, typer.Argument(help="Action id.")],
) -> None:
    """Reopen a finished action.

    Example: cdt action reopen 3
    """
    from ..services.actions import reopen_action

    settings = state(ctx).settings
    with writing(ctx) as repo:
        action = reopen_action(repo, action_id, now=settings.now)
    say(ctx, f"Reopened action {action.id}")


@app.command("note")
def note(
    ctx: typer.Context,
    action_id: Annotated[int, typer.Argument(help="Action id.")],
    text: Annotated[str, typer.Argument(help="The note.")],
    level: LevelOpt = None,
) -> None:
    """Add a dated note to an action.

    Example: cdt action note 3 "Draft shared with the Embassy"
    """
    from .writes import action_note

    action_note(ctx, action_id=action_id, text=text, level=level)


@app.command("delete")
def delete(
    ctx: typer.Context,
    action_id: Annotated[int, typer.Argument(help="Action id.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False,
) -> None:
    """Delete an action (asks first on a terminal).

    Example: cdt action delete 9 --yes
    """
    from ..services.actions import delete_action

    # Asked under the lock: what is confirmed is what gets deleted.
    with writing(ctx) as repo:
        action = repo.get(Action, action_id)
        confirm(ctx, f"Delete action {action_id} ({action.title})?", yes)
        delete_action(repo, action_id)
    say(ctx, f"Deleted action {action_id}")

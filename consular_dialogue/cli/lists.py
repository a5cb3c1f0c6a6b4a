"""The list commands that run with or without Typer: ``action list`` and ``meeting list``.

Their Typer commands (in ``action`` and ``meeting``) declare the options and call these;
so does ``cli.fast``, which runs a plain command line of theirs without importing Typer.
Nothing here imports Typer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..models import ActionStatus, MeetingKind, MeetingStatus, parse_choice
from .common import Invocation, parse_user_day, print_json, reading, state

if TYPE_CHECKING:
    from ..services.actions import ActionFilter


def action_filter(
    ctx: Invocation,
    *,
    status: str | None,
    overdue: bool,
    due_before: str | None,
    party: str | None,
    owner: str | None,
    meeting: int | None,
    topic: str | None,
) -> ActionFilter:
    """The filter shared by ``action list`` and ``export actions``."""
    from ..services.actions import ActionFilter

    all_statuses = status is not None and status.strip().lower() == "all"
    return ActionFilter(
        status=(
            parse_choice(ActionStatus, status, "action status")
            if status and not all_statuses
            else None
        ),
        all_statuses=all_statuses,
        overdue=overdue,
        due_before=parse_user_day(ctx, due_before) if due_before else None,
        party=party,
        owner=owner,
        meeting_id=meeting,
        topic=topic.strip().lower() if topic else None,
    )


def action_list(
    ctx: Invocation,
    *,
    status: str | None,
    overdue: bool,
    due_before: str | None,
    party: str | None,
    owner: str | None,
    meeting: int | None,
    topic: str | None,
    json_out: bool,
) -> None:
    """``cdt action list``."""
    from ..services.actions import list_actions

    st = state(ctx)
    flt = action_filter(
        ctx,
        status=status,
        overdue=overdue,
        due_before=due_before,
        party=party,
        owner=owner,
        meeting=meeting,
        topic=topic,
    )
    today = st.settings.today
    with reading(ctx) as repo:
        actions = list_actions(repo, flt, today=today)
    if json_out:
        print_json([a.to_json(today) for a in actions])
        return
    from ..lines import actions_table

    st.show(actions_table(actions, today, st.settings.lang))


def meeting_list(
    ctx: Invocation,
    *,
    kind: str | None,
    status: str | None,
    year: int | None,
    dialogue: str | None,
    json_out: bool,
) -> None:
    """``cdt meeting list``."""
    from ..services.meetings import list_meetings

    st = state(ctx)
    with reading(ctx) as repo:
        meetings = list_meetings(
            repo,
            kind=parse_choice(MeetingKind, kind, "kind") if kind else None,
            status=parse_choice(MeetingStatus, status, "status") if status else None,
            year=year,
            dialogue=dialogue,
        )
    if json_out:
        print_json([m.to_record() for m in meetings])
        return
    from ..render import meetings_table

    st.show(meetings_table(meetings, st.settings.lang))

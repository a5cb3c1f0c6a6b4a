"""The frequent changes that run with or without Typer: ``action add``, ``action set``,
``action done`` and ``action note``.

Their Typer commands (in ``action``) declare the options and call these; so does
``cli.fast``, which runs a plain command line of theirs without importing Typer.
Nothing here imports Typer.
"""

from __future__ import annotations

from ..models import ActionStatus, Priority, parse_choice
from .common import Changing, level_choice, parse_user_day, print_json, say, state, writing


def _priority(text: str | None) -> Priority | None:
    return parse_choice(Priority, text, "priority") if text else None


def action_add(
    ctx: Changing,
    *,
    title: str,
    meeting: int | None,
    item: int | None,
    party: str,
    owner: str | None,
    due: str | None,
    priority: str | None,
    level: str | None,
    json_out: bool,
) -> None:
    """``cdt action add``."""
    from ..services.actions import add_action

    settings = state(ctx).settings
    due_day = parse_user_day(ctx, due) if due else None
    with writing(ctx) as repo:
        action = add_action(
            repo,
            title=title,
            meeting_id=meeting,
            item_id=item,
            party=party,
            owner=owner,
            due=due_day,
            priority=_priority(priority),
            level=level_choice(level),
            now=settings.now,
        )
    say(ctx, f"Added action {action.id}")
    if json_out:
        print_json(action.to_json(settings.today))


def action_set(
    ctx: Changing,
    *,
    action_id: int,
    status: str | None,
    due: str | None,
    owner: str | None,
    party: str | None,
    priority: str | None,
    title: str | None,
    level: str | None,
    json_out: bool,
) -> None:
    """``cdt action set``."""
    from ..services.actions import ActionFields, set_action

    settings = state(ctx).settings
    clear_due = due is not None and due.strip().lower() in ("none", "-")
    fields = ActionFields(
        status=parse_choice(ActionStatus, status, "action status") if status else None,
        due=parse_user_day(ctx, due) if due and not clear_due else None,
        clear_due=clear_due,
        owner=owner,
        party=party,
        priority=_priority(priority),
        title=title,
        level=level_choice(level),
    )
    with writing(ctx) as repo:
        action = set_action(repo, action_id, fields, now=settings.now)
    say(ctx, f"Updated action {action.id}")
    if json_out:
        print_json(action.to_json(settings.today))


def action_done(ctx: Changing, *, action_ids: list[int]) -> None:
    """``cdt action done``."""
    from ..services.actions import complete_actions

    settings = state(ctx).settings
    with writing(ctx) as repo:
        actions = complete_actions(repo, action_ids, now=settings.now)
    for action in actions:
        say(ctx, f"Completed action {action.id}")


def action_note(ctx: Changing, *, action_id: int, text: str, level: str | None) -> None:
    """``cdt action note``."""
    from ..services.actions import add_note

    settings = state(ctx).settings
    with writing(ctx) as repo:
        action = add_note(repo, action_id, text, level=level_choice(level), now=settings.now)
    say(ctx, f"Added a note to action {action.id}")

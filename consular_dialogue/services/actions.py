"""Follow-up actions: who must do what by when, and what became of it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import partial
from operator import attrgetter
from typing import Any, NamedTuple, TypeVar

from ..errors import InputError
from ..models import (
    Action,
    ActionLine,
    ActionStatus,
    AgendaItem,
    Change,
    Level,
    Meeting,
    Note,
    Priority,
    fold_text,
    iso_time,
    optional_text,
    require_text,
)
from ..storage import Repository, every
from .dialogues import check_side
from .topics import get_topic


def check_party(repo: Repository, meeting: Meeting, party: str) -> str:
    """An action's side is one of the dialogue's parties or ``joint``."""
    return check_side(repo, meeting.dialogue, party, "Party")


def add_action(
    repo: Repository,
    *,
    title: str,
    meeting_id: int | None,
    item_id: int | None,
    party: str,
    owner: str | None,
    due: dt.date | None,
    priority: Priority | None,
    level: Level | None,
    now: dt.datetime,
) -> Action:
    """Record a follow-up action arising from a meeting (and usually one agenda item)."""
    if item_id is not None:
        item = repo.get(AgendaItem, item_id)
        if meeting_id is not None and meeting_id != item.meeting_id:
            raise InputError(
                f"Agenda item {item_id} belongs to meeting {item.meeting_id}, not meeting "
                f"{meeting_id}; drop --meeting or give the right one."
            )
        meeting_id = item.meeting_id
    if meeting_id is None:
        raise InputError("An action needs --meeting ID or --item ITEM_ID.")
    meeting = repo.get(Meeting, meeting_id)
    stamp = iso_time(now)
    action = Action(
        meeting_id=meeting.id,
        item_id=item_id,
        title=require_text(title, "action title", max_length=500),
        party=check_party(repo, meeting, party),
        owner=optional_text(owner, "owner", max_length=200),
        due=due,
        priority=priority or Priority.NORMAL,
        level=level or Level.INTERNAL,
        created=stamp,
        updated=stamp,
    )
    return repo.add(action)


def _track(action: Action, field_name: str, old: str | None, new: str | None, at: str) -> None:
    if old != new:
        action.changes.append(Change(at=at, field=field_name, old=old, new=new))


def _set_status(action: Action, status: ActionStatus, now: dt.datetime) -> None:
    stamp = iso_time(now)
    _track(action, "status", action.status.value, status.value, stamp)
    action.status = status
    if status == ActionStatus.DONE:
        action.completed = action.completed or now.date()
    else:
        action.completed = None


class ActionFields(NamedTuple):
    """Values given for an action; None means "keep the current value"."""

    status: ActionStatus | None = None
    due: dt.date | None = None
    clear_due: bool = False
    owner: str | None = None
    party: str | None = None
    priority: Priority | None = None
    title: str | None = None
    level: Level | None = None


def set_action(
    repo: Repository, action_id: int, fields: ActionFields, *, now: dt.datetime
) -> Action:
    """Change an action; status, owner and due date changes are kept in its record."""
    action = repo.get(Action, action_id)
    before = action.to_record()
    meeting = repo.get(Meeting, action.meeting_id)
    stamp = iso_time(now)
    if fields.status is not None:
        _set_status(action, fields.status, now)
    if fields.due is not None or fields.clear_due:
        new_due = None if fields.clear_due else fields.due
        _track(
            action,
            "due",
            action.due.isoformat() if action.due else None,
            new_due.isoformat() if new_due else None,
            stamp,
        )
        action.due = new_due
    if fields.owner is not None:
        owner = optional_text(fields.owner, "owner", max_length=200)
        _track(action, "owner", action.owner, owner, stamp)
        action.owner = owner
    if fields.party is not None:
        party = check_party(repo, meeting, fields.party)
        _track(action, "party", action.party, party, stamp)
        action.party = party
    if fields.priority is not None:
        action.priority = fields.priority
    if fields.title is not None:
        action.title = require_text(fields.title, "action title", max_length=500)
    if fields.level is not None:
        action.level = fields.level
    if action.touch(before, now):
        repo.update(action)
    return action


def complete_actions(repo: Repository, action_ids: list[int], *, now: dt.datetime) -> list[Action]:
    """Mark actions done, recording today as their completion date.

    The same path as ``set_action --status done``: one change record per action,
    none for an action already done. Nothing is written if an id does not exist
    (the command's write is all or nothing).
    """
    done = ActionFields(status=ActionStatus.DONE)
    return [set_action(repo, i, done, now=now) for i in dict.fromkeys(action_ids)]


def reopen_action(repo: Repository, action_id: int, *, now: dt.datetime) -> Action:
    """Put a done or cancelled action back to open, clearing its completion date."""
    action = repo.get(Action, action_id)
    if not action.status.is_finished:
        raise InputError(
            f"Action {action_id} is {action.status.value}, not done or cancelled; "
            "there is nothing to reopen."
        )
    return set_action(repo, action_id, ActionFields(status=ActionStatus.OPEN), now=now)


def add_note(
    repo: Repository, action_id: int, text: str, *, level: Level | None, now: dt.datetime
) -> Action:
    action = repo.get(Action, action_id)
    action.notes.append(
        Note(at=iso_time(now), text=require_text(text, "note"), level=level or Level.INTERNAL)
    )
    action.updated = iso_time(now)
    repo.update(action)
    return action


def delete_action(repo: Repository, action_id: int) -> Action:
    action = repo.get(Action, action_id)
    repo.delete(action)
    return action


class ActionFilter(NamedTuple):
    """Which actions a list, report or export shows."""

    status: ActionStatus | None = None
    all_statuses: bool = False
    overdue: bool = False
    due_before: dt.date | None = None
    party: str | None = None
    owner: str | None = None
    meeting_id: int | None = None
    topic: str | None = None


def list_actions(repo: Repository, flt: ActionFilter, *, today: dt.date) -> list[Action]:
    """By default the unfinished actions, by due date (undated last).

    A meeting, topic or party that does not exist is an error, not an empty list:
    a typo must not look like "nothing to do".
    """

    def select(where: Where, hot: bool, listed: Listed[Action] | None) -> list[Action]:
        return repo.select(Action, where, hot=hot)

    return _listed(repo, flt, today, select)


def list_action_lines(
    repo: Repository, flt: ActionFilter, *, today: dt.date, as_json: bool = False
) -> list[ActionLine]:
    """``list_actions`` as the lines of a list: what it shows, without notes; with
    ``as_json``, each listed one with its JSON (``ActionLine.json_list``)."""

    def select(where: Where, hot: bool, listed: Listed[ActionLine] | None) -> list[ActionLine]:
        if not as_json:
            return repo.unfinished_lines(where) if hot else repo.action_lines(where)
        # A line listed keeps its JSON, made as the data file and each part are read.
        build = partial(ActionLine.all_with_json, today=today, listed=listed)
        return repo.select_all_as(Action, build, where, hot=hot)

    return _listed(repo, flt, today, select)


L = TypeVar("L", Action, ActionLine)
Where = Callable[[dict[str, Any]], bool]
Listed = Callable[[L], bool]


def _listed(
    repo: Repository,
    flt: ActionFilter,
    today: dt.date,
    select: Callable[[Where, bool, Listed[L] | None], list[L]],
) -> list[L]:
    """The actions ``flt`` lists, by due date: ``select`` gets the test of a stored
    dict's status (the actions it leaves out are never built), whether only the data
    file's can pass, and the test of what else ``flt`` asks of a built action."""
    if flt.meeting_id is not None:
        repo.get(Meeting, flt.meeting_id)
    item_topics: dict[int, str | None] = {}
    if flt.topic is not None:
        get_topic(repo, flt.topic)
        item_topics = {i.id: i.topic for i in repo.all(AgendaItem)}
    owner = fold_text(flt.owner) if flt.owner else None
    party = check_side(repo, None, flt.party, "Party") if flt.party else None
    wanted = flt.status.value if flt.status is not None else None

    due_before = today.isoformat()

    def stored_status_fits(raw: dict[str, Any]) -> bool:
        if flt.overdue and not (raw.get("due") or due_before) < due_before:
            return False
        if wanted is not None:
            return bool(raw["status"] == wanted)
        return flt.all_statuses or Action.stored_unfinished(raw)

    def listed(action: L) -> bool:
        if flt.overdue and not action.is_overdue(today):
            return False
        if flt.due_before is not None and (action.due is None or action.due >= flt.due_before):
            return False
        if party is not None and action.party != party:
            return False
        if owner is not None and owner not in fold_text(action.owner or ""):
            return False
        if flt.meeting_id is not None and action.meeting_id != flt.meeting_id:
            return False
        return flt.topic is None or (
            action.item_id is not None and item_topics.get(action.item_id) == flt.topic
        )

    # Unfinished actions are all kept in the data file itself: no part file is read.
    unfinished_only = not flt.all_statuses and (flt.status is None or not flt.status.is_finished)
    # Every status, due or not: no stored action is tested (100,000 at L).
    passes_all = flt.all_statuses and not flt.overdue and wanted is None
    # A filter by status alone needs no test of each built action (100,000 of them for
    # --status all); overdue does: a finished action past its due date is not overdue.
    asks_more = (flt.due_before, party, owner, flt.meeting_id, flt.topic)
    tested = flt.overdue or any(asked is not None for asked in asks_more)
    where = every if passes_all else stored_status_fits
    selected = select(where, unfinished_only, partial(_kept, listed) if tested else None)
    if tested:
        selected = list(filter(listed, selected))
    # By due date, undated last; in id order (as selected) among equal dates.
    dated = sorted((a for a in selected if a.due is not None), key=_DUE)
    return dated + [a for a in selected if a.due is None]


_DUE = attrgetter("due")


def _kept(listed: Listed[L], action: L) -> bool:
    """``listed(action)``, or True where a damaged value stops the test: ``_listed``'s
    own test of what ``select`` gives then fails, outside the read, and the action's
    damage is named as a list names it (``cdt action list --owner`` of an owner stored
    as a number)."""
    try:
        return listed(action)
    except (AttributeError, KeyError, TypeError, ValueError):
        return True

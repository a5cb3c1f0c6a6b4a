"""Sensitivity levels: what may leave the office.

One mechanism for every report, briefing, export and dump: the records above the
chosen level are hidden from the command's in-memory copy of the file, together
with whatever depends on them (a hidden meeting hides its agenda and actions),
and the topics only hidden items use (a slug typed for a restricted subject says
as much as its title).
"""

from __future__ import annotations

from ..models import Action, AgendaItem, Level, Meeting, Topic
from ..storage import Repository


def restrict(repo: Repository, max_level: Level) -> int:
    """Hide every record and note above ``max_level``; returns how many were left out."""
    if max_level is Level.RESTRICTED:
        return 0
    limit = max_level.rank
    left_out = 0
    hidden_meetings: set[int] = set()
    for meeting in repo.all(Meeting):
        if meeting.level.rank > limit:
            repo.hide(meeting)
            hidden_meetings.add(meeting.id)
            left_out += 1
    hidden_items: set[int] = set()
    hidden_topics: set[str] = set()
    kept_items: dict[int, AgendaItem] = {}
    for item in repo.all(AgendaItem):
        if item.meeting_id in hidden_meetings or item.level.rank > limit:
            repo.hide(item)
            hidden_items.add(item.id)
            if item.topic:
                hidden_topics.add(item.topic)
            left_out += 1
        else:
            kept_items[item.id] = item
    hidden_topics -= {i.topic for i in kept_items.values()}
    for topic in repo.all(Topic):
        if topic.slug in hidden_topics:
            repo.hide(topic)
            left_out += 1
    for item in kept_items.values():
        # A chain never points at a hidden item: skip to the nearest visible ancestor.
        origin = item.carried_from
        passed: set[int] = set()  # a damaged file may hold a loop
        while origin is not None and origin in hidden_items and origin not in passed:
            passed.add(origin)
            hidden = repo.hidden_record(AgendaItem, origin)
            origin = hidden.carried_from if hidden else None
        if origin in passed:
            origin = None
        item.carried_from = origin
    for action in repo.all(Action):
        if (
            action.meeting_id in hidden_meetings
            or action.item_id in hidden_items
            or action.level.rank > limit
        ):
            repo.hide(action)
            left_out += 1
            continue
        kept = [n for n in action.notes if n.level.rank <= limit]
        left_out += len(action.notes) - len(kept)
        action.notes = kept
    return left_out

"""Agenda items: what each meeting discusses, and how a subject carries over."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

from ..dates import PartialDate
from ..errors import InputError
from ..models import (
    Action,
    AgendaItem,
    AgendaStatus,
    ItemLine,
    Level,
    Meeting,
    iso_time,
    optional_text,
    require_text,
)
from ..storage import Repository, every
from .dialogues import check_side
from .meetings import meeting_agenda
from .topics import ensure_topic, get_topic


def check_lead(repo: Repository, meeting: Meeting, lead: str | None) -> str | None:
    """A lead is one of the dialogue's parties or ``joint``."""
    if lead is None or not lead.strip():
        return None
    return check_side(repo, meeting.dialogue, lead, "Lead")


def add_item(
    repo: Repository,
    meeting_id: int,
    *,
    title: str,
    topic: str | None,
    status: AgendaStatus | None,
    outcome: str | None,
    lead: str | None,
    level: Level | None,
    now: dt.datetime,
) -> AgendaItem:
    meeting = repo.get(Meeting, meeting_id)
    existing = meeting_agenda(repo, meeting_id)
    item = AgendaItem(
        meeting_id=meeting.id,
        position=len(existing) + 1,
        title=require_text(title, "agenda title", max_length=500),
        topic=ensure_topic(repo, topic, now).slug if topic else None,
        status=status or AgendaStatus.PENDING,
        outcome=optional_text(outcome, "outcome"),
        lead=check_lead(repo, meeting, lead),
        level=level or Level.INTERNAL,
        updated=iso_time(now),
    )
    return repo.add(item)


def list_items(
    repo: Repository,
    *,
    meeting_id: int | None = None,
    topic: str | None = None,
    status: AgendaStatus | None = None,
    open_only: bool = False,
) -> tuple[list[AgendaItem], dict[int, PartialDate]]:
    """Agenda items in meeting date order, then position (an unknown topic is an error),
    and the dates of the meetings by id: a list of every item needs no more of the
    meetings than that (5,000 meetings are not built with their delegations)."""
    meeting = repo.get(Meeting, meeting_id) if meeting_id is not None else None
    if topic is not None:
        get_topic(repo, topic)
    if meeting is None:
        dates = repo.meeting_dates()
        candidates = repo.all(AgendaItem)
    else:  # one meeting's: only the parts that may hold its items are read
        dates = {meeting.id: meeting.date}
        candidates = repo.of_meeting(AgendaItem, meeting.id)
    return _chosen(candidates, dates, topic, status, open_only), dates


def list_item_lines(
    repo: Repository,
    *,
    topic: str | None = None,
    status: AgendaStatus | None = None,
    open_only: bool = False,
) -> tuple[list[ItemLine], dict[int, PartialDate]]:
    """``list_items`` of every meeting as the lines a list shows, each item read from its
    stored record without building it (L's 20,050 items: 80–100 ms as models, 25 ms as
    lines, in-process), a part at a time."""
    if topic is not None:
        get_topic(repo, topic)
    dates = repo.meeting_dates()
    candidates = repo.select_as(AgendaItem, ItemLine.from_record, every, lines=True)
    return _chosen(candidates, dates, topic, status, open_only), dates


Listed = TypeVar("Listed", AgendaItem, ItemLine)


def _chosen(
    candidates: list[Listed],
    dates: dict[int, PartialDate],
    topic: str | None,
    status: AgendaStatus | None,
    open_only: bool,
) -> list[Listed]:
    """The items a list shows, in meeting date order, then position."""
    items = [
        i
        for i in candidates
        if (topic is None or i.topic == topic)
        and (status is None or i.status == status)
        and (not open_only or i.status.is_open)
    ]

    def order(item: Listed) -> tuple[dt.date, int, int]:
        date = dates.get(item.meeting_id)
        day = date.first_day() if date else dt.date.min
        return (day, item.meeting_id, item.position)

    return sorted(items, key=order)


def set_item(
    repo: Repository,
    item_id: int,
    *,
    now: dt.datetime,
    status: AgendaStatus | None = None,
    outcome: str | None = None,
    title: str | None = None,
    topic: str | None = None,
    lead: str | None = None,
    level: Level | None = None,
) -> AgendaItem:
    item = repo.get(AgendaItem, item_id)
    before = item.to_record()
    meeting = repo.get(Meeting, item.meeting_id)
    if status is not None:
        item.status = status
    if outcome is not None:
        item.outcome = optional_text(outcome, "outcome")
    if title is not None:
        item.title = require_text(title, "agenda title", max_length=500)
    if topic is not None:
        item.topic = ensure_topic(repo, topic, now).slug if topic.strip() else None
    if lead is not None:
        item.lead = check_lead(repo, meeting, lead)
    if level is not None:
        item.level = level
    if item.touch(before, now):
        repo.update(item)
    return item


def _renumber(repo: Repository, items: list[AgendaItem], now: dt.datetime) -> None:
    for position, item in enumerate(items, start=1):
        if item.position != position:
            item.position = position
            item.updated = iso_time(now)
            repo.update(item)


def move_item(repo: Repository, item_id: int, position: int, *, now: dt.datetime) -> AgendaItem:
    """Put an item at ``position`` (1 = first) within its meeting."""
    item = repo.get(AgendaItem, item_id)
    items = [i for i in meeting_agenda(repo, item.meeting_id) if i.id != item.id]
    if not 1 <= position <= len(items) + 1:
        raise InputError(f"Position {position} is outside 1..{len(items) + 1} for this meeting.")
    items.insert(position - 1, item)
    _renumber(repo, items, now)
    return item


def detach_descendants(
    repo: Repository, item: AgendaItem, now: dt.datetime, among: list[int] | None = None
) -> None:
    """Items carried from ``item`` now point at its own origin, keeping chains whole.

    ``among`` names every item that may be one: a caller deleting several items reads
    the agenda items' parts once for all of them, not once for each (a meeting's
    five items at L: 55 parts read)."""
    if among is None:
        among = repo.ids_where(AgendaItem, lambda raw: raw.get("carried_from") == item.id)
    for other_id in among:
        other = repo.find(AgendaItem, other_id)  # only its part is kept, to be rewritten
        if other is not None and other.carried_from == item.id:
            other.carried_from = item.carried_from
            other.updated = iso_time(now)
            repo.update(other)


def delete_item(repo: Repository, item_id: int, *, now: dt.datetime) -> AgendaItem:
    item = repo.get(AgendaItem, item_id)
    # The parts read are those whose list names the item, not those of its meeting: an
    # action on another meeting than its item's (an import with --theirs can move the
    # item) must still keep its item from going. A part listed without the items its
    # actions name (written by an earlier version) is read.
    actions = repo.ids_where(
        Action,
        lambda raw: raw.get("item_id") == item.id,
        parts=lambda about: item.id in about["items"],
    )
    if actions:
        ids = ", ".join(map(str, actions))
        raise InputError(
            f"Agenda item {item_id} has actions ({ids}); delete them or move them to another "
            "item first (cdt action delete ID)."
        )
    detach_descendants(repo, item, now)
    repo.delete(item)
    _renumber(repo, [i for i in meeting_agenda(repo, item.meeting_id)], now)
    return item


def ancestors(repo: Repository, item: AgendaItem) -> list[AgendaItem]:
    """The items this one was carried from, nearest first."""
    return carried_chain(item, lambda ref: repo.find(AgendaItem, ref))


Carried = TypeVar("Carried", bound=AgendaItem | ItemLine)


def carried_chain(item: Carried, find: Callable[[Any], Carried | None]) -> list[Carried]:
    """The items ``item`` was carried from, nearest first, each found by ``find`` of the
    id the one before was carried from; the chain ends at an id ``find`` finds nothing
    of (None), or at an item met before."""
    chain: list[Carried] = []
    seen = {item.id}
    current = item
    while current.carried_from is not None and current.carried_from not in seen:
        origin = find(current.carried_from)
        if origin is None:
            break
        chain.append(origin)
        seen.add(origin.id)
        current = origin
    return chain


def origin(repo: Repository, item: AgendaItem) -> AgendaItem:
    """The item a chain of carries started from (the item itself when never carried)."""
    chain = ancestors(repo, item)
    return chain[-1] if chain else item


def carry_agenda(
    repo: Repository, from_meeting: int, to_meeting: int, *, now: dt.datetime, dry_run: bool
) -> tuple[list[tuple[AgendaItem, AgendaItem]], list[AgendaItem]]:
    """Copy FROM's open items into TO as pending, linked to their origin.

    Returns the (origin, new item) pairs and the open items skipped because TO
    already holds them (so carrying twice does not duplicate).
    """
    if from_meeting == to_meeting:
        raise InputError("A meeting's agenda cannot be carried into the same meeting.")
    source = repo.get(Meeting, from_meeting)
    target = repo.get(Meeting, to_meeting)
    if source.dialogue != target.dialogue:
        raise InputError(f"Meetings {from_meeting} and {to_meeting} belong to different dialogues.")
    # One subject, one item per meeting: compare where chains start, so that carrying
    # M1->M3 after M1->M2->M3 (or M2->M3 after M1->M3) adds nothing twice.
    already = {origin(repo, existing).id for existing in meeting_agenda(repo, target.id)}
    carried: list[tuple[AgendaItem, AgendaItem]] = []
    skipped: list[AgendaItem] = []
    position = len(meeting_agenda(repo, target.id))
    for item in meeting_agenda(repo, source.id):
        if not item.status.is_open:
            continue
        root = origin(repo, item).id
        if root in already:
            skipped.append(item)
            continue
        already.add(root)
        position += 1
        new = AgendaItem(
            meeting_id=target.id,
            position=position,
            title=item.title,
            topic=item.topic,
            status=AgendaStatus.PENDING,
            lead=item.lead,
            carried_from=item.id,
            level=item.level,
            updated=iso_time(now),
        )
        if not dry_run:
            repo.add(new)
        carried.append((item, new))
    return carried, skipped


def item_history(repo: Repository, item_id: int) -> list[AgendaItem]:
    """The item's chain across meetings, origin first, through to its latest carry."""
    item = repo.get(AgendaItem, item_id)
    chain = [*reversed(ancestors(repo, item)), item]
    meetings = {m.id: m for m in repo.all(Meeting)}
    children: dict[int, list[AgendaItem]] = {}
    for other in repo.all(AgendaItem):
        if other.carried_from is not None:
            children.setdefault(other.carried_from, []).append(other)
    seen = {i.id for i in chain}
    current = item
    while current.id in children:
        nexts = [c for c in children[current.id] if c.id not in seen]
        if not nexts:
            break
        current = min(nexts, key=lambda c: (meetings[c.meeting_id].sort_key(), c.id))
        chain.append(current)
        seen.add(current.id)
    return chain

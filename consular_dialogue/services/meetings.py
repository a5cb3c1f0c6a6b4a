"""Meetings of a dialogue and their two delegations."""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple

from ..dates import PartialDate
from ..errors import InputError
from ..models import (
    Action,
    AgendaItem,
    Delegation,
    Level,
    Meeting,
    MeetingKind,
    MeetingStatus,
    iso_time,
    optional_text,
    require_text,
)
from ..storage import Repository
from .dialogues import get_dialogue, resolve_dialogue


def default_status(date: PartialDate, today: dt.date) -> MeetingStatus:
    """Held once the whole date (a whole month, if month-precise) is past; else planned."""
    return MeetingStatus.HELD if date.last_day() < today else MeetingStatus.PLANNED


def _check_dates(date: PartialDate, end_date: PartialDate | None) -> None:
    if end_date is not None and end_date.first_day() < date.first_day():
        raise InputError(f"The end date {end_date} is before the start date {date}.")


def _check_party(party: str | None, parties: list[str], what: str) -> str | None:
    if party is None:
        return None
    party = party.strip().upper()
    if party not in parties:
        raise InputError(
            f"{what} {party!r} is not a party of this dialogue ({', '.join(parties)})."
        )
    return party


class MeetingFields(NamedTuple):
    """Values given for a meeting; None means "not given" (keep the current value)."""

    title: str | None = None
    kind: MeetingKind | None = None
    date: PartialDate | None = None
    end_date: PartialDate | None = None
    location: str | None = None
    host: str | None = None
    status: MeetingStatus | None = None
    ref: str | None = None
    summary: str | None = None
    level: Level | None = None
    clear_end_date: bool = False


def record_meeting(
    repo: Repository,
    fields: MeetingFields,
    *,
    dialogue_key: str | None,
    now: dt.datetime,
    delegations: list[Delegation] | None = None,
    sources: dict[str, str] | None = None,
) -> Meeting:
    """Log a meeting; its status follows from its date unless given."""
    dialogue = resolve_dialogue(repo, dialogue_key)
    if fields.title is None or fields.kind is None or fields.date is None:
        raise InputError("A meeting needs a title, a --kind and a --date.")
    _check_dates(fields.date, fields.end_date)
    meeting = Meeting(
        dialogue=dialogue.key,
        title=require_text(fields.title, "meeting title", max_length=300),
        kind=fields.kind,
        date=fields.date,
        end_date=fields.end_date,
        location=optional_text(fields.location, "location", max_length=300),
        host=_check_party(fields.host, dialogue.parties, "Host"),
        status=fields.status or default_status(fields.date, now.date()),
        ref_text=optional_text(fields.ref, "reference", max_length=300),
        summary=optional_text(fields.summary, "summary"),
        level=fields.level or Level.INTERNAL,
        delegations=[],
        sources=dict(sources or {}),
        updated=iso_time(now),
    )
    for delegation in delegations or []:
        _check_party(delegation.party, dialogue.parties, "Party")
        meeting.delegations.append(delegation)
    return repo.add(meeting)


def edit_meeting(
    repo: Repository, meeting_id: int, fields: MeetingFields, *, now: dt.datetime
) -> Meeting:
    """Change the given fields; an empty text clears an optional one."""
    meeting = repo.get(Meeting, meeting_id)
    before = meeting.to_record()
    dialogue = get_dialogue(repo, meeting.dialogue)
    if fields.title is not None:
        meeting.title = require_text(fields.title, "meeting title", max_length=300)
    if fields.kind is not None:
        meeting.kind = fields.kind
    if fields.date is not None:
        meeting.date = fields.date
    if fields.clear_end_date:
        meeting.end_date = None
    elif fields.end_date is not None:
        meeting.end_date = fields.end_date
    _check_dates(meeting.date, meeting.end_date)
    if fields.location is not None:
        meeting.location = optional_text(fields.location, "location", max_length=300)
    if fields.host is not None:
        meeting.host = _check_party(fields.host, dialogue.parties, "Host") if fields.host else None
    if fields.status is not None:
        meeting.status = fields.status
    if fields.ref is not None:
        meeting.ref_text = optional_text(fields.ref, "reference", max_length=300)
    if fields.summary is not None:
        meeting.summary = optional_text(fields.summary, "summary")
    if fields.level is not None:
        meeting.level = fields.level
    if meeting.touch(before, now):
        repo.update(meeting)
    return meeting


def set_delegation(
    repo: Repository,
    meeting_id: int,
    *,
    party: str,
    head: str,
    title: str | None,
    members: list[str],
    now: dt.datetime,
) -> Meeting:
    """Set (replace) one party's delegation to a meeting."""
    meeting = repo.get(Meeting, meeting_id)
    before = meeting.to_record()
    dialogue = get_dialogue(repo, meeting.dialogue)
    checked = _check_party(party, dialogue.parties, "Party")
    assert checked is not None
    delegation = Delegation(
        party=checked,
        head=require_text(head, "head of delegation", max_length=200),
        title=optional_text(title, "title", max_length=300),
        members=[require_text(m, "member name", max_length=200) for m in members],
    )
    others = [d for d in meeting.delegations if d.party != checked]
    meeting.delegations = sorted(
        [*others, delegation], key=lambda d: dialogue.parties.index(d.party)
    )
    if meeting.touch(before, now):
        repo.update(meeting)
    return meeting


def list_meetings(
    repo: Repository,
    *,
    kind: MeetingKind | None = None,
    status: MeetingStatus | None = None,
    year: int | None = None,
    dialogue: str | None = None,
) -> list[Meeting]:
    """Meetings by date (month-precise ones at the start of their month)."""
    if dialogue:
        dialogue = get_dialogue(repo, dialogue).key
    meetings = [
        m
        for m in repo.all(Meeting)
        if (kind is None or m.kind == kind)
        and (status is None or m.status == status)
        and (year is None or m.date.year == year)
        and (dialogue is None or m.dialogue == dialogue)
    ]
    return sorted(meetings, key=Meeting.sort_key)


def meeting_agenda(repo: Repository, meeting_id: int) -> list[AgendaItem]:
    return sorted(repo.of_meeting(AgendaItem, meeting_id), key=lambda i: i.position)


def meeting_actions(repo: Repository, meeting_id: int) -> list[Action]:
    return repo.of_meeting(Action, meeting_id)


def delete_meeting(repo: Repository, meeting_id: int, *, cascade: bool, now: dt.datetime) -> int:
    """Delete a meeting (and, with cascade, its agenda and actions); returns records removed."""
    from .agenda import detach_descendants

    meeting = repo.get(Meeting, meeting_id)
    items = meeting_agenda(repo, meeting_id)
    actions = meeting_actions(repo, meeting_id)
    if (items or actions) and not cascade:
        raise InputError(
            f"Meeting {meeting_id} has {len(items)} agenda items and {len(actions)} actions; "
            "delete them first or add --cascade."
        )
    for action in actions:
        repo.delete(action)
    # Whatever is carried from one of these items, read once: only these can come to
    # point at one of them as the items go (see ``detach_descendants``).
    deleted = {item.id for item in items}

    def carried_from_one(raw: dict[str, Any]) -> bool:
        origin = raw.get("carried_from")
        return origin in deleted if isinstance(origin, int) else False  # (check names others)

    among = repo.ids_where(AgendaItem, carried_from_one)
    for item in items:
        detach_descendants(repo, item, now, among)
        repo.delete(item)
    repo.delete(meeting)
    return 1 + len(items) + len(actions)

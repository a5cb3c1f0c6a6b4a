"""Turn a communiqué's draft into records, never inventing what it did not say."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ..communique import CommuniqueDraft, MeetingDraft
from ..errors import InputError
from ..models import Delegation, Meeting, MeetingKind, MeetingStatus
from ..storage import Repository
from .agenda import add_item
from .dialogues import resolve_dialogue
from .meetings import MeetingFields, record_meeting


@dataclass
class RecordedCommunique:
    meeting: Meeting | None
    agenda_ids: list[int] = field(default_factory=list)
    announced: list[Meeting] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def _existing(repo: Repository, dialogue: str, draft: MeetingDraft) -> Meeting | None:
    """A meeting of the same kind in the same month, already on file."""
    if draft.date is None:
        return None
    for meeting in repo.all(Meeting):
        if (
            meeting.dialogue == dialogue
            and meeting.kind.value == draft.kind
            and (meeting.date.year, meeting.date.month) == (draft.date.year, draft.date.month)
        ):
            return meeting
    return None


def _record(repo: Repository, draft: MeetingDraft, dialogue: str, now: dt.datetime) -> Meeting:
    if draft.date is None:
        raise InputError(
            f"The communiqué gives no date for {draft.title!r}; record it with cdt meeting add."
        )
    delegations = [
        Delegation(party=d.party, head=d.head, title=d.title)
        for d in draft.delegations
        if d.head or d.title
    ]
    sources = dict(draft.sources)
    for d in draft.delegations:
        sources[f"delegation {d.party}"] = d.source
    return record_meeting(
        repo,
        MeetingFields(
            title=draft.title,
            kind=MeetingKind(draft.kind) if draft.kind else MeetingKind.OTHER,
            date=draft.date,
            end_date=draft.end_date,
            location=draft.location,
            host=draft.host,
            status=MeetingStatus(draft.status),
            ref=draft.ref,
        ),
        dialogue_key=dialogue,
        now=now,
        delegations=delegations,
        sources=sources,
    )


def record_communique(
    repo: Repository, draft: CommuniqueDraft, *, dialogue_key: str | None, now: dt.datetime
) -> RecordedCommunique:
    """Record the meeting, its delegations and agenda, and the meetings it announces."""
    dialogue = resolve_dialogue(repo, dialogue_key).key
    result = RecordedCommunique(meeting=None)
    main = draft.meeting
    existing = _existing(repo, dialogue, main)
    if existing is not None and main.status == "held":
        raise InputError(
            f"This communiqué's meeting looks recorded already as meeting {existing.id} "
            f"({existing.title!r}); nothing was written."
        )
    if existing is None:
        meeting = _record(repo, main, dialogue, now)
        result.meeting = meeting
        for item in main.agenda:
            added = add_item(
                repo,
                meeting.id,
                title=item.title,
                topic=item.topic,
                status=None,
                outcome=None,
                lead=None,
                level=None,
                now=now,
            )
            result.agenda_ids.append(added.id)
    else:
        result.skipped.append(f"{main.title} (already meeting {existing.id})")
    for announced in draft.announced:
        already = _existing(repo, dialogue, announced)
        if already is not None:
            result.skipped.append(f"{announced.title} (already meeting {already.id})")
            continue
        result.announced.append(_record(repo, announced, dialogue, now))
    return result

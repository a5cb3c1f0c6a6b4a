"""Reports and timelines as pure view models, and their text, Markdown, HTML and JSON.

Builders read the repository and return named tuples (immutable, and about six times
cheaper to define at start-up than frozen dataclasses) whose labels, status names and
dates are already in the run's language (user text is kept as typed).
Renderers turn a report into a string and touch neither the data file, nor the
clock, nor the terminal: ``timeline.py`` draws the timeline models with Rich and
the CLI decides where the strings go. Adding a format is one function and one
entry in ``FORMATS``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import zip_longest
from typing import TYPE_CHECKING, Any, NamedTuple

from .dates import PartialDate
from .errors import InputError
from .i18n import label, month_name, status_name
from .models import (
    JOINT,
    Action,
    ActionLine,
    ActionStatus,
    AgendaItem,
    AgendaStatus,
    Dialogue,
    ItemLine,
    Meeting,
    MeetingLine,
    MeetingStatus,
    ReportAction,
    TimelineMeeting,
    Topic,
    overdue_on,
)
from .services.agenda import carried_chain
from .services.dialogues import find_dialogue, get_dialogue, resolve_dialogue
from .services.topics import get_topic
from .storage import every
from .text import clean, clean_all, escape_cell

if TYPE_CHECKING:
    from .storage import Repository


# ---- dates in words ------------------------------------------------------------------------


def date_words(value: PartialDate, lang: str, *, with_year: bool = True) -> str:
    """``17 April 2023`` / ``17 de abril de 2023``; ``October`` / ``octubre`` without the year."""
    if value.month is None:
        return str(value.year)
    month = month_name(value.month, lang)
    of = " de " if lang == "es" else " "
    text = month if value.day is None else f"{value.day}{of}{month}"
    return f"{text}{of}{value.year}" if with_year else text


def span_words(
    start: PartialDate, end: PartialDate | None, lang: str, *, with_year: bool = True
) -> str:
    """A meeting's dates: ``17–21 April 2023``, ``30 April – 2 May 2023``, ``October 2023``."""
    if end is None or end == start:
        return date_words(start, lang, with_year=with_year)
    of = " de " if lang == "es" else " "
    tail = f"{of}{start.year}" if with_year else ""
    if start.day is not None and end.day is not None and start.year == end.year:
        assert start.month is not None and end.month is not None
        if start.month == end.month:
            return f"{start.day}–{end.day}{of}{month_name(start.month, lang)}{tail}"
        first = date_words(start, lang, with_year=False)
        return f"{first} – {date_words(end, lang, with_year=False)}{tail}"
    return f"{date_words(start, lang)} – {date_words(end, lang)}"


def _party_name(party: str | None, lang: str) -> str:
    if not party:
        return ""
    return status_name(party, lang) if party == JOINT else party


# ---- view models ---------------------------------------------------------------------------


class DelegationView(NamedTuple):
    party: str
    head: str | None
    title: str | None


class MeetingRef(NamedTuple):
    """Enough of a meeting to name it in a row."""

    meeting_id: int
    title: str
    kind: str
    kind_name: str
    date: str
    when: str
    status: str
    status_name: str


class MeetingHeader(NamedTuple):
    meeting_id: int
    dialogue: str
    dialogue_name: str
    title: str
    kind: str
    kind_name: str
    date: str
    end_date: str | None
    when: str
    location: str | None
    host: str | None
    status: str
    status_name: str
    ref: str | None
    delegations: tuple[DelegationView, ...]


class ActionView(NamedTuple):
    action_id: int
    meeting_id: int
    meeting_date: str
    item_id: int | None
    title: str
    party: str
    party_name: str
    owner: str | None
    due: str | None
    status: str
    status_name: str
    priority: str
    overdue: bool
    completed: str | None


class ItemView(NamedTuple):
    item_id: int
    meeting_id: int
    position: int
    title: str
    topic: str | None
    topic_name: str | None
    status: str
    status_name: str
    outcome: str | None
    lead: str | None
    carried_from: int | None
    carried_from_meeting: MeetingRef | None
    carried_from_position: int | None
    actions: tuple[ActionView, ...] = ()


@dataclass(frozen=True)
class StatusCount:
    # A dataclass: a named tuple's field "count" would hide tuple.count.

    status: str
    name: str
    count: int


class ActionCounts(NamedTuple):
    open: int
    overdue: int
    done: int
    cancelled: int


class MeetingReport(NamedTuple):
    """One meeting: its header, every agenda item with its actions, and a summary."""

    lang: str
    today: dt.date
    meeting: MeetingHeader
    items: tuple[ItemView, ...]
    other_actions: tuple[ActionView, ...]
    items_by_status: tuple[StatusCount, ...]
    actions: ActionCounts


class OpenItem(NamedTuple):
    """An agenda item still open at the end of its carry chain."""

    item: ItemView
    meeting: MeetingRef
    times_carried: int
    since: str
    #: The item's outcome, or the newest one recorded earlier in its chain.
    last_outcome: str | None


class TopicGroup(NamedTuple):
    topic: str | None
    name: str
    items: tuple[OpenItem, ...]


class PartyGroup(NamedTuple):
    party: str
    name: str
    open: int
    overdue: int
    actions: tuple[ActionView, ...]


class StandingReport(NamedTuple):
    """Where a whole dialogue stands today."""

    lang: str
    today: dt.date
    dialogue: str
    dialogue_name: str
    last_meeting: MeetingRef | None
    next_meeting: MeetingRef | None
    open_items: tuple[TopicGroup, ...]
    actions_by_party: tuple[PartyGroup, ...]
    completed_since: str | None
    completed: tuple[ActionView, ...]


class CarriedItem(NamedTuple):
    item: ItemView
    times_carried: int
    since: str
    since_meeting_id: int
    last_status: str
    last_status_name: str
    last_outcome: str | None


class DueSlip(NamedTuple):
    action: ActionView
    changes: int
    first_due: str | None
    latest_due: str | None


class TopicOutcome(NamedTuple):
    topic: str
    topic_name: str
    meeting: MeetingRef
    item_id: int
    item_title: str
    status: str
    status_name: str
    outcome: str


class Briefing(NamedTuple):
    """What a delegation must know before a meeting."""

    lang: str
    today: dt.date
    meeting: MeetingHeader
    carried_in: tuple[CarriedItem, ...]
    actions_by_party: tuple[PartyGroup, ...]
    slips: tuple[DueSlip, ...]
    last_outcomes: tuple[TopicOutcome, ...]


Report = MeetingReport | StandingReport | Briefing


# ---- timeline view models --------------------------------------------------------------


class TodayMarker(NamedTuple):
    day: dt.date

    @property
    def year(self) -> int:
        return self.day.year


class MeetingRow(NamedTuple):
    meeting_id: int
    day: dt.date
    when: str
    kind: str
    kind_name: str
    status: str
    status_name: str
    title: str
    location: str | None
    host: str | None
    heads: tuple[DelegationView, ...]
    items: int
    open_actions: int
    overdue_actions: int

    @property
    def year(self) -> int:
        return self.day.year


class MeetingTimeline(NamedTuple):
    lang: str
    today: dt.date
    dialogue: str | None
    dialogue_name: str | None
    entries: tuple[MeetingRow | TodayMarker, ...]


class TopicRow(NamedTuple):
    day: dt.date
    when: str
    meeting: MeetingRef
    item: ItemView

    @property
    def year(self) -> int:
        return self.day.year


class TopicTimeline(NamedTuple):
    lang: str
    today: dt.date
    topic: str
    topic_name: str
    entries: tuple[TopicRow | TodayMarker, ...]


class DueAction(NamedTuple):
    """An unfinished action as the action timeline shows it: made from its list line,
    which has no notes and no priority."""

    action_id: int
    title: str
    party: str
    party_name: str
    owner: str | None
    due: str | None
    status: str
    status_name: str
    overdue: bool


class ActionRow(NamedTuple):
    action: DueAction
    day: dt.date | None
    meeting: MeetingRef

    @property
    def year(self) -> int:
        return (self.day or dt.date.max).year


class ActionTimeline(NamedTuple):
    lang: str
    today: dt.date
    parties: tuple[str, ...]
    entries: tuple[ActionRow | TodayMarker, ...]
    undated: tuple[ActionRow, ...]


# ---- building the models ---------------------------------------------------------------


# A meeting or an agenda item as a report reads it: a model, or (for the reports of a
# whole dialogue) the line of it that the lines beside its part hold.
AnyMeeting = Meeting | MeetingLine
AnyItem = AgendaItem | ItemLine
AnyAction = Action | ReportAction


class _Data(NamedTuple):
    """One read of the records a report needs, with the lookups every builder uses."""

    repo: Repository
    lang: str
    today: dt.date
    dialogue: Dialogue | None
    meetings: dict[int, AnyMeeting]
    items: dict[int, AnyItem]
    actions: Sequence[AnyAction]
    topics: dict[str, Topic]
    #: Items that were carried into a later meeting (their newer link speaks for them).
    carried_on: set[int]
    refs: dict[int, MeetingRef]  # each meeting's, made when first asked for

    @classmethod
    def read(
        cls,
        repo: Repository,
        dialogue: Dialogue | None,
        today: dt.date,
        lang: str,
        *,
        key: str | None = None,
        actions_where: Callable[[dict[str, Any]], bool] | None = None,
        unfinished_only: bool = False,
        parts: Callable[[dict[str, Any]], bool] | None = None,
        meetings: Sequence[MeetingLine] | None = None,
        with_items: bool = True,
        with_actions: bool = True,
    ) -> _Data:
        """The records of ``key`` (default: the dialogue's); all records when neither is given.

        Its meetings and their items are their lines (``MeetingLine``, ``ItemLine``): a
        report shows no delegation or note of them, and at L they are 4 MB of lines
        beside their parts, not 12 MB of parts. ``meetings`` are the lines of the
        meetings of ``key`` when the caller has read them already (``_meetings_of``).
        Its actions are ``ReportAction``s, built without their notes.

        ``actions_where`` (a test on the stored action) keeps a report from building the
        thousands of finished actions it never shows; ``unfinished_only`` says the test
        passes no finished action, so their part files are not even read, and
        ``parts`` which part files may hold one (see ``Repository.select``).
        Without ``with_items`` (``with_actions``), no item (action) is read.
        """
        key = key or (dialogue.key if dialogue is not None else None)
        by_id: dict[int, AnyMeeting] = {
            m.id: m for m in (_meetings_of(repo, key) if meetings is None else meetings)
        }
        items: dict[int, AnyItem] = {}
        if with_items:
            every_item = repo.select_as(AgendaItem, ItemLine.from_record, every, lines=True)
            items = {i.id: i for i in every_item if i.meeting_id in by_id}
        actions: Sequence[AnyAction] = ()
        if with_actions:
            actions = repo.select_as(
                Action,
                ReportAction.from_record,
                every if actions_where is None else actions_where,
                hot=unfinished_only,
                parts=parts,
            )
        return cls(
            repo=repo,
            lang=lang,
            today=today,
            dialogue=dialogue,
            meetings=by_id,
            items=items,
            actions=[a for a in actions if a.meeting_id in by_id],
            topics={t.slug: t for t in repo.all(Topic)},
            carried_on={i.carried_from for i in items.values() if i.carried_from is not None},
            refs={},
        )

    @classmethod
    def read_meeting(cls, repo: Repository, meeting_id: int, today: dt.date, lang: str) -> _Data:
        """What one meeting's report shows: its items, the items they were carried from
        (with their meetings) and its actions; the dialogue's other records are not built.
        ``carried_on`` is left empty: this report does not say what was carried further.
        """
        meeting = repo.get(Meeting, meeting_id)
        items: dict[int, AnyItem] = {i.id: i for i in repo.of_meeting(AgendaItem, meeting_id)}
        meetings: dict[int, AnyMeeting] = {meeting.id: meeting}
        for item in list(items.values()):
            origin = repo.find(AgendaItem, item.carried_from) if item.carried_from else None
            source = repo.find(Meeting, origin.meeting_id) if origin is not None else None
            # As in ``read``: only items of the dialogue's meetings are known (and an item
            # whose stored meeting id is not a number, found by its text, is not).
            if (
                origin is not None
                and source is not None
                and origin.meeting_id == source.id
                and source.dialogue == meeting.dialogue
            ):
                items[origin.id] = origin
                meetings[source.id] = source
        actions = repo.of_meeting(Action, meeting_id)
        return cls(
            repo=repo,
            lang=lang,
            today=today,
            dialogue=find_dialogue(repo, meeting.dialogue),
            meetings=meetings,
            items=items,
            actions=actions,
            topics={t.slug: t for t in repo.all(Topic)},
            carried_on=set(),
            refs={},
        )

    def sorted_meetings(self) -> list[AnyMeeting]:
        return sorted(self.meetings.values(), key=_sort_key)

    def topic_name(self, slug: str | None) -> str | None:
        if slug is None:
            return None
        topic = self.topics.get(slug)
        return topic.name(self.lang) if topic else slug

    def ancestors(self, item: AnyItem) -> list[AnyItem]:
        """The items this one was carried from, nearest first, as far as the items read
        go: as in ``read_meeting``, only items of the dialogue's meetings are known (a
        carry from another dialogue, which only a hand edit makes, ends the chain)."""
        return carried_chain(item, self.items.get)

    def action_view(self, action: AnyAction) -> ActionView:
        status = action.status._value_  # not .value: Enum's property, 100,000 times
        due, completed, lang = action.due, action.completed, self.lang
        # The tuple made at once, in ActionView's order: a briefing at L shows 19,857.
        return tuple.__new__(
            ActionView,
            (
                action.id,
                action.meeting_id,
                self.meetings[action.meeting_id].date.iso,
                action.item_id,
                action.title,
                action.party,
                _party_name(action.party, lang),
                action.owner,
                due.isoformat() if due else None,
                status,
                status_name(status, lang),
                action.priority._value_,
                overdue_on(due, action.status, self.today),
                completed.isoformat() if completed else None,
            ),
        )

    def item_view(self, item: AnyItem, actions: Iterable[AnyAction] = ()) -> ItemView:
        origin = self.items.get(item.carried_from) if item.carried_from else None
        status = item.status._value_
        return ItemView(
            item_id=item.id,
            meeting_id=item.meeting_id,
            position=item.position,
            title=item.title,
            topic=item.topic,
            topic_name=self.topic_name(item.topic),
            status=status,
            status_name=status_name(status, self.lang),
            outcome=item.outcome,
            lead=_party_name(item.lead, self.lang) or None,
            carried_from=item.carried_from,
            carried_from_meeting=self.meeting_ref(self.meetings[origin.meeting_id])
            if origin
            else None,
            carried_from_position=origin.position if origin else None,
            actions=tuple(self.action_view(a) for a in actions),
        )

    def meeting_ref(self, meeting: AnyMeeting) -> MeetingRef:
        """The meeting as a row refers to it, built once per meeting (a report of a large
        dialogue refers to 5,000 meetings 13,000 times)."""
        ref = self.refs.get(meeting.id)
        if ref is None:
            ref = self.refs[meeting.id] = _meeting_ref(meeting, self.lang)
        return ref

    def meeting_header(self, meeting: Meeting) -> MeetingHeader:
        name = self.dialogue.name if self.dialogue is not None else meeting.dialogue
        return MeetingHeader(
            meeting_id=meeting.id,
            dialogue=meeting.dialogue,
            dialogue_name=name,
            title=meeting.title,
            kind=meeting.kind.value,
            kind_name=status_name(meeting.kind.value, self.lang),
            date=meeting.date.iso,
            end_date=meeting.end_date.iso if meeting.end_date else None,
            when=span_words(meeting.date, meeting.end_date, self.lang),
            location=meeting.location,
            host=meeting.host,
            status=meeting.status.value,
            status_name=status_name(meeting.status.value, self.lang),
            ref=meeting.ref_text,
            delegations=tuple(
                DelegationView(d.party, d.head, d.title) for d in meeting.delegations
            ),
        )

    def party_groups(self, actions: Iterable[AnyAction]) -> tuple[PartyGroup, ...]:
        """Unfinished actions by party (the dialogue's order, then joint): overdue first."""
        parties = list(self.dialogue.parties) if self.dialogue is not None else []
        groups: dict[str, list[ActionView]] = {party: [] for party in [*parties, JOINT]}
        for action in actions:
            if not action.status.is_finished:
                groups.setdefault(action.party, []).append(self.action_view(action))

        def order(view: ActionView) -> tuple[bool, bool, str, int]:
            # An ISO day sorts as its date; the undated come after every dated one.
            return (not view.overdue, view.due is None, view.due or "", view.action_id)

        return tuple(
            PartyGroup(
                party=party,
                name=_party_name(party, self.lang),
                open=len(listed),
                overdue=sum(view.overdue for view in listed),
                actions=tuple(sorted(listed, key=order)),
            )
            for party, listed in groups.items()
            if listed
        )


def _dialogue_for(repo: Repository, key: str | None, *, required: bool) -> Dialogue | None:
    """The dialogue named, or the only one; None when there is none and none is required."""
    if key:
        return get_dialogue(repo, key)
    if not required and not repo.all(Dialogue):
        return None
    return resolve_dialogue(repo, None)


_unfinished = Action.stored_unfinished


def _meeting_ref(meeting: AnyMeeting, lang: str) -> MeetingRef:
    kind, status = meeting.kind._value_, meeting.status._value_
    return MeetingRef(
        meeting_id=meeting.id,
        title=meeting.title,
        kind=kind,
        kind_name=status_name(kind, lang),
        date=meeting.date.iso,
        when=span_words(meeting.date, meeting.end_date, lang),
        status=status,
        status_name=status_name(status, lang),
    )


def _meetings_of(repo: Repository, key: str | None) -> list[MeetingLine]:
    """The lines of the meetings of the dialogue ``key`` (every meeting when None), in id
    order."""
    return repo.select_as(
        Meeting,
        MeetingLine.from_record,
        lambda raw: key is None or raw["dialogue"] == key,
        lines=True,
    )


def _sort_key(meeting: AnyMeeting) -> tuple[dt.date, int]:
    """``Meeting.sort_key`` of a meeting or its line."""
    return meeting.sort_key()


def build_meeting_report(
    repo: Repository, meeting_id: int, today: dt.date, lang: str
) -> MeetingReport:
    """One meeting's agenda status: every item with its outcome and actions, and the totals."""
    data = _Data.read_meeting(repo, meeting_id, today, lang)
    meeting = repo.get(Meeting, meeting_id)  # the model read_meeting read, found again
    items = sorted(
        (i for i in data.items.values() if i.meeting_id == meeting_id), key=lambda i: i.position
    )
    actions = sorted((a for a in data.actions if a.meeting_id == meeting_id), key=lambda a: a.id)
    item_ids = {i.id for i in items}
    by_item: dict[int, list[AnyAction]] = {}
    for action in actions:
        if action.item_id in item_ids:
            by_item.setdefault(action.item_id, []).append(action)
    statuses = [
        StatusCount(s.value, status_name(s.value, lang), sum(i.status == s for i in items))
        for s in AgendaStatus
    ]
    return MeetingReport(
        lang=lang,
        today=today,
        meeting=data.meeting_header(meeting),
        items=tuple(data.item_view(i, by_item.get(i.id, ())) for i in items),
        other_actions=tuple(data.action_view(a) for a in actions if a.item_id not in item_ids),
        items_by_status=tuple(s for s in statuses if s.count),
        actions=ActionCounts(
            open=sum(not a.status.is_finished for a in actions),
            overdue=sum(overdue_on(a.due, a.status, today) for a in actions),
            done=sum(a.status == ActionStatus.DONE for a in actions),
            cancelled=sum(a.status == ActionStatus.CANCELLED for a in actions),
        ),
    )


def _last_held(meetings: Iterable[AnyMeeting], today: dt.date) -> AnyMeeting | None:
    held = [
        m
        for m in sorted(meetings, key=_sort_key)
        if m.status == MeetingStatus.HELD and m.date.first_day() < today
    ]
    return held[-1] if held else None


def build_standing_report(
    repo: Repository,
    dialogue_key: str | None,
    today: dt.date,
    lang: str,
    *,
    share: int | None = None,
) -> StandingReport:
    """A dialogue's standing: open items by topic, open actions by party, what got done.

    Of ``share`` 0, only the open items are made (no action is read), and of share 1
    only the actions (no item is read): what ``to_text`` writes of each share."""
    dialogue = _dialogue_for(repo, dialogue_key, required=True)
    assert dialogue is not None
    meetings = _meetings_of(repo, dialogue.key)
    last = _last_held(meetings, today)
    # What got done since the last meeting held: older completions stay in their parts.
    since = (last.end_date or last.date).last_day() if last is not None else None
    after = since.isoformat() if since is not None else ""
    data = _Data.read(
        repo,
        dialogue,
        today,
        lang,
        meetings=meetings,
        actions_where=lambda raw: _unfinished(raw) or (raw.get("completed") or "") > after,
        parts=lambda about: (about["completed"] or "") > after,
        with_items=share != 1,
        with_actions=share != 0,
    )
    upcoming = [
        m
        for m in data.sorted_meetings()
        if m.status == MeetingStatus.PLANNED and m.date.last_day() >= today
    ]

    groups: dict[str | None, list[OpenItem]] = {}
    for item in data.items.values():
        # Only the newest link of a chain speaks for the subject; its origins are history.
        if not item.status.is_open or item.id in data.carried_on:
            continue
        chain = data.ancestors(item)
        origin = data.meetings[(chain[-1] if chain else item).meeting_id]
        groups.setdefault(item.topic, []).append(
            OpenItem(
                item=data.item_view(item),
                meeting=data.meeting_ref(data.meetings[item.meeting_id]),
                times_carried=len(chain),
                since=origin.date.iso,
                last_outcome=next((i.outcome for i in [item, *chain] if i.outcome), None),
            )
        )
    open_items = [
        TopicGroup(
            topic=slug,
            name=data.topic_name(slug) or label("no_topic", lang),
            items=tuple(
                sorted(
                    listed,
                    key=lambda o: (data.meetings[o.item.meeting_id].sort_key(), o.item.position),
                )
            ),
        )
        for slug, listed in groups.items()
    ]
    open_items.sort(key=lambda g: (g.topic is None, g.name.casefold()))

    completed = sorted(
        (
            a
            for a in data.actions
            if a.status == ActionStatus.DONE
            and a.completed is not None
            and (since is None or a.completed > since)
        ),
        key=lambda a: (a.completed or dt.date.min, a.id),
    )
    return StandingReport(
        lang=lang,
        today=today,
        dialogue=dialogue.key,
        dialogue_name=dialogue.name,
        last_meeting=data.meeting_ref(last) if last is not None else None,
        next_meeting=data.meeting_ref(upcoming[0]) if upcoming else None,
        open_items=tuple(open_items),
        actions_by_party=data.party_groups(data.actions),
        completed_since=since.isoformat() if since is not None else None,
        completed=tuple(data.action_view(a) for a in completed),
    )


def _due_slip(data: _Data, action: AnyAction) -> DueSlip | None:
    changes = [c for c in action.changes if c.field == "due"]
    if not changes:
        return None
    dues = [d for d in [changes[0].old, *(c.new for c in changes)] if d]
    return DueSlip(
        action=data.action_view(action),
        changes=len(changes),
        first_due=dues[0] if dues else None,
        latest_due=action.due.isoformat() if action.due else None,
    )


def build_briefing(repo: Repository, meeting_id: int, today: dt.date, lang: str) -> Briefing:
    """Before a meeting: items carried in, open actions, moved due dates, last outcomes."""
    meeting = repo.get(Meeting, meeting_id)  # the model: its header shows the delegations
    data = _Data.read(
        repo,
        find_dialogue(repo, meeting.dialogue),
        today,
        lang,
        key=meeting.dialogue,
        actions_where=_unfinished,
        unfinished_only=True,
    )
    agenda = sorted(
        (i for i in data.items.values() if i.meeting_id == meeting_id), key=lambda i: i.position
    )

    carried: list[CarriedItem] = []
    for item in agenda:
        chain = data.ancestors(item)
        if not chain:
            continue
        origin, previous = chain[-1], chain[0]
        carried.append(
            CarriedItem(
                item=data.item_view(item),
                times_carried=len(chain),
                since=data.meetings[origin.meeting_id].date.iso,
                since_meeting_id=origin.meeting_id,
                last_status=previous.status.value,
                last_status_name=status_name(previous.status.value, lang),
                last_outcome=previous.outcome,
            )
        )

    open_actions = [a for a in data.actions if not a.status.is_finished]
    slips = [s for s in (_due_slip(data, a) for a in open_actions) if s is not None]
    slips.sort(key=lambda s: (-s.changes, s.action.action_id))

    earlier = {m.id for m in data.meetings.values() if m.sort_key() < meeting.sort_key()}
    outcomes: list[TopicOutcome] = []
    for slug in dict.fromkeys(i.topic for i in agenda if i.topic):
        known = [
            i
            for i in data.items.values()
            if i.topic == slug and i.meeting_id in earlier and i.outcome
        ]
        if not known:
            continue
        latest = max(known, key=lambda i: (data.meetings[i.meeting_id].sort_key(), i.position))
        outcomes.append(
            TopicOutcome(
                topic=slug,
                topic_name=data.topic_name(slug) or slug,
                meeting=data.meeting_ref(data.meetings[latest.meeting_id]),
                item_id=latest.id,
                item_title=latest.title,
                status=latest.status.value,
                status_name=status_name(latest.status.value, lang),
                outcome=latest.outcome or "",
            )
        )
    return Briefing(
        lang=lang,
        today=today,
        meeting=data.meeting_header(meeting),
        carried_in=tuple(carried),
        actions_by_party=data.party_groups(open_actions),
        slips=tuple(slips),
        last_outcomes=tuple(outcomes),
    )


# ---- timelines -------------------------------------------------------------------------


def _in_range(first: dt.date, last: dt.date, start: dt.date | None, end: dt.date | None) -> bool:
    return (start is None or last >= start) and (end is None or first <= end)


def _with_today(
    rows: Sequence[Any], today: dt.date, start: dt.date | None, end: dt.date | None
) -> tuple[Any, ...]:
    """Rows (sorted, each with a ``day``) with the today marker before the first from today on."""
    if not _in_range(today, today, start, end):
        return tuple(rows)
    before = [r for r in rows if r.day < today]
    return (*before, TodayMarker(today), *rows[len(before) :])


def _by_day(meeting: TimelineMeeting) -> tuple[dt.date, int]:
    """``Meeting.sort_key`` of a meeting's view."""
    return (meeting.date.first_day(), meeting.id)


def _check_range(start: dt.date | None, end: dt.date | None) -> None:
    if start is not None and end is not None and start > end:
        raise InputError(f"--from {start.isoformat()} is after --to {end.isoformat()}.")


def build_meeting_timeline(
    repo: Repository,
    dialogue_key: str | None,
    today: dt.date,
    lang: str,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> MeetingTimeline:
    """The dialogue's meetings in date order, with the today marker in its place."""
    _check_range(start, end)
    dialogue = _dialogue_for(repo, dialogue_key, required=False)
    key = dialogue.key if dialogue is not None else None
    # What the timeline shows of each meeting, not the meeting; only how many items a
    # meeting has counts here (the list of parts says), and an action's meeting, status
    # and due date: its line, not the action.
    meetings = repo.select_as(
        Meeting, TimelineMeeting.from_record, lambda raw: key is None or raw["dialogue"] == key
    )
    items = repo.meeting_counts(AgendaItem)
    open_actions: dict[int, int] = {}
    overdue: dict[int, int] = {}
    for action in repo.unfinished_lines(_unfinished):
        meeting_id = action.meeting_id
        open_actions[meeting_id] = open_actions.get(meeting_id, 0) + 1
        if action.is_overdue(today):
            overdue[meeting_id] = overdue.get(meeting_id, 0) + 1
    rows = []
    for m in sorted(meetings, key=_by_day):
        day = m.date.first_day()
        if not _in_range(day, (m.end_date or m.date).last_day(), start, end):
            continue
        kind, status = m.kind._value_, m.status._value_
        rows.append(
            MeetingRow(
                meeting_id=m.id,
                day=day,
                when=span_words(m.date, m.end_date, lang, with_year=False),
                kind=kind,
                kind_name=status_name(kind, lang),
                status=status,
                status_name=status_name(status, lang),
                title=m.title,
                location=m.location,
                host=m.host,
                heads=tuple([DelegationView(*head) for head in m.heads]),
                items=items.get(m.id, 0),
                open_actions=open_actions.get(m.id, 0),
                overdue_actions=overdue.get(m.id, 0),
            )
        )
    return MeetingTimeline(
        lang=lang,
        today=today,
        dialogue=dialogue.key if dialogue else None,
        dialogue_name=dialogue.name if dialogue else None,
        entries=_with_today(rows, today, start, end),
    )


def build_topic_timeline(
    repo: Repository,
    slug: str,
    dialogue_key: str | None,
    today: dt.date,
    lang: str,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> TopicTimeline:
    """One topic across meetings: each time it was on the agenda, and how it was carried."""
    _check_range(start, end)
    topic = get_topic(repo, slug)
    data = _Data.read(
        repo,
        _dialogue_for(repo, dialogue_key, required=False),
        today,
        lang,
        actions_where=lambda raw: False,
        unfinished_only=True,
    )
    chosen = [i for i in data.items.values() if i.topic == topic.slug]
    chosen.sort(key=lambda i: (data.meetings[i.meeting_id].sort_key(), i.position))
    rows: list[TopicRow] = []
    for item in chosen:
        meeting = data.meetings[item.meeting_id]
        if not _in_range(
            meeting.date.first_day(), (meeting.end_date or meeting.date).last_day(), start, end
        ):
            continue
        rows.append(
            TopicRow(
                day=meeting.date.first_day(),
                when=span_words(meeting.date, meeting.end_date, lang, with_year=False),
                meeting=data.meeting_ref(meeting),
                item=data.item_view(item),
            )
        )
    return TopicTimeline(
        lang=lang,
        today=today,
        topic=topic.slug,
        topic_name=topic.name(lang),
        entries=_with_today(rows, today, start, end),
    )


def _due_or_last(action: ActionLine) -> dt.date:
    return action.due or dt.date.max


def build_action_timeline(
    repo: Repository,
    dialogue_key: str | None,
    today: dt.date,
    lang: str,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> ActionTimeline:
    """Unfinished actions on a due-date axis (overdue ones before today); undated apart.

    Made from the actions' list lines and the meetings' lines (the lines beside their
    parts, where they serve): a row shows no note, priority or delegation, so it builds
    no action or meeting (at L, 19,857 and 5,000; ``--max-level`` builds them all to
    filter them).
    """
    _check_range(start, end)
    dialogue = _dialogue_for(repo, dialogue_key, required=False)
    key = dialogue.key if dialogue is not None else None
    meetings = {
        m.id: m
        for m in repo.select_as(
            Meeting,
            MeetingLine.from_record,
            lambda raw: key is None or raw["dialogue"] == key,
            lines=True,
        )
    }
    refs: dict[int, MeetingRef] = {}
    dated: list[ActionRow] = []
    undated: list[ActionRow] = []
    dated_only = start is not None or end is not None  # a range asks for dates
    shown = [
        a
        for a in repo.unfinished_lines(_unfinished)
        if a.meeting_id in meetings
        and (not dated_only if a.due is None else _in_range(a.due, a.due, start, end))
    ]
    status_names = {s: (s._value_, status_name(s._value_, lang)) for s in ActionStatus}
    party_names: dict[str, str] = {}
    days: dict[dt.date | None, str | None] = {None: None}  # each due date's ISO text
    shown.sort(key=_due_or_last)  # stable: the lines come in id order
    for action in shown:
        ref = refs.get(action.meeting_id)
        if ref is None:
            ref = refs[action.meeting_id] = _meeting_ref(meetings[action.meeting_id], lang)
        party, due = action.party, action.due
        party_name = party_names.get(party)
        if party_name is None:
            party_name = party_names[party] = _party_name(party, lang)
        day = days.get(due)
        if day is None and due is not None:
            day = days[due] = due.isoformat()
        view = DueAction(
            action.id,
            action.title,
            party,
            party_name,
            action.owner,
            day,
            *status_names[action.status],
            action.is_overdue(today),
        )
        (undated if due is None else dated).append(ActionRow(view, due, ref))
    return ActionTimeline(
        lang=lang,
        today=today,
        parties=tuple(dialogue.parties) if dialogue else (),
        entries=_with_today(dated, today, start, end),
        undated=tuple(undated),
    )


# ---- a format-neutral document ---------------------------------------------------------
# Each report becomes headings, label/value lists, tables and sentences once; every
# format then writes that document its own way, escaping every string the same.


class Fields(NamedTuple):
    rows: tuple[tuple[str, str], ...]


class Row(NamedTuple):
    cells: tuple[str, ...]
    mark: str | None = None  # "overdue", "done", "cancelled": a style hint for HTML


class Grid(NamedTuple):
    headers: tuple[str, ...]
    rows: tuple[Row, ...]


class Para(NamedTuple):
    text: str
    muted: bool = False


class Section(NamedTuple):
    title: str
    blocks: tuple[Block, ...]


Block = Fields | Grid | Para | Section


class Document(NamedTuple):
    lang: str
    title: str
    subtitle: str
    blocks: tuple[Block, ...]


def _fields(*pairs: tuple[str, str | None]) -> Fields:
    return Fields(tuple((k, v) for k, v in pairs if v))


def _grid_or(empty: str, headers: Sequence[str], rows: Sequence[Row]) -> Block:
    return Grid(tuple(headers), tuple(rows)) if rows else Para(empty, muted=True)


def _counts(pairs: Iterable[tuple[str, int]]) -> str:
    return " · ".join(f"{name}: {count}" for name, count in pairs)


def _as_of(lang: str, today: dt.date) -> str:
    return f"{label('as_of', lang)} {date_words(PartialDate.from_date(today), lang)}"


def _due_cell(action: ActionView, lang: str) -> str:
    if action.due is None:
        return ""
    return f"{action.due} ({label('overdue', lang)})" if action.overdue else action.due


def _action_mark(action: ActionView) -> str | None:
    if action.overdue:
        return "overdue"
    return action.status if action.status in ("done", "cancelled") else None


def _actions_grid(
    actions: Sequence[ActionView], lang: str, *, party: bool = True, meeting: bool = False
) -> Block:
    keys = ["id", *(["party"] if party else []), "owner", "due", "status", "action"]
    headers = [label(k, lang) for k in [*keys, *(["meeting"] if meeting else [])]]
    rows = []
    for a in actions:
        cells = [str(a.action_id), *([a.party_name] if party else []), a.owner or ""]
        cells += [_due_cell(a, lang), a.status_name, a.title]
        if meeting:
            cells.append(a.meeting_date)
        rows.append(Row(tuple(cells), _action_mark(a)))
    return _grid_or(label("no_actions", lang), headers, rows)


def _meeting_fields(m: MeetingHeader, lang: str) -> Fields:
    pairs = [
        ("dialogue", m.dialogue_name),
        ("id", f"{m.meeting_id}"),
        ("kind", m.kind_name),
        ("date", m.when),
        ("location", m.location),
        ("host", m.host),
        ("status", m.status_name),
        ("ref", m.ref),
    ]
    return _fields(*((label(key, lang), value) for key, value in pairs))


def _delegations(m: MeetingHeader, lang: str) -> Section:
    rows = [Row((d.party, d.head or "", d.title or "")) for d in m.delegations]
    headers = [label(k, lang) for k in ("party", "head", "position")]
    empty = label("no_delegations", lang)
    return Section(label("delegations", lang), (_grid_or(empty, headers, rows),))


def _party_sections(groups: Sequence[PartyGroup], lang: str, *, meeting: bool) -> tuple[Block, ...]:
    if not groups:
        return (Para(label("no_actions", lang), muted=True),)
    return tuple(
        Section(
            f"{g.name[:1].upper()}{g.name[1:]} — "
            + _counts([(label("n_open", lang), g.open), (label("n_overdue", lang), g.overdue)]),
            (_actions_grid(g.actions, lang, party=False, meeting=meeting),),
        )
        for g in groups
    )


def _meeting_document(r: MeetingReport) -> Document:
    lang, m = r.lang, r.meeting
    a = r.actions
    action_counts = [
        (label("n_open", lang), a.open),
        (label("n_overdue", lang), a.overdue),
        (label("n_done", lang), a.done),
    ]
    if a.cancelled:
        action_counts.append((label("n_cancelled", lang), a.cancelled))
    items_line = _counts((s.name, s.count) for s in r.items_by_status)
    summary = _fields(
        (
            label("agenda_items", lang),
            f"{len(r.items)}" + (f" ({items_line})" if items_line else ""),
        ),
        (label("actions", lang), _counts(action_counts)),
    )
    agenda: list[Block] = []
    for item in r.items:
        details = _fields(
            (label("status", lang), item.status_name),
            (label("topic", lang), item.topic_name),
            (label("lead", lang), item.lead),
            (label("carried_from", lang), _carried_words(item, lang)),
            (label("outcome", lang), item.outcome),
        )
        parts: list[Block] = [details]
        if item.actions:
            parts.append(_actions_grid(item.actions, lang))
        agenda.append(Section(f"{item.position}. {item.title}", tuple(parts)))
    if not agenda:
        agenda.append(Para(label("no_items", lang), muted=True))
    blocks: list[Block] = [
        _meeting_fields(m, lang),
        _delegations(m, lang),
        Section(label("summary", lang), (summary,)),
        Section(label("agenda", lang), tuple(agenda)),
    ]
    if r.other_actions:
        blocks.append(
            Section(label("actions_without_item", lang), (_actions_grid(r.other_actions, lang),))
        )
    return Document(
        lang=lang,
        title=m.title,
        subtitle=f"{label('report_meeting', lang)} · {_as_of(lang, r.today)}",
        blocks=tuple(blocks),
    )


def _carried_words(item: ItemView, lang: str) -> str | None:
    """Where an item came from, as a reader finds it: that meeting's date and position."""
    origin = item.carried_from_meeting
    if origin is None:
        return None
    return f"{origin.kind_name} {origin.date}, {label('item', lang).lower()} {item.carried_from_position}"


def _meeting_ref_words(ref: MeetingRef | None) -> str | None:
    if ref is None:
        return None
    return f"{ref.title} ({ref.when}; {ref.status_name}) [{ref.meeting_id}]"


def _standing_document(r: StandingReport) -> Document:
    lang = r.lang
    header = _fields(
        (label("dialogue", lang), f"{r.dialogue_name} ({r.dialogue})"),
        (label("last_meeting", lang), _meeting_ref_words(r.last_meeting)),
        (label("next_meeting", lang), _meeting_ref_words(r.next_meeting)),
    )
    headers = [label(k, lang) for k in ("id", "meeting", "item", "status", "since", "last_outcome")]
    topics: list[Block] = [
        Section(
            g.name,
            (
                Grid(
                    tuple(headers),
                    tuple(
                        Row(
                            (
                                str(o.item.item_id),
                                f"{o.meeting.date} {o.meeting.kind_name}",
                                o.item.title,
                                o.item.status_name,
                                _since_words(o.since, o.times_carried),
                                o.last_outcome or "",
                            )
                        )
                        for o in g.items
                    ),
                ),
            ),
        )
        for g in r.open_items
    ]
    if not topics:
        topics.append(Para(label("no_open_items", lang), muted=True))
    if r.completed_since is not None:
        done_title = f"{label('completed_since', lang)} ({r.completed_since})"
    else:
        done_title = label("completed_all", lang)
    done_rows = [
        Row((str(a.action_id), a.completed or "", a.party_name, a.owner or "", a.title))
        for a in r.completed
    ]
    done_headers = [label(k, lang) for k in ("id", "completed", "party", "owner", "action")]
    return Document(
        lang=lang,
        title=r.dialogue_name,
        subtitle=f"{label('report_standing', lang)} · {_as_of(lang, r.today)}",
        blocks=(
            header,
            Section(label("open_items_by_topic", lang), tuple(topics)),
            Section(
                label("actions_by_party", lang),
                _party_sections(r.actions_by_party, lang, meeting=True),
            ),
            Section(done_title, (_grid_or(label("no_completed", lang), done_headers, done_rows),)),
        ),
    )


def _since_words(since: str, times: int) -> str:
    return f"{since} ({times}×)" if times else since


def _briefing_document(r: Briefing) -> Document:
    lang, m = r.lang, r.meeting
    carried_headers = [
        label(k, lang)
        for k in ("item", "title", "times_carried", "since", "last_status", "last_outcome")
    ]
    carried_rows = [
        Row(
            (
                f"{c.item.position}",
                c.item.title,
                str(c.times_carried),
                c.since,
                c.last_status_name,
                c.last_outcome or "",
            )
        )
        for c in r.carried_in
    ]
    slip_headers = [
        label(k, lang)
        for k in ("id", "party", "action", "changes", "first_due", "latest_due", "status")
    ]
    slip_rows = [
        Row(
            (
                str(s.action.action_id),
                s.action.party_name,
                s.action.title,
                str(s.changes),
                s.first_due or "",
                s.latest_due or "",
                s.action.status_name,
            ),
            _action_mark(s.action),
        )
        for s in r.slips
    ]
    outcome_headers = [label(k, lang) for k in ("topic", "meeting", "item", "status", "outcome")]
    outcome_rows = [
        Row(
            (
                o.topic_name,
                f"{o.meeting.date} {o.meeting.kind_name}",
                o.item_title,
                o.status_name,
                o.outcome,
            )
        )
        for o in r.last_outcomes
    ]
    return Document(
        lang=lang,
        title=m.title,
        subtitle=f"{label('report_briefing', lang)} · {_as_of(lang, r.today)}",
        blocks=(
            _meeting_fields(m, lang),
            _delegations(m, lang),
            Section(
                label("carried_in", lang),
                (_grid_or(label("none_carried", lang), carried_headers, carried_rows),),
            ),
            Section(
                label("actions_by_party", lang),
                _party_sections(r.actions_by_party, lang, meeting=True),
            ),
            Section(
                label("due_slips", lang),
                (_grid_or(label("no_slips", lang), slip_headers, slip_rows),),
            ),
            Section(
                label("last_outcomes", lang),
                (_grid_or(label("no_outcomes", lang), outcome_headers, outcome_rows),),
            ),
        ),
    )


def to_document(report: Report) -> Document:
    """The report as headings, fields, tables and sentences, ready for any format."""
    if isinstance(report, MeetingReport):
        return _meeting_document(report)
    if isinstance(report, StandingReport):
        return _standing_document(report)
    return _briefing_document(report)


# ---- plain text ------------------------------------------------------------------------

TEXT_WIDTH = 100
_MIN_COLUMN = 6
_SHORT_COLUMN = 12  # in HTML, a single word this short never wraps (an id, a date)


def _wrap(text: str, width: int) -> list[str]:
    if not text.isprintable():  # tabs, line breaks: textwrap's rules
        return _textwrap(text, width)
    if len(text) <= width:
        # What textwrap gives a line that fits, without its cost (a report of a large
        # dialogue has 100,000 cells, nearly all of them short).
        return [text.rstrip(" ")]
    words = text.split(" ")
    if "" not in words and max(map(len, words)) <= width:
        # Words between single spaces, each shorter than a line: textwrap's greedy
        # filling, without its chunking (a report of a large dialogue wraps 60,000 cells).
        lines = []
        line = words[0]
        for word in words[1:]:
            if len(line) + 1 + len(word) <= width:
                line += " " + word
            else:
                lines.append(line)
                line = word
        lines.append(line)
        return lines
    return _textwrap(text, width)


def _textwrap(text: str, width: int) -> list[str]:
    import textwrap  # the rare cell _wrap cannot fill itself

    lines: list[str] = []
    for paragraph in text.split("\n"):
        lines.extend(
            textwrap.wrap(
                paragraph.expandtabs(4),
                width=width,
                break_long_words=True,
                break_on_hyphens=False,
                drop_whitespace=True,
            )
            or [""]
        )
    return lines


def _fit(natural: list[int], floor: Callable[[int], int], available: int) -> list[int]:
    """Column widths within ``available`` columns of text.

    Columns that fit in an equal share of the room keep their width (so ids, dates and
    short names never wrap); the long ones split what is left in proportion to their
    text, which evens out how many lines each needs, but not below their longest word
    (``floor`` of the column's index, asked only of those) while there is room. Only
    then are words broken.
    """
    if sum(natural) <= available:
        return natural
    widths = list(natural)
    pending = sorted(range(len(natural)), key=lambda i: natural[i])
    room = available
    while pending and natural[pending[0]] <= room // len(pending):
        room -= natural[pending.pop(0)]
    total = sum(natural[i] for i in pending)
    for i in pending:
        widths[i] = max(natural[i] * room // total, floor(i))
    if pending and sum(widths) < available:
        widths[pending[-1]] += available - sum(widths)
    while sum(widths) > available:  # the longest words took more than there was
        widest = max(range(len(widths)), key=lambda i: widths[i])
        if widths[widest] <= _MIN_COLUMN:
            break
        widths[widest] -= 1
    return widths


def _text_grid(grid: Grid, width: int, indent: str) -> list[str]:
    """An aligned table; the widest columns give way until it fits, their text wraps.

    Each column's different texts are cleaned, measured and wrapped once: a report of a
    large dialogue has 180,000 cells, most of them a status, a date or a topic again.
    """
    gap = "  "
    columns = list(zip(grid.headers, *(row.cells for row in grid.rows), strict=True))
    distinct = [list(dict.fromkeys(column)) for column in columns]
    texts = [dict(zip(cells, clean_all(cells), strict=True)) for cells in distinct]
    widths = [max(map(_longest_line, column.values())) for column in texts]
    available = width - len(indent) - len(gap) * (len(widths) - 1)
    widths = _fit(widths, lambda i: _longest_word(" ".join(texts[i].values())), available)
    wrapped: list[list[list[str]]] = []
    for column, cleaned, size in zip(columns, texts, widths, strict=True):
        lines_of = {cell: _wrap(text, size) for cell, text in cleaned.items()}
        wrapped.append(list(map(lines_of.__getitem__, column)))
    # Each line of a row, its cells padded to their columns (a cell of fewer lines than
    # its row's deepest is blank below); user text is an argument, never the template.
    fill_row = (indent + gap.join(f"%-{size}s" for size in widths)).__mod__
    lines: list[str] = []
    for number, row in enumerate(zip(*wrapped, strict=True)):
        lines += map(str.rstrip, map(fill_row, zip_longest(*row, fillvalue="")))
        if number == 0:
            lines.append(indent + gap.join("-" * size for size in widths))
    return lines


def _longest_line(cell: str) -> int:
    return len(cell) if "\n" not in cell else max(map(len, cell.split("\n")))


def _longest_word(cell: str) -> int:
    return max(map(len, cell.split()), default=0)


def _text_fields(fields: Fields, width: int, indent: str) -> list[str]:
    size = max((len(clean(k)) for k, _ in fields.rows), default=0) + 2
    lines: list[str] = []
    for key, value in fields.rows:
        wrapped = _wrap(clean(value), max(width - len(indent) - size, 20))
        lines.append(f"{indent}{(clean(key) + ':').ljust(size)}{wrapped[0]}".rstrip())
        lines.extend(f"{indent}{' ' * size}{line}".rstrip() for line in wrapped[1:])
    return lines


def _text_blocks(blocks: Sequence[Block], depth: int, width: int) -> list[str]:
    lines: list[str] = []
    indent = "  " * max(depth - 1, 0)
    for block in blocks:
        if isinstance(block, Section):
            title = clean(block.title).replace("\n", " ")
            lines.append("")
            lines.append(indent + title)
            if depth == 0:
                lines.append("-" * min(len(title), width))
            lines += _text_blocks(block.blocks, depth + 1, width)
        elif isinstance(block, Fields):
            lines += _text_fields(block, width, indent)
        elif isinstance(block, Grid):
            lines += _text_grid(block, width, indent)
        else:
            lines += [f"{indent}{line}" for line in _wrap(clean(block.text), width - len(indent))]
    return lines


# The blocks of a standing report's document that its first share holds (``to_text``):
# the header and the open items; the second holds the actions, by party and done.
_FIRST_SHARE = 2


def to_text(report: Report, *, width: int = TEXT_WIDTH, share: int | None = None) -> str:
    """Plain text (no colour, no markup) with tables wrapped to ``width`` columns.

    Of a standing report, ``share`` 0 is the text up to its actions, and share 1 the
    rest: the two, one after the other, are the whole text. Each is written of a report
    built of that share alone (``build_standing_report``)."""
    doc = to_document(report)
    blocks = doc.blocks
    lines: list[str] = []
    if share != 1:
        title = clean(doc.title).replace("\n", " ")
        lines += [title, "=" * min(len(title), width), doc.subtitle, ""]
    if share is not None:
        if not isinstance(report, StandingReport):
            raise ValueError("only a standing report is written in shares")
        blocks = blocks[:_FIRST_SHARE] if share == 0 else blocks[_FIRST_SHARE:]
    lines += _text_blocks(blocks, 0, width)
    if lines:
        lines.append("")  # the last newline, without copying the text to add it (7 MB at L)
    return "\n".join(lines)


# ---- Markdown --------------------------------------------------------------------------


def _md(text: str) -> str:
    return escape_cell(text)


def _md_blocks(blocks: Sequence[Block], level: int) -> list[str]:
    lines: list[str] = []
    for block in blocks:
        if isinstance(block, Section):
            lines += [f"{'#' * min(level, 6)} {_md(block.title)}", ""]
            lines += _md_blocks(block.blocks, level + 1)
        elif isinstance(block, Fields):
            lines += [f"- **{_md(k)}:** {_md(v)}" for k, v in block.rows]
            lines.append("")
        elif isinstance(block, Grid):
            lines.append("| " + " | ".join(_md(h) for h in block.headers) + " |")
            lines.append("|" + "|".join("---" for _ in block.headers) + "|")
            lines += ["| " + " | ".join(_md(c) or " " for c in r.cells) + " |" for r in block.rows]
            lines.append("")
        else:
            text = _md(block.text)
            lines += [f"_{text}_" if block.muted else text, ""]
    return lines


def to_markdown(report: Report) -> str:
    """GitHub-flavoured Markdown: user text escaped so it never becomes markup or HTML."""
    doc = to_document(report)
    lines = [f"# {_md(doc.title)}", "", f"_{_md(doc.subtitle)}_", ""]
    lines += _md_blocks(doc.blocks, 2)
    while lines and not lines[-1]:
        lines.pop()
    lines.append("")  # the last newline, without copying the text to add it
    return "\n".join(lines)


# ---- HTML ------------------------------------------------------------------------------

_CSS = """\
@page { size: auto; margin: 15mm; }
html { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
  sans-serif; font-size: 10.5pt; line-height: 1.4; color: #111; background: #fff;
  max-width: 60rem; margin: 0 auto; padding: 1.5rem; }
h1 { font-size: 1.6em; margin: 0 0 .2em; }
h2 { font-size: 1.25em; margin: 1.4em 0 .4em; padding-bottom: .15em;
  border-bottom: 1px solid #888; }
h3 { font-size: 1.08em; margin: 1.1em 0 .3em; }
h4, h5, h6 { font-size: 1em; margin: .9em 0 .3em; }
h1, h2, h3, h4, h5, h6 { break-after: avoid; page-break-after: avoid; overflow-wrap: break-word; }
.subtitle { color: #444; margin: 0 0 1em; }
.muted { color: #555; font-style: italic; }
table { border-collapse: collapse; width: 100%; margin: .3em 0 .9em; }
thead { display: table-header-group; }
tr { break-inside: avoid; page-break-inside: avoid; }
th, td { border: 1px solid #bbb; padding: .25em .45em; text-align: left; vertical-align: top;
  overflow-wrap: break-word; }
.nw { white-space: nowrap; }
thead th { background: #eee; }
table.fields { width: auto; }
table.fields th { border: none; background: none; padding-left: 0; white-space: nowrap; }
table.fields td { border: none; }
tr.overdue td { color: #a40000; }
tr.done td { color: #2a6a2a; }
tr.cancelled td { color: #666; text-decoration: line-through; }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  thead th { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""


def _h(text: str) -> str:
    """Escaped for HTML text and attributes; line breaks kept as ``<br>``."""
    import html  # here: only HTML reports need it (with its table of entities, 2 ms)

    return html.escape(clean(text), quote=True).replace("\n", "<br>")


def _cell_tag(tag: str, text: str, extra: str = "") -> str:
    # A short single word (an id, a date, a status) never breaks: "2023-06-30" stays whole.
    nowrap = ' class="nw"' if len(text) <= _SHORT_COLUMN and " " not in text.strip() else ""
    return f"<{tag}{extra}{nowrap}>{_h(text)}</{tag}>"


def _html_blocks(blocks: Sequence[Block], level: int) -> list[str]:
    out: list[str] = []
    for block in blocks:
        if isinstance(block, Section):
            tag = f"h{min(level, 6)}"
            out.append(f"<section><{tag}>{_h(block.title)}</{tag}>")
            out += _html_blocks(block.blocks, level + 1)
            out.append("</section>")
        elif isinstance(block, Fields):
            out.append('<table class="fields"><tbody>')
            out += [f"<tr><th>{_h(k)}</th><td>{_h(v)}</td></tr>" for k, v in block.rows]
            out.append("</tbody></table>")
        elif isinstance(block, Grid):
            out.append("<table><thead><tr>")
            out += [_cell_tag("th", h, ' scope="col"') for h in block.headers]
            out.append("</tr></thead><tbody>")
            for row in block.rows:
                mark = f' class="{row.mark}"' if row.mark else ""
                out.append(f"<tr{mark}>" + "".join(_cell_tag("td", c) for c in row.cells) + "</tr>")
            out.append("</tbody></table>")
        else:
            css = ' class="muted"' if block.muted else ""
            out.append(f"<p{css}>{_h(block.text)}</p>")
    return out


def to_html(report: Report) -> str:
    """One self-contained page (inline CSS, nothing fetched, no scripts) that prints on A4/Letter."""
    doc = to_document(report)
    head = [
        "<!DOCTYPE html>",
        f'<html lang="{_h(doc.lang)}">',
        "<head>",
        '<meta charset="utf-8">',
        # Even if something slipped through escaping, nothing could run or be fetched.
        '<meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_h(doc.title)} · {_h(doc.subtitle)}</title>",
        f"<style>\n{_CSS}</style>",
        "</head>",
        "<body>",
        "<main>",
        f"<h1>{_h(doc.title)}</h1>",
        f'<p class="subtitle">{_h(doc.subtitle)}</p>',
    ]
    return "\n".join([*head, *_html_blocks(doc.blocks, 2), "</main>", "</body>", "</html>"]) + "\n"


# ---- JSON ------------------------------------------------------------------------------


def to_json(report: Report) -> str:
    """The same content as data: codes for machines next to the names for people."""
    from .jsonout import dump_json

    data = {"report": _KINDS[type(report)], **_as_data(report)}
    return dump_json(data).decode("utf-8")


_KINDS: dict[type, str] = {
    MeetingReport: "meeting",
    StandingReport: "standing",
    Briefing: "briefing",
}


def _as_data(value: Any) -> Any:
    """A view model as dicts and lists, nested: what ``dataclasses.asdict`` gives."""
    if isinstance(value, tuple):
        names = getattr(value, "_fields", None)
        if names is None:
            return [_as_data(v) for v in value]
        return {name: _as_data(v) for name, v in zip(names, value, strict=True)}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return value


Renderer = Callable[[Report], str]

FORMATS: dict[str, Renderer] = {
    "text": to_text,
    "markdown": to_markdown,
    "html": to_html,
    "json": to_json,
}

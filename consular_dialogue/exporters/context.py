"""What an exporter is given besides the records: the day, the language, lookups."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ..models import Action, AgendaItem, Meeting, Topic


@dataclass(frozen=True)
class ExportContext:
    """The run's facts an export depends on; never the clock, never the data file.

    ``today`` decides what is overdue; ``now`` stamps files that need a time
    (iCalendar's DTSTAMP, the workbook's dates). The lookups fill extra columns
    (an action's meeting title and topic); a missing entry leaves the cell empty.
    """

    today: dt.date
    now: dt.datetime
    lang: str = "en"
    meetings: Mapping[int, Meeting] = field(default_factory=dict)
    items: Mapping[int, AgendaItem] = field(default_factory=dict)
    topics: Mapping[str, Topic] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        *,
        today: dt.date,
        now: dt.datetime,
        lang: str = "en",
        meetings: Iterable[Meeting] = (),
        items: Iterable[AgendaItem] = (),
        topics: Iterable[Topic] = (),
    ) -> ExportContext:
        """A context from plain lists of records (as a repository returns them)."""
        return cls(
            today=today,
            now=now,
            lang=lang,
            meetings={m.id: m for m in meetings},
            items={i.id: i for i in items},
            topics={t.slug: t for t in topics},
        )

    def meeting_of(self, action: Action) -> Meeting | None:
        return self.meetings.get(action.meeting_id)

    def topic_name(self, action: Action) -> str | None:
        """The name of the topic of the agenda item an action arose from, if any."""
        return self.item_topic_name(action.item_id)

    def item_topic_name(self, item_id: int | None) -> str | None:
        """An agenda item's topic by name (its slug when the topic is unknown)."""
        item = self.items.get(item_id) if item_id is not None else None
        if item is None or item.topic is None:
            return None
        topic = self.topics.get(item.topic)
        return topic.name(self.lang) if topic is not None else item.topic

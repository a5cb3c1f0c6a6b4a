"""What an exporter is given besides the records: the day, the language, lookups."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

from ..models import Action, Topic

_NONE: Mapping[Any, Any] = MappingProxyType({})  # a default no export can change


class ExportContext(NamedTuple):
    """The run's facts an export depends on; never the clock, never the data file.

    ``today`` decides what is overdue; ``now`` stamps files that need a time
    (iCalendar's DTSTAMP, the workbook's dates). The lookups fill extra columns
    (an action's meeting title and topic); a missing entry leaves the cell empty.
    """

    today: dt.date
    now: dt.datetime
    lang: str = "en"
    #: Each meeting's title, and each agenda item's topic (its slug), by id.
    meeting_titles: Mapping[int, str] = _NONE
    item_topics: Mapping[int, str | None] = _NONE
    topics: Mapping[str, Topic] = _NONE

    def topic_name(self, action: Action) -> str | None:
        """The name of the topic of the agenda item an action arose from, if any."""
        return self.item_topic_name(action.item_id)

    def item_topic_name(self, item_id: int | None) -> str | None:
        """An agenda item's topic by name (its slug when the topic is unknown)."""
        slug = self.item_topics.get(item_id) if item_id is not None else None
        if slug is None:
            return None
        topic = self.topics.get(slug)
        return topic.name(self.lang) if topic is not None else slug

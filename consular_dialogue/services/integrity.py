"""Checks that a data file (or a dump) is whole: schema, references, ids, dates."""

from __future__ import annotations

from typing import Any

from ..models import KINDS, Action, AgendaItem, Dialogue, Meeting, Record, Topic

Tables = dict[str, dict[str, dict[str, Any]]]


def check_tables(data: Tables) -> list[str]:
    """Every problem found, as sentences; an empty list means the file is sound."""
    problems: list[str] = []
    records: dict[str, dict[int, Record]] = {}
    uuids: dict[str, str] = {}
    for cls in KINDS.values():
        table = data.get(cls.TABLE, {})
        loaded: dict[int, Record] = {}
        for key, raw in table.items():
            where = f"{cls.KIND} {key}"
            try:
                record = cls.from_record(raw)
            except Exception as exc:  # any malformed field makes the record unreadable
                problems.append(f"{where} is malformed ({type(exc).__name__}: {exc}).")
                continue
            if str(record.id) != key:
                problems.append(f"{where} says its id is {record.id}.")
            if record.uuid in uuids:
                problems.append(f"{where} has the same uuid as {uuids[record.uuid]}.")
            uuids[record.uuid] = where
            loaded[record.id] = record
        records[cls.TABLE] = loaded
    problems += check_references(records)
    return problems


def check_references(records: dict[str, dict[int, Record]]) -> list[str]:
    problems: list[str] = []
    dialogues = {d.key for d in records[Dialogue.TABLE].values() if isinstance(d, Dialogue)}
    topics = {t.slug for t in records[Topic.TABLE].values() if isinstance(t, Topic)}
    meetings = records[Meeting.TABLE]
    items = records[AgendaItem.TABLE]
    for meeting in meetings.values():
        assert isinstance(meeting, Meeting)
        if meeting.dialogue not in dialogues:
            problems.append(f"meeting {meeting.id} names a missing dialogue {meeting.dialogue!r}.")
    for item in items.values():
        assert isinstance(item, AgendaItem)
        if item.meeting_id not in meetings:
            problems.append(f"agenda {item.id} names a missing meeting {item.meeting_id}.")
        if item.topic is not None and item.topic not in topics:
            problems.append(f"agenda {item.id} names a missing topic {item.topic!r}.")
        if item.carried_from is not None and item.carried_from not in items:
            problems.append(
                f"agenda {item.id} was carried from a missing item {item.carried_from}."
            )
    for action in records[Action.TABLE].values():
        assert isinstance(action, Action)
        if action.meeting_id not in meetings:
            problems.append(f"action {action.id} names a missing meeting {action.meeting_id}.")
        if action.item_id is not None:
            linked = items.get(action.item_id)
            if linked is None:
                problems.append(f"action {action.id} names a missing agenda item {action.item_id}.")
            elif isinstance(linked, AgendaItem) and linked.meeting_id != action.meeting_id:
                problems.append(
                    f"action {action.id} is on meeting {action.meeting_id} but its item "
                    f"{linked.id} is on meeting {linked.meeting_id}."
                )
    return problems

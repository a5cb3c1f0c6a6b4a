"""Search across meetings, agenda items and actions, ignoring case and accents."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import InputError
from ..models import Action, AgendaItem, Meeting, fold_text
from ..storage import Repository


@dataclass(frozen=True)
class Hit:
    kind: str
    record_id: int
    meeting_id: int
    field: str
    text: str

    def to_json(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "id": self.record_id,
            "meeting_id": self.meeting_id,
            "field": self.field,
            "text": self.text,
        }


def search(repo: Repository, query: str) -> list[Hit]:
    """Every field whose text contains the query (``accion`` finds ``acción`` and back)."""
    needle = fold_text(query.strip())
    if not needle:
        raise InputError("The search text is empty; give a word to look for.")
    hits: list[Hit] = []

    def look(kind: str, record_id: int, meeting_id: int, field: str, text: str | None) -> None:
        if text and needle in fold_text(text):
            hits.append(Hit(kind, record_id, meeting_id, field, text))

    def mentions(*fields: str) -> Callable[[dict[str, Any]], bool]:
        # A first pass on the stored dicts: only records that match become models.
        def test(raw: dict[str, Any]) -> bool:
            texts = [raw.get(f) or "" for f in fields]
            texts += [n.get("text") or "" for n in raw.get("notes") or []]
            return any(needle in fold_text(t) for t in texts)

        return test

    for meeting in repo.select(Meeting, mentions("title", "summary")):
        look("meeting", meeting.id, meeting.id, "title", meeting.title)
        look("meeting", meeting.id, meeting.id, "summary", meeting.summary)
    for item in repo.select(AgendaItem, mentions("title", "outcome")):
        look("agenda", item.id, item.meeting_id, "title", item.title)
        look("agenda", item.id, item.meeting_id, "outcome", item.outcome)
    for action in repo.select(Action, mentions("title")):
        look("action", action.id, action.meeting_id, "title", action.title)
        for note in action.notes:
            look("action", action.id, action.meeting_id, "note", note.text)
    return hits

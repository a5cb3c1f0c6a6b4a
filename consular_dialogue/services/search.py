"""Search across meetings, agenda items and actions, ignoring case and accents."""

from __future__ import annotations

from dataclasses import dataclass

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

    for meeting in repo.all(Meeting):
        look("meeting", meeting.id, meeting.id, "title", meeting.title)
        look("meeting", meeting.id, meeting.id, "summary", meeting.summary)
    for item in repo.all(AgendaItem):
        look("agenda", item.id, item.meeting_id, "title", item.title)
        look("agenda", item.id, item.meeting_id, "outcome", item.outcome)
    for action in repo.all(Action):
        look("action", action.id, action.meeting_id, "title", action.title)
        for note in action.notes:
            look("action", action.id, action.meeting_id, "note", note.text)
    return hits

"""Search across meetings, agenda items and actions, ignoring case and accents."""

from __future__ import annotations

from typing import NamedTuple

from ..errors import InputError
from ..models import Action, AgendaItem, Meeting, fold_text
from ..storage import Repository


class Hit(NamedTuple):
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
    return [
        Hit(kind, record_id, meeting_id, field, text)
        for kind, cls in (("meeting", Meeting), ("agenda", AgendaItem), ("action", Action))
        for record_id, meeting_id, texts in repo.mentioning(cls, needle)
        for field, text in texts
    ]

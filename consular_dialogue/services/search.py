"""Search across meetings, agenda items and actions, ignoring case and accents."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from unicodedata import normalize

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

    # A first pass on the stored dicts: only records that match become models, and
    # ``look`` says which of their fields. A record's texts are folded joined (by a
    # unit separator, so that a query holding one may pass a record here and no more).
    first = _ascii_fold if needle.isascii() else fold_text

    def mentions(*fields: str) -> Callable[[dict[str, Any]], bool]:
        def test(raw: dict[str, Any]) -> bool:
            get = raw.get
            texts = [get(f) or "" for f in fields]
            notes = get("notes")
            if notes:
                texts += [n.get("text") or "" for n in notes]
            return needle in first("\x1f".join(texts))

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


def _ascii_fold(text: str) -> str:
    """``fold_text`` with every character that is not ASCII dropped: a first test for
    a query that folds to ASCII, cheaper on accented text (Spanish titles).

    Dropping characters never joins letters that were not already side by side in
    the folded text, except around a character that is not ASCII (``a–b`` gives
    ``ab``): a record whose folded text holds the query holds it here too, and
    ``look`` refuses the few that pass here alone.
    """
    if text.isascii():
        return text.lower()
    return normalize("NFKD", text.casefold()).encode("ascii", "ignore").decode("ascii")

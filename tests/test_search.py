"""``cdt search``: case- and accent-blind search over meetings, agenda items and actions."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import NOW, Result
from hypothesis import given
from hypothesis import strategies as st

from consular_dialogue.dates import PartialDate
from consular_dialogue.errors import EXIT_INPUT, InputError
from consular_dialogue.models import MeetingKind, fold_text
from consular_dialogue.services.actions import add_action, add_note
from consular_dialogue.services.agenda import add_item
from consular_dialogue.services.dialogues import add_dialogue
from consular_dialogue.services.meetings import MeetingFields, record_meeting
from consular_dialogue.services.search import search
from consular_dialogue.storage import Repository, open_for_reading, open_for_writing

MOMENT = dt.datetime.fromisoformat(NOW)
HIT_KEYS = {"kind", "id", "meeting_id", "field", "text"}

Run = Callable[..., Result]


def build(path: Path) -> None:
    """Two meetings whose texts are spelled with and without accents."""
    with open_for_writing(path) as repo:
        add_dialogue(
            repo,
            name="Diálogo Consular",
            key="consular",
            parties=["MX", "US"],
            established=None,
            notes=None,
            now=MOMENT,
        )
        record_meeting(
            repo,
            MeetingFields(
                title="Reunión Intermedia",
                kind=MeetingKind.INTERMEDIATE,
                date=PartialDate(2023, 4, 17),
                summary="Se destacó la importancia de la notificación consular.",
            ),
            dialogue_key=None,
            now=MOMENT,
        )
        record_meeting(
            repo,
            MeetingFields(
                title="Reunion Anual", kind=MeetingKind.ANNUAL, date=PartialDate(2023, 10)
            ),
            dialogue_key=None,
            now=MOMENT,
        )
        for meeting_id, title, outcome in [
            (1, "Plan de acción sobre desastres naturales", "Guía común para España y México"),
            (2, "Accion pendiente: visas H2", None),
        ]:
            add_item(
                repo, meeting_id, title=title, topic=None, status=None, outcome=outcome,
                lead=None, level=None, now=MOMENT,
            )  # fmt: skip
        add_action(
            repo, title="Compartir estadísticas de visas", meeting_id=None, item_id=2,
            party="US", owner=None, due=None, priority=None, level=None, now=MOMENT,
        )  # fmt: skip
        add_note(repo, 1, "Notificación enviada a la Embajada", level=None, now=MOMENT)


def found(path: Path, query: str) -> list[tuple[str, int, int, str]]:
    return [(h.kind, h.record_id, h.meeting_id, h.field) for h in search(open_for_reading(path), query)]  # fmt: skip


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # unaccented query, accented text (and the unaccented one too)
        ("accion", [("agenda", 1, 1, "title"), ("agenda", 2, 2, "title")]),
        # accented query, unaccented text
        ("acción", [("agenda", 1, 1, "title"), ("agenda", 2, 2, "title")]),
        ("ACCIÓN PENDIENTE", [("agenda", 2, 2, "title")]),
        (
            "notificacion",
            [("meeting", 1, 1, "summary"), ("action", 1, 2, "note")],
        ),
        (
            "Notificación",
            [("meeting", 1, 1, "summary"), ("action", 1, 2, "note")],
        ),
        ("reunion", [("meeting", 1, 1, "title"), ("meeting", 2, 2, "title")]),
        ("espana", [("agenda", 1, 1, "outcome")]),
        ("estadisticas", [("action", 1, 2, "title")]),
        ("visas", [("agenda", 2, 2, "title"), ("action", 1, 2, "title")]),
        ("tratado", []),
    ],
)
def test_search_ignores_case_and_accents_both_ways(
    db: Path, query: str, expected: list[tuple[str, int, int, str]]
) -> None:
    build(db)
    assert found(db, query) == expected


@pytest.mark.parametrize(
    "query", ["intermedia se", "intermedia\nse", "intermedia\x00se", "intermedia\x1fse"]
)
def test_a_query_never_matches_across_two_fields_of_a_record(db: Path, query: str) -> None:
    build(db)  # meeting 1: title "Reunión Intermedia", summary "Se destacó ..."
    assert found(db, "intermedia") == [("meeting", 1, 1, "title")]
    assert found(db, "se destaco") == [("meeting", 1, 1, "summary")]
    assert found(db, query) == []


def test_search_hit_carries_the_text_as_typed(db: Path) -> None:
    build(db)
    hits = search(open_for_reading(db), "notificacion")
    assert [h.text for h in hits] == [
        "Se destacó la importancia de la notificación consular.",
        "Notificación enviada a la Embajada",
    ]


def test_empty_search_is_refused(db: Path) -> None:
    build(db)
    with pytest.raises(InputError):
        search(open_for_reading(db), "   ")


def test_search_json_hits_have_the_documented_shape(db: Path, cdt: Run) -> None:
    build(db)
    result = cdt("search", "notificacion", "--json")
    assert result.code == 0, result.stderr
    hits = result.json()
    assert [set(hit) for hit in hits] == [HIT_KEYS, HIT_KEYS]
    assert hits[1] == {
        "kind": "action",
        "id": 1,
        "meeting_id": 2,
        "field": "note",
        "text": "Notificación enviada a la Embajada",
    }


def test_search_table_shows_accented_text_found_by_an_unaccented_query(db: Path, cdt: Run) -> None:
    build(db)
    result = cdt("search", "accion")
    assert result.code == 0, result.stderr
    assert "Plan de acción sobre desastres naturales" in result.stdout
    assert "Accion pendiente" in result.stdout
    assert "Reunión Intermedia" not in result.stdout


def test_search_with_blank_text_exits_1(db: Path, cdt: Run) -> None:
    build(db)
    before = db.read_bytes()
    result = cdt("search", " ")
    assert result.code == EXIT_INPUT
    assert result.stderr.startswith("Error: ")
    assert db.read_bytes() == before


def test_search_never_sends_a_users_control_characters_to_the_terminal(db: Path, cdt: Run) -> None:
    build(db)
    with open_for_writing(db) as repo:
        add_note(repo, 1, "visas \x1b[2J\x1b]0;pwned\x07 borrado", level=None, now=MOMENT)
    result = cdt("search", "borrado")
    assert result.code == 0, result.stderr
    assert "borrado" in result.stdout
    assert "\x1b" not in result.stdout
    assert "\x07" not in result.stdout
    # JSON carries the text exactly as typed, escaped by JSON itself.
    assert cdt("search", "borrado", "--json").json()[0]["text"].startswith("visas \x1b[2J")


@given(st.text(max_size=30) | st.text(alphabet="aAñÑéÉİß\u0301\u0303\u034f\u0591\u093c中 ."))
def test_folding_lowers_and_drops_exactly_the_combining_marks(text: str) -> None:
    import unicodedata

    from consular_dialogue.models import fold_text

    decomposed = unicodedata.normalize("NFKD", text.casefold())
    expected = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    assert fold_text(text) == expected


def _folded_by_unicode(text: str, *, ascii_only: bool) -> str:
    """What both folds are defined as: NFKD of the case fold, less the combining marks
    (``fold_text``) or less everything that is not ASCII (``fold_to_ascii``)."""
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", text.casefold())
    if ascii_only:
        return decomposed.encode("ascii", "ignore").decode()
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def test_latin1_text_folds_by_its_byte_table_exactly_as_by_unicode_normalisation() -> None:
    """Every pair of Latin-1 characters (and a few beyond, which Unicode folds)."""
    from consular_dialogue.models import fold_text, fold_to_ascii

    chars = [chr(code) for code in range(256)] + ["\u0301", "\u2013", "中", "µ"]
    pairs = [a + b for a in chars for b in chars]
    wrong = [
        text
        for text in pairs
        if fold_text(text) != _folded_by_unicode(text, ascii_only=False)
        or fold_to_ascii(text) != _folded_by_unicode(text, ascii_only=True)
    ]
    assert wrong == []


@given(st.text(st.characters(max_codepoint=0x3FF), max_size=30))
def test_both_folds_of_mostly_latin_text_are_unicode_normalisation_s(text: str) -> None:
    from consular_dialogue.models import fold_text, fold_to_ascii

    assert fold_text(text) == _folded_by_unicode(text, ascii_only=False)
    assert fold_to_ascii(text) == _folded_by_unicode(text, ascii_only=True)


def test_a_character_dropped_by_the_first_pass_never_joins_two_letters_into_a_hit(
    db: Path,
) -> None:
    build(db)
    with open_for_writing(db) as repo:
        add_item(
            repo, 2, title="Visas H–2B", topic=None, status=None, outcome=None,
            lead=None, level=None, now=MOMENT,
        )  # fmt: skip
    # "h2" is in item 2 ("visas H2"); the en dash keeps it out of item 3, whose first,
    # ASCII-only pass reads "visas h2b".
    assert found(db, "h2") == [("agenda", 2, 2, "title")]
    assert found(db, "h–2") == [("agenda", 3, 2, "title")]


@given(st.text(alphabet="aAoñÑóÉİß\u0301\u034f\u2013中 .", max_size=20))
def test_the_ascii_first_pass_keeps_every_ascii_query_the_folded_text_holds(text: str) -> None:
    from consular_dialogue.models import fold_text, fold_to_ascii

    folded, first = fold_text(text), fold_to_ascii(text)
    queries = {folded[i:j] for i in range(len(folded)) for j in range(i + 1, len(folded) + 1)}
    assert all(q in first for q in queries if q.isascii())


_TEXTS = st.text(alphabet="aAsSñóßİ\u0301\u2013中 \x00\x1f", max_size=8)
# What a hand-edited file may hold where a text belongs.
_STORED = _TEXTS | st.none() | st.integers(0, 2) | st.lists(st.just("a"), max_size=1)


@given(
    st.lists(
        st.fixed_dictionaries(
            {"title": _STORED, "notes": st.lists(st.fixed_dictionaries({"text": _STORED}))}
        ),
        max_size=6,
    ),
    st.text(alphabet="asñó\u2013ß\x00\x1f", min_size=1, max_size=3),
)
def test_records_folded_at_once_are_those_with_a_text_that_holds_the_query(
    records: list[dict[str, Any]], query: str
) -> None:
    """The data file's records are folded a field at a time, every record at once
    (``storage._rows_mentioning``): the rows are those with a text whose own fold holds
    the query, or None (each record is looked at) where a NUL or a text that is not
    one could make them wrong."""
    from consular_dialogue.models import fold_text, fold_to_ascii, searched_texts
    from consular_dialogue.storage import _rows_mentioning

    fields = ("title", "notes")
    needle = fold_text(query)
    texts = [[text for _, text in searched_texts(r, fields)] for r in records]
    every_text = [text for each in texts for text in each]
    for fold in (fold_text, fold_to_ascii):
        rows = _rows_mentioning(records, fields, fold, needle)
        if not all(isinstance(text, str) for text in every_text):
            assert rows is None  # (a text that is none: 0, [] and None are left out)
        elif "\x00" in needle or any("\x00" in text for text in every_text):
            assert rows is None
        else:
            one_by_one = [n for n, each in enumerate(texts) if any(needle in fold(t) for t in each)]
            assert rows == one_by_one


def add_actions(repo: Repository, titles: list[str]) -> list[int]:
    """An action of meeting 1 for the MX side by each title; their ids."""
    return [
        add_action(
            repo, title=title, meeting_id=1, item_id=None, party="MX", owner=None,
            due=None, priority=None, level=None, now=MOMENT,
        ).id
        for title in titles
    ]  # fmt: skip


def actions_found(db: Path, query: str, ids: list[int]) -> list[tuple[int, str]]:
    hits = search(open_for_reading(db), query)
    return [(h.record_id, h.field) for h in hits if h.kind == "action" and h.record_id in ids]


def test_a_search_of_many_unfinished_actions_finds_each_as_one_at_a_time(db: Path) -> None:
    build(db)
    titles = ["Visa H-2A", "Guía", "Visas — H-2B", "VISA", "vísa 中文", "Niñez", "Straße"]
    titles += ["Adopción", "visa y visa", "Vi\u0301sa"]
    with open_for_writing(db) as repo:
        ids = add_actions(repo, titles)
        add_note(repo, ids[1], "La visa llegó", level=None, now=MOMENT)
        add_note(repo, ids[5], "Sin novedad", level=None, now=MOMENT)
    holding = [(ids[n], "title") for n, t in enumerate(titles) if "visa" in fold_text(t)]
    expected = sorted([*holding, (ids[1], "note")])
    assert expected[:2] == [(ids[0], "title"), (ids[1], "note")]  # first, and a note's
    assert actions_found(db, "visa", ids) == expected
    # A text edited by hand to hold a NUL cannot be told apart from the others once
    # they are joined: every record is then looked at, and found as before.
    data = json.loads(db.read_text(encoding="utf-8"))
    data["actions"][str(ids[1])]["title"] = "Gu\x00ía"
    db.write_text(json.dumps(data), encoding="utf-8")
    assert actions_found(db, "visa", ids) == expected
    found_gu = [h.text for h in search(open_for_reading(db), "gu") if h.kind == "action"]
    assert found_gu == ["Gu\x00ía"]

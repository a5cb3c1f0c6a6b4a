"""The search index written beside each part: search reads it instead of the part."""

from __future__ import annotations

import json
import os
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Result
from test_parts import three_parts_of_done_actions
from test_search import MOMENT, add_actions, build

from consular_dialogue.models import Action, Level, fold_text
from consular_dialogue.services.actions import add_note, complete_actions
from consular_dialogue.services.integrity import check_repository
from consular_dialogue.services.search import search
from consular_dialogue.services.sensitivity import restrict
from consular_dialogue.storage import (
    index_file,
    lines_name,
    list_backups,
    open_for_reading,
    open_for_writing,
    read_file,
    search_index,
    search_name,
)

Run = Callable[..., Result]


def parts_of(db: Path) -> Path:
    return db.with_name(db.name + ".parts")


def named(db: Path, table: str) -> list[str]:
    data = read_file(db)
    assert data is not None
    return sorted(e["file"] for e in data["_meta"]["1"]["parts"][table].values())


def found(cdt: Run, query: str) -> list[tuple[str, int, int, str]]:
    result = cdt("search", query, "--json")
    assert result.code == 0, result.stderr
    return [(h["kind"], h["id"], h["meeting_id"], h["field"]) for h in result.json()]


QUERIES = {
    "intermedia": [("meeting", 1, 1, "title")],
    "guia": [("action", 1, 1, "title")],
    "notificacion": [("action", 2, 1, "note")],
    "capacitacion": [("action", 3, 1, "title")],  # unfinished: in the data file itself
}


@pytest.fixture
def searched(cdt: Run) -> Run:
    """A meeting and three actions; the first two done (kept in a part), one with a note."""
    for args in [
        ("dialogue", "add", "Diálogo Consular", "--key", "consular", "--parties", "MX,US"),
        ("meeting", "add", "Reunión Intermedia", "--kind", "intermediate", "--date", "2023-04"),
        ("action", "add", "Guía de acceso consular", "--meeting", "1"),
        ("action", "add", "Estadísticas H-2", "--meeting", "1", "--party", "US"),
        ("action", "add", "Capacitación", "--meeting", "1", "--party", "MX"),
        ("action", "note", "2", "Notificación enviada a la Embajada"),
        ("action", "done", "1", "2"),
    ]:
        result = cdt(*args)
        assert result.code == 0, (args, result.stderr)
    assert {q: found(cdt, q) for q in QUERIES} == QUERIES
    return cdt


def test_a_part_s_search_index_holds_its_texts_as_stored_and_folded(
    searched: Run, db: Path
) -> None:
    [part] = named(db, "actions")
    lines = (parts_of(db) / search_name(part)).read_bytes().split(b"\n")
    stat = (parts_of(db) / part).stat()
    assert [json.loads(line) for line in lines] == [
        # Another Python's Unicode tables may fold some characters otherwise, and a
        # part changed since (another size or time) is read: the index is not used.
        {
            "format": 3,
            "unicode": unicodedata.unidata_version,
            "part": [stat.st_size, stat.st_mtime_ns],
        },
        "guia de acceso consular\x00estadisticas h-2\x1fnotificacion enviada a la embajada",
        [1, 1, [["title", "Guía de acceso consular"]]],
        [2, 1, [["title", "Estadísticas H-2"], ["note", "Notificación enviada a la Embajada"]]],
    ]
    [meetings] = named(db, "meetings")
    assert (parts_of(db) / search_name(meetings)).exists()


def test_a_search_reads_the_search_indexes_and_never_the_parts(searched: Run, db: Path) -> None:
    for table in ("meetings", "actions"):
        for name in named(db, table):
            part = parts_of(db) / name
            stat = part.stat()
            part.write_bytes(b" " * stat.st_size)  # unreadable, but of the same size and time
            os.utime(part, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert {q: found(searched, q) for q in QUERIES} == QUERIES
    listed = searched("action", "list", "--status", "all", "--json")
    assert listed.code == 3  # the parts as read are damaged


def test_a_part_changed_since_its_index_was_written_is_read_whatever_its_size(
    searched: Run, db: Path
) -> None:
    [part] = named(db, "actions")
    path = parts_of(db) / part
    size = path.stat().st_size
    path.write_bytes(
        path.read_bytes().replace("Guía de acceso".encode(), "Guía de salida".encode())
    )
    assert path.stat().st_size == size
    assert found(searched, "salida") == [("action", 1, 1, "title")]
    assert found(searched, "guia de acceso") == []
    damaged = path.read_bytes().replace(b'"status":"done"', b'"status":"dxne"', 1)
    path.write_bytes(damaged)
    refused = searched("search", "guia")
    assert refused.code == 3 and "damaged action record" in refused.stderr


@pytest.mark.parametrize(
    "damage",
    [
        "deleted",
        "not JSON",
        "another format",
        "other Unicode tables",
        "a record that does not read",
        "a field no record has",
        "a field name that is not text",
        "a record that is not JSON",
        "one text short",
    ],
)
def test_a_part_whose_search_index_is_missing_or_unusable_is_read_instead(
    searched: Run, db: Path, damage: str
) -> None:
    for table in ("meetings", "actions"):
        for name in named(db, table):
            index_path = parts_of(db) / search_name(name)
            head, folded, *records = map(json.loads, index_path.read_bytes().split(b"\n"))
            if damage == "deleted":
                index_path.unlink()
                continue
            if damage == "not JSON":
                index_path.write_bytes(b'{"format": 2, "unicode"')
                continue
            if damage in ("another format", "other Unicode tables"):
                head["format" if damage == "another format" else "unicode"] = 2
                folded = ""  # a search that trusted it would find nothing
            elif damage == "a record that does not read":
                records = [[r[0], str(r[1]), r[2]] for r in records]
            elif damage == "a field name that is not text":
                records = [[r[0], r[1], [[["title"], t] for _, t in r[2]]] for r in records]
            elif damage == "a field no record has":  # never shown, as user text would be
                records = [
                    [r[0], r[1], [["\x1b[31mtitle\nFAKE", t] for _, t in r[2]]] for r in records
                ]
            elif damage == "one text short":
                folded += "\x00extra"
            lines = [json.dumps(value) for value in (head, folded, *records)]
            if damage == "a record that is not JSON":
                lines[2:] = ["[1, 1, [" for _ in records]
            index_path.write_text("\n".join(lines), encoding="utf-8")
    assert {q: found(searched, q) for q in QUERIES} == QUERIES
    # An index of another format or Unicode version is not this version's to judge.
    assert searched("check").code == (
        0 if damage in ("deleted", "another format", "other Unicode tables") else 1
    )


def test_check_names_a_search_index_its_part_was_edited_away_from(searched: Run, db: Path) -> None:
    [part] = named(db, "actions")
    records = json.loads((parts_of(db) / part).read_bytes())
    records["1"]["title"] = "Guía revisada a mano"
    (parts_of(db) / part).write_text(json.dumps(records), encoding="utf-8")

    checked = searched("check", COLUMNS="400")

    assert checked.code == 1
    assert search_name(part) in checked.stdout and "delete it" in checked.stdout
    # Its size is not the one the list says: search reads the part itself.
    assert found(searched, "revisada") == [("action", 1, 1, "title")]
    assert found(searched, "guia de acceso") == []
    (parts_of(db) / search_name(part)).unlink()
    (parts_of(db) / lines_name(part)).unlink()  # (they no longer match either)
    assert searched("check").code == 0


def test_check_builds_a_record_once_and_still_says_a_damaged_one_s_index_does_not_match(
    searched: Run, db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check of a part's search index does not build again the records the check of
    records found in their stored form (a tenth of ``cdt check`` at L); a record that
    does not read is built again there, and its part's index said not to match. (Counted
    in this process: in two, the data file's records are built in the other one.)"""
    built: list[int] = []
    build = Action.from_record.__func__  # type: ignore[attr-defined]

    def counted(cls: type[Action], record: dict[str, object]) -> Action:
        built.append(int(str(record["id"])))
        return build(cls, record)  # type: ignore[no-any-return]

    monkeypatch.setattr(Action, "from_record", classmethod(counted))
    assert check_repository(open_for_reading(db), parallel=False) == []
    assert sorted(built) == [1, 2, 3]  # 1 and 2 in a part with an index, 3 in the file
    built.clear()
    assert check_repository(open_for_reading(db)) == []
    assert sorted(built) in ([1, 2], [1, 2, 3])  # 3 is built by the child, where there is one

    [part] = named(db, "actions")
    records = json.loads((parts_of(db) / part).read_bytes())
    records["2"]["priority"] = "urgentísima"
    (parts_of(db) / part).write_text(json.dumps(records), encoding="utf-8")
    built.clear()
    problems = check_repository(open_for_reading(db), parallel=False)
    assert sorted(built) == [1, 2, 2, 3]
    assert problems[0].startswith("action 2 is malformed")
    assert search_name(part) in problems[1] and "does not match" in problems[1]


def damage_a_copy_in(part: Path, key: str, record: dict[str, object]) -> None:
    """Put into ``part`` a damaged copy of ``record`` under ``key``, with a search index
    made as if it read: only building the copy tells the index from its part."""
    records = json.loads(part.read_bytes())
    records[key] = {**record, "priority": "urgentísima"}
    part.write_text(json.dumps(records), encoding="utf-8")
    body = search_index("actions", records, set(records))
    assert body is not None
    (part.parent / search_name(part.name)).write_bytes(index_file(part, body))


def index_said_not_to_match(db: Path, part: str) -> bool:
    problems = check_repository(open_for_reading(db))
    return any(search_name(part) in p and "does not match" in p for p in problems)


def test_check_builds_a_damaged_copy_in_a_part_of_a_record_the_data_file_holds(
    searched: Run, db: Path
) -> None:
    """No command reads such a copy (the data file's record comes first), but the part's
    search index holds it: the check builds it, though it checked a record of its key."""
    [part] = named(db, "actions")
    data = read_file(db)
    assert data is not None
    damage_a_copy_in(parts_of(db) / part, "3", data["actions"]["3"])
    assert index_said_not_to_match(db, part)


def test_check_builds_a_damaged_copy_in_a_part_of_a_record_an_earlier_part_gave(
    tmp_path: Path,
) -> None:
    db = tmp_path / "tracker.json"
    three_parts_of_done_actions(db)
    first, second, _ = named(db, "actions")  # ids 1-999, 1000-1999, 2000-2010
    earlier = json.loads((parts_of(db) / first).read_bytes())
    damage_a_copy_in(parts_of(db) / second, "999", earlier["999"])
    assert index_said_not_to_match(db, second)


def test_a_damaged_record_a_search_finds_is_refused_as_before_and_one_it_passes_by_is_not(
    searched: Run, db: Path
) -> None:
    data = read_file(db)
    assert data is not None
    del data["actions"]["3"]["meeting_id"]  # the unfinished one, in the data file
    db.write_text(json.dumps(data), encoding="utf-8")
    [part] = named(db, "actions")
    records = json.loads((parts_of(db) / part).read_bytes())
    records["2"]["priority"] = "urgentísima"
    (parts_of(db) / part).write_text(json.dumps(records), encoding="utf-8")

    assert found(searched, "guia") == [("action", 1, 1, "title")]
    for query in ("capacitacion", "estadisticas"):
        refused = searched("search", query)
        assert refused.code == 3 and "damaged action record" in refused.stderr
        assert "Traceback" not in refused.stderr
    # A write that carries the damaged record into a new part gives that part no index.
    data["actions"]["3"]["meeting_id"] = 1
    db.write_text(json.dumps(data), encoding="utf-8")
    assert searched("action", "reopen", "1").code == 0
    [rewritten] = named(db, "actions")
    assert rewritten != part and not (parts_of(db) / search_name(rewritten)).exists()
    assert found(searched, "guia") == [("action", 1, 1, "title")]  # reopened: in the data file
    assert searched("search", "estadisticas").code == 3


def test_a_record_put_back_as_stored_is_read_again_before_its_part_gets_an_index(
    searched: Run, db: Path
) -> None:
    from consular_dialogue.models import Action

    # A model wrote action 1 in this command, then it was put back as a stored dict (as
    # undo puts records back): that it reads is no longer known.
    with open_for_writing(db) as repo:
        action = repo.get(Action, 1)
        action.title = "Guía revisada"
        repo.update(action)
        repo.put_raw("action", 1, {**action.to_record(), "priority": "urgentísima"})
    [part] = named(db, "actions")
    assert not (parts_of(db) / search_name(part)).exists()
    with open_for_writing(db) as repo:  # a model writes it again: the part gets its index
        repo.update(Action.from_record({**repo.stored("actions", 1), "priority": "high"}))
    [part] = named(db, "actions")
    assert (parts_of(db) / search_name(part)).exists()


def test_a_part_that_is_missing_is_refused_even_where_its_search_index_is_left(
    searched: Run, db: Path
) -> None:
    [part] = named(db, "actions")
    (parts_of(db) / part).unlink()
    refused = searched("search", "guia")
    assert refused.code == 3 and "which is missing" in refused.stderr


def test_a_search_leaves_out_the_notes_and_records_a_level_hides(searched: Run, db: Path) -> None:
    assert searched("action", "note", "1", "Nota reservada", "--level", "restricted").code == 0
    repo = open_for_reading(db)
    assert [h.field for h in search(repo, "reservada")] == ["note"]
    restrict(repo, Level.INTERNAL)
    assert search(repo, "reservada") == []
    assert [h.record_id for h in search(repo, "guia")] == [1]


def test_a_write_deletes_a_search_index_whose_part_is_gone(searched: Run, db: Path) -> None:
    stray = parts_of(db) / "actions-0-0123456789ab.search"  # an earlier version's leftover
    stray.write_bytes(b"{}")
    kept = {p.name for p in parts_of(db).iterdir() if p.suffix == ".search"} - {stray.name}
    assert searched("action", "note", "3", "Otra nota").code == 0
    left = {p.name for p in parts_of(db).iterdir() if p.suffix == ".search"}
    assert stray.name not in left and kept <= left


def test_a_part_that_is_let_go_takes_its_search_index_with_it(searched: Run, db: Path) -> None:
    [first] = named(db, "actions")
    for backup in list_backups(db):  # none stands on that part any more
        backup.unlink()
    for verb in ("reopen", "done", "reopen", "done"):  # each write rewrites that part
        assert searched("action", verb, "1", CDT_BACKUPS="0").code == 0
    present = {p.name for p in parts_of(db).iterdir()}
    assert first not in present and search_name(first) not in present
    [now] = named(db, "actions")
    assert search_name(now) in present
    assert {q: found(searched, q) for q in QUERIES} == QUERIES


def test_a_damaged_record_the_query_only_seems_to_find_is_not_read(searched: Run, db: Path) -> None:
    data = read_file(db)
    assert data is not None
    action = data["actions"]["3"]  # unfinished: in the data file, folded as it is read
    action["title"], action["priority"] = "Capacitación a–b", "urgentísima"
    db.write_text(json.dumps(data), encoding="utf-8")
    # Without its accents and the dash the title reads "capacitacion ab": only a first
    # test finds "ab" there, and the damaged record is not read for it.
    assert found(searched, "ab") == []
    assert searched("search", "a–b").code == 3


def test_notes_on_a_meeting_are_no_text_a_search_reads(searched: Run, db: Path) -> None:
    [part] = named(db, "meetings")
    records = json.loads((parts_of(db) / part).read_bytes())
    records["1"]["notes"] = "no es lista"  # meetings have no notes; cdt check says sound
    (parts_of(db) / part).write_text(json.dumps(records), encoding="utf-8")
    assert found(searched, "intermedia") == [("meeting", 1, 1, "title")]
    assert found(searched, "lista") == []


def test_an_index_finds_each_record_that_holds_the_query_wherever_it_stands(
    tmp_path: Path,
) -> None:
    """Records that hold the query first, last, side by side and apart in one part,
    one of them twice: the index gives the records the part itself gives."""
    db = tmp_path / "tracker.json"
    build(db)  # two meetings, their items, an unfinished action (in the data file)
    titles = ["Visa H-2A", "Guía", "Visas H-2B", "VISA", "vísa", "Niñez", "Adopción"]
    titles += ["Capacitación", "Visa y visa", "Doble nacionalidad", "Sustracción", "Visa"]
    with open_for_writing(db) as repo:
        ids = add_actions(repo, titles)
        complete_actions(repo, ids, now=MOMENT)  # done: kept in a part
    [part] = named(db, "actions")
    index_path = parts_of(db) / search_name(part)
    assert index_path.exists()
    holding = [i for i, title in zip(ids, titles, strict=True) if "visa" in fold_text(title)]

    def actions_found() -> list[int]:
        hits = search(open_for_reading(db), "visa")
        return [h.record_id for h in hits if h.kind == "action" and h.record_id in ids]

    via_index = actions_found()
    index_path.unlink()
    assert via_index == actions_found() == holding


def test_an_index_gives_only_the_texts_that_hold_the_query_even_with_a_separator_in_one(
    tmp_path: Path,
) -> None:
    """A search lists each text of a record that holds the query, and no other: as
    the index's folded texts say, or, where a text holds the index's separator itself
    (U+001F), as the texts folded again say. The hits are the part's own."""
    db = tmp_path / "tracker.json"
    build(db)
    titles = ["Visa H-2A", "Guía\x1fvisa", "Niñez", "Vi\x1fsa", "Adopción\x1fH-2"]
    notes = {1: "La visa llegó", 2: "Sin novedad", 3: "otra vísa", 4: "visa\x1fH-2"}
    with open_for_writing(db) as repo:
        ids = add_actions(repo, titles)
        for n, text in notes.items():
            add_note(repo, ids[n], text, level=None, now=MOMENT)
        complete_actions(repo, ids, now=MOMENT)  # done: kept in a part
    [part] = named(db, "actions")
    index_path = parts_of(db) / search_name(part)
    assert index_path.exists()

    def hits() -> list[tuple[int, str, str]]:
        found = search(open_for_reading(db), "visa")
        return [
            (h.record_id, h.field, h.text)
            for h in found
            if h.kind == "action" and h.record_id in ids
        ]

    via_index = hits()
    index_path.unlink()
    assert (
        via_index
        == hits()
        == [
            (ids[0], "title", "Visa H-2A"),
            (ids[1], "title", "Guía\x1fvisa"),
            (ids[1], "note", "La visa llegó"),
            (ids[3], "note", "otra vísa"),
            (ids[4], "note", "visa\x1fH-2"),
        ]
    )

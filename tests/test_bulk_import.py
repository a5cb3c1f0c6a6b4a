"""A bulk import in little memory: a dump in a file, however it is laid out, is read a
record at a time (twice: to check it, then to merge it), and the parts an import
fills are written as they fill (``Repository.spill``). Neither may change what is
imported, what is refused, or what a failed or killed import leaves.

The dumps come from the benchmark's generator (``benchmarks/generate.py``), at a size
that fills whole parts of actions.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from conftest import NOW, base_env, cdt_executable, run_cdt, whole_bytes
from test_crash_safety import unaccounted_parts

from consular_dialogue.errors import InputError
from consular_dialogue.jsonout import dump_json
from consular_dialogue.models import Action, AgendaItem, Meeting
from consular_dialogue.services.actions import complete_actions
from consular_dialogue.services.exchange import (
    DUMP_ONLY_KEYS,
    SECTIONS,
    SPILL_EVERY,
    Dump,
    _known_records,
    _Text,
    _uuid_refs,
    import_dump,
    parse_dump,
    read_dump,
)
from consular_dialogue.services.topics import load_catalog
from consular_dialogue.storage import (
    ACTIONS_PER_PART,
    ITEMS_PER_PART,
    PENDING_PREFIX,
    open_for_reading,
    open_for_writing,
    read_file,
)

ROOT = Path(__file__).resolve().parents[1]
START = dt.datetime.fromisoformat(NOW)


def _generator() -> Any:
    spec = importlib.util.spec_from_file_location("generate", ROOT / "benchmarks" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # (its dataclasses look their module up)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generated() -> dict[str, Any]:
    """120 meetings, about 470 agenda items and 3,000 actions: three whole parts of actions."""
    gen = _generator()
    return dict(gen.generate(gen.Size("T", 120, 3 * ACTIONS_PER_PART)))


def laid_out(dump: dict[str, Any]) -> bytes:
    """As ``cdt export all -o`` writes a dump."""
    return orjson.dumps(dump, option=orjson.OPT_INDENT_2) + b"\n"


def imported(dump: dict[str, Any], tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A new data file holding ``dump``, imported by the installed cdt, and its env."""
    db, source = tmp_path / "tracker.json", tmp_path / "generated.json"
    source.write_bytes(laid_out(dump))
    env = base_env(db)
    result = run_cdt(["import", str(source)], env)
    assert result.code == 0, result.stderr
    return db, env


def records_of(dump: Dump) -> list[tuple[str, dict[str, Any]]]:
    return list(dump.records())


def both_reads(text: bytes, tmp_path: Path) -> tuple[Dump, Dump]:
    """``text`` as a file read by ``read_dump``, and read whole by ``parse_dump``."""
    source = tmp_path / "dump.json"
    source.write_bytes(text)
    return read_dump(source, "dump"), parse_dump(text, "dump")


def same_dump(read: Dump, whole: Dump) -> None:
    assert read.counts == whole.counts
    assert read.sync == whole.sync
    assert read.rebuilt == whole.rebuilt
    assert records_of(read) == records_of(whole)


# ---- reading a record at a time ---------------------------------------------------


def _spaced_and_record_ends_in_titles(dump: dict[str, Any]) -> bytes:
    # What a reader might take for the end of a record ("}" before a comma) in every
    # title, and spaces around every comma.
    dump = json.loads(json.dumps(dump))
    for record in dump["actions"]:
        record["title"] += " {ver nota}, y {otra},"
    return json.dumps(dump, separators=(" , ", ": ")).encode()


def _a_record_full_of_record_ends(dump: dict[str, Any]) -> bytes:
    # A record longer than a batch, in the middle of the list, where every place that
    # looks like a record's end is inside its text: the batches after it grow again.
    dump = json.loads(json.dumps(dump))
    dump["actions"][1500]["notes"] = [{"at": NOW, "text": "}, " * 100_000, "level": "internal"}]
    return orjson.dumps(dump)


def _long_records_after_one_full_of_record_ends(dump: dict[str, Any]) -> bytes:
    # After it, 200 records longer than the batches it left: batches grow again.
    dump = json.loads(_a_record_full_of_record_ends(dump))
    for action in dump["actions"][1501:1701]:
        action["title"] = "x" * 40_000
    return orjson.dumps(dump)


def _twenty_notes_each(dump: dict[str, Any]) -> bytes:
    # Objects in every record ("},{" between its notes), laid out: the end of a batch
    # mostly falls among them.
    dump = json.loads(json.dumps(dump))
    for action in dump["actions"]:
        action["notes"] = [{"at": NOW, "text": f"nota {n}", "level": "internal"} for n in range(20)]
    return laid_out(dump)


@pytest.mark.parametrize(
    "write",
    [
        orjson.dumps,
        _spaced_and_record_ends_in_titles,
        _a_record_full_of_record_ends,
        _long_records_after_one_full_of_record_ends,
        _twenty_notes_each,
    ],
)
def test_the_records_of_a_list_are_parsed_a_batch_at_a_time_whatever_surrounds_their_commas(
    generated: dict[str, Any], tmp_path: Path, write: Callable[[dict[str, Any]], bytes]
) -> None:
    text = write(generated)
    source = tmp_path / "dump.json"
    source.write_bytes(text)
    with source.open("rb") as handle:
        reader = _Text(handle, None, [], None)
        reader.more()
        reader.at = text.index(b"[", text.index(b'"actions"')) + 1
        batches: list[list[Any]] = []
        while not batches or reader.take(b","):
            batches.append(reader.records()[2])
        assert reader.take(b"]")

    assert [r for batch in batches for r in batch] == json.loads(text)["actions"]
    assert len(batches) < len(generated["actions"]) / 20


def test_a_dump_cdt_export_all_writes_to_stdout_or_to_a_file_is_read_a_record_at_a_time(
    generated: dict[str, Any], tmp_path: Path
) -> None:
    _, env = imported(generated, tmp_path)
    to_stdout, to_file = tmp_path / "stdout.json", tmp_path / "file.json"
    exported = run_cdt(["export", "all"], env)
    to_stdout.write_text(exported.stdout, encoding="utf-8")
    assert run_cdt(["export", "all", "-o", str(to_file)], env).code == 0

    for written in (to_stdout, to_file):
        read = read_dump(written, "dump")
        assert read.streamed, written.name
        assert read.size == sum(len(generated[s]) for s in read.counts)
        same_dump(read, parse_dump(written.read_bytes(), "dump"))


def _unknown_section(dump: dict[str, Any]) -> bytes:
    return laid_out({**dump, "notes": [{"id": 1, "text": "kept aside"}]})


def _nested_close_at_record_depth(dump: dict[str, Any]) -> bytes:
    # A hand edit: an object inside a record closed by a line that looks like the
    # record's own end. The JSON is the same; only where its lines break differs.
    text = laid_out(dump)
    nested = text.index(b"\n        }", text.index(b'"delegations"'))
    return text[:nested] + b"\n    }" + text[nested + len(b"\n        }") :]


def _windows_line_ends(dump: dict[str, Any]) -> bytes:
    return laid_out(dump).replace(b"\n", b"\r\n")


def _compact(dump: dict[str, Any]) -> bytes:
    return orjson.dumps(dump)


def _python_json_escaped(dump: dict[str, Any]) -> bytes:
    # json.dumps as it comes: ", " and ": " between values, every other character escaped
    return json.dumps(dump).encode()


def _tabs_and_spaces(dump: dict[str, Any]) -> bytes:
    return json.dumps(dump, indent="\t", separators=(" ,  ", " :\t")).encode()


def _section_given_first_as_no_list(dump: dict[str, Any]) -> bytes:
    # JSON takes the last "actions", the list
    text = orjson.dumps(dump)
    cut = text.index(b'"meetings"')
    return text[:cut] + b'"actions":{"kept":"aside"},' + text[cut:]


def _records_past_every_edge(dump: dict[str, Any]) -> bytes:
    # Records longer than a window (4 KB) and than a batch (256 KB), a text of two-,
    # three- and four-byte characters, and blocks of 4 MB that end inside records.
    dump = json.loads(json.dumps(dump))
    for n, action in enumerate(dump["actions"]):
        action["notes"] = [{"at": NOW, "text": "ñ€😀" * (7 * n % 900), "level": "internal"}]
    dump["actions"][1500]["notes"][0]["text"] = "}, ñ€😀" * 60_000
    return orjson.dumps(dump)


@pytest.mark.parametrize(
    "write",
    [
        pytest.param(laid_out, id="as export writes it"),
        pytest.param(lambda d: json.dumps(d, indent=2, ensure_ascii=False).encode(), id="json"),
        _unknown_section,
        _nested_close_at_record_depth,
        _windows_line_ends,
        _compact,
        _python_json_escaped,
        _tabs_and_spaces,
        _section_given_first_as_no_list,
        _records_past_every_edge,
    ],
)
def test_a_dump_is_read_a_record_at_a_time_with_the_same_records_however_it_is_laid_out(
    generated: dict[str, Any], tmp_path: Path, write: Callable[[dict[str, Any]], bytes]
) -> None:
    read, whole = both_reads(write(generated), tmp_path)

    assert read.streamed
    same_dump(read, whole)
    assert read.counts["actions"] == 3 * ACTIONS_PER_PART
    assert records_of(read) == records_of(read)  # read again, the same


def _swap_sections(dump: dict[str, Any]) -> bytes:
    order = ["format", "version", "dialogues", "topics", "actions", "meetings", "agenda_items"]
    return laid_out({key: dump[key] for key in order})


def _topics_first(dump: dict[str, Any]) -> bytes:
    order = ["topics", "format", "version", "dialogues", "meetings", "agenda_items", "actions"]
    return orjson.dumps({key: dump[key] for key in order})


def _section_given_twice(dump: dict[str, Any]) -> bytes:
    text = laid_out(dump)
    # The first actions section, then the whole list again under the same key: JSON
    # takes the last one.
    first = laid_out({"actions": dump["actions"][:2]})
    head = first[first.index(b'  "actions"') : first.rindex(b"\n}")]
    cut = text.index(b'  "actions"')
    return text[:cut] + head + b",\n" + text[cut:]


@pytest.mark.parametrize("write", [_swap_sections, _topics_first, _section_given_twice])
def test_a_dump_whose_sections_are_out_of_order_or_given_twice_is_read_whole_as_json_reads_it(
    generated: dict[str, Any], tmp_path: Path, write: Callable[[dict[str, Any]], bytes]
) -> None:
    read, whole = both_reads(write(generated), tmp_path)

    assert not read.streamed
    same_dump(read, whole)


def test_a_hand_made_dump_with_fields_left_out_and_ids_only_is_read_as_whole(
    generated: dict[str, Any], tmp_path: Path
) -> None:
    dump = json.loads(json.dumps(generated))
    for record in dump["actions"][:5]:
        del record["level"]  # left to its default
        record.pop("item_uuid", None)  # given by id only
    source = tmp_path / "dump.json"
    source.write_bytes(laid_out(dump))

    read = read_dump(source, "dump")

    assert read.streamed
    assert len(read.rebuilt) == 5
    same_dump(read, parse_dump(source.read_bytes(), "dump"))


@pytest.mark.parametrize("write", [laid_out, _compact])
def test_a_malformed_dump_is_refused_with_the_message_of_a_whole_read(
    generated: dict[str, Any], tmp_path: Path, write: Callable[[dict[str, Any]], bytes]
) -> None:
    dump = json.loads(json.dumps(generated))
    dump["actions"][2500]["item_uuid"] = dump["agenda_items"][0]["uuid"]
    dump["actions"][2900]["status"] = "finished"
    source = tmp_path / "dump.json"
    source.write_bytes(write(dump))

    with pytest.raises(InputError) as whole:
        parse_dump(source.read_bytes(), "dump")
    with pytest.raises(InputError) as read:
        read_dump(source, "dump")

    assert str(read.value) == str(whole.value)
    assert "actions[2901] is malformed" in str(read.value)


@pytest.mark.parametrize("write", [laid_out, _compact])
def test_a_dump_given_through_a_pipe_is_imported_as_one_given_as_a_file(
    generated: dict[str, Any], tmp_path: Path, write: Callable[[dict[str, Any]], bytes]
) -> None:
    source = tmp_path / "dump.json"
    source.write_bytes(write(generated))
    piped, filed = tmp_path / "piped.json", tmp_path / "filed.json"

    through_a_pipe = run_cdt(["import", "/dev/stdin"], base_env(piped), stdin=source.read_text())
    from_the_file = run_cdt(["import", str(source)], base_env(filed))

    assert through_a_pipe.code == from_the_file.code == 0, through_a_pipe.stderr
    assert through_a_pipe.stderr == from_the_file.stderr
    assert contents(piped)["actions"] == contents(filed)["actions"]


def test_a_dump_with_deeply_nested_text_around_its_records_is_read_as_a_whole_read_reads_it(
    generated: dict[str, Any], tmp_path: Path
) -> None:
    text = laid_out(generated)
    deep = b'  "kept aside": ' + b"[" * 1000 + b"]" * 1000 + b",\n"
    cut = text.index(b'  "dialogues"')
    source = tmp_path / "dump.json"
    source.write_bytes(text[:cut] + deep + text[cut:])

    same_dump(read_dump(source, "dump"), parse_dump(source.read_bytes(), "dump"))


def _refused_alike(source: Path) -> str:
    with pytest.raises(InputError) as whole:
        parse_dump(source.read_bytes(), "dump")
    with pytest.raises(InputError) as read:
        read_dump(source, "dump")
    assert str(read.value) == str(whole.value)
    return str(read.value)


def _cut_short(text: bytes) -> bytes:
    return text[: len(text) * 2 // 3]


def _not_a_number(text: bytes) -> bytes:
    return text.replace(b'"priority":"normal"', b'"priority":NaN', 1)


def _lone_surrogate(text: bytes) -> bytes:
    at = text.index(b'"title":"', text.index(b'"actions"')) + len(b'"title":"')
    return text[:at] + b"\\ud800" + text[at:]


def _number_too_large(text: bytes) -> bytes:
    at = text.index(b'"id":', text.index(b'"actions"')) + len(b'"id":')
    return text[:at] + b"9" * 30 + text[at:]


def _comma_before_a_close(text: bytes) -> bytes:
    return text.replace(b'}],"actions"', b'},],"actions"', 1)


def _a_key_without_quotes(text: bytes) -> bytes:
    return text.replace(b'"version":', b"version:", 1)


def _a_value_that_is_no_json(text: bytes) -> bytes:
    return text.replace(b'"version":1', b'"version":v1', 1)


def _a_list_closed_and_opened_between_two_records(text: bytes) -> bytes:
    # Not JSON, but the records around it would parse as two lists.
    at = text.index(b"},{", text.index(b'"actions"'))
    return text[:at] + b"}],[{" + text[at + 3 :]


def _text_after_the_end(text: bytes) -> bytes:
    return text + b"{}"


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (_cut_short, "is not valid JSON"),
        (_not_a_number, "is not valid JSON"),
        (_lone_surrogate, "is not valid JSON"),
        (_comma_before_a_close, "is not valid JSON"),
        (_text_after_the_end, "is not valid JSON"),
        (_a_list_closed_and_opened_between_two_records, "is not valid JSON"),
        (_a_key_without_quotes, "is not valid JSON"),
        (_a_value_that_is_no_json, "is not valid JSON"),
        (_number_too_large, "actions[1] is malformed (id is float"),  # (as orjson reads it)
    ],
)
def test_a_dump_on_one_line_that_is_not_json_or_not_sound_is_refused_as_in_a_whole_read(
    generated: dict[str, Any], tmp_path: Path, edit: Callable[[bytes], bytes], problem: str
) -> None:
    source = tmp_path / "dump.json"
    edited = edit(orjson.dumps(generated))
    assert edited != orjson.dumps(generated)
    source.write_bytes(edited)

    assert problem in _refused_alike(source)


def test_a_section_given_again_as_no_list_is_refused_as_in_a_whole_read(
    generated: dict[str, Any], tmp_path: Path
) -> None:
    text = orjson.dumps(generated)
    source = tmp_path / "dump.json"
    source.write_bytes(text[:-1] + b',"actions":{"kept":"aside"}}')

    assert "actions" in _refused_alike(source)


def test_a_record_put_where_a_record_would_be_said_to_be_is_refused_as_in_a_whole_read(
    generated: dict[str, Any], tmp_path: Path
) -> None:
    # A second "dialogues" key with a record and a text standing where the reader's
    # own place holder would: JSON keeps the last key, so the first dialogue is not in
    # the dump at all.
    text = laid_out(generated)
    record = orjson.dumps(
        {**generated["dialogues"][0], "id": 2, "uuid": "00000000-0000-4000-8000-000000000001"},
        option=orjson.OPT_INDENT_2,
    )
    indented = b"\n".join(b"    " + line for line in record.split(b"\n"))
    forged = b'  "dialogues":[\n' + indented + b',\n    "\\u0000record"\n  ],\n'
    cut = text.index(b'  "topics"')
    source = tmp_path / "dump.json"
    source.write_bytes(text[:cut] + forged + text[cut:])

    assert "dialogues[2] is not an object" in _refused_alike(source)


def test_a_record_nested_beyond_what_json_reads_in_the_whole_dump_is_refused_as_whole(
    generated: dict[str, Any], tmp_path: Path
) -> None:
    text = laid_out(generated)
    first = text.index(b"\n    {\n", text.index(b'  "actions"')) + len(b"\n    {\n")
    deep = b'      "extra": ' + b"[" * 1022 + b"]" * 1022 + b",\n"
    source = tmp_path / "dump.json"
    source.write_bytes(text[:first] + deep + text[first:])

    assert "is not valid JSON" in _refused_alike(source)


# ---- writing parts as they fill ------------------------------------------------------


def import_into(db: Path, dump: Dump, *, spills: bool) -> tuple[int, list[str]]:
    """``cdt import`` of ``dump`` into a new file, spilling or not. Returns what was
    so just before the commit: how many actions the repository held in memory, and
    the files in the parts folder."""
    with open_for_writing(db, backups=0) as repo:
        repo.spills = spills
        load_catalog(repo, START)
        repo.pending.clear()
        result = import_dump(repo, dump, theirs=False)
        repo.record_history(
            now=START, command="cdt import", action="import", **result.history_extra()
        )
        listing = sorted(p.name for p in db.with_name(db.name + ".parts").glob("*"))
        before_commit = len(repo.data["actions"]), listing
    return before_commit


def contents(db: Path) -> dict[str, Any]:
    """Every record, every history entry (catalog uuids masked: each new file draws its
    own), the exchange bases and what the list of parts says of each part."""
    repo = open_for_reading(db)
    whole = repo.whole()
    history = []
    for entry in repo.history_newest_first():
        changes = []
        for change in entry["changes"]:
            if change["kind"] == "topic" and change["before"]:
                change = {**change, "before": {**change["before"], "uuid": "(catalog)"}}
            changes.append(change)
        history.append({**entry, "changes": changes})
    parts = repo.meta["parts"]
    return {
        "records": {t: whole[t] for t in ("dialogues", "topics", "meetings", "agenda_items")},
        "actions": whole["actions"],
        "hot": sorted(repo.data["actions"]),
        "sync": repo.table("_sync"),
        "history": history,
        "about": {t: {k: e.get("about") for k, e in index.items()} for t, index in parts.items()},
        "counters": repo.meta["counters"],
    }


def test_an_import_writes_full_parts_as_it_goes_and_ends_as_one_that_waits_for_its_commit(
    generated: dict[str, Any], tmp_path: Path
) -> None:
    source = tmp_path / "dump.json"
    source.write_bytes(laid_out(generated))
    spilling, holding = (
        tmp_path / "spilling" / "tracker.json",
        tmp_path / "holding" / "tracker.json",
    )

    spilled, spilled_parts = import_into(spilling, read_dump(source, "dump"), spills=True)
    held, held_parts = import_into(holding, parse_dump(source.read_bytes(), "dump"), spills=False)

    # Before the commit, the spilling import held fewer actions and had written parts.
    assert spilled < held == 3 * ACTIONS_PER_PART
    assert any(name.startswith("actions-") for name in spilled_parts)
    assert held_parts == []
    # After it, the two files hold the same.
    assert contents(spilling) == contents(holding)
    folder = spilling.with_name(spilling.name + ".parts")
    assert not list(folder.glob(PENDING_PREFIX + "*"))
    assert unaccounted_parts(spilling) == []
    check = run_cdt(["check"], base_env(spilling))
    assert check.code == 0, check.stderr


def test_a_dry_run_lets_go_of_what_the_import_would_write_and_writes_nothing(
    generated: dict[str, Any], tmp_path: Path
) -> None:
    source = tmp_path / "dump.json"
    source.write_bytes(laid_out(generated))
    db = tmp_path / "tracker.json"
    held: dict[bool, tuple[int, int, Any]] = {}
    for discards in (True, False):  # as the dry run's copy is, and as it was
        repo = open_for_reading(db)
        repo.writable, repo.discards = True, discards
        load_catalog(repo, START)
        result = import_dump(repo, read_dump(source, "dump"), theirs=False)
        held[discards] = len(repo.data["actions"]), len(repo.pending), result

    assert held[True][0] < held[False][0] == 3 * ACTIONS_PER_PART
    assert held[True][1] < SPILL_EVERY < held[False][1]  # changes: none kept but the last
    assert (held[True][2].added, held[True][2].updated) == (
        held[False][2].added,
        held[False][2].updated,
    )
    env = base_env(db)
    dry = run_cdt(["import", str(source), "--dry-run"], env)
    assert dry.code == 0, dry.stderr
    assert not db.exists() and not db.with_name(db.name + ".parts").exists()
    real = run_cdt(["import", str(source)], env)
    assert real.code == 0 and dry.stdout.replace("Would import", "Imported") == real.stdout


def test_an_import_into_a_file_holding_its_records_keeps_none_it_only_compared(
    generated: dict[str, Any], tmp_path: Path
) -> None:
    db, _ = imported(generated, tmp_path)
    hot = len(read_file(db)["actions"])  # type: ignore[index]
    with open_for_writing(db, backups=0) as repo:
        result = import_dump(repo, read_dump(tmp_path / "generated.json", "dump"), theirs=False)
        held = {t: len(repo.data[t]) for t in ("meetings", "agenda_items", "actions")}

    records = sum(len(generated[section]) for section, _ in SECTIONS)
    assert (result.added, result.updated, result.unchanged) == ({}, {}, records)
    # Matched and compared by what was kept of each (its id, fingerprint, ids, stamp):
    # only the unfinished actions, which the data file holds, are in memory.
    assert held == {"meetings": 0, "agenda_items": 0, "actions": hot}
    assert 0 < hot < len(generated["actions"])


def test_an_import_keeps_of_the_local_records_only_those_a_dumps_uuids_may_match(
    generated: dict[str, Any], tmp_path: Path
) -> None:
    db, _ = imported(generated, tmp_path)
    repo = open_for_reading(db)
    meeting_uuids, item_uuids = _uuid_refs(repo)
    wanted = {generated["actions"][0]["uuid"], generated["actions"][-1]["uuid"]}

    some = _known_records(repo, Action, "uuid", meeting_uuids, item_uuids, among=wanted)
    every_one = _known_records(repo, Action, "uuid", meeting_uuids, item_uuids)

    assert set(some) == wanted and len(every_one) == len(generated["actions"])
    assert some == {uuid: every_one[uuid] for uuid in wanted}
    dump = read_dump(tmp_path / "generated.json", "dump")
    taken = dump.take_uuids()
    assert taken is not None and wanted.pop() in taken
    assert dump.take_uuids() is None  # given once: a second import looks at every record


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """20,000 actions laid out: 22 MB, read in several blocks."""
    gen = _generator()
    source = tmp_path_factory.mktemp("large") / "dump.json"
    source.write_bytes(laid_out(gen.generate(gen.Size("T", 400, 20 * ACTIONS_PER_PART))))
    return source


def files_of(db: Path) -> tuple[bytes | None, list[str] | None]:
    """The data file's bytes and the names in its parts folder (None: not there)."""
    folder = db.with_name(db.name + ".parts")
    listing = sorted(p.name for p in folder.iterdir()) if folder.exists() else None
    return (whole_bytes(db) if db.exists() else None), listing


def _new_file(db: Path, new: bool) -> None:
    if not new:
        result = run_cdt(
            ["dialogue", "add", "Otro", "--key", "otro", "--parties", "MX,GT"], base_env(db)
        )
        assert result.code == 0, result.stderr


def _change_the_end(text: bytes) -> tuple[int, bytes]:
    return len(text) - 40, b" " * 8


def _change_a_meeting_in_the_middle(text: bytes) -> tuple[int, bytes]:
    # An action in the third block of 4 MB names a meeting the dump does not hold:
    # merged unread, it would fail on a meeting it cannot find.
    at = text.index(b'"meeting_id":', 9 << 20) + len(b'"meeting_id":')
    at += text[at : at + 1] == b" "
    digits = len(text[at:].split(b",")[0])
    return at, b"9" * digits


@pytest.mark.parametrize("compact", [False, True], ids=["laid out", "on one line"])
@pytest.mark.parametrize("new", [False, True], ids=["existing file", "new file"])
@pytest.mark.parametrize("change", [_change_the_end, _change_a_meeting_in_the_middle])
def test_an_import_that_fails_after_writing_parts_leaves_the_file_and_its_folder_as_they_were(
    large: Path,
    tmp_path: Path,
    new: bool,
    change: Callable[[bytes], tuple[int, bytes]],
    compact: bool,
) -> None:
    db = tmp_path / "tracker.json"
    _new_file(db, new)
    before = files_of(db)
    source = tmp_path / "dump.json"
    text = large.read_bytes()
    source.write_bytes(orjson.dumps(orjson.loads(text)) if compact else text)
    dump = read_dump(source, "dump")
    at, replacement = change(source.read_bytes())
    with source.open("r+b") as handle:  # changed in place after its check
        handle.seek(at)
        handle.write(replacement)

    with (
        pytest.raises(InputError, match="changed while it was imported"),
        open_for_writing(db, backups=0) as repo,
    ):
        import_dump(repo, dump, theirs=False)

    assert files_of(db) == before


@pytest.mark.parametrize("new", [False, True], ids=["existing file", "new file"])
def test_an_import_killed_after_writing_parts_leaves_the_file_whole_and_the_next_write_sweeps(
    large: Path, tmp_path: Path, new: bool
) -> None:
    db = tmp_path / "tracker.json"
    env = base_env(db)
    _new_file(db, new)
    before = files_of(db)[0]
    folder = db.with_name(db.name + ".parts")
    importer = subprocess.Popen(
        [cdt_executable(), "import", str(large)], env=env, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 60
        while not (
            folder.exists() and any(p.name.startswith("actions-") for p in folder.iterdir())
        ):
            assert importer.poll() is None, "the import ended before it wrote a part"
            assert time.monotonic() < deadline
            time.sleep(0.005)
    finally:
        importer.send_signal(signal.SIGKILL)
        importer.wait()
    assert importer.returncode == -signal.SIGKILL
    assert files_of(db)[0] == before
    left = [p.name for p in folder.iterdir() if p.name.startswith("actions-")]
    assert left  # the killed import's parts, which no file names

    again = run_cdt(
        ["dialogue", "add", "Tras el fallo", "--key", "tras", "--parties", "MX,US"], env
    )

    assert again.code == 0, again.stderr
    assert unaccounted_parts(db) == []
    assert not any((folder / name).exists() for name in left)
    assert run_cdt(["check"], env).code == 0


def test_a_part_spilled_then_written_again_in_the_same_command_is_deleted_not_kept(
    tmp_path: Path,
) -> None:
    gen = _generator()
    first = gen.generate(gen.Size("T", 60, 1500))
    for action in first["actions"]:  # ids 1000 and up unfinished: no part holds them
        if action["id"] >= ACTIONS_PER_PART:
            action.update(status="open", completed=None)
    source = tmp_path / "second.json"
    source.write_bytes(laid_out(gen.generate(gen.Size("T", 60, 1500), seed=7)))

    def run(db: Path, spills: bool) -> None:
        with open_for_writing(db, backups=0) as repo:
            load_catalog(repo, START)
            repo.pending.clear()
            import_dump(repo, parse_dump(laid_out(first), "first"), theirs=False)
            repo.record_history(now=START, command="cdt import", action="import")
        # The second import adds actions 1501 to 3000; the part of ids 1000 to 1999 is
        # written when it fills, then again when action 1200 is done.
        with open_for_writing(db, backups=0) as repo:
            repo.spills = spills
            import_dump(repo, read_dump(source, "second"), theirs=False)
            complete_actions(repo, [1200], now=START)
            repo.record_history(now=START, command="cdt import", action="import")

    spilling, holding = tmp_path / "spilling.json", tmp_path / "holding.json"
    run(spilling, spills=True)
    run(holding, spills=False)

    assert contents(spilling) == contents(holding)
    retired = [read_file(db)["_meta"]["1"].get("retired", {}) for db in (spilling, holding)]  # type: ignore[index]
    assert len(retired[0]) == len(retired[1])
    assert unaccounted_parts(spilling) == []


# ---- writing a dump a part at a time -------------------------------------------------


def _carried_from_a_later_item(db: Path) -> None:
    """An edit that check accepts: the first item carried from the last one, in a later
    part (written through the repository, which keeps the parts)."""
    with open_for_writing(db, backups=0) as repo:
        items = repo.all(AgendaItem)
        first, last = items[0], items[-1]
        first.carried_from = last.id
        repo.update(first)
    assert read_file(db)["_meta"]["1"]["parts"]  # type: ignore[index]


def as_every_read_gives_it(dump: dict[str, Any], db: Path) -> None:
    """``dump`` holds every record of ``db`` once, in id order, as ``Repository.all``
    reads them, with references by uuid that agree with those by id (parse_dump)."""
    parse_dump(orjson.dumps(dump), "dump")
    repo = open_for_reading(db)
    for section, cls in SECTIONS:
        assert [r["id"] for r in dump[section]] == [r.id for r in repo.all(cls)], section
    for section, cls in [("meetings", Meeting), ("agenda_items", AgendaItem)]:
        written = [{k: v for k, v in r.items() if k not in DUMP_ONLY_KEYS} for r in dump[section]]
        assert written == [r.to_record() for r in repo.all(cls)], section
    assert [r["uuid"] for r in dump["actions"]] == [a.uuid for a in repo.all(Action)]


@pytest.mark.parametrize("edit", [None, _carried_from_a_later_item])
def test_export_all_writes_a_part_at_a_time_every_record_once_in_id_order(
    generated: dict[str, Any], tmp_path: Path, edit: Callable[[Path], None] | None
) -> None:
    if edit is not None:  # two parts of agenda items
        gen = _generator()
        generated = gen.generate(gen.Size("T", ITEMS_PER_PART // 3, 3 * ACTIONS_PER_PART))
    db, env = imported(generated, tmp_path)
    if edit is not None:
        assert len(read_file(db)["_meta"]["1"]["parts"]["agenda_items"]) == 2  # type: ignore[index]
        edit(db)
        assert run_cdt(["check"], env).code == 0
    written = tmp_path / "dump.json"

    to_stdout = run_cdt(["export", "all"], env)
    to_file = run_cdt(["export", "all", "-o", str(written)], env)

    assert to_stdout.code == to_file.code == 0, to_stdout.stderr + to_file.stderr
    dump = orjson.loads(written.read_bytes())
    assert to_stdout.stdout.encode() == dump_json(dump)  # the same, escaped for a terminal
    as_every_read_gives_it(dump, db)
    assert len(dump["actions"]) == 3 * ACTIONS_PER_PART
    if edit is not None:
        first, last = dump["agenda_items"][0], dump["agenda_items"][-1]
        assert first["carried_from_uuid"] == last["uuid"]


def test_export_all_of_a_record_naming_a_missing_one_writes_nothing(
    generated: dict[str, Any], tmp_path: Path
) -> None:
    db, env = imported(generated, tmp_path)
    with open_for_writing(db, backups=0) as repo:  # (through the repository: parts kept)
        action = repo.all(Action)[-1]
        action.item_id = 999_999  # in the last part read
        repo.update(action)
    last = action.id
    assert len(read_file(db)["_meta"]["1"]["parts"]["actions"]) > 1  # type: ignore[index]
    written = tmp_path / "dump.json"

    for args in (["export", "all"], ["export", "all", "-o", str(written)]):
        result = run_cdt(args, env)
        assert result.code == 1
        assert f"Action {last} names a record that does not exist" in result.stderr
        assert result.stdout == ""
    assert not written.exists()
    assert not list(tmp_path.glob(".dump.json.tmp-*"))  # the temp file it wrote into


def test_export_all_to_a_reader_that_leaves_early_ends_quietly_with_exit_0(
    generated: dict[str, Any], tmp_path: Path
) -> None:
    _, env = imported(generated, tmp_path)
    exporter = subprocess.Popen(
        [cdt_executable(), "export", "all"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert exporter.stdout is not None and exporter.stderr is not None
    assert exporter.stdout.read(10) == b'{\n  "forma'  # `cdt export all | head -c 10`
    exporter.stdout.close()

    assert exporter.wait(timeout=60) == 0
    assert exporter.stderr.read() == b""


def test_export_all_of_a_record_in_two_parts_gives_it_once_as_every_read_does(
    generated: dict[str, Any], tmp_path: Path
) -> None:
    # A hand edit: a record of one part copied into a later one. Every read keeps the
    # first part's (as ``Repository.table`` does); the dump must not give it twice.
    db, env = imported(generated, tmp_path)
    index = read_file(db)["_meta"]["1"]["parts"]["actions"]  # type: ignore[index]
    folder = db.with_name(db.name + ".parts")
    earlier, later = folder / index["1000"]["file"], folder / index["2000"]["file"]
    moved = next(iter(orjson.loads(earlier.read_bytes()).items()))
    later.write_bytes(orjson.dumps({**orjson.loads(later.read_bytes()), moved[0]: moved[1]}))

    exported = run_cdt(["export", "all"], env)

    assert exported.code == 0, exported.stderr
    dump = orjson.loads(exported.stdout)
    assert [a["uuid"] for a in dump["actions"]].count(moved[1]["uuid"]) == 1
    as_every_read_gives_it(dump, db)

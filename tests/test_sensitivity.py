"""Sensitivity levels: nothing above ``--max-level`` leaves the office, in any format.

Every internal or restricted record (meeting, agenda item, action, note, and a
topic typed for a restricted subject) carries a unique marker; the installed
``cdt`` must not print one of them under ``--max-level public``. Each check also
runs the same command without the level, to prove that it would show them.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from conftest import NOW, Result, base_env, run_cdt

from consular_dialogue.dates import PartialDate
from consular_dialogue.models import Level, MeetingKind
from consular_dialogue.services.actions import add_action, add_note
from consular_dialogue.services.agenda import add_item, carry_agenda
from consular_dialogue.services.dialogues import add_dialogue
from consular_dialogue.services.meetings import MeetingFields, record_meeting, set_delegation
from consular_dialogue.services.topics import load_catalog
from consular_dialogue.storage import open_for_writing

MOMENT = dt.datetime.fromisoformat(NOW)
PUBLIC, INTERNAL, RESTRICTED = Level.PUBLIC, Level.INTERNAL, Level.RESTRICTED
# Markers of what an internal reader may see, and of what only a restricted one may.
INTERNAL_MARKERS = {1, 2, 3, 6, 7, 10, 12, 14, 16}
RESTRICTED_MARKERS = {4, 5, 8, 9, 11, 13, 15, 17, 18}
LEFT_OUT_PUBLIC = 17  # 2 meetings, 7 agenda items, 2 topics, 4 actions, 2 notes
LEFT_OUT_INTERNAL = 9  # 1 meeting, 4 agenda items, 1 topic, 2 actions, 1 note


def marker(n: int) -> str:
    return f"SECRET-MARKER-{n:02d}"


def build_dataset(path: Path) -> None:
    """Public records, and internal and restricted ones around them, each with a marker."""
    with open_for_writing(path, backups=0) as repo:
        load_catalog(repo, MOMENT)
        add_dialogue(
            repo,
            name="Diálogo Consular",
            key="consular",
            parties=["MX", "US"],
            established=None,
            notes=None,
            now=MOMENT,
        )

        def meeting(
            title: str,
            kind: MeetingKind,
            date: PartialDate,
            level: Level,
            summary: str | None = None,
            location: str | None = None,
        ) -> int:
            fields = MeetingFields(
                title=title, kind=kind, date=date, level=level, summary=summary, location=location
            )
            return record_meeting(repo, fields, dialogue_key=None, now=MOMENT).id

        def item(
            meeting_id: int,
            title: str,
            level: Level,
            topic: str | None = None,
            outcome: str | None = None,
        ) -> int:
            return add_item(
                repo,
                meeting_id,
                title=title,
                topic=topic,
                status=None,
                outcome=outcome,
                lead=None,
                level=level,
                now=MOMENT,
            ).id

        def action(
            title: str,
            level: Level,
            due: dt.date,
            *,
            item_id: int | None = None,
            meeting_id: int | None = None,
        ) -> int:
            return add_action(
                repo,
                title=title,
                meeting_id=meeting_id,
                item_id=item_id,
                party="MX",
                owner=None,
                due=due,
                priority=None,
                level=level,
                now=MOMENT,
            ).id

        m1 = meeting(
            "Intermedia PUBLIC-MEETING",
            MeetingKind.INTERMEDIATE,
            PartialDate(2023, 4, 17),
            PUBLIC,
            summary="PUBLIC-SUMMARY",
            location="PUBLIC-PLACE",
        )
        set_delegation(repo, m1, party="US", head="PUBLIC-HEAD", title=None, members=[], now=MOMENT)
        m2 = meeting("Anual PUBLIC-ANUAL", MeetingKind.ANNUAL, PartialDate(2023, 10, 10), PUBLIC)
        m3 = meeting(
            f"{marker(1)} internal meeting",
            MeetingKind.WORKING_GROUP,
            PartialDate(2023, 6, 10),
            INTERNAL,
            summary=marker(2),
            location=marker(3),
        )
        m4 = meeting(
            f"{marker(4)} restricted meeting",
            MeetingKind.EXTRAORDINARY,
            PartialDate(2023, 7, 15),
            RESTRICTED,
        )
        set_delegation(repo, m4, party="MX", head=marker(5), title=None, members=[], now=MOMENT)
        i1 = item(m1, "PUBLIC-ITEM acceso", PUBLIC, "consular-access", "PUBLIC-OUTCOME")
        i2 = item(m1, f"{marker(6)} internal item", INTERNAL, "h2-visas", marker(7))
        item(m1, f"{marker(8)} restricted item", RESTRICTED, "secret-marker-09-topic")
        item(m3, f"{marker(10)} item of the internal meeting", PUBLIC)
        item(m4, f"{marker(11)} item of the restricted meeting", PUBLIC)
        carry_agenda(repo, m1, m2, now=MOMENT, dry_run=False)  # items 6 (public), 7, 8
        item(m1, f"{marker(18)} restricted access item", RESTRICTED, "consular-access")
        a1 = action("PUBLIC-ACTION figures", PUBLIC, dt.date(2023, 5, 1), item_id=i1)
        add_note(repo, a1, f"{marker(12)} internal note", level=INTERNAL, now=MOMENT)
        add_note(repo, a1, f"{marker(13)} restricted note", level=RESTRICTED, now=MOMENT)
        add_note(repo, a1, "PUBLIC-NOTE shared", level=PUBLIC, now=MOMENT)
        action(f"{marker(14)} internal action", INTERNAL, dt.date(2023, 5, 2), meeting_id=m1)
        action(f"{marker(15)} restricted action", RESTRICTED, dt.date(2023, 5, 3), meeting_id=m1)
        action(
            f"{marker(16)} public action on an internal item",
            PUBLIC,
            dt.date(2023, 5, 4),
            item_id=i2,
        )
        action(
            f"{marker(17)} public action of a restricted meeting",
            PUBLIC,
            dt.date(2023, 5, 5),
            meeting_id=m4,
        )
        action("PUBLIC-ACTION-2 follow-up", PUBLIC, dt.date(2023, 6, 1), item_id=6)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sensitive") / "tracker.json"
    build_dataset(path)
    return path


def run(dataset: Path, *args: str) -> Result:
    # Wide, so that no marker is wrapped across lines in tables and timelines.
    return run_cdt(list(args), base_env(dataset, COLUMNS="1000"))


def markers_in(text: str) -> set[int]:
    """Marker numbers in ``text``, however wrapped, folded or slugified."""
    flat = re.sub(r"\s+", "", text).lower()
    return {int(n) for n in re.findall(r"secret-?marker-?(\d\d)", flat)}


def unfold_ics(text: str) -> str:
    return text.replace("\r\n ", "").replace("\n ", "")


def xlsx_text(path: Path) -> str:
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True)
    return "\n".join(
        str(cell)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for cell in row
        if cell is not None
    )


COMMANDS: dict[str, list[str]] = {
    "export all": ["export", "all"],
    "export actions csv": ["export", "actions", "--format", "csv", "--status", "all"],
    "export actions json": ["export", "actions", "--format", "json", "--status", "all"],
    "export actions markdown": ["export", "actions", "--format", "markdown", "--status", "all"],
    "export actions ics": ["export", "actions", "--format", "ics", "--status", "all"],
    "export actions xlsx": ["export", "actions", "--format", "xlsx", "--status", "all"],
    "export meetings csv": ["export", "meetings", "--format", "csv"],
    "export meetings json": ["export", "meetings", "--format", "json"],
    "export meetings ics": ["export", "meetings", "--format", "ics"],
    "report text": ["report", "--format", "text"],
    "report markdown": ["report", "--format", "markdown"],
    "report html": ["report", "--format", "html"],
    "report json": ["report", "--format", "json"],
    "meeting report text": ["report", "1", "--format", "text"],
    "meeting report markdown": ["report", "1", "--format", "markdown"],
    "meeting report html": ["report", "1", "--format", "html"],
    "meeting report json": ["report", "1", "--format", "json"],
    "brief text": ["brief", "2"],
    "brief json": ["brief", "2", "--format", "json"],
    "timeline": ["timeline"],
    "timeline of actions": ["timeline", "--actions"],
    "timeline of a topic": ["timeline", "--topic", "consular-access"],
}


def output_of(dataset: Path, tmp_path: Path, name: str, *level: str) -> tuple[Result, str]:
    args = [*COMMANDS[name], *level]
    if name.endswith("xlsx"):
        target = tmp_path / f"actions{len(level)}.xlsx"
        result = run(dataset, *args, "-o", str(target))
        return result, xlsx_text(target) if result.code == 0 else ""
    result = run(dataset, *args)
    text = unfold_ics(result.stdout) if name.endswith("ics") else result.stdout
    return result, text


@pytest.mark.parametrize("name", list(COMMANDS))
def test_public_output_holds_no_internal_or_restricted_text_and_says_how_much_was_left_out(
    dataset: Path, tmp_path: Path, name: str
) -> None:
    unfiltered, everything = output_of(dataset, tmp_path, name)
    assert unfiltered.code == 0, unfiltered.stderr
    assert markers_in(everything)  # the command shows such records when not told otherwise
    assert "Left out" not in unfiltered.stderr

    result, text = output_of(dataset, tmp_path, name, "--max-level", "public")

    assert result.code == 0, result.stderr
    assert markers_in(text) == set()
    assert "PUBLIC-" in text  # the public records are still there
    assert f"Left out {LEFT_OUT_PUBLIC} records above the level public" in result.stderr


def test_internal_level_keeps_internal_records_but_not_restricted_ones(dataset: Path) -> None:
    result = run(dataset, "export", "all", "--max-level", "internal")

    assert result.code == 0, result.stderr
    assert markers_in(result.stdout) == INTERNAL_MARKERS
    assert f"Left out {LEFT_OUT_INTERNAL} records above the level internal" in result.stderr
    assert markers_in(run(dataset, "export", "all").stdout) == INTERNAL_MARKERS | RESTRICTED_MARKERS


def test_a_public_action_list_holds_only_the_public_notes_of_public_actions(dataset: Path) -> None:
    result = run(
        dataset, "export", "actions", "--format", "json", "--status", "all", "--max-level", "public"
    )
    assert result.code == 0, result.stderr
    actions = json.loads(result.stdout)
    assert sorted(a["title"] for a in actions) == [
        "PUBLIC-ACTION figures",
        "PUBLIC-ACTION-2 follow-up",
    ]
    assert {a["level"] for a in actions} == {"public"}
    figures = next(a for a in actions if a["title"] == "PUBLIC-ACTION figures")
    assert [(n["text"], n["level"]) for n in figures["notes"]] == [("PUBLIC-NOTE shared", "public")]


def test_a_topic_only_restricted_items_use_is_left_out_of_public_dumps(dataset: Path) -> None:
    public = json.loads(run(dataset, "export", "all", "--max-level", "public").stdout)
    slugs = {t["slug"] for t in public["topics"]}
    assert "consular-access" in slugs  # a public item uses it
    assert "h2-visas" not in slugs and "secret-marker-09-topic" not in slugs
    internal = json.loads(run(dataset, "export", "all", "--max-level", "internal").stdout)
    assert "h2-visas" in {t["slug"] for t in internal["topics"]}


def test_a_public_dump_is_whole_and_imports_into_another_office(
    dataset: Path, tmp_path: Path
) -> None:
    dump = tmp_path / "public.json"
    assert run(dataset, "export", "all", "--max-level", "public", "-o", str(dump)).code == 0
    other = base_env(tmp_path / "other.json")

    imported = run_cdt(["import", str(dump), "--json"], other)

    assert imported.code == 0, imported.stderr
    assert imported.json()["added"] == {"dialogue": 1, "meeting": 2, "agenda": 2, "action": 2}
    assert run_cdt(["check"], other).code == 0
    carried = run_cdt(["agenda", "history", "2", "--json"], other)
    assert [i["title"] for i in carried.json()] == ["PUBLIC-ITEM acceso", "PUBLIC-ITEM acceso"]
    assert markers_in((tmp_path / "other.json").read_text(encoding="utf-8")) == set()


def test_an_unknown_level_is_refused(dataset: Path) -> None:
    result = run(dataset, "export", "all", "--max-level", "secret")
    assert result.code == 1
    assert "Unknown level 'secret'; use one of: public, internal, restricted." in result.stderr
    assert result.stdout == ""

"""``cdt meeting`` and ``cdt dialogue``: logging meetings, dates, listing, choosing a dialogue.

Most cases run the cdt app in-process (same argv parsing, error boundary and exit
codes as the installed script, without interpreter start-up); the ones about the
terminal, the environment and global options run the installed ``cdt``.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import NOW, Result, base_env, cdt_executable, read_until

from consular_dialogue.cli import main
from consular_dialogue.dates import PartialDate
from consular_dialogue.errors import EXIT_INPUT, EXIT_USAGE
from consular_dialogue.models import Dialogue, Meeting, MeetingKind, MeetingStatus
from consular_dialogue.services.dialogues import add_dialogue
from consular_dialogue.services.meetings import (
    MeetingFields,
    default_status,
    list_meetings,
    record_meeting,
)
from consular_dialogue.storage import open_for_reading, open_for_writing

MOMENT = dt.datetime.fromisoformat(NOW)  # Monday 24 April 2023
MEETING_KEYS = {
    "id",
    "uuid",
    "dialogue",
    "title",
    "kind",
    "date",
    "end_date",
    "location",
    "host",
    "status",
    "ref",
    "summary",
    "delegations",
}
DIALOGUE_KEYS = {"key", "uuid", "name", "parties", "established", "notes"}

Run = Callable[..., Result]


@pytest.fixture
def app(db: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    """Run the cdt app in this process on the test's data file, with CDT_NOW fixed."""

    def run(*args: str, now: str | None = NOW, **env: str) -> Result:
        for key in [k for k in os.environ if k.startswith("CDT_")]:
            monkeypatch.delenv(key)
        settings = {"CDT_DB": str(db), "NO_COLOR": "1", "COLUMNS": "100", **env}
        if now is not None:
            settings["CDT_NOW"] = now
        for key, value in settings.items():
            monkeypatch.setenv(key, value)
        capsys.readouterr()
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return run


def add_consular(path: Path, *keys: str) -> None:
    with open_for_writing(path) as repo:
        for key in keys or ("consular",):
            add_dialogue(
                repo,
                name=f"Diálogo {key}",
                key=key,
                parties=["MX", "US"],
                established=PartialDate(2013),
                notes=None,
                now=MOMENT,
            )


def add_meetings(path: Path, *specs: tuple[str, MeetingKind, PartialDate, str | None]) -> None:
    with open_for_writing(path) as repo:
        for title, kind, date, dialogue in specs:
            record_meeting(
                repo,
                MeetingFields(title=title, kind=kind, date=date),
                dialogue_key=dialogue,
                now=MOMENT,
            )


def assert_refused(result: Result, code: int, path: Path, before: bytes) -> None:
    assert result.code == code, result.stderr
    assert result.stderr.startswith("Error: "), result.stderr
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert path.read_bytes() == before


# ---------------------------------------------------------------- adding without a terminal


@pytest.mark.parametrize(
    ("args", "missing"),
    [
        (["--kind", "annual", "--date", "2023-10-12"], "TITLE"),
        (["Reunión Anual", "--date", "2023-10-12"], "--kind"),
        (["Reunión Anual", "--kind", "annual"], "--date"),
    ],
    ids=["title", "kind", "date"],
)
def test_meeting_add_without_a_terminal_and_a_missing_value_is_a_usage_error(
    db: Path, cdt: Run, args: list[str], missing: str
) -> None:
    add_consular(db)
    before = db.read_bytes()
    result = cdt("meeting", "add", *args, stdin="")
    assert_refused(result, EXIT_USAGE, db, before)
    assert missing in result.stderr


def test_meeting_add_on_a_terminal_asks_for_each_missing_value_until_it_reads(
    db: Path, cdt: Run
) -> None:
    add_consular(db)
    terminal, its_end = os.openpty()
    proc = subprocess.Popen(
        [cdt_executable(), "meeting", "add", "--host", "MX"],
        stdin=its_end,
        stdout=its_end,
        stderr=subprocess.PIPE,
        env=base_env(db),
    )
    os.close(its_end)
    try:
        assert proc.stderr is not None
        asked = [b"Title:", b"Kind (", b"Kind (", b"Date ("]
        answers = ["Reunión Intermedia 2024", "trimestral", "intermediate", "17/04/2024"]
        said = b""
        for question, answer in zip(asked, answers, strict=True):
            said += read_until(proc.stderr.fileno(), question)
            os.write(terminal, answer.encode() + b"\n")
        assert proc.wait(timeout=120) == 0
    finally:
        os.close(terminal)
        if proc.poll() is None:
            proc.kill()
    assert b"Unknown kind 'trimestral'" in said
    [meeting] = cdt("meeting", "list", "--json").json()
    assert (meeting["title"], meeting["kind"], meeting["date"], meeting["host"]) == (
        "Reunión Intermedia 2024",
        "intermediate",
        "2024-04-17",
        "MX",
    )


# ---------------------------------------------------------------- dates


def test_an_ambiguous_numeric_date_is_refused_showing_both_readings(db: Path, cdt: Run) -> None:
    add_consular(db)
    before = db.read_bytes()
    result = cdt("meeting", "add", "Reunión", "--kind", "annual", "--date", "04/05/2023")
    assert_refused(result, EXIT_INPUT, db, before)
    assert "2023-05-04" in result.stderr
    assert "2023-04-05" in result.stderr


def test_global_date_order_option_reads_an_ambiguous_date_day_first(db: Path, cdt: Run) -> None:
    add_consular(db)
    result = cdt(
        "--date-order",
        "dmy",
        "meeting",
        "add",
        "Reunión",
        "--kind",
        "annual",
        "--date",
        "04/05/2023",
        "--json",
    )
    assert result.code == 0, result.stderr
    assert result.json()["date"] == "2023-05-04"


def test_cdt_date_order_variable_reads_an_ambiguous_date_month_first(db: Path, cdt: Run) -> None:
    add_consular(db)
    result = cdt(
        "meeting",
        "add",
        "Reunión",
        "--kind",
        "annual",
        "--date",
        "04/05/2023",
        "--json",
        CDT_DATE_ORDER="mdy",
    )
    assert result.code == 0, result.stderr
    assert result.json()["date"] == "2023-04-05"


def test_a_month_precise_meeting_stays_month_precise_and_is_planned(db: Path, app: Run) -> None:
    add_consular(db)
    added = app("meeting", "add", "Reunión Anual", "--kind", "annual", "--date", "octubre 2023")
    assert added.code == 0, added.stderr
    shown = app("meeting", "show", "1", "--json").json()
    assert shown["date"] == "2023-10"
    assert shown["status"] == "planned"
    assert open_for_reading(db).get(Meeting, 1).date == PartialDate(2023, 10)


def test_a_past_meeting_defaults_to_held_and_a_given_status_wins(db: Path, app: Run) -> None:
    add_consular(db)
    held = app(
        "meeting", "add", "Intermedia", "--kind", "intermediate", "--date", "17 de abril de 2023"
    )
    given = app(
        "meeting", "add", "Aplazada", "--kind", "annual", "--date", "2023-04-20",
        "--status", "postponed",
    )  # fmt: skip
    assert held.code == given.code == 0
    meetings = {m["title"]: m for m in app("meeting", "list", "--json").json()}
    assert meetings["Intermedia"]["status"] == "held"
    assert meetings["Intermedia"]["date"] == "2023-04-17"
    assert meetings["Aplazada"]["status"] == "postponed"


@pytest.mark.parametrize(
    ("date", "status"),
    [
        (PartialDate(2023, 4, 23), MeetingStatus.HELD),  # yesterday
        (PartialDate(2023, 4, 24), MeetingStatus.PLANNED),  # today: may not have happened yet
        (PartialDate(2023, 4), MeetingStatus.PLANNED),  # this month is not over
        (PartialDate(2023, 3), MeetingStatus.HELD),  # last month is
        (PartialDate(2023), MeetingStatus.PLANNED),
    ],
)
def test_default_status_is_held_only_once_the_whole_date_is_past(
    date: PartialDate, status: MeetingStatus
) -> None:
    assert default_status(date, MOMENT.date()) == status


# ---------------------------------------------------------------- listing


def test_meeting_list_is_sorted_by_date_with_month_precise_at_the_start_of_its_month(
    db: Path, app: Run
) -> None:
    add_consular(db)
    add_meetings(
        db,
        ("15 October", MeetingKind.WORKING_GROUP, PartialDate(2023, 10, 15), None),
        ("October", MeetingKind.ANNUAL, PartialDate(2023, 10), None),
        ("30 September", MeetingKind.WORKING_GROUP, PartialDate(2023, 9, 30), None),
        ("1 October", MeetingKind.WORKING_GROUP, PartialDate(2023, 10, 1), None),
        ("April", MeetingKind.INTERMEDIATE, PartialDate(2023, 4, 17), None),
    )
    expected = ["April", "30 September", "October", "1 October", "15 October"]
    assert [m.title for m in list_meetings(open_for_reading(db))] == expected
    result = app("meeting", "list", "--json")
    assert [m["title"] for m in result.json()] == expected
    text = app("meeting", "list").stdout
    assert [text.index(title) for title in expected] == sorted(
        text.index(title) for title in expected
    )


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--kind", "annual"], ["Anual 2022", "Anual 2023"]),
        (["--status", "planned"], ["Anual 2023"]),
        (["--year", "2022"], ["Anual 2022"]),
        (["--dialogue", "protection"], ["Grupo de protección"]),
        (["--kind", "annual", "--year", "2023"], ["Anual 2023"]),
    ],
    ids=["kind", "status", "year", "dialogue", "kind-and-year"],
)
def test_meeting_list_filters(db: Path, app: Run, args: list[str], expected: list[str]) -> None:
    add_consular(db, "consular", "protection")
    add_meetings(
        db,
        ("Anual 2023", MeetingKind.ANNUAL, PartialDate(2023, 10), "consular"),
        ("Anual 2022", MeetingKind.ANNUAL, PartialDate(2022, 11, 9), "consular"),
        ("Intermedia", MeetingKind.INTERMEDIATE, PartialDate(2023, 4, 17), "consular"),
        ("Grupo de protección", MeetingKind.WORKING_GROUP, PartialDate(2023, 3, 2), "protection"),
    )
    result = app("meeting", "list", *args, "--json")
    assert result.code == 0, result.stderr
    assert [m["title"] for m in result.json()] == expected


def test_meeting_list_filters_in_the_service(db: Path) -> None:
    add_consular(db, "consular", "protection")
    add_meetings(
        db,
        ("Anual 2023", MeetingKind.ANNUAL, PartialDate(2023, 10), "consular"),
        ("Intermedia", MeetingKind.INTERMEDIATE, PartialDate(2023, 4, 17), "consular"),
        ("Grupo", MeetingKind.WORKING_GROUP, PartialDate(2023, 3, 2), "protection"),
    )
    repo = open_for_reading(db)
    assert [m.title for m in list_meetings(repo, status=MeetingStatus.HELD)] == [
        "Grupo",
        "Intermedia",
    ]
    assert [m.title for m in list_meetings(repo, dialogue="CONSULAR")] == [
        "Intermedia",
        "Anual 2023",
    ]
    assert list_meetings(repo, year=2024) == []


def test_meeting_list_with_an_unknown_dialogue_or_kind_exits_1(db: Path, app: Run) -> None:
    add_consular(db)
    unknown_dialogue = app("meeting", "list", "--dialogue", "trade")
    unknown_kind = app("meeting", "list", "--kind", "summit")
    assert unknown_dialogue.code == unknown_kind.code == EXIT_INPUT
    assert "consular" in unknown_dialogue.stderr
    assert "annual" in unknown_kind.stderr


# ---------------------------------------------------------------- choosing the dialogue


def test_the_only_dialogue_is_used_without_naming_it(db: Path, app: Run) -> None:
    add_consular(db)
    result = app("meeting", "add", "Reunión", "--kind", "annual", "--date", "2023-10", "--json")
    assert result.code == 0, result.stderr
    assert result.json()["dialogue"] == "consular"


def test_with_two_dialogues_and_none_chosen_add_exits_1_listing_their_keys(
    db: Path, app: Run
) -> None:
    add_consular(db, "consular", "protection")
    before = db.read_bytes()
    result = app("meeting", "add", "Reunión", "--kind", "annual", "--date", "2023-10")
    assert_refused(result, EXIT_INPUT, db, before)
    assert "consular" in result.stderr
    assert "protection" in result.stderr
    assert "--dialogue" in result.stderr


def test_with_no_dialogue_add_exits_1_saying_how_to_add_one(db: Path, app: Run) -> None:
    result = app("meeting", "add", "Reunión", "--kind", "annual", "--date", "2023-10")
    assert result.code == EXIT_INPUT
    assert "cdt dialogue add" in result.stderr
    assert not db.exists()


def test_cdt_dialogue_variable_chooses_the_dialogue(db: Path, cdt: Run) -> None:
    add_consular(db, "consular", "protection")
    result = cdt(
        "meeting",
        "add",
        "Reunión",
        "--kind",
        "working-group",
        "--date",
        "2023-10",
        "--json",
        CDT_DIALOGUE="protection",
    )
    assert result.code == 0, result.stderr
    assert result.json()["dialogue"] == "protection"
    assert open_for_reading(db).get(Meeting, 1).dialogue == "protection"


def test_dialogue_option_beats_the_cdt_dialogue_variable(db: Path, app: Run) -> None:
    add_consular(db, "consular", "protection")
    result = app(
        "meeting", "add", "Reunión", "--kind", "annual", "--date", "2023-10",
        "--dialogue", "consular", "--json", CDT_DIALOGUE="protection",
    )  # fmt: skip
    assert result.json()["dialogue"] == "consular"


# ---------------------------------------------------------------- JSON shapes


def test_meeting_json_has_the_documented_keys(db: Path, app: Run) -> None:
    add_consular(db)
    added = app(
        "meeting", "add", "Reunión Intermedia", "--kind", "intermediate", "--date", "2023-04-17",
        "--end", "2023-04-18", "--location", "SRE, Ciudad de México", "--host", "mx",
        "--ref", "Comunicado No. 176", "--summary", "Acceso consular y visas H2", "--json",
    )  # fmt: skip
    assert added.code == 0, added.stderr
    record = added.json()
    assert set(record) >= MEETING_KEYS
    assert record["host"] == "MX"
    assert record["end_date"] == "2023-04-18"
    assert record["ref"] == "Comunicado No. 176"
    listed = app("meeting", "list", "--json").json()
    shown = app("meeting", "show", "1", "--json").json()
    assert listed == [record]
    assert {k: shown[k] for k in record} == record
    assert shown["agenda_items"] == shown["actions"] == []


def test_dialogue_json_has_the_documented_keys(db: Path, app: Run) -> None:
    added = app(
        "dialogue", "add", "Diálogo Consular México–Estados Unidos", "--key", "consular",
        "--parties", "mx, us", "--established", "2013", "--json",
    )  # fmt: skip
    assert added.code == 0, added.stderr
    record = added.json()
    assert set(record) >= DIALOGUE_KEYS
    assert record["parties"] == ["MX", "US"]
    assert record["established"] == "2013"
    assert app("dialogue", "list", "--json").json() == [record]
    assert app("dialogue", "show", "consular", "--json").json() == record
    assert open_for_reading(db).all(Dialogue)[0].uuid == record["uuid"]


# ---------------------------------------------------------------- editing and deleting


def test_meeting_edit_changes_fields_and_an_empty_value_clears_an_optional_one(
    db: Path, app: Run
) -> None:
    add_consular(db)
    app(
        "meeting", "add", "Reunión", "--kind", "annual", "--date", "2023-10-10",
        "--end", "2023-10-11", "--location", "CDMX",
    )  # fmt: skip
    result = app("meeting", "edit", "1", "--end", "", "--location", "", "--status", "postponed")
    assert result.code == 0, result.stderr
    meeting = open_for_reading(db).get(Meeting, 1)
    assert meeting.end_date is None
    assert meeting.location is None
    assert meeting.status == MeetingStatus.POSTPONED


@pytest.mark.parametrize(
    "args",
    [
        ["--host", "CA"],
        ["--end", "2023-10-01"],
        ["--status", "finished"],
        ["--date", "04/05/2023"],
        ["--title", "   "],
    ],
    ids=["host-outside-dialogue", "end-before-start", "bad-status", "ambiguous-date", "blank"],
)
def test_meeting_edit_with_a_bad_value_exits_1_and_changes_nothing(
    db: Path, app: Run, args: list[str]
) -> None:
    add_consular(db)
    add_meetings(db, ("Reunión", MeetingKind.ANNUAL, PartialDate(2023, 10, 10), None))
    before = db.read_bytes()
    assert_refused(app("meeting", "edit", "1", *args), EXIT_INPUT, db, before)


def test_deleting_the_newest_meeting_does_not_free_its_id_for_the_next_one(
    db: Path, app: Run
) -> None:
    add_consular(db)
    for number in (1, 2, 3):
        app("meeting", "add", f"Reunión {number}", "--kind", "other", "--date", "2023-01")
    first_uuid = open_for_reading(db).get(Meeting, 1).uuid
    assert app("meeting", "delete", "3", "--yes").code == 0
    added = app("meeting", "add", "Reunión 4", "--kind", "other", "--date", "2023-02", "--json")
    assert added.json()["id"] == 4
    assert "Added meeting 4" in added.stderr
    assert [m.id for m in open_for_reading(db).all(Meeting)] == [1, 2, 4]
    assert open_for_reading(db).get(Meeting, 1).uuid == first_uuid


def test_meeting_delete_without_yes_and_without_a_terminal_refuses(db: Path, cdt: Run) -> None:
    add_consular(db)
    add_meetings(db, ("Reunión", MeetingKind.ANNUAL, PartialDate(2023, 10), None))
    before = db.read_bytes()
    result = cdt("meeting", "delete", "1", stdin="")
    assert_refused(result, EXIT_USAGE, db, before)
    assert "--yes" in result.stderr


def test_delegation_outside_the_dialogue_is_refused(db: Path, app: Run) -> None:
    add_consular(db)
    add_meetings(db, ("Reunión", MeetingKind.ANNUAL, PartialDate(2023, 10), None))
    before = db.read_bytes()
    result = app("meeting", "delegation", "1", "--party", "CA", "--head", "Someone")
    assert_refused(result, EXIT_INPUT, db, before)
    assert "CA" in result.stderr


@pytest.mark.parametrize(
    "use",
    ["host", "delegation", "action", "lead"],
)
def test_dialogue_edit_keeps_a_party_that_a_record_still_names(
    db: Path, app: Run, use: str
) -> None:
    add_consular(db)
    add_meetings(db, ("Reunión", MeetingKind.ANNUAL, PartialDate(2023, 10), None))
    setup = {
        "host": ["meeting", "edit", "1", "--host", "US"],
        "delegation": ["meeting", "delegation", "1", "--party", "US", "--head", "Daria Darnell"],
        "action": ["action", "add", "Enviar datos", "--meeting", "1", "--party", "US"],
        "lead": ["agenda", "add", "1", "Visas H2", "--lead", "US"],
    }[use]
    assert app(*setup).code == 0
    before = db.read_bytes()
    result = app("dialogue", "edit", "consular", "--parties", "MX,CA")
    assert_refused(result, EXIT_INPUT, db, before)
    assert "US" in result.stderr


def test_dialogue_edit_changes_parties_nothing_names(db: Path, app: Run) -> None:
    add_consular(db)
    add_meetings(db, ("Reunión", MeetingKind.ANNUAL, PartialDate(2023, 10), None))
    assert app("action", "add", "Conjunta", "--meeting", "1", "--party", "joint").code == 0
    result = app("dialogue", "edit", "consular", "--parties", "MX,CA", "--json")
    assert result.code == 0, result.stderr
    assert result.json()["parties"] == ["MX", "CA"]

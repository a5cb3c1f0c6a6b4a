"""Agenda items, carrying them across meetings, and follow-up actions.

Services are tested in-process on real data files; the commands run the cdt app
in-process (the same argv parsing and error boundary as the installed script), and
a few refusals run the installed ``cdt`` to prove the real exit code.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import NOW, Result

from consular_dialogue.cli import main
from consular_dialogue.dates import PartialDate
from consular_dialogue.errors import EXIT_INPUT, InputError
from consular_dialogue.models import (
    Action,
    ActionStatus,
    AgendaItem,
    AgendaStatus,
    ItemLine,
    Level,
    Meeting,
    MeetingKind,
    iso_time,
)
from consular_dialogue.services.actions import (
    ActionFields,
    ActionFilter,
    add_action,
    complete_actions,
    list_action_lines,
    list_actions,
    reopen_action,
    set_action,
)
from consular_dialogue.services.agenda import (
    add_item,
    carry_agenda,
    item_history,
    list_item_lines,
    list_items,
    set_item,
)
from consular_dialogue.services.dialogues import add_dialogue
from consular_dialogue.services.meetings import MeetingFields, record_meeting
from consular_dialogue.services.topics import load_catalog
from consular_dialogue.storage import Repository, open_for_reading, open_for_writing

MOMENT = dt.datetime.fromisoformat(NOW)  # 24 April 2023
JULY = "2023-07-20T10:00:00-06:00"
JULY_DAY = dt.date(2023, 7, 20)

Run = Callable[..., Result]


@pytest.fixture
def app(db: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    """Run the cdt app in this process on the test's data file, with CDT_NOW fixed."""

    def run(*args: str, now: str | None = NOW, **env: str) -> Result:
        for key in [k for k in os.environ if k.startswith("CDT_")]:
            monkeypatch.delenv(key)
        settings = {"CDT_DB": str(db), "NO_COLOR": "1", "COLUMNS": "120", **env}
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


def meeting(repo: Repository, title: str, kind: MeetingKind, date: PartialDate) -> Meeting:
    return record_meeting(
        repo, MeetingFields(title=title, kind=kind, date=date), dialogue_key=None, now=MOMENT
    )


def item(
    repo: Repository,
    meeting_id: int,
    title: str,
    topic: str | None = None,
    status: AgendaStatus | None = None,
    lead: str | None = None,
) -> AgendaItem:
    return add_item(
        repo,
        meeting_id,
        title=title,
        topic=topic,
        status=status,
        outcome=None,
        lead=lead,
        level=None,
        now=MOMENT,
    )


def action(
    repo: Repository,
    title: str,
    *,
    meeting_id: int | None = None,
    item_id: int | None = None,
    party: str = "joint",
    owner: str | None = None,
    due: dt.date | None = None,
) -> Action:
    return add_action(
        repo,
        title=title,
        meeting_id=meeting_id,
        item_id=item_id,
        party=party,
        owner=owner,
        due=due,
        priority=None,
        level=None,
        now=MOMENT,
    )


def build(path: Path, meetings: int = 2) -> None:
    """Meeting 1 (April 2023) with items 1-2, meeting 2 (October) with item 3, action 1."""
    with open_for_writing(path) as repo:
        load_catalog(repo, MOMENT)
        add_dialogue(
            repo,
            name="Diálogo Consular México–Estados Unidos",
            key="consular",
            parties=["MX", "US"],
            established=PartialDate(2013),
            notes=None,
            now=MOMENT,
        )
        meeting(repo, "Reunión Intermedia", MeetingKind.INTERMEDIATE, PartialDate(2023, 4, 17))
        meeting(repo, "Reunión Anual", MeetingKind.ANNUAL, PartialDate(2023, 10))
        if meetings > 2:
            meeting(repo, "Reunión Intermedia 2024", MeetingKind.INTERMEDIATE, PartialDate(2024, 4))
        item(repo, 1, "Acceso consular", "consular-access", lead="joint")
        item(repo, 1, "Visas H-2", "h2-visas", lead="US")
        item(repo, 2, "Movilidad laboral", "labor-mobility")
        action(repo, "Compartir estadísticas H-2", item_id=2, party="US", due=dt.date(2023, 6, 30))


def assert_refused(result: Result, path: Path, before: bytes) -> None:
    assert result.code == EXIT_INPUT, result.stderr
    assert result.stderr.startswith("Error: "), result.stderr
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert path.read_bytes() == before


# ---------------------------------------------------------------- refusals

REFUSED = {
    "unknown-meeting": (["meeting", "show", "99"], "99"),
    "agenda-on-unknown-meeting": (["agenda", "add", "99", "Tema"], "99"),
    "unknown-item": (["agenda", "set", "99", "--status", "agreed"], "99"),
    "action-on-unknown-item": (["action", "add", "Enviar lista", "--item", "99"], "99"),
    "carry-to-unknown-meeting": (["agenda", "carry", "1", "99"], "99"),
    "carry-into-itself": (["agenda", "carry", "1", "1"], "same meeting"),
    "history-of-unknown-item": (["agenda", "history", "99"], "99"),
    "unknown-action": (["action", "show", "99"], "99"),
    "done-with-one-unknown-id": (["action", "done", "1", "99"], "99"),
    "note-on-unknown-action": (["action", "note", "99", "Nota"], "99"),
    "party-outside-dialogue": (
        ["action", "add", "Enviar lista", "--meeting", "1", "--party", "CA"],
        "'CA'",
    ),
    "item-of-another-meeting": (
        ["action", "add", "Enviar lista", "--item", "1", "--meeting", "2"],
        "meeting 1",
    ),
    "action-without-meeting": (["action", "add", "Enviar lista"], "--meeting"),
    "bad-action-status": (["action", "set", "1", "--status", "finished"], "finished"),
    "bad-agenda-status": (["agenda", "set", "1", "--status", "closed"], "closed"),
    "bad-priority": (["action", "set", "1", "--priority", "urgent"], "urgent"),
    "ambiguous-due-date": (
        ["action", "add", "Enviar lista", "--meeting", "1", "--due", "04/05/2023"],
        "2023-05-04",
    ),
    "month-as-due-date": (
        ["action", "add", "Enviar lista", "--meeting", "1", "--due", "junio 2023"],
        "junio 2023",
    ),
    "lead-outside-dialogue": (["agenda", "add", "1", "Tema", "--lead", "CA"], "'CA'"),
    "bad-topic-slug": (["agenda", "add", "1", "Tema", "--topic", "Visas H2!"], "slug"),
    "move-out-of-range": (["agenda", "move", "1", "--position", "9"], "9"),
    "delete-item-with-actions": (["agenda", "delete", "2", "--yes"], "action"),
    "reopen-an-open-action": (["action", "reopen", "1"], "reopen"),
    "delete-meeting-with-agenda": (["meeting", "delete", "1", "--yes"], "--cascade"),
    "empty-note": (["action", "note", "1", "  "], "empty"),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_refused_input_exits_1_with_its_message_and_leaves_the_file_byte_identical(
    db: Path, app: Run, case: str
) -> None:
    build(db)
    before = db.read_bytes()
    args, expected = REFUSED[case]
    result = app(*args)
    assert_refused(result, db, before)
    assert expected in result.stderr


@pytest.mark.parametrize(
    "case", ["party-outside-dialogue", "item-of-another-meeting", "ambiguous-due-date"]
)
def test_installed_cdt_refuses_bad_input_with_exit_1_and_no_traceback(
    db: Path, cdt: Run, case: str
) -> None:
    build(db)
    before = db.read_bytes()
    args, expected = REFUSED[case]
    result = cdt(*args)
    assert_refused(result, db, before)
    assert expected in result.stderr


# ---------------------------------------------------------------- action history


def test_action_keeps_every_change_of_status_owner_and_due_with_its_time(db: Path) -> None:
    build(db)
    moments = [
        MOMENT + dt.timedelta(days=days, hours=hours) for days, hours in [(7, 1), (30, 2), (60, 3)]
    ]
    dues = [dt.date(2023, 7, 31), dt.date(2023, 8, 31), dt.date(2023, 9, 30)]
    with open_for_writing(db) as repo:
        for moment, due in zip(moments, dues, strict=True):
            set_action(repo, 1, ActionFields(due=due), now=moment)
        set_action(
            repo, 1, ActionFields(owner="CA/VO", status=ActionStatus.IN_PROGRESS), now=moments[2]
        )
    changes = open_for_reading(db).get(Action, 1).changes
    due_changes = [(c.at, c.old, c.new) for c in changes if c.field == "due"]
    assert due_changes == [
        (iso_time(moments[0]), "2023-06-30", "2023-07-31"),
        (iso_time(moments[1]), "2023-07-31", "2023-08-31"),
        (iso_time(moments[2]), "2023-08-31", "2023-09-30"),
    ]
    assert [(c.field, c.old, c.new) for c in changes if c.field != "due"] == [
        ("status", "open", "in-progress"),
        ("owner", None, "CA/VO"),
    ]


def test_setting_an_action_to_what_it_already_is_records_no_change(db: Path) -> None:
    build(db)
    before = db.read_bytes()
    with open_for_writing(db) as repo:
        set_action(repo, 1, ActionFields(due=dt.date(2023, 6, 30), party="us"), now=MOMENT)
    assert db.read_bytes() == before


def test_action_show_lists_a_due_date_slipped_three_times_as_three_due_changes(
    db: Path, app: Run
) -> None:
    build(db)
    slips = [
        ("2023-05-02T09:00:00-06:00", "31 de julio de 2023"),
        ("2023-06-05T09:00:00-06:00", "August 31, 2023"),
        ("2023-07-10T09:00:00-06:00", "2023-09-30"),
    ]
    for now, due in slips:
        assert app("action", "set", "1", "--due", due, now=now).code == 0
    shown = app("action", "show", "1", "--json").json()
    assert [(c["at"][:10], c["from"], c["to"]) for c in shown["changes"]] == [
        ("2023-05-02", "2023-06-30", "2023-07-31"),
        ("2023-06-05", "2023-07-31", "2023-08-31"),
        ("2023-07-10", "2023-08-31", "2023-09-30"),
    ]
    assert {c["field"] for c in shown["changes"]} == {"due"}
    text = app("action", "show", "1").stdout
    for now, _ in slips:
        assert now[:10] in text
    for due in ("2023-07-31", "2023-08-31", "2023-09-30"):
        assert due in text


def test_action_done_records_the_date_of_cdt_now_and_reopen_clears_it(db: Path, app: Run) -> None:
    build(db)
    # Late evening in Mexico City is already the next day in UTC; the local date counts.
    late = "2023-05-02T23:30:00-06:00"
    done = app("action", "done", "1", now=late)
    assert done.code == 0, done.stderr
    assert "Completed action 1" in done.stderr
    record = app("action", "show", "1", "--json").json()
    assert (record["status"], record["completed"]) == ("done", "2023-05-02")

    reopened = app("action", "reopen", "1", now="2023-05-10T09:00:00-06:00")
    assert reopened.code == 0, reopened.stderr
    record = app("action", "show", "1", "--json").json()
    assert (record["status"], record["completed"]) == ("open", None)
    assert [(c["field"], c["from"], c["to"], c["at"][:10]) for c in record["changes"]] == [
        ("status", "open", "done", "2023-05-02"),
        ("status", "done", "open", "2023-05-10"),
    ]


def test_done_with_a_repeated_id_completes_it_once(db: Path, app: Run) -> None:
    build(db)
    result = app("action", "done", "1", "1")
    assert result.code == 0, result.stderr
    assert result.stderr.count("Completed action 1") == 1
    assert [c.field for c in open_for_reading(db).get(Action, 1).changes] == ["status"]


def test_done_twice_keeps_the_first_completion_date(db: Path) -> None:
    build(db)
    with open_for_writing(db) as repo:
        complete_actions(repo, [1], now=MOMENT)
    with open_for_writing(db) as repo:
        complete_actions(repo, [1], now=MOMENT + dt.timedelta(days=9))
    finished = open_for_reading(db).get(Action, 1)
    assert finished.completed == MOMENT.date()
    assert [c.field for c in finished.changes] == ["status"]


def test_reopen_refuses_an_unfinished_action_in_the_service(db: Path) -> None:
    build(db)
    with pytest.raises(InputError, match="nothing to reopen"), open_for_writing(db) as repo:
        reopen_action(repo, 1, now=MOMENT)


# ---------------------------------------------------------------- listing actions


def build_actions(path: Path) -> dict[str, int]:
    """Six actions whose order and filters the tests below know by construction."""
    build(path)
    with open_for_writing(path) as repo:
        ids = {
            "h2": 1,  # US, due 30 June, item 2 (h2-visas), open: overdue in July
            "undated": action(repo, "Actualizar directorio", meeting_id=1, party="MX", owner="SRE - DGPME").id,
            "done": action(repo, "Guía de acceso", item_id=1, due=dt.date(2023, 5, 15)).id,
            "protection": action(
                repo, "Capacitar consulados", item_id=1, party="MX",
                owner="Dirección General de Protección Consular", due=dt.date(2023, 9, 30),
            ).id,
            "cancelled": action(repo, "Visita a Texas", meeting_id=1, party="US", due=dt.date(2023, 8, 1)).id,
            "blocked": action(repo, "Datos de movilidad", item_id=3, party="MX", due=dt.date(2023, 7, 1)).id,
        }  # fmt: skip
        set_action(repo, ids["done"], ActionFields(status=ActionStatus.DONE), now=MOMENT)
        set_action(repo, ids["protection"], ActionFields(status=ActionStatus.IN_PROGRESS), now=MOMENT)  # fmt: skip
        set_action(repo, ids["cancelled"], ActionFields(status=ActionStatus.CANCELLED), now=MOMENT)
        set_action(repo, ids["blocked"], ActionFields(status=ActionStatus.BLOCKED), now=MOMENT)
    return ids


LISTS = {
    "default-unfinished-by-due-undated-last": (
        [], ActionFilter(), ["h2", "blocked", "protection", "undated"],
    ),
    "overdue": (["--overdue"], ActionFilter(overdue=True), ["h2", "blocked"]),
    "overdue-never-finished": (  # "done" is past its due date, and finished
        ["--overdue", "--status", "all"],
        ActionFilter(overdue=True, all_statuses=True), ["h2", "blocked"],
    ),
    "status-all": (
        ["--status", "all"], ActionFilter(all_statuses=True),
        ["done", "h2", "blocked", "cancelled", "protection", "undated"],
    ),
    "status-done": (["--status", "done"], ActionFilter(status=ActionStatus.DONE), ["done"]),
    "party": (["--party", "mx"], ActionFilter(party="mx"), ["blocked", "protection", "undated"]),
    "party-joint-all": (
        ["--party", "joint", "--status", "all"],
        ActionFilter(party="joint", all_statuses=True), ["done"],
    ),
    "owner-without-accents": (
        ["--owner", "proteccion"], ActionFilter(owner="proteccion"), ["protection"],
    ),
    "topic": (["--topic", "consular-access"], ActionFilter(topic="consular-access"), ["protection"]),
    "due-before": (
        ["--due-before", "1 de agosto de 2023"],
        ActionFilter(due_before=dt.date(2023, 8, 1)), ["h2", "blocked"],
    ),
    "meeting": (["--meeting", "2"], ActionFilter(meeting_id=2), ["blocked"]),
}  # fmt: skip


@pytest.mark.parametrize("case", list(LISTS))
def test_list_actions_selects_and_orders_actions(db: Path, case: str) -> None:
    ids = build_actions(db)
    _, flt, expected = LISTS[case]
    listed = list_actions(open_for_reading(db), flt, today=JULY_DAY)
    assert [a.id for a in listed] == [ids[name] for name in expected]
    lines = list_action_lines(open_for_reading(db), flt, today=JULY_DAY)
    assert [(a.id, a.due, a.status, a.title) for a in lines] == [
        (a.id, a.due, a.status, a.title) for a in listed
    ]


@pytest.mark.parametrize("case", list(LISTS))
def test_action_list_table_lists_what_its_json_lists(db: Path, app: Run, case: str) -> None:
    build_actions(db)
    args, _, _ = LISTS[case]
    table = app("action", "list", *args, now=JULY)
    assert table.code == 0, table.stderr
    rows = [line.split() for line in table.stdout.splitlines()]
    listed_ids = [int(row[0]) for row in rows if len(row) > 2 and row[0].isdecimal()]
    as_json = app("action", "list", *args, "--json", now=JULY).json()
    assert listed_ids == [a["id"] for a in as_json]


def test_an_action_due_on_the_last_day_there_is_still_comes_before_the_undated(
    db: Path,
) -> None:
    build(db)
    with open_for_writing(db) as repo:
        undated = action(repo, "Sin fecha", meeting_id=1).id
        last = action(repo, "Al final", meeting_id=1, due=dt.date.max).id
    for listing in (list_actions, list_action_lines):
        listed = [a.id for a in listing(open_for_reading(db), ActionFilter(), today=JULY_DAY)]
        assert listed.index(last) < listed.index(undated)


@pytest.mark.parametrize("case", list(LISTS))
def test_action_list_command_filters_like_the_service(db: Path, app: Run, case: str) -> None:
    ids = build_actions(db)
    args, _, expected = LISTS[case]
    result = app("action", "list", *args, "--json", now=JULY)
    assert result.code == 0, result.stderr
    assert [a["id"] for a in result.json()] == [ids[name] for name in expected]


def test_action_list_json_marks_overdue_actions_under_cdt_now(db: Path, app: Run) -> None:
    ids = build_actions(db)
    listed = app("action", "list", "--status", "all", "--json", now=JULY).json()
    overdue = {a["id"] for a in listed if a["overdue"]}
    assert overdue == {ids["h2"], ids["blocked"]}
    in_april = app("action", "list", "--overdue", "--json").json()
    assert in_april == []


def test_action_list_table_shows_titles_in_due_order(db: Path, app: Run) -> None:
    build_actions(db)
    text = app("action", "list", now=JULY).stdout
    titles = ["Compartir estadísticas H-2", "Datos de movilidad", "Capacitar consulados"]
    positions = [text.index(title) for title in titles]
    assert positions == sorted(positions)
    assert "Guía de acceso" not in text


# ---------------------------------------------------------------- topics, deleting


def test_topic_list_json_counts_agenda_items_and_open_actions(db: Path, app: Run) -> None:
    build_actions(db)
    rows = {r["slug"]: r for r in app("topic", "list", "--json").json()}
    counts = {slug: (r["agenda_items"], r["open_actions"]) for slug, r in rows.items()}
    assert counts["consular-access"] == (1, 1)  # the done action does not count
    assert counts["h2-visas"] == (1, 1)
    assert counts["labor-mobility"] == (1, 1)  # blocked is still open
    assert counts["training"] == (0, 0)
    assert set(rows["h2-visas"]) == {"slug", "name_es", "name_en", "agenda_items", "open_actions"}


def test_meeting_delete_refuses_a_meeting_with_agenda_or_actions_unless_cascade(
    db: Path, app: Run
) -> None:
    build(db)
    with open_for_writing(db) as repo:
        carry_agenda(repo, 1, 2, now=MOMENT, dry_run=False)  # items 4, 5 come from 1, 2
    before = db.read_bytes()
    refused = app("meeting", "delete", "1", "--yes")
    assert_refused(refused, db, before)
    assert "2 agenda items and 1 actions" in refused.stderr

    deleted = app("meeting", "delete", "1", "--cascade", "--yes")
    assert deleted.code == 0, deleted.stderr
    repo = open_for_reading(db)
    assert [m.id for m in repo.all(Meeting)] == [2]
    assert [(i.id, i.meeting_id, i.carried_from) for i in repo.all(AgendaItem)] == [
        (3, 2, None),
        (4, 2, None),
        (5, 2, None),
    ]
    assert repo.all(Action) == []


def test_deleting_a_meeting_between_carries_joins_each_chain_around_its_items(
    db: Path, app: Run
) -> None:
    build(db, meetings=3)
    with open_for_writing(db) as repo:
        carry_agenda(repo, 1, 2, now=MOMENT, dry_run=False)  # items 4, 5 from 1, 2
        carry_agenda(repo, 2, 3, now=MOMENT, dry_run=False)  # items 6, 7, 8 from 3, 4, 5

    deleted = app("meeting", "delete", "2", "--cascade", "--yes")

    assert deleted.code == 0, deleted.stderr
    repo = open_for_reading(db)
    carried = {i.id: (i.meeting_id, i.carried_from) for i in repo.all(AgendaItem)}
    assert carried == {1: (1, None), 2: (1, None), 6: (3, None), 7: (3, 1), 8: (3, 2)}
    assert app("check").code == 0


# ---------------------------------------------------------------- JSON shapes


def test_agenda_item_and_action_json_are_their_documented_records(db: Path, app: Run) -> None:
    build(db)
    repo = open_for_reading(db)
    items = app("agenda", "list", "--json").json()
    assert [AgendaItem.from_record(i) for i in items] == repo.all(AgendaItem)
    assert all(set(i) == set(repo.get(AgendaItem, 1).to_record()) for i in items)

    actions = app("action", "list", "--json", now=JULY).json()
    stored = repo.get(Action, 1)
    assert actions == [stored.to_json(JULY_DAY)]
    assert set(actions[0]) == set(stored.to_record()) | {"overdue"}
    assert actions[0]["overdue"] is True
    assert app("action", "show", "1", "--json", now=JULY).json() == actions[0]
    added = app("agenda", "add", "1", "Capacitación", "--topic", "training", "--json").json()
    assert AgendaItem.from_record(added) == open_for_reading(db).get(AgendaItem, added["id"])


def test_agenda_add_keeps_lead_topic_and_position(db: Path, app: Run) -> None:
    build(db)
    added = app(
        "agenda", "add", "1", "Notificación consular", "--topic", "consular-notification",
        "--lead", "mx", "--status", "discussed", "--level", "public", "--json",
    ).json()  # fmt: skip
    assert (added["position"], added["lead"], added["status"], added["level"]) == (
        3,
        "MX",
        "discussed",
        "public",
    )


# ---------------------------------------------------------------- carrying


def test_carry_copies_open_items_as_pending_and_skips_closed_ones(db: Path) -> None:
    build(db)
    with open_for_writing(db) as repo:
        set_item(repo, 1, status=AgendaStatus.AGREED, outcome="Guía conjunta", now=MOMENT)
        item(repo, 1, "Capacitación", "training", status=AgendaStatus.RESOLVED)
        item(repo, 1, "Adopciones", "international-adoption", status=AgendaStatus.DROPPED)
        carried, skipped = carry_agenda(repo, 1, 2, now=MOMENT, dry_run=False)
    assert [(origin.id, new.id) for origin, new in carried] == [(1, 6), (2, 7)]
    assert skipped == []
    repo = open_for_reading(db)
    new_items = [i for i in repo.all(AgendaItem) if i.meeting_id == 2]
    assert [(i.title, i.status, i.carried_from, i.position) for i in new_items] == [
        ("Movilidad laboral", AgendaStatus.PENDING, None, 1),
        ("Acceso consular", AgendaStatus.PENDING, 1, 2),
        ("Visas H-2", AgendaStatus.PENDING, 2, 3),
    ]
    assert (new_items[1].topic, new_items[1].lead, new_items[1].outcome) == (
        "consular-access",
        "joint",
        None,
    )


def test_carry_twice_adds_nothing_the_second_time(db: Path) -> None:
    build(db)
    with open_for_writing(db) as repo:
        first, _ = carry_agenda(repo, 1, 2, now=MOMENT, dry_run=False)
    after_first = db.read_bytes()
    with open_for_writing(db) as repo:
        second, skipped = carry_agenda(repo, 1, 2, now=MOMENT, dry_run=False)
    assert len(first) == 2
    assert second == []
    assert [i.id for i in skipped] == [1, 2]
    assert db.read_bytes() == after_first


def test_an_item_carried_twice_over_three_meetings_has_a_chain_of_three(db: Path) -> None:
    build(db, meetings=3)
    with open_for_writing(db) as repo:
        carry_agenda(repo, 1, 2, now=MOMENT, dry_run=False)
        carry_agenda(repo, 2, 3, now=MOMENT, dry_run=False)
    repo = open_for_reading(db)
    origin = repo.get(AgendaItem, 1)
    latest = next(i for i in repo.all(AgendaItem) if i.meeting_id == 3 and i.title == origin.title)
    for start in (origin, latest):
        chain = item_history(repo, start.id)
        assert [i.meeting_id for i in chain] == [1, 2, 3]
        assert chain[0].id == 1
        assert chain[-1].id == latest.id


@pytest.mark.parametrize(
    "carries",
    [[(1, 2), (2, 3), (1, 3)], [(1, 3), (1, 2), (2, 3)], [(1, 2), (1, 3), (2, 3)]],
    ids=["m1-m2-m3-then-m1-m3", "m1-m3-then-m1-m2-m3", "m1-m2-then-m1-m3-then-m2-m3"],
)
def test_carrying_by_another_route_never_puts_a_subject_twice_on_an_agenda(
    db: Path, carries: list[tuple[int, int]]
) -> None:
    build(db, meetings=3)
    for source, target in carries:
        with open_for_writing(db) as repo:
            carry_agenda(repo, source, target, now=MOMENT, dry_run=False)
    third = [i for i in open_for_reading(db).all(AgendaItem) if i.meeting_id == 3]
    # Meeting 3 gets Acceso consular and Visas H-2 from meeting 1 and Movilidad laboral
    # from meeting 2, each once, whichever way they travelled.
    assert sorted(i.title for i in third) == ["Acceso consular", "Movilidad laboral", "Visas H-2"]


def test_carry_dry_run_changes_nothing_and_says_what_it_would_do(db: Path, app: Run) -> None:
    build(db)
    before = db.read_bytes()
    result = app("agenda", "carry", "1", "2", "--dry-run")
    assert result.code == 0, result.stderr
    assert "Would carry 2 items" in result.stderr
    assert db.read_bytes() == before


def test_carry_between_dialogues_is_refused(db: Path) -> None:
    build(db)
    with open_for_writing(db) as repo:
        add_dialogue(
            repo, name="Otro", key="other", parties=["MX", "GT"], established=None,
            notes=None, now=MOMENT,
        )  # fmt: skip
        record_meeting(
            repo,
            MeetingFields(title="Otra", kind=MeetingKind.ANNUAL, date=PartialDate(2023, 11)),
            dialogue_key="other",
            now=MOMENT,
        )
    before = db.read_bytes()
    with pytest.raises(InputError, match="different dialogues"), open_for_writing(db) as repo:
        carry_agenda(repo, 1, 3, now=MOMENT, dry_run=False)
    assert db.read_bytes() == before


def test_agenda_item_keeps_its_level(db: Path) -> None:
    build(db)
    with open_for_writing(db) as repo:
        set_item(repo, 1, level=Level.RESTRICTED, now=MOMENT)
        carried, _ = carry_agenda(repo, 1, 2, now=MOMENT, dry_run=False)
    assert carried[0][1].level == Level.RESTRICTED


# ---- filters naming what does not exist, deletes under the lock, done = set done ----


@pytest.fixture
def demo(cdt: Callable[..., Result], db: Path) -> Callable[..., Result]:
    """The installed cdt on a copy of the shipped sample."""
    assert cdt("demo", "--db", str(db)).code == 0
    return cdt


@pytest.mark.parametrize(
    ("args", "named", "fix"),
    [
        (["agenda", "list", "--topic", "nosuch"], "'nosuch'", "cdt topic list"),
        (["action", "list", "--topic", "nosuch"], "'nosuch'", "cdt topic list"),
        (["action", "list", "--party", "XX"], "'XX'", "MX, US or joint"),
        (["export", "actions", "--topic", "typo", "-o", "f.csv"], "'typo'", "cdt topic list"),
        (["export", "actions", "--party", "GT", "-o", "f.csv"], "'GT'", "MX, US or joint"),
    ],
)
def test_a_filter_naming_an_unknown_topic_or_party_is_an_error_not_an_empty_list(
    demo: Callable[..., Result], tmp_path: Path, args: list[str], named: str, fix: str
) -> None:
    result = demo(*args, cwd=tmp_path)
    assert result.code == EXIT_INPUT
    assert result.stdout == ""
    assert named in result.stderr and fix in result.stderr
    assert not (tmp_path / "f.csv").exists()


def test_known_party_and_topic_filters_still_match_in_any_case(
    demo: Callable[..., Result],
) -> None:
    mx = demo("action", "list", "--party", "mx", "--status", "all", "--json").json()
    assert {a["party"] for a in mx} == {"MX"} and len(mx) == 2
    joint = demo("action", "list", "--party", "Joint", "--json").json()
    assert {a["party"] for a in joint} == {"joint"} and joint
    items = demo("agenda", "list", "--topic", "H2-Visas", "--json").json()
    assert [i["topic"] for i in items] == ["h2-visas", "h2-visas"]


@pytest.mark.parametrize(
    ("noun", "record_id"), [("action", "5"), ("agenda", "19"), ("meeting", "2")]
)
def test_a_delete_keeps_the_file_locked_while_it_asks_for_confirmation(
    demo: Callable[..., Result], db: Path, noun: str, record_id: str
) -> None:
    from conftest import answered, base_env

    def meanwhile(question: bytes) -> None:
        noun_said = "agenda item" if noun == "agenda" else noun
        assert f"Delete {noun_said} {record_id}".encode() in question
        # While the question waits, another writer finds the file busy.
        busy = demo("action", "note", "1", "meanwhile", CDT_LOCK_TIMEOUT="0.5")
        assert busy.code == 3, busy.stderr

    extra = ["--cascade"] if noun == "meeting" else []
    code, err = answered([noun, "delete", record_id, *extra], base_env(db), meanwhile)

    assert code == 0, err
    kind = {"action": "action", "agenda": "agenda", "meeting": "meeting"}[noun]
    listed = demo(kind, "list", "--json", *(["--status", "all"] if noun == "action" else []))
    assert int(record_id) not in {r["id"] for r in listed.json()}


def test_done_records_the_same_change_as_set_status_done_and_nothing_when_already_done(
    demo: Callable[..., Result],
) -> None:
    assert demo("action", "done", "1", now=JULY).code == 0
    assert demo("action", "set", "2", "--status", "done", now=JULY).code == 0
    by_done = demo("action", "show", "1", "--json").json()
    by_set = demo("action", "show", "2", "--json").json()
    for action in (by_done, by_set):
        assert action["status"] == "done" and action["completed"] == "2023-07-20"
        assert [(c["field"], c["from"], c["to"]) for c in action["changes"]] == [
            ("status", "open", "done")
        ]
    log_before = demo("log", "--json").json()
    again = demo("action", "done", "1", "3", now=JULY)
    assert again.code == 0
    assert demo("action", "show", "1", "--json").json() == by_done
    assert demo("log", "--json").json() == log_before


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"topic": "h2-visas"},
        {"status": AgendaStatus.PENDING},
        {"open_only": True},
        {"topic": "consular-access", "open_only": True},
    ],
)
def test_a_list_of_every_meeting_s_items_shows_of_each_what_its_model_says(
    db: Path, filters: dict[str, Any]
) -> None:
    build(db)  # items 1-2 at meeting 1 (April 2023), 3 at meeting 2 (October 2023)
    with open_for_writing(db) as repo:
        item(repo, 1, "Visas H-2", "h2-visas", lead="US")
        item(repo, 1, "Acceso consular", "consular-access", AgendaStatus.AGREED, "joint")
        item(repo, 2, "Notificación [b]x[/b]", "consular-access")
        set_item(repo, 1, now=MOMENT, outcome="Se acordó un calendario.")
        set_item(repo, 2, now=MOMENT, status=AgendaStatus.RESOLVED)
        carry_agenda(repo, 1, 2, now=MOMENT, dry_run=False)  # open items carried
    repo = open_for_reading(db)
    models, model_dates = list_items(repo, **filters)
    lines, dates = list_item_lines(open_for_reading(db), **filters)
    assert dates == model_dates and len(lines) == len(models)
    assert models or filters  # the unfiltered list holds every item
    for line, model in zip(lines, models, strict=True):
        assert line == tuple(getattr(model, name) for name in ItemLine._fields)

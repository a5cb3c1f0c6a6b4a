"""Reports: view models built from a realistic dialogue, their four formats in both
languages (golden files), hostile text kept inert, and the file written by ``-o``.

The dataset helpers here are shared with ``test_timeline.py`` and ``test_cli_reports.py``.
Regenerate the golden files with ``UPDATE_GOLDEN=1 pytest tests/test_reports.py
tests/test_timeline.py`` and read the diff before committing it.
"""

from __future__ import annotations

import ast
import datetime as dt
import html.parser
import json
import os
import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consular_dialogue import reports
from consular_dialogue.dates import PartialDate
from consular_dialogue.errors import InputError, NotFoundError
from consular_dialogue.models import (
    ActionStatus,
    AgendaItem,
    AgendaStatus,
    Delegation,
    MeetingKind,
    MeetingStatus,
    Priority,
)
from consular_dialogue.services import actions, agenda, dialogues, meetings, topics
from consular_dialogue.storage import Repository, open_for_reading, open_for_writing

GOLDEN = Path(__file__).parent / "golden" / "reports"
TODAY = dt.date(2023, 4, 24)
NOW = dt.datetime(2023, 4, 24, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=-6)))
LANGS = ("en", "es")
FORMAT_SUFFIX = {"text": "txt", "markdown": "md", "html": "html", "json": "json"}

HOSTILE = (
    "[link=http://x]y[/link] [/] [bold]\x1b[31mred \x1b]8;;http://x\x07click\x1b]8;;\x07"
    " \u202eevil\u202c | pipe | <script>alert(1)</script> <b>b</b> & "
    '=HYPERLINK("http://x") [md](http://x) *em* `c`\nsecond line'
)


def check_golden(name: str, text: str) -> None:
    """Compare with ``tests/golden/reports/NAME``; UPDATE_GOLDEN=1 rewrites it."""
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
        return
    assert path.exists(), f"{path} is missing; run the tests with UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from its golden file"


def at(day: str, hour: int = 10) -> dt.datetime:
    """A moment on ``day`` in Mexico City time: each step of the story has its own "now"."""
    return dt.datetime.fromisoformat(f"{day}T{hour:02d}:00:00-06:00")


def _meeting(
    repo: Repository,
    title: str,
    kind: MeetingKind,
    date: str,
    *,
    end: str | None = None,
    location: str | None = None,
    host: str | None = None,
    status: MeetingStatus | None = None,
    ref: str | None = None,
    delegations: list[Delegation] | None = None,
) -> int:
    fields = meetings.MeetingFields(
        title=title,
        kind=kind,
        date=PartialDate.from_iso(date),
        end_date=PartialDate.from_iso(end) if end else None,
        location=location,
        host=host,
        status=status,
        ref=ref,
    )
    meeting = meetings.record_meeting(
        repo, fields, dialogue_key="mx-us", now=NOW, delegations=delegations
    )
    return meeting.id


def _item(
    repo: Repository,
    meeting_id: int,
    title: str,
    topic: str | None,
    status: AgendaStatus,
    outcome: str | None = None,
    lead: str | None = None,
    *,
    when: str,
) -> AgendaItem:
    return agenda.add_item(
        repo,
        meeting_id,
        title=title,
        topic=topic,
        status=status,
        outcome=outcome,
        lead=lead,
        level=None,
        now=at(when),
    )


def _action(
    repo: Repository,
    title: str,
    *,
    meeting_id: int | None = None,
    item_id: int | None = None,
    party: str = "joint",
    owner: str | None = None,
    due: str | None = None,
    when: str,
    priority: Priority | None = None,
) -> int:
    action = actions.add_action(
        repo,
        title=title,
        meeting_id=meeting_id,
        item_id=item_id,
        party=party,
        owner=owner,
        due=dt.date.fromisoformat(due) if due else None,
        priority=priority,
        level=None,
        now=at(when),
    )
    return action.id


def _set(repo: Repository, action_id: int, when: str, **fields: object) -> None:
    actions.set_action(repo, action_id, actions.ActionFields(**fields), now=at(when))


def _carry(repo: Repository, source: int, target: int, when: str) -> dict[int, AgendaItem]:
    """Carry SOURCE's open items into TARGET; returns the new items by their origin's id."""
    carried, _ = agenda.carry_agenda(repo, source, target, now=at(when), dry_run=False)
    return {origin.id: new for origin, new in carried}


def build_dialogue(path: Path) -> None:
    """Two years of the Mexico–US Consular Dialogue, as a clerk would have logged them.

    Today is 2023-04-24, the day SRE published Comunicado 176 on the intermediate
    meeting of 17–21 April 2023.
    """
    with open_for_writing(path) as repo:
        topics.load_catalog(repo, at("2022-10-01"))
        dialogues.add_dialogue(
            repo,
            name="Diálogo Consular México–Estados Unidos",
            key="mx-us",
            parties=["MX", "US"],
            established=PartialDate(2013),
            notes=None,
            now=at("2022-10-01"),
        )
        annual_2022 = _meeting(
            repo,
            "Reunión Anual del Diálogo Consular 2022",
            MeetingKind.ANNUAL,
            "2022-11-08",
            end="2022-11-09",
            location="Departamento de Estado, Washington, D.C.",
            host="US",
            delegations=[
                Delegation("MX", "Vanessa Calva Ruiz", "Directora General de Protección Consular"),
                Delegation(
                    "US", "Laura Ortiz Whitfield", "Subsecretaria Adjunta de Asuntos Consulares"
                ),
            ],
        )
        extraordinary = _meeting(
            repo,
            "Reunión extraordinaria sobre temporada de huracanes",
            MeetingKind.EXTRAORDINARY,
            "2023-01-24",
            location="Videoconferencia",
            status=MeetingStatus.CANCELLED,
        )
        labor = _meeting(
            repo,
            "Grupo de Trabajo de Movilidad Laboral",
            MeetingKind.WORKING_GROUP,
            "2023-03-15",
            location="Videoconferencia",
            delegations=[
                Delegation("MX", "Rocío Méndez Aguirre", "Directora de Protección a Trabajadores"),
                Delegation("US", "Daniel K. Foster", "Jefe de la Unidad de Visas de Trabajo"),
            ],
        )
        intermediate = _meeting(
            repo,
            "Reunión Intermedia del Diálogo Consular 2023",
            MeetingKind.INTERMEDIATE,
            "2023-04-17",
            end="2023-04-21",
            location="Secretaría de Relaciones Exteriores, Ciudad de México",
            host="MX",
            ref="Comunicado No. 176",
            delegations=[
                Delegation(
                    "MX",
                    "Vanessa Calva Ruiz",
                    "Directora General de Protección Consular y Planeación Estratégica de la SRE",
                ),
                Delegation(
                    "US",
                    "Daria Darnell",
                    "Ministra Consejera de Asuntos Consulares y de Consulados en la Embajada de "
                    "Estados Unidos en México",
                ),
            ],
        )
        annual_2023 = _meeting(
            repo,
            "Reunión Anual del Diálogo Consular 2023",
            MeetingKind.ANNUAL,
            "2023-10",
            location="Ciudad de México",
            host="MX",
        )
        intermediate_2024 = _meeting(
            repo,
            "Reunión Intermedia del Diálogo Consular 2024",
            MeetingKind.INTERMEDIATE,
            "2024-04",
            location="Washington, D.C.",
            host="US",
        )
        _meeting(
            repo,
            "Reunión Anual del Diálogo Consular 2024",
            MeetingKind.ANNUAL,
            "2024-11",
            location="Ciudad de México",
            host="MX",
        )
        assert extraordinary

        # 2022 annual meeting
        access = _item(
            repo,
            annual_2022,
            "Acceso consular a personas detenidas",
            "consular-access",
            AgendaStatus.IN_PROGRESS,
            "Se acordó revisar el protocolo de notificación en centros de detención.",
            "MX",
            when="2022-11-09",
        )
        h2 = _item(
            repo,
            annual_2022,
            "Visas H-2 y reclutamiento ético",
            "h2-visas",
            AgendaStatus.AGREED,
            "EE. UU. compartirá estadísticas trimestrales de visas H-2.",
            "US",
            when="2022-11-09",
        )
        abduction = _item(
            repo,
            annual_2022,
            "Sustracción internacional de menores",
            "child-abduction",
            AgendaStatus.RESOLVED,
            "Casos prioritarios atendidos; se cierra el punto.",
            "joint",
            when="2022-11-09",
        )
        protocol = _action(
            repo,
            "Enviar el protocolo actualizado de notificación consular",
            item_id=access.id,
            party="US",
            owner="Oficina de Servicios a Ciudadanos (CA/OCS)",
            due="2023-01-31",
            when="2022-11-09",
        )
        training = _action(
            repo,
            "Programar la capacitación conjunta sobre notificación consular",
            item_id=access.id,
            party="joint",
            owner="DGPC / CA",
            due="2023-03-15",
            priority=Priority.HIGH,
            when="2022-11-09",
        )
        statistics = _action(
            repo,
            "Compartir estadísticas trimestrales de visas H-2",
            item_id=h2.id,
            party="US",
            owner="CA/VO",
            due="2023-03-31",
            when="2022-11-09",
        )
        cases = _action(
            repo,
            "Cerrar los casos prioritarios de sustracción",
            item_id=abduction.id,
            party="joint",
            owner="Autoridades centrales",
            due="2022-12-15",
            when="2022-11-09",
        )
        visit = _action(
            repo,
            "Visita técnica a centros de detención en Texas",
            meeting_id=annual_2022,
            party="US",
            when="2022-11-09",
        )
        actions.complete_actions(repo, [cases], now=at("2022-12-12"))
        actions.complete_actions(repo, [protocol], now=at("2023-02-10"))
        _set(repo, visit, "2023-01-15", status=ActionStatus.CANCELLED)
        _set(repo, statistics, "2023-03-28", due=dt.date(2023, 5, 31))

        # labor-mobility working group, March 2023
        guide = _item(
            repo,
            labor,
            "Protección de trabajadores temporales H-2",
            "labor-mobility",
            AgendaStatus.DISCUSSED,
            "Se presentó la guía «Conoce tus derechos» para trabajadores H-2A y H-2B.",
            "MX",
            when="2023-03-15",
        )
        _action(
            repo,
            "Difundir la guía «Conoce tus derechos» en la red consular",
            item_id=guide.id,
            party="MX",
            owner="Red consular en EE. UU.",
            when="2023-03-15",
        )

        # 2023 intermediate meeting: the 2022 open items come back, with new ones
        carried = _carry(repo, annual_2022, intermediate, "2023-04-10")
        agenda.set_item(
            repo,
            carried[access.id].id,
            status=AgendaStatus.IN_PROGRESS,
            outcome="Avances en la notificación consular; queda pendiente la capacitación conjunta.",
            now=at("2023-04-21"),
        )
        agenda.set_item(
            repo,
            carried[h2.id].id,
            status=AgendaStatus.REFERRED,
            outcome="Remitido al grupo de trabajo de movilidad laboral.",
            now=at("2023-04-21"),
        )
        disasters = _item(
            repo,
            intermediate,
            "Asistencia consular en desastres naturales",
            "natural-disasters",
            AgendaStatus.AGREED,
            "Intercambio de buenas prácticas y de personal entre la SRE y el Departamento "
            "de Estado.",
            "joint",
            when="2023-04-21",
        )
        dual = _item(
            repo,
            intermediate,
            "Doble nacionalidad: vinculación y documentación",
            "dual-nationality",
            AgendaStatus.DISCUSSED,
            None,
            "MX",
            when="2023-04-21",
        )
        _item(
            repo,
            intermediate,
            "Pensiones alimenticias y adopciones internacionales",
            "child-support",
            AgendaStatus.RESOLVED,
            "Interlocución establecida con las autoridades correspondientes.",
            when="2023-04-21",
        )
        _action(
            repo,
            "Designar enlaces para el intercambio de personal",
            item_id=disasters.id,
            party="MX",
            owner="Dirección General de Protección Consular",
            due="2023-06-30",
            when="2023-04-21",
        )
        requirements = _action(
            repo,
            "Revisar los requisitos de registro de doble nacionalidad",
            item_id=dual.id,
            party="US",
            due="2023-03-31",
            when="2023-04-21",
        )
        _set(repo, requirements, "2023-04-21", due=dt.date(2023, 4, 12))
        _set(repo, requirements, "2023-04-21", status=ActionStatus.BLOCKED)
        communique = _action(
            repo,
            "Publicar el comunicado de la reunión intermedia",
            meeting_id=intermediate,
            party="MX",
            owner="Dirección General de Comunicación Social",
            due="2023-04-24",
            when="2023-04-21",
        )
        actions.complete_actions(repo, [communique], now=at("2023-04-24", 9))
        _set(repo, statistics, "2023-04-21", due=dt.date(2023, 6, 30))
        assert training

        # what the 2023 annual and 2024 intermediate meetings will take up
        _carry(repo, intermediate, annual_2023, "2023-04-24")
        _item(
            repo,
            intermediate_2024,
            "Capacitación de autoridades locales",
            "training",
            AgendaStatus.PENDING,
            when="2023-04-24",
        )


def build_hostile(path: Path) -> None:
    """Every field a user types holds markup, escapes, bidi controls, pipes and HTML."""
    with open_for_writing(path) as repo:
        topics.load_catalog(repo, NOW)
        dialogues.add_dialogue(
            repo,
            name="Diálogo " + HOSTILE,
            key="mx-us",
            parties=["MX", "US"],
            established=None,
            notes=HOSTILE,
            now=NOW,
        )
        topics.edit_topic(repo, "consular-access", name_es=HOSTILE, name_en=HOSTILE, now=NOW)
        held = _meeting(
            repo,
            HOSTILE,
            MeetingKind.INTERMEDIATE,
            "2023-04-17",
            end="2023-04-21",
            location=HOSTILE,
            host="MX",
            ref=HOSTILE,
            delegations=[Delegation("MX", HOSTILE, HOSTILE), Delegation("US", HOSTILE, None)],
        )
        planned = _meeting(repo, HOSTILE, MeetingKind.ANNUAL, "2023-10", location=HOSTILE)
        item = _item(
            repo,
            held,
            HOSTILE,
            "consular-access",
            AgendaStatus.IN_PROGRESS,
            HOSTILE,
            when="2023-04-21",
        )
        first = _action(
            repo,
            HOSTILE,
            item_id=item.id,
            party="MX",
            owner=HOSTILE,
            due="2023-04-01",
            when="2023-04-21",
        )
        _set(repo, first, "2023-04-21", due=dt.date(2023, 4, 10))
        _action(repo, HOSTILE, meeting_id=held, owner=HOSTILE, when="2023-04-21")
        done = _action(repo, HOSTILE, meeting_id=held, party="US", when="2023-04-21")
        actions.complete_actions(repo, [done], now=at("2023-04-23"))
        _carry(repo, held, planned, "2023-04-22")


@pytest.fixture(scope="session")
def dialogue_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("dialogue") / "tracker.json"
    build_dialogue(path)
    return path


@pytest.fixture(scope="session")
def hostile_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("hostile") / "tracker.json"
    build_hostile(path)
    return path


@pytest.fixture
def repo(dialogue_db: Path) -> Repository:
    return open_for_reading(dialogue_db)


@pytest.fixture
def hostile(hostile_db: Path) -> Repository:
    return open_for_reading(hostile_db)


def _meeting_id(repo: Repository, date: str) -> int:
    return next(m.id for m in meetings.list_meetings(repo) if m.date.iso == date)


def intermediate_id(repo: Repository) -> int:
    """The April 2023 intermediate meeting (in both datasets)."""
    return _meeting_id(repo, "2023-04-17")


def annual_2023_id(repo: Repository) -> int:
    """The annual meeting planned for October 2023 (in both datasets)."""
    return _meeting_id(repo, "2023-10")


def all_reports(repo: Repository, lang: str) -> dict[str, reports.Report]:
    return {
        "meeting": reports.build_meeting_report(repo, intermediate_id(repo), TODAY, lang),
        "standing": reports.build_standing_report(repo, None, TODAY, lang),
        "briefing": reports.build_briefing(repo, annual_2023_id(repo), TODAY, lang),
    }


# ---- the rule that keeps reports pure --------------------------------------------------


def test_reports_module_imports_no_typer_rich_or_tinydb() -> None:
    source = Path(reports.__file__).read_text(encoding="utf-8")
    imported: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            imported.add(node.module.split(".")[0])
    assert not imported & {"typer", "rich", "tinydb", "click"}


def test_format_registry_feeds_the_cli_choices() -> None:
    from consular_dialogue.cli import report as report_cli

    assert set(reports.FORMATS) == {"text", "markdown", "html", "json"}
    assert "|".join(reports.FORMATS) == report_cli.FORMAT_HELP


# ---- golden files: every report, format and language -----------------------------------


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("output_format", list(FORMAT_SUFFIX))
def test_reports_match_golden_files(repo: Repository, lang: str, output_format: str) -> None:
    render = reports.FORMATS[output_format]
    for name, report in all_reports(repo, lang).items():
        check_golden(f"{name}.{lang}.{FORMAT_SUFFIX[output_format]}", render(report))


def test_text_report_wraps_to_a_narrow_width(repo: Repository) -> None:
    report = reports.build_meeting_report(repo, intermediate_id(repo), TODAY, "es")
    text = reports.to_text(report, width=60)
    check_golden("meeting.es.w60.txt", text)
    assert max(len(line) for line in text.splitlines()) <= 60


@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize("width", [100, 60])
@pytest.mark.parametrize("dataset", ["repo", "hostile"])
def test_a_standing_reports_two_shares_make_its_whole_text(
    dataset: str, width: int, lang: str, request: pytest.FixtureRequest
) -> None:
    """Each share built alone (no action read for the first, no item for the second)
    and written alone: one after the other, they are the text of the whole report."""
    repo: Repository = request.getfixturevalue(dataset)
    whole = reports.to_text(reports.build_standing_report(repo, None, TODAY, lang), width=width)
    shares = [
        reports.to_text(
            reports.build_standing_report(repo, None, TODAY, lang, share=share),
            width=width,
            share=share,
        )
        for share in (0, 1)
    ]
    assert all(shares) and shares[0] + shares[1] == whole


def test_only_a_standing_report_is_written_in_shares(repo: Repository) -> None:
    report = reports.build_meeting_report(repo, intermediate_id(repo), TODAY, "en")
    with pytest.raises(ValueError, match="only a standing report"):
        reports.to_text(report, share=0)


# ---- what the view models say ----------------------------------------------------------


def test_meeting_report_has_header_items_actions_and_summary(repo: Repository) -> None:
    report = reports.build_meeting_report(repo, intermediate_id(repo), TODAY, "es")
    header = report.meeting
    assert header.dialogue_name == "Diálogo Consular México–Estados Unidos"
    assert (header.kind_name, header.status_name) == ("Intermedia", "celebrada")
    assert header.when == "17–21 de abril de 2023"
    assert [d.head for d in header.delegations] == ["Vanessa Calva Ruiz", "Daria Darnell"]
    assert [i.title for i in report.items][:2] == [
        "Acceso consular a personas detenidas",
        "Visas H-2 y reclutamiento ético",
    ]
    assert report.items[0].carried_from is not None
    by_title = {i.title: i for i in report.items}
    dual = by_title["Doble nacionalidad: vinculación y documentación"]
    assert [(a.party, a.status, a.overdue) for a in dual.actions] == [("US", "blocked", True)]
    assert [a.title for a in report.other_actions] == [
        "Publicar el comunicado de la reunión intermedia"
    ]
    assert {(s.status, s.count) for s in report.items_by_status} == {
        ("in-progress", 1),
        ("referred", 1),
        ("agreed", 1),
        ("discussed", 1),
        ("resolved", 1),
    }
    assert report.actions == reports.ActionCounts(open=2, overdue=1, done=1, cancelled=0)


def test_standing_report_keeps_only_the_newest_link_of_each_chain(repo: Repository) -> None:
    report = reports.build_standing_report(repo, "mx-us", TODAY, "en")
    assert report.last_meeting is not None
    assert report.last_meeting.title == "Reunión Intermedia del Diálogo Consular 2023"
    assert report.next_meeting is not None and report.next_meeting.date == "2023-10"
    access = next(g for g in report.open_items if g.topic == "consular-access")
    assert len(access.items) == 1
    (newest,) = access.items
    assert newest.meeting.date == "2023-10"
    assert (newest.times_carried, newest.since) == (2, "2022-11-08")
    # resolved items never show; the labor-mobility item has no carry
    slugs = {g.topic for g in report.open_items}
    assert "child-abduction" not in slugs and "child-support" not in slugs
    assert "labor-mobility" in slugs


def test_standing_report_groups_actions_by_party_overdue_first(repo: Repository) -> None:
    report = reports.build_standing_report(repo, "mx-us", TODAY, "es")
    parties = {g.party: g for g in report.actions_by_party}
    assert list(parties) == ["MX", "US", "joint"]
    assert parties["joint"].name == "conjunta"
    us = parties["US"]
    assert (us.open, us.overdue) == (2, 1)
    assert [a.overdue for a in us.actions] == [True, False]
    mx = parties["MX"]
    assert [a.due for a in mx.actions] == ["2023-06-30", None]  # undated last
    assert report.completed_since == "2023-04-21"
    assert [a.title for a in report.completed] == [
        "Publicar el comunicado de la reunión intermedia"
    ]


def test_a_party_s_open_actions_run_overdue_then_by_due_date_then_undated_ties_by_id(
    tmp_path: Path,
) -> None:
    dues = ["2023-05-10", None, "2023-04-01", "2023-05-10", "2023-03-15", None, "2023-04-01"]
    with open_for_writing(tmp_path / "order.json") as repo:
        dialogues.add_dialogue(
            repo,
            name="Diálogo",
            key="mx-us",
            parties=["MX", "US"],
            established=None,
            notes=None,
            now=NOW,
        )
        meeting = _meeting(repo, "Reunión", MeetingKind.ANNUAL, "2023-10-16")
        ids = [
            _action(repo, f"Acción {n}", meeting_id=meeting, party="MX", due=due, when="2023-04-01")
            for n, due in enumerate(dues)
        ]
    repo = open_for_reading(tmp_path / "order.json")
    standing = reports.build_standing_report(repo, "mx-us", TODAY, "en")
    briefing = reports.build_briefing(repo, meeting, TODAY, "en")
    for [mx] in (standing.actions_by_party, briefing.actions_by_party):
        shown = [(a.action_id, a.due, a.overdue) for a in mx.actions]
        assert shown == [
            (ids[4], "2023-03-15", True),
            (ids[2], "2023-04-01", True),
            (ids[6], "2023-04-01", True),
            (ids[0], "2023-05-10", False),
            (ids[3], "2023-05-10", False),
            (ids[1], None, False),
            (ids[5], None, False),
        ]
        assert (mx.open, mx.overdue) == (7, 3)


def test_briefing_counts_carries_slips_and_last_outcomes(repo: Repository) -> None:
    briefing = reports.build_briefing(repo, annual_2023_id(repo), TODAY, "en")
    carried = {c.item.title: c for c in briefing.carried_in}
    access = carried["Acceso consular a personas detenidas"]
    assert (access.times_carried, access.since) == (2, "2022-11-08")
    assert access.last_status == "in-progress"
    assert access.last_outcome is not None and access.last_outcome.startswith("Avances")
    assert carried["Doble nacionalidad: vinculación y documentación"].times_carried == 1
    slips = {s.action.title: s for s in briefing.slips}
    statistics = slips["Compartir estadísticas trimestrales de visas H-2"]
    assert (statistics.changes, statistics.first_due, statistics.latest_due) == (
        2,
        "2023-03-31",
        "2023-06-30",
    )
    assert slips["Revisar los requisitos de registro de doble nacionalidad"].changes == 1
    outcomes = {o.topic: o for o in briefing.last_outcomes}
    assert outcomes["consular-access"].meeting.date == "2023-04-17"
    assert outcomes["h2-visas"].outcome == "Remitido al grupo de trabajo de movilidad laboral."
    assert "dual-nationality" not in outcomes  # never had an outcome
    first = briefing.actions_by_party[0]
    assert first.party == "MX"


def test_dates_in_words_follow_the_language() -> None:
    start, end = PartialDate(2023, 4, 30), PartialDate(2023, 5, 2)
    assert reports.span_words(start, end, "en") == "30 April – 2 May 2023"
    assert reports.span_words(start, end, "es") == "30 de abril – 2 de mayo de 2023"
    assert reports.span_words(PartialDate(2023, 10), None, "es") == "octubre de 2023"
    assert reports.span_words(PartialDate(2023, 10), None, "en", with_year=False) == "October"
    assert (
        reports.span_words(PartialDate(2023, 12, 30), PartialDate(2024, 1, 2), "en")
        == "30 December 2023 – 2 January 2024"
    )


def test_unknown_meeting_and_several_dialogues_are_clear_errors(
    repo: Repository, tmp_path: Path
) -> None:
    with pytest.raises(NotFoundError, match="Meeting 999 does not exist"):
        reports.build_meeting_report(repo, 999, TODAY, "en")
    path = tmp_path / "two.json"
    build_dialogue(path)
    with open_for_writing(path) as writable:
        dialogues.add_dialogue(
            writable, name="Otro", key="other", parties=["MX", "GT"], established=None,
            notes=None, now=NOW,
        )  # fmt: skip
    with pytest.raises(InputError, match="--dialogue"):
        reports.build_standing_report(open_for_reading(path), None, TODAY, "en")


def test_empty_file_reports_no_meetings_rather_than_failing(tmp_path: Path) -> None:
    empty = open_for_reading(tmp_path / "none.json")
    timeline = reports.build_meeting_timeline(empty, None, TODAY, "en")
    assert timeline.entries == (reports.TodayMarker(TODAY),)


# ---- hostile text stays text -----------------------------------------------------------


def _no_raw_controls(text: str) -> None:
    assert "\x1b" not in text and "\x07" not in text
    assert "\u202e" not in text and "\u202c" not in text


@pytest.mark.parametrize("lang", LANGS)
def test_hostile_text_is_literal_in_text_reports(hostile: Repository, lang: str) -> None:
    for report in all_reports(hostile, lang).values():
        text = reports.to_text(report)
        _no_raw_controls(text)
        assert "[link=http://x]y[/link] [/]" in text
        assert "\\x1b[31m" in text and "\\u202e" in text
        assert "<script>alert(1)</script>" in text  # plain text: nothing to run


class _TagCollector(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.links: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.links += [(k, v) for k, v in attrs if k in {"href", "src"}]


@pytest.mark.parametrize("lang", LANGS)
def test_hostile_text_is_inert_in_html(hostile: Repository, lang: str) -> None:
    for report in all_reports(hostile, lang).values():
        page = reports.to_html(report)
        _no_raw_controls(page)
        parser = _TagCollector()
        parser.feed(page)
        allowed = {"html", "head", "meta", "title", "style", "body", "main", "h1", "h2", "h3"}
        allowed |= {"h4", "p", "section", "table", "thead", "tbody", "tr", "th", "td", "br"}
        assert parser.tags <= allowed
        assert parser.links == []
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert f'<html lang="{lang}">' in page


def _table_rows(markdown: str) -> list[str]:
    return [line for line in markdown.splitlines() if line.startswith("|")]


@pytest.mark.parametrize("lang", LANGS)
def test_hostile_text_is_inert_in_markdown(hostile: Repository, lang: str) -> None:
    for report in all_reports(hostile, lang).values():
        text = reports.to_markdown(report)
        _no_raw_controls(text)
        assert "<script>" not in text and "<b>" not in text
        assert "&lt;script&gt;" in text
        assert "\\[md\\](http://x)" in text  # no link
        # every row of a table keeps its number of cells: user pipes are escaped
        rows = _table_rows(text)
        assert rows
        for row in rows:
            cells = re.split(r"(?<!\\)\|", row)
            assert len(cells) >= 3
        tables = re.split(r"\n(?!\|)", text)
        for block in tables:
            lines = _table_rows(block)
            if lines:
                counts = {len(re.split(r"(?<!\\)\|", line)) for line in lines}
                assert len(counts) == 1, lines


@pytest.mark.parametrize("lang", LANGS)
def test_hostile_text_survives_json_as_data(hostile: Repository, lang: str) -> None:
    for report in all_reports(hostile, lang).values():
        text = reports.to_json(report)
        _no_raw_controls(text)
        data = json.loads(text)
        assert HOSTILE in json.dumps(data, ensure_ascii=False) or HOSTILE in _strings(data)


def _strings(value: object) -> set[str]:
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        return set().union(*(_strings(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_strings(v) for v in value)) if value else set()
    return set()


def test_json_carries_the_same_content_as_data(repo: Repository) -> None:
    report = reports.build_briefing(repo, annual_2023_id(repo), TODAY, "es")
    data = json.loads(reports.to_json(report))
    assert data["report"] == "briefing"
    assert data["lang"] == "es" and data["today"] == "2023-04-24"
    assert data["meeting"]["when"] == "octubre de 2023"
    carried = {c["item"]["title"]: c for c in data["carried_in"]}
    assert carried["Acceso consular a personas detenidas"]["times_carried"] == 2


# ---- -o FILE ---------------------------------------------------------------------------


def test_report_file_is_new_private_and_never_the_data_file(tmp_path: Path) -> None:
    from consular_dialogue.cli.common import write_file

    db = tmp_path / "tracker.json"
    db.write_text("{}", encoding="utf-8")
    target = tmp_path / "report.md"
    written = write_file(str(target), b"uno\n", db_path=db, force=False)
    assert written == target and target.read_text(encoding="utf-8") == "uno\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    with pytest.raises(InputError, match="--force"):
        write_file(str(target), b"dos\n", db_path=db, force=False)
    assert target.read_text(encoding="utf-8") == "uno\n"
    write_file(str(target), b"dos\n", db_path=db, force=True)
    assert target.read_text(encoding="utf-8") == "dos\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    for path in (db, tmp_path / "." / "tracker.json"):
        with pytest.raises(InputError, match="data file"):
            write_file(str(path), b"x", db_path=db, force=True)
    link = tmp_path / "link.json"
    link.symlink_to(db)
    with pytest.raises(InputError, match="data file"):
        write_file(str(link), b"x", db_path=db, force=True)
    assert db.read_text(encoding="utf-8") == "{}"
    with pytest.raises(InputError, match="does not exist"):
        write_file(str(tmp_path / "missing" / "r.md"), b"x", db_path=db, force=False)
    with pytest.raises(InputError, match="folder"):
        write_file(str(tmp_path), b"x", db_path=db, force=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.json", "report.md", "tracker.json"]


# ---- the HTML prints ---------------------------------------------------------------------


@pytest.mark.skipif(
    shutil.which("chromium") is None,
    reason="Chromium is not installed (apt-get install chromium) so the HTML cannot be printed",
)
def test_html_report_prints_to_pdf_in_headless_chromium(repo: Repository, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(reports.to_html(all_reports(repo, "es")["meeting"]), encoding="utf-8")
    pdf = tmp_path / "out.pdf"
    chromium = shutil.which("chromium")
    assert chromium is not None
    result = subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--print-to-pdf={pdf}",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert pdf.exists() and pdf.read_bytes().startswith(b"%PDF")


@given(
    st.text(alphabet="  ab\u00e9-\tx\n\u00a0\r", max_size=40),
    st.integers(min_value=1, max_value=16),
)
def test_wrapping_a_cell_gives_what_textwrap_gives_short_and_long_cells_included(
    text: str, width: int
) -> None:
    import textwrap

    expected = [
        line
        for paragraph in text.split("\n")
        for line in textwrap.wrap(
            paragraph.expandtabs(4), width=width, break_long_words=True, break_on_hyphens=False
        )
        or [""]
    ]
    assert reports._wrap(text, width) == expected


_CELLS = st.text(alphabet="ab é\n\x1b{}", max_size=30)


def test_a_text_table_prints_braces_and_percent_signs_in_its_cells_as_typed() -> None:
    """A row's lines come from a format template: a cell is its argument, never part of it."""
    grid = reports.Grid(
        ("Id", "Title"),
        (reports.Row(("{0}", "{:>30} {title!r}")), reports.Row(("%s", "%(title)s %d%% %-9s"))),
    )
    assert reports._text_grid(grid, 80, "  ") == [
        "  Id   Title",
        "  ---  -------------------",
        "  {0}  {:>30} {title!r}",
        "  %s   %(title)s %d%% %-9s",
    ]


def test_only_the_columns_that_give_way_are_asked_their_longest_word() -> None:
    """Ids and dates keep their width: their thousands of cells are never split in words."""
    asked: list[int] = []

    def floor(column: int) -> int:
        asked.append(column)
        return [5, 9, 10, 8, 16, 10][column]

    widths = reports._fit([5, 27, 20, 11, 98, 10], floor, 88)
    assert (widths, sorted(asked)) == ([5, 9, 20, 11, 33, 10], [1, 4])
    assert reports._fit([5, 10, 20], floor, 88) == [5, 10, 20] and asked == [1, 4]


@given(
    st.lists(st.tuples(_CELLS, _CELLS, _CELLS), min_size=1, max_size=6),
    st.integers(min_value=22, max_value=60),  # three columns of at least 6, two gaps
)
def test_a_text_table_draws_a_repeated_row_as_it_draws_it_once(
    rows: list[tuple[str, str, str]], width: int
) -> None:
    """Cells that repeat are wrapped once: each repeat must still get all of its lines."""
    headers = ("One", "Two", "Three")
    once = reports._text_grid(reports.Grid(headers, tuple(map(reports.Row, rows))), width, "")
    twice = reports._text_grid(
        reports.Grid(headers, tuple(map(reports.Row, rows + rows))), width, ""
    )
    head, body = once[:2], once[2:]
    assert twice == head + body + body
    assert all(len(line) <= width for line in twice)
    assert all("\x1b" not in line for line in twice)

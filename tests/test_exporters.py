"""The exporters, in process: golden files, round trips, and hostile text.

Golden files live in tests/golden/exports/, one per kind, format and language,
all rendered from ``realistic_dataset()`` with a fixed ``today``/``now``.
After an intended change, regenerate them and review the diff:

    UPDATE_GOLDEN=1 pytest tests/test_exporters.py

Excel workbooks are compared as a text dump of their cells and layout (see
``dump_workbook``), which is stable and readable in a diff; the zip bytes are
checked for determinism separately.
"""

from __future__ import annotations

import ast
import csv
import datetime as dt
import io
import itertools
import json
import os
import re
import subprocess
import sys
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from conftest import base_env
from hypothesis import given
from hypothesis import strategies as st

from consular_dialogue.dates import PartialDate
from consular_dialogue.errors import InputError
from consular_dialogue.exporters import (
    FORMATS,
    ExportContext,
    Rendered,
    export_actions,
    export_meetings,
    format_names,
    get_format,
)
from consular_dialogue.exporters.text import defuse_formula
from consular_dialogue.models import (
    Action,
    ActionStatus,
    AgendaItem,
    AgendaStatus,
    Delegation,
    Dialogue,
    Level,
    Meeting,
    MeetingKind,
    MeetingLine,
    MeetingStatus,
    Note,
    Priority,
    Topic,
    item_topic,
    meeting_title,
)
from consular_dialogue.text import clean, escape_cell

GOLDEN = Path(__file__).parent / "golden" / "exports"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
PACKAGE = Path(__file__).resolve().parents[1] / "consular_dialogue"

TODAY = dt.date(2024, 9, 2)
NOW = dt.datetime(2024, 9, 2, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=-6)))
LANGS = ("en", "es")


def fixed_uuid(kind: int, n: int) -> str:
    return f"5f0c1e2a-{kind:04d}-4a5b-9c3d-{n:012d}"


# ---- the realistic dataset: two years of the Mexico–US Consular Dialogue ----------


@dataclass
class Dataset:
    dialogue: Dialogue
    meetings: list[Meeting]
    items: list[AgendaItem]
    topics: list[Topic]
    actions: list[Action]
    extra: dict[str, Any] = field(default_factory=dict)

    def context(self, lang: str = "en") -> ExportContext:
        return ExportContext(
            today=TODAY,
            now=NOW,
            lang=lang,
            meeting_titles={m.id: m.title for m in self.meetings},
            item_topics={i.id: i.topic for i in self.items},
            topics={t.slug: t for t in self.topics},
        )

    def meetings_by_date(self) -> list[Meeting]:
        """The order ``list_meetings`` gives."""
        return sorted(self.meetings, key=Meeting.sort_key)

    def actions_by_due(self) -> list[Action]:
        """The order ``list_actions`` gives: by due date, undated last."""
        return sorted(self.actions, key=lambda a: (a.due is None, a.due or dt.date.max, a.id))


def _meeting(n: int, **values: Any) -> Meeting:
    return Meeting(
        id=n,
        uuid=fixed_uuid(1, n),
        dialogue="consular",
        updated=values.pop("updated", "2024-05-02T12:00:00-06:00"),
        **values,
    )


def _action(n: int, **values: Any) -> Action:
    return Action(
        id=n,
        uuid=fixed_uuid(2, n),
        created=values.pop("created", "2023-04-24T10:00:00-06:00"),
        updated=values.pop("updated", "2024-05-02T12:00:00-06:00"),
        **values,
    )


def realistic_dataset() -> Dataset:
    """Fresh records each call (tests and the CLI tests' data file may change them)."""
    dialogue = Dialogue(
        id=1,
        uuid=fixed_uuid(0, 1),
        key="consular",
        name="Diálogo Consular México–Estados Unidos",
        parties=["MX", "US"],
        established=PartialDate(2013),
        updated="2023-04-24T10:00:00-06:00",
    )
    meetings = [
        _meeting(
            1,
            title="Reunión Intermedia del Diálogo Consular México-Estados Unidos 2023",
            kind=MeetingKind.INTERMEDIATE,
            date=PartialDate(2023, 4, 17),
            end_date=PartialDate(2023, 4, 21),
            location="Secretaría de Relaciones Exteriores, Ciudad de México",
            host="MX",
            status=MeetingStatus.HELD,
            ref_text="Comunicado No. 176",
            summary=(
                "Se revisaron los avances en acceso consular, asistencia en desastres "
                "naturales, asuntos de la infancia y visas H2."
            ),
            delegations=[
                Delegation(
                    "MX",
                    head="Vanessa Calva Ruiz",
                    title="Directora General de Protección Consular y Planeación Estratégica",
                ),
                Delegation(
                    "US",
                    head="Daria Darnell",
                    title="Ministra Consejera de Asuntos Consulares",
                ),
            ],
            level=Level.PUBLIC,
            updated="2023-04-24T10:00:00-06:00",
        ),
        _meeting(
            2,
            title="Reunión Anual del Diálogo Consular 2023",
            kind=MeetingKind.ANNUAL,
            date=PartialDate(2023, 10),
            location="Ciudad de México",
            host="MX",
            status=MeetingStatus.PLANNED,
            ref_text="Comunicado No. 176",
            summary="Prevista para octubre en la Ciudad de México.",
        ),
        _meeting(
            3,
            title="Grupo de trabajo de movilidad laboral",
            kind=MeetingKind.WORKING_GROUP,
            date=PartialDate(2023, 6, 13),
            location="Videoconferencia",
            status=MeetingStatus.HELD,
        ),
        _meeting(
            4,
            title="Reunión Intermedia 2024",
            kind=MeetingKind.INTERMEDIATE,
            date=PartialDate(2024, 4, 15),
            end_date=PartialDate(2024, 4, 16),
            location="Washington, D.C.",
            host="US",
            status=MeetingStatus.HELD,
            summary="Seguimiento de casos de menores; intercambio de enlaces.",
        ),
        _meeting(
            5,
            title="Reunión Anual 2024",
            kind=MeetingKind.ANNUAL,
            date=PartialDate(2024, 11, 5),
            end_date=PartialDate(2024, 11, 7),
            location="Ciudad de México",
            host="MX",
            status=MeetingStatus.PLANNED,
        ),
    ]
    topics = [
        Topic(id=1, uuid=fixed_uuid(3, 1), slug="consular-access", name_es="Acceso consular", name_en="Consular access"),
        Topic(id=2, uuid=fixed_uuid(3, 2), slug="h2-visas", name_es="Visas H-2", name_en="H-2 visas"),
        Topic(id=3, uuid=fixed_uuid(3, 3), slug="labor-mobility", name_es="Movilidad laboral", name_en="Labor mobility"),
        Topic(id=4, uuid=fixed_uuid(3, 4), slug="child-abduction", name_es="Sustracción internacional de menores", name_en="International child abduction"),
    ]  # fmt: skip
    items = [
        AgendaItem(id=1, uuid=fixed_uuid(4, 1), meeting_id=1, position=1, title="Acceso y notificación consular", topic="consular-access", status=AgendaStatus.DISCUSSED),
        AgendaItem(id=2, uuid=fixed_uuid(4, 2), meeting_id=1, position=2, title="Emisión de visas H2", topic="h2-visas", status=AgendaStatus.AGREED),
        AgendaItem(id=3, uuid=fixed_uuid(4, 3), meeting_id=3, position=1, title="Piloto de movilidad laboral", topic="labor-mobility"),
        AgendaItem(id=4, uuid=fixed_uuid(4, 4), meeting_id=4, position=1, title="Sustracción de menores", topic="child-abduction", status=AgendaStatus.IN_PROGRESS),
    ]  # fmt: skip
    actions = [
        _action(
            1,
            meeting_id=1,
            item_id=2,
            title="Compartir estadísticas de visas H-2 del año fiscal 2023",
            party="US",
            owner="CA/VO",
            due=dt.date(2023, 6, 30),
            status=ActionStatus.DONE,
            priority=Priority.HIGH,
            completed=dt.date(2023, 6, 28),
            notes=[Note("2023-06-28T17:05:00-06:00", "Enviadas por correo a la DGPC.")],
        ),
        _action(
            2,
            meeting_id=1,
            item_id=1,
            title="Actualizar el protocolo de notificación consular en centros de detención",
            party="MX",
            owner="Dirección General de Protección Consular",
            due=dt.date(2023, 9, 30),
            notes=[
                Note(
                    "2023-09-12T09:00:00-06:00",
                    "Borrador en revisión jurídica; falta el visto bueno de la Consultoría.",
                )
            ],
        ),
        _action(
            3,
            meeting_id=1,
            item_id=1,
            title="Organizar capacitación conjunta sobre acceso consular para autoridades de Texas",
            party="joint",
            owner="Consulado General en Houston",
            due=dt.date(2024, 10, 15),
            status=ActionStatus.IN_PROGRESS,
            notes=[
                Note(
                    "2024-05-02T12:00:00-06:00",
                    "Sede propuesta: Houston.\nFechas tentativas: 14–15 de octubre.",
                ),
                Note("2024-06-10T08:30:00-06:00", "Se sumó el Consulado en Dallas."),
            ],
        ),
        _action(
            4,
            meeting_id=2,
            title="Definir agenda y sede de la Reunión Anual",
            party="joint",
            owner="SRE – Dirección General de Protección Consular",
        ),
        _action(
            5,
            meeting_id=3,
            item_id=3,
            title="Presentar propuesta de piloto de movilidad laboral",
            party="MX",
            owner="Unidad de Asuntos Consulares",
            due=dt.date(2023, 8, 1),
            status=ActionStatus.CANCELLED,
            priority=Priority.LOW,
        ),
        _action(
            6,
            meeting_id=4,
            item_id=4,
            title="Revisar casos pendientes de sustracción internacional de menores",
            party="US",
            owner="Office of Children's Issues",
            due=dt.date(2024, 6, 30),
            status=ActionStatus.BLOCKED,
            priority=Priority.HIGH,
            level=Level.RESTRICTED,
            created="2024-04-16T18:00:00-04:00",
        ),
        _action(
            7,
            meeting_id=4,
            title="Intercambiar directorios de enlaces para emergencias y desastres naturales",
            party="joint",
            due=dt.date(2024, 9, 15),
            priority=Priority.LOW,
            created="2024-04-16T18:00:00-04:00",
        ),
        _action(
            8,
            meeting_id=4,
            title="Publicar la relatoría de la Reunión Intermedia 2024",
            party="MX",
            owner="Embajada de México en Washington — Sección Consular",
            level=Level.PUBLIC,
            created="2024-04-16T18:00:00-04:00",
        ),
    ]
    return Dataset(dialogue, meetings, items, topics, actions)


# ---- the hostile dataset: text that tries to become markup, code or a formula ------

HOSTILE_TEXTS = [
    "[link=http://x]y[/link] and [/] and [bold]",
    "\x1b[31mred\x1b[0m and \x1b]8;;http://x\x07link\x1b]8;;\x07",
    "\u202eevil\u202c reversed",
    "line one\nline two\r\nline three\rend",
    "a | pipe || and \\| escaped",
    "<script>alert(1)</script> & <b>bold</b>",
    '=HYPERLINK("http://x","click")',
    "+1",
    "-2",
    "@SUM(A1)",
    "\tTabbed",
    "*star* _under_ `code` ~strike~ \\back\\slash",
    "\x07bell \x9b csi \x85 nel",
]


def hostile_dataset() -> Dataset:
    data = realistic_dataset()
    for n, text in enumerate(HOSTILE_TEXTS):
        data.actions.append(
            _action(
                100 + n,
                meeting_id=1 + n % 5,
                title=text,
                owner=HOSTILE_TEXTS[(n + 1) % len(HOSTILE_TEXTS)],
                due=dt.date(2024, 1, 1) + dt.timedelta(days=n),
                notes=[
                    Note("2024-01-01T00:00:00+00:00", HOSTILE_TEXTS[(n + 2) % len(HOSTILE_TEXTS)])
                ],
            )
        )
        data.meetings.append(
            _meeting(
                100 + n,
                title=text,
                kind=MeetingKind.OTHER,
                date=PartialDate(2024, 2, 1 + n),
                location=HOSTILE_TEXTS[(n + 3) % len(HOSTILE_TEXTS)],
                summary=HOSTILE_TEXTS[(n + 4) % len(HOSTILE_TEXTS)],
                ref_text=HOSTILE_TEXTS[(n + 5) % len(HOSTILE_TEXTS)],
            )
        )
    return data


# ---- helpers ----------------------------------------------------------------------


def render(kind: str, name: str, data: Dataset, lang: str = "en") -> Rendered:
    if kind == "actions":
        return export_actions(name, data.actions_by_due(), data.context(lang))
    return export_meetings(name, data.meetings_by_date(), data.context(lang))


def read_csv(payload: bytes) -> list[list[str]]:
    assert payload.startswith(b"\xef\xbb\xbf"), "Excel needs the BOM to read UTF-8"
    return list(csv.reader(io.StringIO(payload.decode("utf-8-sig"), newline="")))


def load_workbook(payload: bytes) -> Any:
    import openpyxl

    return openpyxl.load_workbook(io.BytesIO(payload))


def dump_workbook(payload: bytes) -> str:
    """A readable, stable picture of a workbook: layout, properties, every cell."""
    from openpyxl.utils import get_column_letter

    book = load_workbook(payload)
    lines = [f"sheets: {book.sheetnames}"]
    props = book.properties
    lines.append(f"creator: {props.creator}; created: {props.created}; modified: {props.modified}")
    for sheet in book.worksheets:
        lines.append(f"sheet {sheet.title!r}: dimensions {sheet.dimensions}")
        lines.append(f"freeze: {sheet.freeze_panes}; filter: {sheet.auto_filter.ref}")
        widths = [
            f"{get_column_letter(c)}={sheet.column_dimensions[get_column_letter(c)].width:g}"
            for c in range(1, sheet.max_column + 1)
        ]
        lines.append("widths: " + " ".join(widths))
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value is None:
                    continue
                marks = [cell.data_type]
                if cell.number_format != "General":
                    marks.append(cell.number_format)
                if cell.font.bold:
                    marks.append("bold")
                if cell.quotePrefix:
                    marks.append("quote")
                if cell.alignment.wrap_text:
                    marks.append("wrap")
                lines.append(f"{cell.coordinate} [{' '.join(marks)}] {cell.value!r}")
    return "\n".join(lines) + "\n"


def golden_name(kind: str, name: str, lang: str) -> str:
    suffix = FORMATS[(kind, name)].suffix  # type: ignore[index]
    return f"{kind}.{lang}{suffix}" + (".txt" if name == "xlsx" else "")


def check_golden(file_name: str, payload: bytes) -> None:
    path = GOLDEN / file_name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(payload)
        return
    assert path.exists(), f"{path} is missing; run UPDATE_GOLDEN=1 pytest {__file__}"
    expected = path.read_bytes()
    if payload != expected:
        # Show a text diff (pytest prints it) rather than two opaque byte strings.
        assert payload.decode("utf-8") == expected.decode("utf-8")
        assert payload == expected  # differs only in line ends or the BOM


ALL_FORMATS = sorted(FORMATS)


# ---- golden files -------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(("kind", "name"), ALL_FORMATS)
def test_golden(kind: str, name: str, lang: str) -> None:
    rendered = render(kind, name, realistic_dataset(), lang)
    payload = dump_workbook(rendered.data).encode() if name == "xlsx" else rendered.data
    check_golden(golden_name(kind, name, lang), payload)


def test_every_golden_file_is_used() -> None:
    expected = {golden_name(k, n, lang) for k, n in ALL_FORMATS for lang in LANGS}
    present = {p.name for p in GOLDEN.iterdir() if not p.name.startswith(".")}
    assert present == expected


# ---- the registry ---------------------------------------------------------------


def test_registry_lists_the_formats_of_each_kind() -> None:
    assert format_names("actions") == ["csv", "json", "markdown", "ics", "xlsx"]
    assert format_names("meetings") == ["csv", "json", "ics"]
    assert get_format("actions", " CSV ").name == "csv"
    assert get_format("actions", "xlsx").binary
    assert not any(f.binary for f in FORMATS.values() if f.name != "xlsx")


@pytest.mark.parametrize(("kind", "name"), [("actions", "pdf"), ("meetings", "xlsx")])
def test_unknown_format_is_refused_with_the_choices(kind: Any, name: str) -> None:
    with pytest.raises(InputError, match="use one of: csv, json"):
        get_format(kind, name)


@pytest.mark.parametrize(("kind", "name"), ALL_FORMATS)
def test_empty_exports_are_valid(kind: str, name: str) -> None:
    empty = Dataset(realistic_dataset().dialogue, [], [], [], [])
    rendered = render(kind, name, empty)
    assert isinstance(rendered.data, bytes) and rendered.data
    assert rendered.left_out == ()


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("path", sorted((PACKAGE / "exporters").glob("*.py")), ids=lambda p: p.name)
def test_exporters_never_import_the_cli_libraries(path: Path) -> None:
    assert not _imports(path) & {"typer", "rich", "tinydb", "click"}


def test_importing_the_registry_loads_no_format_library() -> None:
    code = (
        "import sys, consular_dialogue.exporters as e; "
        "print(sorted(m for m in ('icalendar', 'openpyxl', 'csv', 'json', 'rich', 'typer') "
        "if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert "icalendar" not in out and "openpyxl" not in out and "rich" not in out


# ---- text helpers ---------------------------------------------------------------


def test_clean_makes_controls_and_bidi_visible() -> None:
    assert clean("\x1b[31mred\x07") == "\\x1b[31mred\\x07"
    assert clean("a\u202eb\u2066c") == "a\\u202eb\\u2066c"
    assert clean("tab\tand\nnewline") == "tab\tand\nnewline"
    assert clean("dos\r\nmac\rend") == "dos\nmac\nend"
    assert clean("\x85\x9b") == "\\x85\\x9b"
    assert clean(None) == ""
    assert clean("Acción ñ — “comillas”") == "Acción ñ — “comillas”"


@pytest.mark.parametrize("text", ["=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_formula_starts_get_a_quote(text: str) -> None:
    assert defuse_formula(text) == "'" + text


@pytest.mark.parametrize("text", ["1+1", "a=b", "Acción", "", "'quoted"])
def test_other_text_is_kept(text: str) -> None:
    assert defuse_formula(text) == text


def test_markdown_cell_escaping() -> None:
    assert escape_cell("a|b") == "a\\|b"
    assert escape_cell("<script>") == "&lt;script&gt;"
    assert escape_cell("x & y") == "x &amp; y"
    assert escape_cell("one\ntwo") == "one<br>two"
    assert escape_cell("[link](http://x) *b* _i_ `c`") == (
        "\\[link\\](http://x) \\*b\\* \\_i\\_ \\`c\\`"
    )
    assert escape_cell("back\\slash") == "back\\\\slash"
    assert escape_cell("\x1b[0m") == "\\\\x1b\\[0m"


# ---- CSV ------------------------------------------------------------------------


def test_csv_shape_bom_crlf_and_fixed_columns() -> None:
    data = realistic_dataset()
    payload = render("actions", "csv", data).data
    assert payload.startswith(b"\xef\xbb\xbfID,Due,Overdue,Status,Priority,Party,Owner,Title,")
    # Records end with CRLF; a line break inside a note stays a bare LF in its quoted cell.
    assert payload.endswith(b"\r\n")
    assert payload.count(b"\r\n") == 1 + len(data.actions)
    spanish = render("actions", "csv", data, "es").data
    assert spanish.startswith(
        "\ufeffID,Vence,Vencida,Estado,Prioridad,Parte,Responsable,Título,".encode()
    )


_CSV_TEXT = st.text(alphabet=st.sampled_from("ab ,\"\r\n\t'=+-@é€\u2028"), max_size=8)
_CSV_CELL = st.one_of(
    st.none(),
    _CSV_TEXT,
    st.integers(-5, 10**6),
    st.dates(),
    st.builds(PartialDate, st.integers(1990, 2030), st.none() | st.integers(1, 12)),
)


@given(st.lists(_CSV_TEXT, min_size=1, max_size=4).flatmap(
    lambda headers: st.tuples(
        st.just(headers), st.lists(st.lists(_CSV_CELL, min_size=len(headers), max_size=len(headers)), max_size=5)
    )
))  # fmt: skip
def test_csv_lines_are_those_python_s_csv_writer_writes(
    table: tuple[list[str], list[list[Any]]],
) -> None:
    from consular_dialogue.exporters.csv_format import _cell, _field, table_csv
    from consular_dialogue.exporters.table import Table

    headers, rows = table
    for text in headers:  # as typed: a carriage return too (clean makes it a newline)
        pair = io.StringIO()
        csv.writer(pair, lineterminator="\r\n").writerow([text, text])
        assert f"{_field(text)},{_field(text)}\r\n" == pair.getvalue()
    columns = tuple(zip(*rows, strict=True)) if rows else tuple(() for _ in headers)
    written = table_csv(Table(tuple(headers), tuple(headers), columns))
    expected = io.StringIO()
    writer = csv.writer(expected, lineterminator="\r\n")
    writer.writerow([defuse_formula(clean(h)) for h in headers])
    writer.writerows([[_cell(value) for value in row] for row in rows])
    assert written == "\ufeff" + expected.getvalue()


def test_csv_round_trip_actions() -> None:
    data = realistic_dataset()
    actions = data.actions_by_due()
    rows = read_csv(render("actions", "csv", data).data)
    header, body = rows[0], rows[1:]
    assert len(body) == len(actions)
    for action, row in zip(actions, body, strict=True):
        record = dict(zip(header, row, strict=True))
        assert record["ID"] == str(action.id)
        assert record["UUID"] == action.uuid
        assert record["Title"] == action.title
        assert record["Owner"] == (action.owner or "")
        assert record["Due"] == (action.due.isoformat() if action.due else "")
        assert record["Status"] == action.status.value.replace("-", " ")
        assert record["Overdue"] == ("yes" if action.is_overdue(TODAY) else "no")
        assert record["Meeting"] == data.meetings[action.meeting_id - 1].title
    by_id = {int(r[0]): dict(zip(header, r, strict=True)) for r in body}
    assert by_id[3]["Notes"] == (
        "2024-05-02: Sede propuesta: Houston.\nFechas tentativas: 14–15 de octubre.\n"
        "2024-06-10: Se sumó el Consulado en Dallas."
    )
    assert by_id[1]["Topic"] == "H-2 visas"
    assert by_id[2]["Owner"] == "Dirección General de Protección Consular"


def test_csv_round_trip_meetings_in_spanish() -> None:
    data = realistic_dataset()
    rows = read_csv(render("meetings", "csv", data, "es").data)
    header = rows[0]
    assert header[:7] == ["ID", "Diálogo", "Fecha", "Termina", "Tipo", "Estado", "Título"]
    records = [dict(zip(header, r, strict=True)) for r in rows[1:]]
    meetings = data.meetings_by_date()
    assert [r["ID"] for r in records] == [str(m.id) for m in meetings]
    assert [r["Fecha"] for r in records] == [m.date.iso for m in meetings]
    assert [r["Título"] for r in records] == [m.title for m in meetings]
    assert [r["UUID"] for r in records] == [m.uuid for m in meetings]
    by_id = {r["ID"]: r for r in records}
    assert by_id["2"]["Fecha"] == "2023-10"
    assert by_id["1"]["Termina"] == "2023-04-21"
    assert by_id["1"]["Tipo"] == "Intermedia"
    assert by_id["1"]["Estado"] == "celebrada"
    assert by_id["1"]["Lugar"] == "Secretaría de Relaciones Exteriores, Ciudad de México"
    assert by_id["1"]["Delegaciones"].startswith("MX: Vanessa Calva Ruiz (Directora General")


# ---- JSON -----------------------------------------------------------------------


def test_json_is_the_documented_shape_and_round_trips() -> None:
    data = realistic_dataset()
    actions = data.actions_by_due()
    payload = render("actions", "json", data).data
    assert payload.endswith(b"]\n")
    assert "Dirección".encode() in payload  # accents kept, not \u00f3
    records = json.loads(payload)
    assert records == [a.to_json(TODAY) for a in actions]
    assert [Action.from_record(r) for r in records] == actions
    meetings = json.loads(render("meetings", "json", data).data)
    assert [Meeting.from_record(r) for r in meetings] == data.meetings_by_date()


def test_json_escapes_raw_controls_but_keeps_the_values() -> None:
    data = hostile_dataset()
    payload = render("actions", "json", data).data
    text = payload.decode("utf-8")
    assert "\u202e" not in text and "\x85" not in text and "\x1b" not in text
    assert "\\u202e" in text
    assert json.loads(payload) == [a.to_json(TODAY) for a in data.actions_by_due()]


# ---- Markdown ----------------------------------------------------------------------


def markdown_cells(line: str) -> list[str]:
    """Split a table row on unescaped pipes (backslash escapes the next character)."""
    assert line.startswith("| ") and line.endswith(" |"), line
    cells, current, chars = [], "", iter(line[1:-1])
    for char in chars:
        if char == "\\":
            current += char + next(chars)
        elif char == "|":
            cells.append(current.strip())
            current = ""
        else:
            current += char
    cells.append(current.strip())
    return cells


def test_markdown_table_in_both_languages() -> None:
    data = realistic_dataset()
    for lang, first in (("en", "| ID | Due | Overdue |"), ("es", "| ID | Vence | Vencida |")):
        text = render("actions", "markdown", data, lang).data.decode("utf-8")
        lines = text.splitlines()
        assert lines[0].startswith(first)
        assert "UUID" not in lines[0]  # a report for people
        assert len(lines) == 2 + len(data.actions)
        assert len({len(markdown_cells(line)) for line in lines[:1] + lines[2:]}) == 1


# ---- ICS ------------------------------------------------------------------------


def parse_ics(payload: bytes) -> Any:
    from icalendar import Calendar

    for line in payload.split(b"\r\n"):
        assert len(line) <= 75, f"unfolded line: {line!r}"
    assert b"\n" not in payload.replace(b"\r\n", b"")
    return Calendar.from_ical(payload)


def test_ics_meetings_are_all_day_events_and_month_precise_ones_are_left_out() -> None:
    data = realistic_dataset()
    rendered = render("meetings", "ics", data)
    assert [m.id for m in rendered.left_out] == [2]  # type: ignore[attr-defined]
    assert rendered.left_out_reason == "month-precise"
    calendar = parse_ics(rendered.data)
    events = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {f"{m.uuid}@consular-dialogue" for m in data.meetings if m.id != 2}
    first = events[f"{data.meetings[0].uuid}@consular-dialogue"]
    assert first.decoded("DTSTART") == dt.date(2023, 4, 17)
    assert first.decoded("DTEND") == dt.date(2023, 4, 22)  # exclusive
    assert b"DTSTART;VALUE=DATE:20230417" in rendered.data
    assert str(first["SUMMARY"]) == data.meetings[0].title
    assert str(first["LOCATION"]) == "Secretaría de Relaciones Exteriores, Ciudad de México"
    assert first.decoded("DTSTAMP") == dt.datetime(2024, 9, 2, 15, 30, tzinfo=dt.UTC)
    assert str(first["CLASS"]) == "PUBLIC"
    one_day = events[f"{data.meetings[2].uuid}@consular-dialogue"]
    assert one_day.decoded("DTEND") - one_day.decoded("DTSTART") == dt.timedelta(days=1)


def test_ics_actions_are_todos_and_undated_ones_are_left_out() -> None:
    data = realistic_dataset()
    rendered = render("actions", "ics", data, "es")
    assert sorted(a.id for a in rendered.left_out) == [4, 8]  # type: ignore[attr-defined]
    calendar = parse_ics(rendered.data)
    todos = {str(t["UID"]): t for t in calendar.walk("VTODO")}
    by_uid = {f"{a.uuid}@consular-dialogue": a for a in data.actions if a.due}
    assert set(todos) == set(by_uid)
    expected_status = {
        1: "COMPLETED",
        2: "NEEDS-ACTION",
        3: "IN-PROCESS",
        5: "CANCELLED",
        6: "NEEDS-ACTION",
    }
    for key, todo in todos.items():
        action = by_uid[key]
        assert todo.decoded("DUE") == action.due
        assert str(todo["SUMMARY"]) == action.title
        if action.id in expected_status:
            assert str(todo["STATUS"]) == expected_status[action.id]
    description = str(todos[f"{data.actions[2].uuid}@consular-dialogue"]["DESCRIPTION"])
    assert "Parte: conjunta" in description
    assert "Responsable: Consulado General en Houston" in description
    assert "Tema: Acceso consular" in description
    assert (
        "- 2024-05-02: Sede propuesta: Houston.\nFechas tentativas: 14–15 de octubre."
        in description
    )


def ics_values(payload: bytes, component: str) -> list[dict[str, str]]:
    """Each component's properties, read as RFC 5545 says: lines unfolded, then each
    TEXT escape undone left to right (the icalendar library's reader reads ``\\n`` as
    a backslash and a line break, and ``\\N`` as ``\n``)."""
    unfolded = payload.decode("utf-8").replace("\r\n ", "")
    found: list[dict[str, str]] = []
    for line in unfolded.split("\r\n"):
        if line == f"BEGIN:{component}":
            found.append({})
        elif found and ":" in line and not line.startswith(("BEGIN:", "END:")):
            name, value = line.split(":", 1)
            found[-1].setdefault(name, re.sub(r"\\(.)", _unescaped, value))
    return found


def _unescaped(match: re.Match[str]) -> str:
    char = match.group(1)
    return "\n" if char in "nN" else char


def assert_folded(payload: bytes) -> None:
    r"""Lines of at most 75 octets, each a whole UTF-8 text (no character cut in two),
    and no escape (``\;``, ``\n``, ``\\``) cut in two."""
    folded: list[list[str]] = []  # each content line, as the pieces it was cut into
    for line in payload.split(b"\r\n"):
        assert len(line) <= 75
        text = line.decode("utf-8")
        if text.startswith(" "):
            folded[-1].append(text[1:])
        else:
            folded.append([text])
    for pieces in folded:
        unfolded = "".join(pieces)
        inside: set[int] = set()  # the places between an escape's two characters
        i = unfolded.find("\\")
        while i >= 0:
            inside.add(i + 1)
            i = unfolded.find("\\", i + 2)
        cuts = set(itertools.accumulate(len(piece) for piece in pieces[:-1]))
        assert not cuts & inside, pieces


@given(
    title=st.text(min_size=1, max_size=200),
    note=st.text(max_size=300),
    owner=st.text(alphabet="\\,;\n:é€😀 a", max_size=120),
    uuid=st.text(alphabet="\\,;\n:é😀-a0", min_size=60, max_size=100),  # hand-edited, long
)
def test_ics_text_reads_back_as_it_was_written_in_lines_of_75_octets(
    title: str, note: str, owner: str, uuid: str
) -> None:
    data = realistic_dataset()
    action = data.actions[0]
    action.title, action.owner, action.uuid = title, owner or None, uuid
    action.notes = [Note("2024-01-01T00:00:00+00:00", note)] if note else []
    payload = export_actions("ics", [action], data.context("en")).data
    assert_folded(payload)
    (todo,) = ics_values(payload, "VTODO")
    assert todo["SUMMARY"] == clean(title)
    description = todo["DESCRIPTION"]
    assert (f"Owner: {clean(owner)}" in description) == bool(owner)
    assert not note or f"- 2024-01-01: {clean(note)}".rstrip("\n") in description
    assert todo["UID"] == f"{clean(uuid)}@consular-dialogue"


def test_ics_folds_between_characters_and_never_after_a_backslash() -> None:
    data = realistic_dataset()
    action = data.actions[0]
    for title, expected in [
        ("😀" * 40, ["SUMMARY:" + "😀" * 16, " " + "😀" * 18, " " + "😀" * 6]),
        ("x" * 65 + ";", ["SUMMARY:" + "x" * 65, " \\;"]),  # not SUMMARY:x…x\ / ;
        ("x" * 64 + "\\y", ["SUMMARY:" + "x" * 64 + "\\\\", " y"]),  # the escape kept whole
        ("y" * 66, ["SUMMARY:" + "y" * 66]),  # 74 octets: one line
        ("y" * 67, ["SUMMARY:" + "y" * 66, " y"]),
    ]:
        action.title = title
        text = export_actions("ics", [action], data.context("en")).data.decode("utf-8")
        lines = text.split("\r\n")
        first = lines.index(expected[0])
        assert lines[first : first + len(expected)] == expected
        assert lines[first + len(expected)].startswith("UID:")


def test_ics_keeps_text_the_icalendar_library_lost_and_a_uuid_on_its_one_line() -> None:
    data = realistic_dataset()
    action = data.actions[0]
    action.title = "\ufeffGuardar en C:\\Nuevo\\Acuerdos"
    action.uuid = "u1\r\nX-INJECTED:1"  # a hand edit
    payload = export_actions("ics", [action], data.context("en")).data
    assert b"SUMMARY:\xef\xbb\xbfGuardar en C:\\\\Nuevo\\\\Acuerdos\r\n" in payload
    (todo,) = ics_values(payload, "VTODO")
    assert todo["SUMMARY"] == action.title
    assert todo["UID"] == "u1\nX-INJECTED:1@consular-dialogue"  # CRLF read as one break
    assert b"\r\nX-INJECTED" not in payload


def test_ics_description_of_notes_alone_starts_with_its_notes() -> None:
    """With no side, owner, meeting or topic to name, the description is the notes:
    no empty first line, and none after a note that ends in a line break."""
    data = realistic_dataset()
    action = data.actions[0]
    action.party, action.owner, action.meeting_id, action.item_id = "", None, 999, None
    action.completed = None
    action.notes = [Note("2024-01-01T00:00:00+00:00", "Llamar al consulado\n")]
    (todo,) = ics_values(export_actions("ics", [action], data.context("es")).data, "VTODO")
    assert todo["DESCRIPTION"] == "Notas:\n- 2024-01-01: Llamar al consulado"


def test_ics_reads_a_stored_time_without_an_offset_as_utc() -> None:
    """A hand-edited time without an offset, or a date alone, is taken as UTC."""
    data = realistic_dataset()
    action = data.actions[0]
    action.created, action.updated = "2023-04-24T10:30:00", "2023-04-25"
    (todo,) = ics_values(export_actions("ics", [action], data.context("en")).data, "VTODO")
    assert (todo["CREATED"], todo["LAST-MODIFIED"]) == ("20230424T103000Z", "20230425T000000Z")


def test_ics_writes_a_stored_time_with_a_fraction_of_a_second_to_its_second() -> None:
    """A hand-edited fraction is cut, as the second it falls in (the year padded)."""
    data = realistic_dataset()
    action = data.actions[0]
    action.created, action.updated = "2023-04-24T10:30:59.999999-06:00", "0999-01-02T03:04:05.5"
    (todo,) = ics_values(export_actions("ics", [action], data.context("en")).data, "VTODO")
    assert (todo["CREATED"], todo["LAST-MODIFIED"]) == ("20230424T163059Z", "09990102T030405Z")


def test_ics_leaves_out_stored_times_and_an_end_outside_the_calendar() -> None:
    data = realistic_dataset()
    action = data.actions[0]
    action.created = "0001-01-01T00:00:00+01:00"  # before year 1 in UTC
    meeting = data.meetings[0]
    meeting.date, meeting.end_date = PartialDate(9999, 12, 30), PartialDate(9999, 12, 31)
    (todo,) = ics_values(export_actions("ics", [action], data.context("en")).data, "VTODO")
    assert "CREATED" not in todo and "LAST-MODIFIED" in todo
    (event,) = ics_values(export_meetings("ics", [meeting], data.context("en")).data, "VEVENT")
    assert event["DTSTART;VALUE=DATE"] == "99991230" and "DTEND;VALUE=DATE" not in event
    meeting.end_date = PartialDate(9999, 12, 30)
    (event,) = ics_values(export_meetings("ics", [meeting], data.context("en")).data, "VEVENT")
    assert event["DTEND;VALUE=DATE"] == "99991231"


def test_ics_is_written_without_the_icalendar_library(cdt: Any, db: Path) -> None:
    assert cdt("dialogue", "add", "Diálogo", "--key", "d", "--parties", "MX,US").code == 0
    assert (
        cdt("meeting", "add", "Intermedia", "--kind", "intermediate", "--date", "2023-04-17").code
        == 0
    )
    assert cdt("action", "add", "Guía", "--meeting", "1", "--due", "2023-05-10").code == 0
    blocked, usual = db.with_name("blocked.ics"), db.with_name("usual.ics")
    run = run_without("icalendar", db, ["export", "actions", "--format", "ics", "-o", str(blocked)])
    assert run.returncode == 0, run.stderr
    assert cdt("export", "actions", "--format", "ics", "-o", str(usual)).code == 0
    assert blocked.read_bytes() == usual.read_bytes()
    assert [t["SUMMARY"] for t in ics_values(blocked.read_bytes(), "VTODO")] == ["Guía"]


def test_xlsx_without_openpyxl_is_a_one_line_error_naming_the_install(cdt: Any, db: Path) -> None:
    assert cdt("dialogue", "add", "Diálogo", "--key", "d", "--parties", "MX,US").code == 0
    before = db.read_bytes()
    target = db.with_name("acciones.xlsx")
    result = run_without(
        "openpyxl", db, ["export", "actions", "--format", "xlsx", "-o", str(target)]
    )
    assert result.returncode == 1
    assert result.stderr.decode() == (
        "Error: The xlsx format needs openpyxl, which is not installed: "
        "pip install 'consular-dialogue[xlsx]' (or choose --format csv).\n"
    )
    assert not target.exists() and db.read_bytes() == before


def run_without(library: str, db: Path, args: list[str]) -> subprocess.CompletedProcess[bytes]:
    """The installed cdt in a process where ``library`` cannot be imported."""
    code = (
        f"import sys; sys.modules[{library!r}] = None; "
        "from consular_dialogue.cli import entry; "
        f"sys.argv = ['cdt', *{args!r}]; entry()"
    )
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, env=base_env(db), check=False, timeout=60
    )


def test_ics_stamps_come_from_now_not_the_clock() -> None:
    data = realistic_dataset()
    first = render("actions", "ics", data).data
    assert render("actions", "ics", data).data == first
    moved = export_actions(
        "ics", data.actions_by_due(), ExportContext(today=TODAY, now=NOW + dt.timedelta(hours=1))
    ).data
    assert b"DTSTAMP:20240902T153000Z" in first and b"DTSTAMP:20240902T163000Z" in moved


def test_ics_of_no_dated_entry_needs_no_stamp_and_a_stamp_outside_utc_is_a_one_line_error() -> None:
    """A `now` before year 1 in UTC cannot be a DTSTAMP: an export without an entry
    writes none and succeeds; one with an entry says what to change."""
    data = realistic_dataset()
    early = ExportContext(
        today=TODAY, now=dt.datetime(1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    )
    undated = [a for a in data.actions if a.due is None]
    dated = [a for a in data.actions if a.due is not None]
    assert undated and dated
    empty = export_actions("ics", undated, early).data
    assert b"BEGIN:VTODO" not in empty and b"DTSTAMP" not in empty
    with pytest.raises(
        InputError, match=r"^The time 0001-01-01T00:00:00\+01:00 is outside .*CDT_NOW"
    ):
        export_actions("ics", dated, early)


# ---- XLSX -----------------------------------------------------------------------


def test_xlsx_round_trip_with_real_dates_and_a_frozen_bold_header() -> None:
    data = realistic_dataset()
    actions = data.actions_by_due()
    book = load_workbook(render("actions", "xlsx", data, "es").data)
    sheet = book.active
    assert sheet.title == "Acciones"
    assert sheet.freeze_panes == "A2"
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["ID", "Vence", "Vencida", "Estado"]
    assert all(c.font.bold for c in sheet[1])
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == len(actions)
    for action, row in zip(actions, rows, strict=True):
        record = dict(zip(header, row, strict=True))
        assert record["ID"] == action.id
        assert record["Título"] == action.title
        assert record["Responsable"] == action.owner
        assert record["UUID"] == action.uuid
        due = record["Vence"]
        assert (due.date() if due else None) == action.due
    due_cell = sheet.cell(row=2, column=2)
    assert due_cell.is_date and due_cell.number_format == "yyyy-mm-dd"
    widths = [sheet.column_dimensions[c].width for c in "ABCDEFGHIJKLMNO"]
    assert all(6 <= w <= 60 for w in widths)
    assert sheet.column_dimensions["H"].width == 60  # long titles are capped (and wrap)


def test_xlsx_is_deterministic_and_dated_from_now() -> None:
    data = realistic_dataset()
    payload = render("actions", "xlsx", data).data
    assert render("actions", "xlsx", data).data == payload
    with zipfile.ZipFile(io.BytesIO(payload)) as archive:
        assert {i.date_time for i in archive.infolist()} == {(2024, 9, 2, 15, 30, 0)}
    book = load_workbook(payload)
    assert book.properties.modified == dt.datetime(2024, 9, 2, 15, 30)
    assert book.properties.creator == "consular-dialogue"


# ---- hostile text stays inert everywhere ----------------------------------------


def _all_text(name: str, payload: bytes) -> str:
    if name != "xlsx":
        return payload.decode("utf-8")
    with zipfile.ZipFile(io.BytesIO(payload)) as archive:
        return "".join(archive.read(i).decode("utf-8") for i in archive.infolist())


@pytest.mark.parametrize(("kind", "name"), ALL_FORMATS)
def test_hostile_text_leaves_no_raw_control_characters(kind: str, name: str) -> None:
    text = _all_text(name, render(kind, name, hostile_dataset()).data)
    for char in ("\x1b", "\x07", "\u202e", "\u202c", "\x85", "\x9b"):
        assert char not in text, f"raw {char!r} in {kind} {name}"
    # A CR only as part of the CRLF that ends CSV and ICS lines.
    assert "\r" not in (text.replace("\r\n", "") if name in ("csv", "ics") else text)


@pytest.mark.parametrize("kind", ["actions", "meetings"])
def test_hostile_csv_has_no_formula_cells_and_keeps_its_shape(kind: str) -> None:
    data = hostile_dataset()
    rows = read_csv(render(kind, "csv", data).data)
    count = len(data.actions if kind == "actions" else data.meetings)
    assert len(rows) == 1 + count
    assert len({len(r) for r in rows}) == 1
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    titles = [r[rows[0].index("Title")] for r in rows[1:]]
    assert '\'=HYPERLINK("http://x","click")' in titles
    assert "'-2" in titles
    assert "\\x1b[31mred\\x1b[0m and \\x1b]8;;http://x\\x07link\\x1b]8;;\\x07" in titles


def test_hostile_xlsx_keeps_formula_looking_text_as_literal_text() -> None:
    """Text cells hold what the user typed; a quote prefix keeps Excel from running it.

    (Rather than altering the text with a leading ', as CSV must: a workbook can
    say "this is text" itself, the way Excel stores a typed '=...)
    """
    data = hostile_dataset()
    payload = render("actions", "xlsx", data).data
    with zipfile.ZipFile(io.BytesIO(payload)) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml
    sheet = load_workbook(payload).active
    assert sheet.max_row == 1 + len(data.actions)
    risky = 0
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith(("=", "+", "-", "@", "\t")):
                risky += 1
                assert cell.data_type == "s" and cell.quotePrefix, cell.coordinate
    assert risky >= 4
    titles = [c.value for c in sheet["H"][1:]]
    assert '=HYPERLINK("http://x","click")' in titles
    assert "\u202e" not in "".join(str(t) for t in titles)


def test_hostile_markdown_keeps_rows_and_columns_and_runs_no_html() -> None:
    data = hostile_dataset()
    text = render("actions", "markdown", data).data.decode("utf-8")
    lines = text.splitlines()
    assert len(lines) == 2 + len(data.actions)
    widths = {len(markdown_cells(line)) for line in lines[:1] + lines[2:]}
    assert widths == {len(lines[1].split("|")) - 2}
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert "<b>" not in text
    assert "\\[link=http://x\\]" in text
    assert not re.search(r"(?<!\\)[\[\]*_`~]", text), "an unescaped Markdown character"
    assert re.sub(r"<br>", "", text).count("<") == 0


@pytest.mark.parametrize("kind", ["actions", "meetings"])
def test_hostile_ics_parses_with_the_same_summaries(kind: str) -> None:
    data = hostile_dataset()
    rendered = render(kind, "ics", data)
    calendar = parse_ics(rendered.data)
    records: Sequence[Action | Meeting] = data.actions if kind == "actions" else data.meetings
    by_uid = {f"{r.uuid}@consular-dialogue": r for r in records}
    components = calendar.walk("VTODO" if kind == "actions" else "VEVENT")
    assert len(components) == len(records) - len(rendered.left_out)
    for component in components:
        record = by_uid[str(component["UID"])]
        # Control characters are written as visible escapes; everything else as typed.
        assert str(component["SUMMARY"]) == clean(record.title)


@pytest.mark.parametrize("topic", ["h2-visas", None, "missing"])
def test_the_views_an_export_reads_hold_what_the_models_hold(topic: str | None) -> None:
    """An export reads an action's meeting title and item topic without building them."""
    meeting = Meeting(id=7, dialogue="d", title="Reunión Intermedia", date=PartialDate(2023, 4))
    stored_meeting = meeting.to_record()
    assert meeting_title(stored_meeting) == (meeting.id, Meeting.from_record(stored_meeting).title)
    item = AgendaItem(id=3, meeting_id=7, position=1, title="Visas H-2", topic=topic)
    stored_item = item.to_record()
    if topic == "missing":
        del stored_item["topic"]
    built = AgendaItem.from_record(stored_item)
    assert item_topic(stored_item) == (built.id, built.topic)


@pytest.mark.parametrize(
    "damage",
    [{}, {"kind": "bogus"}, {"status": 5}, {"date": "notadate"}, {"end_date": "2023-13"},
     {"title": "DEL"}, {"date": 2024}],
)  # fmt: skip
def test_a_meeting_s_line_holds_what_its_model_holds_and_refuses_what_it_refuses(
    damage: dict[str, Any],
) -> None:
    """The action timeline names a meeting by its line, built without the model."""
    for meeting in realistic_dataset().meetings:
        stored = {**meeting.to_record(), **damage}
        if damage.get("title") == "DEL":
            del stored["title"]
        try:
            model = Meeting.from_record(stored)
        except Exception as refused:
            with pytest.raises(type(refused)):
                MeetingLine.from_record(stored)
            continue
        assert not damage  # (each damage above is one the model refuses)
        line = MeetingLine.from_record(stored)
        assert line == tuple(getattr(model, name) for name in MeetingLine._fields)

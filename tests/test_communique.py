"""Reading communiqués into meeting drafts (consular_dialogue.communique)."""

from __future__ import annotations

import pathlib

import pytest

from consular_dialogue.communique import (
    AgendaDraft,
    CommuniqueDraft,
    DelegationDraft,
    MeetingDraft,
    html_to_text,
    read_communique,
)
from consular_dialogue.dates import PartialDate
from consular_dialogue.errors import InputError

FIXTURES = pathlib.Path(__file__).resolve().parent / "communiques"
# The real seed stays outside the repository, in ../shared next to it.
SEED = (
    pathlib.Path(__file__).resolve().parents[2]
    / "shared"
    / "seeds"
    / "sre-comunicado-176-2023-04-24.txt"
)

MEETING_FIELDS = ("title", "kind", "date", "end_date", "location", "host", "status")
PLANNED_FIELDS = ("title", "kind", "date", "location", "host", "status")


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def sources(sentence: str, fields: tuple[str, ...], **header: str) -> dict[str, str]:
    """The sources dict of a draft whose fields all come from one sentence, plus header lines."""
    return {**dict.fromkeys(fields, sentence), **header}


# --------------------------------------------------------------------------- the real seed


@pytest.fixture(scope="module")
def seed() -> str:
    if not SEED.is_file():
        pytest.skip(
            f"seed communiqué not found at {SEED} (it lives in ../shared, outside the repo)"
        )
    return SEED.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def seed_draft(seed: str) -> CommuniqueDraft:
    return read_communique(seed)


def test_seed_reports_the_intermediate_meeting_held_last_week_at_the_sre(
    seed_draft: CommuniqueDraft,
) -> None:
    meeting = seed_draft.meeting
    assert meeting.title == "Reunión Intermedia del Diálogo Consular México-Estados Unidos 2023"
    assert meeting.kind == "intermediate"
    # "la semana pasada" from Monday 24 April 2023 is the working week of 17-21 April.
    assert meeting.date == PartialDate(2023, 4, 17)
    assert meeting.end_date == PartialDate(2023, 4, 21)
    assert meeting.location == "Secretaría de Relaciones Exteriores (SRE)"
    assert meeting.host == "MX"
    assert meeting.status == "held"
    assert meeting.ref == "Comunicado No. 176"
    assert meeting.source_date == PartialDate(2023, 4, 24)
    assert meeting.missing == []
    assert (seed_draft.ref, seed_draft.source_date, seed_draft.language) == (
        "Comunicado No. 176",
        PartialDate(2023, 4, 24),
        "es",
    )


def test_seed_names_both_delegation_heads_with_their_titles(seed_draft: CommuniqueDraft) -> None:
    heads = [(d.party, d.head, d.title) for d in seed_draft.meeting.delegations]
    assert heads == [
        (
            "MX",
            "Vanessa Calva Ruiz",
            "Directora General de Protección Consular y Planeación Estratégica de la SRE",
        ),
        (
            "US",
            "Daria Darnell",
            "Ministra Consejera de Asuntos Consulares y de Consulados en la Embajada de "
            "Estados Unidos en México",
        ),
    ]


def test_seed_agenda_has_each_topic_once_in_order_of_first_mention(
    seed_draft: CommuniqueDraft,
) -> None:
    agenda = [(item.title, item.topic) for item in seed_draft.meeting.agenda]
    assert agenda == [
        ("Acceso consular", "consular-access"),
        ("Desastres naturales", "natural-disasters"),
        ("Asuntos de la infancia", None),
        ("Visas H2", "h2-visas"),
        ("Doble nacionalidad", "dual-nationality"),
        ("Notificación consular", "consular-notification"),
        ("Capacitación", "training"),
        ("Sustracción de menores", "child-abduction"),
        ("Pensiones alimenticias", "child-support"),
        ("Adopciones internacionales", "international-adoption"),
        ("Movilidad laboral", "labor-mobility"),
    ]


def test_seed_announces_the_annual_meeting_for_october_in_mexico_city(
    seed_draft: CommuniqueDraft,
) -> None:
    [annual] = seed_draft.announced
    assert (annual.title, annual.kind, annual.date, annual.end_date) == (
        "Reunión Anual del Diálogo Consular México-Estados Unidos 2023",
        "annual",
        PartialDate(2023, 10),  # "en octubre de este año": month precision, the communiqué's year
        None,
    )
    assert (annual.location, annual.host, annual.status) == ("Ciudad de México", "MX", "planned")
    assert (annual.ref, annual.source_date) == ("Comunicado No. 176", PartialDate(2023, 4, 24))
    assert annual.missing == ["delegations", "agenda"]


def test_seed_every_inferred_value_points_at_a_sentence_of_the_seed(
    seed: str, seed_draft: CommuniqueDraft
) -> None:
    flat_seed = " ".join(seed.split())
    meeting = seed_draft.meeting
    assert set(meeting.sources) == {*MEETING_FIELDS, "ref", "source_date"}
    quoted = [
        *meeting.sources.values(),
        *(d.source for d in meeting.delegations),
        *(a.source for a in meeting.agenda),
        *seed_draft.announced[0].sources.values(),
    ]
    assert all(sentence in flat_seed for sentence in quoted)
    assert "semana pasada" in meeting.sources["date"]
    assert "octubre de este año" in seed_draft.announced[0].sources["date"]
    assert "Daria Darnell" in meeting.delegations[1].source


# --------------------------------------------------------------------------- written fixtures

ANNUAL_HEADER = {
    "ref": "Comunicado No. 412",
    "source_date": "Secretaría de Relaciones Exteriores | 12 de octubre de 2023 | Comunicado",
}
ANNUAL_MEETING = (
    "Los días 10 y 11 de octubre de 2023 se celebró en la Ciudad de México la Reunión Anual del "
    "Diálogo Consular México-Estados Unidos, mecanismo que desde 2013 impulsa la cooperación en "
    "protección consular entre ambos países."
)
ANNUAL_NEXT = "La próxima Reunión Intermedia se llevará a cabo en abril de 2024 en Washington, D.C."
ANNUAL_BULLET = (
    "Se acordó fortalecer la notificación consular y la atención a casos de sustracción de menores"
)
ANNUAL_REVIEW = (
    "Las delegaciones revisaron los resultados en notificación consular y acceso consular, así "
    "como la coordinación para atender casos de sustracción de menores y de pensiones alimenticias."
)
ANNUAL_PROGRESS = (
    "También se presentaron los avances del grupo de trabajo de movilidad laboral y del programa "
    "conjunto de capacitación para personal consular."
)
ANNUAL_HEADS = (
    "La delegación mexicana estuvo encabezada por el subsecretario para América del Norte, Tomás "
    "Ibarra Solís, y la delegación estadounidense fue presidida por la subsecretaria adjunta de "
    "Estado para Servicios a Ciudadanos en el Extranjero, Margaret Holloway."
)
EXPECTED_ANNUAL = CommuniqueDraft(
    meeting=MeetingDraft(
        title="Reunión Anual del Diálogo Consular México-Estados Unidos 2023",
        kind="annual",
        date=PartialDate(2023, 10, 10),
        end_date=PartialDate(2023, 10, 11),
        location="Ciudad de México",
        host="MX",
        status="held",
        ref="Comunicado No. 412",
        source_date=PartialDate(2023, 10, 12),
        delegations=[
            DelegationDraft(
                "MX", "Tomás Ibarra Solís", "Subsecretario para América del Norte", ANNUAL_HEADS
            ),
            DelegationDraft(
                "US",
                "Margaret Holloway",
                "Subsecretaria Adjunta de Estado para Servicios a Ciudadanos en el Extranjero",
                ANNUAL_HEADS,
            ),
        ],
        agenda=[
            AgendaDraft("Notificación consular", "consular-notification", ANNUAL_BULLET),
            AgendaDraft("Sustracción de menores", "child-abduction", ANNUAL_BULLET),
            AgendaDraft("Acceso consular", "consular-access", ANNUAL_REVIEW),
            AgendaDraft("Pensiones alimenticias", "child-support", ANNUAL_REVIEW),
            AgendaDraft("Movilidad laboral", "labor-mobility", ANNUAL_PROGRESS),
            AgendaDraft("Capacitación", "training", ANNUAL_PROGRESS),
        ],
        sources=sources(ANNUAL_MEETING, MEETING_FIELDS, **ANNUAL_HEADER),
        missing=[],
    ),
    announced=[
        MeetingDraft(
            title="Reunión Intermedia del Diálogo Consular México-Estados Unidos 2024",
            kind="intermediate",
            date=PartialDate(2024, 4),
            end_date=None,
            location="Washington, D.C.",
            host="US",
            status="planned",
            ref="Comunicado No. 412",
            source_date=PartialDate(2023, 10, 12),
            sources=sources(ANNUAL_NEXT, PLANNED_FIELDS, **ANNUAL_HEADER),
            missing=["delegations", "agenda"],
        )
    ],
    ref="Comunicado No. 412",
    source_date=PartialDate(2023, 10, 12),
    language="es",
)


def test_annual_meeting_with_explicit_days_in_mexico_city() -> None:
    assert read_communique(fixture_text("sre-reunion-anual-2023-10-12.txt")) == EXPECTED_ANNUAL


VIRTUAL_MEETING = (
    "Ayer se llevó a cabo, con participación virtual de ambas delegaciones, una reunión "
    "extraordinaria del Diálogo Consular México-Estados Unidos para coordinar la asistencia a "
    "connacionales ante la temporada de huracanes."
)
VIRTUAL_HEADS = (
    "La delegación mexicana estuvo encabezada por la directora general de Protección Consular y "
    "Planeación Estratégica de la SRE, Adriana Velasco Durán, y la delegación estadounidense fue "
    "encabezada por el director de la Oficina de Servicios Especiales a Ciudadanos del "
    "Departamento de Estado, Robert Kessler."
)


def test_virtual_meeting_is_located_virtual_and_its_host_is_reported_missing() -> None:
    draft = read_communique(fixture_text("sre-reunion-virtual-2024-06-14.txt"))
    bullet = "Ambos gobiernos revisaron sus protocolos de asistencia en desastres naturales"
    follow_up = (
        "Las delegaciones acordaron mantener canales de comunicación permanentes en casos de "
        "desastres naturales y reforzar la notificación consular de personas detenidas o "
        "lesionadas."
    )
    assert draft == CommuniqueDraft(
        meeting=MeetingDraft(
            title="Reunión Extraordinaria del Diálogo Consular México-Estados Unidos 2024",
            kind="extraordinary",
            date=PartialDate(2024, 6, 13),  # "ayer", written on Friday 14 June 2024
            end_date=None,
            location="Virtual",
            host=None,
            status="held",
            ref="Comunicado No. 268",
            source_date=PartialDate(2024, 6, 14),
            delegations=[
                DelegationDraft(
                    "MX",
                    "Adriana Velasco Durán",
                    "Directora General de Protección Consular y Planeación Estratégica de la SRE",
                    VIRTUAL_HEADS,
                ),
                DelegationDraft(
                    "US",
                    "Robert Kessler",
                    "Director de la Oficina de Servicios Especiales a Ciudadanos del "
                    "Departamento de Estado",
                    VIRTUAL_HEADS,
                ),
            ],
            agenda=[
                AgendaDraft("Desastres naturales", "natural-disasters", bullet),
                AgendaDraft("Notificación consular", "consular-notification", follow_up),
            ],
            sources=sources(
                VIRTUAL_MEETING,
                ("title", "kind", "date", "location", "status"),
                ref="Comunicado No. 268",
                source_date=(
                    "Secretaría de Relaciones Exteriores | 14 de junio de 2024 | Comunicado"
                ),
            ),
            missing=["host"],
        ),
        announced=[],
        ref="Comunicado No. 268",
        source_date=PartialDate(2024, 6, 14),
        language="es",
    )


def test_working_group_meeting_that_names_no_heads_reports_delegations_missing() -> None:
    draft = read_communique(fixture_text("sre-grupo-trabajo-movilidad-laboral-2024-03-08.txt"))
    meeting_sentence = (
        "El 7 de marzo de 2024 se reunió en Washington, D.C., el Grupo de Trabajo de Movilidad "
        "Laboral del Diálogo Consular México-Estados Unidos, que da seguimiento a la protección de "
        "las personas trabajadoras temporales."
    )
    visas = (
        "En la sesión se revisó el proceso de emisión de visas H-2A y H-2B, así como la difusión "
        "de los derechos laborales de las personas trabajadoras agrícolas."
    )
    assert draft == CommuniqueDraft(
        meeting=MeetingDraft(
            title=(
                "Grupo de Trabajo de Movilidad Laboral del Diálogo Consular "
                "México-Estados Unidos 2024"
            ),
            kind="working-group",
            date=PartialDate(2024, 3, 7),
            end_date=None,
            location="Washington, D.C.",
            host="US",
            status="held",
            ref="Comunicado No. 97",
            source_date=PartialDate(2024, 3, 8),
            delegations=[],
            agenda=[
                AgendaDraft("Movilidad laboral", "labor-mobility", meeting_sentence),
                AgendaDraft("Visas H-2A", "h2-visas", visas),
            ],
            sources=sources(
                meeting_sentence,
                ("title", "kind", "date", "location", "host", "status"),
                ref="Comunicado No. 97",
                source_date="Secretaría de Relaciones Exteriores | 8 de marzo de 2024 | Comunicado",
            ),
            missing=["delegations"],
        ),
        announced=[],
        ref="Comunicado No. 97",
        source_date=PartialDate(2024, 3, 8),
        language="es",
    )


def test_english_media_note_from_the_us_side() -> None:
    draft = read_communique(fixture_text("state-media-note-2024-04-18.txt"))
    met = (
        "The U.S. and Mexican delegations met in Washington, D.C. on April 16 and 17, 2024 for "
        "the Intermediate Meeting of the U.S.-Mexico Consular Dialogue."
    )
    heads = (
        "The U.S. delegation was led by Deputy Assistant Secretary for Overseas Citizens Services "
        "Margaret Holloway, and the Mexican delegation was led by Undersecretary for North America "
        "Tomás Ibarra Solís."
    )
    discussed = (
        "The delegations discussed consular access and consular notification for detained "
        "nationals, cooperation on international parental child abduction and child support "
        "cases, and the H-2 visa program."
    )
    reviewed = (
        "They also reviewed joint training for consular staff and services for dual nationals."
    )
    next_meeting = (
        "The delegations agreed to hold the next Annual Meeting of the Consular Dialogue in "
        "Mexico City in October 2024."
    )
    assert draft == CommuniqueDraft(
        meeting=MeetingDraft(
            title="Intermediate Meeting of the U.S.-Mexico Consular Dialogue 2024",
            kind="intermediate",
            date=PartialDate(2024, 4, 16),
            end_date=PartialDate(2024, 4, 17),
            location="Washington, D.C.",
            host="US",
            status="held",
            ref=None,
            source_date=PartialDate(2024, 4, 18),
            delegations=[
                DelegationDraft(
                    "US",
                    "Margaret Holloway",
                    "Deputy Assistant Secretary for Overseas Citizens Services",
                    heads,
                ),
                DelegationDraft(
                    "MX", "Tomás Ibarra Solís", "Undersecretary for North America", heads
                ),
            ],
            agenda=[
                AgendaDraft("Consular access", "consular-access", discussed),
                AgendaDraft("Consular notification", "consular-notification", discussed),
                AgendaDraft("International parental child abduction", "child-abduction", discussed),
                AgendaDraft("Child support", "child-support", discussed),
                AgendaDraft("H-2 visa", "h2-visas", discussed),
                AgendaDraft("Training", "training", reviewed),
                AgendaDraft("Dual nationals", "dual-nationality", reviewed),
            ],
            sources=sources(met, MEETING_FIELDS, source_date="April 18, 2024"),
            missing=["ref"],  # a media note carries no number
        ),
        announced=[
            MeetingDraft(
                title="Annual Meeting of the U.S.-Mexico Consular Dialogue 2024",
                kind="annual",
                date=PartialDate(2024, 10),
                end_date=None,
                location="Mexico City",
                host="MX",
                status="planned",
                ref=None,
                source_date=PartialDate(2024, 4, 18),
                sources=sources(next_meeting, PLANNED_FIELDS, source_date="April 18, 2024"),
                missing=["delegations", "agenda", "ref"],
            )
        ],
        ref=None,
        source_date=PartialDate(2024, 4, 18),
        language="en",
    )


# --------------------------------------------------------------------------- HTML pages


def test_html_page_saved_from_the_web_reads_like_its_text() -> None:
    html = fixture_text("sre-reunion-anual-2023-10-12.html")
    # The page's <script> and <style> also mention a "Reunión Intermedia": they must be ignored.
    assert read_communique(html) == EXPECTED_ANNUAL


def test_html_to_text_drops_scripts_styles_and_navigation_and_keeps_breaks() -> None:
    html = (
        "<html><head><title>Sitio</title><style>p {color: red}</style></head><body>"
        "<nav><a href='/'>Inicio</a></nav>"
        "<h1>Título</h1><p>Primer   párrafo\n con <b>negritas</b>.</p>"
        "<script>var x = '<p>oculto</p>';</script>"
        "<ul><li>Uno</li><li>Dos &amp; tres</li></ul><p>Línea<br>siguiente</p>"
        "<footer>Encuesta</footer></body></html>"
    )
    assert html_to_text(html) == (
        "Título\n\nPrimer párrafo con negritas.\n\n- Uno\n- Dos & tres\n\nLínea\nsiguiente"
    )


# --------------------------------------------------------------------------- refusals and gaps


def test_communique_about_something_else_is_refused_with_the_reason() -> None:
    with pytest.raises(InputError, match=r"does not describe a meeting of a dialogue: no meeting"):
        read_communique(fixture_text("sre-campana-pasaportes-2024-02-05.txt"))


def test_empty_text_is_refused() -> None:
    with pytest.raises(InputError, match="empty"):
        read_communique(" \n\n ")


def test_fields_the_text_does_not_give_are_listed_missing_not_invented() -> None:
    # No header (so no date to resolve "la semana pasada" against), no place, no heads, no topics.
    text = (
        "La semana pasada se realizó la Reunión Intermedia del Diálogo Consular "
        "México-Estados Unidos.\n\nLas delegaciones conversaron de manera cordial."
    )
    meeting = read_communique(text).meeting
    assert (meeting.date, meeting.end_date, meeting.location, meeting.host) == (None,) * 4
    assert meeting.delegations == [] and meeting.agenda == []
    assert meeting.missing == [
        "date",
        "location",
        "host",
        "delegations",
        "agenda",
        "ref",
        "source_date",
    ]
    assert meeting.title == "Reunión Intermedia del Diálogo Consular México-Estados Unidos"
    assert set(meeting.sources) == {"title", "kind", "status"}


def test_one_delegation_without_a_named_head_is_reported_by_party() -> None:
    text = (
        "Secretaría de Relaciones Exteriores | 2 de mayo de 2024 | Comunicado\n\n"
        "El 30 de abril de 2024 se realizó la Reunión Intermedia del Diálogo Consular "
        "México-Estados Unidos en la Ciudad de México.\n\n"
        "La delegación mexicana estuvo encabezada por la directora general de Protección Consular "
        "de la SRE.\n\nSe revisaron temas de acceso consular."
    )
    meeting = read_communique(text).meeting
    assert [(d.party, d.head, d.title) for d in meeting.delegations] == [
        ("MX", None, "Directora General de Protección Consular de la SRE")
    ]
    assert meeting.missing == ["delegations.MX.head", "delegations.US", "ref"]


# --------------------------------------------------------------------------- dates

HEADER_MONDAY = "Secretaría de Relaciones Exteriores | 24 de abril de 2023 | Comunicado\n\n"
HEADER_ENGLISH_WEDNESDAY = "Office of the Spokesperson\n\nApril 26, 2023\n\n"


@pytest.mark.parametrize(
    ("text", "date", "end_date"),
    [
        (
            HEADER_MONDAY + "Hoy se realizó la Reunión Anual del Diálogo Consular.",
            (2023, 4, 24),
            None,
        ),
        (
            HEADER_MONDAY + "Ayer se realizó la Reunión Anual del Diálogo Consular.",
            (2023, 4, 23),
            None,
        ),
        (
            HEADER_MONDAY + "Esta semana se realizó la Reunión Anual del Diálogo Consular.",
            (2023, 4, 24),
            (2023, 4, 28),
        ),
        (
            HEADER_MONDAY + "Del 30 de marzo al 1 de abril se celebró la Reunión Anual del "
            "Diálogo Consular.",
            (2023, 3, 30),
            (2023, 4, 1),
        ),
        (
            HEADER_MONDAY + "En marzo de 2023 se celebró la Reunión Anual del Diálogo Consular.",
            (2023, 3),
            None,
        ),
        (
            HEADER_ENGLISH_WEDNESDAY + "Last week the delegations met for the Annual Meeting of "
            "the Consular Dialogue.",
            (2023, 4, 17),
            (2023, 4, 21),
        ),
        (
            HEADER_ENGLISH_WEDNESDAY + "Yesterday the delegations met for the Annual Meeting of "
            "the Consular Dialogue.",
            (2023, 4, 25),
            None,
        ),
    ],
    ids=["hoy", "ayer", "esta-semana", "cross-month-range", "month", "last-week", "yesterday"],
)
def test_dates_keep_the_precision_the_text_gives(
    text: str, date: tuple[int, ...], end_date: tuple[int, ...] | None
) -> None:
    meeting = read_communique(text).meeting
    assert meeting.date == PartialDate(*date)
    assert meeting.end_date == (PartialDate(*end_date) if end_date else None)


def test_meeting_dated_after_the_communique_is_planned() -> None:
    text = (
        HEADER_MONDAY + "Los días 10 y 11 de octubre de 2023 se celebra en la Ciudad de México "
        "la Reunión Anual del Diálogo Consular México-Estados Unidos."
    )
    assert read_communique(text).meeting.status == "planned"


def test_communique_that_only_announces_a_meeting_drafts_it_as_planned() -> None:
    text = (
        HEADER_MONDAY + "Se prevé llevar a cabo la Reunión Anual del Diálogo Consular en "
        "noviembre del próximo año en Washington, D.C."
    )
    draft = read_communique(text)
    assert draft.announced == []
    meeting = draft.meeting
    assert (meeting.kind, meeting.date, meeting.location, meeting.host, meeting.status) == (
        "annual",
        PartialDate(2024, 11),
        "Washington, D.C.",
        "US",
        "planned",
    )


def test_head_named_before_the_title_is_read_too() -> None:
    text = (
        HEADER_MONDAY + "Hoy se realizó la Reunión Anual del Diálogo Consular. La delegación "
        "estadounidense fue presidida por Laura Whitfield, cónsul general en Monterrey."
    )
    [delegation] = read_communique(text).meeting.delegations
    assert (delegation.party, delegation.head, delegation.title) == (
        "US",
        "Laura Whitfield",
        "Cónsul General en Monterrey",
    )

"""End to end: the installed ``cdt`` records what SRE Comunicado No. 176 reports.

Every fact typed into cdt here is first checked against the seed communiqué
(../shared/seeds/), so the scenario stays the one the press release describes.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

from conftest import Result

from consular_dialogue.dates import parse_date
from consular_dialogue.models import fold_text

Run = Callable[..., Result]

MX_HEAD = "Vanessa Calva Ruiz"
MX_TITLE = "Directora General de Protección Consular y Planeación Estratégica de la SRE"
US_HEAD = "Daria Darnell"
US_TITLE = (
    "Ministra Consejera de Asuntos Consulares y de Consulados en la Embajada de Estados "
    "Unidos en México"
)
# Topic slug -> the words the communiqué uses for it (the agenda item's title).
SEED_TOPICS = {
    "consular-access": "acceso consular",
    "natural-disasters": "desastres naturales",
    "child-abduction": "sustracción de menores",
    "child-support": "pensiones alimenticias",
    "international-adoption": "adopciones internacionales",
    "h2-visas": "visas H2",
    "labor-mobility": "movilidad laboral",
    "dual-nationality": "doble nacionalidad",
    "consular-notification": "notificación consular",
    "training": "capacitación",
}


@dataclass
class SeedFacts:
    published: dt.date
    ref: str
    title: str
    held_on: dt.date


def in_seed(seed: str, phrase: str) -> bool:
    """Whether the communiqué says ``phrase`` (its capitals and accents aside)."""
    return fold_text(" ".join(phrase.split())) in fold_text(" ".join(seed.split()))


def seed_facts(seed: str) -> SeedFacts:
    published = re.search(r"\|\s*(\d{1,2} de \w+ de \d{4})\s*\|", seed)
    ref = re.search(r"Comunicado No\. \d+", seed)
    title = re.search(r"Reunión Intermedia del Diálogo Consular México-Estados Unidos", seed)
    assert published and ref and title, "the seed communiqué changed"
    assert in_seed(seed, "La semana pasada se realizó")
    day = parse_date(published.group(1), now=dt.datetime(2023, 1, 1)).first_day()
    # "La semana pasada": the Monday of the week before publication.
    held_on = day - dt.timedelta(days=day.weekday() + 7)
    return SeedFacts(published=day, ref=ref.group(0), title=title.group(0), held_on=held_on)


def ok(result: Result) -> Result:
    assert result.code == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result


def record_seed_meeting(cdt: Run, facts: SeedFacts, now: str) -> dict[str, object]:
    ok(
        cdt(
            "dialogue",
            "add",
            "Diálogo Consular México-Estados Unidos",
            "--key",
            "consular",
            "--parties",
            "MX,US",
            "--established",
            "2013",
            now=now,
        )
    )
    added = ok(
        cdt(
            "meeting",
            "add",
            facts.title,
            "--kind",
            "intermediate",
            "--date",
            facts.held_on.isoformat(),
            "--host",
            "MX",
            "--location",
            "Secretaría de Relaciones Exteriores, Ciudad de México",
            "--ref",
            facts.ref,
            "--json",
            now=now,
        )
    ).json()
    assert isinstance(added, dict)
    return added


def test_installed_cdt_records_the_april_2023_intermediate_meeting_with_its_delegation_heads(
    cdt: Run, seed_text: str
) -> None:
    facts = seed_facts(seed_text)
    for fact in (MX_HEAD, MX_TITLE, US_HEAD, US_TITLE, "establecido en 2013"):
        assert in_seed(seed_text, fact), fact
    assert (facts.published, facts.held_on) == (dt.date(2023, 4, 24), dt.date(2023, 4, 17))
    now = f"{facts.published.isoformat()}T10:00:00-06:00"

    added = record_seed_meeting(cdt, facts, now)
    assert (added["kind"], added["date"], added["status"]) == ("intermediate", "2023-04-17", "held")
    ok(cdt("meeting", "delegation", "1", "--party", "US", "--head", US_HEAD, "--title", US_TITLE, now=now))  # fmt: skip
    ok(cdt("meeting", "delegation", "1", "--party", "MX", "--head", MX_HEAD, "--title", MX_TITLE, now=now))  # fmt: skip

    shown = ok(cdt("meeting", "show", "1", "--json", now=now)).json()
    assert shown["title"] == facts.title
    assert shown["ref"] == "Comunicado No. 176"
    assert shown["host"] == "MX"
    assert shown["delegations"] == [
        {"party": "MX", "head": MX_HEAD, "title": MX_TITLE, "members": []},
        {"party": "US", "head": US_HEAD, "title": US_TITLE, "members": []},
    ]
    text = ok(cdt("meeting", "show", "1", now=now)).stdout
    assert MX_HEAD in text
    assert US_HEAD in text


def test_intermediate_meeting_actions_and_agenda_carried_into_the_october_annual_meeting(
    cdt: Run, seed_text: str
) -> None:
    facts = seed_facts(seed_text)
    april = f"{facts.published.isoformat()}T10:00:00-06:00"
    for phrase in SEED_TOPICS.values():
        assert in_seed(seed_text, phrase), phrase
    assert in_seed(seed_text, "reunión anual de Diálogo Consular en octubre de este año")

    record_seed_meeting(cdt, facts, april)
    item_of: dict[str, int] = {}
    for slug, phrase in SEED_TOPICS.items():
        title = phrase[0].upper() + phrase[1:]
        added = ok(cdt("agenda", "add", "1", title, "--topic", slug, "--json", now=april)).json()
        item_of[slug] = added["id"]
    assert list(item_of.values()) == list(range(1, 11))
    ok(cdt("agenda", "set", str(item_of["training"]), "--status", "resolved", now=april))
    ok(cdt("agenda", "set", str(item_of["h2-visas"]), "--status", "agreed", now=april))

    # Three actions, due dates typed in Spanish, English and ISO.
    spanish = ok(
        cdt(
            "action", "add", "Compartir estadísticas de visas H2", "--item",
            str(item_of["h2-visas"]), "--party", "US", "--due", "30 de junio de 2023",
            "--json", now=april,
        )
    ).json()  # fmt: skip
    english = ok(
        cdt(
            "action", "add", "Enviar directorio de enlaces de notificación consular", "--item",
            str(item_of["consular-notification"]), "--party", "MX", "--owner", "SRE",
            "--due", "July 15, 2023", "--json", now=april,
        )
    ).json()  # fmt: skip
    iso = ok(
        cdt(
            "action", "add", "Programa conjunto de capacitación", "--item",
            str(item_of["consular-access"]), "--due", "2023-11-30", "--json", now=april,
        )
    ).json()  # fmt: skip
    assert [spanish["due"], english["due"], iso["due"]] == [
        "2023-06-30",
        "2023-07-15",
        "2023-11-30",
    ]

    ok(cdt("action", "done", str(english["id"]), now="2023-07-14T17:00:00-06:00"))
    july = "2023-07-20T10:00:00-06:00"
    overdue = ok(cdt("action", "list", "--overdue", "--json", now=july)).json()
    assert [a["id"] for a in overdue] == [spanish["id"]]
    unfinished = ok(cdt("action", "list", "--json", now=july)).json()
    assert [a["id"] for a in unfinished] == [spanish["id"], iso["id"]]
    finished = ok(cdt("action", "show", str(english["id"]), "--json", now=july)).json()
    assert (finished["status"], finished["completed"], finished["overdue"]) == (
        "done",
        "2023-07-14",
        False,
    )

    # The annual meeting the communiqué announces, then the open items carried into it.
    annual = ok(
        cdt(
            "meeting", "add", "Reunión Anual del Diálogo Consular México-Estados Unidos",
            "--kind", "annual", "--date", "octubre 2023", "--location", "Ciudad de México",
            "--json", now=july,
        )
    ).json()  # fmt: skip
    assert (annual["id"], annual["date"], annual["status"]) == (2, "2023-10", "planned")

    carried = ok(cdt("agenda", "carry", "1", "2", "--json", now=july))
    new_items = carried.json()
    open_slugs = [slug for slug in SEED_TOPICS if slug != "training"]
    assert [i["topic"] for i in new_items] == open_slugs
    assert [i["carried_from"] for i in new_items] == [item_of[s] for s in open_slugs]
    assert {(i["meeting_id"], i["status"]) for i in new_items} == {(2, "pending")}
    assert "Carried 9 items from meeting 1 to meeting 2" in carried.stderr

    again = ok(cdt("agenda", "carry", "1", "2", "--json", now=july))
    assert again.json() == []
    assert "Carried 0 items" in again.stderr
    annual_agenda = ok(cdt("meeting", "show", "2", "--json", now=july)).json()["agenda_items"]
    assert len(annual_agenda) == 9

    h2_in_october = next(i["id"] for i in new_items if i["topic"] == "h2-visas")
    chain = ok(cdt("agenda", "history", str(h2_in_october), "--json", now=july)).json()
    assert [(i["meeting_id"], i["meeting_date"], i["status"]) for i in chain] == [
        (1, "2023-04-17", "agreed"),
        (2, "2023-10", "pending"),
    ]
    text = ok(cdt("agenda", "history", str(item_of["h2-visas"]), now=july)).stdout
    assert "2023-04-17" in text
    assert "2023-10" in text
    assert text.index("2023-04-17") < text.index("2023-10")

    topics = {r["slug"]: r for r in ok(cdt("topic", "list", "--json", now=july)).json()}
    assert (topics["h2-visas"]["agenda_items"], topics["h2-visas"]["open_actions"]) == (2, 1)
    assert (topics["training"]["agenda_items"], topics["training"]["open_actions"]) == (1, 0)

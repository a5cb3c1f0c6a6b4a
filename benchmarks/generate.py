"""Realistic benchmark data for cdt, written as a dump that ``cdt import FILE`` merges.

    /work/venv/bin/python benchmarks/generate.py M -o benchmarks/out/data/M/dump.json
    /work/venv/bin/python benchmarks/generate.py S --taskwarrior tw.json   # also a `task import` file

Sizes (meetings / actions): S 50 / 1,000, M 500 / 10,000, L 5,000 / 100,000, with
about 4 agenda items a meeting (often carried from the same topic's item at an
earlier meeting), one note on every action, due dates before and after a fixed
NOW (2026-06-15), about 20% of actions unfinished and the rest done or
cancelled. Everything is drawn from a seeded ``random.Random``: the same size
always gives the same bytes.

The dump is the shape ``services/exchange.py`` reads: records as
``models.to_record()`` writes them, plus ``dialogue_uuid`` on meetings,
``meeting_uuid`` on agenda items and actions, ``item_uuid`` on actions and
``carried_from_uuid`` on agenda items; ids run 1..n per kind, in date order.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

NOW = dt.datetime(2026, 6, 15, 10, 0, 0, tzinfo=dt.timezone(dt.timedelta(hours=-6)))
TODAY = NOW.date()
SEED = 20260615


@dataclass(frozen=True)
class Size:
    name: str
    meetings: int
    actions: int


SIZES = {
    "S": Size("S", 50, 1_000),
    "M": Size("M", 500, 10_000),
    "L": Size("L", 5_000, 100_000),
}

# The catalog a new data file gets (consular_dialogue/data/topics.json), so the
# dump's topics merge with it as "unchanged" instead of adding duplicates.
TOPICS = [
    ("consular-access", "Acceso consular", "Consular access"),
    ("consular-notification", "Notificación consular", "Consular notification"),
    ("natural-disasters", "Asistencia en desastres naturales", "Natural-disaster assistance"),
    ("child-abduction", "Sustracción internacional de menores", "International child abduction"),
    ("child-support", "Pensiones alimenticias", "Child support"),
    ("international-adoption", "Adopción internacional", "International adoption"),
    ("h2-visas", "Visas H-2", "H-2 visas"),
    ("labor-mobility", "Movilidad laboral", "Labor mobility"),
    ("dual-nationality", "Doble nacionalidad", "Dual nationals"),
    ("training", "Capacitación", "Training"),
]

# Phrases per topic, Spanish and English, as a clerk would type them.
TOPIC_PHRASES: dict[str, list[str]] = {
    "consular-access": [
        "acceso consular a connacionales detenidos",
        "visitas consulares en centros de detención de ICE",
        "consular access to detained nationals",
        "entrevistas en estaciones migratorias",
    ],
    "consular-notification": [
        "notificación consular oportuna",
        "protocolo de notificación en Tijuana y San Diego",
        "timely consular notification under the Vienna Convention",
        "capacitación a policías sobre notificación consular",
    ],
    "natural-disasters": [
        "asistencia a mexicanos afectados por huracanes",
        "coordinación ante incendios en California",
        "evacuation assistance after hurricanes",
        "protocolo de emergencias en la frontera",
    ],
    "child-abduction": [
        "casos de sustracción internacional de menores",
        "Hague Convention return applications",
        "restitución de niñas y niños",
        "seguimiento de expedientes de La Haya",
    ],
    "child-support": [
        "cobro de pensiones alimenticias transfronterizas",
        "child support enforcement across the border",
        "convenio de reciprocidad en pensiones",
    ],
    "international-adoption": [
        "adopciones internacionales pendientes",
        "intercountry adoption procedures",
        "certificados de idoneidad del DIF",
    ],
    "h2-visas": [
        "estadísticas de visas H-2A y H-2B",
        "H-2 visa statistics by consulate",
        "reclutamiento ético de trabajadores temporales",
        "citas consulares para trabajadores agrícolas",
    ],
    "labor-mobility": [
        "derechos laborales de trabajadores migrantes",
        "labor rights outreach to temporary workers",
        "Semana de Derechos Laborales",
        "quejas por cobros indebidos de reclutadores",
    ],
    "dual-nationality": [
        "doble nacionalidad y registro de nacimientos",
        "dual nationals arrested in Texas",
        "actas de nacimiento de menores binacionales",
    ],
    "training": [
        "capacitación conjunta para personal consular",
        "joint training for consular staff",
        "taller sobre protección consular en Ciudad Juárez",
        "curso de inducción para cónsules de protección",
    ],
}

VERBS_ES = [
    "Compartir",
    "Revisar",
    "Actualizar las cifras sobre",
    "Enviar informe sobre",
    "Coordinar",
    "Elaborar propuesta sobre",
    "Dar seguimiento a",
    "Convocar reunión técnica sobre",
]
VERBS_EN = [
    "Share",
    "Review",
    "Update the figures on",
    "Send a note on",
    "Draft a proposal on",
    "Follow up on",
]
# The English phrases above, so a title never mixes the two languages.
ENGLISH = {
    "consular access to detained nationals",
    "timely consular notification under the Vienna Convention",
    "evacuation assistance after hurricanes",
    "Hague Convention return applications",
    "child support enforcement across the border",
    "intercountry adoption procedures",
    "H-2 visa statistics by consulate",
    "labor rights outreach to temporary workers",
    "dual nationals arrested in Texas",
    "joint training for consular staff",
}
PLACES = [
    "Tijuana",
    "Ciudad Juárez",
    "Nogales",
    "Nuevo Laredo",
    "Matamoros",
    "San Diego",
    "El Paso",
    "Laredo",
    "Houston",
    "Los Ángeles",
    "Chicago",
    "Nueva York",
    "Phoenix",
    "Atlanta",
    "Mexicali",
    "Monterrey",
    "Guadalajara",
]
MX_OWNERS = [
    "Dirección General de Protección Consular",
    "Consulado General en Los Ángeles",
    "Consulado de Carrera en El Paso",
    "Subsecretaría para América del Norte",
    "Instituto de los Mexicanos en el Exterior",
    "Dirección General de Servicios Consulares",
]
US_OWNERS = [
    "CA/OCS",
    "CA/VO",
    "Embassy Mexico City",
    "Consulate General Monterrey",
    "DHS/ICE",
    "DOL Wage and Hour Division",
]
NOTE_TEXTS = [
    "Se envió el borrador a la Embajada; esperamos comentarios.",
    "Draft shared with the Embassy; awaiting comments.",
    "La contraparte pidió más información estadística.",
    "Pendiente de validación por la Consultoría Jurídica.",
    "Discussed on the monthly call; no objections.",
    "Se acordó revisar en la próxima reunión intermedia.",
    "Oficio enviado el mismo día; acuse de recibo recibido.",
    "Waiting on the Department of Labor's figures.",
]
OUTCOMES = [
    "Se acordó intercambiar información trimestralmente.",
    "Both sides agreed to a follow-up call within 30 days.",
    "Se turnó al grupo de trabajo técnico.",
    "Quedó pendiente para la próxima reunión.",
    None,
]
MEETING_KINDS = ["annual", "intermediate", "working-group", "working-group", "extraordinary"]
HEADS = [
    ("MX", "Vanessa Calva Ruiz", "Directora General de Protección Consular"),
    ("MX", "Roberto Velasco Álvarez", "Jefe de Unidad para América del Norte"),
    ("MX", "Jacob Prado González", "Director General de Servicios Consulares"),
    ("US", "Rena Bitter", "Assistant Secretary for Consular Affairs"),
    ("US", "Julie Stufft", "Deputy Assistant Secretary for Visa Services"),
    ("US", "Eric Jacobstein", "Deputy Assistant Secretary for Mexico"),
]


class Gen:
    """One seeded source of randomness, so every size is reproducible."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def stamp(self, day: dt.date, hour: int | None = None) -> str:
        moment = dt.datetime.combine(
            day,
            dt.time(hour if hour is not None else self.rng.randint(8, 19), self.rng.randint(0, 59)),
            tzinfo=NOW.tzinfo,
        )
        return moment.isoformat(timespec="seconds")


def _action_title(g: Gen, topic: str) -> str:
    rng = g.rng
    phrase = rng.choice(TOPIC_PHRASES[topic])
    title = f"{rng.choice(VERBS_EN if phrase in ENGLISH else VERBS_ES)} {phrase}"
    if rng.random() < 0.4:
        title += f" ({rng.choice(PLACES)})"
    return title[0].upper() + title[1:]


def _item_title(rng: random.Random, slug: str, es: str, en: str) -> str:
    phrase = rng.choice(TOPIC_PHRASES[slug])
    return f"{en if phrase in ENGLISH else es}: {phrase}"


def generate(size: Size, seed: int = SEED) -> dict[str, Any]:
    """The whole dump for one size, as a JSON-ready dict."""
    g = Gen(seed + size.meetings)
    rng = g.rng
    dialogue_uuid = g.uuid()
    created_day = dt.date(2010, 3, 1)
    dialogue = {
        "id": 1,
        "key": "consular",
        "uuid": dialogue_uuid,
        "name": "Diálogo Consular México–Estados Unidos",
        "parties": ["MX", "US"],
        "established": "2010-03",
        "notes": "Mecanismo bilateral de diálogo sobre protección y servicios consulares.",
        "updated": g.stamp(created_day, 9),
    }
    topics = [
        {
            "id": n,
            "slug": slug,
            "uuid": g.uuid(),
            "name_es": es,
            "name_en": en,
            "updated": g.stamp(created_day, 9),
        }
        for n, (slug, es, en) in enumerate(TOPICS, start=1)
    ]

    # Meetings from 2010 to a year after NOW, ~5% still planned; in date order so
    # ids grow with dates and carried items always point backwards.
    first, last = dt.date(2010, 4, 1), TODAY + dt.timedelta(days=365)
    span = (last - first).days
    days = sorted(first + dt.timedelta(days=rng.randrange(span)) for _ in range(size.meetings))
    meetings: list[dict[str, Any]] = []
    held_ids: list[int] = []
    for n, day in enumerate(days, start=1):
        kind = rng.choice(MEETING_KINDS)
        held = day < TODAY
        place = rng.choice(PLACES)
        year_no = day.year - 2009
        title = {
            "annual": f"{year_no}ª Reunión Anual del Diálogo Consular",
            "intermediate": f"Reunión intermedia del Diálogo Consular, {place}",
            "working-group": f"Grupo de trabajo de protección consular — {place}",
            "extraordinary": f"Extraordinary consular meeting on {rng.choice(TOPICS)[2].lower()}",
        }[kind]
        delegations = []
        for party in ("MX", "US"):
            head = rng.choice([h for h in HEADS if h[0] == party])
            delegations.append(
                {
                    "party": party,
                    "head": head[1],
                    "title": head[2],
                    "members": rng.sample(MX_OWNERS if party == "MX" else US_OWNERS, 2),
                }
            )
        status = "held" if held else rng.choice(["planned", "planned", "postponed"])
        if held and rng.random() < 0.02:
            status = "cancelled"
        meetings.append(
            {
                "id": n,
                "uuid": g.uuid(),
                "dialogue": "consular",
                "title": title,
                "kind": kind,
                "date": day.isoformat(),
                "end_date": (day + dt.timedelta(days=1)).isoformat() if kind == "annual" else None,
                "location": place,
                "host": "MX" if rng.random() < 0.5 else "US",
                "status": status,
                "ref": f"SRE-DGPC/{day.year}/{n:05d}",
                "summary": (
                    f"Las delegaciones revisaron {rng.choice(TOPIC_PHRASES['consular-access'])} "
                    f"y {rng.choice(TOPIC_PHRASES['h2-visas'])}."
                    if held
                    else None
                ),
                "delegations": delegations,
                "level": rng.choices(["public", "internal", "restricted"], [3, 6, 1])[0],
                "sources": {"communique": f"https://www.gob.mx/sre/prensa/{day.year}-{n}"}
                if held and rng.random() < 0.3
                else {},
                "updated": g.stamp(min(day, TODAY)),
                "dialogue_uuid": dialogue_uuid,
            }
        )
        if status == "held":
            held_ids.append(n)

    # Agenda: ~4 items a meeting; an item often continues the same topic's item of
    # an earlier meeting (carried_from), which is how a subject is followed.
    items: list[dict[str, Any]] = []
    last_item_by_topic: dict[str, dict[str, Any]] = {}
    items_by_meeting: dict[int, list[dict[str, Any]]] = {}
    for meeting in meetings:
        count = rng.choice([3, 4, 4, 5])
        chosen = rng.sample(TOPICS, count)
        for position, (slug, es, en) in enumerate(chosen, start=1):
            origin = last_item_by_topic.get(slug)
            carried = origin is not None and rng.random() < 0.5
            if meeting["status"] == "held":
                status = rng.choices(
                    ["discussed", "agreed", "in-progress", "referred", "deferred", "resolved"],
                    [3, 3, 2, 1, 1, 2],
                )[0]
            else:
                status = "pending"
            item = {
                "id": len(items) + 1,
                "uuid": g.uuid(),
                "meeting_id": meeting["id"],
                "position": position,
                "title": origin["title"] if carried and origin else _item_title(rng, slug, es, en),
                "topic": slug,
                "status": status,
                "outcome": rng.choice(OUTCOMES) if meeting["status"] == "held" else None,
                "lead": rng.choice(MX_OWNERS + US_OWNERS) if rng.random() < 0.7 else None,
                "carried_from": origin["id"] if carried and origin else None,
                "level": meeting["level"] if rng.random() < 0.8 else "internal",
                "updated": meeting["updated"],
                "meeting_uuid": meeting["uuid"],
                "carried_from_uuid": origin["uuid"] if carried and origin else None,
            }
            items.append(item)
            items_by_meeting.setdefault(meeting["id"], []).append(item)
            last_item_by_topic[slug] = item

    # Actions: only held meetings produce follow-ups, annual meetings the most;
    # ~20% unfinished, with due dates around NOW.
    actions: list[dict[str, Any]] = []
    meeting_by_id = {m["id"]: m for m in meetings}
    weight = {"annual": 4, "intermediate": 2, "working-group": 1, "extraordinary": 1}
    per_meeting = rng.choices(
        held_ids, [weight[meeting_by_id[m]["kind"]] for m in held_ids], k=size.actions
    )
    per_meeting.sort()
    for meeting_id in per_meeting:
        meeting = meeting_by_id[meeting_id]
        day = dt.date.fromisoformat(meeting["date"])
        linked = rng.choice(items_by_meeting[meeting_id]) if rng.random() < 0.85 else None
        topic = linked["topic"] if linked else rng.choice(TOPICS)[0]
        party = rng.choices(["MX", "US", "joint"], [4, 4, 2])[0]
        owner_pool = MX_OWNERS if party == "MX" else US_OWNERS if party == "US" else None
        owner = rng.choice(owner_pool or MX_OWNERS + US_OWNERS) if rng.random() < 0.9 else None
        unfinished = rng.random() < 0.20
        due: dt.date | None
        completed: dt.date | None = None
        changes: list[dict[str, Any]] = []
        if unfinished:
            status = rng.choices(["open", "in-progress", "blocked"], [6, 3, 1])[0]
            # Some overdue, some due soon, some far: a real backlog.
            due = TODAY + dt.timedelta(days=rng.randint(-400, 300))
            due = max(due, day + dt.timedelta(days=7))
            updated_day = min(TODAY, day + dt.timedelta(days=rng.randint(0, 60)))
            if status != "open":
                changes.append(
                    {
                        "at": g.stamp(updated_day),
                        "field": "status",
                        "from": "open",
                        "to": status,
                    }
                )
        else:
            status = "done" if rng.random() < 0.88 else "cancelled"
            due = day + dt.timedelta(days=rng.randint(14, 240))
            finish = min(
                TODAY - dt.timedelta(days=1), due + dt.timedelta(days=rng.randint(-30, 45))
            )
            finish = max(finish, day)
            updated_day = finish
            completed = finish if status == "done" else None
            changes.append({"at": g.stamp(finish), "field": "status", "from": "open", "to": status})
        if rng.random() < 0.08:
            due = None
        created = g.stamp(day)
        note_day = min(TODAY, day + dt.timedelta(days=rng.randint(1, 30)))
        actions.append(
            {
                "id": len(actions) + 1,
                "uuid": g.uuid(),
                "meeting_id": meeting_id,
                "item_id": linked["id"] if linked else None,
                "title": _action_title(g, topic),
                "party": party,
                "owner": owner,
                "due": due.isoformat() if due else None,
                "status": status,
                "priority": rng.choices(["low", "normal", "high"], [2, 6, 2])[0],
                "created": created,
                "updated": max(created, g.stamp(updated_day)),
                "completed": completed.isoformat() if completed else None,
                "notes": [
                    {
                        "at": g.stamp(note_day),
                        "text": rng.choice(NOTE_TEXTS),
                        "level": "internal",
                    }
                ],
                "changes": changes,
                "level": meeting["level"] if rng.random() < 0.7 else "internal",
                "meeting_uuid": meeting["uuid"],
                "item_uuid": linked["uuid"] if linked else None,
            }
        )

    return {
        "format": "consular-dialogue",
        "version": 1,
        "exported_at": NOW.isoformat(timespec="seconds"),
        "dialogues": [dialogue],
        "topics": topics,
        "meetings": meetings,
        "agenda_items": items,
        "actions": actions,
        "sync": {},
    }


# ---- the same tasks for Taskwarrior ------------------------------------------

TW_STATUS = {
    "open": "pending",
    "in-progress": "pending",
    "blocked": "pending",
    "done": "completed",
    "cancelled": "deleted",
}
TW_PRIORITY = {"low": "L", "normal": None, "high": "H"}


def _tw_time(iso_or_day: str) -> str:
    """Taskwarrior's import wants UTC in ISO basic form: 20260615T160000Z."""
    if len(iso_or_day) == 10:
        moment = dt.datetime.combine(
            dt.date.fromisoformat(iso_or_day), dt.time(0, 0), tzinfo=NOW.tzinfo
        )
    else:
        moment = dt.datetime.fromisoformat(iso_or_day)
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def taskwarrior_tasks(dump: dict[str, Any]) -> list[dict[str, Any]]:
    """The dump's actions as Taskwarrior tasks: same titles, dues, statuses, one annotation."""
    tasks = []
    for action in dump["actions"]:
        task: dict[str, Any] = {
            "uuid": action["uuid"],
            "description": action["title"],
            "status": TW_STATUS[action["status"]],
            "entry": _tw_time(action["created"]),
            "modified": _tw_time(action["updated"]),
            "project": f"consular.m{action['meeting_id']}",
            "annotations": [
                {"entry": _tw_time(n["at"]), "description": n["text"]} for n in action["notes"]
            ],
        }
        if action["due"]:
            task["due"] = _tw_time(action["due"])
        if action["owner"]:
            task["owner"] = action["owner"]  # a UDA; harmless when undefined
        if TW_PRIORITY[action["priority"]]:
            task["priority"] = TW_PRIORITY[action["priority"]]
        if task["status"] in ("completed", "deleted"):
            task["end"] = _tw_time(action["updated"])
        tasks.append(task)
    return tasks


def _json_bytes(value: Any) -> bytes:
    """Indented UTF-8 JSON, as ``cdt export all -o`` writes it (orjson when installed)."""
    try:
        import orjson
    except ImportError:
        return (json.dumps(value, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    return orjson.dumps(value, option=orjson.OPT_INDENT_2) + b"\n"


def write_dump(size: str, path: Path, taskwarrior: Path | None = None) -> dict[str, Any]:
    dump = generate(SIZES[size])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_json_bytes(dump))
    if taskwarrior is not None:
        taskwarrior.parent.mkdir(parents=True, exist_ok=True)
        # One task per line: the form `task import` reads fastest and streams well.
        with taskwarrior.open("w", encoding="utf-8") as handle:
            for task in taskwarrior_tasks(dump):
                handle.write(json.dumps(task, ensure_ascii=False) + "\n")
    return dump


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("size", choices=sorted(SIZES))
    parser.add_argument("-o", "--output", required=True, type=Path, help="the dump to write")
    parser.add_argument("--taskwarrior", type=Path, help="also write tasks for `task import`")
    args = parser.parse_args(argv)
    dump = write_dump(args.size, args.output, args.taskwarrior)
    open_count = sum(a["status"] not in ("done", "cancelled") for a in dump["actions"])
    print(
        f"{args.size}: {len(dump['meetings'])} meetings, {len(dump['agenda_items'])} agenda items, "
        f"{len(dump['actions'])} actions ({open_count} unfinished) -> {args.output}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

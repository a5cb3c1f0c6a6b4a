"""Labels, headings, status names and month names in English and Spanish.

User text is never translated; only what the tool itself writes.
"""

from __future__ import annotations

from .dates import PartialDate

LABELS: dict[str, tuple[str, str]] = {
    # key: (English, Spanish)
    "id": ("ID", "ID"),
    "date": ("Date", "Fecha"),
    "end_date": ("Ends", "Termina"),
    "kind": ("Kind", "Tipo"),
    "title": ("Title", "Título"),
    "status": ("Status", "Estado"),
    "location": ("Place", "Lugar"),
    "host": ("Host", "Anfitrión"),
    "ref": ("Reference", "Referencia"),
    "summary": ("Summary", "Resumen"),
    "dialogue": ("Dialogue", "Diálogo"),
    "delegations": ("Delegations", "Delegaciones"),
    "delegation": ("Delegation", "Delegación"),
    "head": ("Head", "Titular"),
    "members": ("Members", "Integrantes"),
    "party": ("Party", "Parte"),
    "owner": ("Owner", "Responsable"),
    "due": ("Due", "Vence"),
    "priority": ("Priority", "Prioridad"),
    "topic": ("Topic", "Tema"),
    "outcome": ("Outcome", "Resultado"),
    "lead": ("Lead", "Conduce"),
    "meeting": ("Meeting", "Reunión"),
    "meetings": ("Meetings", "Reuniones"),
    "item": ("Item", "Punto"),
    "agenda": ("Agenda", "Agenda"),
    "actions": ("Actions", "Acciones"),
    "action": ("Action", "Acción"),
    "notes": ("Notes", "Notas"),
    "changes": ("Changes", "Cambios"),
    "created": ("Created", "Creada"),
    "completed": ("Completed", "Completada"),
    "carried_from": ("Carried from", "Arrastrado de"),
    "overdue": ("overdue", "vencida"),
    "open": ("open", "abiertas"),
    "done": ("done", "hechas"),
    "name": ("Name", "Nombre"),
    "key": ("Key", "Clave"),
    "parties": ("Parties", "Partes"),
    "established": ("Established", "Establecido"),
    "agenda_items": ("Agenda items", "Puntos de agenda"),
    "open_actions": ("Open actions", "Acciones abiertas"),
    "today": ("today", "hoy"),
    "no_meetings": ("No meetings.", "No hay reuniones."),
    "no_actions": ("No actions.", "No hay acciones."),
    "no_matches": ("No matches.", "Sin resultados."),
    "no_items": ("No agenda items.", "No hay puntos de agenda."),
    "none": ("none", "ninguno"),
    "level": ("Level", "Nivel"),
    "sources": ("Sources", "Fuentes"),
    "field": ("Field", "Campo"),
    "text": ("Text", "Texto"),
    # reports, briefings and timelines (reports.py, timeline.py)
    "report_meeting": ("Agenda status report", "Informe de estado de la agenda"),
    "report_standing": ("Standing of the dialogue", "Situación del diálogo"),
    "report_briefing": ("Pre-meeting briefing", "Nota informativa previa a la reunión"),
    "as_of": ("as of", "al"),
    "position": ("Position", "Cargo"),
    "no_delegations": ("No delegations recorded.", "No hay delegaciones registradas."),
    "heads": ("Heads of delegation", "Titulares de delegación"),
    "n_open": ("Open", "Abiertas"),
    "n_overdue": ("Overdue", "Vencidas"),
    "n_done": ("Done", "Hechas"),
    "n_cancelled": ("Cancelled", "Canceladas"),
    "actions_without_item": ("Actions not tied to an agenda item", "Acciones sin punto de agenda"),
    "carried_from_item": ("carried from item {item}", "arrastrado del punto {item}"),
    "last_meeting": ("Last meeting held", "Última reunión celebrada"),
    "next_meeting": ("Next meeting", "Próxima reunión"),
    "open_items_by_topic": ("Open agenda items by topic", "Puntos de agenda abiertos por tema"),
    "no_topic": ("No topic", "Sin tema"),
    "no_open_items": ("No open agenda items.", "No hay puntos de agenda abiertos."),
    "since": ("Since", "Desde"),
    "actions_by_party": ("Open actions by party", "Acciones abiertas por parte"),
    "completed_since": ("Completed since the last meeting", "Completadas desde la última reunión"),
    "completed_all": ("Completed actions", "Acciones completadas"),
    "no_completed": ("Nothing completed.", "Nada completado."),
    "carried_in": ("Items carried in", "Puntos arrastrados de reuniones anteriores"),
    "none_carried": ("No items carried in.", "No hay puntos arrastrados."),
    "times_carried": ("Times carried", "Veces arrastrado"),
    "last_status": ("Last status", "Último estado"),
    "last_outcome": ("Last outcome", "Último resultado"),
    "due_slips": ("Due-date slips", "Plazos aplazados"),
    "no_slips": ("No due dates moved.", "Ningún plazo se ha movido."),
    "first_due": ("First due", "Plazo original"),
    "latest_due": ("Latest due", "Plazo actual"),
    "last_outcomes": ("Last outcome by topic", "Último resultado por tema"),
    "no_outcomes": (
        "No earlier outcomes for these topics.",
        "No hay resultados anteriores de estos temas.",
    ),
    "actions_timeline": ("Open actions by due date", "Acciones abiertas por fecha límite"),
    "no_due_date": ("No due date", "Sin fecha límite"),
}

STATUS_NAMES: dict[str, tuple[str, str]] = {
    # meeting kinds
    "annual": ("Annual", "Anual"),
    "intermediate": ("Intermediate", "Intermedia"),
    "working-group": ("Working group", "Grupo de trabajo"),
    "extraordinary": ("Extraordinary", "Extraordinaria"),
    "other": ("Other", "Otra"),
    # meeting statuses
    "planned": ("planned", "prevista"),
    "held": ("held", "celebrada"),
    "postponed": ("postponed", "pospuesta"),
    "cancelled": ("cancelled", "cancelada"),
    # agenda statuses
    "pending": ("pending", "pendiente"),
    "discussed": ("discussed", "tratado"),
    "agreed": ("agreed", "acordado"),
    "in-progress": ("in progress", "en curso"),
    "referred": ("referred", "remitido"),
    "deferred": ("deferred", "aplazado"),
    "resolved": ("resolved", "resuelto"),
    "dropped": ("dropped", "retirado"),
    # action statuses and priorities
    "open": ("open", "abierta"),
    "blocked": ("blocked", "bloqueada"),
    "done": ("done", "hecha"),
    "low": ("low", "baja"),
    "normal": ("normal", "normal"),
    "high": ("high", "alta"),
    "joint": ("joint", "conjunta"),
    # levels
    "public": ("public", "público"),
    "internal": ("internal", "interno"),
    "restricted": ("restricted", "restringido"),
}

# fmt: off
MONTHS: dict[str, list[str]] = {
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    "es": [
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ],
}
# fmt: on


def label(key: str, lang: str) -> str:
    english, spanish = LABELS[key]
    return spanish if lang == "es" else english


def status_name(value: str, lang: str) -> str:
    """A status, kind, priority or level in the run's language (unknown values as given)."""
    names = STATUS_NAMES.get(value)
    if names is None:
        return value
    return names[1] if lang == "es" else names[0]


def month_name(month: int, lang: str) -> str:
    return MONTHS["es" if lang == "es" else "en"][month - 1]


def long_date(value: PartialDate | None, lang: str) -> str:
    """``24 April 2023`` / ``24 de abril de 2023``; ``October 2023`` / ``octubre de 2023``."""
    if value is None:
        return ""
    if value.month is None:
        return str(value.year)
    month = month_name(value.month, lang)
    if value.day is None:
        return f"{month} de {value.year}" if lang == "es" else f"{month} {value.year}"
    if lang == "es":
        return f"{value.day} de {month} de {value.year}"
    return f"{value.day} {month} {value.year}"

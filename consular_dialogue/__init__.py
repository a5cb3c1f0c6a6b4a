"""consular-dialogue: a terminal tracker for the meetings of bilateral dialogue mechanisms.

The package is a plain core (models, services, storage) with a thin Typer CLI on
top; nothing here imports the CLI.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .dates import PartialDate, Precision, parse_date
from .errors import ConsularDialogueError
from .models import Action, AgendaItem, Delegation, Dialogue, Meeting, Topic

__all__ = [
    "Action",
    "AgendaItem",
    "ConsularDialogueError",
    "Delegation",
    "Dialogue",
    "Meeting",
    "PartialDate",
    "Precision",
    "Topic",
    "__version__",
    "parse_date",
]

"""consular-dialogue: a terminal tracker for the meetings of bilateral dialogue mechanisms.

The package is a plain core (models, services, storage) with a thin Typer CLI on
top; nothing here imports the CLI. The public names below load on first use, so
``cdt --version`` and commands that never touch a date or a model do not pay for
importing them.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .dates import PartialDate, Precision, parse_date
    from .errors import ConsularDialogueError
    from .models import Action, AgendaItem, Delegation, Dialogue, Meeting, Topic

_HOMES = {
    "PartialDate": "dates",
    "Precision": "dates",
    "parse_date": "dates",
    "ConsularDialogueError": "errors",
    "Action": "models",
    "AgendaItem": "models",
    "Delegation": "models",
    "Dialogue": "models",
    "Meeting": "models",
    "Topic": "models",
}

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


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f".{home}", __name__), name)

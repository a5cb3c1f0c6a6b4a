"""Export formats: pure functions returning text or bytes, and their registry.

One module per format (``csv_format``, ``json_format``, ``markdown``, ``ics``,
``xlsx``); each takes typed records and an :class:`ExportContext` and returns
``str`` or ``bytes``. This module maps ``(kind, format)`` to them; the CLI's
``--format`` choices and help come from here. Adding a format is one module
and one entry in ``FORMATS``.

Nothing here imports Typer, Rich or TinyDB, and the format modules (and
openpyxl) are only imported when a format is used, so importing the
registry costs nothing at start-up.

    rendered = export_actions("csv", actions, ExportContext(today=today, now=now))
    rendered.data       # bytes, ready for a file or stdout
    rendered.left_out   # records the format could not hold (ICS), to warn about
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal, NamedTuple

from ..errors import InputError
from ..models import Action, Meeting, Record
from .context import ExportContext

__all__ = [
    "FORMATS",
    "ExportContext",
    "ExportFormat",
    "Kind",
    "Rendered",
    "export_actions",
    "export_meetings",
    "format_names",
    "get_format",
]

Kind = Literal["actions", "meetings"]


class Rendered(NamedTuple):
    """An export ready to write: its bytes, and what had to be left out, and why."""

    data: bytes
    left_out: tuple[Record, ...] = ()
    #: Why the left-out records are missing, as an adjective: "month-precise".
    left_out_reason: str = ""


class ExportFormat(NamedTuple):
    kind: Kind
    name: str
    description: str
    suffix: str
    #: Binary formats are never written to a terminal.
    binary: bool
    render: Callable[[Sequence[Any], ExportContext], Rendered]
    #: The library the format needs beyond the tool's own, and the extra that installs it.
    needs: tuple[str, str] | None = None
    #: Each of two shares of ``render``'s (0, 1): their data one after the other are its
    #: data, and the first names what it left out (for ``forked.in_two``).
    render_share: Callable[[Sequence[Any], ExportContext, int], Rendered] | None = None


# Each renderer imports its module on first use (see the module docstring).


def _actions_csv(records: Sequence[Action], ctx: ExportContext) -> Rendered:
    from .csv_format import actions_csv

    return Rendered(actions_csv(records, ctx).encode("utf-8"))


def _actions_json(records: Sequence[Action], ctx: ExportContext) -> Rendered:
    from .json_format import actions_json

    return Rendered(actions_json(records, ctx).encode("utf-8"))


def _actions_markdown(records: Sequence[Action], ctx: ExportContext) -> Rendered:
    from .markdown import actions_markdown

    return Rendered(actions_markdown(records, ctx).encode("utf-8"))


def _actions_ics(
    records: Sequence[Action], ctx: ExportContext, share: int | None = None
) -> Rendered:
    from .ics import actions_ics

    result = actions_ics(records, ctx, share=share)
    return Rendered(result.text.encode("utf-8"), result.left_out, "undated")


def _actions_xlsx(records: Sequence[Action], ctx: ExportContext) -> Rendered:
    from .xlsx import actions_xlsx

    return Rendered(actions_xlsx(records, ctx))


def _meetings_csv(records: Sequence[Meeting], ctx: ExportContext) -> Rendered:
    from .csv_format import meetings_csv

    return Rendered(meetings_csv(records, ctx).encode("utf-8"))


def _meetings_json(records: Sequence[Meeting], ctx: ExportContext) -> Rendered:
    from .json_format import meetings_json

    return Rendered(meetings_json(records, ctx).encode("utf-8"))


def _meetings_ics(records: Sequence[Meeting], ctx: ExportContext) -> Rendered:
    from .ics import meetings_ics

    result = meetings_ics(records, ctx)
    return Rendered(result.text.encode("utf-8"), result.left_out, "month-precise")


_CSV = "CSV for spreadsheets (UTF-8 with BOM)"
_JSON = "JSON records, as --json prints them"
_ICS = "iCalendar file for calendar apps"

FORMATS: dict[tuple[Kind, str], ExportFormat] = {
    (f.kind, f.name): f
    for f in (
        ExportFormat("actions", "csv", _CSV, ".csv", False, _actions_csv),
        ExportFormat("actions", "json", _JSON, ".json", False, _actions_json),
        ExportFormat("actions", "markdown", "a Markdown table", ".md", False, _actions_markdown),
        ExportFormat(
            "actions",
            "ics",
            f"{_ICS} (dated actions as to-dos)",
            ".ics",
            False,
            _actions_ics,
            render_share=_actions_ics,
        ),
        ExportFormat(
            "actions",
            "xlsx",
            "an Excel workbook",
            ".xlsx",
            True,
            _actions_xlsx,
            needs=("openpyxl", "xlsx"),
        ),
        ExportFormat("meetings", "csv", _CSV, ".csv", False, _meetings_csv),
        ExportFormat("meetings", "json", _JSON, ".json", False, _meetings_json),
        ExportFormat("meetings", "ics", f"{_ICS} (all-day events)", ".ics", False, _meetings_ics),
    )
}


def format_names(kind: Kind) -> list[str]:
    """The formats one kind of record can be exported to, in registry order."""
    return [name for (k, name) in FORMATS if k == kind]


def get_format(kind: Kind, name: str) -> ExportFormat:
    found = FORMATS.get((kind, name.strip().lower()))
    if found is None:
        choices = ", ".join(format_names(kind))
        raise InputError(
            f"{kind.capitalize()} cannot be exported as {name!r}; use one of: {choices}."
        )
    if found.needs is not None:
        from importlib.util import find_spec

        library, extra = found.needs
        if find_spec(library) is None:
            raise InputError(
                f"The {found.name} format needs {library}, which is not installed: "
                f"pip install 'consular-dialogue[{extra}]' (or choose --format csv)."
            )
    return found


def export_actions(name: str, actions: Sequence[Action], ctx: ExportContext) -> Rendered:
    """Actions in the named format."""
    return get_format("actions", name).render(actions, ctx)


def export_meetings(name: str, meetings: Sequence[Meeting], ctx: ExportContext) -> Rendered:
    """Meetings in the named format."""
    return get_format("meetings", name).render(meetings, ctx)

"""The Typer command tree: the root command, its global options, and the commands it is given.

Kept apart from ``cli/__init__`` so that ``cdt --version`` never imports Typer.
"""

from __future__ import annotations

import copy
from typing import Annotated

import typer

from .. import __version__
from . import COMMANDS, GROUPS, SUMMARIES

ROOT_HELP = "Track the meetings, agendas and follow-up actions of bilateral dialogues."


def _version(value: bool) -> None:
    if value:
        print(f"cdt {__version__}")
        raise typer.Exit()


def root(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option("--db", help="Data file (default: $CDT_DB, then the per-user data folder)."),
    ] = None,
    lang: Annotated[
        str | None, typer.Option("--lang", help="Language of labels and reports: en or es.")
    ] = None,
    date_order: Annotated[
        str | None,
        typer.Option(
            "--date-order",
            help="Read numeric dates like 04/05/2023 as dmy or mdy (default: refuse them).",
        ),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """Track the meetings, agendas and follow-up actions of bilateral dialogues.

    Example: cdt meeting list --year 2023
    """
    from .common import new_state

    ctx.obj = new_state(db=db, lang=lang, date_order=date_order, debug=debug)


def build_app(
    only: str | None = None, sub: str | None = None, *, summaries_only: bool = False
) -> typer.Typer:
    """The root app with every command, or with just ``only`` (a group or command name)
    and, inside that group, just its command ``sub`` when it has one of that name.

    ``summaries_only`` gives every group and command as an empty stand-in carrying its
    one-line summary: all that ``cdt --help`` prints, without importing a command
    module or letting Typer read a hundred signatures (a test keeps it identical to
    the whole app's help).
    """
    import importlib

    app = typer.Typer(
        name="cdt",
        help=ROOT_HELP,
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    app.callback()(root)
    if summaries_only:
        for name in COMMANDS:
            app.command(name, help=SUMMARIES[name])(_stand_in)
        for name in GROUPS:
            app.add_typer(typer.Typer(), name=name, help=SUMMARIES[name])
        return app
    for name, module_name in GROUPS.items():
        if only in (None, name):
            module = importlib.import_module(f"{__package__}.{module_name}")
            app.add_typer(_narrowed(module.app, sub), name=name)
    for name, (module_name, attribute) in COMMANDS.items():
        if only in (None, name):
            module = importlib.import_module(f"{__package__}.{module_name}")
            app.command(name)(getattr(module, attribute))
    return app


def _narrowed(group: typer.Typer, sub: str | None) -> typer.Typer:
    """The group with only its command ``sub``: Typer builds every command it is given.

    An unknown ``sub`` keeps the whole group, so Typer can name the commands there are.
    """
    chosen = [c for c in group.registered_commands if sub is not None and c.name == sub]
    if not chosen:
        return group
    narrowed = copy.copy(group)
    narrowed.registered_commands = chosen
    return narrowed


def _stand_in() -> None:
    """Never run: a command's place in the root help."""

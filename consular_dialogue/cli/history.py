"""``cdt log``, ``cdt undo``, ``cdt redo``: the change history in the data file."""

from __future__ import annotations

from typing import Annotated

import typer

from .common import reading, say, state, writing


def log_command(
    ctx: typer.Context,
    number: Annotated[int | None, typer.Option("-n", help="Show at most N changes.")] = None,
    record: Annotated[
        str | None, typer.Option("--record", help="Only one record, e.g. action:7.")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show the change history, newest first, one line per change.

    Example: cdt log -n 20 --record action:7
    """
    from .reads import log

    log(ctx, number=number, record=record, json_out=json_out)


def undo_command(
    ctx: typer.Context,
    steps: Annotated[int, typer.Option("--steps", help="How many commands to undo.")] = 1,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show, change nothing.")] = False,
) -> None:
    """Undo the last commands' changes (one atomic write; `cdt redo` takes it back).

    Example: cdt undo --steps 2 --dry-run
    """
    from ..services.history import undo

    st = state(ctx)
    if dry_run:
        with reading(ctx) as repo:
            entries = undo(repo, steps, now=st.settings.now, command="", dry_run=True)
    else:
        with writing(ctx) as repo:
            entries = undo(repo, steps, now=st.settings.now, command=st.command_line, dry_run=False)
    verb = "Would undo" if dry_run else "Undid"
    counts = [len(entry["changes"]) for entry in entries]  # a damaged one stops all lines
    for entry, count in zip(entries, counts, strict=True):
        say(ctx, f"{verb} {entry['txn']}: {entry['command']} ({count} changes)")


def redo_command(
    ctx: typer.Context,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show, change nothing.")] = False,
) -> None:
    """Take back the last undo.

    Example: cdt redo
    """
    from ..services.history import redo

    st = state(ctx)
    if dry_run:
        with reading(ctx) as repo:
            entry = redo(repo, now=st.settings.now, command="", dry_run=True)
    else:
        with writing(ctx) as repo:
            entry = redo(repo, now=st.settings.now, command=st.command_line, dry_run=False)
    verb = "Would redo" if dry_run else "Redid"
    say(ctx, f"{verb} the undo {entry['txn']} ({entry['command']})")

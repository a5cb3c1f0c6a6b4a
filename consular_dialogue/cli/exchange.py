"""``cdt export all`` and ``cdt import``: dumps exchanged between offices."""

from __future__ import annotations

import contextlib
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Annotated

import typer

from .common import (
    check_output,
    print_json,
    reading,
    say,
    state,
    write_output,
    writing,
)
from .options import MaxLevelOpt


def export_all_command(
    ctx: typer.Context,
    output: Annotated[str | None, typer.Option("-o", "--output", help="Write to FILE.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
    max_level: MaxLevelOpt = None,
) -> None:
    """Write a dump of every record, to exchange with another office.

    Example: cdt export all --max-level public -o consular-public.json
    """
    from ..jsonout import escaped
    from ..services.exchange import dump_text

    st = state(ctx)
    if output is not None:
        check_output(ctx, output, force=force)  # refuse a bad -o before reading anything
    with reading(ctx, max_level) as repo:
        pieces = _then_newline(dump_text(repo, now=st.settings.now))
        if output is None:
            # All of it made, into a temp file, before any is written: a record that
            # cannot be written never leaves half a dump (nor all of it in memory).
            with tempfile.TemporaryFile() as spool:
                for piece in pieces:
                    spool.write(escaped(bytes(piece)))
                spool.seek(0)
                try:
                    sys.stdout.flush()
                    shutil.copyfileobj(spool, sys.stdout.buffer, 1 << 20)
                    sys.stdout.flush()
                except BrokenPipeError:  # `cdt export all | head`: the reader left
                    from . import mute

                    mute(sys.stdout)
                    raise SystemExit(0) from None
            return
        path = write_output(ctx, output, pieces, force=force)
    say(ctx, f"Wrote {path}")


def _then_newline(pieces: Iterable[bytes | memoryview]) -> Iterator[bytes | memoryview]:
    yield from pieces
    yield b"\n"


def import_command(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(help="A dump written by cdt export all.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show, change nothing.")] = False,
    theirs: Annotated[
        bool, typer.Option("--theirs", help="In a conflict, take the dump's version.")
    ] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Merge a dump: records matched by uuid, references remapped, conflicts listed.

    Example: cdt import consular-us-office.json --dry-run
    """
    from ..services.exchange import import_dump, read_dump
    from ..services.topics import load_catalog

    path = Path(source).expanduser()
    dump = read_dump(path, str(path))
    st = state(ctx)
    if dry_run:
        # Merged into an in-memory copy that is never written: no lock, nothing created.
        with reading(ctx) as repo:
            repo.writable = True
            repo.discards = True  # what the import would write is let go of as it goes
            if repo.is_new:
                load_catalog(repo, st.settings.now)
            result = import_dump(repo, dump, theirs=theirs)
    else:
        with writing(ctx) as repo:
            with _progress(dump.size) as advance:
                result = import_dump(repo, dump, theirs=theirs, progress=advance)
            # The moved sync bases go into the history entry, so undo puts them back too.
            repo.record_history(
                now=st.settings.now,
                command=st.command_line,
                action=ctx.command_path,
                **result.history_extra(),
            )
    prefix = "Would import" if dry_run else "Imported"
    added = ", ".join(f"{n} {k}" for k, n in result.added.items()) or "nothing new"
    updated = ", ".join(f"{n} {k}" for k, n in result.updated.items()) or "none"
    kept = f"; {result.kept_local} changed only here, kept" if result.kept_local else ""
    say(ctx, f"{prefix}: added {added}; updated {updated}; {result.unchanged} unchanged{kept}")
    for conflict in result.conflicts:
        say(ctx, f"Conflict: {conflict.message}")
    if json_out:
        print_json(
            {
                "added": result.added,
                "updated": result.updated,
                "unchanged": result.unchanged,
                "kept_local": result.kept_local,
                "conflicts": [c.to_json() for c in result.conflicts],
                "dry_run": dry_run,
            }
        )


@contextlib.contextmanager
def _progress(total: int) -> Iterator[Callable[[int], None] | None]:
    """A Rich progress bar for big dumps on a terminal; silent otherwise."""
    if total < 2000 or not sys.stderr.isatty():
        yield None
        return
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        task = bar.add_task("Importing", total=total)
        yield lambda n: bar.advance(task, n)

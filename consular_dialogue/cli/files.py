"""``cdt backup``, ``cdt restore``, ``cdt check``: keeping the data file safe."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .common import confirm, reading, say, state, writing


def backup_command(
    ctx: typer.Context,
    output: Annotated[
        str | None, typer.Option("-o", "--output", help="Backup file (default: next to the data).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
) -> None:
    """Write a consistent copy of the data file (taken under its lock).

    Example: cdt backup -o ~/backups/tracker-2023-04-24.json
    """
    from ..errors import InputError
    from ..storage import copy_consistent, resolve_target

    settings = state(ctx).settings
    source = resolve_target(settings.db_path)
    if output is None:
        stamp = settings.now.strftime("%Y%m%dT%H%M%S")
        destination = source.with_name(f"{source.stem}-backup-{stamp}.json")
    else:
        destination = Path(output).expanduser()
    if resolve_target(destination) == source:
        raise InputError(f"{destination} is the data file itself; choose another -o FILE.")
    if destination.exists() and not force:
        raise InputError(f"{destination} exists already; add --force to replace it.")
    size = copy_consistent(source, destination, lock_timeout=settings.lock_timeout)
    say(ctx, f"Backed up {size} bytes to {destination}")


def restore_command(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(help="A backup file to bring back.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False,
) -> None:
    """Replace the data file with a backup, after checking it fully.

    The current file is kept as a rotating backup first.

    Example: cdt restore ~/backups/tracker-2023-04-24.json --yes
    """
    from ..errors import InputError
    from ..services.integrity import check_tables
    from ..storage import parse_file

    path = Path(source).expanduser()
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"Cannot read {path}: {exc.strerror or exc}.") from None
    try:
        data = parse_file(raw, path)
    except Exception as exc:
        raise InputError(f"{path} cannot be restored: {exc}") from None
    problems = check_tables(data)
    if problems:
        raise InputError(f"{path} cannot be restored: {problems[0]}")
    confirm(ctx, f"Replace {state(ctx).settings.db_path} with {path}?", yes)
    with writing(ctx) as repo:
        repo.replace_all(data)
    say(ctx, f"Restored {path}")


def check_command(ctx: typer.Context) -> None:
    """Verify the data file: schema, every reference, unique ids and uuids, dates.

    Exits 1 when there are problems, 0 when the file is sound.

    Example: cdt check
    """
    from ..services.integrity import check_tables

    st = state(ctx)
    with reading(ctx) as repo:
        problems = check_tables(repo.data)
    from ..render import plain

    for problem in problems:
        st.out.print(plain(problem))
    if problems:
        say(ctx, f"{len(problems)} problems found in {st.settings.db_path}")
        raise typer.Exit(1)
    say(ctx, f"{st.settings.db_path} is sound")

"""``cdt backup``, ``cdt restore``, ``cdt check``: keeping the data file safe."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..errors import InputError
from .common import check_target, confirm, say, state

if TYPE_CHECKING:
    from ..storage import Backup


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
    from ..storage import copy_consistent, resolve_target

    settings = state(ctx).settings
    source = resolve_target(settings.db_path)
    if output is None:
        stamp = settings.now.strftime("%Y%m%dT%H%M%S")
        output = str(source.with_name(f"{source.stem}-backup-{stamp}.json"))
    # never the data file, its lock or its rotating backups; no clobber without --force
    destination = check_target(output, db_path=settings.db_path, force=force)
    size = copy_consistent(source, destination, lock_timeout=settings.lock_timeout)
    say(ctx, f"Backed up {size} bytes to {destination}")


def restore_command(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(help="A backup file to bring back.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False,
) -> None:
    """Replace the data file with a backup, after checking it fully.

    The current file is kept as a rotating backup first, even when it is damaged
    (that is when restore is needed most, so it is never read).

    Example: cdt restore ~/backups/tracker-2023-04-24.json --yes
    """
    from ..errors import CorruptFileError
    from ..storage import resolve_target, restore_whole

    settings = state(ctx).settings
    path = Path(source).expanduser()
    target = resolve_target(settings.db_path)
    if resolve_target(path) == target:
        raise InputError(f"{path} is the data file itself; give a backup to restore.")
    with _checked_backup(path) as backup:
        confirm(ctx, f"Replace {settings.db_path} with {path}?", yes)
        try:
            target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise InputError(f"Cannot create the folder {target.parent}: {exc.strerror}.") from None
        try:
            kept = restore_whole(target, backup, lock_timeout=settings.lock_timeout)
        except CorruptFileError as exc:  # a part it stands on, gone or damaged since
            if not exc.reason:
                raise
            raise InputError(f"{path} cannot be restored: it {exc.reason}.") from None
    say(ctx, f"Restored {path}" + (f"; the file it replaced is kept as {kept}" if kept else ""))


def _checked_backup(path: Path) -> Backup:
    """The backup, once it is known to be a sound data file.

    A rotating backup stands on the part files beside it; a copy made by
    ``cdt backup`` is whole by itself.
    """
    from ..errors import DataFileError
    from ..services.integrity import check_records
    from ..storage import read_backup

    refused = f"{path} cannot be restored"
    try:
        backup, problems = read_backup(path, check_records)
    except OSError as exc:
        raise InputError(f"Cannot read {path}: {exc.strerror or exc}.") from None
    except DataFileError as exc:
        raise InputError(f"{refused}: it {exc.reason}.") from None
    if problems:
        backup.close()
        raise InputError(f"{refused}: {problems[0]}")
    return backup


def check_command(ctx: typer.Context) -> None:
    """Verify the data file: schema, every reference, unique ids and uuids, dates.

    Exits 1 when there are problems, 0 when the file is sound.

    Example: cdt check
    """
    from .reads import check

    check(ctx)

"""What every command shares: the run's state, opening the data file, output."""

from __future__ import annotations

import contextlib
import datetime as dt
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ..dates import PartialDate, Precision, parse_date
from ..errors import UsageProblem
from ..settings import Settings
from ..storage import Repository, open_for_reading, open_for_writing

if TYPE_CHECKING:
    from rich.console import Console

DAY_OR_MONTH = frozenset({Precision.DAY, Precision.MONTH})
DAY_ONLY = frozenset({Precision.DAY})


@dataclass
class State:
    """Built once per run in the root callback and kept in ``ctx.obj``."""

    settings: Settings
    command_line: str
    _out: Console | None = field(default=None, repr=False)
    _err: Console | None = field(default=None, repr=False)

    @property
    def out(self) -> Console:
        """Rich console for data on stdout (plain when not a terminal or NO_COLOR)."""
        if self._out is None:
            from ..render import make_console

            self._out = make_console(sys.stdout)
        return self._out

    @property
    def err(self) -> Console:
        if self._err is None:
            from ..render import make_console

            self._err = make_console(sys.stderr)
        return self._err


def state(ctx: typer.Context) -> State:
    obj = ctx.find_root().obj
    assert isinstance(obj, State), "the root callback sets ctx.obj"
    return obj


MaxLevelOpt = Annotated[
    str | None,
    typer.Option(
        "--max-level",
        help="Leave out records above this level: public|internal|restricted.",
    ),
]


@contextlib.contextmanager
def reading(ctx: typer.Context, max_level: str | None = None) -> Iterator[Repository]:
    """The data file for a command that only reads: no lock, nothing created.

    With ``max_level``, records above it are left out (and their number said on stderr).
    """
    repo = open_for_reading(state(ctx).settings.db_path)
    if max_level is not None:
        from ..models import Level, parse_choice
        from ..services.sensitivity import restrict

        level = parse_choice(Level, max_level, "level")
        left_out = restrict(repo, level)
        if left_out:
            say(ctx, f"Left out {left_out} records above the level {level.value}")
    yield repo


@contextlib.contextmanager
def writing(ctx: typer.Context, action: str = "") -> Iterator[Repository]:
    """The data file locked for the whole command, replaced atomically at the end."""
    from ..services.topics import load_catalog

    st = state(ctx)
    settings = st.settings
    with open_for_writing(
        settings.db_path, lock_timeout=settings.lock_timeout, backups=settings.backups
    ) as repo:
        if repo.is_new:
            load_catalog(repo, settings.now)
            repo.pending.clear()  # the catalog is part of a new file, not a user's change
        yield repo
        repo.record_history(
            now=settings.now, command=st.command_line, action=action or ctx.command_path
        )


def parse_user_date(
    ctx: typer.Context, text: str, allow: frozenset[Precision] = DAY_OR_MONTH
) -> PartialDate:
    settings = state(ctx).settings
    return parse_date(text, now=settings.now, order=settings.date_order, allow=allow)  # type: ignore[arg-type]


def parse_user_day(ctx: typer.Context, text: str) -> dt.date:
    return parse_user_date(ctx, text, DAY_ONLY).first_day()


def say(ctx: typer.Context, message: str) -> None:
    """Talk to the user on stderr (data goes to stdout)."""
    from ..render import plain

    state(ctx).err.print(plain(message))


def print_json(value: Any) -> None:
    import orjson

    sys.stdout.buffer.write(orjson.dumps(value, option=orjson.OPT_INDENT_2) + b"\n")
    sys.stdout.flush()


def interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def confirm(ctx: typer.Context, question: str, yes: bool) -> None:
    """Ask before destroying something; ``--yes`` answers for scripts."""

    if yes:
        return
    if not sys.stdin.isatty():
        raise UsageProblem("Refusing to delete without a terminal to ask; add --yes.")
    if not typer.confirm(question, default=False, err=True):
        raise typer.Exit(1)


def write_output(ctx: typer.Context, output: str, payload: bytes, *, force: bool) -> Path:
    """Write an export or report to ``-o FILE``: 0600, atomic, never over the data file."""
    from ..errors import InputError
    from ..storage import atomic_write, resolve_target

    path = Path(output).expanduser()
    if resolve_target(path) == resolve_target(state(ctx).settings.db_path):
        raise InputError(f"{path} is the data file itself; choose another -o FILE.")
    if path.is_dir():
        raise InputError(f"{path} is a folder; give a file name with -o.")
    if path.exists() and not force:
        raise InputError(f"{path} exists already; add --force to replace it.")
    if not path.parent.exists():
        raise InputError(f"The folder {path.parent} does not exist; create it first.")
    atomic_write(path, payload, private=True)
    return path

"""What every command shares: the run's state, opening the data file, output."""

from __future__ import annotations

import contextlib
import datetime as dt
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ..dates import PartialDate, Precision, parse_date
from ..errors import UsageProblem
from ..settings import Settings, settings_from
from ..storage import Repository, open_for_reading, open_for_writing
from . import KEPT

if TYPE_CHECKING:
    import typer
    from rich.console import Console

    from ..models import Level

DAY_OR_MONTH = frozenset({Precision.DAY, Precision.MONTH})
DAY_ONLY = frozenset({Precision.DAY})

# The data files this run opened: when a command fails in a way no check foresaw, the
# error boundary checks them, to tell a damaged record (exit 3) from a bug of ours.
OPENED: list[Path] = []


class State:
    """Built once per run by ``new_state`` and kept as the root context's ``obj``."""

    def __init__(self, settings: Settings, command_line: str) -> None:
        self.settings = settings
        self.command_line = command_line
        self._out: Console | None = None
        self._err: Console | None = None

    @property
    def out(self) -> Console:
        """Rich console for data on stdout (plain when not a terminal or NO_COLOR)."""
        if self._out is None:
            from ..render import make_console

            self._out = make_console(sys.stdout)
        return self._out

    def show(self, renderable: Any) -> None:
        """Print on stdout. A long list or timeline going to a pipe or a file is written
        as plain lines without loading Rich, and a long list on a terminal as its styled
        lines: the lines Rich would write there (see ``lines``)."""
        plain_lines = getattr(renderable, "plain_lines", None)
        route = self.line_route() if plain_lines is not None else None
        if plain_lines is not None and route is not None:
            width, coded = route
            lines = None if coded else plain_lines(width)
            terminal_lines = getattr(renderable, "terminal_lines", None)
            if lines is None and coded and terminal_lines is not None:
                lines = terminal_lines(width)
            if lines is not None:
                sys.stdout.write("".join(lines))
                sys.stdout.flush()
                return
        self.out.print(renderable)

    def line_route(self) -> tuple[int, bool] | None:
        """How ``show`` writes a long list's lines without Rich (``lines``): at what
        width, and whether with the codes of their styles (on a terminal) or plain (to
        a pipe or a file); None where Rich draws (or has drawn on stdout already)."""
        from ..lines import plain_width, terminal_width

        if self._out is not None:
            return None
        width = plain_width(sys.stdout)
        if width is not None:
            return width, False
        width = terminal_width(sys.stdout)
        return None if width is None else (width, True)

    @property
    def err(self) -> Console:
        if self._err is None:
            from ..render import make_console

            self._err = make_console(sys.stderr)
        return self._err


def new_state(*, db: str | None, lang: str | None, date_order: str | None, debug: bool) -> State:
    """The run's state from the global options (Typer's root callback, or ``cli.fast``)."""
    settings = settings_from(db=db, lang=lang, date_order=date_order, debug=debug)
    # Bytes of the line that are not UTF-8 (a path so named) are kept as escapes.
    line = " ".join(["cdt", *sys.argv[1:]]).encode("utf-8", "backslashreplace").decode()
    return State(settings=settings, command_line=line)


class Invocation(Protocol):
    """What the helpers below read of a command's context: its root holds the ``State``.

    A ``typer.Context``, or the stand-in of a command run without Typer (``cli.fast``).
    """

    def find_root(self) -> Any: ...


class Changing(Invocation, Protocol):
    """The context of a command that changes the file: its path (``cdt action add``)
    names the change in the history."""

    @property
    def command_path(self) -> str: ...


def state(ctx: Invocation) -> State:
    obj = ctx.find_root().obj
    assert isinstance(obj, State), "the root callback sets ctx.obj"
    return obj


@contextlib.contextmanager
def reading(ctx: Invocation, max_level: str | None = None) -> Iterator[Repository]:
    """The data file for a command that only reads: no lock, nothing created.

    With ``max_level``, records above it are left out (and their number said on stderr).
    """
    OPENED.append(state(ctx).settings.db_path)
    repo = open_for_reading(state(ctx).settings.db_path)
    if max_level is not None:
        from ..models import Level, parse_choice
        from ..services.sensitivity import restrict

        level = parse_choice(Level, max_level, "level")
        left_out = restrict(repo, level)
        if left_out:
            say(ctx, f"Left out {left_out} records above the level {level.value}")
    KEPT.append(repo)  # not freed: the process ends first (see ``cli.entry``)
    yield repo


def start_new_file(repo: Repository, now: dt.datetime) -> None:
    """Give a new file the topic catalog, outside any history entry.

    The catalog is part of a new file, not a user's change: ``undo`` never removes it.
    """
    from ..services.topics import load_catalog

    if repo.is_new:
        load_catalog(repo, now)
        repo.pending.clear()


@contextlib.contextmanager
def writing(ctx: Changing, action: str = "") -> Iterator[Repository]:
    """The data file locked for the whole command, replaced atomically at the end."""
    st = state(ctx)
    settings = st.settings
    OPENED.append(settings.db_path)
    with open_for_writing(
        settings.db_path, lock_timeout=settings.lock_timeout, backups=settings.backups
    ) as repo:
        start_new_file(repo, settings.now)
        yield repo
        repo.record_history(
            now=settings.now, command=st.command_line, action=action or ctx.command_path
        )


def parse_user_date(
    ctx: Invocation, text: str, allow: frozenset[Precision] = DAY_OR_MONTH
) -> PartialDate:
    settings = state(ctx).settings
    return parse_date(text, now=settings.now, order=settings.date_order, allow=allow)  # type: ignore[arg-type]


def parse_user_day(ctx: Invocation, text: str) -> dt.date:
    return parse_user_date(ctx, text, DAY_ONLY).first_day()


def level_choice(text: str | None) -> Level | None:
    """The sensitivity level a ``--level`` option names, if it was given."""
    from ..models import Level, parse_choice

    return parse_choice(Level, text, "level") if text else None


def say(ctx: Invocation, message: str) -> None:
    """Talk to the user on stderr (data goes to stdout), in one line: a title or a path
    a user typed cannot draw a line of its own.

    Written as Rich writes plain text that is not wrapped, without loading Rich: its
    import took 40 ms of every change (``Added action 7``). A line with a tab, which
    Rich widens to the next stop by the cells of what comes before, is left to Rich."""
    from ..text import clean_line

    if sys.stderr is None:  # closed (``2>&-``): Rich would say it on stdout, in the data
        return
    line = clean_line(message)
    if "\t" in line:
        from ..render import plain

        state(ctx).err.print(plain(line), soft_wrap=True)
    else:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()


def print_json(value: Any) -> None:
    """``--json`` output: the one JSON writer, with terminal-unsafe characters escaped."""
    from ..jsonout import dump_json

    sys.stdout.buffer.write(dump_json(value))
    sys.stdout.flush()


def print_pieces(pieces: Iterable[bytes]) -> None:
    """Bytes made before (``jsonout.dump_json_list``, ``ActionLine.json_list``), on stdout."""
    write = sys.stdout.buffer.write
    for piece in pieces:
        write(piece)
    sys.stdout.flush()


def interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def confirm(ctx: typer.Context, question: str, yes: bool) -> None:
    """Ask before destroying something; ``--yes`` answers for scripts.

    The question quotes a record's title: it is cleaned like any user text.
    """
    from ..text import clean_line

    if yes:
        return
    question = clean_line(question)
    if not sys.stdin.isatty():
        raise UsageProblem(f"{question} There is no terminal to ask; add --yes.")
    import typer

    if not typer.confirm(question, default=False, err=True):
        raise typer.Exit(1)


def _is_data_file(target: Path, db_path: Path) -> bool:
    """The data file, its lock or one of its backups: never an output's target."""
    import os

    data_file = Path(os.path.realpath(db_path.expanduser()))
    resolved = Path(os.path.realpath(target))
    if resolved.parent == data_file.parent and (
        resolved.name in (data_file.name, f"{data_file.name}.lock")
        or resolved.name.startswith(f"{data_file.name}.bak-")
    ):
        return True
    with contextlib.suppress(OSError):  # a hard link to it, under another name
        return os.path.samefile(target, data_file)
    return False


def check_output(ctx: Invocation, output: str, *, force: bool) -> Path:
    """Refuse an ``-o FILE`` before any work is done: the data file, a folder, a clobber."""
    return check_target(output, db_path=state(ctx).settings.db_path, force=force)


def check_target(output: str, *, db_path: Path, force: bool) -> Path:
    from ..errors import InputError

    path = Path(output).expanduser()
    if _is_data_file(path, db_path):
        raise InputError(
            f"{output} is the tracker's data file; write to another file (--force does not apply)."
        )
    if path.is_dir():
        raise InputError(f"{output} is a folder; give a file name with -o.")
    if not path.parent.is_dir():
        raise InputError(f"The folder {path.parent} does not exist; create it first.")
    if (path.exists() or path.is_symlink()) and not force:
        raise InputError(f"{output} exists already; add --force to replace it.")
    return path


def write_output(
    ctx: Invocation, output: str, payload: bytes | Iterable[bytes | memoryview], *, force: bool
) -> Path:
    """Write an export, report or dump to ``-o FILE``."""
    return write_file(output, payload, db_path=state(ctx).settings.db_path, force=force)


def write_file(
    output: str, payload: bytes | Iterable[bytes | memoryview], *, db_path: Path, force: bool
) -> Path:
    """Write ``payload`` (bytes, or pieces of them written as they are made) to
    ``output``: atomically, mode 0600, never over the data file.

    A temp file in the same folder (created 0600) is fsynced, then renamed over the
    target with ``--force``, or hard-linked into place without it, which fails
    rather than replace a file that appeared meanwhile.
    """
    import os
    import tempfile

    from ..errors import InputError
    from ..storage import fsync_folder

    path = check_target(output, db_path=db_path, force=force)
    try:
        fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.tmp-", dir=path.parent)
    except OSError as exc:
        raise InputError(f"Cannot write in {path.parent}: {exc.strerror or exc}.") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            for piece in [payload] if isinstance(payload, bytes) else payload:
                handle.write(piece)
            handle.flush()
            os.fsync(handle.fileno())
        if force:
            os.replace(temp_name, path)
        else:
            try:
                os.link(temp_name, path)
            except FileExistsError:
                raise InputError(f"{path} exists already; add --force to replace it.") from None
            except OSError:  # no hard links here (some network or FUSE file systems)
                if path.exists():
                    raise InputError(f"{path} exists already; add --force to replace it.") from None
                os.replace(temp_name, path)
    except OSError as exc:
        raise InputError(f"Cannot write {path}: {exc.strerror or exc}.") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
    with contextlib.suppress(OSError):  # not every file system lets a folder be fsynced
        fsync_folder(path.parent)
    return path

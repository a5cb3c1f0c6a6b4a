"""The ``cdt`` command line: the only place that parses argv, prints and exits.

Each noun has its own module with a Typer app; ``tree`` builds the root app and its
global options; this module holds the registry of commands and the single error
boundary, and imports Typer only once a command has to be built (``--version``
never does, nor a plain line of the frequent commands: see ``fast``).
"""

from __future__ import annotations

import gc
import os
import sys
from typing import Any, NoReturn

from .. import __version__
from ..errors import EXIT_INPUT, EXIT_INTERRUPTED, ConsularDialogueError

# Where each command lives: (module, attribute). Only the module of the command
# being run is imported and handed to Typer, which evaluates the annotations of
# every command it is given on every run (measured: a third of start-up).
GROUPS: dict[str, str] = {
    "dialogue": "dialogue",
    "meeting": "meeting",
    "topic": "topic",
    "agenda": "agenda",
    "action": "action",
    "export": "export",
}
COMMANDS: dict[str, tuple[str, str]] = {
    "search": ("search", "search_command"),
    "timeline": ("report", "timeline_command"),
    "report": ("report", "report_command"),
    "brief": ("report", "brief_command"),
    "log": ("history", "log_command"),
    "undo": ("history", "undo_command"),
    "redo": ("history", "redo_command"),
    "backup": ("files", "backup_command"),
    "restore": ("files", "restore_command"),
    "check": ("files", "check_command"),
    "import": ("exchange", "import_command"),
    "demo": ("demo", "demo_command"),
}
GLOBAL_OPTIONS_WITH_VALUE = {"--db", "--lang", "--date-order"}
# What `cdt --help` lists for each, so the root help needs no command module (a test
# keeps these equal to the commands' own help).
SUMMARIES: dict[str, str] = {
    "dialogue": "Add, list, show and edit dialogue mechanisms.",
    "meeting": "Log, list, show, edit and delete meetings.",
    "topic": "List and rename topics.",
    "agenda": "Agenda items of meetings, carried across meetings.",
    "action": "Follow-up actions: who does what by when.",
    "export": "Export actions or meetings as CSV, JSON, Markdown, iCalendar or Excel files.",
    "search": "Search meeting titles and summaries, agenda titles and outcomes, action titles "
    "and notes.",
    "timeline": "Show the dialogue's meetings on a timeline, with a marker for today.",
    "report": "Report a meeting's agenda status, or (without an id) the dialogue's standing.",
    "brief": "Brief a delegation before a meeting.",
    "log": "Show the change history, newest first, one line per change.",
    "undo": "Undo the last commands' changes (one atomic write; `cdt redo` takes it back).",
    "redo": "Take back the last undo.",
    "backup": "Write a consistent copy of the data file (taken under its lock).",
    "restore": "Replace the data file with a backup, after checking it fully.",
    "check": "Verify the data file: schema, every reference, unique ids and uuids, dates.",
    "import": "Merge a dump: records matched by uuid, references remapped, conflicts listed.",
    "demo": "Load the shipped sample (the Mexico–US Consular Dialogue) and show what the "
    "tool does.",
}


def _words(args: list[str]) -> list[str]:
    """The words of the command line that are not options, past the global options'
    values (``--db FILE``); after the first word, every non-option word counts."""
    words: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif not words and arg in GLOBAL_OPTIONS_WITH_VALUE:
            skip = True
        elif not arg.startswith("-"):
            words.append(arg)
    return words


def requested_command(args: list[str]) -> str | None:
    """The group or command named on the command line, if it is one we know."""
    words = _words(args)
    if words and (words[0] in GROUPS or words[0] in COMMANDS):
        return words[0]
    return None


def requested_subcommand(args: list[str]) -> str | None:
    """The word after the group (``list`` in ``cdt action list``), if there is one."""
    words = _words(args)
    return words[1] if len(words) > 1 and words[0] in GROUPS else None


def build_app(
    only: str | None = None, sub: str | None = None, *, summaries_only: bool = False
) -> Any:
    """The Typer app (see ``cli.tree.build_app``); Typer is imported only here."""
    from .tree import build_app as build

    return build(only, sub, summaries_only=summaries_only)


def __getattr__(name: str) -> Any:
    """``consular_dialogue.cli.app``: the whole app, for tests and tools that walk it."""
    if name == "app":
        return build_app()
    raise AttributeError(name)


#: What the running command read: kept, never freed, when ``entry`` ends the process.
KEPT: list[object] = []


def entry() -> NoReturn:
    """``cdt``: ``main``, then the process ends at once, its output flushed.

    Freeing what a command read and tearing the interpreter down is work no one waits
    for but the user: at 100,000 actions, freeing what a whole report read took 0.1 s
    after its output was written. What the libraries registered to run at exit (openpyxl
    removes its temporary files) still runs; only the freeing is skipped. Anything
    unusual (an exit status that is not a byte, a message, output that cannot be
    flushed) ends as Python ends it, with the same status and message.
    """
    import atexit

    try:
        main()
    except SystemExit as finished:
        code = finished.code
    else:
        code = 0
    if not (code is None or (isinstance(code, int) and 0 <= code <= 255)):
        raise SystemExit(code)
    atexit._run_exitfuncs()
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except (OSError, ValueError):  # a full disk, a reader gone: Python says so (status 120)
        raise SystemExit(code) from None
    os._exit(code or 0)


def main(argv: list[str] | None = None, *, fast: bool = True) -> None:
    """Run the app; turn every error of ours into a one-line message and an exit code.

    Typer handles its own usage errors (exit 2) and Ctrl-C (exit 130). A plain line of
    a frequent command runs without Typer (see ``cli.fast``) unless ``fast`` is off.
    """
    args = sys.argv[1:] if argv is None else argv
    # A command lives well under a second and makes few reference cycles: the cyclic
    # garbage collector only re-scans the parsed file (measured: 3.7 s -> 1.4 s to
    # parse 100,000 actions).
    gc.disable()
    KEPT.clear()  # what an earlier run in this process read (tests run many)
    if args == ["--version"]:
        print(f"cdt {__version__}")
        return
    if sys.stdout is None:  # started with its standard output closed: `cdt ... >&-`
        if sys.stderr is not None:
            print(
                "Error: the standard output is closed; give the command somewhere to write "
                "(a terminal, a file or a pipe).",
                file=sys.stderr,
            )
        sys.exit(EXIT_INPUT)
    from .fast import run as run_fast

    completing = "_CDT_COMPLETE" in os.environ
    _drop_unreadable_sizes()
    try:
        try:
            if not (fast and not completing and run_fast(args)):
                # Shell completion needs every command; so does an unknown one (for
                # Typer's hint).
                only = None if completing else requested_command(args)
                sub = None if only is None else requested_subcommand(args)
                root_help = only is None and all(a in ("--help", "-h") for a in args)
                build_app(only, sub, summaries_only=root_help)(args=args, prog_name="cdt")
        except SystemExit as finished:
            if not finished.code:
                # A write error of buffered output surfaces here, not at exit (a failed
                # command keeps its own error and exit code).
                sys.stdout.flush()
            raise
        sys.stdout.flush()
    except ConsularDialogueError as exc:
        if "--debug" in args:
            raise
        from ..text import clean_line

        # Messages quote what users typed (titles, values): one inert line.
        print(f"Error: {clean_line(str(exc))}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        sys.exit(EXIT_INTERRUPTED)
    except BrokenPipeError:
        # `cdt ... | head`: the reader left; that is not an error of ours.
        mute(sys.stdout)
        sys.exit(0)
    except UnicodeEncodeError as exc:
        if "--debug" in args:
            raise
        mute(sys.stdout)
        shown = ascii(exc.object[exc.start : exc.end])
        print(
            f"Error: the output holds {shown}, which the output's encoding ({exc.encoding}) "
            "cannot write; set PYTHONIOENCODING=utf-8 or use a UTF-8 locale.",
            file=sys.stderr,
        )
        sys.exit(EXIT_INPUT)
    except OSError as exc:
        if "--debug" in args:
            raise
        # The data file's own errors are DataFileErrors; this is the system refusing a
        # write or a read elsewhere (a full disk under stdout, say).
        mute(sys.stdout)
        where = f" ({exc.filename})" if exc.filename else ""
        print(
            f"Error: {exc.strerror or exc}{where}; free the space or fix the path, then run "
            "the command again.",
            file=sys.stderr,
        )
        sys.exit(EXIT_INPUT)
    except Exception as exc:
        if "--debug" not in args and _not_utf8(exc):
            mute(sys.stdout)
            print(
                "Error: the command line holds bytes that are not UTF-8 (typed in another "
                "encoding?); nothing was changed. Type the text again in UTF-8.",
                file=sys.stderr,
            )
            sys.exit(EXIT_INPUT)
        # Records are built leniently (a check of every field would cost every read):
        # a hand-edited value of the wrong type, a title of 5, say, can fail deep in a
        # command. Only then are the files this run read checked whole; if one is
        # damaged, that is the error, else this is a bug of ours and its traceback shows.
        damage = None if "--debug" in args else _damage_behind()
        if damage is None:
            raise
        from ..text import clean_line

        mute(sys.stdout)
        print(f"Error: {clean_line(str(damage))}", file=sys.stderr)
        sys.exit(damage.exit_code)


def _not_utf8(exc: Exception) -> bool:
    """Whether orjson refused to write text holding bytes of the command line that are
    not UTF-8 (Python keeps them as lone surrogates). Every change is put in the history
    first, so this stops a change before any file is written."""
    return isinstance(exc, TypeError) and "surrogates not allowed" in str(exc)


def _damage_behind() -> ConsularDialogueError | None:
    """The first problem ``cdt check`` would find in the data files this run read."""
    from ..errors import CorruptFileError
    from ..services.integrity import check_repository
    from ..storage import open_for_reading, restore_hint
    from .common import OPENED

    for path in dict.fromkeys(OPENED):
        try:
            problems = check_repository(open_for_reading(path))
        except ConsularDialogueError as exc:
            return exc
        if problems:
            return CorruptFileError(
                f"{path} is damaged: {problems[0]} Run cdt check to see every problem. "
                f"{restore_hint(path)}"
            )
    return None


def mute(stream: Any) -> None:
    """Send what a standard stream still buffers to /dev/null, so exiting does not fail
    on it again."""
    if stream is not None:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())


def _drop_unreadable_sizes() -> None:
    """Forget a COLUMNS or LINES that Rich would crash on (a digit such as "²" that is
    not a decimal number); Rich ignores any other value that is not a number."""
    for name in ("COLUMNS", "LINES"):
        value = os.environ.get(name)
        if value is not None and value.isdigit() and not value.isdecimal():
            del os.environ[name]

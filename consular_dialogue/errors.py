"""One exception tree for the whole tool; each error carries its exit code.

The core raises these with a full sentence a clerk understands; the CLI's single
error boundary prints ``Error: <message>`` and exits with ``exit_code``.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_INPUT = 1
EXIT_USAGE = 2
EXIT_DATA_FILE = 3
EXIT_INTERRUPTED = 130


class ConsularDialogueError(Exception):
    """Base of every error the tool reports to a user."""

    exit_code = EXIT_INPUT


class InputError(ConsularDialogueError):
    """A value the user gave cannot be used (bad date, unknown status, ...)."""


class UsageProblem(ConsularDialogueError):
    """The command line itself is incomplete (like Typer's own usage errors)."""

    exit_code = EXIT_USAGE


class NotFoundError(InputError):
    """A record the user named does not exist."""


class DataFileError(ConsularDialogueError):
    """The data file cannot be used: busy, corrupt, too new, unwritable."""

    exit_code = EXIT_DATA_FILE
    #: What is wrong with the file, as a predicate ("is not valid JSON (...)").
    reason: str = ""


class FileBusyError(DataFileError):
    """Another cdt process held the lock for longer than the timeout."""


class CorruptFileError(DataFileError):
    """The data file is not a readable tracker file."""


class NewerSchemaError(DataFileError):
    """The data file was written by a newer version of the tool."""

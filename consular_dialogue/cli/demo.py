"""``cdt demo``: the tool on real data, in one command."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from .common import say, start_new_file, state

NEXT_STEPS = """\
Explore further:
  cdt --db {db} meeting show 1
  cdt --db {db} agenda history 1
  cdt --db {db} action list
  cdt --db {db} timeline --topic h2-visas
  cdt --db {db} brief 2 --format markdown
  cdt --db {db} --lang es report 1
  cdt --db {db} export actions --format csv"""


def demo_command(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option("--db", help="Load the sample into this new file (default: a temporary one)."),
    ] = None,
) -> None:
    """Load the shipped sample (the Mexico–US Consular Dialogue) and show what the tool does.

    Prints the timeline and the dialogue's standing report, then commands to try next.

    Example: cdt demo --db sample.json
    """
    from importlib import resources

    from ..errors import InputError
    from ..services.exchange import import_dump, parse_dump
    from ..storage import open_for_writing
    from . import build_app

    st = state(ctx)
    settings = st.settings
    if db is None:
        path = Path(tempfile.mkdtemp(prefix="cdt-demo-")) / "tracker.json"
        where = f"{path}, a temporary file (the system may delete it; --db FILE keeps one)"
    else:
        path = Path(db).expanduser()
        where = str(path)
        target = Path(os.path.realpath(path))
        if target.is_dir():
            raise InputError(f"{path} is a folder; give a new file name to --db.")
        if target.exists():
            if target.stat().st_size > 0:
                raise InputError(f"{path} exists and is not empty; give a new file to --db.")
            # An empty file (touch, mktemp) holds nothing: it is taken as a new one.
            target.unlink()
    raw = resources.files("consular_dialogue.data").joinpath("sample.json").read_bytes()
    dump = parse_dump(raw, "the shipped sample")
    with open_for_writing(
        path, lock_timeout=settings.lock_timeout, backups=settings.backups
    ) as repo:
        start_new_file(repo, settings.now)
        import_dump(repo, dump, theirs=True)
        # One history entry, the sample only: undo takes it back and keeps the catalog.
        repo.record_history(now=settings.now, command=st.command_line, action="demo")
    say(ctx, f"Loaded the sample into {where}")
    common = ["--db", str(path), "--lang", settings.lang]
    for command in (["timeline"], ["report"]):
        build_app(command[0])(args=[*common, *command], prog_name="cdt", standalone_mode=False)
    say(ctx, NEXT_STEPS.format(db=path))

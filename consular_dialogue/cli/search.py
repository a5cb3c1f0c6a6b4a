"""``cdt search``: find text anywhere, ignoring case and accents."""

from __future__ import annotations

from typing import Annotated

import typer

from .reads import search


def search_command(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help="Words to look for (accents optional).")],
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Search meeting titles and summaries, agenda titles and outcomes, action titles and notes.

    Example: cdt search accion
    """
    search(ctx, text=text, json_out=json_out)

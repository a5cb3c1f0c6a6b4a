"""``cdt search``: find text anywhere, ignoring case and accents."""

from __future__ import annotations

from typing import Annotated

import typer

from .common import print_json, reading, state


def search_command(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help="Words to look for (accents optional).")],
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Search meeting titles and summaries, agenda titles and outcomes, action titles and notes.

    Example: cdt search accion
    """
    from ..services.search import search

    st = state(ctx)
    with reading(ctx) as repo:
        hits = search(repo, text)
    if json_out:
        print_json([h.to_json() for h in hits])
        return
    from ..render import hits_table

    st.show(hits_table(hits, st.settings.lang))

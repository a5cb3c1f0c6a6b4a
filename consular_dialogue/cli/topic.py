"""``cdt topic``: the subjects followed across meetings."""

from __future__ import annotations

from typing import Annotated

import typer

from .common import say, state, writing

app = typer.Typer(help="List and rename topics.", no_args_is_help=True)


@app.command("list")
def list_(
    ctx: typer.Context,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List topics with their number of agenda items and open actions.

    Example: cdt topic list
    """
    from .reads import topic_list

    topic_list(ctx, json_out=json_out)


@app.command("edit")
def edit(
    ctx: typer.Context,
    slug: Annotated[str, typer.Argument(help="Topic slug, e.g. consular-access.")],
    name_es: Annotated[str | None, typer.Option("--name-es", help="Spanish name.")] = None,
    name_en: Annotated[str | None, typer.Option("--name-en", help="English name.")] = None,
) -> None:
    """Rename a topic in Spanish or English.

    Example: cdt topic edit h2-visas --name-es "Visas H-2" --name-en "H-2 visas"
    """
    from ..services.topics import edit_topic

    settings = state(ctx).settings
    with writing(ctx) as repo:
        topic = edit_topic(repo, slug, now=settings.now, name_es=name_es, name_en=name_en)
    say(ctx, f"Updated topic {topic.slug}")

"""``cdt topic``: the subjects followed across meetings."""

from __future__ import annotations

from typing import Annotated

import typer

from .common import print_json, reading, say, state, writing

app = typer.Typer(help="List and rename topics.", no_args_is_help=True)


@app.command("list")
def list_(
    ctx: typer.Context,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List topics with their number of agenda items and open actions.

    Example: cdt topic list
    """
    from ..services.topics import topic_counts

    st = state(ctx)
    with reading(ctx) as repo:
        if repo.is_new:
            from ..models import Topic
            from ..services.topics import read_shipped

            # No file yet: show the catalog a new file would get, without creating one.
            rows = [(Topic(**entry), 0, 0) for entry in read_shipped("topics.json")]
        else:
            rows = topic_counts(repo)
    if json_out:
        print_json(
            [
                {
                    "slug": t.slug,
                    "name_es": t.name_es,
                    "name_en": t.name_en,
                    "agenda_items": items,
                    "open_actions": actions,
                }
                for t, items, actions in rows
            ]
        )
        return
    from ..render import topics_table

    st.out.print(topics_table(rows, st.settings.lang))


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

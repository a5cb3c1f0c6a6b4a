"""``cdt dialogue``: the dialogue mechanisms themselves."""

from __future__ import annotations

from typing import Annotated

import typer

from ..dates import Precision
from .common import parse_user_date, print_json, reading, say, state, writing

app = typer.Typer(help="Add, list, show and edit dialogue mechanisms.", no_args_is_help=True)

ANY_PRECISION = frozenset(Precision)


@app.command("add")
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Full name of the mechanism.")],
    key: Annotated[str, typer.Option("--key", help="Short key used by --dialogue.")],
    parties: Annotated[str, typer.Option("--parties", help="Two ISO country codes, e.g. MX,US.")],
    established: Annotated[
        str | None, typer.Option("--established", help="Year or date it was set up.")
    ] = None,
    notes: Annotated[str | None, typer.Option("--notes", help="Free notes.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the new record as JSON.")] = False,
) -> None:
    """Add a dialogue mechanism.

    Example: cdt dialogue add "Diálogo Consular México–Estados Unidos" --key consular --parties MX,US --established 2013
    """
    from ..services.dialogues import add_dialogue, parse_parties

    settings = state(ctx).settings
    party_list = parse_parties(parties)
    since = parse_user_date(ctx, established, ANY_PRECISION) if established else None
    with writing(ctx) as repo:
        record = add_dialogue(
            repo,
            name=name,
            key=key,
            parties=party_list,
            established=since,
            notes=notes,
            now=settings.now,
        )
    say(ctx, f"Added dialogue {record.key}")
    if json_out:
        print_json(record.to_record())


@app.command("list")
def list_(
    ctx: typer.Context,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the dialogue mechanisms.

    Example: cdt dialogue list --json
    """
    from ..models import Dialogue

    with reading(ctx) as repo:
        dialogues = repo.all(Dialogue)
    if json_out:
        print_json([d.to_record() for d in dialogues])
        return
    from ..render import dialogues_table

    st = state(ctx)
    st.out.print(dialogues_table(dialogues, st.settings.lang))


@app.command("show")
def show(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="The dialogue's key.")],
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show one dialogue mechanism.

    Example: cdt dialogue show consular
    """
    from ..services.dialogues import get_dialogue

    with reading(ctx) as repo:
        record = get_dialogue(repo, key)
    if json_out:
        print_json(record.to_record())
        return
    from ..render import dialogue_panel

    st = state(ctx)
    st.out.print(dialogue_panel(record, st.settings.lang))


@app.command("edit")
def edit(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="The dialogue's key.")],
    name: Annotated[str | None, typer.Option("--name", help="New full name.")] = None,
    parties: Annotated[str | None, typer.Option("--parties", help="e.g. MX,US.")] = None,
    established: Annotated[str | None, typer.Option("--established", help="Year or date.")] = None,
    notes: Annotated[str | None, typer.Option("--notes", help="Free notes.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the record as JSON.")] = False,
) -> None:
    """Change a dialogue's name, parties, date established or notes.

    Example: cdt dialogue edit consular --notes "Binational mechanism since 2013"
    """
    from ..services.dialogues import edit_dialogue, parse_parties

    settings = state(ctx).settings
    party_list = parse_parties(parties) if parties else None
    since = parse_user_date(ctx, established, ANY_PRECISION) if established else None
    with writing(ctx) as repo:
        record = edit_dialogue(
            repo,
            key,
            now=settings.now,
            name=name,
            parties=party_list,
            established=since,
            notes=notes,
        )
    say(ctx, f"Updated dialogue {record.key}")
    if json_out:
        print_json(record.to_record())

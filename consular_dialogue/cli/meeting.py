"""``cdt meeting``: log meetings, their delegations, and look them up."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from ..dates import ACCEPTED_FORMS
from ..errors import ConsularDialogueError, UsageProblem
from ..models import Level, Meeting, MeetingKind, MeetingStatus, parse_choice
from .common import (
    confirm,
    interactive,
    parse_user_date,
    print_json,
    say,
    state,
    writing,
)

if TYPE_CHECKING:
    from ..services.meetings import MeetingFields

app = typer.Typer(help="Log, list, show, edit and delete meetings.", no_args_is_help=True)

KINDS = "|".join(k.value for k in MeetingKind)
STATUSES = "|".join(s.value for s in MeetingStatus)

DialogueOpt = Annotated[
    str | None,
    typer.Option("--dialogue", envvar="CDT_DIALOGUE", help="Dialogue key ($CDT_DIALOGUE)."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON to stdout.")]
KindOpt = Annotated[str | None, typer.Option("--kind", help=KINDS)]
DateOpt = Annotated[str | None, typer.Option("--date", help="Start date, e.g. 2023-04-17.")]
EndOpt = Annotated[str | None, typer.Option("--end", help="Last day of the meeting.")]
LocationOpt = Annotated[str | None, typer.Option("--location", help="Where it takes place.")]
HostOpt = Annotated[str | None, typer.Option("--host", help="Host party, e.g. MX.")]
StatusOpt = Annotated[str | None, typer.Option("--status", help=STATUSES)]
RefOpt = Annotated[str | None, typer.Option("--ref", help="Source, e.g. Comunicado No. 176.")]
SummaryOpt = Annotated[str | None, typer.Option("--summary", help="What happened.")]
LevelOpt = Annotated[str | None, typer.Option("--level", help="public|internal|restricted")]


def _ask(prompt: str, check: Any) -> Any:
    """Ask until the answer is usable; show why it was not."""
    while True:
        answer = typer.prompt(prompt, err=True)
        try:
            return check(answer)
        except ConsularDialogueError as exc:
            from ..text import clean_line

            typer.echo(f"Error: {clean_line(str(exc))}", err=True)


def _fields(
    ctx: typer.Context,
    *,
    title: str | None,
    kind: str | None,
    date: str | None,
    end: str | None,
    location: str | None,
    host: str | None,
    status: str | None,
    ref: str | None,
    summary: str | None,
    level: str | None,
) -> MeetingFields:
    from ..services.meetings import MeetingFields

    return MeetingFields(
        title=title,
        kind=parse_choice(MeetingKind, kind, "kind") if kind else None,
        date=parse_user_date(ctx, date) if date else None,
        end_date=parse_user_date(ctx, end) if end and end.strip() else None,
        clear_end_date=end is not None and not end.strip(),
        location=location,
        host=host,
        status=parse_choice(MeetingStatus, status, "status") if status else None,
        ref=ref,
        summary=summary,
        level=parse_choice(Level, level, "level") if level else None,
    )


@app.command("add")
def add(
    ctx: typer.Context,
    title: Annotated[str | None, typer.Argument(help="Meeting title.")] = None,
    kind: KindOpt = None,
    date: DateOpt = None,
    end: EndOpt = None,
    location: LocationOpt = None,
    host: HostOpt = None,
    status: StatusOpt = None,
    ref: RefOpt = None,
    summary: SummaryOpt = None,
    level: LevelOpt = None,
    dialogue: DialogueOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Log a meeting. On a terminal, missing values are asked for.

    The status defaults to held when the date is past, planned otherwise.

    Example: cdt meeting add "Reunión Intermedia 2023" --kind intermediate --date 2023-04-17 --host MX
    """
    from ..services.meetings import record_meeting

    settings = state(ctx).settings
    missing = [n for n, v in (("TITLE", title), ("--kind", kind), ("--date", date)) if not v]
    if missing and not interactive():
        raise UsageProblem(f"Missing {', '.join(missing)} (no terminal to ask).")
    fields = _fields(
        ctx,
        title=title,
        kind=kind,
        date=date,
        end=end,
        location=location,
        host=host,
        status=status,
        ref=ref,
        summary=summary,
        level=level,
    )
    if fields.title is None:
        fields = fields._replace(title=_ask("Title", lambda a: a))
    if fields.kind is None:
        fields = fields._replace(
            kind=_ask(f"Kind ({KINDS})", lambda a: parse_choice(MeetingKind, a, "kind"))
        )
    if fields.date is None:
        fields = fields._replace(
            date=_ask(f"Date ({ACCEPTED_FORMS})", lambda a: parse_user_date(ctx, a))
        )
    with writing(ctx) as repo:
        meeting = record_meeting(repo, fields, dialogue_key=dialogue, now=settings.now)
        result = meeting.to_record()
    say(ctx, f"Added meeting {meeting.id}")
    if json_out:
        print_json(result)


@app.command("list")
def list_(
    ctx: typer.Context,
    kind: KindOpt = None,
    status: StatusOpt = None,
    year: Annotated[int | None, typer.Option("--year", help="Only this year.")] = None,
    dialogue: Annotated[str | None, typer.Option("--dialogue", help="Only this dialogue.")] = None,
    json_out: JsonOpt = False,
) -> None:
    """List meetings by date.

    Example: cdt meeting list --year 2023 --kind annual
    """
    from .reads import meeting_list

    meeting_list(ctx, kind=kind, status=status, year=year, dialogue=dialogue, json_out=json_out)


@app.command("show")
def show(
    ctx: typer.Context,
    meeting_id: Annotated[int, typer.Argument(help="Meeting id.")],
    json_out: JsonOpt = False,
) -> None:
    """Show a meeting: every field, the delegations, its agenda and actions.

    Example: cdt meeting show 1
    """
    from .reads import meeting_show

    meeting_show(ctx, meeting_id=meeting_id, json_out=json_out)


@app.command("edit")
def edit(
    ctx: typer.Context,
    meeting_id: Annotated[int, typer.Argument(help="Meeting id.")],
    title: Annotated[str | None, typer.Option("--title", help="New title.")] = None,
    kind: KindOpt = None,
    date: DateOpt = None,
    end: EndOpt = None,
    location: LocationOpt = None,
    host: HostOpt = None,
    status: StatusOpt = None,
    ref: RefOpt = None,
    summary: SummaryOpt = None,
    level: LevelOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Change a meeting's fields (an empty value clears an optional one).

    Example: cdt meeting edit 2 --status held --location "Ciudad de México"
    """
    from ..services.meetings import edit_meeting

    settings = state(ctx).settings
    fields = _fields(
        ctx,
        title=title,
        kind=kind,
        date=date,
        end=end,
        location=location,
        host=host,
        status=status,
        ref=ref,
        summary=summary,
        level=level,
    )
    with writing(ctx) as repo:
        meeting = edit_meeting(repo, meeting_id, fields, now=settings.now)
    say(ctx, f"Updated meeting {meeting.id}")
    if json_out:
        print_json(meeting.to_record())


@app.command("delete")
def delete(
    ctx: typer.Context,
    meeting_id: Annotated[int, typer.Argument(help="Meeting id.")],
    cascade: Annotated[
        bool, typer.Option("--cascade", help="Also delete its agenda items and actions.")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False,
) -> None:
    """Delete a meeting (asks first on a terminal).

    Example: cdt meeting delete 3 --yes
    """
    from ..services.meetings import delete_meeting

    settings = state(ctx).settings
    # Asked under the lock: what is confirmed is what gets deleted.
    with writing(ctx) as repo:
        meeting = repo.get(Meeting, meeting_id)
        confirm(ctx, f"Delete meeting {meeting_id} ({meeting.title})?", yes)
        removed = delete_meeting(repo, meeting_id, cascade=cascade, now=settings.now)
    say(
        ctx,
        f"Deleted meeting {meeting_id}" + (f" and {removed - 1} records" if removed > 1 else ""),
    )


@app.command("delegation")
def delegation(
    ctx: typer.Context,
    meeting_id: Annotated[int, typer.Argument(help="Meeting id.")],
    party: Annotated[str, typer.Option("--party", help="Party of the delegation, e.g. MX.")],
    head: Annotated[str, typer.Option("--head", help="Head of delegation.")],
    title: Annotated[str | None, typer.Option("--title", help="The head's title.")] = None,
    member: Annotated[
        list[str] | None, typer.Option("--member", help="A member (repeat for more).")
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Set one party's delegation to a meeting.

    Example: cdt meeting delegation 1 --party MX --head "Vanessa Calva Ruiz" --title "Directora General de Protección Consular y Planeación Estratégica"
    """
    from ..services.meetings import set_delegation

    settings = state(ctx).settings
    with writing(ctx) as repo:
        meeting = set_delegation(
            repo,
            meeting_id,
            party=party,
            head=head,
            title=title,
            members=list(member or []),
            now=settings.now,
        )
    say(ctx, f"Set the {party.upper()} delegation of meeting {meeting.id}")
    if json_out:
        print_json(meeting.to_record())


@app.command("import-communique")
def import_communique(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(help="A communiqué: plain text or a saved HTML page.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show the draft, write nothing.")
    ] = False,
    dialogue: DialogueOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Draft a meeting from a press release, and record it (after --dry-run to check).

    Every inferred field keeps the sentence it came from (see meeting show);
    fields it cannot find are left empty and listed.

    Example: cdt meeting import-communique comunicado-176.txt --dry-run
    """
    from pathlib import Path

    from ..communique import read_communique
    from ..errors import InputError
    from ..services.communiques import record_communique

    settings = state(ctx).settings
    path = Path(source).expanduser()
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"Cannot read {path}: {exc.strerror or exc}.") from None
    if len(raw) > 5_000_000:
        raise InputError(f"{path} is over 5 MB; a communiqué is a page of text.")
    text = raw.decode("utf-8", errors="replace")
    draft = read_communique(text)
    for draft_meeting in [draft.meeting, *draft.announced]:
        if draft_meeting.missing:
            say(
                ctx,
                f"Not found for {draft_meeting.title}: {', '.join(draft_meeting.missing)}",
            )
    if dry_run:
        from ..render import communique_draft

        if json_out:
            print_json(_draft_json(draft))
        else:
            st = state(ctx)
            st.out.print(communique_draft(draft, st.settings.lang))
        say(ctx, "Dry run: nothing was written.")
        return
    with writing(ctx) as repo:
        result = record_communique(repo, draft, dialogue_key=dialogue, now=settings.now)
    for note in result.skipped:
        say(ctx, f"Skipped {note}")
    if result.meeting is not None:
        say(
            ctx,
            f"Added meeting {result.meeting.id} with agenda items "
            f"{', '.join(map(str, result.agenda_ids)) or 'none'}",
        )
    for announced in result.announced:
        say(ctx, f"Added planned meeting {announced.id} ({announced.title})")
    if json_out:
        print_json(
            {
                "meeting": result.meeting.id if result.meeting else None,
                "agenda_items": result.agenda_ids,
                "announced": [m.id for m in result.announced],
            }
        )


def _draft_json(draft: Any) -> dict[str, Any]:
    """A draft as JSON: dates as ISO strings, everything else as the reader found it."""
    import dataclasses

    from ..dates import PartialDate

    def convert(value: Any) -> Any:
        if isinstance(value, PartialDate):
            return value.iso
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return {f.name: convert(getattr(value, f.name)) for f in dataclasses.fields(value)}
        if isinstance(value, list):
            return [convert(v) for v in value]
        if isinstance(value, dict):
            return {k: convert(v) for k, v in value.items()}
        return value

    result: dict[str, Any] = convert(draft)
    return result

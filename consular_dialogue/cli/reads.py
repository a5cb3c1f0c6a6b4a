"""The read commands that run with or without Typer (``cli.fast.FAST_COMMANDS``; the
changes are in ``cli.writes``).

Their Typer commands (in ``action``, ``meeting``, ``agenda``, ``topic``, ``report``,
``history``, ``search`` and ``export``) declare the options and call these; so does
``cli.fast``, which runs a plain command line of theirs without importing Typer.
Nothing here imports Typer.
"""

from __future__ import annotations

import datetime as dt
import sys
from typing import TYPE_CHECKING, TypedDict, Unpack

from ..errors import UsageProblem
from ..models import Action, ActionLine, ActionStatus, MeetingKind, MeetingStatus, parse_choice
from .common import (
    Invocation,
    check_output,
    parse_user_date,
    parse_user_day,
    print_json,
    print_pieces,
    reading,
    say,
    state,
    write_output,
)

if TYPE_CHECKING:
    from pathlib import Path

    from ..exporters import ExportFormat, Kind, Rendered
    from ..lines import LineTable, Measure
    from ..models import Record
    from ..reports import Report
    from ..services.actions import ActionFilter
    from ..storage import Repository


class ActionFilterWords(TypedDict):
    """The options that pick actions, as typed: ``action list``'s and ``export actions``'s."""

    status: str | None
    overdue: bool
    due_before: str | None
    party: str | None
    owner: str | None
    meeting: int | None
    topic: str | None


def action_filter(ctx: Invocation, **words: Unpack[ActionFilterWords]) -> ActionFilter:
    """The filter the options of ``action list`` and ``export actions`` describe."""
    from ..services.actions import ActionFilter

    status, due_before, topic = words["status"], words["due_before"], words["topic"]
    all_statuses = status is not None and status.strip().lower() == "all"
    return ActionFilter(
        status=(
            parse_choice(ActionStatus, status, "action status")
            if status and not all_statuses
            else None
        ),
        all_statuses=all_statuses,
        overdue=words["overdue"],
        due_before=parse_user_day(ctx, due_before) if due_before else None,
        party=words["party"],
        owner=words["owner"],
        meeting_id=words["meeting"],
        topic=topic.strip().lower() if topic else None,
    )


def action_list(ctx: Invocation, *, json_out: bool, **words: Unpack[ActionFilterWords]) -> None:
    """``cdt action list``."""
    from ..services.actions import list_action_lines

    st = state(ctx)
    flt = action_filter(ctx, **words)
    today = st.settings.today
    with reading(ctx) as repo:
        route = None if json_out else st.line_route()
        if route is not None and _action_bytes(flt, repo) >= LIST_IN_TWO_FROM:
            lines, drawn = ListShares(repo, flt, today, st.settings.lang, route).drawn()
            if drawn is not None:
                sys.stdout.write(drawn)
                sys.stdout.flush()
                return
        else:
            lines = list_action_lines(repo, flt, today=today, as_json=json_out)
    if json_out:
        print_pieces(ActionLine.json_list(lines))
        return
    from ..lines import actions_table

    table = actions_table(lines, today, st.settings.lang)
    del lines  # what 100,000 lines held (at L) serves the drawing, not fresh memory
    st.show(table)


# The bytes of actions a list may read from which it is drawn in two processes
# (``forked.in_two``), each the lines of half the rows: L's 60 MB of every action
# (100,000 rows, 0.65 s in one process). The unfinished actions alone (L's 11 MB,
# 19,857 rows) and M's 6 MB of every action are drawn in one.
LIST_IN_TWO_FROM = 16 << 20


def _action_bytes(flt: ActionFilter, repo: Repository) -> int:
    """The bytes of stored actions a list or an export of ``flt`` may read: the data
    file's unfinished ones still unparsed, and the parts' too where finished ones may
    be listed."""
    finished = flt.all_statuses or (flt.status is not None and flt.status.is_finished)
    return repo.unparsed_bytes() + (repo.parts_bytes(Action) if finished else 0)


class ListShares:
    """The lines of a list of actions as ``State.show`` writes them (at the width and in
    the way a ``State.line_route`` says), drawn in two shares (``forked.in_two``): each
    process reads every action and draws half of them, at the widths both halves
    measure. Each process keeps each share's table it makes (by ``measure`` or, where
    the child failed after measuring, by ``share_of``)."""

    def __init__(
        self,
        repo: Repository,
        flt: ActionFilter,
        today: dt.date,
        lang: str,
        route: tuple[int, bool],
    ) -> None:
        self.repo, self.flt, self.today, self.lang = repo, flt, today, lang
        self.width, self.coded = route
        self._tables: dict[int, LineTable | None] = {}

    def drawn(self) -> tuple[list[ActionLine], str | None]:
        """The actions read here, and the list's lines; None for the lines where they
        are not drawn so (a short list is Rich's table; a style only Rich writes)."""
        from ..forked import in_two

        lines, (first, second) = in_two(self.make, self.share_of, measure=self.measure)
        return lines, None if first is None or second is None else first + second

    def make(self) -> list[ActionLine]:
        from ..services.actions import list_action_lines

        self._tables = {}  # (tables of lines read before, if any, are of other lines)
        return list_action_lines(self.repo, self.flt, today=self.today)

    def table(self, lines: list[ActionLine], share: int) -> LineTable | None:
        """The table of the share's half of ``lines``; None where it is not drawn in
        shares."""
        if share not in self._tables:
            from ..lines import LONG_LIST, LineTable, actions_table

            half = len(lines) // 2
            shown = lines[:half] if share == 0 else lines[half:]
            table = None
            if len(lines) > LONG_LIST:  # else Rich's table
                made = actions_table(shown, self.today, self.lang, long=True)
                assert isinstance(made, LineTable)
                table = made if made.coded_alike() or not self.coded else None
            self._tables[share] = table
        return self._tables[share]

    def measure(self, lines: list[ActionLine], share: int) -> list[Measure] | None:
        table = self.table(lines, share)
        return None if table is None else table.measure()

    def share_of(
        self, lines: list[ActionLine], share: int, sizes: list[list[Measure] | None]
    ) -> str | None:
        from ..lines import terminal_codes

        table = self.table(lines, share)
        measures = [size for size in sizes if size is not None]
        if table is None or len(measures) < len(sizes):
            return None
        codes = terminal_codes if self.coded else None
        return table.share_text(self.width, codes, measures, first=share == 0)


def meeting_list(
    ctx: Invocation,
    *,
    kind: str | None,
    status: str | None,
    year: int | None,
    dialogue: str | None,
    json_out: bool,
) -> None:
    """``cdt meeting list``."""
    from ..services.meetings import list_meetings

    st = state(ctx)
    with reading(ctx) as repo:
        meetings = list_meetings(
            repo,
            kind=parse_choice(MeetingKind, kind, "kind") if kind else None,
            status=parse_choice(MeetingStatus, status, "status") if status else None,
            year=year,
            dialogue=dialogue,
        )
    if json_out:
        print_json([m.to_record() for m in meetings])
        return
    from ..render import meetings_table

    st.show(meetings_table(meetings, st.settings.lang))


def meeting_show(ctx: Invocation, *, meeting_id: int, json_out: bool) -> None:
    """``cdt meeting show``: every field, the delegations, the agenda and the actions."""
    from ..models import Meeting
    from ..services.meetings import meeting_actions, meeting_agenda

    st = state(ctx)
    today = st.settings.today
    with reading(ctx) as repo:
        meeting = repo.get(Meeting, meeting_id)
        items = meeting_agenda(repo, meeting_id)
        actions = meeting_actions(repo, meeting_id)
    if json_out:
        record = meeting.to_record()
        record["agenda_items"] = [i.to_record() for i in items]
        record["actions"] = [a.to_json(today) for a in actions]
        print_json(record)
        return
    from ..render import meeting_detail

    st.out.print(meeting_detail(meeting, items, actions, today, st.settings.lang))


def agenda_list(
    ctx: Invocation,
    *,
    meeting: int | None,
    topic: str | None,
    status: str | None,
    open_only: bool,
    json_out: bool,
) -> None:
    """``cdt agenda list``."""
    from ..models import AgendaItem, AgendaStatus, ItemLine
    from ..services.agenda import list_item_lines, list_items

    st = state(ctx)
    slug = topic.strip().lower() if topic else None
    wanted = parse_choice(AgendaStatus, status, "agenda status") if status else None
    models: list[AgendaItem] = []
    lines: list[ItemLine] = []
    with reading(ctx) as repo:
        if json_out or meeting is not None:
            models, dates = list_items(
                repo, meeting_id=meeting, topic=slug, status=wanted, open_only=open_only
            )
        else:  # every meeting's: what the list shows of each item, not the item
            lines, dates = list_item_lines(repo, topic=slug, status=wanted, open_only=open_only)
    if json_out:
        print_json([i.to_record() for i in models])
        return
    from ..lines import agenda_table

    # One meeting's agenda needs no meeting column.
    shown = lines or models
    st.show(agenda_table(shown, dates, st.settings.lang, show_meeting=meeting is None))


def action_show(ctx: Invocation, *, action_id: int, json_out: bool) -> None:
    """``cdt action show``: an action with its notes and changes."""
    from ..models import Action

    st = state(ctx)
    today = st.settings.today
    with reading(ctx) as repo:
        action = repo.get(Action, action_id)
    if json_out:
        print_json(action.to_json(today))
        return
    from ..render import action_detail

    st.out.print(action_detail(action, today, st.settings.lang))


def topic_list(ctx: Invocation, *, json_out: bool) -> None:
    """``cdt topic list``: each topic with its agenda items and open actions."""
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


def log(ctx: Invocation, *, number: int | None, record: str | None, json_out: bool) -> None:
    """``cdt log``: the change history, newest first."""
    from ..jsonout import dump_json_list
    from ..services.history import log_lines

    st = state(ctx)
    with reading(ctx) as repo:
        # Only what is written is kept, as each line is made: an import's entry names
        # 125,000 records. All of it is made before anything is written.
        found = log_lines(repo, limit=number, record=record)
        if json_out:
            pieces = list(dump_json_list(line.to_json() for line in found))
        else:
            texts = [
                f"{line.at[:16].replace('T', ' ')}  {line.user:<8} {line.ref:<12} {line.summary}"
                for line in found
            ]
    if json_out:
        print_pieces(pieces)
        return
    from ..lines import CutLines

    if texts:
        st.show(CutLines(texts, style="dim"))
    else:
        say(ctx, "No changes recorded.")


def check(ctx: Invocation) -> None:
    """``cdt check``: every problem of the data file, one a line; exit 1 if any."""
    from ..services.integrity import check_repository

    st = state(ctx)
    with reading(ctx) as repo:
        problems = check_repository(repo)
    if not problems:
        say(ctx, f"{st.settings.db_path} is sound")
        return
    from ..render import plain

    for problem in problems:
        st.out.print(plain(problem))
    noun = "problem" if len(problems) == 1 else "problems"
    say(ctx, f"{len(problems)} {noun} found in {st.settings.db_path}")
    raise SystemExit(1)


def search(ctx: Invocation, *, text: str, json_out: bool) -> None:
    """``cdt search``."""
    from ..services.search import search as find

    st = state(ctx)
    with reading(ctx) as repo:
        hits = find(repo, text)
    if json_out:
        print_json([h.to_json() for h in hits])
        return
    from ..lines import hits_table

    st.show(hits_table(hits, st.settings.lang))


def timeline(
    ctx: Invocation,
    *,
    dialogue: str | None,
    topic: str | None,
    actions: bool,
    start: str | None,
    end: str | None,
    max_level: str | None,
) -> None:
    """``cdt timeline``."""
    from ..reports import build_action_timeline, build_meeting_timeline, build_topic_timeline

    if topic and actions:
        raise UsageProblem("Choose --topic or --actions, not both.")
    st = state(ctx)
    settings = st.settings
    first, last = _day_range(ctx, start, end)
    from .. import timeline as views

    with reading(ctx, max_level) as repo:
        if topic:
            view = views.topic_timeline(
                build_topic_timeline(
                    repo, topic, dialogue, settings.today, settings.lang, start=first, end=last
                )
            )
        elif actions:
            view = views.action_timeline(
                build_action_timeline(
                    repo, dialogue, settings.today, settings.lang, start=first, end=last
                )
            )
        else:
            view = views.meeting_timeline(
                build_meeting_timeline(
                    repo, dialogue, settings.today, settings.lang, start=first, end=last
                )
            )
    st.show(view)


def report(
    ctx: Invocation,
    *,
    meeting_id: int | None,
    dialogue: str | None,
    output_format: str,
    output: str | None,
    force: bool,
    max_level: str | None,
) -> None:
    """``cdt report``."""
    from ..reports import build_meeting_report, build_standing_report

    settings = state(ctx).settings
    with reading(ctx, max_level) as repo:
        if meeting_id is not None:
            if dialogue:
                raise UsageProblem("Give a meeting id or --dialogue, not both.")
            built: Report = build_meeting_report(repo, meeting_id, settings.today, settings.lang)
        elif _in_two_processes(output_format, repo):
            from ..forked import in_two
            from ..reports import to_text

            width = _text_width(ctx, output)

            def share_text(_: None, share: int, __: list[None]) -> str:
                shown = build_standing_report(
                    repo, dialogue, settings.today, settings.lang, share=share
                )
                return to_text(shown, width=width, share=share)

            _, shares = in_two(lambda: None, share_text)
            _deliver(ctx, "".join(shares), output, force)
            return
        else:
            built = build_standing_report(repo, dialogue, settings.today, settings.lang)
    _emit(ctx, built, output_format, output, force)


# The bytes of unfinished actions from which the text of a dialogue's report is written
# in two processes (``forked.in_two``): one reads and writes the open items, the other
# the actions. L's 11 MB took 0.68 s in one process, 0.53 s in two; M's 1.1 MB took
# 115 ms either way (and a third more processor time in two).
REPORT_IN_TWO_FROM = 2 << 20


def _in_two_processes(output_format: str, repo: Repository) -> bool:
    """Whether a dialogue's report is large enough, and in text, to be made in two."""
    from ..reports import FORMATS, to_text

    renderer = FORMATS.get(output_format.strip().lower())
    return renderer is to_text and repo.unparsed_bytes() >= REPORT_IN_TWO_FROM


def brief(
    ctx: Invocation,
    *,
    meeting_id: int,
    output_format: str,
    output: str | None,
    force: bool,
    max_level: str | None,
) -> None:
    """``cdt brief``."""
    from ..reports import build_briefing

    settings = state(ctx).settings
    with reading(ctx, max_level) as repo:
        built = build_briefing(repo, meeting_id, settings.today, settings.lang)
    _emit(ctx, built, output_format, output, force)


def _emit(
    ctx: Invocation, built: Report, output_format: str, output: str | None, force: bool
) -> None:
    from ..reports import FORMATS, to_text

    renderer = FORMATS.get(output_format.strip().lower())
    if renderer is None:
        raise UsageProblem(f"Unknown format {output_format!r}; use one of: {', '.join(FORMATS)}.")
    if renderer is to_text:
        text = to_text(built, width=_text_width(ctx, output))
    else:
        text = renderer(built)
    _deliver(ctx, text, output, force)


def _text_width(ctx: Invocation, output: str | None) -> int:
    """The width a report's text is written at: the terminal's, when it goes there."""
    from ..reports import TEXT_WIDTH

    if output is None and sys.stdout.isatty():
        return state(ctx).out.width
    return TEXT_WIDTH


def _deliver(ctx: Invocation, text: str, output: str | None, force: bool) -> None:
    """A report's text on stdout, or in the file ``output``."""
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    path = write_output(ctx, output, text.encode("utf-8"), force=force)
    say(ctx, f"Wrote {path}")


def _day_range(
    ctx: Invocation, start: str | None, end: str | None
) -> tuple[dt.date | None, dt.date | None]:
    first = parse_user_date(ctx, start).first_day() if start else None
    last = parse_user_date(ctx, end).last_day() if end else None
    return first, last


# The bytes of actions an export may read from which a format that can be written in
# two shares (``ExportFormat.render_share``: iCalendar) is written in two processes
# (``forked.in_two``): L's 11 MB of unfinished actions (18,277 to-dos) took 0.62 s in
# one process, 0.55 s in two; M's 1.1 MB about 105 ms either way.
EXPORT_IN_TWO_FROM = 2 << 20


def export_actions(
    ctx: Invocation,
    *,
    output_format: str,
    output: Path | None,
    force: bool,
    max_level: str | None,
    **words: Unpack[ActionFilterWords],
) -> None:
    """``cdt export actions``."""
    from ..exporters import ExportContext, get_format
    from ..models import AgendaItem, Meeting, Topic, item_topic, meeting_title
    from ..services.actions import list_actions

    settings = state(ctx).settings
    fmt = get_format("actions", output_format)
    check_export_target(ctx, fmt, output, force)
    flt = action_filter(ctx, **words)

    def read(repo: Repository) -> tuple[list[Action], ExportContext]:
        records = list_actions(repo, flt, today=settings.today)
        # An action's meeting and item are named by a title and a topic: only those
        # are read of them.
        item_ids = (a.item_id for a in records if a.item_id is not None)
        return records, ExportContext(
            today=settings.today,
            now=settings.now,
            lang=settings.lang,
            meeting_titles=dict(
                repo.found_as(Meeting, meeting_title, (a.meeting_id for a in records), lines=True)
            ),
            item_topics=dict(repo.found_as(AgendaItem, item_topic, item_ids, lines=True)),
            topics={t.slug: t for t in repo.all(Topic)},
        )

    with reading(ctx, max_level) as repo:
        render_share = fmt.render_share
        if render_share is not None and _action_bytes(flt, repo) >= EXPORT_IN_TWO_FROM:
            from ..forked import in_two

            def share_of(
                made: tuple[list[Action], ExportContext], share: int, _: list[object]
            ) -> Rendered:
                return render_share(*made, share)

            (records, _), (first, second) = in_two(lambda: read(repo), share_of)
            rendered = first._replace(data=first.data + second.data)
            count = len(records)
        else:
            records, export_ctx = read(repo)
            rendered, count = fmt.render(records, export_ctx), len(records)
    deliver_export(ctx, "actions", rendered, count=count, output=output, force=force)


# ---- where an export goes (``export meetings`` too) --------------------------


def _to_stdout(output: Path | None) -> bool:
    return output is None or str(output) == "-"


def check_export_target(
    ctx: Invocation, fmt: ExportFormat, output: Path | None, force: bool
) -> None:
    """Refuse an export's target before any work is done."""
    if _to_stdout(output):
        if fmt.binary and sys.stdout.isatty():
            raise UsageProblem(
                f"{fmt.name} is a binary format; write it to a file with -o FILE{fmt.suffix}."
            )
        return
    assert output is not None
    check_output(ctx, str(output), force=force)


def _describe(record: Record) -> str:
    from ..models import Meeting

    if isinstance(record, Meeting):
        return f"{record.id} ({record.title}, {record.date.iso})"
    title = getattr(record, "title", "")
    return f"{record.id} ({title})"


LEFT_OUT_NAMED = 10  # a warning names the first few; 1,580 undated actions made 100 kB


def deliver_export(
    ctx: Invocation,
    kind: Kind,
    rendered: Rendered,
    *,
    count: int,
    output: Path | None,
    force: bool,
) -> None:
    """Write an export to stdout or ``-o FILE``, and say what was left out."""
    singular = kind[:-1]
    if rendered.left_out:
        n = len(rendered.left_out)
        listed = "; ".join(_describe(r) for r in rendered.left_out[:LEFT_OUT_NAMED])
        if n > LEFT_OUT_NAMED:
            listed += f"; and {n - LEFT_OUT_NAMED} more"
        noun = singular if n == 1 else kind
        say(ctx, f"Left out {n} {rendered.left_out_reason} {noun}: {listed}.")
    if _to_stdout(output):
        sys.stdout.buffer.write(rendered.data)
        sys.stdout.flush()
        return
    assert output is not None
    write_output(ctx, str(output), rendered.data, force=force)
    written = count - len(rendered.left_out)
    say(ctx, f"Exported {written} {singular if written == 1 else kind} to {output}")

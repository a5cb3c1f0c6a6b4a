"""Rich renderables for the timelines that ``reports.py`` builds.

A timeline is a vertical date axis: headings for each year (or month), one row
per event, and a ``── today ──`` rule in its place. The layout is chosen at
render time from the width Rich offers, so the same renderable prints at 100
columns and at 40 (dropping secondary columns and folding their facts into the
main cell). Every piece of user text enters through ``plain``.

Cells are ``Styled`` text, which is Rich's ``Text`` without Rich: a long timeline
(one line per row) going to a pipe or a file is written as plain lines without loading
Rich, as long lists are (see ``lines``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from functools import cache
from itertools import chain
from typing import TYPE_CHECKING, Any, NamedTuple

from .dates import PartialDate
from .i18n import label, status_name
from .lines import LONG_LIST, STATUS_STYLES, LineTable, Styled, cell_width, printed_alone
from .reports import (
    ActionRow,
    ActionTimeline,
    DelegationView,
    MeetingRow,
    MeetingTimeline,
    TodayMarker,
    TopicRow,
    TopicTimeline,
    date_words,
)
from .text import clean

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, RenderResult
    from rich.table import Table

#: Below this many columns the secondary columns go and their facts join the main cell.
WIDE = 72

MEETING_MARKERS = {
    "held": ("●", "bold green"),
    "planned": ("○", "cyan"),
    "postponed": ("◐", "yellow"),
    "cancelled": ("✕", "dim"),
}
ROW_STYLES = {"planned": "italic", "cancelled": "strike dim"}
PARTY_STYLES = ("green", "blue")
TODAY_STYLE = "bold magenta"


class Column(NamedTuple):
    key: str
    header: str
    #: 0: as wide as its widest cell; otherwise its share of the width left over.
    ratio: int = 0
    justify: Any = "left"
    wide_only: bool = False


Cells = dict[str, Styled]
LONG_WIDE = 120


_DOT, _NEWLINE = Styled(" · "), Styled("\n")  # never changed: only joined with


def plain(text: str | None, style: str = "") -> Styled:
    """User text as ``Styled`` text: never read as markup, its controls made visible."""
    return Styled(clean(text), style)


def _widest_line(text: Styled) -> int:
    return max((cell_width(line) for line in text.plain.split("\n")), default=0)


def _joined(*parts: Styled | None, sep: Styled = _DOT) -> Styled:
    """The parts that have text, ``sep`` between them."""
    return sep.join([p for p in parts if p is not None and p.plain])


def _lines(*parts: Styled | None) -> Styled:
    return _joined(*parts, sep=_NEWLINE)


class Axis:
    """Rows on a date axis, grouped under headings, with the today rule between them."""

    #: Its lines fit the width (Rich's tables wrap; a long axis's ``LineTable`` cuts
    #: what runs on): its console need not crop them.
    FITS_WIDTH = True

    def __init__(
        self,
        *,
        title: Styled,
        columns: Sequence[Column],
        entries: Sequence[Any],
        cells: Callable[[Any, bool], Cells],
        group: Callable[[Any], str],
        today: dt.date,
        lang: str,
        row_style: Callable[[Any], str] = lambda _row: "",
        empty: Styled,
        legend: Styled | None = None,
    ) -> None:
        self.title = title
        self.columns = columns
        self.entries = entries
        self.cells = cells
        self.group = group
        self.today = today
        self.lang = lang
        self.row_style = row_style
        self.empty = empty
        self.legend = legend

    def _today_rule(self, width: int) -> Styled:
        words = f"── {label('today', self.lang)} {self.today.isoformat()} "
        return Styled(words + "─" * max(width - cell_width(words), 0), style=TODAY_STYLE)

    def _rows(self) -> list[Any]:
        return [e for e in self.entries if not isinstance(e, TodayMarker)]

    def _columns(self, rows: int, width: int) -> tuple[bool, list[Column]]:
        """Whether the secondary columns fit, and the columns drawn."""
        # One line per row (a long axis) needs more room before secondary columns fit.
        wide = width >= (LONG_WIDE if rows > LONG_LIST else WIDE)
        return wide, [c for c in self.columns if wide or not c.wide_only]

    def plain_lines(self, max_width: int) -> Iterator[str] | None:
        """A long axis as Rich draws it without colour, when each of its lines but the
        rows' is one line that fits (a title, a legend); None otherwise: Rich draws it."""
        rows = self._rows()
        ends = [self.title.plain] + ([] if self.legend is None else [self.legend.plain])
        if len(rows) <= LONG_LIST or not all(_one_line(end, max_width) for end in ends):
            return None
        wide, columns = self._columns(len(rows), max_width)
        cells = {id(row): self.cells(row, wide) for row in rows}
        table = self._long(columns, cells, max_width).plain_lines(max_width)
        return chain([f"{ends[0]}\n"], table, [f"{end}\n" for end in ends[1:]])

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        from rich.table import Table

        width = options.max_width
        rows = self._rows()
        wide, columns = self._columns(len(rows), width)
        yield self.title.text()
        if not rows:
            yield self.empty.text()
            return
        cells = {id(row): self.cells(row, wide) for row in rows}
        if len(rows) > LONG_LIST:
            long_table = self._long(columns, cells, width)
            if printed_alone(console, self):
                console.print_alone(long_table)  # type: ignore[attr-defined]
            yield long_table
            if self.legend is not None:
                yield self.legend.text()
            return
        # Fixed columns get one width for the whole axis, so every group's table lines up.
        widths = {
            c.key: max(
                [
                    cell_width(c.header),
                    *(_widest_line(cells[id(r)].get(c.key, _EMPTY)) for r in rows),
                ]
            )
            for c in columns
            if not c.ratio
        }

        def table(*, header: bool) -> Table:
            grid = Table(
                box=None,
                show_header=header,
                header_style="bold",
                pad_edge=False,
                padding=(0, 1, 0, 0),
                expand=True,
            )
            for c in columns:
                grid.add_column(
                    c.header,
                    justify=c.justify,
                    width=widths.get(c.key),
                    ratio=c.ratio or None,
                    overflow="fold",
                )
            return grid

        yield table(header=True)
        current: Table | None = None
        group: str | None = None
        for entry in self.entries:
            if isinstance(entry, TodayMarker):
                if current is not None:
                    yield current
                    current = None
                yield self._today_rule(width).text()
                continue
            if self.group(entry) != group:
                if current is not None:
                    yield current
                    current = None
                group = self.group(entry)
                yield Styled(group, style="bold underline").text()
            if current is None:
                current = table(header=False)
            row = cells[id(entry)]
            current.add_row(
                *(row.get(c.key, _EMPTY).text() for c in columns), style=self.row_style(entry)
            )
        if current is not None:
            yield current
        if self.legend is not None:
            yield self.legend.text()

    def _long(self, columns: Sequence[Column], cells: dict[int, Cells], width: int) -> LineTable:
        """A long axis one line per row: Rich's tables need seconds for thousands of rows."""
        lines = LineTable([c.header for c in columns], [bool(c.ratio) for c in columns])
        lines.cut_to_width = True  # the axis is printed uncropped
        keys = [c.key for c in columns]
        rows: list[Cells] = []  # since the last separator

        def add_rows() -> None:
            texts = [[row.get(key, _EMPTY).plain for row in rows] for key in keys]
            styles = [[row.get(key, _EMPTY).style or None for row in rows] for key in keys]
            lines.add_columns(texts, styles)
            rows.clear()

        group: str | None = None
        for entry in self.entries:
            if isinstance(entry, TodayMarker):
                add_rows()
                lines.add_separator(self._today_rule(width))
                continue
            if self.group(entry) != group:
                group = self.group(entry)
                add_rows()
                lines.add_separator(Styled(group, style="bold underline"))
            rows.append(cells[id(entry)])
        add_rows()
        return lines


_EMPTY = Styled()


def _one_line(text: str, width: int) -> bool:
    """Whether Rich draws ``text`` as it is, on one line of ``width`` cells."""
    return "\n" not in text and "\t" not in text and cell_width(text) <= width


def _year(entry: Any) -> str:
    return str(entry.year)


# ---- meetings --------------------------------------------------------------------------


def _meeting_marker(status: str) -> Styled:
    mark, style = MEETING_MARKERS.get(status, ("·", ""))
    return Styled(mark, style=style)


def _meeting_legend(lang: str) -> Styled:
    parts = [
        Styled.assemble(_meeting_marker(status), " ", status_name(status, lang))
        for status in MEETING_MARKERS
    ]
    legend = Styled("   ").join(parts)
    legend.stylize("dim")
    return legend


def _heads(heads: tuple[DelegationView, ...]) -> Styled:
    return _lines(
        *(Styled.assemble((d.party, "bold"), " ", plain(d.head)) for d in heads if d.head)
    )


def _count_words(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _action_counts(open_count: int, overdue: int, lang: str) -> Styled:
    """``2 open`` / ``1 overdue`` (``2 abiertas`` / ``1 vencida``)."""
    text = Styled()
    if open_count:
        text.append(_count_words(open_count, status_name("open", lang), label("open", lang)))
    if overdue:
        many = label("n_overdue", lang).lower()
        text.append("\n" if text.plain else "")
        text.append(_count_words(overdue, label("overdue", lang), many), style="bold red")
    return text


def meeting_timeline(timeline: MeetingTimeline) -> Axis:
    """The dialogue's meetings by year: kind, status, place, heads and follow-up counts."""
    lang = timeline.lang

    def meeting(kind_name: str, status: str, status_name: str, location: str | None) -> Styled:
        return _lines(
            _joined(
                Styled(kind_name, style="bold"),
                Styled(status_name, style=STATUS_STYLES.get(status, "")),
            ),
            plain(location, style="dim"),
        )

    # Thousands of rows repeat a few heads, places, statuses and counts: each different
    # cell is built once and shared between rows, so nothing may change a cell's text.
    main_of, marker_of, heads_of = cache(meeting), cache(_meeting_marker), cache(_heads)
    counts_of = cache(lambda open_count, overdue: _action_counts(open_count, overdue, lang))

    def summed_up(main: Styled, items: int, counts: Styled, overdue: bool) -> Styled:
        """The meeting cell of a narrow axis: its agenda and action counts below."""
        summary = _joined(
            Styled(f"{label('agenda', lang)} {items}"),
            Styled(counts.plain.replace("\n", " · "), style="red" if overdue else ""),
        )
        return _lines(main, summary)

    summed_up_of = cache(summed_up)  # by the very texts main_of and counts_of gave

    def cells(row: MeetingRow, wide: bool) -> Cells:
        main = main_of(row.kind_name, row.status, row.status_name, row.location)
        counts = counts_of(row.open_actions, row.overdue_actions)
        result = {
            "mark": marker_of(row.status),
            "id": Styled(str(row.meeting_id)),
            "when": Styled(row.when),
            "meeting": main,
        }
        if wide:  # the columns drawn only when wide
            result.update(heads=heads_of(row.heads), items=Styled(str(row.items)), actions=counts)
        else:
            overdue = bool(row.overdue_actions)
            result["meeting"] = summed_up_of(main, row.items, counts, overdue)
        return result

    columns = [
        Column("mark", ""),
        Column("id", label("id", lang), justify="right"),
        Column("when", label("date", lang)),
        Column("meeting", label("meeting", lang), ratio=1),
        Column("heads", label("heads", lang), ratio=1, wide_only=True),
        Column("items", label("agenda", lang), justify="right", wide_only=True),
        Column("actions", label("actions", lang), wide_only=True),
    ]
    title = plain(timeline.dialogue_name or label("meetings", lang), style="bold")
    return Axis(
        title=title,
        columns=columns,
        entries=timeline.entries,
        cells=cells,
        group=_year,
        today=timeline.today,
        lang=lang,
        row_style=lambda row: ROW_STYLES.get(row.status, ""),
        empty=Styled(label("no_meetings", lang), style="dim"),
        legend=_meeting_legend(lang),
    )


# ---- one topic across meetings ---------------------------------------------------------

ITEM_STYLES = {**STATUS_STYLES, "agreed": "green", "in-progress": "yellow", "deferred": "yellow"}


def topic_timeline(timeline: TopicTimeline) -> Axis:
    """Each time a topic was on the agenda: the item, its status and outcome, and its carries."""
    lang = timeline.lang
    marker_of = cache(_meeting_marker)
    status_of = cache(lambda status, name: Styled(name, style=ITEM_STYLES.get(status, "")))
    meeting_of = cache(
        lambda kind_name, meeting_id: Styled.assemble(kind_name, " ", (f"[{meeting_id}]", "dim"))
    )

    def cells(row: TopicRow, wide: bool) -> Cells:
        item = row.item
        carried = None
        if item.carried_from is not None:
            words = "↳ " + label("carried_from_item", lang).format(item=item.carried_from)
            if item.carried_from_meeting is not None:
                words += f" ({item.carried_from_meeting.date})"
            carried = Styled(words, style="dim")
        status = status_of(item.status, item.status_name)
        outcome = plain(item.outcome)
        title = Styled.assemble((f"{item.item_id} ", "dim"), plain(item.title, style="bold"))
        meeting = meeting_of(row.meeting.kind_name, row.meeting.meeting_id)
        result = {
            "mark": marker_of(row.meeting.status),
            "when": Styled(row.when),
            "meeting": meeting,
            "item": _lines(title, carried),
            "status": status,
            "outcome": outcome,
        }
        if not wide:
            result["item"] = _lines(title, _joined(meeting, status), carried, outcome)
        return result

    columns = [
        Column("mark", ""),
        Column("when", label("date", lang)),
        Column("meeting", label("meeting", lang), wide_only=True),
        Column("item", label("item", lang), ratio=1),
        Column("status", label("status", lang), wide_only=True),
        Column("outcome", label("outcome", lang), ratio=1, wide_only=True),
    ]
    title = Styled.assemble(
        (f"{label('topic', lang)}: ", "bold"),
        plain(timeline.topic_name, style="bold"),
        (f" ({timeline.topic})", "dim"),
    )
    return Axis(
        title=title,
        columns=columns,
        entries=timeline.entries,
        cells=cells,
        group=_year,
        today=timeline.today,
        lang=lang,
        row_style=lambda row: ROW_STYLES.get(row.meeting.status, ""),
        empty=Styled(label("no_items", lang), style="dim"),
        legend=_meeting_legend(lang),
    )


# ---- open actions by due date ----------------------------------------------------------


def action_timeline(timeline: ActionTimeline) -> Axis:
    """Unfinished actions by due date, overdue ones above the today rule, marked by party."""
    lang = timeline.lang
    party_styles = dict(zip(timeline.parties, PARTY_STYLES, strict=False))

    def mark(overdue: bool, party: str) -> Styled:
        if overdue:
            return Styled("!", style="bold red")
        return Styled("•", style=party_styles.get(party, "magenta"))

    def party_cell(party: str, name: str) -> Styled:
        return plain(name, style=party_styles.get(party, "magenta"))

    def meeting(date: str, kind_name: str, meeting_id: int) -> Styled:
        return Styled(f"{date} {kind_name} [{meeting_id}]")

    mark_of, party_of, meeting_of = cache(mark), cache(party_cell), cache(meeting)
    owner_of = cache(lambda owner: plain(owner, style="dim"))
    status_of = cache(lambda status, name: Styled(name, style=STATUS_STYLES.get(status, "")))
    due_of = cache(lambda due, overdue: Styled(due or "", style="bold red" if overdue else ""))
    under_of = cache(_joined)  # by the very texts owner_of and status_of gave

    def cells(row: ActionRow, wide: bool) -> Cells:
        a = row.action
        title = plain(a.title)
        owner = owner_of(a.owner)
        status = status_of(a.status, a.status_name)
        result = {
            "mark": mark_of(a.overdue, a.party),
            "due": due_of(a.due, a.overdue),
            "party": party_of(a.party, a.party_name),
        }
        if not wide:  # the columns drawn only when wide are left out
            result["action"] = _lines(title, under_of(owner, status))
            return result
        meeting = row.meeting
        result["id"] = Styled(str(a.action_id))
        result["action"] = title
        result["owner"] = owner
        result["status"] = status
        result["meeting"] = meeting_of(meeting.date, meeting.kind_name, meeting.meeting_id)
        return result

    @cache
    def month_words(year: int, month: int) -> str:
        return date_words(PartialDate(year, month), lang)

    def month(row: ActionRow) -> str:
        if row.day is None:
            return label("no_due_date", lang)
        return month_words(row.day.year, row.day.month)

    columns = [
        Column("mark", ""),
        Column("id", label("id", lang), justify="right", wide_only=True),
        Column("due", label("due", lang)),
        Column("party", label("party", lang)),
        Column("action", label("action", lang), ratio=2),
        Column("owner", label("owner", lang), ratio=1, wide_only=True),
        Column("status", label("status", lang), wide_only=True),
        Column("meeting", label("meeting", lang), wide_only=True),
    ]
    return Axis(
        title=Styled(label("actions_timeline", lang), style="bold"),
        columns=columns,
        entries=(*timeline.entries, *timeline.undated),
        cells=cells,
        group=month,
        today=timeline.today,
        lang=lang,
        empty=Styled(label("no_actions", lang), style="dim"),
    )

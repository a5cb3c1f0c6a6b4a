"""Rich renderables for the terminal; user text always enters as plain ``Text``."""

from __future__ import annotations

import threading
from typing import IO, Any

from rich.console import Console
from rich.text import Text

from .text import clean


def plain(text: str | None, style: str = "") -> Text:
    """A ``Text`` that Rich never reads as markup."""
    return Text(clean(text), style=style)


class _Console(Console):
    """Rich's console, except for what is printed alone, as the tool prints: a long list
    or a timeline (``FITS_WIDTH``) is not cropped, for its lines fit already, and
    cropping measures every character of every line again (a third of the time of a
    2,000-line list); and a long list may then write its styles as codes inside its
    text (``lines.LineTable``), which cropping, a container or a pager would take for
    characters."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._alone = threading.local()  # what each thread's print has alone

    def printed_alone(self, renderable: object) -> bool:
        """Whether ``renderable`` is being printed alone and uncropped, in this thread:
        not inside another renderable, without options that restyle or realign it, nor
        into a pager, a capture or a ``with console`` block."""
        return getattr(self._alone, "marked", {}).get(id(renderable)) is renderable

    def print_alone(self, renderable: object) -> None:
        """Let ``renderable`` (drawn by one printed alone) be drawn as printed alone."""
        marked = getattr(self._alone, "marked", None)
        if marked:
            marked[id(renderable)] = renderable

    def print(self, *objects: Any, **options: Any) -> None:
        fits = [o for o in objects if getattr(type(o), "FITS_WIDTH", False) is True]
        plain = (
            fits
            and not self._buffer_index
            and all(options.get(name) is None for name in _RESHAPING)
        )
        if plain:
            options.setdefault("crop", False)
        # By id, with the object itself: an id is told apart from that of a later object.
        self._alone.marked = {id(o): o for o in fits} if plain and not options["crop"] else {}
        try:
            super().print(*objects, **options)
        finally:
            self._alone.marked = {}


# Options of ``Console.print`` that restyle, realign or rewrap what is printed.
_RESHAPING = ("style", "justify", "overflow", "no_wrap", "width", "height")


def make_console(file: IO[str]) -> Console:
    """A console that writes plain text when not a terminal or NO_COLOR is set."""
    return _Console(file=file, highlight=False, markup=False, emoji=False, soft_wrap=False)


# ---- tables and panels ----------------------------------------------------
# Every table cell built from user text goes through ``plain``; labels come from i18n.

import datetime as dt  # noqa: E402
from collections.abc import (  # noqa: E402
    Iterable,
    Mapping,
    Sequence,
)
from typing import TYPE_CHECKING  # noqa: E402

from rich import box  # noqa: E402
from rich.cells import cell_len  # noqa: E402
from rich.console import ConsoleOptions, Group, RenderableType, RenderResult  # noqa: E402
from rich.table import Table  # noqa: E402

from .i18n import label, long_date, status_name  # noqa: E402
from .lines import (  # noqa: E402
    actions_table,
    agenda_columns,
    agenda_table,
    due_cell,
    lead_text,
    list_table,
    meeting_cell,
    status_cell,
    under_title,
)

if TYPE_CHECKING:
    from .communique import CommuniqueDraft
    from .dates import PartialDate
    from .models import Action, AgendaItem, Dialogue, ItemLine, Meeting, Topic


def status_text(value: str, lang: str) -> Text:
    return Text(*status_cell(value, lang))


# How each kind of column is sized (see FittedTable): codes and dates always
# get their whole width; short labels (statuses, kinds) may wrap between words;
# free text takes the room that is left and wraps between words.
CODE_COLUMNS = {
    "id",
    "date",
    "due",
    "party",
    "host",
    "item",
    "lead",
    "key",
    "established",
    "topic",
    "field",
    "agenda_items",
    "open_actions",
}
LABEL_COLUMNS = {"kind", "status", "meeting", "parties", "head"}

CODE, LABEL, TEXT = 0, 1, 2
_TIGHTEST = 4  # below this a column is cut whatever it holds


def _column_class(key: str) -> int:
    if key in CODE_COLUMNS:
        return CODE
    return LABEL if key in LABEL_COLUMNS else TEXT


def _cell_text(cell: object) -> str | None:
    if isinstance(cell, Text):
        return cell.plain
    return cell if isinstance(cell, str) else None


def _longest_line(text: str) -> int:
    return max((cell_len(line) for line in text.splitlines()), default=0)


def _longest_word(text: str) -> int:
    return max((cell_len(word) for word in text.split()), default=0)


class FittedTable(Table):
    """A Rich table that sizes its columns for the width it is drawn at.

    Rich shrinks the widest columns first and, when that is not enough, every
    column alike: ids and dates were cut to nothing while free text kept its room.
    Here codes and dates keep their whole width, labels wrap only between words,
    and free text shares what is left, wrapping between words; only a terminal too
    narrow for the longest words gets text folded inside a word.
    """

    def __init__(self, classes: Sequence[int], **options: object) -> None:
        super().__init__(**options)  # type: ignore[arg-type]
        self.classes = list(classes)

    def _overhead(self) -> int:
        """Cells taken by separators, edges and padding (see ``_table``'s settings)."""
        n = len(self.columns)
        _, right, _, left = self.padding
        padding = (left + right) * n - ((left + right) if not self.pad_edge else 0)
        if self.box is None:
            return padding
        return padding + (n - 1) + (2 if self.show_edge else 0)

    def fitted_widths(self, max_width: int) -> list[int]:
        """Each column's content width for a table at most ``max_width`` cells wide."""
        natural: list[int] = []
        least: list[int] = []
        for column, kind in zip(self.columns, self.classes, strict=True):
            header = _cell_text(column.header) or ""
            texts = [_cell_text(cell) or "" for cell in column.cells]
            lines = max((_longest_line(t) for t in texts), default=0)
            words = max((_longest_word(t) for t in texts), default=0)
            natural.append(max(lines, _longest_line(header), 1))
            smallest = lines if kind == CODE else words
            least.append(max(smallest, _longest_word(header), 1))
        room = max_width - self._overhead()
        widths = list(least)
        excess = sum(widths) - room
        # Too narrow even for whole words: fold the widest text or label, codes last.
        for tiers in ((TEXT, LABEL), (CODE,)):
            while excess > 0:
                candidates = [
                    i
                    for i, kind in enumerate(self.classes)
                    if kind in tiers and widths[i] > _TIGHTEST
                ]
                if not candidates:
                    break
                widths[max(candidates, key=widths.__getitem__)] -= 1
                excess -= 1
        spare = -excess
        # Labels get their whole line first (a status on one line), shortest need first.
        labels = sorted(
            (i for i, kind in enumerate(self.classes) if kind != TEXT),
            key=lambda i: natural[i] - widths[i],
        )
        for i in labels:
            grow = min(max(natural[i] - widths[i], 0), spare)
            widths[i] += grow
            spare -= grow
        # Free text shares the rest in proportion to what each still lacks.
        wants = {i: natural[i] - widths[i] for i, k in enumerate(self.classes) if k == TEXT}
        wants = {i: w for i, w in wants.items() if w > 0}
        total = sum(wants.values())
        if total and spare > 0:
            if total <= spare:
                for i, want in wants.items():
                    widths[i] += want
            else:
                given = {i: spare * want // total for i, want in wants.items()}
                left = spare - sum(given.values())
                for i in sorted(wants, key=lambda i: wants[i] - given[i], reverse=True)[:left]:
                    given[i] += 1
                for i, extra in given.items():
                    widths[i] += extra
        return widths

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        widths = self.fitted_widths(options.max_width)
        saved = [column.width for column in self.columns]
        for column, width in zip(self.columns, widths, strict=True):
            column.width = width
        try:
            yield from super().__rich_console__(console, options)
        finally:
            for column, kept in zip(self.columns, saved, strict=True):
                column.width = kept


def _table(lang: str, *columns: str, title: str | None = None) -> FittedTable:
    table = FittedTable(
        [_column_class(key) for key in columns],
        box=box.SIMPLE_HEAD,
        title=title,
        title_justify="left",
        caption_justify="left",
        show_edge=False,
        pad_edge=False,
        padding=(0, 1, 0, 0),
    )
    for key in columns:
        table.add_column(label(key, lang), overflow="fold")
    return table


def empty(key: str, lang: str) -> Text:
    return Text(label(key, lang), style="dim")


def dialogues_table(dialogues: Sequence[Dialogue], lang: str) -> RenderableType:
    if not dialogues:
        return Text("No dialogues." if lang == "en" else "No hay diálogos.", style="dim")
    table = _table(lang, "key", "name", "parties", "established")
    for d in dialogues:
        table.add_row(
            plain(d.key),
            plain(d.name),
            Text(" – ".join(d.parties)),
            Text(d.established.iso if d.established else ""),
        )
    return table


def _fields_table(rows: Iterable[tuple[str, RenderableType | str | None]], lang: str) -> Table:
    table = Table(box=None, show_header=False, pad_edge=False)
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    for key, value in rows:
        if value is None or value == "":
            continue
        table.add_row(label(key, lang), plain(value) if isinstance(value, str) else value)
    return table


def _stacked(parts: Sequence[RenderableType]) -> Group:
    """Parts of a detail view, a blank line between them."""
    spaced: list[RenderableType] = []
    for part in parts:
        if spaced:
            spaced.append(Text(""))
        spaced.append(part)
    return Group(*spaced)


def dialogue_panel(d: Dialogue, lang: str) -> RenderableType:
    return _fields_table(
        [
            ("key", d.key),
            ("name", d.name),
            ("parties", " – ".join(d.parties)),
            ("established", d.established.iso if d.established else None),
            ("notes", d.notes),
        ],
        lang,
    )


def meeting_dates(m: Meeting) -> str:
    return f"{m.date.iso} – {m.end_date.iso}" if m.end_date else m.date.iso


def meetings_table(meetings: Sequence[Meeting], lang: str) -> RenderableType:
    if not meetings:
        return empty("no_meetings", lang)
    table = list_table(lang, len(meetings), "id", "date", "kind", "status", "title", "location")
    for m in meetings:
        table.add_row(
            str(m.id),
            m.date.iso,
            Text(status_name(m.kind.value, lang)),
            status_text(m.status.value, lang),
            plain(m.title),
            plain(m.location),
        )
    return table


def meeting_detail(
    m: Meeting,
    items: Sequence[AgendaItem],
    actions: Sequence[Action],
    today: dt.date,
    lang: str,
) -> RenderableType:
    header = _fields_table(
        [
            ("id", str(m.id)),
            ("title", m.title),
            ("dialogue", m.dialogue),
            ("kind", status_name(m.kind.value, lang)),
            ("date", f"{meeting_dates(m)} ({long_date(m.date, lang)})"),
            ("location", m.location),
            ("host", m.host),
            ("status", status_text(m.status.value, lang)),
            ("ref", m.ref_text),
            ("level", status_name(m.level.value, lang)),
            ("summary", m.summary),
        ],
        lang,
    )
    parts: list[RenderableType] = [header]
    if m.delegations:
        table = _table(lang, "party", "head", "title", "members")
        for d in m.delegations:
            table.add_row(d.party, plain(d.head), plain(d.title), plain(", ".join(d.members)))
        table.title = label("delegations", lang)
        parts.append(table)
    if items:
        agenda = agenda_table(items, {m.id: m.date}, lang, show_meeting=False)
        if isinstance(agenda, Table):
            agenda.title = label("agenda", lang)
        parts.append(agenda)
    if actions:
        listed = actions_table(actions, today, lang)
        if isinstance(listed, Table):
            listed.title = label("actions", lang)
        parts.append(listed)
    if m.sources:
        sources = Table(box=None, show_header=False, pad_edge=False, title=label("sources", lang))
        sources.title_justify = "left"
        sources.add_column(style="bold")
        sources.add_column(overflow="fold")
        for key, sentence in m.sources.items():
            sources.add_row(plain(key), plain(sentence, style="italic"))
        parts.append(sources)
    return _stacked(parts)


def topics_table(rows: Sequence[tuple[Topic, int, int]], lang: str) -> RenderableType:
    table = _table(lang, "topic", "name", "agenda_items", "open_actions")
    for topic, items, actions in rows:
        table.add_row(plain(topic.slug), plain(topic.name(lang)), str(items), str(actions))
    return table


def short_agenda_table(
    items: Sequence[AgendaItem] | Sequence[ItemLine],
    dates: Mapping[int, PartialDate],
    lang: str,
    *,
    show_meeting: bool = True,
) -> RenderableType:
    """A short agenda list (see ``lines.agenda_table``) as a Rich table: "position.
    title", and under it the topic slug and the item it was carried from (``← 7``), so
    that a slug is never split at 80 columns."""
    if not items:
        return empty("no_items", lang)
    table = _table(lang, *agenda_columns(show_meeting))
    for i in items:
        cells: list[RenderableType] = [str(i.id)]
        if show_meeting:
            cells.append(meeting_cell(i.meeting_id, dates))
        title = plain(f"{i.position}. {i.title}")
        under = under_title(i)
        if under:
            title.append("\n")
            title.append(under, style="dim")
        cells += [
            title,
            status_text(i.status.value, lang),
            plain(lead_text(i.lead, lang)),
            plain(i.outcome),
        ]
        table.add_row(*cells)
    return table


def item_history_table(
    chain: Sequence[AgendaItem], meetings: dict[int, Meeting], lang: str
) -> RenderableType:
    """An item's chain across meetings; meeting titles are listed under the table."""
    table = _table(lang, "id", "meeting", "date", "status", "outcome")
    seen: dict[int, Meeting] = {}
    for i in chain:
        m = meetings[i.meeting_id]
        seen[m.id] = m
        table.add_row(
            str(i.id),
            f"{m.id} {status_name(m.kind.value, lang)}",
            m.date.iso,
            status_text(i.status.value, lang),
            plain(i.outcome),
        )
    if chain:
        table.title = clean(chain[0].title)
        caption = Text(style="dim")
        for n, m in enumerate(seen.values()):
            caption.append(("\n" if n else "") + f"{m.id}: ")
            caption.append(clean(m.title))
        table.caption = caption
    return table


def due_text(action: Action, today: dt.date, lang: str) -> Text:
    return Text(*due_cell(action, today))


def action_detail(a: Action, today: dt.date, lang: str) -> RenderableType:
    header = _fields_table(
        [
            ("id", str(a.id)),
            ("title", a.title),
            ("meeting", str(a.meeting_id)),
            ("item", str(a.item_id) if a.item_id else None),
            ("party", status_name(a.party, lang)),
            ("owner", a.owner),
            ("due", due_text(a, today, lang) if a.due else None),
            ("status", status_text(a.status.value, lang)),
            ("priority", status_name(a.priority.value, lang)),
            ("level", status_name(a.level.value, lang)),
            ("created", a.created),
            ("completed", a.completed.isoformat() if a.completed else None),
        ],
        lang,
    )
    parts: list[RenderableType] = [header]
    if a.notes:
        notes = _table(lang, "date", "text", title=label("notes", lang))
        for n in a.notes:
            notes.add_row(n.at, plain(n.text))
        parts.append(notes)
    if a.changes:
        changes = _table(lang, "date", "field", "status", title=label("changes", lang))
        changes.columns[2].header = "→"
        for c in a.changes:
            changes.add_row(c.at, c.field, plain(f"{c.old or '—'} → {c.new or '—'}"))
        parts.append(changes)
    return _stacked(parts)


def communique_draft(draft: CommuniqueDraft, lang: str) -> RenderableType:
    """What ``meeting import-communique --dry-run`` would record, with its sources."""
    parts: list[RenderableType] = []
    for position, m in enumerate([draft.meeting, *draft.announced]):
        heading = "Meeting" if position == 0 else "Announced meeting"
        if lang == "es":
            heading = "Reunión" if position == 0 else "Reunión anunciada"
        parts.append(Text(heading, style="bold underline"))
        parts.append(
            _fields_table(
                [
                    ("title", m.title),
                    ("kind", status_name(m.kind, lang) if m.kind else None),
                    ("date", m.date.iso if m.date else None),
                    ("end_date", m.end_date.iso if m.end_date else None),
                    ("location", m.location),
                    ("host", m.host),
                    ("status", status_name(m.status, lang)),
                    ("ref", m.ref),
                ],
                lang,
            )
        )
        if m.delegations:
            table = _table(lang, "party", "head", "title", title=label("delegations", lang))
            for d in m.delegations:
                table.add_row(d.party, plain(d.head), plain(d.title))
            parts.append(table)
        if m.agenda:
            table = _table(lang, "item", "title", "topic", title=label("agenda", lang))
            for number, item in enumerate(m.agenda, start=1):
                table.add_row(str(number), plain(item.title), plain(item.topic))
            parts.append(table)
        if m.missing:
            parts.append(Text(f"Not found: {', '.join(m.missing)}", style="yellow"))
    return _stacked(parts)

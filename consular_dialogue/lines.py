"""Long lists, one line per record, drawn without Rich where Rich would draw them one
way only.

A list of more than ``LONG_LIST`` records is a ``LineTable``: every cell is cut to its
column's width with an ellipsis instead of wrapping. When stdout is a pipe or a file,
``plain_width`` says so and the lines are written as they are, so ``cdt action list |
grep`` never imports Rich; on a terminal where Rich would write each style's codes
around its cells (``terminal_width``), the lines are written with those codes
(``LineTable.terminal_lines``); Rich draws it anywhere else. Every way draws the same
``layout``, which is what keeps them identical.

Nothing here imports Rich at module level; ``rich.cells`` is imported only to measure
text that is not ASCII, and ``render`` (Rich's tables) only for a short list.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from functools import partial
from itertools import islice
from typing import IO, TYPE_CHECKING, Any, NamedTuple, TypeVar

from .i18n import label, status_name
from .models import ActionStatus, AgendaStatus, overdue_on
from .text import clean, clean_all

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
    from rich.segment import Segment
    from rich.style import Style
    from rich.table import Table
    from rich.text import Text

    from .dates import PartialDate
    from .models import Action, ActionLine, AgendaItem, ItemLine
    from .services.search import Hit

T = TypeVar("T")

LONG_LIST = 60  # rows above which a list is drawn one line per record
NARROW_MAX = 24
# Columns of free text: they share the width a line has left (see ``LineTable._widths``).
WIDE_COLUMNS = {"title", "name", "outcome", "text", "location", "owner"}

STATUS_STYLES = {
    "planned": "cyan",
    "held": "green",
    "postponed": "yellow",
    "cancelled": "strike dim",
    "done": "green",
    "cancelled-action": "dim",
    "blocked": "red",
    "resolved": "green",
    "dropped": "dim",
    "pending": "yellow",
}

Cell = tuple[str, "str | Style | None"]  # a cell's text (already inert) and its style

# The characters Rich's ``Text`` drops (``rich.control.strip_control_codes``).
_RICH_DROPS = dict.fromkeys((7, 8, 11, 12, 13))


class Styled:
    """Text with styles, kept as a Rich ``Text`` keeps it (the text, a style for the
    whole, and styles over spans of it) without importing Rich: a long timeline written
    to a pipe never loads Rich. Its methods do what ``Text``'s do, and ``text()`` is the
    ``Text`` Rich would have built from the same calls (a test compares them)."""

    __slots__ = ("plain", "spans", "style")

    def __init__(self, text: str = "", style: str = "") -> None:
        # Every character Rich drops is a control character, which isprintable refuses.
        self.plain = text if text.isprintable() else text.translate(_RICH_DROPS)
        self.style = style
        self.spans: list[tuple[int, int, str]] = []

    @classmethod
    def assemble(cls, *parts: str | Styled | tuple[str, str]) -> Styled:
        assembled = cls()
        for part in parts:
            if isinstance(part, tuple):
                assembled.append(*part)
            else:
                assembled.append(part)
        return assembled

    def append(self, text: str | Styled, style: str = "") -> Styled:
        if isinstance(text, Styled):
            if style:
                raise ValueError("style must not be set when appending Styled text")
            if text.plain:
                self._add(text)
        elif text:
            if not text.isprintable():
                text = text.translate(_RICH_DROPS)
            if style:
                start = len(self.plain)
                self.spans.append((start, start + len(text), style))
            self.plain += text
        return self

    def _add(self, text: Styled) -> None:
        """``text`` at the end, with its styles (even when empty, as ``Text.join`` does)."""
        offset = len(self.plain)
        if text.style:
            self.spans.append((offset, offset + len(text.plain), text.style))
        if text.spans:
            self.spans.extend([(start + offset, end + offset, s) for start, end, s in text.spans])
        self.plain += text.plain

    def join(self, parts: Iterable[Styled]) -> Styled:
        """``parts`` with this text between them: what ``_add`` of each would make, in
        one loop (an action timeline joins 20,000 cells)."""
        joined = Styled(style=self.style)
        spans = joined.spans
        sep, sep_style, sep_spans = self.plain, self.style, self.spans
        texts: list[str] = []
        offset = 0
        for part in parts:
            if texts and sep:
                if sep_style:
                    spans.append((offset, offset + len(sep), sep_style))
                for start, end, style in sep_spans:
                    spans.append((start + offset, end + offset, style))
                texts.append(sep)
                offset += len(sep)
            text = part.plain
            texts.append(text)
            if part.style:
                spans.append((offset, offset + len(text), part.style))
            for start, end, style in part.spans:
                spans.append((start + offset, end + offset, style))
            offset += len(text)
        joined.plain = "".join(texts)
        return joined

    def stylize(self, style: str) -> None:
        """Add ``style`` over the whole text."""
        if style and self.plain:
            self.spans.append((0, len(self.plain), style))

    def text(self) -> Text:
        from rich.text import Span, Text

        return Text(self.plain, style=self.style, spans=[Span(*span) for span in self.spans])


def status_cell(value: str, lang: str) -> tuple[str, str]:
    return status_name(value, lang), STATUS_STYLES.get(value, "")


def plain_width(file: IO[str]) -> int | None:
    """The width Rich would draw at on ``file``, when it would draw there without any
    colour or style (not a terminal, nothing forcing one); None otherwise.

    Conservative: any ``FORCE_COLOR`` or ``TTY_COMPATIBLE`` leaves the drawing to Rich.
    One difference, on purpose: ``COLUMNS=0`` draws at 80 (Rich would draw nothing).
    """
    environ = os.environ
    if sys.platform == "win32" or "FORCE_COLOR" in environ or "TTY_COMPATIBLE" in environ:
        return None
    try:
        if file.isatty():
            return None
    except (AttributeError, ValueError):
        return None
    return _rich_width() or 80


def _rich_width() -> int:
    """As ``rich.console.Console.size`` on Linux: COLUMNS, else the first standard
    stream that is a terminal (a pipe's reader may be one), else 80; 0 for
    ``COLUMNS=0``."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdecimal():
        return int(columns)
    for descriptor in (0, 1, 2):
        try:
            width = os.get_terminal_size(descriptor).columns
        except (AttributeError, ValueError, OSError):
            continue
        return width or 80
    return 80


# What Rich writes before a text of each style a long list draws (and ``\x1b[0m``
# after it), on a terminal of each colour system but Windows' own: these colours are
# among the first eight, which all of them write alike. A test compares each with Rich.
_SGR = {
    "bold": "1",
    "dim": "2",
    "red": "31",
    "green": "32",
    "yellow": "33",
    "blue": "34",
    "magenta": "35",
    "cyan": "36",
    "bold red": "1;31",
    "bold magenta": "1;35",
    "strike dim": "2;9",
}


def terminal_width(file: IO[str]) -> int | None:
    """The width Rich would draw at on ``file`` when it is a terminal that Rich writes
    the codes of ``_SGR`` on (not a dumb one); None where Rich may decide otherwise:
    Windows, anything set of ``FORCE_COLOR``, ``NO_COLOR``, ``TTY_COMPATIBLE`` and
    ``TTY_INTERACTIVE``, ``COLUMNS=0``. Rich draws there."""
    environ = os.environ
    if sys.platform == "win32" or any(
        name in environ for name in ("FORCE_COLOR", "NO_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE")
    ):
        return None
    if environ.get("TERM", "").lower() in ("dumb", "unknown"):
        return None
    try:
        if not file.isatty():
            return None
    except (AttributeError, ValueError):
        return None
    return _rich_width() or None


def terminal_codes(style: str | Style) -> tuple[str, str]:
    """``_SGR``'s codes around a text of ``style`` (``KeyError`` for any other)."""
    return f"\x1b[{_SGR[style]}m", "\x1b[0m"  # type: ignore[index]


class LineTable:
    """A table drawn one line per row, long text cut with an ellipsis to fit the width.

    Rich's Table wraps cells and measures each one several times: about a second
    for 2,000 rows here. Long lists need one pass; they keep the look of the rest.
    Cells are kept as (text, style): a ``Text`` per cell costs more than the line.
    """

    GAP = "   "
    #: Printed alone, its lines are not cropped (``render._Console``): they fit, but at
    #: widths where columns cannot shrink enough (never below 4), where they run on.
    FITS_WIDTH = True
    #: Whether lines wider than the console are cut at its width, as Rich's print crops
    #: them: for a table inside a renderable printed uncropped (a timeline).
    cut_to_width = False

    def __init__(self, headers: Sequence[str], wide: Sequence[bool]) -> None:
        self.headers: list[Cell] = [(h, "bold") for h in headers]
        self.wide = list(wide)
        # The rows' cells, a column at a time: each column's texts and their styles.
        self.texts: list[list[str]] = [[] for _ in headers]
        self.styles: list[list[str | Style | None]] = [[] for _ in headers]
        #: Full-width lines between rows, each after as many rows as it says.
        self.separators: list[tuple[int, Cell]] = []
        self._joined_of: tuple[int, list[str], list[bool]] | None = None  # (``_joined``)

    def __len__(self) -> int:
        """The rows (separators not counted)."""
        return len(self.texts[0]) if self.texts else 0

    def add_row(self, *cells: RenderableType | Styled | Cell) -> None:
        for texts, styles, (text, style) in zip(
            self.texts, self.styles, map(_cell, cells), strict=True
        ):
            texts.append(text)
            styles.append(style)

    def add_columns(
        self, texts: Sequence[Sequence[str]], styles: Sequence[Sequence[str | Style | None]]
    ) -> None:
        """Rows given a column at a time: each column's texts (inert already) and styles."""
        for column, more in zip(self.texts, texts, strict=True):
            column.extend(more)
        for kept, given in zip(self.styles, styles, strict=True):
            kept.extend(given)
        rows = len(self)
        if any(len(column) != rows for column in self.texts) or any(
            len(column) != rows for column in self.styles
        ):
            raise ValueError("every column needs a text and a style for each row")

    def add_separator(self, text: RenderableType | Styled | Cell) -> None:
        """A full-width line between rows (a year heading, the today rule)."""
        self.separators.append((len(self), _cell(text)))

    def _joined(self) -> tuple[list[str], list[bool]]:
        """Each column's texts joined, and whether each of its characters takes one
        cell; made once for as many rows (rows are only ever added)."""
        if self._joined_of is None or self._joined_of[0] != len(self):
            joined = ["".join(texts) for texts in self.texts]
            self._joined_of = (len(self), joined, list(map(_one_cell_each, joined)))
        return self._joined_of[1], self._joined_of[2]

    def measure(self) -> list[Measure]:
        """What the widths of its columns need of its rows (``Measure``): the measures
        of two tables of the same columns give the widths of one table of both's rows."""
        measures = []
        for texts, one_cell in zip(self.texts, self._joined()[1], strict=True):
            longest = max(map(len, texts), default=0)
            # As many cells as characters where each takes one (``cell_width``).
            cells = longest if one_cell else max(map(cell_width, set(texts)), default=0)
            measures.append(Measure(one_cell, longest, cells))
        return measures

    def _widths(self, measures: Sequence[Sequence[Measure]], max_width: int) -> list[int]:
        """Each column's width, of the rows of tables of these columns ``measures`` are
        of (``measure``)."""
        widths = [cell_width(h) for h, _ in self.headers]
        for i, (of_column, wide) in enumerate(
            zip(zip(*measures, strict=True), self.wide, strict=True)
        ):
            one_cell = all(m.one_cell for m in of_column)
            longest = max(m.longest if one_cell else m.cells for m in of_column)
            # A short column never takes more than NARROW_MAX: a code or a date.
            widths[i] = max(widths[i], longest if wide else min(longest, NARROW_MAX))
        room = max_width - len(self.GAP) * (len(widths) - 1)
        fixed = sum(w for w, wide in zip(widths, self.wide, strict=True) if not wide)
        natural = sum(w for w, wide in zip(widths, self.wide, strict=True) if wide)
        left = room - fixed
        if natural > left > 0:
            # Free text shares what the short columns leave, in proportion to its length;
            # at very small widths the line itself is cut at the edge.
            widths = [
                max(8, left * w // natural) if wide else w
                for w, wide in zip(widths, self.wide, strict=True)
            ]
        while sum(widths) > room and max(widths) > 4:
            # Cut free text before codes and dates.
            shrinkable = [i for i, w in enumerate(widths) if self.wide[i] and w > 8] or [
                i for i, w in enumerate(widths) if w > 4
            ]
            widths[max(shrinkable, key=lambda i: widths[i])] -= 1
        return widths

    def _line_width(self, max_width: int) -> int:
        """How wide its lines are drawn at ``max_width``: wider where columns cannot
        shrink enough."""
        widths = self._widths([self.measure()], max_width)
        return sum(widths) + len(self.GAP) * (len(widths) - 1)

    def _fitted(
        self, max_width: int, measures: Sequence[Sequence[Measure]] | None = None
    ) -> tuple[list[Cell], str, list[list[str]]]:
        """The header's fitted cells, the rule under it, and the data rows' fitted
        texts, a column at a time; the widths are those of its own rows, or of the
        tables ``measures`` are of."""
        columns = self.texts
        joined, one_cell = self._joined()
        widths = self._widths([self.measure()] if measures is None else measures, max_width)
        total = sum(widths) + len(self.GAP) * (len(widths) - 1)
        last = len(widths) - 1
        header = [
            (_fit(text, width, pad=i < last), style)
            for i, ((text, style), width) in enumerate(zip(self.headers, widths, strict=True))
        ]
        fitted = [
            _fit_column(texts, width, pad=i < last, joined=joined[i], one_cell=one_cell[i])
            for i, (texts, width) in enumerate(zip(columns, widths, strict=True))
        ]
        return header, "─" * min(max_width, total), fitted

    def layout(self, max_width: int) -> Iterator[list[Cell]]:
        """Each line as its fitted cells (the gaps between them not included): the
        header, its rule, then the rows; a separator is a line of one cell."""
        header, rule, fitted = self._fitted(max_width)
        yield header
        yield [(rule, None)]
        rows = zip(zip(*fitted, strict=True), zip(*self.styles, strict=True), strict=True)
        done = 0  # rows drawn
        for at, (text, style) in self.separators:
            for texts, styles in islice(rows, at - done):
                yield list(zip(texts, styles, strict=True))
            done = at
            yield [(_fit(text, max_width, pad=False), style)]
        for texts, styles in rows:
            yield list(zip(texts, styles, strict=True))

    def plain_lines(self, max_width: int) -> Iterator[str]:
        """The lines as Rich draws them without colour, each ending in a newline: the
        layout's, joined in C a row at a time and the rows between two separators at
        once (no cell is paired with its style). A string may hold several lines."""
        return self._lines(max_width, None)

    def terminal_lines(self, max_width: int) -> Iterator[str] | None:
        """The lines as the tool's console prints this table alone on a terminal (see
        ``__rich_console__``), without Rich: each styled cell between the codes of
        ``_SGR``; None when a style is not one of them (Rich draws it)."""
        if not self.coded_alike():
            return None
        return self._lines(max_width, terminal_codes)

    def coded_alike(self) -> bool:
        """Whether ``terminal_lines`` writes it on a terminal as Rich would: each of its
        styles is one of ``_SGR``, and its lines are not cut at the terminal's width."""
        used = {style for styles in self.styles for style in set(styles) if style}
        used.update(style for _, (_, style) in self.separators if style)
        return not self.cut_to_width and used.union(["bold"]) <= _SGR.keys()

    def share_text(
        self,
        max_width: int,
        codes: Callable[[str | Style], tuple[str, str]] | None,
        measures: Sequence[Sequence[Measure]],
        *,
        first: bool,
    ) -> str:
        """Its lines (``plain_lines``, or with ``codes`` ``terminal_lines``) as one share
        of a table of the rows of the tables ``measures`` are of, in their order: the
        first share with the header and its rule, the next without. A table of no
        separator is drawn in shares."""
        if self.separators:
            raise ValueError("a table with separators is drawn whole")
        lines = self._lines(max_width, codes, measures)
        if not first:
            next(lines), next(lines)  # the header and its rule
        return "".join(lines)

    def _lines(
        self,
        max_width: int,
        codes: Callable[[str | Style], tuple[str, str]] | None,
        measures: Sequence[Sequence[Measure]] | None = None,
    ) -> Iterator[str]:
        """``plain_lines``; with ``codes`` (what the console writes before and after a
        text of each style), each non-empty styled cell between its style's codes,
        coded a column at a time (a cell at a time, L's terminal list took 32–46 ms
        of CPU more). With ``measures``, at the widths of the tables they are of."""

        def one(text: str, style: str | Style | None) -> str:
            if codes is None or not (style and text):
                return text
            before, after = codes(style)
            return before + text + after

        def column(texts: list[str], styles: list[str | Style | None]) -> list[str]:
            if codes is None or not any(styles):
                return texts
            found = {s: codes(s) for s, t in zip(styles, texts, strict=True) if s and t}
            return [
                f"{found[style][0]}{text}{found[style][1]}" if style and text else text
                for text, style in zip(texts, styles, strict=True)
            ]

        header, rule, fitted = self._fitted(max_width, measures)
        gap = self.GAP
        yield gap.join([one(text, style) for text, style in header]) + "\n"
        yield rule + "\n"
        columns = [column(t, s) for t, s in zip(fitted, self.styles, strict=True)]
        lines = map(gap.join, zip(*columns, strict=True))
        done = 0  # rows written
        for at, (text, style) in self.separators:
            yield from _joined(lines, at - done)
            yield one(_fit(text, max_width, pad=False), style) + "\n"
            done = at
        yield from _joined(lines, len(self) - done)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        from rich.segment import Segment

        width = options.max_width
        if self.cut_to_width and self._line_width(width) > console.width:
            # Cut where Rich's print would crop them: at the console's width.
            plain = console.color_system is None
            drawn = (
                map(Segment, self.plain_lines(width)) if plain else self._segments(console, width)
            )
            for line in Segment.split_and_crop_lines(drawn, console.width, pad=False):
                yield from line
            return
        if console.color_system is None:
            # A line is one segment: Rich would otherwise wrap and re-measure every cell.
            yield from map(Segment, self.plain_lines(options.max_width))
            return
        codes = _codes_around(console) if printed_alone(console, self) else None
        if codes is None:
            yield from self._segments(console, options.max_width)
            return
        # The lines as the console would write their segments, each styled cell between
        # its style's codes: one segment, without a Segment per cell (20,000 lines on a
        # terminal took 120 ms of segments).
        yield Segment("".join(self._lines(options.max_width, codes)))

    def _segments(self, console: Console, max_width: int) -> Iterator[Segment]:
        """The lines as segments: one per styled cell and per run of plain ones between
        them."""
        from rich.segment import Segment

        style_of = _styles_of(console)
        for cells in self.layout(max_width):
            run: list[str] = []
            for i, (text, style) in enumerate(cells):
                if i:
                    run.append(self.GAP)
                chosen = style_of(style)
                if chosen is None:
                    run.append(text)
                    continue
                if run:
                    yield Segment("".join(run))
                    run = []
                yield Segment(text, chosen)
            run.append("\n")
            yield Segment("".join(run))


_ROWS_AT_ONCE = 4096


class Measure(NamedTuple):
    """What a column's width needs of its texts (``LineTable.measure``)."""

    one_cell: bool  # whether each character of each text takes one terminal cell
    longest: int  # the most characters of a text
    cells: int  # the most terminal cells a text takes (``cell_width``)


def _joined(lines: Iterator[str], count: int) -> Iterator[str]:
    """The next ``count`` lines, each ending in a newline, joined a few thousand at a
    time: 100,000 rows (at L) are never all held as lines and as their text at once."""
    while count > 0:
        taken = min(count, _ROWS_AT_ONCE)
        yield "\n".join(islice(lines, taken)) + "\n"
        count -= taken


def printed_alone(console: Console, renderable: object) -> bool:
    """Whether the tool's console (``render._Console``) is printing ``renderable`` alone
    and uncropped; never for another console."""
    alone = getattr(console, "printed_alone", None)
    return alone is not None and bool(alone(renderable))


def _styles_of(console: Console) -> Callable[[str | Style | None], Style | None]:
    """A cell's style as the console reads it, each looked up once."""
    styles: dict[str | Style, Style | None] = {}

    def style_of(style: str | Style | None) -> Style | None:
        if not style:
            return None
        if style not in styles:
            from rich.style import Style

            styles[style] = style if isinstance(style, Style) else console.get_style(style)
        return styles[style]

    return style_of


_COLOR_SYSTEMS = {"standard": 1, "256": 2, "truecolor": 3, "windows": 4}  # rich ColorSystem


def _codes_around(console: Console) -> Callable[[str | Style], tuple[str, str]] | None:
    """What the console writes before and after a non-empty text of each style: Rich's
    ``Style.render`` of the style (without colour under NO_COLOR) for the console's
    colour system, as its ``Console._render_buffer`` writes a styled segment. None for
    a console that writes styles otherwise (legacy Windows, Jupyter, a recording). For
    a table printed alone (``render._Console``): cropping, a container or a pager
    would take the codes for characters."""
    from rich.color import ColorSystem

    if console.legacy_windows or console.is_jupyter or console.record:
        return None
    system = ColorSystem(_COLOR_SYSTEMS[console.color_system or "truecolor"])
    style_of = _styles_of(console)
    found: dict[str | Style, tuple[str, str]] = {}

    def codes(style: str | Style) -> tuple[str, str]:
        if style not in found:
            chosen = style_of(style)
            if chosen is None:
                found[style] = ("", "")
            else:
                if console.no_color:
                    chosen = chosen.without_color
                before, _, after = chosen.render("\x00", color_system=system).partition("\x00")
                found[style] = (before, after)
        return found[style]

    return codes


class CutLines:
    """Lines of user text in one style, each cut at the width with an ellipsis: what
    Rich printed for each line as a ``Text`` with ``no_wrap`` and
    ``overflow="ellipsis"``, written at once. ``cdt log`` after a bulk import has
    125,000 lines; Rich took 40 s to print them one at a time.

    The texts are made inert here. A line holding a tab or a line break (which Rich
    expands or splits) is still handed to Rich.
    """

    FITS_WIDTH = True  # each line is cut at the width

    def __init__(self, texts: Sequence[str], style: str = "") -> None:
        self.texts = clean_all(texts)
        self.style = style

    def _fitted(self, max_width: int) -> Iterator[str | None]:
        """Each line cut to the width; None for a line only Rich draws."""
        for line in self.texts:
            yield None if "\t" in line or "\n" in line else _fit(line, max_width, pad=False)

    def plain_lines(self, max_width: int) -> Iterator[str] | None:
        """The lines without colour, each ending in a newline; None when a line needs
        Rich."""
        fitted = list(self._fitted(max_width))
        lines = [line + "\n" for line in fitted if line is not None]
        return iter(lines) if len(lines) == len(fitted) else None

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        from rich.segment import Segment
        from rich.text import Text

        if console.color_system is None:
            plain = self.plain_lines(options.max_width)
            if plain is not None:
                yield from map(Segment, plain)
                return
        style = console.get_style(self.style) if self.style else None
        newline = Segment("\n")
        for text, line in zip(self.texts, self._fitted(options.max_width), strict=True):
            if line is None:
                yield Text(text, style=self.style, no_wrap=True, overflow="ellipsis")
                continue
            yield Segment(line, style)
            yield newline


def _cell(cell: Any) -> Cell:
    """A (text, style) cell from a cell, a Rich ``Text`` or ``Styled`` text, or anything
    else (its ``str``)."""
    if isinstance(cell, tuple):
        return cell
    plain = getattr(cell, "plain", None)
    if isinstance(plain, str):  # a rich.text.Text or Styled: its text and base style
        return plain, cell.style or None
    return str(cell), None


def add_cells(table: Table | LineTable, cells: Sequence[Cell]) -> None:
    """One row of (inert text, style) cells, in either kind of table."""
    if isinstance(table, LineTable):
        table.add_row(*cells)
    else:
        from rich.text import Text

        table.add_row(*(Text(text, style=style or "") for text, style in cells))


# A character other than these may not take one terminal cell: the printable ones below
# U+0300, where combining marks begin (the letters of Spanish and of most Latin names),
# the dashes, quotes, bullets and currency signs of General Punctuation (the em dash of
# "Grupo de trabajo — Ciudad Juárez"), which stop short of its invisible ones, and the
# arrows this tool writes itself ("← 7" for a carried item, "due — → 2023-05-10").
_NOT_PLAIN_LATIN = re.compile(
    "[^ -~\u00a1-\u00ac\u00ae-\u02ff\u2010-\u2027\u2030-\u205e\u20a0-\u20c0\u2190-\u21ff]"
)


def _one_cell_each(text: str) -> bool:
    """Whether every character of ``text`` takes one terminal cell, as Rich counts them
    (a test checks each such character against Rich); ASCII is counted so as before."""
    return text.isascii() or _NOT_PLAIN_LATIN.search(text) is None


def cell_width(text: str) -> int:
    """Terminal cells ``text`` takes, as Rich counts them: one per character for plain
    Latin text, and none for a line break in such text that is not ASCII (a timeline's
    two-line action cell: Rich measured each of them)."""
    if text.isascii():
        return len(text)
    flat = text.replace("\n", "") if "\n" in text else text
    if _NOT_PLAIN_LATIN.search(flat) is None:
        return len(flat)
    from rich.cells import cell_len

    return cell_len(text)


def _fit(text: str, width: int, *, pad: bool) -> str:
    """``text`` on one line in exactly ``width`` cells, cut with an ellipsis when longer."""
    text = text.replace("\n", " ")
    if _one_cell_each(text):
        if len(text) > width:
            return text[: max(width - 1, 0)] + "…"
        return text.ljust(width) if pad else text
    from rich.cells import cell_len, set_cell_size

    length = cell_len(text)
    if length > width:
        return set_cell_size(text, max(width - 1, 0)) + "…"
    return text + " " * (width - length) if pad else text


def _fit_column(
    texts: Sequence[str], width: int, *, pad: bool, joined: str, one_cell: bool
) -> list[str]:
    """``_fit`` of each text, given them all ``joined`` and whether that takes one cell
    per character; inline when each takes one cell per character once on one line (as
    ``_fit`` puts it), the usual case and a timeline's 14,000 two-line action cells at L."""
    if "\n" in joined:
        one_cell = _one_cell_each(joined.replace("\n", " "))
        if one_cell:
            texts = [text.replace("\n", " ") for text in texts]
    if not one_cell:
        # Each different text once: the texts Rich must measure repeat (marks, names).
        fitted = {text: _fit(text, width, pad=pad) for text in set(texts)}
        return [fitted[text] for text in texts]
    cut = max(width - 1, 0)
    return [
        (text.ljust(width) if pad else text) if len(text) <= width else text[:cut] + "…"
        for text in texts
    ]


def list_table(lang: str, rows: int, *columns: str, long: bool = False) -> Table | LineTable:
    """A Rich table for a short list, a LineTable for a long one (or one said ``long``:
    a share of one)."""
    if rows <= LONG_LIST and not long:
        from .render import _table

        return _table(lang, *columns)
    return LineTable([label(c, lang) for c in columns], [c in WIDE_COLUMNS for c in columns])


def due_cell(action: Action | ActionLine, today: dt.date) -> tuple[str, str]:
    if action.due is None:
        return "", ""
    if action.is_overdue(today):
        return f"{action.due.isoformat()} !", "bold red"
    return action.due.isoformat(), ""


def due_cells(
    actions: Sequence[Action] | Sequence[ActionLine], today: dt.date
) -> tuple[list[str], list[str]]:
    """``due_cell`` of each action, as its texts and its styles: each day written once
    (100,000 actions are due on 6,000 days at L)."""
    days = [a.due for a in actions]
    late = list(map(overdue_on, days, [a.status for a in actions], [today] * len(days)))
    written = each_once(_day_text, days)
    texts = [f"{text} !" if overdue else text for text, overdue in zip(written, late, strict=True)]
    return texts, ["bold red" if overdue else "" for overdue in late]


def _day_text(day: dt.date | None) -> str:
    return "" if day is None else day.isoformat()


def actions_table(
    actions: Sequence[Action] | Sequence[ActionLine],
    today: dt.date,
    lang: str,
    *,
    long: bool = False,
) -> RenderableType:
    """The actions' list: Rich's table when short, else (or when ``long``) a LineTable."""
    if not actions and not long:
        from .render import empty

        return empty("no_actions", lang)
    table = list_table(
        lang, len(actions), "id", "due", "party", "owner", "status", "title", "meeting", long=long
    )
    # A long list has thousands of rows and a handful of statuses, sides and owners:
    # each is named once.
    statuses = {s: status_cell(s.value, lang) for s in ActionStatus}
    due_texts, due_styles = due_cells(actions, today)
    status_cells = [statuses[a.status] for a in actions]
    texts = [
        [str(a.id) for a in actions],
        due_texts,
        each_once(partial(status_name, lang=lang), [a.party for a in actions]),
        each_once(clean, [a.owner for a in actions]),
        [text for text, _ in status_cells],
        clean_all([a.title for a in actions]),
        each_once(reference_text, [a.meeting_id for a in actions]),
    ]
    plain: list[str | None] = [None] * len(actions)
    styles: list[Sequence[str | None]] = [
        plain, due_styles, plain, plain, [s for _, s in status_cells], plain, plain
    ]  # fmt: skip
    _fill(table, texts, styles)
    return table


def meeting_cell(meeting_id: Any, dates: Mapping[int, PartialDate]) -> str:
    """An agenda item's meeting: ``12 · 2023-04-24``, or the stored reference if unknown."""
    date = dates.get(meeting_id)
    return f"{meeting_id} · {date.iso}" if date else reference_text(meeting_id)


def agenda_columns(show_meeting: bool) -> list[str]:
    """An agenda list's columns; one meeting's agenda needs no meeting column."""
    return ["id", *(["meeting"] if show_meeting else []), "title", "status", "lead", "outcome"]


def lead_text(lead: str | None, lang: str) -> str:
    """The side that leads an item, by its name in ``lang``, made inert."""
    return clean(status_name(lead, lang)) if lead else ""


def under_title(item: AgendaItem | ItemLine) -> str:
    """What a list shows under (or after) an item's title: its topic slug and the item
    it was carried from (``h2-visas ← 7``)."""
    topic = clean(item.topic)
    carried = f"← {reference_text(item.carried_from)}" if item.carried_from else ""
    return f"{topic} {carried}" if topic and carried else topic or carried


def agenda_table(
    items: Sequence[AgendaItem] | Sequence[ItemLine],
    dates: Mapping[int, PartialDate],
    lang: str,
    *,
    show_meeting: bool = True,
) -> RenderableType:
    """Agenda items, with the dates of their meetings by id. A short list is Rich's
    table (``render.short_agenda_table``: an item's topic and origin under its title); a
    long one is a line per item, its topic and origin after the title, built a column
    at a time without Rich."""
    if len(items) <= LONG_LIST:
        from .render import short_agenda_table

        return short_agenda_table(items, dates, lang, show_meeting=show_meeting)
    columns = agenda_columns(show_meeting)
    table = LineTable([label(c, lang) for c in columns], [c in WIDE_COLUMNS for c in columns])
    statuses = {s: status_cell(s.value, lang) for s in AgendaStatus}
    status_cells = [statuses[i.status] for i in items]
    titles = clean_all([f"{i.position}. {i.title}" for i in items])
    unders = list(map(under_title, items))
    texts = [[str(i.id) for i in items]]
    if show_meeting:
        meeting_of = partial(meeting_cell, dates=dates)
        texts.append(each_once(meeting_of, [i.meeting_id for i in items]))
    texts += [
        [
            f"{title} · {under}" if under else title
            for title, under in zip(titles, unders, strict=True)
        ],
        [text for text, _ in status_cells],
        each_once(partial(lead_text, lang=lang), [i.lead for i in items]),
        clean_all([i.outcome for i in items]),
    ]
    plain: list[str | None] = [None] * len(items)
    styles = [plain] * len(texts)
    styles[-3] = [style or None for _, style in status_cells]  # the status column
    _fill(table, texts, styles)
    return table


def hits_table(hits: Sequence[Hit], lang: str) -> RenderableType:
    if not hits:
        from .render import empty

        return empty("no_matches", lang)
    table = list_table(lang, len(hits), "kind", "id", "meeting", "field", "text")
    texts = [
        [h.kind for h in hits],
        [str(h.record_id) for h in hits],
        each_once(reference_text, [h.meeting_id for h in hits]),
        [h.field for h in hits],
        clean_all([h.text for h in hits]),
    ]
    _fill(table, texts, [[None] * len(hits)] * len(texts))
    return table


def reference_text(value: Any) -> str:
    """A stored reference to another record as text: a number, or whatever a
    hand-edited file holds there, made inert like any user text."""
    return clean(str(value))


# Types whose equal values may be written differently (0.0 and -0.0; one moment in two
# time zones): a hand-edited file may put them where numbers or dates belong.
_WRITTEN_APART_WHEN_EQUAL = frozenset({float, complex, dt.datetime})


def each_once(convert: Callable[[Any], T], values: Sequence[Any]) -> list[T]:
    """``convert`` of each value, called once for each different value (in the order
    they first come), the cells then looked up by ``map`` rather than a loop.

    Values are told apart by their type too: a hand-edited ``true`` or ``1.0`` is
    equal to ``1`` as a dict key, not as text. A column of one type (and None) is
    looked up by its values alone.
    """
    types = set(map(type, values))
    if types & _WRITTEN_APART_WHEN_EQUAL:
        return [convert(value) for value in values]
    types.discard(type(None))
    keys: Sequence[Any] = values
    if len(types) > 1:
        keys = list(zip(map(type, values), values, strict=True))
    try:
        firsts = dict.fromkeys(keys)
    except TypeError:  # a hand-edited value that cannot be a key (a list): one by one
        return [convert(value) for value in values]
    if keys is values:
        converted = {value: convert(value) for value in firsts}
    else:
        converted = {key: convert(key[1]) for key in firsts}
    return list(map(converted.__getitem__, keys))


def _fill(
    table: Table | LineTable,
    texts: Sequence[Sequence[str]],
    styles: Sequence[Sequence[str | None]],
) -> None:
    """Rows given a column at a time, in either kind of table."""
    if isinstance(table, LineTable):
        table.add_columns(texts, styles)
        return
    for row_texts, row_styles in zip(
        zip(*texts, strict=True), zip(*styles, strict=True), strict=True
    ):
        add_cells(table, list(zip(row_texts, row_styles, strict=True)))

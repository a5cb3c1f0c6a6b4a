"""Dates as users type them (Spanish or English) and as the tool stores them.

The only module that uses dateutil. Every date leaves here as a ``PartialDate``
that knows its precision, so a meeting planned for "octubre 2023" is never
filled in with a day nobody said.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from typing import Literal

from .errors import InputError


class Precision(StrEnum):
    """How much of a date is known."""

    YEAR = "year"
    MONTH = "month"
    DAY = "day"


@dataclass(frozen=True, order=True)
class PartialDate:
    """A calendar date known to the year, the month or the day."""

    year: int
    month: int | None = None
    day: int | None = None

    def __post_init__(self) -> None:
        if self.day is not None and self.month is None:
            raise ValueError("a day needs a month")
        if not 1 <= self.year <= 9999:
            raise ValueError(f"year {self.year} is out of range")
        if self.month is not None and not 1 <= self.month <= 12:
            raise ValueError(f"month {self.month} is out of range")
        if self.day is not None:
            assert self.month is not None
            dt.date(self.year, self.month, self.day)  # raises ValueError when impossible

    @property
    def precision(self) -> Precision:
        if self.day is not None:
            return Precision.DAY
        if self.month is not None:
            return Precision.MONTH
        return Precision.YEAR

    @cached_property  # kept in the instance's __dict__, which a frozen dataclass allows
    def iso(self) -> str:
        """``2023-04-17``, ``2023-10`` or ``2023``."""
        if self.month is None:
            return f"{self.year:04d}"
        if self.day is None:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"

    def first_day(self) -> dt.date:
        """The earliest day this date can mean (month-precise dates sort here)."""
        return dt.date(self.year, self.month or 1, self.day or 1)

    def last_day(self) -> dt.date:
        """The latest day this date can mean."""
        if self.day is not None:
            assert self.month is not None
            return dt.date(self.year, self.month, self.day)
        month = self.month or 12
        return dt.date(self.year, month, _days_in(self.year, month))

    @classmethod
    def from_date(cls, value: dt.date) -> PartialDate:
        return cls(value.year, value.month, value.day)

    @classmethod
    def from_iso(cls, text: str) -> PartialDate:
        """Read a stored ISO date (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``). Each text is
        read once in a process (a date is immutable, so one can be shared): L's 5,000
        meetings have 3,441 dates, and the list of parts' dates are read twice."""
        known = _READ_ISO.get(text) if isinstance(text, str) else None
        if known is not None:
            return known
        parts = text.split("-")
        try:
            if len(parts) > 3 or not all(p.isdigit() for p in parts):
                raise ValueError(text)
            numbers = [int(p) for p in parts]
            date = _READ_ISO[text] = cls(*numbers)
            return date
        except (ValueError, TypeError):
            raise InputError(f"{text!r} is not an ISO date (YYYY-MM-DD).") from None

    def __str__(self) -> str:
        return self.iso


_READ_ISO: dict[str, PartialDate] = {}  # each stored text PartialDate.from_iso has read

# --- Reading what people type -------------------------------------------------------------

DateOrder = Literal["dmy", "mdy"]

ACCEPTED_FORMS = (
    "2023-04-24; 24/04/2023; 24 de abril de 2023; April 24, 2023; abril 2023; 2023-04; "
    "hoy/today; mañana/tomorrow; en 3 días/in 3 days; +10d; próximo viernes/next friday"
)

MIN_YEAR = 1900
MAX_YEAR = 2100
_MAX_LENGTH = 100  # no real date is longer; checked before any regex runs
_SHOWN_LENGTH = 40
_DEFAULT_ALLOW = frozenset({Precision.DAY, Precision.MONTH})

_MONTHS: dict[str, int] = {
    # Spanish
    "enero": 1, "ene": 1, "febrero": 2, "marzo": 3, "abril": 4, "abr": 4, "mayo": 5,
    "junio": 6, "julio": 7, "agosto": 8, "ago": 8, "septiembre": 9, "setiembre": 9, "set": 9,
    "octubre": 10, "noviembre": 11, "diciembre": 12, "dic": 12,
    # English
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4,
    "apr": 4, "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11, "nov": 11,
    "december": 12, "dec": 12,
}  # fmt: skip
_WEEKDAYS: dict[str, int] = {
    "lunes": 0, "martes": 1, "miercoles": 2, "jueves": 3, "viernes": 4, "sabado": 5,
    "domingo": 6,
    "monday": 0, "mon": 0, "tuesday": 1, "tues": 1, "tue": 1, "wednesday": 2, "wed": 2,
    "thursday": 3, "thurs": 3, "thur": 3, "thu": 3, "friday": 4, "fri": 4, "saturday": 5,
    "sat": 5, "sunday": 6, "sun": 6,
}  # fmt: skip
_MONTH_NAMES_EN = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_WORD_DAYS = {
    "today": 0, "hoy": 0, "tomorrow": 1, "manana": 1, "yesterday": -1, "ayer": -1,
    "day after tomorrow": 2, "pasado manana": 2,
    "day before yesterday": -2, "anteayer": -2, "antier": -2,
}  # fmt: skip
_COUNT_WORDS = {"a": 1, "an": 1, "one": 1, "un": 1, "una": 1, "uno": 1}
_UNITS = {
    "day": "days", "days": "days", "dia": "days", "dias": "days",
    "week": "weeks", "weeks": "weeks", "semana": "weeks", "semanas": "weeks",
    "month": "months", "months": "months", "mes": "months", "meses": "months",
}  # fmt: skip


def _alternation(words: dict[str, int] | dict[str, str]) -> str:
    """Longest first, so ``sept`` is not read as ``sep`` followed by junk."""
    return "|".join(sorted(words, key=len, reverse=True))


class _LazyPattern:
    """A regex compiled on first use: most commands never parse a date, and compiling
    these at import cost a tenth of cdt's start-up."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self._compiled: re.Pattern[str] | None = None

    def fullmatch(self, text: str) -> re.Match[str] | None:
        if self._compiled is None:
            self._compiled = re.compile(self.pattern)
        return self._compiled.fullmatch(text)


_M = rf"(?P<month>{_alternation(_MONTHS)})\.?"
_Y = r"(?P<year>[0-9]{4})"
_WD = rf"(?P<weekday>{_alternation(_WEEKDAYS)})\.?"
_N = rf"(?P<count>[0-9]{{1,4}}|{_alternation(_COUNT_WORDS)})"
_U = rf"(?P<unit>{_alternation(_UNITS)})"

_ISO_DAY = _LazyPattern(  # year first is never ambiguous, so 2023/04/17 is fine too
    r"(?P<year>[0-9]{4})(?P<sep>[-/.])(?P<month>[0-9]{1,2})(?P=sep)(?P<day>[0-9]{1,2})"
)
_ISO_MONTH = _LazyPattern(r"(?P<year>[0-9]{4})-(?P<month>[0-9]{1,2})")
_YEAR_ONLY = _LazyPattern(_Y)
_NUMERIC = _LazyPattern(r"(?P<a>[0-9]{1,2})(?P<sep>[/.-])(?P<b>[0-9]{1,2})(?P=sep)" + _Y)
_DAY_MONTH_YEAR = _LazyPattern(
    rf"(?P<day>[0-9]{{1,2}})(?P<suffix>\.?o|ero|ro|st|nd|rd|th)? (?:de )?{_M},? (?:del? )?{_Y}"
)
_MONTH_DAY_YEAR = _LazyPattern(rf"{_M} (?P<day>[0-9]{{1,2}})(?P<suffix>st|nd|rd|th)?,? {_Y}")
_MONTH_YEAR = _LazyPattern(rf"{_M},? (?:del? )?{_Y}")
_IN = _LazyPattern(rf"(?:in|en|dentro de) {_N} {_U}")
_AGO = _LazyPattern(
    rf"(?:{_N} {_U} ago|hace {_N.replace('count', 'count2')} {_U.replace('unit', 'unit2')})"
)
_SHIFT = _LazyPattern(r"(?P<sign>[+-])(?P<count>[0-9]{1,4})(?P<unit>[dw])")
_NEXT = _LazyPattern(
    rf"next {_WD}|(?:el )?proximo {_WD.replace('weekday', 'wd2')}|"
    rf"(?:el )?{_WD.replace('weekday', 'wd3')} (?:proximo|que viene)"
)
_LAST = _LazyPattern(
    rf"last {_WD}|(?:el )?pasado {_WD.replace('weekday', 'wd2')}|"
    rf"(?:el )?{_WD.replace('weekday', 'wd3')} pasado"
)
# Shapes that look like a date but leave something out; only used to explain a refusal.
_TWO_DIGIT_YEAR = _LazyPattern(
    rf"[0-9]{{1,2}}([/.-])[0-9]{{1,2}}\1[0-9]{{2}}|{_M} [0-9]{{1,2}}\S*,? [0-9]{{2}}|"
    rf"[0-9]{{1,2}}\S* (?:de )?{_M.replace('month', 'month2')},? (?:del? )?[0-9]{{2}}"
)
_NO_YEAR = _LazyPattern(
    rf"[0-9]{{1,2}}[/.-][0-9]{{1,2}}|(?:[0-9]{{1,2}}\S* (?:de )?)?{_M}(?: [0-9]{{1,2}}\S*)?"
)


def parse_date_order(text: str) -> DateOrder:
    """Validate a ``--date-order`` / ``CDT_DATE_ORDER`` value before any date needs it."""
    value = text.strip().lower()
    if value == "dmy":
        return "dmy"
    if value == "mdy":
        return "mdy"
    raise InputError(f"Date order must be dmy (day first) or mdy (month first), not {_show(text)}.")


def format_iso(value: PartialDate | None) -> str | None:
    """ISO text for storage and output, keeping "no date" as ``None``."""
    return None if value is None else value.iso


def parse_date(
    text: str,
    *,
    now: dt.date | dt.datetime,
    order: DateOrder | None = None,
    allow: frozenset[Precision] = _DEFAULT_ALLOW,
) -> PartialDate:
    """Read a date typed by a person, refusing anything that would need a guess.

    ``now`` anchors relative words ("mañana", "next friday") so results are reproducible;
    ``order`` settles numeric dates like 04/05/2023 that read differently day or month first;
    ``allow`` says which precisions the caller can store (a year alone only for "established").
    """
    if not allow:
        raise ValueError("allow must name at least one precision")
    if len(text) > _MAX_LENGTH:
        raise InputError(
            f"Cannot read {_show(text)} as a date: {len(text)} characters is too long "
            f"(at most {_MAX_LENGTH}). Accepted forms: {ACCEPTED_FORMS}."
        )
    collapsed = " ".join(text.split())
    if not collapsed:
        raise InputError(f"No date given. Accepted forms: {ACCEPTED_FORMS}.")
    if any(unicodedata.category(ch).startswith("C") for ch in collapsed):
        raise InputError(
            f"Cannot read {_show(text)} as a date: it contains control or invisible characters. "
            f"Accepted forms: {ACCEPTED_FORMS}."
        )
    key = _fold(collapsed)
    today = now.date() if isinstance(now, dt.datetime) else now
    shown = _show(collapsed)
    relative = _parse_relative(key, today, shown)
    value = PartialDate.from_date(relative) if relative else _parse_absolute(key, shown, order)
    _check_year(value.year, shown)
    _check_precision(value, allow, shown)
    return value


def _show(text: str) -> str:
    """The user's input, quoted and escaped so NULs and newlines stay visible on one line."""
    text = text.strip()
    if len(text) > _SHOWN_LENGTH:
        return repr(text[:_SHOWN_LENGTH]) + "..."
    return repr(text)


def _fold(text: str) -> str:
    """Lowercase without accents, so "Sábado" and "sabado" read alike; "1º" becomes "1o"."""
    text = text.lower().replace("º", "o").replace("°", "o")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")


def _refuse(shown: str, reason: str = "") -> InputError:
    return InputError(f"Cannot read {shown} as a date{reason}. Accepted forms: {ACCEPTED_FORMS}.")


def _count(match: re.Match[str], group: str) -> int:
    raw = match.group(group)
    return _COUNT_WORDS[raw] if raw in _COUNT_WORDS else int(raw)


def _shift(today: dt.date, count: int, unit: str, shown: str) -> dt.date:
    try:
        if unit == "months":
            from dateutil.relativedelta import relativedelta  # only this path needs it

            result: dt.date = today + relativedelta(months=count)
            return result
        days = count * 7 if unit == "weeks" else count
        return today + dt.timedelta(days=days)
    except (OverflowError, ValueError):
        raise InputError(
            f"{shown} falls outside the years {MIN_YEAR}-{MAX_YEAR} this tool accepts."
        ) from None


def _weekday(match: re.Match[str]) -> int:
    name = next(g for g in match.groups() if g is not None)
    return _WEEKDAYS[name]


def _parse_relative(key: str, today: dt.date, shown: str) -> dt.date | None:
    """Words counted from ``today``; ``None`` when ``key`` is not a relative form."""
    if key in _WORD_DAYS:
        return _shift(today, _WORD_DAYS[key], "days", shown)
    if match := _IN.fullmatch(key):
        return _shift(today, _count(match, "count"), _UNITS[match["unit"]], shown)
    if match := _AGO.fullmatch(key):
        count_group, unit_group = ("count", "unit") if match["count"] else ("count2", "unit2")
        return _shift(today, -_count(match, count_group), _UNITS[match[unit_group]], shown)
    if match := _SHIFT.fullmatch(key):
        signed = int(match["count"]) * (-1 if match["sign"] == "-" else 1)
        return _shift(today, signed, "weeks" if match["unit"] == "w" else "days", shown)
    if match := _NEXT.fullmatch(key):
        # Strictly after today: on a Friday, "next friday" is a week away.
        ahead = (_weekday(match) - today.weekday() - 1) % 7 + 1
        return _shift(today, ahead, "days", shown)
    if match := _LAST.fullmatch(key):
        back = (today.weekday() - _weekday(match) - 1) % 7 + 1
        return _shift(today, -back, "days", shown)
    return None


def _parse_absolute(key: str, shown: str, order: DateOrder | None) -> PartialDate:
    if match := _YEAR_ONLY.fullmatch(key):
        return _make(shown, int(match["year"]))
    if match := _ISO_MONTH.fullmatch(key):
        return _make(shown, int(match["year"]), int(match["month"]))
    if match := _ISO_DAY.fullmatch(key):
        return _make(shown, int(match["year"]), int(match["month"]), int(match["day"]))
    if match := _MONTH_YEAR.fullmatch(key):
        return _make(shown, int(match["year"]), _MONTHS[match["month"]])
    if match := _DAY_MONTH_YEAR.fullmatch(key) or _MONTH_DAY_YEAR.fullmatch(key):
        day = int(match["day"])
        if not _ordinal_fits(day, match["suffix"]):
            raise _refuse(shown, f" ('{match['suffix']}' does not go with day {day})")
        return _make(shown, int(match["year"]), _MONTHS[match["month"]], day)
    if match := _NUMERIC.fullmatch(key):
        return _numeric(shown, int(match["a"]), int(match["b"]), int(match["year"]), order)
    if _TWO_DIGIT_YEAR.fullmatch(key):
        raise _refuse(shown, " (years need all 4 digits)")
    if _NO_YEAR.fullmatch(key):
        raise _refuse(shown, " (the year is missing)")
    raise _refuse(shown)


def _ordinal_fits(day: int, suffix: str | None) -> bool:
    """Allow "1º de mayo" and "April 1st"; refuse suffixes that do not match the number."""
    if suffix is None:
        return True
    if suffix in {"o", ".o", "ro", "ero"}:
        return day == 1
    expected = {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return suffix == ("th" if 11 <= day % 100 <= 13 else expected)


def _days_in(year: int, month: int) -> int:
    """The days of a month, as ``calendar.monthrange`` counts them (importing calendar
    costs every command its import of locale)."""
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _why_impossible(year: int, month: int, day: int | None) -> str | None:
    if not 1 <= month <= 12:
        return f"there is no month {month}"
    if day is None:
        return None
    length = _days_in(year, month)
    if not 1 <= day <= length:
        return f"{_MONTH_NAMES_EN[month - 1]} {year} has {length} days"
    return None


def _check_year(year: int, shown: str) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise InputError(
            f"{shown}: the year {year} is outside the years this tool accepts "
            f"({MIN_YEAR}-{MAX_YEAR})."
        )


def _make(shown: str, year: int, month: int | None = None, day: int | None = None) -> PartialDate:
    _check_year(year, shown)
    if month is not None and (reason := _why_impossible(year, month, day)):
        raise InputError(f"{shown} does not exist: {reason}.")
    return PartialDate(year, month, day)


def _numeric(shown: str, a: int, b: int, year: int, order: DateOrder | None) -> PartialDate:
    """Read a/b/yyyy, guessing neither order: only one possible reading, or ``order``, decides."""
    _check_year(year, shown)
    readings = {"dmy": (b, a), "mdy": (a, b)}  # order -> (month, day)
    why = {o: _why_impossible(year, m, d) for o, (m, d) in readings.items()}
    if order is not None:
        if reason := why[order]:
            first = "day" if order == "dmy" else "month"
            raise InputError(f"{shown} read {first} first ({order}) does not exist: {reason}.")
        return PartialDate(year, *readings[order])
    possible = [o for o in ("dmy", "mdy") if why[o] is None]
    if not possible:
        raise InputError(
            f"{shown} does not exist: read day first, {why['dmy']}; read month first, {why['mdy']}."
        )
    dates = {PartialDate(year, *readings[o]) for o in possible}
    if len(dates) > 1:
        dmy, mdy = PartialDate(year, *readings["dmy"]), PartialDate(year, *readings["mdy"])
        raise InputError(
            f"{shown} is ambiguous: {dmy.day} {_MONTH_NAMES_EN[b - 1]} {year} "
            f"(day first, type {dmy.iso}) or {_MONTH_NAMES_EN[a - 1]} {mdy.day}, {year} "
            f"(month first, type {mdy.iso}); type the ISO date or choose an order with "
            "--date-order dmy|mdy (or CDT_DATE_ORDER)."
        )
    return dates.pop()


_PRECISION_NOUNS = {
    Precision.YEAR: "only a year",
    Precision.MONTH: "a month",
    Precision.DAY: "a day",
}


def _check_precision(value: PartialDate, allow: frozenset[Precision], shown: str) -> None:
    """Refuse a date less (or more) precise than the caller can store, showing what would do."""
    if value.precision in allow:
        return
    month = value.month or 10
    examples = {
        Precision.DAY: f"a full day such as {value.year:04d}-{month:02d}-15",
        Precision.MONTH: f"a month such as {value.year:04d}-{month:02d}",
        Precision.YEAR: f"a year such as {value.year:04d}",
    }
    wanted = " or ".join(
        examples[p] for p in (Precision.DAY, Precision.MONTH, Precision.YEAR) if p in allow
    )
    raise InputError(f"{shown} names {_PRECISION_NOUNS[value.precision]}; this needs {wanted}.")

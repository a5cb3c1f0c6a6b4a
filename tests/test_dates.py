"""What ``parse_date`` reads, what it refuses, and how it explains a refusal."""

from __future__ import annotations

import datetime as dt

import pytest

from consular_dialogue.dates import (
    ACCEPTED_FORMS,
    PartialDate,
    Precision,
    format_iso,
    parse_date,
    parse_date_order,
)
from consular_dialogue.errors import InputError

MONDAY = dt.date(2023, 4, 24)  # a fixed "now" so relative words have exact answers
ALL_PRECISIONS = frozenset(Precision)


ACCEPTED = [
    # ISO and year-first
    ("2023-04-17", "2023-04-17"),
    ("2023-4-7", "2023-04-07"),
    ("2023/04/17", "2023-04-17"),
    # month precision, never filled with a day
    ("2023-10", "2023-10"),
    ("octubre 2023", "2023-10"),
    ("octubre de 2023", "2023-10"),
    ("octubre del 2023", "2023-10"),
    ("October 2023", "2023-10"),
    ("October, 2023", "2023-10"),
    ("oct 2023", "2023-10"),
    ("Oct. 2023", "2023-10"),
    ("sept 2023", "2023-09"),
    ("setiembre 2023", "2023-09"),
    ("ENERO 2024", "2024-01"),
    # day, month name and year: Spanish
    ("24 de abril de 2023", "2023-04-24"),
    ("24 abril 2023", "2023-04-24"),
    ("24 de abril del 2023", "2023-04-24"),
    ("24 abr 2023", "2023-04-24"),
    ("1º de mayo de 2023", "2023-05-01"),
    ("1° de mayo de 2023", "2023-05-01"),
    ("1o de mayo de 2023", "2023-05-01"),
    ("1ro de mayo de 2023", "2023-05-01"),
    ("3 ene 2024", "2024-01-03"),
    ("15 ago 2023", "2023-08-15"),
    ("12 dic 2023", "2023-12-12"),
    # day, month name and year: English
    ("April 24, 2023", "2023-04-24"),
    ("April 24 2023", "2023-04-24"),
    ("24 Apr 2023", "2023-04-24"),
    ("24 April 2023", "2023-04-24"),
    ("Apr. 24, 2023", "2023-04-24"),
    ("May 1st, 2023", "2023-05-01"),
    ("22nd March 2023", "2023-03-22"),
    ("Aug 13th 2023", "2023-08-13"),
    ("5 Dec 2023", "2023-12-05"),
    ("Jan 2 2024", "2024-01-02"),
    # spacing and case are not significant
    ("  24   DE  Abril de 2023  ", "2023-04-24"),
    ("\t2023-04-17\n", "2023-04-17"),
    # numeric, where only one reading is possible
    ("17/04/2023", "2023-04-17"),
    ("17.04.2023", "2023-04-17"),
    ("17-04-2023", "2023-04-17"),
    ("04/17/2023", "2023-04-17"),
    ("05/05/2023", "2023-05-05"),
    ("5/5/2023", "2023-05-05"),
    # relative words, from Monday 2023-04-24
    ("today", "2023-04-24"),
    ("hoy", "2023-04-24"),
    ("Tomorrow", "2023-04-25"),
    ("mañana", "2023-04-25"),
    ("manana", "2023-04-25"),
    ("pasado mañana", "2023-04-26"),
    ("yesterday", "2023-04-23"),
    ("ayer", "2023-04-23"),
    ("in 3 days", "2023-04-27"),
    ("en 3 días", "2023-04-27"),
    ("en 3 dias", "2023-04-27"),
    ("in 2 weeks", "2023-05-08"),
    ("en 2 semanas", "2023-05-08"),
    ("in a week", "2023-05-01"),
    ("in 1 month", "2023-05-24"),
    ("en 1 mes", "2023-05-24"),
    ("en un mes", "2023-05-24"),
    ("en 2 meses", "2023-06-24"),
    ("3 days ago", "2023-04-21"),
    ("hace 2 semanas", "2023-04-10"),
    ("+10d", "2023-05-04"),
    ("+2w", "2023-05-08"),
    ("-3d", "2023-04-21"),
    ("next friday", "2023-04-28"),
    ("Next Fri", "2023-04-28"),
    ("próximo viernes", "2023-04-28"),
    ("el próximo viernes", "2023-04-28"),
    ("proximo viernes", "2023-04-28"),
    ("el viernes próximo", "2023-04-28"),
    ("el sábado que viene", "2023-04-29"),
    ("próximo sabado", "2023-04-29"),
    ("el próximo miércoles", "2023-04-26"),
    ("next monday", "2023-05-01"),
    ("próximo lunes", "2023-05-01"),
    ("next sunday", "2023-04-30"),
    ("last friday", "2023-04-21"),
    ("el viernes pasado", "2023-04-21"),
    ("last monday", "2023-04-17"),
]


@pytest.mark.parametrize(("text", "iso"), ACCEPTED)
def test_accepted_forms_read_to_exact_iso_dates(text: str, iso: str) -> None:
    assert parse_date(text, now=MONDAY).iso == iso


@pytest.mark.parametrize("text", ["octubre 2023", "2023-10", "Oct. 2023"])
def test_month_names_keep_month_precision_without_inventing_a_day(text: str) -> None:
    value = parse_date(text, now=MONDAY)
    assert value == PartialDate(2023, 10)
    assert value.precision is Precision.MONTH
    assert value.day is None


@pytest.mark.parametrize("text", ["today", "+2w", "next friday", "en 1 mes"])
def test_relative_words_give_day_precision(text: str) -> None:
    assert parse_date(text, now=MONDAY).precision is Precision.DAY


def test_next_weekday_on_that_weekday_is_a_week_later() -> None:
    friday = dt.date(2023, 4, 28)
    assert parse_date("next friday", now=friday).iso == "2023-05-05"
    assert parse_date("el próximo viernes", now=friday).iso == "2023-05-05"


def test_last_weekday_on_that_weekday_is_a_week_earlier() -> None:
    assert parse_date("last monday", now=MONDAY).iso == "2023-04-17"


def test_now_may_be_a_datetime_and_only_its_date_counts() -> None:
    late_evening = dt.datetime(2023, 4, 24, 23, 59)
    assert parse_date("mañana", now=late_evening).iso == "2023-04-25"


def test_a_month_ahead_of_the_31st_lands_on_the_last_day_of_the_shorter_month() -> None:
    assert parse_date("in 1 month", now=dt.date(2023, 1, 31)).iso == "2023-02-28"


def test_year_alone_is_read_when_year_precision_is_allowed() -> None:
    value = parse_date("2013", now=MONDAY, allow=ALL_PRECISIONS)
    assert value == PartialDate(2013)
    assert value.precision is Precision.YEAR


@pytest.mark.parametrize(("order", "iso"), [("dmy", "2023-05-04"), ("mdy", "2023-04-05")])
def test_date_order_resolves_an_ambiguous_numeric_date(order: str, iso: str) -> None:
    assert parse_date("04/05/2023", now=MONDAY, order=parse_date_order(order)).iso == iso


def test_date_order_does_not_override_an_unambiguous_iso_date() -> None:
    assert parse_date("2023-04-05", now=MONDAY, order="dmy").iso == "2023-04-05"


def test_date_order_that_makes_the_date_impossible_is_refused() -> None:
    with pytest.raises(InputError, match="no month 17"):
        parse_date("17/04/2023", now=MONDAY, order="mdy")


REFUSED = [
    # ambiguous numeric: both readings and both ISO forms on one line
    (
        "04/05/2023",
        [
            "ambiguous",
            "4 May 2023",
            "type 2023-05-04",
            "April 5, 2023",
            "type 2023-04-05",
            "--date-order dmy|mdy",
            "CDT_DATE_ORDER",
        ],
    ),
    ("1.2.2024", ["ambiguous", "2024-02-01", "2024-01-02"]),
    # partial input: no year guessed
    ("24 April", ["'24 April'", "year is missing", ACCEPTED_FORMS]),
    ("April", ["'April'", "year is missing"]),
    ("24/04", ["'24/04'", "year is missing"]),
    ("24 de abril", ["year is missing"]),
    # two-digit years
    ("24/04/23", ["'24/04/23'", "4 digits", ACCEPTED_FORMS]),
    ("Apr 24 23", ["'Apr 24 23'", "4 digits"]),
    ("24 abr 23", ["4 digits"]),
    # fuzzy text
    ("sometime in april", ["'sometime in april'", ACCEPTED_FORMS]),
    ("April 24 2023 at the embassy", ["'April 24 2023 at the embassy'", ACCEPTED_FORMS]),
    ("viernes", ["'viernes'", ACCEPTED_FORMS]),
    ("next week", ["'next week'", ACCEPTED_FORMS]),
    ("Monday, April 24, 2023", [ACCEPTED_FORMS]),
    # garbage and empty
    ("garbage", ["'garbage'", ACCEPTED_FORMS]),
    ("2023-04-17T10:00", ["'2023-04-17T10:00'"]),
    ("20230417", ["'20230417'"]),
    ("", ["No date given", ACCEPTED_FORMS]),
    ("   ", ["No date given"]),
    # control characters are shown escaped, never raw
    ("2023-04-\x0017", [r"'2023-04-\x0017'", "control"]),
    ("\x1b[31m2023-04-17", [r"\x1b", "control"]),
    ("2023-04-17\u200b", [r"\u200b"]),
    # impossible dates
    ("2023-02-30", ["'2023-02-30' does not exist", "February 2023 has 28 days"]),
    ("31 de abril de 2023", ["does not exist", "April 2023 has 30 days"]),
    ("February 29, 2023", ["does not exist", "28 days"]),
    ("2023-13-01", ["does not exist", "no month 13"]),
    ("2023-00", ["does not exist", "no month 0"]),
    ("0 de abril de 2023", ["does not exist"]),
    ("31/02/2023", ["does not exist", "February 2023 has 28 days", "no month 31"]),
    ("13/13/2023", ["does not exist", "no month 13"]),
    # years outside the accepted range
    ("1850-01-01", ["1850", "1900-2100"]),
    ("2101-01", ["2101", "1900-2100"]),
    ("in 9999 weeks", ["1900-2100"]),
    # ordinal suffix that does not belong to the number
    ("21th April 2023", ["'th' does not go with day 21"]),
    ("2º de mayo de 2023", ["does not go with day 2"]),
    # precision not allowed by default
    ("2013", ["'2013' names only a year", "2013-10-15", "2013-10"]),
]


@pytest.mark.parametrize(("text", "fragments"), REFUSED)
def test_refused_inputs_explain_themselves_on_one_line(text: str, fragments: list[str]) -> None:
    with pytest.raises(InputError) as caught:
        parse_date(text, now=MONDAY)
    message = str(caught.value)
    for fragment in fragments:
        assert fragment in message
    assert "\n" not in message
    assert "\x00" not in message
    assert caught.value.exit_code == 1


def test_month_is_refused_where_a_full_day_is_needed() -> None:
    with pytest.raises(InputError) as caught:
        parse_date("2023-10", now=MONDAY, allow=frozenset({Precision.DAY}))
    assert str(caught.value) == (
        "'2023-10' names a month; this needs a full day such as 2023-10-15."
    )


def test_named_month_is_refused_where_a_full_day_is_needed() -> None:
    with pytest.raises(InputError, match="names a month"):
        parse_date("octubre de 2023", now=MONDAY, allow=frozenset({Precision.DAY}))


def test_megabyte_input_is_refused_quickly_with_a_short_message() -> None:
    huge = "2023-04-17" + "9" * 1_000_000
    with pytest.raises(InputError) as caught:
        parse_date(huge, now=MONDAY)
    message = str(caught.value)
    assert "too long" in message
    assert len(message) < 500


def test_long_input_is_truncated_in_the_message() -> None:
    text = "a" * 60
    with pytest.raises(InputError) as caught:
        parse_date(text, now=MONDAY)
    assert "'" + "a" * 40 + "'..." in str(caught.value)
    assert "a" * 41 not in str(caught.value)


@pytest.mark.parametrize(("text", "order"), [("dmy", "dmy"), (" MDY ", "mdy")])
def test_parse_date_order_accepts_the_two_orders(text: str, order: str) -> None:
    assert parse_date_order(text) == order


@pytest.mark.parametrize("text", ["ymd", "", "day first"])
def test_parse_date_order_refuses_anything_else(text: str) -> None:
    with pytest.raises(InputError, match=r"dmy .* mdy") as caught:
        parse_date_order(text)
    assert caught.value.exit_code == 1


def test_format_iso_keeps_missing_dates_missing() -> None:
    assert format_iso(None) is None
    assert format_iso(PartialDate(2023, 10)) == "2023-10"


def test_empty_allow_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="at least one precision"):
        parse_date("2023-04-17", now=MONDAY, allow=frozenset())


def test_a_months_last_day_is_the_one_the_calendar_module_gives() -> None:
    import calendar

    for year in range(1, 2501):
        for month in range(1, 13):
            last = PartialDate(year, month).last_day()
            assert last == dt.date(year, month, calendar.monthrange(year, month)[1])
    assert PartialDate(2024, 2).last_day() == dt.date(2024, 2, 29)
    assert PartialDate(1900, 2).last_day() == dt.date(1900, 2, 28)

"""Event dates resolve against the report date; impossible dates never crash."""

from __future__ import annotations

from datetime import date

import pytest

from extract.dates import dateline_date, find_dates

MONDAY = date(2014, 6, 23)


@pytest.mark.parametrize("phrase, expected", [
    ("on sunday", date(2014, 6, 22)),
    ("on monday", date(2014, 6, 23)),
    ("last monday", date(2014, 6, 16)),
    ("yesterday", date(2014, 6, 22)),
    ("two days ago", date(2014, 6, 21)),
    ("on june 9", date(2014, 6, 9)),
    ("on 9 june", date(2014, 6, 9)),
    ("on august 27", date(2013, 8, 27)),
    ("on june 9, 2013", date(2013, 6, 9)),
    ("2014-06-01", date(2014, 6, 1)),
    ("on 21/6/2014", date(2014, 6, 21)),
    ("on 21.06.2014", date(2014, 6, 21)),
    ("on 6/21/2014", date(2014, 6, 21)),
    ("on the 9th of june 2014", date(2014, 6, 9)),
])
def test_resolves(phrase, expected):
    (mention,) = find_dates(phrase, MONDAY)
    assert mention.value == expected


@pytest.mark.parametrize("phrase", ["in recent days", "2014-02-30", "on 31 june", "on 5/6/2014", "on 31/2/2014"])
def test_vague_or_impossible_dates_are_null(phrase):
    assert all(m.value is None for m in find_dates(phrase, MONDAY))


def test_relative_dates_without_report_date_are_null():
    (mention,) = find_dates("on sunday", None)
    assert mention.value is None


def test_month_precision():
    (mention,) = find_dates("in may 2015", None)
    assert (mention.value, mention.precision) == (date(2015, 5, 1), "month")


def test_dateline_needs_a_year_and_the_top_of_the_text():
    assert dateline_date("baghdad, june 23, 2014 (afp) - militants seized the crossing.") == MONDAY
    assert dateline_date("baghdad, june 23 (afp) - militants seized the crossing.") is None
    assert dateline_date("x" * 400 + " june 23, 2014") is None


def test_month_without_year_takes_the_year_the_sentence_named():
    found = find_dates("it changed hands in 2014: rebels took it in march and lost it in june", None)
    assert [(m.kind, m.value, m.precision) for m in found] == [
        ("year", date(2014, 1, 1), "year"), ("baremonth", date(2014, 3, 1), "month"),
        ("baremonth", date(2014, 6, 1), "month")]


def test_month_without_year_is_the_latest_one_not_after_the_report():
    assert [m.value for m in find_dates("captured in march", date(2015, 6, 1))] == [date(2015, 3, 1)]
    assert [m.value for m in find_dates("captured in september", date(2015, 6, 1))] == [date(2014, 9, 1)]


def test_a_year_alone_is_a_date_only_before_the_report_year():
    assert [m.value for m in find_dates("seized in 2014", date(2017, 5, 1))] == [date(2014, 1, 1)]
    assert [m.value for m in find_dates("retaken in 2017", date(2017, 11, 5))] == [None]
    assert [m.value for m in find_dates("retaken in late 2017", date(2017, 6, 1))] == [None]  # after the report
    assert find_dates("the 2014 offensive; in may they may return", None)[0].value is None


@pytest.mark.parametrize("phrase, report, value, precision", [
    ("since mid-2014", MONDAY, date(2014, 5, 1), "part"),
    ("retaken in late 2017", None, date(2017, 9, 1), "part"),
    ("until early 2015", date(2015, 6, 1), date(2015, 1, 1), "part"),
    ("by the end of 2013", MONDAY, date(2013, 9, 1), "part"),
    ("in may 2015", None, date(2015, 5, 1), "month"),
    ("in late june 2014", MONDAY, date(2014, 6, 1), "month"),
    ("seized in 2013", MONDAY, date(2013, 1, 1), "year"),
    ("last week", MONDAY, date(2014, 6, 16), "week"),
    ("earlier this month", MONDAY, date(2014, 6, 1), "month"),
    ("last year", MONDAY, date(2013, 1, 1), "year"),
    ("in the summer of 2013", MONDAY, date(2013, 6, 1), "season"),
    ("in the spring", MONDAY, date(2014, 3, 1), "season"),
    ("on 9 june", MONDAY, date(2014, 6, 9), "day"),
])
def test_vague_phrases_keep_their_precision_and_the_start_of_their_span(phrase, report, value, precision):
    (mention,) = find_dates(phrase, report)
    assert (mention.value, mention.precision) == (value, precision)

"""`reads:` conditions on probe readings: numbers compare as numbers, text as text, ordering needs numbers."""

import pytest

from harness.comparisons import Comparison, as_number, as_text, check_condition, parse_comparison, shown


@pytest.mark.parametrize(
    ("condition", "reading", "holds"),
    [
        ("== 0", 0, True),
        ("== 0", "0.0", True),
        ("== 0", " 0 ", True),
        ("== 0", 0.5, False),
        ("== 0", "zero", False),
        ("!= 0", 1, True),
        ("!= 0", 0.0, False),
        ("!= 0", "n/a", False),
        ("< 0.5", 0.4999, True),
        ("< 0.5", 0.5, False),
        ("<= 0.5", 0.5, True),
        ("<= 0.5", 0.5001, False),
        ("> 2", 2, False),
        ("> 2", 3, True),
        (">= 2", 2, True),
        (">= 2", 1.999, False),
        ("< 5", "four", False),
        ("< 5", None, False),
        ("< 5", True, False),
        ("== 1", True, False),
        ("< 5", float("nan"), False),
        ("> 5", "inf", False),
        ("== v1", "v1", True),
        ("== v1", "v2", False),
        ("!= v1", "v2", True),
        ("!= v1", "v1", False),
        ("== DOWN", "DOWN", True),
        ("== true", True, True),
        ("== false", False, True),
        ("== true", "true", True),
        ("== null", None, True),
        ('== "200"', 200, True),
        ('== "200"', "200.0", False),
        ("== '0.0'", "0.0", True),
        ("==  rolled_back ", "rolled_back", True),
        ("== 200", 200.0, True),
    ],
)
def test_a_condition_on_a_reading(condition: str, reading: object, holds: bool) -> None:
    assert parse_comparison(condition).holds(reading) is holds


def test_numbers_are_parsed_and_text_is_kept() -> None:
    assert parse_comparison("<= 0.25") == Comparison("<=", 0.25, "<= 0.25")
    assert parse_comparison(" == v2-bad ") == Comparison("==", "v2-bad", "== v2-bad")
    assert parse_comparison('!= "3"') == Comparison("!=", "3", '!= "3"')
    assert parse_comparison(">=-1") == Comparison(">=", -1.0, ">=-1")


@pytest.mark.parametrize(
    ("condition", "error"),
    [
        ("v1", "invalid condition 'v1': write an operator (==, !=, <, <=, >, >=) and a value"),
        ("==", "invalid condition '=='"),
        ("=> 3", "invalid condition '=> 3'"),
        ("< v1", "'< v1': < compares numbers, and v1 is not one (== and != compare text)"),
        ('>= "3"', """'>= "3"': >= compares numbers, and "3" is not one"""),
        ("> nan", "'> nan': > compares numbers, and nan is not one"),
    ],
)
def test_a_condition_that_cannot_be_read_is_refused(condition: str, error: str) -> None:
    with pytest.raises(ValueError) as raised:
        check_condition(condition)
    assert str(raised.value).startswith(error)


def test_check_condition_returns_the_text_as_written() -> None:
    assert check_condition("== v1 ") == "== v1 "


def test_readings_as_numbers_and_text() -> None:
    assert [as_number(v) for v in (3, 2.5, "7", " -1e3 ", "x", None, False, [1])] == [
        3.0, 2.5, 7.0, -1000.0, None, None, None, None,
    ]  # fmt: skip
    assert [as_text(v) for v in (True, False, None, 2.0, 2.5, "v1", 7)] == [
        "true", "false", "null", "2", "2.5", "v1", "7",
    ]  # fmt: skip


def test_readings_are_shown_compactly() -> None:
    assert shown(0.30000000000000004) == "0.3"
    assert shown(200) == "200"
    assert shown("0.10") == "0.10"
    assert shown(True) == "true"
    assert shown("x" * 59) == "x" * 59
    assert shown("x" * 60) == "x" * 60
    assert shown("x" * 61) == "x" * 59 + "…"

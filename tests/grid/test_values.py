"""A1111 value syntax: lists, quoting, integer and float ranges."""

from decimal import Decimal

import pytest

from promptlab.errors import InvalidInputError
from promptlab.grid.values import expand_numbers, expand_strings, format_number, split_list


@pytest.mark.parametrize(("raw", "integer", "expected"), [
    ("1-5", True, [1, 2, 3, 4, 5]),
    ("1-5 (+2)", True, [1, 3, 5]),
    ("10-1 (-3)", True, [10, 7, 4, 1]),
    ("5-1", True, [5, 4, 3, 2, 1]),
    ("1-10 [5]", True, [1, 3, 5, 7, 10]),           # A1111 truncates linspace values
    ("1-10 [1]", True, [1]),
    ("20, 30, 1-3", True, [20, 30, 1, 2, 3]),
    ("-2 - 2", True, [-2, -1, 0, 1, 2]),
    ("0.1-0.5 (+0.1)", False, [0.1, 0.2, 0.3, 0.4, 0.5]),
    ("5-9 [3]", False, [5, 7, 9]),
    ("4.5, 7, 10.25", False, [4.5, 7, 10.25]),
    ([20, "1-3 (+1)", 40], True, [20, 1, 2, 3, 40]),
], ids=["range", "step", "negative-step", "falling", "count", "count-1", "mixed", "negative-start",
        "float-step-exact", "float-count", "float-list", "list-with-range"])
def test_expand_numbers(raw, integer, expected):
    got = expand_numbers(raw, integer=integer, what="t")
    assert [float(v) for v in got] == expected
    if not integer:
        assert all(len(format_number(v)) < 8 for v in got)   # no 0.30000000000000004


@pytest.mark.parametrize(("raw", "message"), [
    ("1-5 (-1)", "never reaches"),
    ("abc", "not a whole number"),
    ("1.5", "not a whole number"),
    ("1-5 (+0.5)", "whole number"),
    ("1-1000000", "most one range"),
    ("nan", "finite"),
], ids=["wrong-direction", "text", "fraction", "fraction-step", "too-many", "nan"])
def test_bad_numbers(raw, message):
    with pytest.raises(InvalidInputError, match=message):
        expand_numbers(raw, integer=True, what="steps")


@pytest.mark.parametrize(("raw", "expected"), [
    ("a, b ,c", ["a", "b", "c"]),
    ('"a, b", c', ["a, b", "c"]),
    ('cat, "dog, ""big""", fox', ["cat", 'dog, "big"', "fox"]),
    ("猫, 狗", ["猫", "狗"]),
    ("a,,b", ["a", "b"]),
], ids=["plain", "quoted-comma", "escaped-quote", "cjk", "empty-item"])
def test_split_list(raw, expected):
    assert split_list(raw) == expected


def test_list_values_are_taken_verbatim():
    assert expand_strings(["a, b", "c"], what="t") == ["a, b", "c"]


@pytest.mark.parametrize(("value", "text"), [(Decimal("7.0"), "7"), (7.5, "7.5"), (Decimal("0.350"), "0.35"), (-1, "-1")],
                         ids=["int-float", "half", "trailing-zero", "negative"])
def test_format_number(value, text):
    assert format_number(value) == text


from hypothesis import given, settings
from hypothesis import strategies as st


@settings(max_examples=200, deadline=None)
@given(st.integers(-50, 50), st.integers(-50, 50), st.integers(1, 7))
def test_integer_ranges_match_python_range(start, end, step):
    signed = step if end >= start else -step
    text = f"{start}-{end} ({signed:+d})"
    expected = list(range(start, end + (1 if signed > 0 else -1), signed))
    assert [int(v) for v in expand_numbers(text, integer=True, what="t")] == expected


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1).map(str.strip)
                .filter(lambda s: s and s[0] != '"'), min_size=1, max_size=6))
def test_quoted_lists_round_trip(items):
    import csv
    import io

    buffer = io.StringIO()
    csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="").writerow(items)
    assert split_list(buffer.getvalue()) == items

"""Thresholds, MCut, ordering and formatting on hand-made probability vectors."""

from __future__ import annotations

import numpy as np
import pytest

from promptlab.errors import InvalidInputError
from promptlab.interrogate.labels import LabelSet, TagCategory, display_name
from promptlab.interrogate.postprocess import (
    Comparison, OutputFormat, SortOrder, TagOptions, escape_prompt_brackets, mcut_threshold, postprocess,
)

G, C, R = TagCategory.GENERAL, TagCategory.CHARACTER, TagCategory.RATING
LABELS = LabelSet(
    ("general", "sensitive", "questionable", "explicit", "a_tag", "b_tag", "c_(d)", "^_^", "char_one", "char_two"),
    (R, R, R, R, G, G, G, G, C, C),
    "test",
)
PROBS = np.array([0.1, 0.7, 0.15, 0.05, 0.35, 0.36, 0.9, 0.5, 0.85, 0.95])


def run(**kw):
    options = TagOptions(**{k: v for k, v in kw.items() if k != "comparison"}, comparison=kw.get("comparison"))
    return postprocess(PROBS, LABELS, options, default_comparison=Comparison.STRICT)


@pytest.mark.parametrize(
    ("probs", "expected"),
    [
        ([0.9, 0.8, 0.2, 0.1], 0.5),           # biggest gap 0.8 -> 0.2
        ([0.95, 0.3, 0.25, 0.2], 0.625),       # first gap
        ([0.6, 0.55, 0.5, 0.01], 0.255),       # last gap
        ([0.4, 0.4, 0.1, 0.1], 0.25),          # ties around the gap
        ([0.1, 0.9, 0.8, 0.2], 0.5),           # unsorted input
        ([0.7], 0.0),                          # no gap: keep it
    ],
    ids=["middle", "first", "last", "ties", "unsorted", "single"],
)
def test_mcut_cases(probs, expected):
    assert mcut_threshold(probs) == pytest.approx(expected)


def test_strict_threshold_excludes_equal_probability():
    result = run()
    assert [t.name for t in result.general] == ["c_(d)", "^_^", "b_tag"]  # a_tag at exactly 0.35 is out


def test_inclusive_threshold_keeps_equal_probability():
    assert "a_tag" in [t.name for t in run(comparison=Comparison.INCLUSIVE).general]


def test_character_threshold_strict():
    assert [t.name for t in run().characters] == ["char_two"]  # 0.85 is not > 0.85


def test_rating_never_thresholded_and_sorted():
    result = run(general_threshold=0.99)
    assert result.rating == "sensitive"
    assert [r for r, _ in result.ratings] == ["sensitive", "questionable", "general", "explicit"]


def test_prompt_characters_first_then_general_by_confidence():
    assert run().prompt == r"char two, c \(d\), ^_^, b tag"


@pytest.mark.parametrize(
    ("kw", "prompt"),
    [
        ({"output": OutputFormat.WEIGHTED}, r"(char two:0.950), (c \(d\):0.900), (^_^:0.500), (b tag:0.360)"),
        ({"replace_underscores": False}, r"char_two, c_\(d\), ^_^, b_tag"),
        ({"escape_brackets": False}, "char two, c (d), ^_^, b tag"),
        ({"include_characters": False}, r"c \(d\), ^_^, b tag"),
        ({"include_rating": True}, r"sensitive, char two, c \(d\), ^_^, b tag"),
        ({"sort": SortOrder.ALPHABETICAL}, r"char two, ^_^, b tag, c \(d\)"),
        ({"exclude": frozenset({"c (d)", "b_tag"})}, "char two, ^_^"),
        ({"exclude": frozenset({r"c \(d\)"})}, "char two, ^_^, b tag"),
        ({"general_mcut": True}, r"char two, c \(d\)"),
        ({"character_mcut": True}, r"char two, c \(d\), ^_^, b tag"),  # cut at (0.95 + 0.85) / 2
    ],
    ids=["weighted", "underscores", "no-escape", "no-characters", "rating", "alphabetical", "exclude",
         "exclude-escaped", "mcut-general", "mcut-character"],
)
def test_formatting_options(kw, prompt):
    assert run(**kw).prompt == prompt


def test_mcut_character_clamped_to_015():
    probs = PROBS.copy()
    probs[8:] = [0.05, 0.2]  # mcut would give 0.125
    result = postprocess(probs, LABELS, TagOptions(character_mcut=True), default_comparison=Comparison.STRICT)
    assert result.thresholds["character"] == pytest.approx(0.15)
    assert [t.name for t in result.characters] == ["char_two"]


@pytest.mark.parametrize(("name", "shown"), [("long_hair", "long hair"), ("^_^", "^_^"), ("0_0", "0_0"),
                                             ("o_o", "o_o"), ("nail_polish", "nail polish")],
                         ids=["plain", "kaomoji-caret", "kaomoji-zero", "kaomoji-o", "two-words"])
def test_underscores_except_kaomoji(name, shown):
    assert display_name(name) == shown


def test_escape_brackets():
    assert escape_prompt_brackets("a_(b) [c]") == r"a_\(b\) \[c\]"


@pytest.mark.parametrize("bad", [{"general_threshold": 1.5}, {"character_threshold": -0.1}], ids=["gen", "char"])
def test_bad_thresholds(bad):
    with pytest.raises(InvalidInputError, match="between 0 and 1"):
        TagOptions(**bad)


def test_to_dict_shape():
    d = run().to_dict()
    assert set(d) == {"rating", "ratings", "characters", "general", "prompt", "thresholds"}
    assert d["general"][r"c \(d\)"] == 0.9

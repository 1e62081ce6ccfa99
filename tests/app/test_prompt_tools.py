"""The Build page's Streamlit-free helpers: labels, adding tags, chips, highlighting."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from app_pages.components.prompt_tools import (
    ChipOp,
    add_to_prompt,
    apply_chip_op,
    chip_core,
    chip_label,
    format_count,
    highlight_prompt,
    hit_label,
    md_escape,
    tag_to_prompt,
)


@pytest.mark.parametrize(("n", "text"), [(None, "–"), (0, "0"), (999, "999"), (1234, "1.2k"), (5_600_000, "5.6M")],
                         ids=["unknown", "zero", "small", "thousands", "millions"])
def test_format_count(n, text):
    assert format_count(n) == text


@pytest.mark.parametrize(
    ("name", "underscores", "expected"),
    [("long_hair", False, "long hair"), ("long_hair", True, "long_hair"), ("^_^", False, "^_^"),
     ("o_o", False, "o_o"), ("hatsune_miku_(cosplay)", False, r"hatsune miku \(cosplay\)")],
    ids=["spaces", "underscores", "kaomoji", "kaomoji-letters", "escaped-brackets"],
)
def test_tag_to_prompt(name, underscores, expected):
    assert tag_to_prompt(name, underscores=underscores) == expected


@pytest.mark.parametrize(
    ("text", "addition", "expected", "added"),
    [("", "1girl", "1girl", True), ("1girl", "solo", "1girl, solo", True), ("1girl,", "solo", "1girl, solo", True),
     ("1girl, long hair", "long_hair", "1girl, long hair", False), ("1girl", "  ", "1girl", False)],
    ids=["empty", "append", "trailing-comma", "duplicate-spelling", "blank"],
)
def test_add_to_prompt(text, addition, expected, added):
    assert add_to_prompt(text, addition) == (expected, added)


@pytest.mark.parametrize(
    ("text", "selected", "op", "expected_text", "expected_sel"),
    [("a, b, c", [1], ChipOp.UP, "a, (b:1.1), c", [1]),
     ("a, (b:1.1), c", [1], ChipOp.DOWN, "a, b, c", [1]),
     ("a, b, c", [1], ChipOp.LEFT, "b, a, c", [0]),
     ("a, b, c", [0], ChipOp.LEFT, "a, b, c", [0]),
     ("a, b, c", [1, 2], ChipOp.RIGHT, "a, b, c", [1, 2]),
     ("a, b, c", [0, 1], ChipOp.RIGHT, "c, a, b", [1, 2]),
     ("a, b, c", [0, 2], ChipOp.DELETE, "b", []),
     ("a, b, c", [], ChipOp.UP, "a, b, c", []),
     ("a, b", [7], ChipOp.DELETE, "a, b", [])],
    ids=["up", "down", "left", "left-at-start", "right-at-end", "right-two", "delete-two", "nothing-selected",
         "stale-selection"],
)
def test_chip_ops(text, selected, op, expected_text, expected_sel):
    assert apply_chip_op(text, selected, op)[:2] == (expected_text, expected_sel)


def test_chip_toggle_keeps_a_switched_off_item_aside():
    from app_pages.components.prompt_tools import combined_items

    text, selection, off = apply_chip_op("a, (b:1.2), c", [1], ChipOp.TOGGLE)
    assert (text, selection, off) == ("a, c", [1], ((1, "(b:1.2)"),))
    assert [(i.text, i.enabled) for i in combined_items(text, off)] == [("a", True), ("(b:1.2)", False), ("c", True)]
    moved, selection, off = apply_chip_op(text, [1], ChipOp.RIGHT, off)  # a switched-off chip can still move
    assert (moved, selection, off) == ("a, c", [2], ((2, "(b:1.2)"),))
    back, _sel, off = apply_chip_op(moved, [2], ChipOp.TOGGLE, off)
    assert (back, off) == ("a, c, (b:1.2)", ())


@pytest.mark.parametrize(
    ("text", "core"),
    [("smile", "smile"), ("(smile:1.2)", "smile"), ("((smile))", "smile"), ("[smile]", "smile"),
     (r"name \(series\)", r"name \(series\)"), ("(a), (b)", "(a), (b)")],
    ids=["plain", "weighted", "double-paren", "square", "escaped", "two-groups"],
)
def test_chip_core(text, core):
    assert chip_core(SimpleNamespace(text=text)) == core


def test_chip_label_colour_weight_and_disabled():
    item = SimpleNamespace(text="(name_(x):1.2)", weight=1.2, enabled=True)
    assert chip_label(item, 4) == r":green[name\_\(x\)]:1.2"
    assert chip_label(SimpleNamespace(text="a", weight=1.0, enabled=False), None) == "~~a~~"


def test_md_escape():
    assert md_escape("a*b_[c]") == r"a\*b\_\[c\]"


def test_hit_label():
    from tagdb import SearchHit, Tag, Via

    tag = Tag(id=1, name="long_hair", category=0, post_count=1_234_567, translations=(("zh", "长发"),))
    assert hit_label(SearchHit(tag, 100, "long_hair", Via.NAME), "en") == "🔵 long_hair · 长发 · 1.2M"
    assert hit_label(SearchHit(tag, 80, "长发", Via.PINYIN), "en").endswith("← 长发")
    assert hit_label(SearchHit(tag, 95, "longhair", Via.ALIAS), "zh").endswith("← longhair")


def test_highlight_prompt_escapes_html_and_marks_syntax():
    html = highlight_prompt("(smile:1.2), <lora:x:0.5> BREAK [a|b] <script>")
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert html.count("<span") >= 6
    assert ">BREAK</span>" in html and ">:1.2</span>" in html


@pytest.mark.parametrize(("text", "weight", "shown"), [
    ("[tag]", 1 / 1.1, ":0.91"), ("((tag))", 1.1 * 1.1, ":1.21"), ("(tag:1.5)", 1.5, ":1.5"),
    ("(((tag)))", 1.1 ** 3, ":1.33"), ("(tag:0)", 0.0, ":0"), ("tag", 1.0, ""),
], ids=["bracket", "double-paren", "explicit", "triple-paren", "zero", "plain"])
def test_chip_weight_is_written_as_a1111_writes_it_not_x0_909091(text, weight, shown):
    """Regression: [tag] showed as ×0.909091."""
    label = chip_label(SimpleNamespace(text=text, weight=weight, enabled=True), None)
    assert label == "tag" + shown and "×" not in label

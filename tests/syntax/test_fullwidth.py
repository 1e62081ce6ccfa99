"""Full-width IME punctuation: which characters matter, the warning, and fix_fullwidth."""

from __future__ import annotations

import pytest

from promptlab.syntax import fix_fullwidth, fullwidth_spans, parse
from promptlab.syntax.a1111 import parse_prompt_attention
from promptlab.tokens import count_prompt_tokens

FIX = [
    ("weight", "（smile：1.2）", "(smile:1.2)"),
    ("square_lenticular", "【red】", "[red]"),
    ("square_fullwidth", "［red］", "[red]"),
    ("comma", "1girl，solo", "1girl,solo"),
    ("edit_colons", "【cat：dog：0.5】", "[cat:dog:0.5]"),
    ("colon_inside_ascii_brackets", "(a：1.2)", "(a:1.2)"),
    ("top_level_colon_is_text", "Re：Zero", "Re：Zero"),
    ("escaped_ascii_bracket_is_text", "\\(x：1\\)", "\\(x：1\\)"),
    ("fullwidth_bar_left_alone", "[a｜b]", "[a｜b]"),
    ("ascii_unchanged", "(a:1.2), [b:c:0.5]", "(a:1.2), [b:c:0.5]"),
]


@pytest.mark.parametrize(("text", "fixed"), [c[1:] for c in FIX], ids=[c[0] for c in FIX])
def test_fix_fullwidth(text, fixed):
    assert fix_fullwidth(text) == fixed
    assert len(fix_fullwidth(text)) == len(text)  # one character each: spans stay valid


def test_a1111_ignores_fullwidth_and_reads_the_fix():
    assert parse_prompt_attention("（smile：1.2）") == [["（smile：1.2）", 1.0]]
    assert parse_prompt_attention(fix_fullwidth("（smile：1.2）")) == [["smile", 1.2]]


WARN = [
    ("one_group_one_warning", "a, （smile：1.2）, b", [(3, 14, "(smile:1.2)")]),
    ("two_groups", "【x】（y）", [(0, 3, "[x]"), (3, 6, "(y)")]),
    ("stray_close", "a）b", [(1, 2, ")")]),
    ("comma_only_no_warning", "1girl，solo", []),
    ("top_colon_no_warning", "Re：Zero", []),
]


@pytest.mark.parametrize(("text", "spans"), [c[1:] for c in WARN], ids=[c[0] for c in WARN])
def test_fullwidth_warning_spans(text, spans):
    assert [(s.start, s.end, s.replacement) for s in fullwidth_spans(text)] == spans
    warnings = [w for w in parse(text).warnings if w.code == "fullwidth_punct"]
    assert [(w.start, w.end, w.suggestion) for w in warnings] == spans


def test_token_counter_shows_the_warning():
    assert any("(smile:1.2)" in w for w in count_prompt_tokens("（smile：1.2）, 1girl").warnings)
    assert count_prompt_tokens("(smile:1.2), 1girl").warnings == ()

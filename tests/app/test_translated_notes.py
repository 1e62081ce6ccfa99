"""Library notes in the UI language: every prompt-conversion note and prompt-syntax warning has a Chinese
sentence, the catalogue's English is the library's own text (so an untranslated note is caught as catalogue
English by test_zh_everywhere), and the values (weights, positions, quoted text) reach the sentence."""

from __future__ import annotations

import re

import pytest

from app_pages.components.translated_notes import note_text, syntax_warning_text
from promptlab.i18n import catalog, t
from promptlab.syntax import parse
from promptlab.syntax.convert import NOTE_TEXTS, convert

HAN = re.compile(r"[\u4e00-\u9fff]")

# (id, prompt, src, dst, note code it must produce)
CONVERSIONS = [
    ("and", "a AND b :0.5", "a1111", "nai3", "and_joined"),
    ("and-weight", "a AND b :0.5", "a1111", "nai3", "and_weight"),
    ("break", "x BREAK y", "a1111", "nai3", "break"),
    ("lora", "<lora:foo:0.8> cat", "a1111", "comfy", "extra_network"),
    ("editing", "[a:b:10]", "a1111", "nai4", "prompt_editing"),
    ("alternation", "[a|b]", "a1111", "nai4", "alternation"),
    ("syntax", "a ((b", "a1111", "nai3", "syntax"),
    ("stray-colons", "a :: b", "nai4", "a1111", "stray_colons"),
    ("unbalanced", "a } b", "nai3", "a1111", "unbalanced"),
    ("unclosed", "{a b", "nai3", "a1111", "unclosed"),
    ("literal-brackets", r"\{x\}", "a1111", "nai3", "nai_literal_brackets"),
    ("weight-dropped", "(x:0)", "a1111", "nai3", "weight_dropped"),
    ("weight-rounded", "(x:1.7)", "a1111", "nai3", "weight_rounded"),
    ("comfy", "(x:1.3)", "a1111", "comfy", "comfy_weights"),
]


def test_every_note_code_is_exercised_below():
    assert {code for *_, code in CONVERSIONS} == set(NOTE_TEXTS)


@pytest.mark.parametrize(("prompt", "src", "dst", "code"), [c[1:] for c in CONVERSIONS], ids=[c[0] for c in CONVERSIONS])
def test_conversion_note_in_both_languages(prompt, src, dst, code):
    result = convert(prompt, src=src, dst=dst)
    notes = [n for n in result.notes if n.code == code]
    assert notes, result
    note = notes[0]
    assert note.text in result.losses + result.warnings   # the library's English API is unchanged
    assert note_text(note, "en") == note.text
    params = dict(note.params)
    if code != "syntax":
        assert t(f"firsthour.convert.{code}", "en", **params) == note.text   # catalogue English == library English
    zh = note_text(note, "zh")
    assert HAN.search(zh) and zh != note.text
    for name in ("weight", "network", "when", "token", "text", "actual"):
        if name in params:
            assert params[name] in zh, (name, zh)


# (id, prompt) — one prompt per parser warning code
SYNTAX = [
    ("control_char", "a\x07b"), ("fullwidth_punct", "（a：1.2）"), ("stray_bar", "a | [b:c:5]"),
    ("trailing_backslash", "[a:b:5] c\\"), ("lone_backslash", "a \\b"), ("bad_weight", "(a:1.2.3)"),
    ("stray_close", "a)"), ("literal_colon", "[a:b]"), ("unclosed_bracket", "(a"), ("crossed_brackets", "(a [b) c]"),
]


@pytest.mark.parametrize("prompt", [p for _c, p in SYNTAX], ids=[c for c, _p in SYNTAX])
def test_syntax_warning_in_chinese(prompt):
    warnings = parse(prompt).warnings
    assert warnings
    for w in warnings:
        zh = syntax_warning_text(w.code, w.message, prompt[w.start:w.end], "zh")
        assert HAN.search(zh) and w.message not in zh, (w.code, zh)
        assert syntax_warning_text(w.code, w.message, "", "en") == w.message


def test_every_parser_code_has_a_chinese_sentence():
    """A new warning code in promptlab/syntax/parser.py must get a firsthour.syntax.<code> sentence."""
    from pathlib import Path

    import promptlab.syntax.parser as parser

    source = Path(parser.__file__).read_text(encoding="utf-8")
    codes = set(re.findall(r'(?:warn\(|PromptWarning\(\s*|code, what = \(|else \(\s*)"([a-z_]+)"', source))
    codes |= {"schedule_unverified"}
    assert len(codes) >= 10
    missing = sorted(c for c in codes if f"firsthour.syntax.{c}" not in catalog())
    assert missing == []

"""Per-encoder tokenization: SD2 / SDXL's OpenCLIP-G use open_clip's clean-up (HTML entities unescaped),
SD1 / SDXL's CLIP-L use transformers' slow CLIPTokenizer with ftfy. Differential tests against open_clip's
own ``SimpleTokenizer`` (installed) on adversarial strings."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from promptlab import tokens
from promptlab.tokens.clip import get_tokenizer

ADVERSARIAL = [
    ("entity-amp", "salt &amp; pepper"),
    ("entity-no-semicolon", "&amp pepper, &copy 2024"),
    ("entity-with-lt", "<3 &amp; hearts"),
    ("double-escaped", "fish &amp;amp; chips"),
    ("numeric-fullwidth-comma", "1girl&#65292;solo"),
    ("decomposed-accent", "cafe&#769; latte"),
    ("mojibake", "cafÃ© au lait, donâ€™t"),
    ("fullwidth", "１ｇｉｒｌ，ｓｏｌｏ"),
    ("whitespace", "  a\tcat \n\n on   a\u3000mat  "),
    ("nbsp-and-zero-width", "red\u00a0hair\u200bblue"),
    ("cjk", "少女，长发，微笑，樱花"),
    ("emoji", "cat 🐱‍👤 👍🏽 ❤️"),
    ("ligature", "ﬁne ﬂowers"),
    ("curly-quotes", "“hello” ‘world’"),
    ("weights-and-digits", "(masterpiece:1.2), [1girl], 8k uhd"),
    ("upper-turkish-i", "İSTANBUL ΣΊΣΥΦΟΣ"),
    ("control-chars", "a\x00b\x1fc\x7fd"),
]


@pytest.fixture(scope="module")
def open_clip_tokenizer():
    tokenizer_module = pytest.importorskip("open_clip.tokenizer")
    return tokenizer_module.SimpleTokenizer()


@pytest.mark.parametrize("text", [t for _, t in ADVERSARIAL], ids=[i for i, _ in ADVERSARIAL])
def test_open_clip_ids_equal_open_clip(open_clip_tokenizer, text):
    assert get_tokenizer("open_clip").encode(text) == open_clip_tokenizer.encode(text)


def hf_slow_reference(open_clip_tokenizer, text: str) -> list[int]:
    """transformers' slow CLIPTokenizer with ftfy (what A1111 runs for CLIP-L): fix_text, ``\\s+`` -> " ",
    strip, lower; then the same BPE (open_clip's, same vocabulary and merges)."""
    import ftfy

    cleaned = re.sub(r"\s+", " ", ftfy.fix_text(text)).strip().lower()
    ids = []
    for token in open_clip_tokenizer.pat.findall(cleaned):
        token = "".join(open_clip_tokenizer.byte_encoder[b] for b in token.encode("utf-8"))
        ids.extend(open_clip_tokenizer.encoder[t] for t in open_clip_tokenizer.bpe(token).split(" "))
    return ids


@pytest.mark.parametrize("text", [t for _, t in ADVERSARIAL], ids=[i for i, _ in ADVERSARIAL])
def test_clip_l_ids_equal_hf_slow_cleaning(open_clip_tokenizer, text):
    assert get_tokenizer("a1111").encode(text) == hf_slow_reference(open_clip_tokenizer, text)


@pytest.mark.parametrize(("text", "differs"), [
    ("salt &amp; pepper", False),  # ftfy unescapes it too (no '<' in the text)
    ("<3 &amp; hearts", True),  # ftfy keeps entities when the text has a '<'
    ("&amp pepper", True),  # html.unescape accepts some entities without ';'
    ("&copy 2024", True),
    ("fish &amp;amp; chips", False),  # ftfy unescapes repeatedly too
    ("a photo of a cat, masterpiece", False),
], ids=["amp", "amp-with-lt", "no-semicolon", "copy", "double", "plain"])
def test_encoders_see_entities_differently(text, differs):
    assert (get_tokenizer("a1111").encode(text) != get_tokenizer("open_clip").encode(text)) is differs


_ALPHABET = st.sampled_from(
    list("ab ,&;#<>1xX\t\u3000é\u0301，ｃ🐱") + ["&amp;", "&lt", "&copy", "&#65292;", "Ã©"]
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_ALPHABET, max_size=20).map("".join))
def test_open_clip_matches_on_random_strings(open_clip_tokenizer, text):
    assert get_tokenizer("open_clip").encode(text) == open_clip_tokenizer.encode(text)


def test_unknown_normalization_names_the_choices():
    from promptlab.errors import InvalidInputError

    with pytest.raises(InvalidInputError, match="open_clip"):
        tokens.get_tokenizer("openclip")


@settings(max_examples=150, deadline=None)
@given(st.lists(_ALPHABET, max_size=20).map("".join))
def test_clip_l_matches_hf_slow_cleaning_on_random_strings(open_clip_tokenizer, text):
    assert get_tokenizer("a1111").encode(text) == hf_slow_reference(open_clip_tokenizer, text)

"""Prompt-level token counter (A1111's UI counter) and chunk_prompt with the real tokenizer."""

from __future__ import annotations

import pytest

from promptlab import tokens
from promptlab.errors import InvalidInputError


@pytest.mark.parametrize(
    ("text", "kwargs", "counter", "variant_texts"),
    [
        ("", {}, "0/75", [""]),
        ("a cat", {}, "2/75", ["a cat"]),
        ("<lora:foo:0.7> a cat", {}, "2/75", [" a cat"]),
        ("a [cat:big dog:0.5]", {"steps": 10}, "3/75", ["a cat", "a big dog"]),
        ("a [cat|dog]", {"steps": 4}, "2/75", ["a cat", "a dog"]),
        ("a cat AND a big dog:0.5", {}, "3/75", ["a cat", " a big dog"]),
        ("a cat AND a big dog", {"negative": True}, "6/75", ["a cat AND a big dog"]),
        ("a BREAK b", {}, "76/150", ["a BREAK b"]),
        ("(cat:1.2)", {}, "1/75", ["(cat:1.2)"]),
        ("(cat:1.2)", {"emphasis": "None"}, "7/75", ["(cat:1.2)"]),
    ],
    ids=["empty", "plain", "lora-removed", "editing", "alternation", "and", "negative-no-and", "break",
         "weight", "emphasis-none"],
)
def test_counter(text, kwargs, counter, variant_texts):
    result = tokens.count_prompt_tokens(text, **kwargs)
    assert result.counter == counter
    assert [v.text for v in result.variants] == variant_texts


def test_counter_shows_longest_variant():
    result = tokens.count_prompt_tokens("x [a:" + "word " * 80 + ":0.5]", steps=20)
    assert [v.report.total for v in result.variants] == [2, 81]
    assert result.counter == "81/150" and result.longest.end_steps == (20,)


def test_alternation_variants_record_their_steps():
    result = tokens.count_prompt_tokens("[cat|dog]", steps=4)
    assert [(v.text, v.end_steps) for v in result.variants] == [("cat", (1, 3)), ("dog", (2, 4))]


@pytest.mark.parametrize("steps", [0, -3, 2.5, True], ids=["zero", "negative", "float", "bool"])
def test_bad_steps(steps):
    with pytest.raises(InvalidInputError, match="steps"):
        tokens.count_prompt_tokens("a", steps=steps)


def test_chunk_prompt_weights_from_a1111_parser():
    report = tokens.chunk_prompt("(masterpiece:1.2), [1girl], (solo)")
    (chunk,) = report.chunks
    tok = tokens.get_tokenizer()
    assert list(chunk.content_ids) == tok.encode("masterpiece, 1girl, solo")
    assert chunk.multipliers[1 : 1 + chunk.count] == pytest.approx(
        (1.2, 1.0, 1 / 1.1, 1 / 1.1, 1.0, 1.1)
    )
    assert [(f.text, f.token_count) for f in report.fragments] == [
        ("masterpiece", 1), (", ", 1), ("1girl", 2), (", ", 1), ("solo", 1)
    ]


def test_chunk_prompt_emphasis_none_keeps_brackets_and_break():
    report = tokens.chunk_prompt("(a) BREAK b", emphasis="None")
    assert len(report.chunks) == 1
    assert tokens.chunk_text(report.chunks[0]) == "(a) break b"


def test_chunk_text_shows_embedding_names():
    report = tokens.chunk_prompt("a easynegative, cat", embeddings={"EasyNegative": 3})
    (chunk,) = report.chunks
    assert chunk.count == 6
    assert tokens.chunk_text(chunk) == "a <EasyNegative>, cat"


def test_huge_prompt_is_chunked():
    text = ", ".join(["masterpiece", "best quality", "1girl"] * 4000)
    result = tokens.count_prompt_tokens(text)
    assert result.total == sum(c.count for c in result.variants[0].report.chunks[-1:]) + 75 * (
        len(result.variants[0].report.chunks) - 1
    )
    assert result.target >= result.total > 10000


def test_to_dict_shape():
    data = tokens.prompt_tokens_to_dict(tokens.count_prompt_tokens("(cat:1.5), dog"))
    assert set(data) == {"total", "target", "counter", "warnings", "variants"}
    (variant,) = data["variants"]
    assert set(variant) == {"text", "part", "end_steps", "total", "target", "chunks", "fragments"}
    (chunk,) = variant["chunks"]
    assert chunk == {
        "index": 0, "count": 3, "text": "cat, dog", "ids": [2368, 267, 1929],
        "tokens": ["cat</w>", ",</w>", "dog</w>"], "multipliers": [1.5, 1.0, 1.0], "embeddings": [],
    }

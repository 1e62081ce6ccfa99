"""A1111's 75-token chunking (spec/weighting.md section 2) with a one-word-one-token fake tokenizer."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from promptlab import tokens
from promptlab.errors import InvalidInputError
from tests.tokens.fake import FAKE_BOS, FAKE_COMMA, FAKE_EOS, WordTokenizer, words


def chunk(fragments, *, backtrack=20, embeddings=None):
    tok = WordTokenizer()
    report = tokens.chunk_fragments(fragments, comma_backtrack=backtrack, embeddings=embeddings, tokenizer=tok)
    return tok, report


def content_words(tok, chunk_):
    names = {v: k for k, v in tok.vocab.items()} | {FAKE_COMMA: ","}
    return [names[i] for i in chunk_.content_ids]


def with_comma_at(n_tokens: int, comma_index: int) -> str:
    return f"{words(0, comma_index)} , {words(comma_index + 1, n_tokens)}"


# (id, fragments, backtrack, expected content lengths per chunk, total, target)
LAYOUTS = [
    ("empty", [("", 1.0)], 20, [0], 0, 75),
    ("no-fragments", [], 20, [0], 0, 75),
    ("one-word", [("w0", 1.0)], 20, [1], 1, 75),
    ("exactly-75", [(words(0, 75), 1.0)], 20, [75], 75, 75),
    ("76", [(words(0, 76), 1.0)], 20, [75, 1], 76, 150),
    ("150", [(words(0, 150), 1.0)], 20, [75, 75], 150, 150),
    ("spec-comma-60", [(with_comma_at(80, 60), 1.0)], 20, [61, 19], 94, 150),
    ("spec-comma-50", [(with_comma_at(80, 50), 1.0)], 20, [75, 5], 80, 150),
    ("backtrack-off", [(with_comma_at(80, 60), 1.0)], 0, [75, 5], 80, 150),
    ("backtrack-exact-limit", [(with_comma_at(80, 55), 1.0)], 20, [56, 24], 99, 150),
    ("backtrack-one-over", [(with_comma_at(80, 54), 1.0)], 20, [75, 5], 80, 150),
    # 75-1 = 74 <= 74 moves 73 tokens to chunk 2, which then fills up before w77 arrives
    ("backtrack-max", [(with_comma_at(80, 1), 1.0)], 74, [2, 75, 3], 153, 225),
    ("comma-in-last-slot", [(with_comma_at(80, 74), 1.0)], 20, [75, 5], 80, 150),
    ("comma-when-full", [(with_comma_at(80, 75), 1.0)], 20, [75, 5], 80, 150),
    ("break", [("a", 1.0), ("BREAK", -1), ("b", 1.0)], 20, [1, 1], 76, 150),
    ("break-first", [("BREAK", -1), ("a", 1.0)], 20, [0, 1], 76, 150),
    ("break-break", [("a", 1.0), ("BREAK", -1), ("BREAK", -1), ("b", 1.0)], 20, [1, 0, 1], 151, 225),
    ("break-last", [("a", 1.0), ("BREAK", -1)], 20, [1], 75, 75),
    ("break-only", [("BREAK", -1)], 20, [0], 75, 75),
    ("break-word-is-text", [("a BREAK", 1.0)], 20, [2], 2, 75),
]


@pytest.mark.parametrize(("fragments", "backtrack", "lengths", "total", "target"),
                         [case[1:] for case in LAYOUTS], ids=[case[0] for case in LAYOUTS])
def test_chunk_layouts(fragments, backtrack, lengths, total, target):
    _, report = chunk(fragments, backtrack=backtrack)
    assert [c.count for c in report.chunks] == lengths
    assert (report.total, report.target) == (total, target)
    for c in report.chunks:
        assert len(c.token_ids) == len(c.multipliers) == 77
        assert c.token_ids[0] == FAKE_BOS and c.token_ids[-1] == FAKE_EOS
        assert set(c.token_ids[1 + c.count:]) <= {FAKE_EOS}
        assert c.multipliers[0] == c.multipliers[-1] == 1.0


def test_spec_example_comma_60_moves_tokens_after_the_comma():
    tok, report = chunk([(with_comma_at(80, 60), 1.0)])
    first, second = (content_words(tok, c) for c in report.chunks)
    assert first == [*(f"w{i}" for i in range(60)), ","]
    assert second == [f"w{i}" for i in range(61, 80)]


def test_comma_arriving_when_full_starts_next_chunk():
    tok, report = chunk([(with_comma_at(80, 75), 1.0)])
    assert content_words(tok, report.chunks[1])[0] == ","


def test_multipliers_follow_relocated_tokens():
    fragments = [(words(0, 60) + " ,", 1.0), (words(61, 70), 1.5), (words(70, 80), 0.5)]
    tok, report = chunk(fragments)
    first, second = report.chunks
    assert first.multipliers[1:62] == (1.0,) * 61 and first.multipliers[62:] == (1.0,) * 15
    assert second.multipliers[1:20] == (1.5,) * 9 + (0.5,) * 10
    assert [(f.chunk_index, f.last_chunk_index, f.token_count) for f in report.fragments] == [
        (0, 0, 61), (1, 1, 9), (1, 1, 10)
    ]


def test_fragment_spanning_chunks_and_break_placement():
    fragments = [(words(0, 70), 1.0), (words(70, 90), 1.2), ("BREAK", -1), ("x", 1.0)]
    _, report = chunk(fragments, backtrack=0)
    got = [(f.text[:3], f.weight, f.chunk_index, f.last_chunk_index, f.token_count) for f in report.fragments]
    assert got == [("w0 ", 1.0, 0, 0, 70), ("w70", 1.2, 0, 1, 20), ("BRE", -1.0, 1, 1, 0), ("x", 1.0, 2, 2, 1)]


def test_embedding_occupies_its_vectors_with_fragment_weight():
    tok, report = chunk([("a emb b", 1.3)], embeddings={"emb": 4})
    (c,) = report.chunks
    assert c.count == 6 and report.total == 6
    assert c.embeddings == (tokens.EmbeddingSlot("emb", 1, 4),)
    assert c.token_ids[2:6] == (0, 0, 0, 0)
    assert c.multipliers[1:7] == (1.3,) * 6


def test_embedding_is_never_split_across_chunks():
    _, report = chunk([(words(0, 73) + " emb", 1.0)], embeddings={"emb": 3})
    assert [c.count for c in report.chunks] == [73, 3]
    assert report.chunks[1].embeddings == (tokens.EmbeddingSlot("emb", 0, 3),)
    assert report.chunks[0].embeddings == ()


def test_longest_multi_token_embedding_name_wins():
    tok, report = chunk([("x bad hands y", 1.0)], embeddings={"bad": 1, "bad hands": 2})
    assert report.chunks[0].embeddings == (tokens.EmbeddingSlot("bad hands", 1, 2),)
    assert report.chunks[0].count == 4


def test_comma_backtrack_moves_embedding_slot():
    """ti_backtrack="move": the slot goes with the relocated placeholders (A1111's behaviour: test_ti_backtrack)."""
    tok = WordTokenizer()
    report = tokens.chunk_fragments([(words(0, 60) + " , emb " + words(63, 80), 1.0)], embeddings={"emb": 2},
                                    tokenizer=tok, ti_backtrack="move")
    first, second = report.chunks
    assert first.count == 61 and first.embeddings == ()
    assert second.embeddings == (tokens.EmbeddingSlot("emb", 0, 2),)


@pytest.mark.parametrize("value", [-1, 75, 1.5, "20", True], ids=["neg", "75", "float", "str", "bool"])
def test_invalid_backtrack_is_a_clear_error(value):
    with pytest.raises(InvalidInputError, match="comma_backtrack"):
        tokens.chunk_fragments([("a", 1.0)], comma_backtrack=value, tokenizer=WordTokenizer())


@pytest.mark.parametrize(
    ("value", "expected"),
    [("Original", "ORIGINAL"), ("no norm", "NO_NORM"), ("No_norm", "NO_NORM"), ("ignore", "IGNORE"),
     ("None", "NONE"), ("comfy", "COMFY"), ("ComfyUI", None)],
    ids=["original", "no-norm", "no_norm", "ignore", "none", "comfy", "bad"],
)
def test_emphasis_parse(value, expected):
    if expected is None:
        with pytest.raises(InvalidInputError, match="Unknown emphasis"):
            tokens.Emphasis.parse(value)
    else:
        assert tokens.Emphasis.parse(value) is tokens.Emphasis[expected]


# --- differential test against a straightforward re-statement of A1111's tokenize_line -------------

def reference_chunks(tokenized, weights, backtrack, eos=FAKE_EOS, bos=FAKE_BOS):
    """Plain transcription of the spec's loop (no embeddings): returns (chunks, token_count)."""
    chunks, cur_t, cur_m, count, last_comma = [], [], [], 0, -1

    def close(is_last=False):
        nonlocal cur_t, cur_m, count, last_comma
        count += len(cur_t) if is_last else 75
        pad = 75 - len(cur_t)
        chunks.append(([bos] + cur_t + [eos] * pad + [eos], [1.0] + cur_m + [1.0] * pad + [1.0]))
        cur_t, cur_m, last_comma = [], [], -1

    for ids, weight in zip(tokenized, weights):
        if weight == -1:
            close()
            continue
        for token in ids:
            if token == FAKE_COMMA:
                last_comma = len(cur_t)
            elif backtrack and len(cur_t) == 75 and last_comma != -1 and 75 - last_comma <= backtrack:
                moved_t, moved_m = cur_t[last_comma + 1:], cur_m[last_comma + 1:]
                cur_t, cur_m = cur_t[:last_comma + 1], cur_m[:last_comma + 1]
                close()
                cur_t, cur_m = moved_t, moved_m
            if len(cur_t) == 75:
                close()
            cur_t.append(token)
            cur_m.append(weight)
    if cur_t or not chunks:
        close(is_last=True)
    return chunks, count


fragment_strategy = st.one_of(
    st.just(("BREAK", -1.0)),
    st.tuples(
        st.lists(st.sampled_from(["w1", "w2", "w3", ","]), min_size=0, max_size=60).map(" ".join),
        st.sampled_from([1.0, 1.1, 0.9, 1.5, 0.5]),
    ),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(fragment_strategy, max_size=12), st.integers(0, 74))
def test_chunking_matches_reference(fragments, backtrack):
    tok, report = chunk(fragments, backtrack=backtrack)
    expected, count = reference_chunks(tok.encode_batch([t for t, _ in fragments]), [w for _, w in fragments], backtrack)
    assert [(list(c.token_ids), list(c.multipliers)) for c in report.chunks] == expected
    assert report.total == count
    assert sum(f.token_count for f in report.fragments) == sum(c.count for c in report.chunks)


def test_real_tokenizer_chunks():
    text = ", ".join(f"tag{i}" for i in range(40))  # "tag12" -> tag, 1, 2
    report = tokens.chunk_fragments([(text, 1.0)])
    tok = tokens.get_tokenizer()
    assert sum(c.count for c in report.chunks) == len(tok.encode(text))
    assert all(c.token_ids[0] == tokens.BOS and c.token_ids[-1] == tokens.EOS for c in report.chunks)
    # the first chunk ends right after a comma (backtrack 20)
    assert report.chunks[0].content_ids[-1] == tokens.COMMA

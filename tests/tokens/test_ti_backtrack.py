"""Textual inversion inside the comma backtrack: A1111 moves the placeholders but leaves the embedding's
vectors ("fixes") in the first window, where they overwrite padding (``ti_backtrack="a1111"``, default)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from promptlab import tokens
from promptlab.errors import InvalidInputError
from tests.tokens.fake import FAKE_BOS, FAKE_COMMA, FAKE_EOS, WordTokenizer, words

EMBEDDINGS = {"emb": 2, "big": 5}


def chunk(fragments, mode="a1111", backtrack=20):
    tok = WordTokenizer()
    report = tokens.chunk_fragments(fragments, comma_backtrack=backtrack, embeddings=EMBEDDINGS, tokenizer=tok,
                                    ti_backtrack=mode)
    return tok, report


def test_a1111_leaves_the_fix_in_the_first_window():
    # 60 words, a comma at 60, the embedding at 61-62, then words up to 80 tokens: the backtrack cuts at 61
    _, report = chunk([(words(0, 60) + " , emb " + words(63, 80), 1.2)])
    first, second = report.chunks
    assert first.count == 61
    # the vectors sit where the placeholders were: content offset 61, i.e. in the first window's padding
    assert first.embeddings == (tokens.EmbeddingSlot("emb", 61, 2),)
    assert first.token_ids[62:64] == (FAKE_EOS, FAKE_EOS) and first.multipliers[62:64] == (1.0, 1.0)
    # the moved placeholders (id 0, the token "!") keep their weight but get no vectors
    assert second.embeddings == ()
    assert second.content_ids[:2] == (0, 0) and second.multipliers[1:3] == (1.2, 1.2)


def test_move_keeps_slot_with_placeholders():
    _, report = chunk([(words(0, 60) + " , emb " + words(63, 80), 1.2)], mode="move")
    first, second = report.chunks
    assert first.embeddings == () and second.embeddings == (tokens.EmbeddingSlot("emb", 0, 2),)


@pytest.mark.parametrize("mode", ["a1111", "move"], ids=["a1111", "move"])
def test_modes_agree_without_relocation(mode):
    _, report = chunk([("a , emb b " + words(0, 80), 1.0)], mode=mode)
    assert report.chunks[0].embeddings == (tokens.EmbeddingSlot("emb", 2, 2),)
    assert all(not c.embeddings for c in report.chunks[1:])


def test_counter_text_marks_a_fix_left_in_padding():
    from promptlab.tokens.counter import chunk_text

    class Decoding(WordTokenizer):
        def decode(self, ids):
            names = {v: k for k, v in self.vocab.items()} | {FAKE_COMMA: ",", 0: "!"}
            return " ".join(names[i] for i in ids)

    tok = Decoding()
    report = tokens.chunk_fragments([(words(0, 60) + " , emb " + words(63, 80), 1.0)], embeddings=EMBEDDINGS,
                                    tokenizer=tok)
    assert chunk_text(report.chunks[0], tok).endswith(", <emb:padding>")
    assert chunk_text(report.chunks[1], tok).startswith("!! w63")


def test_unknown_mode_is_a_clear_error():
    with pytest.raises(InvalidInputError, match="ti_backtrack"):
        chunk([("a", 1.0)], mode="keep")


# --- differential test: a literal transcription of A1111's tokenize_line with embeddings -------------

def reference(tokenized, weights, backtrack, vectors):
    """A1111's loop: returns per chunk (tokens, multipliers, fixes as (offset, name))."""
    chunks, cur_t, cur_m, fixes, last_comma = [], [], [], [], -1

    def close():
        nonlocal cur_t, cur_m, fixes, last_comma
        pad = 75 - len(cur_t)
        chunks.append(([FAKE_BOS] + cur_t + [FAKE_EOS] * pad + [FAKE_EOS], [1.0] + cur_m + [1.0] * pad + [1.0], fixes))
        cur_t, cur_m, fixes, last_comma = [], [], [], -1

    for ids, (weight, names) in zip(tokenized, weights):
        if weight == -1:
            close()
            continue
        for token, name in zip(ids, names):
            if token == FAKE_COMMA:
                last_comma = len(cur_t)
            elif backtrack and len(cur_t) == 75 and last_comma != -1 and 75 - last_comma <= backtrack:
                moved_t, moved_m = cur_t[last_comma + 1:], cur_m[last_comma + 1:]
                cur_t, cur_m = cur_t[:last_comma + 1], cur_m[:last_comma + 1]
                close()  # the fixes stay with the closed chunk
                cur_t, cur_m = moved_t, moved_m
            if len(cur_t) == 75:
                close()
            if name not in vectors:
                cur_t.append(token)
                cur_m.append(weight)
                continue
            if len(cur_t) + vectors[name] > 75:
                close()
            fixes.append((len(cur_t), name))
            cur_t += [0] * vectors[name]
            cur_m += [weight] * vectors[name]
    if cur_t or not chunks:
        close()
    return chunks


fragment_strategy = st.one_of(
    st.just(("BREAK", -1.0)),
    st.tuples(
        st.lists(st.sampled_from(["w1", "w2", ",", "emb", "big"]), min_size=0, max_size=50).map(" ".join),
        st.sampled_from([1.0, 1.1, 0.5]),
    ),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(fragment_strategy, max_size=10), st.integers(0, 74))
def test_a1111_mode_matches_tokenize_line(fragments, backtrack):
    tok, report = chunk(fragments, backtrack=backtrack)
    tokenized = tok.encode_batch([t for t, _ in fragments])
    names = [t.replace(",", " , ").split() for t, _ in fragments]
    expected = reference(tokenized, list(zip([w for _, w in fragments], names)), backtrack, EMBEDDINGS)
    got = [(list(c.token_ids), list(c.multipliers), [(s.offset, s.name) for s in c.embeddings]) for c in report.chunks]
    assert got == expected

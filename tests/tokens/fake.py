"""A fake tokenizer for chunking tests: every whitespace-separated word is one token, ``,`` is its own
token, so token positions can be written down by hand."""

from __future__ import annotations

from collections.abc import Sequence

FAKE_BOS, FAKE_EOS, FAKE_COMMA = 1, 2, 3


class WordTokenizer:
    bos_id = FAKE_BOS
    eos_id = FAKE_EOS
    comma_id = FAKE_COMMA

    def __init__(self) -> None:
        self.vocab: dict[str, int] = {}

    def token_id(self, word: str) -> int:
        if word == ",":
            return FAKE_COMMA
        return self.vocab.setdefault(word, 100 + len(self.vocab))

    def encode(self, text: str) -> list[int]:
        return [self.token_id(w) for w in text.replace(",", " , ").split()]

    def encode_batch(self, texts: Sequence[str]) -> list[list[int]]:
        return [self.encode(t) for t in texts]


def words(start: int, stop: int) -> str:
    """``"w<start> ... w<stop-1>"``"""
    return " ".join(f"w{i}" for i in range(start, stop))

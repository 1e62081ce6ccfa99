"""AUTOMATIC1111's 75-token chunking (``shared/spec/weighting.md`` section 2).

Follows ``FrozenCLIPEmbedderWithCustomWordsBase.tokenize_line``: fragments from
``parse_prompt_attention``, 75 content tokens per window wrapped as ``[BOS] + 75 + [EOS]``, comma
backtrack, ``BREAK``, textual-inversion embeddings never split across windows.

When the comma backtrack moves the words after the last comma into the next window, A1111 moves their
tokens and weights but leaves a moved embedding's vector slot (its "fix") in the first window: the
embedding's vectors then overwrite padding there and the moved placeholders (id 0) are encoded as the
token ``!``. ``ti_backtrack="a1111"`` (default) does exactly that so images replay identically;
``ti_backtrack="move"`` moves the slot with its placeholders (what a user would expect).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Protocol

from promptlab.errors import InvalidInputError
from promptlab.tokens.clip import get_tokenizer

CHUNK_LENGTH = 75  # content tokens per window; a window is CHUNK_LENGTH + 2 ids
MAX_COMMA_BACKTRACK = 74


class TiBacktrack(str, Enum):
    """What the comma backtrack does to a textual-inversion embedding it moves to the next window."""

    A1111 = "a1111"  # slot stays behind (vectors land in the first window's padding), as A1111
    MOVE = "move"  # slot moves with its placeholders

    @classmethod
    def parse(cls, value: str | TiBacktrack) -> TiBacktrack:
        if isinstance(value, TiBacktrack):
            return value
        for member in cls:
            if str(value).strip().lower() == member.value:
                return member
        raise InvalidInputError(f"Unknown ti_backtrack {value!r}; choose 'a1111' (as A1111) or 'move'.")


class Emphasis(str, Enum):
    """A1111's ``emphasis`` option, plus ComfyUI's scaling. Every mode but NONE parses brackets."""

    ORIGINAL = "Original"  # multiply, then restore the window's mean
    NO_NORM = "No norm"  # multiply only
    IGNORE = "Ignore"  # parse brackets, ignore the weights
    NONE = "None"  # brackets are literal text
    COMFY = "comfy"  # ComfyUI: z_empty + (z - z_empty) * w, no mean restoration

    @classmethod
    def parse(cls, value: str | Emphasis) -> Emphasis:
        if isinstance(value, Emphasis):
            return value
        key = str(value).strip().lower().replace("_", " ").replace("-", " ")
        for member in cls:
            if key in (member.value.lower(), member.name.lower().replace("_", " ")):
                return member
        if key == "nonorm":
            return cls.NO_NORM
        choices = ", ".join(repr(m.value) for m in cls)
        raise InvalidInputError(f"Unknown emphasis mode {value!r}; choose one of {choices}.")


class TokenizerLike(Protocol):
    bos_id: int
    eos_id: int
    comma_id: int

    def encode_batch(self, texts: Sequence[str]) -> Sequence[Sequence[int]]: ...


@dataclass(frozen=True)
class EmbeddingSlot:
    """A textual-inversion embedding placed in a chunk: its vectors occupy content positions
    ``offset .. offset + vectors - 1`` (add 1 for the index in the 77-id window, after BOS)."""

    name: str
    offset: int
    vectors: int


@dataclass(frozen=True)
class Chunk:
    """One 77-id window: ``token_ids`` = BOS + 75 content/padding + EOS (placeholders 0 where an
    embedding sits), ``multipliers`` the same length, ``count`` the real content tokens in it."""

    token_ids: tuple[int, ...]
    multipliers: tuple[float, ...]
    count: int
    embeddings: tuple[EmbeddingSlot, ...] = ()

    @property
    def content_ids(self) -> tuple[int, ...]:
        return self.token_ids[1 : 1 + self.count]


@dataclass(frozen=True)
class Fragment:
    """A ``parse_prompt_attention`` fragment, its token count and the chunks its tokens fell in
    (``BREAK`` appears with weight -1 and 0 tokens, in the chunk it closed)."""

    text: str
    weight: float
    chunk_index: int
    token_count: int
    last_chunk_index: int


@dataclass(frozen=True)
class TokenReport:
    chunks: tuple[Chunk, ...]
    total: int  # A1111's counter: 75 per non-last chunk + the last chunk's content
    target: int  # 75, 150, 225 ...
    fragments: tuple[Fragment, ...]

    @property
    def counter(self) -> str:
        return f"{self.total}/{self.target}"


def check_comma_backtrack(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COMMA_BACKTRACK:
        raise InvalidInputError(
            f"comma_backtrack must be an integer from 0 (off) to {MAX_COMMA_BACKTRACK}, got {value!r}."
        )
    return value


def chunk_prompt(
    text: str,
    *,
    comma_backtrack: int = 20,
    emphasis: str | Emphasis = "Original",
    embeddings: Mapping[str, int] | None = None,
    tokenizer: TokenizerLike | None = None,
    ti_backtrack: str | TiBacktrack = TiBacktrack.A1111,
) -> TokenReport:
    """Chunk one prompt text as A1111 does (``text`` is one scheduled text: no ``AND``, no
    ``[a:b:n]`` expansion here). ``embeddings`` maps textual-inversion names to vector counts;
    ``ti_backtrack`` see the module docstring."""
    if Emphasis.parse(emphasis) is Emphasis.NONE:
        fragments: list[tuple[str, float]] = [(text, 1.0)]
    else:
        from promptlab.syntax.a1111 import parse_prompt_attention

        fragments = [(str(t), float(w)) for t, w in parse_prompt_attention(text)]
    return chunk_fragments(fragments, comma_backtrack=comma_backtrack, embeddings=embeddings, tokenizer=tokenizer,
                           ti_backtrack=ti_backtrack)


def chunk_fragments(
    fragments: Sequence[tuple[str, float]],
    *,
    comma_backtrack: int = 20,
    embeddings: Mapping[str, int] | None = None,
    tokenizer: TokenizerLike | None = None,
    ti_backtrack: str | TiBacktrack = TiBacktrack.A1111,
) -> TokenReport:
    """Chunk already-parsed ``(text, weight)`` fragments; ``("BREAK", -1)`` closes a chunk."""
    check_comma_backtrack(comma_backtrack)
    slots_move = TiBacktrack.parse(ti_backtrack) is TiBacktrack.MOVE
    tok = tokenizer if tokenizer is not None else get_tokenizer()
    tokenized = tok.encode_batch([t for t, _ in fragments])
    lookup = _embedding_lookup(tok, embeddings) if embeddings else {}
    builder = _ChunkBuilder(tok.bos_id, tok.eos_id, len(fragments), slots_move)
    comma = tok.comma_id
    for index, (ids, (text, weight)) in enumerate(zip(tokenized, fragments)):
        builder.start_fragment(index)
        if text == "BREAK" and weight == -1:
            builder.close()
            continue
        position = 0
        while position < len(ids):
            space = CHUNK_LENGTH - len(builder.ids)
            if not lookup and space > 0:
                # Bulk path (no embeddings): tokens that fit in the open chunk meet no decision; only the
                # last comma among them matters. A token arriving at a full chunk takes the path below.
                segment = ids[position : position + space]
                if comma in segment:
                    builder.last_comma = len(builder.ids) + len(segment) - 1 - segment[::-1].index(comma)
                builder.extend(segment, weight, index)
                position += len(segment)
                continue
            token = ids[position]
            if token == comma:
                builder.last_comma = len(builder.ids)
            elif (
                comma_backtrack
                and len(builder.ids) == CHUNK_LENGTH
                and builder.last_comma != -1
                and CHUNK_LENGTH - builder.last_comma <= comma_backtrack
            ):
                builder.close(cut=builder.last_comma + 1)
            if len(builder.ids) == CHUNK_LENGTH:
                builder.close()
            match = _find_embedding(lookup, ids, position)
            if match is None:
                builder.append(token, weight, index)
                position += 1
                continue
            name, vectors, name_length = match
            if len(builder.ids) + vectors > CHUNK_LENGTH:
                builder.close()
            builder.append_embedding(name, vectors, weight, index)
            position += name_length
    if builder.ids or not builder.chunks:
        builder.close(last=True)
    return builder.report([(t, float(w)) for t, w in fragments])


def _embedding_lookup(
    tok: TokenizerLike, embeddings: Mapping[str, int]
) -> dict[int, list[tuple[tuple[int, ...], str, int]]]:
    names = [name for name, vectors in embeddings.items() if vectors > 0]
    lookup: dict[int, list[tuple[tuple[int, ...], str, int]]] = {}
    for name, ids in zip(names, tok.encode_batch(names)):
        if ids:
            lookup.setdefault(ids[0], []).append((tuple(ids), name, int(embeddings[name])))
    for candidates in lookup.values():
        candidates.sort(key=lambda item: len(item[0]), reverse=True)
    return lookup


def _find_embedding(lookup, ids: Sequence[int], position: int) -> tuple[str, int, int] | None:
    for name_ids, name, vectors in lookup.get(ids[position], ()):
        if tuple(ids[position : position + len(name_ids)]) == name_ids:
            return name, vectors, len(name_ids)
    return None


class _ChunkBuilder:
    """Mutable state of one chunking run (local to the call)."""

    def __init__(self, bos: int, eos: int, n_fragments: int, slots_move: bool = False) -> None:
        self.bos, self.eos = bos, eos
        self.slots_move = slots_move
        self.chunks: list[Chunk] = []
        self.ids: list[int] = []
        self.mults: list[float] = []
        self.owners: list[int] = []  # fragment index of every content token
        self.slots: list[EmbeddingSlot] = []
        self.last_comma = -1
        self.total = 0
        self.placement: list[list[int]] = [[] for _ in range(n_fragments)]  # chunk indices per fragment
        self.token_counts = [0] * n_fragments
        self.open_chunk = [0] * n_fragments  # chunk open when the fragment started
        self.current = 0

    def start_fragment(self, index: int) -> None:
        self.current = index
        self.open_chunk[index] = len(self.chunks)

    def append(self, token: int, weight: float, owner: int) -> None:
        self.ids.append(token)
        self.mults.append(weight)
        self.owners.append(owner)
        self.token_counts[owner] += 1

    def extend(self, tokens: Sequence[int], weight: float, owner: int) -> None:
        self.ids.extend(tokens)
        self.mults.extend([weight] * len(tokens))
        self.owners.extend([owner] * len(tokens))
        self.token_counts[owner] += len(tokens)

    def append_embedding(self, name: str, vectors: int, weight: float, owner: int) -> None:
        self.slots.append(EmbeddingSlot(name, len(self.ids), vectors))
        for _ in range(vectors):
            self.append(0, weight, owner)

    def close(self, *, cut: int | None = None, last: bool = False) -> None:
        keep = len(self.ids) if cut is None else cut
        ids, mults = self.ids[:keep], self.mults[:keep]
        self.total += len(ids) if last else CHUNK_LENGTH
        pad = CHUNK_LENGTH - len(ids)
        index = len(self.chunks)
        for owner in self.owners[:keep]:
            if not self.placement[owner] or self.placement[owner][-1] != index:
                self.placement[owner].append(index)
        self.chunks.append(
            Chunk(
                token_ids=(self.bos, *ids, *[self.eos] * pad, self.eos),
                multipliers=(1.0, *mults, *[1.0] * pad, 1.0),
                count=len(ids),
                # A1111 keeps every fix of the chunk, even one whose placeholders the backtrack moved on
                embeddings=tuple(s for s in self.slots if s.offset < keep or not self.slots_move),
            )
        )
        self.ids, self.mults, self.owners = self.ids[keep:], self.mults[keep:], self.owners[keep:]
        moved = self.slots if self.slots_move else []
        self.slots = [EmbeddingSlot(s.name, s.offset - keep, s.vectors) for s in moved if s.offset >= keep]
        self.last_comma = -1

    def report(self, fragments: Sequence[tuple[str, float]]) -> TokenReport:
        infos = []
        last_chunk = len(self.chunks) - 1
        for index, (text, weight) in enumerate(fragments):
            placed = self.placement[index]
            if placed:
                first, last = placed[0], placed[-1]
            else:  # no tokens (BREAK, whitespace): the chunk that was open when it came
                first = last = min(self.open_chunk[index], last_chunk)
            infos.append(Fragment(text, weight, first, self.token_counts[index], last))
        target = math.ceil(max(self.total, 1) / CHUNK_LENGTH) * CHUNK_LENGTH
        return TokenReport(tuple(self.chunks), self.total, target, tuple(infos))

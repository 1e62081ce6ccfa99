"""Stable Diffusion's CLIP tokenizer (offline) and AUTOMATIC1111's 75-token chunking.

The tokenizer is OpenAI CLIP's byte-level BPE (49,408 ids), built in memory from the BPE file that
ships in ``promptlab/data`` (from open_clip, MIT licence) the way OpenAI's tokenizer builds its
vocabulary, and run by the ``tokenizers`` library with the same normalisation and pre-tokenisation as
transformers' ``CLIPTokenizer`` — so ids equal what diffusers pipelines feed their text encoders.
No torch, no network.

Chunking follows A1111's ``FrozenCLIPEmbedderWithCustomWordsBase.tokenize_line`` (see
``shared/spec/weighting.md`` section 2): fragments from ``parse_prompt_attention``, 75 content tokens
per window wrapped as ``[BOS] + 75 + [EOS]``, comma backtrack, ``BREAK``, textual-inversion
embeddings never split across windows. One deliberate difference: when the comma backtrack moves an
embedding into the next window, promptlab moves its slot too (A1111 leaves the slot behind and the
moved placeholder ids are encoded as the token ``!``).
"""

from __future__ import annotations

import functools
import gzip
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from promptlab.errors import InvalidInputError

if TYPE_CHECKING:
    import tokenizers

BOS = 49406
EOS = 49407
COMMA = 267
VOCAB_SIZE = 49408
CHUNK_LENGTH = 75  # content tokens per window; a window is CHUNK_LENGTH + 2 ids
MAX_COMMA_BACKTRACK = 74
BOS_TOKEN = "<|startoftext|>"
EOS_TOKEN = "<|endoftext|>"

_BPE_FILE = "bpe_simple_vocab_16e6.txt.gz"
_MERGE_COUNT = 49152 - 256 - 2  # OpenAI CLIP uses the first 48,894 merges of the file
# transformers' CLIPTokenizer pre-tokenisation: special tokens, English contractions, letter runs,
# single digits, runs of other non-space characters.
_SPLIT_PATTERN = (
    r"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+"
)


# --------------------------------------------------------------------------------------------------
# The tokenizer


def _byte_symbols() -> list[str]:
    """GPT-2/CLIP byte -> printable unicode symbol table, in vocabulary order."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    codes = printable[:]
    extra = 0
    for byte in range(256):
        if byte not in printable:
            printable.append(byte)
            codes.append(256 + extra)
            extra += 1
    return [chr(code) for code in codes]


@functools.lru_cache(maxsize=1)
def _bpe_merges() -> tuple[tuple[str, str], ...]:
    data = resources.files("promptlab.data").joinpath(_BPE_FILE).read_bytes()
    lines = gzip.decompress(data).decode("utf-8").split("\n")[1 : _MERGE_COUNT + 1]
    return tuple(tuple(line.split(" ", 1)) for line in lines)  # type: ignore[misc]


def clip_vocab() -> dict[str, int]:
    """The 49,408-entry vocabulary (token string -> id), built like OpenAI's ``SimpleTokenizer``."""
    symbols = _byte_symbols()
    tokens = symbols + [s + "</w>" for s in symbols] + ["".join(pair) for pair in _bpe_merges()]
    tokens += [BOS_TOKEN, EOS_TOKEN]
    return {token: index for index, token in enumerate(tokens)}


def clip_merges() -> list[tuple[str, str]]:
    """The 48,894 BPE merges in priority order."""
    return list(_bpe_merges())


class ClipTokenizer:
    """CLIP BPE tokenizer. ``encode`` returns ids WITHOUT BOS/EOS and never truncates."""

    bos_id = BOS
    eos_id = EOS
    comma_id = COMMA
    vocab_size = VOCAB_SIZE

    def __init__(self, backend: tokenizers.Tokenizer, *, cache_size: int = 16384) -> None:
        self._backend = backend
        # Prompts repeat the same tags endlessly; a bounded per-tokenizer cache makes re-encoding free.
        self._cached = functools.lru_cache(maxsize=cache_size)(self._encode_tuple)

    def _encode_tuple(self, text: str) -> tuple[int, ...]:
        return tuple(self._backend.encode(text, add_special_tokens=False).ids)

    @property
    def backend(self) -> tokenizers.Tokenizer:
        return self._backend

    def encode(self, text: str) -> list[int]:
        return list(self._cached(text))

    def encode_batch(self, texts: Sequence[str]) -> list[tuple[int, ...]]:
        """Ids of each text (tuples, shared through the cache: do not mutate)."""
        return [self._cached(text) for text in texts]

    def tokens(self, text: str) -> list[str]:
        """Token strings (``cat</w>``) of ``text``."""
        return self._backend.encode(text, add_special_tokens=False).tokens

    def id_to_token(self, token_id: int) -> str | None:
        return self._backend.id_to_token(token_id)

    def token_to_id(self, token: str) -> int | None:
        return self._backend.token_to_id(token)

    def decode(self, ids: Sequence[int], *, skip_special_tokens: bool = True) -> str:
        text = self._backend.decode(list(ids), skip_special_tokens=skip_special_tokens)
        return " ".join(text.replace("</w>", " ").split())


@functools.lru_cache(maxsize=1)
def get_tokenizer() -> ClipTokenizer:
    """The shared CLIP tokenizer (built once per process, ~0.2 s; thread-safe to use)."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, normalizers, pre_tokenizers
    from tokenizers.models import BPE

    backend = Tokenizer(
        BPE(
            vocab=clip_vocab(),
            merges=clip_merges(),
            dropout=None,
            continuing_subword_prefix="",
            end_of_word_suffix="</w>",
            fuse_unk=False,
            unk_token=EOS_TOKEN,
        )
    )
    backend.normalizer = normalizers.Sequence(
        [normalizers.NFC(), normalizers.Replace(Regex(r"\s+"), " "), normalizers.Lowercase()]
    )
    backend.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(_SPLIT_PATTERN), behavior="removed", invert=True),
            pre_tokenizers.ByteLevel(add_prefix_space=False),
        ]
    )
    backend.decoder = decoders.ByteLevel()
    backend.add_special_tokens(
        [AddedToken(tok, special=True, normalized=False) for tok in (BOS_TOKEN, EOS_TOKEN)]
    )
    return ClipTokenizer(backend)


def write_hf_tokenizer(dest_dir: str | Path, *, pad_token: str = EOS_TOKEN, model_max_length: int = 77) -> Path:
    """Write vocab.json, merges.txt, tokenizer_config.json and special_tokens_map.json so that
    transformers' ``CLIPTokenizer.from_pretrained(dest_dir)`` loads offline.

    SD1 pads with ``<|endoftext|>``; SD2's tokenizer and SDXL's second tokenizer pad with ``"!"``.
    """
    vocab = clip_vocab()
    if pad_token not in vocab:
        raise InvalidInputError(f"pad_token {pad_token!r} is not a CLIP token; use '<|endoftext|>' or '!'.")
    dest = Path(dest_dir)
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    merges = "\n".join(f"{a} {b}" for a, b in _bpe_merges())
    (dest / "merges.txt").write_text("#version: 0.2\n" + merges + "\n", encoding="utf-8")
    special = {"bos_token": BOS_TOKEN, "eos_token": EOS_TOKEN, "unk_token": EOS_TOKEN, "pad_token": pad_token}
    config = {
        "tokenizer_class": "CLIPTokenizer",
        "model_max_length": model_max_length,
        "do_lower_case": True,
        "errors": "replace",
        "add_prefix_space": False,
        "clean_up_tokenization_spaces": True,
        "model_input_names": ["input_ids", "attention_mask"],
        **special,
    }
    (dest / "tokenizer_config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    (dest / "special_tokens_map.json").write_text(json.dumps(special, indent=2), encoding="utf-8")
    return dest


# --------------------------------------------------------------------------------------------------
# Chunking


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
) -> TokenReport:
    """Chunk one prompt text as A1111 does (``text`` is one scheduled text: no ``AND``, no
    ``[a:b:n]`` expansion here). ``embeddings`` maps textual-inversion names to vector counts."""
    if Emphasis.parse(emphasis) is Emphasis.NONE:
        fragments: list[tuple[str, float]] = [(text, 1.0)]
    else:
        from promptlab.syntax.a1111 import parse_prompt_attention

        fragments = [(str(t), float(w)) for t, w in parse_prompt_attention(text)]
    return chunk_fragments(fragments, comma_backtrack=comma_backtrack, embeddings=embeddings, tokenizer=tokenizer)


def chunk_fragments(
    fragments: Sequence[tuple[str, float]],
    *,
    comma_backtrack: int = 20,
    embeddings: Mapping[str, int] | None = None,
    tokenizer: TokenizerLike | None = None,
) -> TokenReport:
    """Chunk already-parsed ``(text, weight)`` fragments; ``("BREAK", -1)`` closes a chunk."""
    check_comma_backtrack(comma_backtrack)
    tok = tokenizer if tokenizer is not None else get_tokenizer()
    tokenized = tok.encode_batch([t for t, _ in fragments])
    lookup = _embedding_lookup(tok, embeddings) if embeddings else {}
    builder = _ChunkBuilder(tok.bos_id, tok.eos_id, len(fragments))
    for index, (ids, (text, weight)) in enumerate(zip(tokenized, fragments)):
        builder.start_fragment(index)
        if text == "BREAK" and weight == -1:
            builder.close()
            continue
        position = 0
        while position < len(ids):
            token = ids[position]
            if token == tok.comma_id:
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

    def __init__(self, bos: int, eos: int, n_fragments: int) -> None:
        self.bos, self.eos = bos, eos
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
                embeddings=tuple(s for s in self.slots if s.offset < keep),
            )
        )
        self.ids, self.mults, self.owners = self.ids[keep:], self.mults[keep:], self.owners[keep:]
        self.slots = [EmbeddingSlot(s.name, s.offset - keep, s.vectors) for s in self.slots if s.offset >= keep]
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

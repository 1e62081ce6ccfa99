"""Stable Diffusion's CLIP tokenizer, offline.

OpenAI CLIP's byte-level BPE (49,408 ids), built in memory from the BPE file shipped in
``promptlab/data`` (from open_clip, MIT licence) the way OpenAI's tokenizer builds its vocabulary,
and run by the ``tokenizers`` library with the same pre-tokenisation as transformers' ``CLIPTokenizer``.

Three text clean-ups (``normalization``), because A1111 does not tokenize every encoder alike:
- ``"a1111"``: SD1 and SDXL's first encoder (CLIP-L) — transformers' slow ``CLIPTokenizer`` with ftfy:
  ``ftfy.fix_text``, whitespace runs to one space, lower case.
- ``"open_clip"``: SD2's encoder and SDXL's second (OpenCLIP-G) — A1111 calls
  ``open_clip.tokenizer._tokenizer.encode``, whose ``basic_clean`` also unescapes HTML entities twice
  after ftfy (``html.unescape(html.unescape(text))``): ``&amp pepper``, ``&copy 2024``, ``<3 &amp; hearts``
  give other tokens there than for CLIP-L (ftfy alone leaves entities when the text has a ``<``).
- ``"transformers"``: exactly transformers' fast ``CLIPTokenizer`` (what diffusers' own encode uses).
"""

from __future__ import annotations

import functools
import gzip
import html
import json
import re
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from promptlab.errors import InvalidInputError

if TYPE_CHECKING:
    import tokenizers

BOS = 49406
EOS = 49407
COMMA = 267
VOCAB_SIZE = 49408
BOS_TOKEN = "<|startoftext|>"
EOS_TOKEN = "<|endoftext|>"

_BPE_FILE = "bpe_simple_vocab_16e6.txt.gz"
_MERGE_COUNT = 49152 - 256 - 2  # OpenAI CLIP uses the first 48,894 merges of the file
# transformers' CLIPTokenizer pre-tokenisation: special tokens, English contractions, letter runs,
# single digits, runs of other non-space characters.
_SPLIT_PATTERN = (
    r"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+"
)
# Printable ASCII and ASCII whitespace, without the special-token markers.
_PLAIN_ASCII = re.compile(r"(?:(?!<\|)[ -~\t\n\x0b\x0c\r])*")
_ASCII_SPLIT = re.compile(r"'s|'t|'re|'ve|'m|'ll|'d|[a-z]+|[0-9]|[^ \t\n\x0b\x0c\ra-z0-9]+")
_SPACE_BEFORE_PUNCT = re.compile(r" ([,.!?;:)\]}])")
_SPACE_AFTER_OPENING = re.compile(r"([(\[{]) ")


def tidy_spacing(text: str) -> str:
    """Decoded CLIP text has a space after every word; drop the ones around punctuation for display."""
    return _SPACE_AFTER_OPENING.sub(r"\1", _SPACE_BEFORE_PUNCT.sub(r"\1", text))


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

    def __init__(self, backend: tokenizers.Tokenizer, *, normalization: str = "a1111", cache_size: int = 16384) -> None:
        self._backend = backend
        self.normalization = normalization
        # Prompts repeat the same tags endlessly; a bounded per-tokenizer cache makes re-encoding free.
        self._cached = functools.lru_cache(maxsize=cache_size)(self._encode_tuple)

    def _encode_tuple(self, text: str) -> tuple[int, ...]:
        if self.normalization == "a1111":
            text = a1111_clean(text)
        elif self.normalization == "open_clip":
            text = open_clip_clean(text)
        if _PLAIN_ASCII.fullmatch(text):
            # Fast path, same ids: for printable ASCII the normaliser is just lower-casing, the byte-level
            # mapping is the identity and the split regex reduces to ASCII classes; words go straight to
            # the BPE model through a cache (the tokenizers regex pre-tokeniser costs ~5 us a character).
            ids: list[int] = []
            for word in _ASCII_SPLIT.findall(text.lower()):
                ids.extend(self._word(word))
            return tuple(ids)
        return tuple(self._backend.encode(text, add_special_tokens=False).ids)

    @functools.cached_property
    def _word(self):
        model = self._backend.model

        @functools.lru_cache(maxsize=65536)
        def word_ids(word: str) -> tuple[int, ...]:
            return tuple(token.id for token in model.tokenize(word))

        return word_ids

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
        text = " ".join(text.replace("</w>", " ").split())
        return tidy_spacing(text)


NORMALIZATIONS = ("a1111", "open_clip", "transformers")


_WHITESPACE = re.compile(r"\s+")


def a1111_clean(text: str) -> str:
    """The text clean-up of transformers' slow ``CLIPTokenizer`` with ftfy (A1111's CLIP-L): ``ftfy.fix_text``
    (full-width characters to standard width — so a Chinese ``，`` is a comma —, curly quotes straightened,
    ligatures split, HTML entities decoded unless the text has a ``<``, control characters removed),
    whitespace runs to one space, stripped, lower-cased by Python (``İ``, a final ``Σ`` as Python does)."""
    if text.isascii() and "&" not in text and all(" " <= ch < "\x7f" or ch in "\t\n\r" for ch in text):
        return _WHITESPACE.sub(" ", text).strip().lower()  # ftfy leaves such text unchanged
    import ftfy

    return _WHITESPACE.sub(" ", ftfy.fix_text(text)).strip().lower()


def open_clip_clean(text: str) -> str:
    """open_clip's ``SimpleTokenizer`` clean-up (SD2, SDXL's OpenCLIP-G): ftfy, HTML entities unescaped
    twice, surrounding whitespace stripped, whitespace runs to one space (``str.split``), lower case.
    Done here in Python, so the BPE runs on exactly this text (no NFC or other normaliser after it)."""
    if text.isascii() and "&" not in text and all(" " <= ch < "\x7f" or ch in "\t\n\r" for ch in text):
        return " ".join(text.split()).lower()  # ftfy and unescaping leave such text unchanged
    import ftfy

    return " ".join(html.unescape(html.unescape(ftfy.fix_text(text))).split()).lower()


@functools.lru_cache(maxsize=3)
def get_tokenizer(normalization: str = "a1111") -> ClipTokenizer:
    """The shared CLIP tokenizer (built once per process, ~0.3 s; thread-safe to use).

    ``normalization="a1111"`` (default) cleans each text with ftfy first, as A1111's tokenizers do
    (transformers' slow ``CLIPTokenizer`` with ftfy for SD1, open_clip's for SD2/SDXL), so ``1girl，solo``
    has a comma token; ``"transformers"`` gives exactly the ids of transformers' fast ``CLIPTokenizer``
    (what diffusers uses), which only applies NFC, whitespace and lower-casing; ``"open_clip"`` gives
    the ids A1111 feeds SD2's encoder and SDXL's OpenCLIP-G (HTML entities unescaped, see the module)."""
    if normalization not in NORMALIZATIONS:
        raise InvalidInputError(
            f"Unknown normalization {normalization!r}; choose 'a1111', 'open_clip' or 'transformers'."
        )
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
    if normalization == "transformers":  # the other two clean up in Python (a1111_clean, open_clip_clean)
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
    return ClipTokenizer(backend, normalization=normalization)


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

"""From output probabilities to tags and prompt text (``spec/taggers.md`` section 3 and 4).

WD reference semantics: ratings are never thresholded; general tags kept when ``p > 0.35``, characters
when ``p > 0.85`` (strict); MCut optionally replaces the threshold per category (characters clamped to
at least 0.15). DeepDanbooru (A1111, KichangKim) keeps ``p >= threshold`` (0.5).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum

import numpy as np

from promptlab.errors import InvalidInputError
from promptlab.interrogate.labels import LabelSet, TagCategory, display_name, normalize_for_match


class Comparison(str, Enum):
    STRICT = ">"      # WD (SmilingWolf app, imgutils)
    INCLUSIVE = ">="  # DeepDanbooru (A1111), toriato's extension


class OutputFormat(str, Enum):
    TEXT = "text"          # long hair, smile
    WEIGHTED = "weighted"  # (long hair:0.953), (smile:0.871)


class SortOrder(str, Enum):
    CONFIDENCE = "confidence"
    ALPHABETICAL = "alphabetical"


@dataclass(frozen=True)
class TagOptions:
    general_threshold: float = 0.35
    character_threshold: float = 0.85
    general_mcut: bool = False
    character_mcut: bool = False
    comparison: Comparison | None = None  # None: the tagger's own convention
    exclude: frozenset[str] = frozenset()
    replace_underscores: bool = True
    escape_brackets: bool = True
    include_characters: bool = True
    include_rating: bool = False
    output: OutputFormat = OutputFormat.TEXT
    sort: SortOrder = SortOrder.CONFIDENCE
    weight_decimals: int = 3

    def __post_init__(self) -> None:
        for name in ("general_threshold", "character_threshold"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise InvalidInputError(f"{name.replace('_', ' ')} must be between 0 and 1, got {value}.")
        object.__setattr__(self, "exclude", frozenset(normalize_for_match(t) for t in self.exclude if t.strip()))


@dataclass(frozen=True)
class Tag:
    name: str        # raw label name (Danbooru spelling, underscores)
    text: str        # prompt spelling (spaces, escaped brackets)
    confidence: float
    category: TagCategory


@dataclass(frozen=True)
class TagResult:
    ratings: tuple[tuple[str, float], ...]   # all rating labels, highest first
    characters: tuple[Tag, ...]
    general: tuple[Tag, ...]
    prompt: str
    thresholds: Mapping[str, float] = field(default_factory=dict)

    @property
    def rating(self) -> str | None:
        return self.ratings[0][0] if self.ratings else None

    @property
    def tags(self) -> tuple[Tag, ...]:
        return self.characters + self.general

    def to_dict(self) -> dict:
        return {
            "rating": self.rating,
            "ratings": {name: round(p, 4) for name, p in self.ratings},
            "characters": {t.text: round(t.confidence, 4) for t in self.characters},
            "general": {t.text: round(t.confidence, 4) for t in self.general},
            "prompt": self.prompt,
            "thresholds": {k: round(v, 4) for k, v in self.thresholds.items()},
        }


def mcut_threshold(probs: Iterable[float]) -> float:
    """Maximum Cut Thresholding: midpoint of the largest gap between consecutive sorted probabilities.

    With fewer than two values there is no gap: the threshold is 0 (keep what there is)."""
    ordered = np.sort(np.asarray(probs if isinstance(probs, np.ndarray) else list(probs), dtype=np.float64))[::-1]
    if ordered.size < 2:
        return 0.0
    gaps = ordered[:-1] - ordered[1:]
    t = int(gaps.argmax())
    return float((ordered[t] + ordered[t + 1]) / 2)


def escape_prompt_brackets(text: str) -> str:
    r"""``name_(series)`` -> ``name_\(series\)``; ``[`` / ``]`` too, since A1111 reads them as weights."""
    out = []
    for ch in text:
        out.append("\\" + ch if ch in "()[]" else ch)
    return "".join(out)


def _select(probs: np.ndarray, idx: np.ndarray, threshold: float, comparison: Comparison) -> list[int]:
    values = probs[idx]
    keep = values > threshold if comparison is Comparison.STRICT else values >= threshold
    return idx[keep].tolist()


def postprocess(
    probs: np.ndarray, labels: LabelSet, options: TagOptions, *, default_comparison: Comparison
) -> TagResult:
    """One image's probability vector -> TagResult."""
    comparison = options.comparison or default_comparison
    probs = np.asarray(probs, dtype=np.float64)
    rating_idx, char_idx, general_idx = labels.groups
    general_t = options.general_threshold
    if options.general_mcut and general_idx.size:
        general_t = mcut_threshold(probs[general_idx])
    char_t = options.character_threshold
    if options.character_mcut and char_idx.size:
        char_t = max(0.15, mcut_threshold(probs[char_idx]))

    def make(indices: list[int]) -> tuple[Tag, ...]:
        tags = []
        for i in indices:
            name = labels.names[i]
            if normalize_for_match(name) in options.exclude:
                continue
            text = display_name(name, replace_underscores=options.replace_underscores)
            if options.escape_brackets:
                text = escape_prompt_brackets(text)
            tags.append(Tag(name, text, float(probs[i]), labels.categories[i]))
        if options.sort is SortOrder.ALPHABETICAL:
            tags.sort(key=lambda t: t.text)
        else:
            tags.sort(key=lambda t: -t.confidence)  # stable: ties keep label order
        return tuple(tags)

    ratings = sorted(
        ((labels.names[i].removeprefix("rating:"), float(probs[i])) for i in rating_idx.tolist()), key=lambda r: -r[1]
    )
    characters = make(_select(probs, char_idx, char_t, comparison))
    general = make(_select(probs, general_idx, general_t, comparison))
    parts = list(characters if options.include_characters else ()) + list(general)
    items = [_format(t, options) for t in parts]
    if options.include_rating and ratings:
        items.insert(0, ratings[0][0])
    return TagResult(
        ratings=tuple(ratings),
        characters=characters,
        general=general,
        prompt=", ".join(items),
        thresholds={"general": general_t, "character": char_t},
    )


def _format(tag: Tag, options: TagOptions) -> str:
    if options.output is OutputFormat.WEIGHTED:
        return f"({tag.text}:{tag.confidence:.{options.weight_decimals}f})"
    return tag.text

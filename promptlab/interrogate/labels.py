"""Label tables of the ONNX taggers.

- WD14 / WD v3 (SmilingWolf): ``selected_tags.csv`` with columns ``tag_id,name,category,count``;
  row order is the model's output order; category 9 = rating, 0 = general, 4 = character.
- DeepDanbooru: ``tags.txt`` (one tag per line, output order), with ``rating:*`` tags for ratings.
  Projects that ship ``tags-character.txt`` (DeepDanbooru v3+) mark those tags as characters; other
  splits (``tags-general.txt``) only confirm the general set. ``categories.json`` is not needed.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from enum import IntEnum
from functools import cached_property
from pathlib import Path

from promptlab.errors import InvalidInputError, ModelNotFoundError

# Danbooru kaomoji tags whose underscores are part of the face (kept as-is when other tags get spaces).
KAOMOJI = frozenset({
    "0_0", "(o)_(o)", "+_+", "+_-", "._.", "<o>_<o>", "<|>_<|>", "=_=", ">_<", "3_3", "6_9", ">_o",
    "@_@", "^_^", "o_o", "u_u", "x_x", "|_|", "||_||",
})


class TagCategory(IntEnum):
    GENERAL = 0
    ARTIST = 1
    COPYRIGHT = 3
    CHARACTER = 4
    META = 5
    RATING = 9


@dataclass(frozen=True)
class LabelSet:
    """Tag names in model output order with their categories (raw Danbooru names, underscores kept)."""

    names: tuple[str, ...]
    categories: tuple[TagCategory, ...]
    source: str

    def __post_init__(self) -> None:
        if len(self.names) != len(self.categories):
            raise ValueError("names and categories differ in length")

    def __len__(self) -> int:
        return len(self.names)

    def indices(self, category: TagCategory) -> tuple[int, ...]:
        return tuple(i for i, c in enumerate(self.categories) if c == category)

    @cached_property
    def groups(self):
        """Index arrays (ratings, characters, everything else) computed once per label set."""
        import numpy as np

        cats = np.fromiter((int(c) for c in self.categories), dtype=np.int64, count=len(self.categories))
        rating, character = int(TagCategory.RATING), int(TagCategory.CHARACTER)
        return (np.flatnonzero(cats == rating), np.flatnonzero(cats == character),
                np.flatnonzero((cats != rating) & (cats != character)))


def display_name(name: str, *, replace_underscores: bool = True) -> str:
    """Danbooru name -> prompt name: ``long_hair`` -> ``long hair``; kaomoji such as ``^_^`` stay."""
    if not replace_underscores or name in KAOMOJI:
        return name
    return name.replace("_", " ")


def normalize_for_match(name: str) -> str:
    """Key used to compare user-given tags (exclusions, replacements) with label names."""
    text = name.strip().lower().replace("\\(", "(").replace("\\)", ")")
    return text if text in KAOMOJI else text.replace(" ", "_")


def load_selected_tags_csv(path: Path) -> LabelSet:
    """Read a WD tagger's ``selected_tags.csv``."""
    if not path.is_file():
        raise ModelNotFoundError(
            f"Label file {path} not found. A WD tagger folder needs model.onnx and selected_tags.csv "
            "(both from the model's Hugging Face repo)."
        )
    names: list[str] = []
    categories: list[TagCategory] = []
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames or "name" not in reader.fieldnames or "category" not in reader.fieldnames:
            raise InvalidInputError(
                f"{path} has columns {reader.fieldnames}; expected tag_id,name,category,count "
                "(the selected_tags.csv of a WD14/WD v3 tagger)."
            )
        for line_no, row in enumerate(reader, start=2):
            try:
                category = TagCategory(int(row["category"]))
            except (TypeError, ValueError):
                raise InvalidInputError(
                    f"{path}, line {line_no}: category {row['category']!r} is not a Danbooru category number."
                ) from None
            names.append(row["name"])
            categories.append(category)
    if not names:
        raise InvalidInputError(f"{path} lists no tags.")
    return LabelSet(tuple(names), tuple(categories), str(path))


def _read_lines(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def load_deepdanbooru_labels(folder: Path) -> LabelSet:
    """Read a DeepDanbooru project's ``tags.txt`` (+ ``tags-character.txt`` when present)."""
    tags_path = folder / "tags.txt"
    if not tags_path.is_file():
        raise ModelNotFoundError(
            f"{tags_path} not found. A DeepDanbooru folder needs model.onnx and tags.txt "
            "(from the DeepDanbooru project the model was exported from)."
        )
    names = _read_lines(tags_path)
    if not names:
        raise InvalidInputError(f"{tags_path} lists no tags.")
    character_path = folder / "tags-character.txt"
    characters = set(_read_lines(character_path)) if character_path.is_file() else set()
    categories = tuple(
        TagCategory.RATING if n.startswith("rating:")
        else TagCategory.CHARACTER if n in characters
        else TagCategory.GENERAL
        for n in names
    )
    return LabelSet(tuple(names), categories, str(tags_path))

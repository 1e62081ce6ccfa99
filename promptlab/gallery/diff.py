"""Comparing two images' parameters: which fields changed, and the prompts compared tag by tag
(a tag is a comma-separated part, compared with weights and spacing as written)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from promptlab.gallery.record import ImageRecord
from promptlab.metadata.model import JSON_FIELDS

_SPLIT = re.compile(r"\s*(?:,|\n)\s*")


@dataclass(frozen=True)
class FieldDiff:
    name: str
    a: Any
    b: Any

    @property
    def changed(self) -> bool:
        return self.a != self.b


@dataclass(frozen=True)
class TagDiff:
    common: tuple[str, ...]
    only_a: tuple[str, ...]
    only_b: tuple[str, ...]


@dataclass(frozen=True)
class ImageDiff:
    a: str
    b: str
    fields: tuple[FieldDiff, ...]
    prompt: TagDiff
    negative: TagDiff

    @property
    def changed(self) -> tuple[FieldDiff, ...]:
        return tuple(f for f in self.fields if f.changed)

    def as_dict(self) -> dict[str, Any]:
        return {
            "a": self.a, "b": self.b,
            "fields": [{"name": f.name, "a": f.a, "b": f.b, "changed": f.changed} for f in self.fields],
            "prompt": {"common": list(self.prompt.common), "only_a": list(self.prompt.only_a),
                       "only_b": list(self.prompt.only_b)},
            "negative": {"common": list(self.negative.common), "only_a": list(self.negative.only_a),
                         "only_b": list(self.negative.only_b)},
        }


def split_tags(prompt: str) -> tuple[str, ...]:
    return tuple(t for t in _SPLIT.split(prompt.strip()) if t)


def diff_tags(a: str, b: str) -> TagDiff:
    ta, tb = split_tags(a), split_tags(b)
    sa, sb = set(ta), set(tb)
    return TagDiff(tuple(t for t in ta if t in sb), tuple(t for t in ta if t not in sb),
                   tuple(t for t in tb if t not in sa))


def diff(a: ImageRecord, b: ImageRecord) -> ImageDiff:
    """Every parameter of both images (from their full metadata), changed or not, in a stable order."""
    pa, pb = a.params, b.params
    names = [n for n in ("generator", *JSON_FIELDS) if n not in ("prompt", "negative_prompt")]
    fields = [FieldDiff(n, pa.get(n), pb.get(n)) for n in names]
    fields.append(FieldDiff("loras", [list(x) for x in a.loras], [list(x) for x in b.loras]))
    fields.append(FieldDiff("image_size", (a.image_width, a.image_height), (b.image_width, b.image_height)))
    ea, eb = pa.get("extra") or {}, pb.get("extra") or {}
    for key in dict.fromkeys([*ea, *eb]):
        fields.append(FieldDiff(f"extra:{key}", ea.get(key), eb.get(key)))
    return ImageDiff(a.path, b.path, tuple(fields), diff_tags(a.prompt, b.prompt), diff_tags(a.negative, b.negative))

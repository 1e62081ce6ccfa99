"""One indexed image as a flat row: what ``promptlab.metadata.read`` found, reduced to the columns
the gallery searches, sorts and shows. Pure functions, picklable, so scan workers can build rows
in other processes."""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from typing import Any

from promptlab.metadata.model import ImageMetadata

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp"})
_LORA_IN_PROMPT = re.compile(r"<(?:lora|lyco):([^:>]+)(?::([-+]?\d*\.?\d+))?[^>]*>", re.IGNORECASE)
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")

# Column order of the ``images`` table after ``id`` (see store.SCHEMA).
COLUMNS = (
    "path", "size", "mtime_ns", "image_width", "image_height", "width", "height", "generator", "prompt",
    "negative", "model", "model_hash", "sampler", "sampler_key", "schedule", "steps", "cfg", "seed", "denoise",
    "hires_upscale", "loras", "lora_names", "params_json", "meta_hash", "error",
)


@dataclass(frozen=True)
class ImageRecord:
    """A gallery row. ``width``/``height`` are the generation size (A1111's ``Size``: the base size
    before hires fix) when the metadata has one, else the pixel size."""

    path: str
    size: int
    mtime_ns: int
    image_width: int | None
    image_height: int | None
    width: int | None
    height: int | None
    generator: str | None
    prompt: str
    negative: str
    model: str | None
    model_hash: str | None
    sampler: str | None
    sampler_key: str | None
    schedule: str | None
    steps: int | None
    cfg: float | None
    seed: int | None
    denoise: float | None
    hires_upscale: float | None
    loras: tuple[tuple[str, float | None], ...]
    params_json: str
    meta_hash: str | None
    error: str | None
    id: int | None = None

    def as_row(self) -> tuple[Any, ...]:
        values = [getattr(self, c) for c in COLUMNS if c != "lora_names"]
        at = COLUMNS.index("loras")
        values[at] = json.dumps(self.loras, ensure_ascii=False)
        # One line per name between newlines: lora:name searches it with LIKE, no join table to write.
        values.insert(at + 1, "".join(f"\n{name}" for name, _ in self.loras) + "\n" if self.loras else "")
        return tuple(values)

    @classmethod
    def from_row(cls, row: Any) -> ImageRecord:
        """From a ``sqlite3.Row`` (or mapping) holding ``id`` and every column."""
        data = {c: row[c] for c in COLUMNS if c != "lora_names"}
        data["loras"] = tuple((str(n), w) for n, w in json.loads(data["loras"] or "[]"))
        return cls(**data, id=row["id"])

    @property
    def params(self) -> dict[str, Any]:
        """Everything the reader found (``promptlab info --json``'s object)."""
        return json.loads(self.params_json) if self.params_json else {}

    @property
    def file_name(self) -> str:
        return os.path.basename(self.path)


def sampler_key(name: str | None) -> str | None:
    """Sampler names compared across tools: "DPM++ 2M" and ComfyUI's "dpmpp_2m" give "dpmpp2m"."""
    if not name:
        return None
    return _NOT_ALNUM.sub("", name.lower().replace("++", "pp")) or None


def loras_of(meta: ImageMetadata) -> tuple[tuple[str, float | None], ...]:
    """LoRAs from the prompt's ``<lora:name:w>`` tags and from a graph's loader nodes, in order, once each."""
    found: dict[str, float | None] = {}
    p = meta.params
    if p is not None:
        for match in _LORA_IN_PROMPT.finditer(p.prompt or ""):
            found.setdefault(match.group(1).strip(), float(match.group(2)) if match.group(2) else None)
    for item in meta.details.get("loras", ()) if isinstance(meta.details, dict) else ():
        if isinstance(item, dict) and item.get("name"):
            name = os.path.splitext(os.path.basename(str(item["name"]).replace("\\", "/")))[0]
            weight = item.get("strength_model", item.get("weight"))
            found.setdefault(name, float(weight) if isinstance(weight, (int, float)) else None)
    return tuple(found.items())


def meta_hash(meta: ImageMetadata) -> str | None:
    """A fingerprint of the metadata text, to recognise a moved file (None: nothing to recognise it by)."""
    if not meta.raw:
        return None
    digest = hashlib.blake2b(digest_size=16)
    for key in sorted(meta.raw):
        digest.update(key.encode("utf-8", "replace") + b"\x00" + meta.raw[key].encode("utf-8", "replace") + b"\x01")
    return digest.hexdigest()


def record_from_metadata(path: str, size: int, mtime_ns: int, meta: ImageMetadata) -> ImageRecord:
    p = meta.params
    info = meta.to_json()
    gen_w = p.width if p is not None else None
    gen_h = p.height if p is not None else None
    return ImageRecord(
        path=path, size=size, mtime_ns=mtime_ns, image_width=meta.image_width, image_height=meta.image_height,
        width=gen_w or meta.image_width, height=gen_h or meta.image_height, generator=meta.generator,
        prompt=p.prompt if p else "", negative=p.negative_prompt if p else "",
        model=p.model if p else None, model_hash=p.model_hash if p else None,
        sampler=p.sampler if p else None, sampler_key=sampler_key(p.sampler) if p else None,
        schedule=p.schedule_type if p else None, steps=p.steps if p else None,
        cfg=p.cfg_scale if p else None, seed=p.seed if p else None,
        denoise=p.denoising_strength if p else None, hires_upscale=p.hires_upscale if p else None,
        loras=loras_of(meta), params_json=json.dumps(info, ensure_ascii=False, default=str),
        meta_hash=meta_hash(meta), error=meta.error,
    )

"""Last resort for JSON nobody else recognised (small web UIs, scripts): a ``parameters`` or
EXIF UserComment JSON object with a ``prompt`` key. Common key spellings are mapped; the rest is
kept in ``extra``; ``generator`` is ``"unknown"`` and a warning says the format was guessed.

Triggers: ``parameters``, ``exif:UserComment``."""

from __future__ import annotations

import re
from typing import Any

from promptlab.metadata.extract import Extracted
from promptlab.metadata.model import ReaderResult
from promptlab.metadata.readers._util import extra_pairs, json_dict, to_float, to_int, to_str
from promptlab.params import GenerationParams

TRIGGERS = ("parameters", "exif:UserComment")
_SIZE = re.compile(r"(\d+)\s*[x×*,]\s*(\d+)")
_KEYS = {  # field -> accepted spellings (compared case-insensitively, "_"/" "/"-" ignored)
    "prompt": ("prompt", "positiveprompt", "positive"),
    "negative_prompt": ("negativeprompt", "negative", "uc"),
    "steps": ("steps", "numinferencesteps", "samplingsteps"),
    "cfg_scale": ("cfgscale", "cfg", "guidancescale", "scale"),
    "seed": ("seed",),
    "sampler": ("sampler", "samplername"),
    "schedule_type": ("scheduler", "scheduletype"),
    "width": ("width",),
    "height": ("height",),
    "model": ("model", "modelname", "checkpoint", "basemodel"),
    "model_hash": ("modelhash",),
    "clip_skip": ("clipskip",),
    "denoising_strength": ("denoisingstrength", "denoise", "strength"),
}
_CONVERT = {"steps": to_int, "seed": to_int, "width": to_int, "height": to_int, "clip_skip": to_int,
            "cfg_scale": to_float, "denoising_strength": to_float}


def _norm(key: str) -> str:
    return re.sub(r"[\s_\-]", "", key).lower()


def map_keys(data: dict[str, Any]) -> tuple[dict[str, Any], set[str]]:
    """GenerationParams fields from a JSON object's common key spellings, and the keys used
    (also used for the parameter JSON ComfyUI-based front ends store beside their graph)."""
    by_norm = {_norm(k): k for k in data}
    values: dict[str, Any] = {}
    used: set[str] = set()
    for field, spellings in _KEYS.items():
        original = next((by_norm[s] for s in spellings if s in by_norm), None)
        if original is None:
            continue
        value = _CONVERT.get(field, to_str)(data[original])
        if value is not None:
            values[field] = abs(value) if field == "clip_skip" else value
            used.add(original)
    size_key = by_norm.get("resolution", by_norm.get("size"))
    size = _SIZE.search(str(data.get(size_key, ""))) if size_key else None
    if size and "width" not in values:
        values["width"], values["height"] = int(size.group(1)), int(size.group(2))
        used.add(size_key)
    return values, used


def read(extracted: Extracted) -> ReaderResult | None:
    for key in TRIGGERS:
        data = json_dict(extracted.get(key))
        if data is None:
            continue
        by_norm = {_norm(k): k for k in data}
        if "prompt" not in by_norm and "positiveprompt" not in by_norm:
            continue
        values, used = map_keys(data)
        params = GenerationParams(**values, extra=extra_pairs(data, used))
        return ReaderResult("unknown", (params,), (key,), "generic-json",
                            (f"the JSON in {key} is from an unknown tool; common keys were mapped by name",))
    return None

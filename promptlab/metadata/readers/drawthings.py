"""Draw Things: XMP packet whose ``exif:UserComment`` holds its JSON (``c`` prompt, ``uc``
negative, ``seed``, ``steps``, ``scale``, ``sampler``, ``model``, ``size`` "WxH", ``strength``,
``lora`` ...) and ``xmp:CreatorTool`` "Draw Things". Triggers: ``xmp``."""

from __future__ import annotations

import html
import re
from typing import Any

from promptlab.metadata.extract import Extracted
from promptlab.metadata.model import ReaderResult
from promptlab.metadata.readers._util import extra_pairs, json_dict, to_float, to_int, to_str
from promptlab.params import GenerationParams

TRIGGERS = ("xmp",)
_USER_COMMENT = re.compile(r"<exif:UserComment>(.*?)</exif:UserComment>", re.S)
_LI = re.compile(r"<rdf:li[^>]*>(.*?)</rdf:li>", re.S)
_SIZE = re.compile(r"(\d+)\s*x\s*(\d+)")


def read(extracted: Extracted) -> ReaderResult | None:
    xmp = extracted.get("xmp")
    if not xmp:
        return None
    m = _USER_COMMENT.search(xmp)
    if m is None:
        return None
    inner = _LI.search(m.group(1))
    data = json_dict(html.unescape(inner.group(1) if inner else m.group(1)))
    if data is None or "c" not in data:
        return None
    values: dict[str, Any] = {
        "prompt": to_str(data.get("c")) or "", "negative_prompt": to_str(data.get("uc")) or "",
        "sampler": to_str(data.get("sampler")) or "", "model": to_str(data.get("model")),
    }
    for name, key, conv in (("steps", "steps", to_int), ("cfg_scale", "scale", to_float), ("seed", "seed", to_int)):
        value = conv(data.get(key))
        if value is not None:
            values[name] = value
    size = _SIZE.search(str(data.get("size") or ""))
    if size:
        values["width"], values["height"] = int(size.group(1)), int(size.group(2))
    strength = to_float(data.get("strength"))
    if strength is not None and strength < 1:
        values["denoising_strength"] = strength
    used = {"c", "uc", "sampler", "model", "steps", "scale", "seed", "size", "strength"}
    generator = "drawthings"
    return ReaderResult(generator, (GenerationParams(**values, extra=extra_pairs(data, used)),), ("xmp",),
                        "drawthings-xmp")

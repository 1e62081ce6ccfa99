"""Diffusers-style JSON in ``parameters`` as Hugging Face Spaces (Gradio demos) write it:
``prompt``, ``negative_prompt``, ``resolution: "W x H"``, ``guidance_scale``,
``num_inference_steps``, ``seed``, ``sampler``, ``Model`` / ``Model hash``.

Triggers: ``parameters`` (JSON with ``num_inference_steps`` or ``guidance_scale``)."""

from __future__ import annotations

import re
from typing import Any

from promptlab.metadata.extract import Extracted
from promptlab.metadata.model import ReaderResult
from promptlab.metadata.readers._util import extra_pairs, json_dict, to_float, to_int, to_str
from promptlab.params import GenerationParams

TRIGGERS = ("parameters",)
_SIZE = re.compile(r"(\d+)\s*[x×*]\s*(\d+)")


def read(extracted: Extracted) -> ReaderResult | None:
    d = json_dict(extracted.get("parameters"))
    if d is None or not ({"num_inference_steps", "guidance_scale"} & d.keys()) or "prompt" not in d:
        return None
    values: dict[str, Any] = {
        "prompt": to_str(d.get("prompt")) or "", "negative_prompt": to_str(d.get("negative_prompt")) or "",
        "sampler": to_str(d.get("sampler") or d.get("scheduler")) or "",
        "model": to_str(d.get("Model") or d.get("model")), "model_hash": to_str(d.get("Model hash")),
    }
    for name, keys, conv in (("steps", ("num_inference_steps", "steps"), to_int),
                             ("cfg_scale", ("guidance_scale",), to_float), ("seed", ("seed",), to_int),
                             ("width", ("width",), to_int), ("height", ("height",), to_int)):
        value = next((conv(d[k]) for k in keys if conv(d.get(k)) is not None), None)
        if value is not None:
            values[name] = value
    size = _SIZE.search(str(d.get("resolution") or ""))
    if size and "width" not in values:
        values["width"], values["height"] = int(size.group(1)), int(size.group(2))
    used = {"prompt", "negative_prompt", "sampler", "scheduler", "Model", "model", "Model hash", "num_inference_steps",
            "steps", "guidance_scale", "seed", "width", "height", "resolution"}
    return ReaderResult("hf-space", (GenerationParams(**values, extra=extra_pairs(d, used)),), ("parameters",),
                        "diffusers-json")

"""TensorArt: ``generation_data`` JSON (UTF-8 bytes in a tEXt chunk) beside a ComfyUI ``prompt``
graph. A seed of -1 in the JSON means "random": the graph's sampler holds the real one.

Triggers: ``generation_data``."""

from __future__ import annotations

from typing import Any

from promptlab.metadata.extract import Extracted
from promptlab.metadata.model import ReaderResult
from promptlab.metadata.readers import comfyui
from promptlab.metadata.readers._util import extra_pairs, json_dict, to_float, to_int, to_str
from promptlab.params import GenerationParams

TRIGGERS = ("generation_data",)


def read(extracted: Extracted) -> ReaderResult | None:
    d = json_dict(extracted.get("generation_data"))
    if d is None:
        return None
    warnings: list[str] = []
    base = d.get("baseModel") if isinstance(d.get("baseModel"), dict) else {}
    values: dict[str, Any] = {
        "prompt": to_str(d.get("prompt")) or "", "negative_prompt": to_str(d.get("negativePrompt")) or "",
        "sampler": to_str(d.get("ksamplerName") or d.get("sampler")) or "", "schedule_type": to_str(d.get("schedule")),
        "model": to_str(base.get("modelFileName") or base.get("label")), "model_hash": to_str(base.get("hash")),
        "ensd": to_int(d.get("etaNoiseSeedDelta")),
        "vae": None if d.get("sdVae") in (None, "Automatic") else to_str(d.get("sdVae")),
    }
    for name, key, conv in (("steps", "steps", to_int), ("cfg_scale", "cfgScale", to_float), ("seed", "seed", to_int),
                            ("width", "width", to_int), ("height", "height", to_int), ("clip_skip", "clipSkip", to_int)):
        value = conv(d.get(key))
        if value is not None:
            values[name] = value
    if values.get("seed", -1) == -1:
        prompt = json_dict(extracted.get("prompt"))
        if prompt is not None:
            sets, _ = comfyui.params_from_graph(comfyui.cg.Graph.from_api(prompt, warnings), warnings)
            if sets and sets[0].seed != -1:
                values["seed"] = sets[0].seed
    used = {"prompt", "negativePrompt", "ksamplerName", "sampler", "schedule", "baseModel", "etaNoiseSeedDelta",
            "sdVae", "steps", "cfgScale", "seed", "width", "height", "clipSkip"}
    claimed = tuple(k for k in ("generation_data", "prompt") if extracted.get(k) is not None)
    return ReaderResult("tensorart", (GenerationParams(**values, extra=extra_pairs(d, used)),), claimed,
                        "tensorart-json", tuple(warnings))

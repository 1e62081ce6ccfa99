"""SwarmUI: JSON with ``sui_image_params`` in PNG ``parameters`` or EXIF UserComment.
(The ComfyUI ``prompt`` graph beside it is claimed too: the Swarm parameters are the user's.)

Triggers: ``parameters``, ``exif:UserComment``."""

from __future__ import annotations

from typing import Any

from promptlab.metadata.extract import Extracted
from promptlab.metadata.model import ReaderResult
from promptlab.metadata.readers._util import extra_pairs, json_dict, to_float, to_int, to_str
from promptlab.params import GenerationParams

TRIGGERS = ("parameters", "exif:UserComment")


def read(extracted: Extracted) -> ReaderResult | None:
    for key in TRIGGERS:
        data = json_dict(extracted.get(key))
        if data is not None and isinstance(data.get("sui_image_params"), dict):
            claimed = (key, "prompt") if extracted.get("prompt") is not None else (key,)
            return ReaderResult("swarmui", (_params(data),), claimed, "swarmui-json",
                                details={k: v for k, v in data.items() if k != "sui_image_params"})
    return None


def _params(data: dict[str, Any]) -> GenerationParams:
    p = data["sui_image_params"]
    clip_stop = to_int(p.get("clipstopatlayer"))
    values: dict[str, Any] = {
        "prompt": to_str(p.get("prompt")) or "", "negative_prompt": to_str(p.get("negativeprompt")) or "",
        "sampler": to_str(p.get("sampler")) or "", "schedule_type": to_str(p.get("scheduler")),
        "model": to_str(p.get("model")), "vae": to_str(p.get("vae")),
        "version": to_str(p.get("swarm_version")), "denoising_strength": to_float(p.get("initimagecreativity")),
    }
    if clip_stop is not None:
        values["clip_skip"] = abs(clip_stop)
    for name, key, conv in (("steps", "steps", to_int), ("cfg_scale", "cfgscale", to_float), ("seed", "seed", to_int),
                            ("width", "width", to_int), ("height", "height", to_int)):
        value = conv(p.get(key))
        if value is not None:
            values[name] = value
    if to_float(p.get("refinerupscale")):
        values["hires_upscale"] = to_float(p.get("refinerupscale"))
        values["hires_steps"] = to_int(p.get("refinersteps"))
        values["hires_upscaler"] = to_str(p.get("refinerupscalemethod"))
    used = {"prompt", "negativeprompt", "sampler", "scheduler", "model", "vae", "swarm_version", "steps", "cfgscale",
            "seed", "width", "height", "clipstopatlayer", "initimagecreativity"}
    models = data.get("sui_models")
    extra = extra_pairs(p, used)
    if isinstance(models, list):
        hashes = {m.get("param"): m.get("hash") for m in models if isinstance(m, dict)}
        if hashes.get("model"):
            extra += (("Model sha256", str(hashes["model"])),)
    return GenerationParams(**values, extra=extra)

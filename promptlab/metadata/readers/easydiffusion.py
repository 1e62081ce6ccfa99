"""Easy Diffusion: one PNG text chunk per setting (``prompt``, ``negative_prompt``, ``seed``,
``use_stable_diffusion_model``, ``num_inference_steps``, ``guidance_scale``, ``sampler_name``,
``width``, ``height``, ``clip_skip``, ...), or the same keys as JSON in ``parameters`` /
EXIF UserComment. Triggers: ``use_stable_diffusion_model``, ``parameters``, ``exif:UserComment``."""

from __future__ import annotations

from typing import Any

from promptlab.metadata.extract import Extracted
from promptlab.metadata.model import ReaderResult
from promptlab.metadata.readers._util import extra_pairs, json_dict, to_float, to_int, to_str
from promptlab.params import GenerationParams

TRIGGERS = ("use_stable_diffusion_model", "parameters", "exif:UserComment")
_KEY = "use_stable_diffusion_model"


def read(extracted: Extracted) -> ReaderResult | None:
    if extracted.get(_KEY) is not None:
        data: dict[str, Any] = {item.key: item.text for item in extracted.items}
        claimed = tuple(item.key for item in extracted.items if not item.key.startswith(("exif:", "xmp")))
    else:
        for key in ("parameters", "exif:UserComment"):
            found = json_dict(extracted.get(key))
            if found is not None and _KEY in found:
                data, claimed = found, (key,)
                break
        else:
            return None
    clip_skip = data.get("clip_skip")
    values: dict[str, Any] = {
        "prompt": to_str(data.get("prompt")) or "", "negative_prompt": to_str(data.get("negative_prompt")) or "",
        "sampler": to_str(data.get("sampler_name")) or "", "model": to_str(data.get(_KEY)),
        "vae": to_str(data.get("use_vae_model")) or None,
        "clip_skip": 2 if str(clip_skip).lower() in ("true", "2") else 1,
    }
    for name, key, conv in (("steps", "num_inference_steps", to_int), ("cfg_scale", "guidance_scale", to_float),
                            ("seed", "seed", to_int), ("width", "width", to_int), ("height", "height", to_int)):
        value = conv(data.get(key))
        if value is not None:
            values[name] = value
    used = {"prompt", "negative_prompt", "sampler_name", _KEY, "use_vae_model", "clip_skip", "num_inference_steps",
            "guidance_scale", "seed", "width", "height"}
    extra = extra_pairs({k: v for k, v in data.items() if not k.startswith(("exif:", "xmp"))}, used)
    return ReaderResult("easydiffusion", (GenerationParams(**values, extra=extra),), claimed, "easydiffusion")

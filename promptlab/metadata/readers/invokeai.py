"""InvokeAI: ``invokeai_metadata`` (3.x+ JSON), ``sd-metadata`` (2.x JSON) and ``Dream`` (2.x
command line). Triggers: those three chunk keywords (``invokeai_graph`` is claimed alongside)."""

from __future__ import annotations

import re
import shlex
from typing import Any

from promptlab.metadata.extract import Extracted
from promptlab.metadata.model import ReaderResult
from promptlab.metadata.readers._util import extra_pairs, json_dict, to_float, to_int, to_str
from promptlab.params import GenerationParams

TRIGGERS = ("invokeai_metadata", "sd-metadata", "Dream")
_NEGATIVE = re.compile(r"\[([^\[\]]*)\]")


def read(extracted: Extracted) -> ReaderResult | None:
    data = json_dict(extracted.get("invokeai_metadata"))
    if data is not None:
        claimed = tuple(k for k in ("invokeai_metadata", "invokeai_graph", "invokeai_workflow") if extracted.get(k))
        return ReaderResult("invokeai", (_from_v3(data),), claimed, "invokeai-metadata")
    data = json_dict(extracted.get("sd-metadata"))
    if data is not None and isinstance(data.get("image"), dict):
        claimed = tuple(k for k in ("sd-metadata", "Dream") if extracted.get(k))
        return ReaderResult("invokeai", (_from_v2(data),), claimed, "invokeai-sd-metadata")
    dream = extracted.get("Dream")
    if dream:
        params = _from_dream(dream)
        if params is not None:
            return ReaderResult("invokeai", (params,), ("Dream",), "invokeai-dream")
    return None


def _split_negative(text: str) -> tuple[str, str]:
    negatives = _NEGATIVE.findall(text)
    return _NEGATIVE.sub("", text).strip(), ", ".join(n.strip() for n in negatives)


def _from_v3(d: dict[str, Any]) -> GenerationParams:
    model = d.get("model") if isinstance(d.get("model"), dict) else {}
    vae = d.get("vae") if isinstance(d.get("vae"), dict) else {}
    values: dict[str, Any] = {
        "prompt": to_str(d.get("positive_prompt")) or "", "negative_prompt": to_str(d.get("negative_prompt")) or "",
        "sampler": to_str(d.get("scheduler")) or "", "model": model.get("name") or model.get("model_name"),
        "model_hash": model.get("hash"), "vae": vae.get("name") or vae.get("model_name"),
        "denoising_strength": to_float(d.get("strength")),
    }
    for name, key, conv in (("steps", "steps", to_int), ("cfg_scale", "cfg_scale", to_float), ("seed", "seed", to_int),
                            ("width", "width", to_int), ("height", "height", to_int), ("clip_skip", "clip_skip", to_int)):
        value = conv(d.get(key))
        if value is not None:
            values[name] = value
    if d.get("hrf_enabled"):
        values["hires_upscaler"] = to_str(d.get("hrf_method"))
        values["denoising_strength"] = to_float(d.get("hrf_strength"))
    used = {"positive_prompt", "negative_prompt", "scheduler", "model", "vae", "steps", "cfg_scale", "seed",
            "width", "height", "clip_skip", "strength"}
    return GenerationParams(**values, extra=extra_pairs(d, used))


def _from_v2(d: dict[str, Any]) -> GenerationParams:
    image = d["image"]
    prompt = image.get("prompt")
    if isinstance(prompt, list):
        prompt = " ".join(p.get("prompt", "") for p in prompt if isinstance(p, dict))
    positive, negative = _split_negative(to_str(prompt) or "")
    values: dict[str, Any] = {"prompt": positive, "negative_prompt": negative, "sampler": to_str(image.get("sampler")) or "",
                              "model": d.get("model_weights") or d.get("model"), "model_hash": d.get("model_hash")}
    for name, key, conv in (("steps", "steps", to_int), ("cfg_scale", "cfg_scale", to_float), ("seed", "seed", to_int),
                            ("width", "width", to_int), ("height", "height", to_int)):
        value = conv(image.get(key))
        if value is not None:
            values[name] = value
    if image.get("type") == "img2img":
        values["denoising_strength"] = to_float(image.get("strength"))
    extra = extra_pairs({k: v for k, v in d.items() if k != "image"}, {"model_weights", "model_hash", "model"})
    extra += extra_pairs(image, {"prompt", "sampler", "steps", "cfg_scale", "seed", "width", "height"})
    return GenerationParams(**values, extra=extra)


def _from_dream(text: str) -> GenerationParams | None:
    try:
        parts = shlex.split(text)
    except ValueError:
        return None
    if not parts:
        return None
    positive, negative = _split_negative(parts[0])
    options = {"-s": ("steps", to_int), "-S": ("seed", to_int), "-W": ("width", to_int), "-H": ("height", to_int),
               "-C": ("cfg_scale", to_float), "-A": ("sampler", str)}
    values: dict[str, Any] = {"prompt": positive, "negative_prompt": negative}
    extra = []
    i = 1
    while i < len(parts):
        flag = parts[i]
        value = parts[i + 1] if i + 1 < len(parts) and not parts[i + 1].startswith("-") else None
        if flag in options and value is not None:
            name, conv = options[flag]
            converted = conv(value)
            if converted is not None:
                values[name] = converted
        elif value is not None:
            extra.append((flag, value))
        i += 2 if value is not None else 1
    return GenerationParams(**values, extra=tuple(extra))

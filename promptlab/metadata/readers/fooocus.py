"""Fooocus (``parameters`` JSON with ``metadata_scheme: fooocus``, also the ``fooocus_scheme``
chunk; older log-style keys like ``Guidance Scale``) and RuinedFooocus (``software: RuinedFooocus``).
Fooocus' A1111-scheme images are plain infotexts and go to the A1111 reader.

Triggers: ``parameters``, ``fooocus_scheme``."""

from __future__ import annotations

import re
from typing import Any

from promptlab.metadata.extract import Extracted
from promptlab.metadata.model import ReaderResult
from promptlab.metadata.readers._util import extra_pairs, json_dict, to_float, to_int, to_str
from promptlab.params import GenerationParams

TRIGGERS = ("parameters", "fooocus_scheme")
_PAIR = re.compile(r"\(?\s*(\d+)\s*[,x×*]\s*(\d+)\s*\)?")


def _norm(d: dict[str, Any]) -> dict[str, Any]:
    return {str(k).strip().lower().replace(" ", "_"): v for k, v in d.items()}


def read(extracted: Extracted) -> ReaderResult | None:
    data = json_dict(extracted.get("parameters"))
    if data is None:
        return None
    n = _norm(data)
    software = str(n.get("software") or "")
    version = str(n.get("version") or "")
    if software.lower() == "ruinedfooocus":
        generator = "ruined-fooocus"
    elif version.lower().startswith("fooocus") or n.get("metadata_scheme") == "fooocus" or extracted.get("fooocus_scheme"):
        generator = "fooocus"
    else:
        return None
    size = _PAIR.search(str(n.get("resolution") or ""))
    values: dict[str, Any] = {
        "prompt": to_str(n.get("prompt")) or "",
        "negative_prompt": to_str(n.get("negative_prompt", n.get("negative"))) or "",
        "sampler": to_str(n.get("sampler", n.get("sampler_name"))) or "",
        "schedule_type": to_str(n.get("scheduler")),
        "model": to_str(n.get("base_model", n.get("base_model_name"))),
        "model_hash": to_str(n.get("base_model_hash")),
        "version": version or None,
        "refiner": None if str(n.get("refiner_model")) in ("None", "") else to_str(n.get("refiner_model")),
    }
    numbers = (("steps", ("steps",), to_int), ("cfg_scale", ("guidance_scale", "cfg"), to_float),
               ("seed", ("seed",), to_int), ("width", ("width",), to_int), ("height", ("height",), to_int),
               ("clip_skip", ("clip_skip",), to_int), ("denoising_strength", ("denoise",), to_float))
    for name, keys, conv in numbers:
        value = next((conv(n[k]) for k in keys if conv(n.get(k)) is not None), None)
        if value is not None:
            values[name] = value
    if size and "width" not in values:
        values["width"], values["height"] = int(size.group(1)), int(size.group(2))
    used = {"prompt", "negative_prompt", "negative", "sampler", "sampler_name", "scheduler", "base_model",
            "base_model_name", "base_model_hash", "version", "steps", "guidance_scale", "cfg", "seed", "width",
            "height", "clip_skip", "denoise", "resolution", "software", "refiner_model"}
    params = GenerationParams(**values, extra=extra_pairs(n, used))
    claimed = tuple(k for k in ("parameters", "fooocus_scheme") if extracted.get(k) is not None)
    return ReaderResult(generator, (params,), claimed, f"{generator}-json")

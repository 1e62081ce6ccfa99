"""Stability Matrix (Inference): ``parameters-json`` (its own JSON), ``smproj`` (project), a
``parameters`` infotext and the ComfyUI ``prompt`` graph it ran. Prompts, size, seed and model
hash come from ``parameters-json``; sampler/scheduler/clip skip from the graph, whose names are
the real ComfyUI ones (the JSON has only a display name like "Euler Ancestral Karras").

Hires fix and upscale images: the JSON's ``Width``/``Height`` are what was requested for the
output, so ``width``/``height`` (A1111's ``Size``) come from the graph's first pass, the hires
values from its second pass, and the JSON's size, when it differs, is kept as ``Final size``.

Triggers: ``parameters-json``, ``smproj``."""

from __future__ import annotations

from typing import Any

from promptlab.metadata.extract import Extracted
from promptlab.metadata.model import ReaderResult
from promptlab.metadata.readers import comfyui
from promptlab.metadata.readers._util import extra_pairs, json_dict, to_float, to_int, to_str
from promptlab.params import GenerationParams

TRIGGERS = ("parameters-json", "smproj")


def read(extracted: Extracted) -> ReaderResult | None:
    d = json_dict(extracted.get("parameters-json"))
    if d is None:
        return None
    warnings: list[str] = []
    graph_params = _graph_params(extracted, warnings)
    values: dict[str, Any] = {
        "prompt": to_str(d.get("PositivePrompt")) or "", "negative_prompt": to_str(d.get("NegativePrompt")) or "",
        "sampler": to_str(d.get("Sampler")) or "", "model": to_str(d.get("ModelName")),
        "model_hash": to_str(d.get("ModelHash")),
    }
    for name, key, conv in (("steps", "Steps", to_int), ("cfg_scale", "CfgScale", to_float), ("seed", "Seed", to_int),
                            ("width", "Width", to_int), ("height", "Height", to_int)):
        value = conv(d.get(key))
        if value is not None:
            values[name] = value
    final_size: tuple[Any, Any] | None = None
    if graph_params is not None:
        values.update(sampler=graph_params.sampler or values["sampler"], schedule_type=graph_params.schedule_type,
                      clip_skip=graph_params.clip_skip)
        values["model"] = values["model"] or graph_params.model
        g = graph_params
        if g.hires_steps or g.hires_upscale or g.hires_resize_x or _post_upscale(g):
            final_size = (values.get("width"), values.get("height"))
            values.update(width=g.width, height=g.height)
            for name in ("hires_upscale", "hires_steps", "hires_upscaler", "hires_resize_x", "hires_resize_y",
                         "hires_sampler", "hires_schedule_type", "denoising_strength"):
                if getattr(g, name) is not None:
                    values[name] = getattr(g, name)
    used = {"PositivePrompt", "NegativePrompt", "Sampler", "ModelName", "ModelHash", "Steps", "CfgScale", "Seed",
            "Width", "Height"}
    extra = extra_pairs({k: v for k, v in d.items() if v not in (0, False)}, used)
    if graph_params is not None and d.get("Sampler"):
        extra += (("Sampler display name", str(d["Sampler"])),)
    if graph_params is not None:
        extra += tuple(kv for kv in graph_params.extra if kv[0].startswith("Postprocess"))
    if final_size and final_size[0] and final_size[1] and final_size != (values["width"], values["height"]):
        extra += (("Final size", f"{final_size[0]}x{final_size[1]}"),)
    claimed = tuple(k for k in ("parameters-json", "smproj", "parameters", "prompt", "workflow") if extracted.get(k) is not None)
    return ReaderResult("stability-matrix", (GenerationParams(**values, extra=extra),), claimed,
                        "stability-matrix-json", tuple(warnings))


def _post_upscale(params: GenerationParams) -> bool:
    return any(key.startswith("Postprocess upscale") for key, _ in params.extra)


def _graph_params(extracted: Extracted, warnings: list[str]) -> GenerationParams | None:
    prompt = json_dict(extracted.get("prompt"))
    if prompt is None:
        return None
    graph = comfyui.cg.Graph.from_api(prompt, warnings)
    sets, _ = comfyui.params_from_graph(graph, warnings)
    return sets[0] if sets else None

"""Civitai's on-site generator: EXIF UserComment holding a ComfyUI API graph plus
``extraMetadata`` (a JSON string with prompt, sampler, cfgScale, seed, size, resources,
transformations). (Civitai images with an A1111 infotext are read by the A1111 reader.)

Triggers: ``exif:UserComment``."""

from __future__ import annotations

from typing import Any

from promptlab.metadata.extract import Extracted
from promptlab.metadata.model import ReaderResult
from promptlab.metadata.readers import comfyui
from promptlab.metadata.readers._util import extra_pairs, json_dict, to_float, to_int, to_str
from promptlab.params import GenerationParams

TRIGGERS = ("exif:UserComment",)


def read(extracted: Extracted) -> ReaderResult | None:
    data = json_dict(extracted.get("exif:UserComment"))
    if data is None or "extraMetadata" not in data:
        return None
    meta = data["extraMetadata"]
    meta = json_dict(meta) if isinstance(meta, str) else meta
    if not isinstance(meta, dict):
        return None
    warnings: list[str] = []
    values: dict[str, Any] = {
        "prompt": to_str(meta.get("prompt")) or "", "negative_prompt": to_str(meta.get("negativePrompt")) or "",
        "sampler": to_str(meta.get("sampler")) or "", "model": to_str(meta.get("baseModel")),
        "denoising_strength": to_float(meta.get("denoise")),
    }
    for name, key, conv in (("steps", "steps", to_int), ("cfg_scale", "cfgScale", to_float), ("seed", "seed", to_int),
                            ("width", "width", to_int), ("height", "height", to_int), ("clip_skip", "clipSkip", to_int)):
        value = conv(meta.get(key))
        if value is not None:
            values[name] = value
    extra: list[tuple[str, str]] = list(extra_pairs(meta, {
        "prompt", "negativePrompt", "sampler", "baseModel", "denoise", "steps", "cfgScale", "seed", "width",
        "height", "clipSkip", "transformations"}))
    graph_nodes = {k: v for k, v in data.items() if isinstance(v, dict) and "class_type" in v}
    graph = comfyui.cg.Graph.from_api(graph_nodes, warnings)
    for t in meta.get("transformations") or []:
        if isinstance(t, dict) and t.get("type") == "upscale":
            upscaler = next((to_str(n.inputs.get("model_name")) for n in graph.nodes.values()
                             if n.class_type == "UpscaleModelLoader"), None)
            if upscaler:
                extra.append(("Postprocess upscaler", upscaler))
            width = to_int(t.get("upscaleWidth"))
            if width and values.get("width"):
                extra.append(("Postprocess upscale by", _num(width / values["width"])))
    return ReaderResult("civitai", (GenerationParams(**values, extra=tuple(extra)),), ("exif:UserComment",),
                        "civitai-json", tuple(warnings))


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(round(value, 4))

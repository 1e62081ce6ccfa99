"""Civitai's on-site generator: EXIF UserComment holding a ComfyUI API graph plus ``extraMetadata``
(a JSON string with prompt, sampler, cfgScale, seed, size, resources, transformations) and
``extra.airs`` (the resources as AIR URNs, ``urn:air:sdxl:checkpoint:civitai:827184@1410435``).
(Civitai images with an A1111 infotext are read by the A1111 reader.)

What is read from where, so that a hires-fix image reads like A1111's:
* prompts, seed, steps, CFG, sampler, clip skip: ``extraMetadata``;
* model: the checkpoint URN (graph loader or ``airs``); ``baseModel`` ("Illustrious") stays in
  ``extra`` as ``Base model``;
* size: the first pass of the graph when it has a hires pass (A1111's ``Size``), else the JSON's;
* hires: upscale / steps / upscaler / denoise from the graph's second pass; ``denoise`` and
  ``scheduler`` in the JSON win over the graph's;
* LoRAs: the ``airs`` of kind lora with their ``resources`` strength (matched by version id), in
  ``details["loras"]``.

Triggers: ``exif:UserComment``."""

from __future__ import annotations

import re
from typing import Any

from promptlab.metadata.extract import Extracted
from promptlab.metadata.model import ReaderResult
from promptlab.metadata.readers import comfyui
from promptlab.metadata.readers._util import extra_pairs, json_dict, to_float, to_int, to_str
from promptlab.params import GenerationParams

TRIGGERS = ("exif:UserComment",)
_AIR = re.compile(r"^urn:air:[^:]+:(?P<kind>[^:]+):[^:]+:(?P<model>[^@]+)(?:@(?P<version>[^:.]+))?")
_USED = {"prompt", "negativePrompt", "sampler", "baseModel", "denoise", "steps", "cfgScale", "seed", "width", "height",
         "clipSkip", "transformations", "scheduler"}


def read(extracted: Extracted) -> ReaderResult | None:
    data = json_dict(extracted.get("exif:UserComment"))
    if data is None or "extraMetadata" not in data:
        return None
    meta = data["extraMetadata"]
    meta = json_dict(meta) if isinstance(meta, str) else meta
    if not isinstance(meta, dict):
        return None
    warnings: list[str] = []
    graph_nodes = {k: v for k, v in data.items() if isinstance(v, dict) and "class_type" in v}
    graph = comfyui.cg.Graph.from_api(graph_nodes, warnings)
    graph_sets, graph_details = comfyui.params_from_graph(graph, [], fallback_size=(None, None)) \
        if graph_nodes else ([], {"loras": []})
    g = graph_sets[0] if graph_sets else None
    airs = [a for a in ((data.get("extra") or {}).get("airs") or []) if isinstance(a, str)]
    checkpoint = next((a for a in airs if _kind(a) == "checkpoint"), None)
    if g is not None and g.model and g.model.startswith("urn:air:"):
        checkpoint = g.model
    values: dict[str, Any] = {
        "prompt": to_str(meta.get("prompt")) or (g.prompt if g else ""),
        "negative_prompt": to_str(meta.get("negativePrompt")) or (g.negative_prompt if g else ""),
        "sampler": to_str(meta.get("sampler")) or (g.sampler if g else ""),
        "model": checkpoint or to_str(meta.get("baseModel")),
        "schedule_type": to_str(meta.get("scheduler")) or (g.schedule_type if g else None),
    }
    for name, key, conv in (("steps", "steps", to_int), ("cfg_scale", "cfgScale", to_float), ("seed", "seed", to_int),
                            ("width", "width", to_int), ("height", "height", to_int), ("clip_skip", "clipSkip", to_int)):
        value = conv(meta.get(key))
        if value is not None:
            values[name] = value
    hires = g is not None and bool(g.hires_steps or g.hires_upscale or g.hires_resize_x)
    if hires:
        # A1111's Size is the first pass; the JSON's width/height may be the final size
        final = (values.get("width"), values.get("height"))
        values.update(width=g.width, height=g.height, hires_upscale=g.hires_upscale, hires_steps=g.hires_steps,
                      hires_upscaler=g.hires_upscaler, hires_resize_x=g.hires_resize_x, hires_resize_y=g.hires_resize_y,
                      hires_sampler=g.hires_sampler, hires_schedule_type=g.hires_schedule_type,
                      denoising_strength=g.denoising_strength)
    denoise = to_float(meta.get("denoise"))
    if denoise is not None:
        values["denoising_strength"] = denoise
    elif not hires and g is not None and g.denoising_strength is not None:
        values["denoising_strength"] = g.denoising_strength
    extra: list[tuple[str, str]] = list(extra_pairs(meta, _USED))
    if meta.get("baseModel") and checkpoint:
        extra.append(("Base model", str(meta["baseModel"])))
    if hires and final[0] and final[1] and (final[0], final[1]) != (values["width"], values["height"]):
        extra.append(("Final size", f"{final[0]}x{final[1]}"))
    extra += _postprocess(meta, graph, values)
    loras = _loras(airs, meta.get("resources")) or graph_details.get("loras", [])
    params = GenerationParams(**{k: v for k, v in values.items() if v is not None or k in ("model", "schedule_type")},
                              extra=tuple(extra))
    details = {"loras": loras, "airs": airs} if airs else {"loras": loras}
    return ReaderResult("civitai", (params,), ("exif:UserComment",), "civitai-json", tuple(warnings), details)


def _kind(air: str) -> str | None:
    m = _AIR.match(air)
    return m.group("kind") if m else None


def _loras(airs: list[str], resources: Any) -> list[dict[str, Any]]:
    strength_by_version = {}
    for r in resources if isinstance(resources, list) else []:
        if isinstance(r, dict) and r.get("modelVersionId") is not None:
            strength_by_version[str(r["modelVersionId"])] = to_float(r.get("strength"))
    out = []
    for air in airs:
        m = _AIR.match(air)
        if m and m.group("kind") in ("lora", "lycoris", "locon", "dora"):
            weight = strength_by_version.get(m.group("version") or "")
            out.append({"name": air, "strength_model": weight, "strength_clip": weight})
    return out


def _postprocess(meta: dict[str, Any], graph: Any, values: dict[str, Any]) -> list[tuple[str, str]]:
    extra: list[tuple[str, str]] = []
    for t in meta.get("transformations") or []:
        if isinstance(t, dict) and t.get("type") == "upscale":
            upscaler = next((to_str(n.inputs.get("model_name")) for n in graph.nodes.values()
                             if n.class_type == "UpscaleModelLoader"), None)
            if upscaler:
                extra.append(("Postprocess upscaler", upscaler))
            width = to_int(t.get("upscaleWidth"))
            if width and values.get("width"):
                extra.append(("Postprocess upscale by", _num(width / values["width"])))
    return extra


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(round(value, 4))

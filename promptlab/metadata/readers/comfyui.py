"""ComfyUI: the API graph (``prompt``) and the UI graph (``workflow``).

Triggers: PNG ``prompt`` / ``workflow``; EXIF ``Make``/``Model`` (``prompt:`` / ``workflow:``
prefixes, SaveAnimatedWEBP), ``ImageDescription``/``Make`` (``Workflow: `` / ``Prompt: ``,
save-image-extended), ``UserComment`` holding ``{"prompt": ..., "workflow": ...}`` (SaveImagePlus).

Reading: every sampler reachable from an output node gives one parameter set. From a sampler the
graph is traced to its text encoders (positive/negative), model loader (through LoRA loaders and
model patches), CLIPSetLastLayer (clip skip), seed/steps/cfg/scheduler nodes and latent source
(size). A sampler whose latent comes from another sampler's output through an upscale is folded
into that sampler's set as a hires pass; an upscale after the last sampler is reported as
``Postprocess upscaler`` / ``Postprocess upscale by``. Cycles and dangling links become warnings.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from promptlab.metadata.extract import Extracted
from promptlab.metadata.model import ReaderResult
from promptlab.metadata.readers import comfyui_graph as cg
from promptlab.metadata.readers._util import extra_pairs
from promptlab.params import GenerationParams

TRIGGERS = ("prompt", "workflow", "exif:Make", "exif:Model", "exif:ImageDescription", "exif:UserComment")

_PREFIXED = re.compile(r"^\s*(prompt|workflow)\s*:\s*", re.IGNORECASE)


@dataclass
class _Found:
    prompt: Any = None
    workflow: Any = None
    claimed: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def find_graphs(extracted: Extracted) -> _Found:
    """Locate the API graph and the UI workflow wherever the save node put them."""
    found = _Found()
    for item in extracted.items:
        text = item.text
        kind = None
        if item.key in ("prompt", "workflow"):
            kind, body = item.key, text
        elif item.key in ("exif:Make", "exif:Model", "exif:ImageDescription"):
            m = _PREFIXED.match(text)
            if not m:
                continue
            kind, body = m.group(1).lower(), text[m.end():]
        elif item.key == "exif:UserComment" and text.lstrip().startswith("{"):
            data = _loads(text, item.key, found.warnings)
            if isinstance(data, dict) and ("prompt" in data or "workflow" in data):
                if found.prompt is None and data.get("prompt") is not None:
                    found.prompt = _maybe_json(data["prompt"])
                if found.workflow is None and data.get("workflow") is not None:
                    found.workflow = _maybe_json(data["workflow"])
                found.claimed.append(item.key)
            continue
        else:
            continue
        data = _loads(body, item.location, found.warnings)
        if data is None:
            continue
        if kind == "prompt" and found.prompt is None:
            found.prompt = data
            found.claimed.append(item.key)
        elif kind == "workflow" and found.workflow is None:
            found.workflow = data
            found.claimed.append(item.key)
    return found


def _maybe_json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def _loads(text: str, where: str, warnings: list[str]) -> Any:
    text = text.strip().rstrip("\x00")
    if not text.startswith(("{", "[")):
        return None
    try:
        return json.loads(text)
    except ValueError as exc:
        warnings.append(f"ComfyUI data in {where} is not valid JSON ({exc}); it cannot be traced")
        return None


def read(extracted: Extracted) -> ReaderResult | None:
    found = find_graphs(extracted)
    if found.prompt is None and found.workflow is None:
        if found.warnings:  # a ComfyUI chunk that is broken: claim it so the reason is shown
            keys = [k for k in ("prompt", "workflow") if extracted.get(k) is not None]
            if keys:
                return ReaderResult("comfyui", (), tuple(keys), "comfyui-graph", tuple(found.warnings))
        return None
    warnings = list(found.warnings)
    graph = None
    if isinstance(found.prompt, dict):
        graph = cg.Graph.from_api(found.prompt, warnings)
    elif found.prompt is not None:
        warnings.append("ComfyUI 'prompt' is not a JSON object of nodes; ignored")
    if (graph is None or not graph.nodes) and isinstance(found.workflow, dict):
        graph = cg.Graph.from_workflow(found.workflow, warnings)
    if graph is None or not graph.nodes:
        warnings.append("ComfyUI graph has no nodes that could be read")
        return ReaderResult("comfyui", (), tuple(found.claimed), "comfyui-graph", tuple(warnings))
    sets, details = params_from_graph(graph, warnings, fallback_size=(extracted.width, extracted.height))
    details["source"] = "prompt" if found.prompt is not None else "workflow"
    claimed = list(found.claimed)
    front_end = front_end_params(extracted, set(claimed))
    if front_end is not None and sets:
        # A front end built on ComfyUI (Krea and the like) knows what the user asked for; the graph
        # is its plumbing. Its own values go first, the graph fills the rest.
        key, values, used_keys = front_end
        sets[0] = sets[0].with_(**values, extra=sets[0].extra + extra_pairs(_front_end_json(extracted, key), used_keys))
        claimed.append(key)
        details["front_end"] = key
    return ReaderResult("comfyui", tuple(sets), tuple(claimed), "comfyui-graph", tuple(warnings), details)


def _front_end_json(extracted: Extracted, key: str) -> dict[str, Any]:
    data = _loads(extracted.get(key) or "", key, [])
    return data if isinstance(data, dict) else {}


def front_end_params(extracted: Extracted, taken: set[str]) -> tuple[str, dict[str, Any], set[str]] | None:
    """A text item beside the graph holding the front end's own parameter JSON: an object with a
    prompt key and a model key (spellings as in generic_json). Returns (item key, values, keys used)."""
    from promptlab.metadata.readers.generic_json import map_keys

    for item in extracted.items:
        if item.key in taken or item.key in ("prompt", "workflow") or not item.text.lstrip().startswith("{"):
            continue
        data = _loads(item.text, item.location, [])
        if not isinstance(data, dict):
            continue
        values, used = map_keys(data)
        if values.get("prompt") and "model" in values:
            return item.key, values, used
    return None


def params_from_graph(graph: cg.Graph, warnings: list[str], *,
                      fallback_size: tuple[int | None, int | None] = (None, None)) -> tuple[list[GenerationParams], dict[str, Any]]:
    """One GenerationParams per generation in ``graph`` (hires passes folded in), main one first."""
    samplers = graph.ordered_samplers()
    if not samplers:
        warnings.append("ComfyUI graph has no sampler node; prompts and settings cannot be traced")
        return [], {"loras": []}
    passes = {s: graph.sampler_settings(s) for s in samplers}
    hires_of: dict[str, tuple[str, cg.Upscale]] = {}
    for node_id in samplers:
        source = passes[node_id].latent_from_sampler
        if source is not None and source in passes and source != node_id and passes[node_id].upscale is not None:
            hires_of[node_id] = (source, passes[node_id].upscale)
    out: list[GenerationParams] = []
    sets: list[dict[str, Any]] = []
    all_loras: list[dict[str, Any]] = []
    for node_id in samplers:
        if node_id in hires_of:
            continue
        s = passes[node_id]
        hires = next(((h, up) for h, (base, up) in hires_of.items() if base == node_id), None)
        out.append(_to_params(graph, s, hires and (passes[hires[0]], hires[1]), fallback_size, warnings))
        sets.append({"sampler_node": node_id, "class_type": s.class_type,
                     "hires_sampler_node": hires[0] if hires else None, "loras": s.loras})
        all_loras.extend(l for l in s.loras if l not in all_loras)
    return out, {"loras": all_loras, "param_sets": sets}


def _to_params(graph: cg.Graph, s: cg.SamplerSettings, hires: tuple[cg.SamplerSettings, cg.Upscale] | None,
               fallback_size: tuple[int | None, int | None], warnings: list[str]) -> GenerationParams:
    values: dict[str, Any] = {
        "prompt": s.positive, "negative_prompt": s.negative, "sampler": s.sampler or "",
        "schedule_type": s.scheduler, "model": s.model, "clip_skip": s.clip_skip or 1,
    }
    for name, value in (("steps", s.steps), ("cfg_scale", s.cfg), ("seed", s.seed)):
        if value is not None:
            values[name] = value
    width, height = s.width, s.height
    if width is None or height is None:
        if fallback_size[0] and fallback_size[1]:
            width, height = fallback_size
            warnings.append(f"sampler {s.node_id}: generation size not in the graph; the image size is used")
    if width and height:
        values["width"], values["height"] = width, height
    if s.denoise is not None and s.denoise < 1:
        values["denoising_strength"] = s.denoise
    if s.vae:
        values["vae"] = s.vae
    extra: list[tuple[str, str]] = []
    if s.loras:
        extra.append(("Loras", json.dumps(s.loras, ensure_ascii=False)))
    if hires is not None:
        h, up = hires
        values.update(hires_steps=h.steps, hires_upscaler=up.upscaler, hires_upscale=up.scale,
                      denoising_strength=h.denoise)
        if up.scale is None and up.width and up.height and width and height:
            ratio = round(up.width / width, 4)
            if round(up.height / height, 4) == ratio:
                values["hires_upscale"] = ratio
            else:
                values.update(hires_resize_x=up.width, hires_resize_y=up.height)
        if h.sampler and h.sampler != s.sampler:
            values["hires_sampler"] = h.sampler
        if h.scheduler and h.scheduler != s.scheduler:
            values["hires_schedule_type"] = h.scheduler
        if h.cfg is not None and h.cfg != s.cfg:
            values["hires_cfg_scale"] = h.cfg
        if h.positive and h.positive != s.positive:
            values["hires_prompt"] = h.positive
        if h.negative and h.negative != s.negative:
            values["hires_negative_prompt"] = h.negative
        if h.model and h.model != s.model:
            values["hires_checkpoint"] = h.model
        post = graph.post_upscale(h.node_id)
    else:
        post = graph.post_upscale(s.node_id)
    if post is not None:
        if post.upscaler:
            extra.append(("Postprocess upscaler", post.upscaler))
        scale = post.scale
        if scale is None and post.width and width:
            scale = round(post.width / width, 4)
        if scale is not None:
            extra.append(("Postprocess upscale by", _num(scale)))
    return GenerationParams(**{k: v for k, v in values.items() if v is not None or k in (
        "schedule_type", "model")}, extra=tuple(extra))


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


__all__ = ["TRIGGERS", "read", "find_graphs", "params_from_graph"]

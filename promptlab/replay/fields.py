"""The steps of ``build_plan``, one per group of settings (basics, sampler, hires, the rest; prompts and
models have their own modules).

Each step adds ``PlanItem``s to the builder and puts what runs into ``b.changes``. A field that no
step claims is listed by ``the_rest``: nothing in an image is left out of the plan.
"""

from __future__ import annotations

import json
from typing import Any

from promptlab.params import GenerationParams
from promptlab.replay import capabilities as caps
from promptlab.replay.mapping import automatic_schedule, to_a1111
from promptlab.replay.plan import Status

_CLAIMED = "_claimed"
A1111_FORMATS = ("a1111-infotext",)
_COMFY_KNOWN_NODES = frozenset({
    "CheckpointLoaderSimple", "CheckpointLoader", "LoraLoader", "LoraLoaderModelOnly", "CLIPTextEncode",
    "CLIPSetLastLayer", "EmptyLatentImage", "KSampler", "KSamplerAdvanced", "VAEDecode", "VAELoader", "SaveImage",
    "PreviewImage", "LatentUpscale", "LatentUpscaleBy",
})
_COMFY_VALUE_NODES = ("Primitive", "Reroute", "Note", "Literal", "Seed", "Int", "Float", "String")
# an upscale after the last sampler: already listed as "Postprocess upscaler" / "... upscale by"
_COMFY_POSTPROCESS_NODES = frozenset({"UpscaleModelLoader", "ImageUpscaleWithModel", "ImageScale", "ImageScaleBy"})
_DEFAULT_DENOISE = 0.7   # A1111's hires fix default (and promptlab.backend.hires.DEFAULT_DENOISE)


def claim(b: Any, *names: str) -> None:
    b.changes.setdefault(_CLAIMED, set()).update(names)


# -- steps, cfg, seed, size, clip skip, noise ------------------------------------------------------------


def basics(b: Any, meta: Any) -> None:
    p = b.params
    claim(b, "steps", "cfg_scale", "seed", "width", "height", "clip_skip", "batch_size", "batch_count", "rng")
    b.add("Steps", p.steps, p.steps, Status.EXACT)
    b.add("CFG scale", p.cfg_scale, p.cfg_scale, Status.EXACT)
    if p.seed >= 2**32:
        b.add("Seed", p.seed, p.seed, Status.EXACT, "seed_large")
    else:
        b.add("Seed", p.seed, p.seed, Status.EXACT)
    b.add("Size", f"{p.width}x{p.height}", f"{p.width}x{p.height}", Status.EXACT)
    if p.clip_skip != 1 or "Clip skip" in p.infotext_order:
        b.add("Clip skip", p.clip_skip, p.clip_skip, Status.EXACT)
    if p.batch_size != 1:
        b.add("Batch size", p.batch_size, p.batch_size, Status.EXACT)
    _noise(b, meta)


def _noise(b: Any, meta: Any) -> None:
    """A1111 draws the starting noise on the GPU unless "RNG: CPU"; promptlab's local backend and
    ComfyUI draw it on the CPU (the same numbers as A1111's CPU RNG). A webui is told which to use."""
    rng = b.params.rng
    if rng is None and (b.params.version or "").startswith("promptlab"):
        rng = "CPU"   # promptlab's local backend draws CPU noise (and does not write "RNG")
    elif rng is None and meta.format in A1111_FORMATS:
        rng = "GPU"   # A1111's default, not written
    elif rng is None and meta.generator == "comfyui":
        rng = "CPU"
    if rng is None:
        return        # a tool whose noise source is not known: nothing to say
    unwritten = "" if b.params.rng else "rng_unwritten"
    if b.backend == "a1111":
        b.add("RNG", rng, rng, Status.EXACT, unwritten, rng=rng)
        b.changes["rng"] = rng
        return
    if rng == "CPU":
        b.add("RNG", rng, "CPU", Status.EXACT, unwritten, rng=rng)
    elif rng == "GPU":
        b.add("RNG", rng, "CPU", Status.APPROXIMATED, "rng_gpu")
    else:
        b.add("RNG", rng, "CPU", Status.NOT_REPRODUCIBLE, "rng_other", rng=rng)
    b.changes["rng"] = None


# -- sampler and schedule ------------------------------------------------------------------------------------


def _backend_samplers(backend: str, server: Any) -> tuple[list[str], list[str]]:
    if server is not None and server.samplers:
        samplers = list(server.samplers)
    elif backend == "local":
        from promptlab.backend.samplers import SAMPLER_NAMES

        samplers = list(SAMPLER_NAMES)
    elif backend == "comfyui":
        from promptlab.backend.comfyui_workflow import SAMPLERS

        samplers = list(SAMPLERS)
    else:
        from promptlab.replay.mapping import A1111_SAMPLERS

        samplers = list(A1111_SAMPLERS)
    if server is not None and server.schedules:
        schedules = list(server.schedules)
    elif backend == "local":
        from promptlab.backend.samplers import SCHEDULE_TYPES

        schedules = list(SCHEDULE_TYPES)
    elif backend == "comfyui":
        from promptlab.backend.comfyui_workflow import SCHEDULERS

        schedules = [k for k in SCHEDULERS if k]
    else:
        from promptlab.replay.mapping import A1111_SCHEDULES

        schedules = list(A1111_SCHEDULES)
    return samplers, schedules


def sampler(b: Any, meta: Any, server: Any) -> None:
    claim(b, "sampler", "schedule_type", "hires_sampler", "hires_schedule_type")
    samplers, schedules = _backend_samplers(b.backend, server)
    p = b.params
    _one_sampler(b, meta, "", p.sampler, p.schedule_type, samplers, schedules, "sampler", "schedule_type")
    if p.hires_sampler or p.hires_schedule_type:
        _one_sampler(b, meta, "Hires ", p.hires_sampler or b.changes.get("sampler", p.sampler),
                     p.hires_schedule_type, samplers, schedules, "hires_sampler", "hires_schedule_type")


def _one_sampler(b, meta, prefix, name, schedule, samplers, schedules, sampler_field, schedule_field) -> None:
    # A1111's infotext keys: "Sampler" / "Schedule type", "Hires sampler" / "Hires schedule type"
    key, schedule_key = ("Hires sampler", "Hires schedule type") if prefix else ("Sampler", "Schedule type")
    mapping = to_a1111(name, schedule, meta.generator)
    if mapping.sampler is None:
        fallback = "Euler a" if "Euler a" in samplers else samplers[0]
        b.add(key, name, fallback, Status.NOT_REPRODUCIBLE, "sampler_unknown", name=name)
        b.changes[sampler_field] = fallback
        mapping = to_a1111(fallback, None, None)
    elif mapping.sampler not in samplers:
        fallback = "Euler a" if "Euler a" in samplers else samplers[0]
        b.add(key, name, fallback, Status.NOT_REPRODUCIBLE, "sampler_missing", name=mapping.sampler, backend=b.backend)
        b.changes[sampler_field] = fallback
    else:
        status = Status.EXACT if mapping.sampler == name else Status(mapping.how if mapping.how != "unknown" else "mapped")
        b.add(key, name, mapping.sampler, status, mapping.note if status is not Status.EXACT else "")
        b.changes[sampler_field] = mapping.sampler
    run_sampler = b.changes[sampler_field]
    written = schedule if schedule else "Automatic"
    if mapping.how == "unknown" and mapping.note == "schedule_unknown":
        resolved = automatic_schedule(run_sampler, b.params.version)
        b.add(schedule_key, written, resolved, Status.NOT_REPRODUCIBLE, "schedule_unknown", name=written)
    elif mapping.schedule in (None, "Automatic"):
        resolved = automatic_schedule(run_sampler, b.params.version)
        b.add(schedule_key, written if schedule or mapping.schedule else "-", resolved, Status.MAPPED, "automatic",
              sampler=run_sampler, schedule=resolved)
    else:
        resolved = mapping.schedule
        status = Status.EXACT if resolved == schedule else Status.MAPPED
        b.add(schedule_key, written, resolved, status, "" if status is Status.EXACT else "schedule_renamed")
    if resolved not in schedules:
        if resolved == "Normal" and "Uniform" in schedules:   # ComfyUI's normal: timesteps evenly spaced
            b.add(schedule_key, resolved, "Uniform", Status.APPROXIMATED, "normal_as_uniform")
            resolved = "Uniform"
        else:
            b.add(schedule_key, resolved, "Automatic", Status.NOT_REPRODUCIBLE, "schedule_missing", name=resolved,
                  backend=b.backend)
            resolved = None
    b.changes[schedule_field] = resolved


# -- hires fix ----------------------------------------------------------------------------------------------


def hires(b: Any, meta: Any, server: Any, roots: Any = None) -> None:
    from promptlab.replay.hires_size import hires_target

    p = b.params
    claim(b, "hires_upscale", "hires_resize_x", "hires_resize_y", "hires_upscaler", "hires_steps", "denoising_strength")
    if not (p.hires_upscale or p.hires_resize_x or p.hires_resize_y):
        if p.denoising_strength is not None:   # img2img: the init image is not in the file
            b.add("Denoising strength", p.denoising_strength, p.denoising_strength, Status.EXACT)
            original = p.init_image_hash or "-"
            if b.init_image:
                b.add("Init image", original, "given", Status.EXACT, "init_image_given")
            else:
                b.add("Init image", original, None, Status.NOT_REPRODUCIBLE, "init_image_needed")
        return
    target = hires_target(p.width, p.height, p.hires_upscale, p.hires_resize_x, p.hires_resize_y)
    if p.hires_resize_x or p.hires_resize_y:
        original = f"{p.hires_resize_x or 0}x{p.hires_resize_y or 0}"
        value = f"{target.width}x{target.height}"
        if p.hires_resize_x and p.hires_resize_y:
            b.add("Hires resize", original, value, Status.EXACT)
        else:
            b.add("Hires resize", original, value, Status.MAPPED, "hires_free_side", size=value)
            b.changes.update(hires_resize_x=target.width, hires_resize_y=target.height)
    else:
        b.add("Hires upscale", p.hires_upscale, p.hires_upscale, Status.EXACT, "hires_size",
              size=f"{target.width}x{target.height}")
    _hires_upscaler(b, server, roots)
    if p.hires_steps:
        b.add("Hires steps", p.hires_steps, p.hires_steps, Status.EXACT)
    if p.denoising_strength is None:
        b.add("Denoising strength", "-", _DEFAULT_DENOISE, Status.MAPPED, "hires_denoise_default")
        b.changes["denoising_strength"] = _DEFAULT_DENOISE
    else:
        b.add("Denoising strength", p.denoising_strength, p.denoising_strength, Status.EXACT)


def _hires_upscaler(b: Any, server: Any, roots: Any) -> None:
    name = b.params.hires_upscaler
    if b.backend == "local" and name is not None:
        _local_upscaler(b, name, roots)
        return
    if b.backend == "local":
        from promptlab.backend.hires import UPSCALERS

        known = list(UPSCALERS)
    elif b.backend == "comfyui":
        from promptlab.backend.comfyui_workflow import HIRES_UPSCALERS

        known = [k for k in HIRES_UPSCALERS if k]
    else:
        known = list(server.upscalers) if server is not None and server.upscalers else []
    if name is None:
        b.add("Hires upscaler", "-", "Latent", Status.MAPPED, "hires_upscaler_default")
        b.changes["hires_upscaler"] = "Latent" if not known or "Latent" in known else known[0]
    elif not known or name in known:
        b.add("Hires upscaler", name, name, Status.EXACT if known else Status.APPROXIMATED,
              "" if known else "unchecked", backend=b.backend)
    else:
        b.add("Hires upscaler", name, "Latent", Status.NOT_REPRODUCIBLE, "upscaler_missing", name=name,
              backend=b.backend)
        b.changes["hires_upscaler"] = "Latent"


def _local_upscaler(b: Any, name: str, roots: Any) -> None:
    """A1111 names (``R-ESRGAN 4x+ Anime6B``, ``4x-UltraSharp``, latent modes) through promptlab.upscale's resolver."""
    from promptlab.errors import PromptlabError
    from promptlab.upscale.names import resolve_upscaler

    try:
        found = resolve_upscaler(name, roots)
    except PromptlabError:
        b.add("Hires upscaler", name, "Latent", Status.NOT_REPRODUCIBLE, "upscaler_missing", name=name, backend="local")
        b.changes["hires_upscaler"] = "Latent"
        return
    status = Status.EXACT if found.name == name else Status.MAPPED
    b.add("Hires upscaler", name, found.name, status, "" if status is Status.EXACT else "upscaler_renamed")
    b.changes["hires_upscaler"] = found.name


# -- everything else --------------------------------------------------------------------------------------------


def the_rest(b: Any, meta: Any) -> None:
    """Every set field no step has claimed, then every key promptlab does not know (``extra``)."""
    claimed = b.changes.get(_CLAIMED, set())
    p = b.params
    defaults = GenerationParams()
    unsupported = caps.UNSUPPORTED[b.backend]
    for name in GenerationParams.field_names():
        if name in claimed or name == "extra":
            continue
        value = getattr(p, name)
        if value is None or value == caps.NEUTRAL.get(name, object()) or (
                name in ("emphasis",) and value == getattr(defaults, name)):
            continue
        key = _key(name)
        if name in caps.INFORMATIONAL:
            b.add(key, value, None, Status.EXACT, "info")
        elif name in unsupported:
            b.add(key, value, None, Status.NOT_REPRODUCIBLE, "backend_cannot", backend=b.backend)
            b.changes[name] = getattr(defaults, name)
        else:
            b.add(key, value, value, Status.EXACT)
    for key, value in p.extra:
        if key == "Loras":
            continue   # ComfyUI LoRA loaders: handled with the models
        note = {"novelai": "novelai_setting", "comfyui": "comfy_setting"}.get(meta.generator or "", "unknown_key")
        if key.startswith("Postprocess"):
            note = "postprocess"
        b.add(key, value, None, Status.NOT_REPRODUCIBLE, note)
    b.changes.pop(_CLAIMED, None)


def _key(name: str) -> str:
    """A1111's infotext key for a field (from params' own table), else the field name."""
    from promptlab.params import _INFOTEXT_KEYS

    for key, names, _kind in _INFOTEXT_KEYS:
        if names == name or (isinstance(names, tuple) and name in names):
            return key
    return name


def comfy_nodes(b: Any, meta: Any) -> None:
    """ComfyUI nodes the reader could not turn into A1111 settings (custom samplers, model patches...)."""
    if meta.generator != "comfyui":
        return
    try:
        graph = json.loads(meta.raw.get("prompt") or "{}")
    except ValueError:
        return   # the reader already warned that the graph is not JSON
    if not isinstance(graph, dict):
        return
    seen: set[str] = set()
    if any(key.startswith("Postprocess") for key, _ in b.params.extra):
        seen |= _COMFY_POSTPROCESS_NODES
    for node_id, node in graph.items():
        kind = str(node.get("class_type", "")) if isinstance(node, dict) else ""
        if not kind or kind in _COMFY_KNOWN_NODES or kind in seen or any(v in kind for v in _COMFY_VALUE_NODES):
            continue
        seen.add(kind)
        b.add(f"ComfyUI node {node_id}", kind, None, Status.NOT_REPRODUCIBLE, "comfy_node", node=kind)

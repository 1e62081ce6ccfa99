"""Axis types: how each one reads its values, labels them, and changes a cell's GenerationParams.

Every axis type is a row in ``AXIS_DEFS``. Prompt-editing axes are applied after the parameter axes,
in a fixed order that makes them combine (see ``PROMPT_STAGES``): variant (whole prompt) ->
wildcard -> prompt order -> LoRA weight -> prompt S/R. So "LoRA name x weight" works as two axes: a
``lora_weight`` axis sets ``<lora:NAME:w>``'s weight first, then a ``prompt_sr`` axis swaps NAME.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import PurePath
from typing import Any

from promptlab.errors import InvalidInputError
from promptlab.grid.values import expand_numbers, expand_strings, format_number
from promptlab.params import GenerationParams


class AxisType(enum.Enum):
    CHECKPOINT = "checkpoint"
    VAE = "vae"
    SAMPLER = "sampler"
    SCHEDULE_TYPE = "schedule_type"
    STEPS = "steps"
    CFG = "cfg"
    SEED = "seed"
    SIZE = "size"
    CLIP_SKIP = "clip_skip"
    ENSD = "ensd"
    EMPHASIS = "emphasis"
    DENOISING_STRENGTH = "denoising_strength"
    INIT_IMAGE = "init_image"
    PROMPT_SR = "prompt_sr"
    PROMPT_ORDER = "prompt_order"
    LORA_WEIGHT = "lora_weight"
    WILDCARD = "wildcard"
    VARIANT = "variant"


# Other spellings people type (A1111's UI names included); matched after lower-casing and turning
# spaces, dashes and slashes into underscores.
ALIASES = {
    "model": AxisType.CHECKPOINT, "checkpoint_name": AxisType.CHECKPOINT, "ckpt": AxisType.CHECKPOINT,
    "cfg_scale": AxisType.CFG, "scheduler": AxisType.SCHEDULE_TYPE, "schedule": AxisType.SCHEDULE_TYPE,
    "denoising": AxisType.DENOISING_STRENGTH, "denoise": AxisType.DENOISING_STRENGTH,
    "prompt_s_r": AxisType.PROMPT_SR, "sr": AxisType.PROMPT_SR, "search_replace": AxisType.PROMPT_SR,
    "lora": AxisType.LORA_WEIGHT, "variants": AxisType.VARIANT, "prompt": AxisType.VARIANT,
    "emphasis_mode": AxisType.EMPHASIS, "clipskip": AxisType.CLIP_SKIP,
    "eta_noise_seed_delta": AxisType.ENSD, "eta_noise_seed_delta_ensd": AxisType.ENSD,
    "init_images": AxisType.INIT_IMAGE, "init": AxisType.INIT_IMAGE, "img2img": AxisType.INIT_IMAGE,
}

EMPHASIS_MODES = ("Original", "No norm", "None", "comfy")
SLOW_AXES = (AxisType.CHECKPOINT, AxisType.VAE)   # loading these costs seconds: outermost in a plan
PROMPT_STAGES = (AxisType.VARIANT, AxisType.WILDCARD, AxisType.PROMPT_ORDER, AxisType.LORA_WEIGHT, AxisType.PROMPT_SR)

_MODEL_EXTS = (".safetensors", ".ckpt", ".pt", ".pth", ".bin", ".gguf", ".sft")


def parse_axis_type(name: str) -> AxisType:
    key = re.sub(r"[\s\-/]+", "_", str(name).strip().lower())
    try:
        return AxisType(key)
    except ValueError:
        pass
    if key in ALIASES:
        return ALIASES[key]
    valid = ", ".join(t.value for t in AxisType)
    raise InvalidInputError(f"Unknown axis type {name!r}. Valid axis types: {valid}.")


@dataclass(frozen=True)
class AxisValue:
    label: str
    value: Any          # hashable: str, int, float, None, tuple


@dataclass(frozen=True)
class Choices:
    """Names an axis value must be one of (None = not checked here; the backend checks at run time)."""

    samplers: tuple[str, ...] | None = None
    schedule_types: tuple[str, ...] | None = None


def _pick(name: str, valid: tuple[str, ...] | None, what: str) -> str:
    if valid is None:
        return name
    for v in valid:
        if v.lower() == name.strip().lower():
            return v
    raise InvalidInputError(f"Unknown {what} {name!r}. Valid {what}s: {', '.join(valid)}.")


SCHEDULE_SUFFIXES = ("Karras", "Exponential", "SGM Uniform", "Uniform", "Beta", "Polyexponential")


def split_schedule_suffix(name: str) -> tuple[str, str | None]:
    """Old A1111 names carry the schedule: "DPM++ 2M Karras" -> ("DPM++ 2M", "Karras")."""
    for suffix in SCHEDULE_SUFFIXES:
        if name.lower().endswith(" " + suffix.lower()):
            return name[: -len(suffix) - 1].strip(), suffix
    return name, None


def _pick_sampler(name: str, valid: tuple[str, ...] | None) -> str:
    try:
        return _pick(name, valid, "sampler")
    except InvalidInputError:
        base, suffix = split_schedule_suffix(name.strip())
        if suffix is None:
            raise
        return f"{_pick(base, valid, 'sampler')} {suffix}"   # the backends read the old combined form


def _model_label(name: str) -> str:
    path = PurePath(name.replace("\\", "/"))
    return path.stem if path.suffix.lower() in _MODEL_EXTS else path.name or name


def _numbers(raw, *, integer: bool, what: str, lo=None, hi=None) -> list[AxisValue]:
    out = []
    for d in expand_numbers(raw, integer=integer, what=what):
        if (lo is not None and d < lo) or (hi is not None and d > hi):
            bounds = f"between {lo} and {hi}" if hi is not None else f"at least {lo}"
            raise InvalidInputError(f"{what}: {format_number(d)} is out of range; values must be {bounds}.")
        out.append(AxisValue(format_number(d), int(d) if integer else float(d)))
    return out


def _size(raw, what: str) -> list[AxisValue]:
    items = expand_strings(raw, what=what) if not isinstance(raw, (int, float)) else [str(raw)]
    out = []
    for item in items:
        m = re.fullmatch(r"\s*(\d+)\s*(?:[x×*]\s*(\d+))?\s*", item, re.IGNORECASE)
        if not m:
            raise InvalidInputError(f"{what}: {item!r} is not a size; write WIDTHxHEIGHT like 512x768.")
        w, h = int(m[1]), int(m[2] or m[1])
        if w < 64 or h < 64 or w % 8 or h % 8 or w > 8192 or h > 8192:
            raise InvalidInputError(f"{what}: {w}x{h} is not usable; width and height must be multiples of 8 from 64 to 8192.")
        out.append(AxisValue(f"{w}x{h}", (w, h)))
    return out


def _texts(raw, what: str, *, none_words=()) -> list[AxisValue]:
    out = []
    for s in expand_strings(raw, what=what):
        value = None if s.strip().lower() in none_words else s
        out.append(AxisValue(s, value))
    return out


def lora_set_weight(prompt: str, weight: float, name: str | None) -> tuple[str, int]:
    """Set the weight of ``<lora:NAME:w>`` (all LoRAs when ``name`` is None); returns (text, how many).

    The tags are found by ``promptlab.syntax.a1111.extra_networks``, A1111's own parsing rules.
    """
    from promptlab.syntax.a1111 import extra_networks

    w = format_number(weight)
    out, last, count = [], 0, 0
    for net in extra_networks(prompt)[1]:
        if net.kind.lower() not in ("lora", "lyco") or (name is not None and net.name.strip() != name):
            continue
        positional = [a for a in net.args if "=" not in a]
        keyword = [a for a in net.args if "=" in a]
        # <lora:n:te:unet>: a second positional number is the UNet weight; set both to the axis value.
        positional = [w, w, *positional[2:]] if len(positional) >= 2 else [w]
        out += [prompt[last:net.start], f"<{net.kind}:{':'.join([net.name, *positional, *keyword])}>"]
        last = net.end
        count += 1
    out.append(prompt[last:])
    return "".join(out), count


def _sr(params: GenerationParams, search: str, value: str, axis_title: str) -> GenerationParams:
    if search not in params.prompt and search not in params.negative_prompt:
        raise InvalidInputError(
            f"{axis_title}: {search!r} (the first value, which is searched for) is not in the prompt or the "
            "negative prompt. Put it in the base prompt, or make the first value a text the prompt contains."
        )
    return replace(params, prompt=params.prompt.replace(search, value),
                   negative_prompt=params.negative_prompt.replace(search, value))


def _order(params: GenerationParams, items: tuple[str, ...], axis_title: str) -> GenerationParams:
    prompt, spans = params.prompt, []
    for item in sorted(set(items), key=len, reverse=True):
        start = 0
        while True:
            pos = prompt.find(item, start)
            if pos < 0:
                break
            if not any(s < pos + len(item) and pos < e for s, e, _ in spans):
                spans.append((pos, pos + len(item), item))
                break
            start = pos + 1
    found = {item for *_, item in spans}
    missing = [i for i in items if i not in found]
    if missing:
        raise InvalidInputError(f"{axis_title}: {missing[0]!r} is not in the prompt; every value must be a part of it.")
    spans.sort()
    out, last = [], 0
    for (s, e, _), item in zip(spans, items):
        out += [prompt[last:s], item]
        last = e
    out.append(prompt[last:])
    return replace(params, prompt="".join(out))


@dataclass(frozen=True)
class AxisDef:
    type: AxisType
    title: str
    parse: Callable[[Any, dict, Choices], list[AxisValue]]
    apply: Callable[[GenerationParams, AxisValue, Any], GenerationParams]   # (params, value, axis)


class _FieldSetter:
    """Apply for axes that set GenerationParams fields; ``changes`` lets a plan batch them in one replace."""

    def __init__(self, *names: str):
        self.names = names

    def changes(self, value: AxisValue) -> dict:
        if len(self.names) == 1:
            return {self.names[0]: value.value}
        return dict(zip(self.names, value.value))

    def __call__(self, p: GenerationParams, v: AxisValue, axis) -> GenerationParams:
        return replace(p, **self.changes(v))


def _field(name: str) -> _FieldSetter:
    return _FieldSetter(name)


def _parse_order(raw, opts, choices) -> list[AxisValue]:
    from itertools import permutations

    items = expand_strings(raw, what="prompt_order")
    if len(set(items)) != len(items):
        raise InvalidInputError("prompt_order: the values must be different parts of the prompt.")
    if len(items) > 8:
        raise InvalidInputError(f"prompt_order: {len(items)} items make {len(items)}! orders; use at most 8.")
    return [AxisValue(", ".join(p), tuple(p)) for p in permutations(items)]


def _parse_wildcard(raw, opts, choices) -> list[AxisValue]:
    name = opts.get("wildcard") or opts.get("name")
    if not name:
        raise InvalidInputError("wildcard axis: give the wildcard file's name, e.g. {type: wildcard, wildcard: hair_color}.")
    if raw not in (None, [], ""):
        values = expand_strings(raw, what="wildcard")
    else:
        from promptlab.wildcards import expand

        values = [e.prompt for e in expand(f"__{name}__", combinatorial=True, wildcards=opts.get("wildcards_dir"))]
    return [AxisValue(v, v) for v in values]


def _parse_variant(raw, opts, choices) -> list[AxisValue]:
    template = opts.get("template")
    if template:
        from promptlab.wildcards import expand

        values = [e.prompt for e in expand(str(template), combinatorial=True, wildcards=opts.get("wildcards_dir"))]
    else:
        values = expand_strings(raw, what="variant")
    return [AxisValue(v, v) for v in values]


def _apply_wildcard(p, v, axis):
    token = f"__{axis.options['wildcard']}__"
    if token not in p.prompt and token not in p.negative_prompt:
        raise InvalidInputError(f"wildcard axis: the prompt has no {token}; put it where each value should go.")
    return replace(p, prompt=p.prompt.replace(token, v.value), negative_prompt=p.negative_prompt.replace(token, v.value))


def _apply_variant(p, v, axis):
    target = axis.options.get("replace")
    if not target:
        return replace(p, prompt=v.value)
    return _sr(p, str(target), v.value, "variant axis")


def _parse_init_images(raw, opts, choices) -> list[AxisValue]:
    """img2img init images from files (read and checked now, so a bad file fails before any cell runs)."""
    from promptlab.init_image import InitImage

    mode, exact = opts.get("resize_mode") or "just-resize", bool(opts.get("exact_steps", False))
    return [AxisValue(PurePath(path).name, InitImage.from_path(path, resize_mode=mode, exact_steps=exact))
            for path in expand_strings(raw, what="init_image")]


def _apply_lora(p, v, axis):
    name = axis.options.get("lora")
    prompt, n = lora_set_weight(p.prompt, v.value, name)
    if n == 0:
        which = f"<lora:{name}:...>" if name else "any <lora:...>"
        raise InvalidInputError(f"lora_weight axis: the prompt has no {which}; add it to the base prompt.")
    return replace(p, prompt=prompt)


AXIS_DEFS: dict[AxisType, AxisDef] = {d.type: d for d in (
    AxisDef(AxisType.CHECKPOINT, "Checkpoint",
            lambda r, o, c: [AxisValue(_model_label(s), s) for s in expand_strings(r, what="checkpoint")],
            _field("model")),
    AxisDef(AxisType.VAE, "VAE", lambda r, o, c: _texts(r, "vae", none_words=("none", "automatic")), _field("vae")),
    AxisDef(AxisType.SAMPLER, "Sampler",
            lambda r, o, c: [AxisValue(n, n) for n in (_pick_sampler(s, c.samplers) for s in expand_strings(r, what="sampler"))],
            _field("sampler")),
    AxisDef(AxisType.SCHEDULE_TYPE, "Schedule type",
            lambda r, o, c: [AxisValue(n, None if n.lower() == "automatic" else n) for n in (
                s if s.lower() == "automatic" else _pick(s, c.schedule_types, "schedule type")
                for s in expand_strings(r, what="schedule_type"))],
            _field("schedule_type")),
    AxisDef(AxisType.STEPS, "Steps", lambda r, o, c: _numbers(r, integer=True, what="steps", lo=1, hi=1000), _field("steps")),
    AxisDef(AxisType.CFG, "CFG scale", lambda r, o, c: _numbers(r, integer=False, what="cfg", lo=0, hi=100), _field("cfg_scale")),
    AxisDef(AxisType.SEED, "Seed", lambda r, o, c: _numbers(r, integer=True, what="seed", lo=-1, hi=2**64 - 1), _field("seed")),
    AxisDef(AxisType.SIZE, "Size", lambda r, o, c: _size(r, "size"), _FieldSetter("width", "height")),
    AxisDef(AxisType.CLIP_SKIP, "Clip skip", lambda r, o, c: _numbers(r, integer=True, what="clip_skip", lo=1, hi=12), _field("clip_skip")),
    # A1111's "Eta noise seed delta" (0 = off); changes pixels only for samplers that draw extra noise
    AxisDef(AxisType.ENSD, "ENSD", lambda r, o, c: _numbers(r, integer=True, what="ensd", lo=0, hi=2**32 - 1), _field("ensd")),
    AxisDef(AxisType.EMPHASIS, "Emphasis",
            lambda r, o, c: [AxisValue(n, n) for n in (_pick(s, EMPHASIS_MODES, "emphasis mode") for s in expand_strings(r, what="emphasis"))],
            _field("emphasis")),
    AxisDef(AxisType.DENOISING_STRENGTH, "Denoising strength",
            lambda r, o, c: _numbers(r, integer=False, what="denoising_strength", lo=0, hi=1), _field("denoising_strength")),
    AxisDef(AxisType.INIT_IMAGE, "Init image", _parse_init_images, _field("init_image")),
    AxisDef(AxisType.PROMPT_SR, "Prompt S/R", lambda r, o, c: _texts(r, "prompt_sr"),
            lambda p, v, axis: _sr(p, axis.values[0].value, v.value, f"prompt_sr axis {axis.title!r}")),
    AxisDef(AxisType.PROMPT_ORDER, "Prompt order", _parse_order,
            lambda p, v, axis: _order(p, v.value, "prompt_order axis")),
    AxisDef(AxisType.LORA_WEIGHT, "LoRA weight", lambda r, o, c: _numbers(r, integer=False, what="lora_weight", lo=-20, hi=20),
            _apply_lora),
    AxisDef(AxisType.WILDCARD, "Wildcard", _parse_wildcard, _apply_wildcard),
    AxisDef(AxisType.VARIANT, "Prompt", _parse_variant, _apply_variant),
)}

# Options an axis mapping may carry besides type/values/title, per type.
AXIS_OPTIONS: dict[AxisType, tuple[str, ...]] = {
    AxisType.LORA_WEIGHT: ("lora",),
    AxisType.INIT_IMAGE: ("resize_mode", "exact_steps"),
    AxisType.WILDCARD: ("wildcard", "name", "wildcards_dir"),
    AxisType.VARIANT: ("template", "replace", "wildcards_dir"),
}

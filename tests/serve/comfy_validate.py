"""Validate an API-format workflow the way ComfyUI's ``execution.validate_prompt`` does.

Node definitions come from a real server's ``GET /object_info`` (ComfyUI 0.3.64, kept in
../shared/fixtures/comfyui/object_info.json); without that folder a small embedded subset written
for the nodes promptlab builds is used (same shapes and limits). Checked like the real server:
unknown node types, a prompt without an output node, required inputs, links (to an existing node, a
slot it has, of the declared type), INT/FLOAT conversion and min/max, combo values.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

_INT = lambda lo, hi: ["INT", {"min": lo, "max": hi}]  # noqa: E731 - a table of node definitions reads best so
_FLOAT = lambda lo, hi: ["FLOAT", {"min": lo, "max": hi}]  # noqa: E731
_METHODS = [["nearest-exact", "bilinear", "area", "bicubic", "bislerp"]]
_SAMPLERS = ["euler", "euler_ancestral", "heun", "dpm_2", "dpm_2_ancestral", "lms", "dpm_fast", "dpm_adaptive",
             "dpmpp_2s_ancestral", "dpmpp_sde", "dpmpp_2m", "dpmpp_2m_sde", "dpmpp_2m_sde_heun", "dpmpp_3m_sde",
             "ddpm", "lcm", "res_multistep", "ddim", "uni_pc", "uni_pc_bh2"]
_SCHEDULERS = ["simple", "sgm_uniform", "karras", "exponential", "ddim_uniform", "beta", "normal",
               "linear_quadratic", "kl_optimal"]
EMBEDDED: dict[str, dict[str, Any]] = {
    "CheckpointLoaderSimple": {"input": {"required": {"ckpt_name": [["tiny.safetensors"]]}},
                               "output": ["MODEL", "CLIP", "VAE"]},
    "LoraLoader": {"input": {"required": {"model": ["MODEL"], "clip": ["CLIP"], "lora_name": [["detail.safetensors"]],
                                          "strength_model": _FLOAT(-100, 100), "strength_clip": _FLOAT(-100, 100)}},
                   "output": ["MODEL", "CLIP"]},
    "CLIPSetLastLayer": {"input": {"required": {"clip": ["CLIP"], "stop_at_clip_layer": _INT(-24, -1)}},
                         "output": ["CLIP"]},
    "CLIPTextEncode": {"input": {"required": {"text": ["STRING"], "clip": ["CLIP"]}}, "output": ["CONDITIONING"]},
    "EmptyLatentImage": {"input": {"required": {"width": _INT(16, 16384), "height": _INT(16, 16384),
                                                "batch_size": _INT(1, 4096)}}, "output": ["LATENT"]},
    "KSampler": {"input": {"required": {
        "model": ["MODEL"], "seed": _INT(0, 2**64 - 1), "steps": _INT(1, 10000), "cfg": _FLOAT(0, 100),
        "sampler_name": [_SAMPLERS], "scheduler": [_SCHEDULERS], "positive": ["CONDITIONING"],
        "negative": ["CONDITIONING"], "latent_image": ["LATENT"], "denoise": _FLOAT(0, 1)}}, "output": ["LATENT"]},
    "LatentUpscale": {"input": {"required": {"samples": ["LATENT"], "upscale_method": _METHODS,
                                             "width": _INT(0, 16384), "height": _INT(0, 16384),
                                             "crop": [["disabled", "center"]]}}, "output": ["LATENT"]},
    "LatentUpscaleBy": {"input": {"required": {"samples": ["LATENT"], "upscale_method": _METHODS,
                                               "scale_by": _FLOAT(0.01, 8)}}, "output": ["LATENT"]},
    "LatentCrop": {"input": {"required": {"samples": ["LATENT"], "width": _INT(64, 16384), "height": _INT(64, 16384),
                                          "x": _INT(0, 16384), "y": _INT(0, 16384)}}, "output": ["LATENT"]},
    "VAELoader": {"input": {"required": {"vae_name": [["ft.safetensors", "pixel_space"]]}}, "output": ["VAE"]},
    "VAEDecode": {"input": {"required": {"samples": ["LATENT"], "vae": ["VAE"]}}, "output": ["IMAGE"]},
    "LoadImage": {"input": {"required": {"image": [["example.png"], {"image_upload": True}]}},
                  "output": ["IMAGE", "MASK"]},
    "VAEEncode": {"input": {"required": {"pixels": ["IMAGE"], "vae": ["VAE"]}}, "output": ["LATENT"]},
    "SaveImage": {"input": {"required": {"images": ["IMAGE"], "filename_prefix": ["STRING"]}}, "output": [],
                  "output_node": True},
}


@lru_cache(maxsize=1)
def real_object_info() -> dict[str, Any] | None:
    """The real server's node definitions, or None when ../shared is not there."""
    env = os.environ.get("PROMPTLAB_SHARED")
    root = Path(env) if env else Path(__file__).resolve().parents[3] / "shared"
    path = root / "fixtures" / "comfyui" / "object_info.json"
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def node_definitions(files: dict[tuple[str, str], list[str]] | None = None) -> dict[str, Any]:
    """object_info with the model lists replaced by the files this stand-in "has"."""
    base = real_object_info() or EMBEDDED
    defs = json.loads(json.dumps(base))   # a deep copy: tests may change model lists
    for (node, field), names in (files or {}).items():
        spec = defs[node]["input"]["required"][field]
        spec[0] = list(names)
    return defs


def _error(kind: str, message: str, details: str, input_name: str) -> dict[str, Any]:
    return {"type": kind, "message": message, "details": details, "extra_info": {"input_name": input_name}}


def _combo(spec: list) -> list | None:
    first = spec[0]
    if isinstance(first, list):
        return first
    if first == "COMBO" and len(spec) > 1:
        return list(spec[1].get("options", []))
    return None


def validate_prompt(graph: dict[str, Any], defs: dict[str, Any]) -> tuple[dict | None, dict[str, Any]]:
    """(error, node_errors) as the real server answers; (None, {}) when the prompt would be queued."""
    for node_id, node in graph.items():
        kind = node.get("class_type") if isinstance(node, dict) else None
        if kind not in defs:
            return ({"type": "invalid_prompt", "message": f"Cannot execute because node {kind} does not exist.",
                     "details": f"Node ID '#{node_id}'", "extra_info": {}}, {})
    if not any(defs[n["class_type"]].get("output_node") for n in graph.values()):
        return ({"type": "prompt_no_outputs", "message": "Prompt has no outputs", "details": "", "extra_info": {}}, {})
    node_errors: dict[str, Any] = {}
    for node_id, node in graph.items():
        errors = _node_problems(graph, node, defs)
        if errors:
            node_errors[node_id] = {"errors": errors, "dependent_outputs": [], "class_type": node["class_type"]}
    if node_errors:
        return ({"type": "prompt_outputs_failed_validation", "message": "Prompt outputs failed validation",
                 "details": "", "extra_info": {}}, node_errors)
    return None, {}


def _node_problems(graph: dict[str, Any], node: dict[str, Any], defs: dict[str, Any]) -> list[dict[str, Any]]:
    inputs = node.get("inputs", {})
    required = defs[node["class_type"]]["input"].get("required", {})
    optional = defs[node["class_type"]]["input"].get("optional", {})
    errors = []
    for name, spec in {**required, **optional}.items():
        if name not in inputs:
            if name in required:
                errors.append(_error("required_input_missing", "Required input is missing", name, name))
            continue
        value = inputs[name]
        declared = spec[0]
        if isinstance(value, list):
            errors += _link_problems(graph, name, value, declared, defs)
            continue
        choices = _combo(spec)
        if choices is not None:
            if value not in choices:
                errors.append(_error("value_not_in_list", "Value not in list",
                                     f"{name}: '{value}' not in {choices}", name))
            continue
        errors += _scalar_problems(name, value, declared, spec[1] if len(spec) > 1 else {})
    return errors


def _link_problems(graph, name, value, declared, defs) -> list[dict[str, Any]]:
    if len(value) != 2 or str(value[0]) not in graph:
        return [_error("bad_linked_input", "Bad linked input, must be a length-2 list of [node_id, slot_index]",
                       f"{name}, {value}", name)]
    source = graph[str(value[0])]["class_type"]
    outputs = defs[source].get("output", [])
    slot = value[1]
    if not isinstance(slot, int) or not 0 <= slot < len(outputs):
        return [_error("bad_linked_input", "Bad linked input", f"{name}: {source} has no output {slot}", name)]
    produced = outputs[slot]
    if isinstance(declared, str) and declared != "*" and produced != "*" and produced != declared:
        return [_error("return_type_mismatch", "Return type mismatch between linked nodes",
                       f"{name}, received_type({produced}) mismatch input_type({declared})", name)]
    return []


def _scalar_problems(name, value, declared, options) -> list[dict[str, Any]]:
    try:
        if declared == "INT":
            if isinstance(value, float) and not value.is_integer():
                raise ValueError(value)
            value = int(value)
        elif declared == "FLOAT":
            value = float(value)
        elif declared == "STRING":
            value = str(value)
        elif declared == "BOOLEAN":
            value = bool(value)
    except (TypeError, ValueError):
        return [_error("invalid_input_type", f"Failed to convert an input value to a {declared} value",
                       f"{name}, {value}", name)]
    if "min" in options and value < options["min"]:
        return [_error("value_smaller_than_min", f"Value {value} smaller than min of {options['min']}",
                       f"{name}", name)]
    if "max" in options and value > options["max"]:
        return [_error("value_bigger_than_max", f"Value {value} bigger than max of {options['max']}",
                       f"{name}", name)]
    return []

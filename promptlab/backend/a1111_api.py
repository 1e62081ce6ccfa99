"""The A1111 HTTP API's txt2img payload <-> GenerationParams, shared by the client and `promptlab serve`.

Field names are the webui's (``sampler_name``, ``scheduler``, ``n_iter``, ``enable_hr``, ``hr_scale``,
``override_settings``...). Keys that the webui accepts but promptlab does not use are ignored by the
server and never sent by the client.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from promptlab.params import GenerationParams

# payload key -> GenerationParams field, for the plain one-to-one values
_DIRECT = {
    "prompt": "prompt",
    "negative_prompt": "negative_prompt",
    "steps": "steps",
    "sampler_name": "sampler",
    "scheduler": "schedule_type",
    "cfg_scale": "cfg_scale",
    "seed": "seed",
    "subseed": "subseed",
    "subseed_strength": "subseed_strength",
    "width": "width",
    "height": "height",
    "batch_size": "batch_size",
    "n_iter": "batch_count",
    "denoising_strength": "denoising_strength",
    "eta": "eta",
    "tiling": "tiling",
    "hr_scale": "hires_upscale",
    "hr_upscaler": "hires_upscaler",
    "hr_second_pass_steps": "hires_steps",
    "hr_resize_x": "hires_resize_x",
    "hr_resize_y": "hires_resize_y",
    "hr_sampler_name": "hires_sampler",
    "hr_scheduler": "hires_schedule_type",
    "hr_cfg": "hires_cfg_scale",
    "hr_prompt": "hires_prompt",
    "hr_negative_prompt": "hires_negative_prompt",
    "hr_checkpoint_name": "hires_checkpoint",
}
# override_settings key -> GenerationParams field
_SETTINGS = {
    "sd_model_checkpoint": "model",
    "sd_vae": "vae",
    "CLIP_stop_at_last_layers": "clip_skip",
    "emphasis": "emphasis",
    "eta_noise_seed_delta": "ensd",   # A1111's setting behind the "ENSD" infotext key
    "randn_source": "rng",            # ... and behind "RNG" (GPU / CPU / NV)
}


def model_key(name: str) -> str:
    """Compare model names the way users write them: ``sub/model.safetensors [abc123]`` == ``model``."""
    name = name.split(" [", 1)[0].replace("\\", "/").rsplit("/", 1)[-1]
    stem, dot, ext = name.rpartition(".")
    return (stem if dot and ext.lower() in ("safetensors", "ckpt", "pt", "pth", "bin") else name).lower()


def match_model_name(name: str, known: list[str]) -> str | None:
    """The entry of a server's model list that ``name`` means: exact first, then by ``model_key``."""
    if name in known:
        return name
    key = model_key(name)
    return next((k for k in known if model_key(k) == key), None)


def hires_enabled(params: GenerationParams) -> bool:
    return bool(params.hires_upscale or params.hires_resize_x or params.hires_resize_y)


def payload_from_params(params: GenerationParams, *, include_model: bool = True) -> dict[str, Any]:
    """A txt2img request body for the webui (``send_images`` on, nothing saved on the server)."""
    body: dict[str, Any] = {"send_images": True, "save_images": False}
    for key, name in _DIRECT.items():
        value = getattr(params, name)
        if value is not None and (not key.startswith("hr_") or hires_enabled(params)):
            body[key] = value
    if hires_enabled(params):
        body["enable_hr"] = True
        body.setdefault("hr_scale", 1.0 if params.hires_upscale is None else params.hires_upscale)
    overrides = {}
    for key, name in _SETTINGS.items():
        value = getattr(params, name)
        if value is None or (name == "model" and not include_model):
            continue
        overrides[key] = value
    if overrides:
        body["override_settings"] = overrides
        body["override_settings_restore_afterwards"] = False
    return body


def params_from_payload(body: dict[str, Any]) -> GenerationParams:
    """The GenerationParams a txt2img request asks for (unknown keys ignored, A1111 defaults kept)."""
    changes: dict[str, Any] = {}
    for key, name in _DIRECT.items():
        if body.get(key) is not None:
            changes[name] = body[key]
    if not body.get("enable_hr"):
        for key, name in _DIRECT.items():
            if key.startswith("hr_"):
                changes.pop(name, None)
    elif "hires_upscale" not in changes and "hires_resize_x" not in changes:
        changes["hires_upscale"] = 2.0   # the webui's default hr_scale
    settings = body.get("override_settings") or {}
    for key, name in _SETTINGS.items():
        if settings.get(key) is not None:
            changes[name] = settings[key]
    if changes.get("schedule_type") in ("", "Automatic"):
        changes["schedule_type"] = None
    return replace(GenerationParams(), **changes)

"""Build ComfyUI API-format txt2img workflows from GenerationParams (A1111 semantics where ComfyUI has them).

The graph: CheckpointLoaderSimple -> LoraLoader per ``<lora:name:te[:unet]>`` -> CLIPSetLastLayer (clip
skip) -> two CLIPTextEncode (prompt converted from A1111 syntax to ComfyUI's by promptlab.syntax) ->
EmptyLatentImage -> KSampler -> [LatentUpscaleBy + second KSampler for hires fix] -> [VAELoader] ->
VAEDecode -> SaveImage.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from promptlab.backend.a1111_api import match_model_name
from promptlab.errors import InvalidInputError
from promptlab.params import GenerationParams

# A1111 sampler name -> ComfyUI KSampler sampler_name
SAMPLERS = {
    "Euler a": "euler_ancestral",
    "Euler": "euler",
    "LMS": "lms",
    "Heun": "heun",
    "DPM2": "dpm_2",
    "DPM2 a": "dpm_2_ancestral",
    "DPM++ 2S a": "dpmpp_2s_ancestral",
    "DPM++ 2M": "dpmpp_2m",
    "DPM++ SDE": "dpmpp_sde",
    "DPM++ 2M SDE": "dpmpp_2m_sde",
    "DPM++ 3M SDE": "dpmpp_3m_sde",
    "DPM fast": "dpm_fast",
    "DPM adaptive": "dpm_adaptive",
    "DDIM": "ddim",
    "UniPC": "uni_pc",
    "LCM": "lcm",
}
# A1111's "Restart" has no ComfyUI sampler (res_multistep is a different method): not offered.
# A1111 schedule type -> ComfyUI scheduler ("Automatic" is resolved per sampler first, as A1111 1.9+ does)
SCHEDULERS = {
    "Uniform": "normal",
    "Normal": "normal",
    "Karras": "karras",
    "Exponential": "exponential",
    "SGM Uniform": "sgm_uniform",
    "Simple": "simple",
    "DDIM": "ddim_uniform",
    "Beta": "beta",
    "KL Optimal": "kl_optimal",
}
# A1111's legacy "DPM++ 2M Karras" style names
_LEGACY_SUFFIXES = {" Karras": "Karras", " Exponential": "Exponential"}
# A1111's "Latent" is bilinear without antialias (modules/shared_items latent_upscale_modes), as ComfyUI's bilinear
HIRES_UPSCALERS = {None: "bilinear", "Latent": "bilinear", "Latent (nearest-exact)": "nearest-exact",
                   "Latent (bilinear)": "bilinear", "Latent (bicubic)": "bicubic", "Latent (area)": "area",
                   "Latent (bislerp)": "bislerp"}


@dataclass(frozen=True)
class Workflow:
    graph: dict[str, Any]
    output_node: str
    warnings: tuple[str, ...]


def sampler_and_scheduler(sampler: str, schedule_type: str | None) -> tuple[str, str]:
    from promptlab.replay.mapping import automatic_schedule

    for suffix, schedule in _LEGACY_SUFFIXES.items():
        if sampler.endswith(suffix) and sampler[: -len(suffix)] in SAMPLERS:
            sampler, schedule_type = sampler[: -len(suffix)], schedule_type or schedule
    if schedule_type in (None, "", "Automatic"):
        schedule_type = automatic_schedule(sampler)
    if sampler not in SAMPLERS:
        raise InvalidInputError(
            f"ComfyUI has no sampler for {sampler!r}. Supported: {', '.join(SAMPLERS)}."
        )
    if schedule_type not in SCHEDULERS:
        raise InvalidInputError(
            f"ComfyUI has no scheduler for schedule type {schedule_type!r}. "
            f"Supported: Automatic, {', '.join(SCHEDULERS)}."
        )
    return SAMPLERS[sampler], SCHEDULERS[schedule_type]


def _lora_file(name: str, known: list[str] | None) -> str:
    if not known:
        return name if "." in name.rsplit("/", 1)[-1] else f"{name}.safetensors"
    match = match_model_name(name, known)
    if match is not None:
        return match
    raise InvalidInputError(f"The ComfyUI server has no LoRA {name!r}. It has: {', '.join(known[:30])}.")


def unsupported_fields(params: GenerationParams) -> list[str]:
    """The settings of ``params`` this workflow cannot honour (hires prompt, eta, ENSD, tiling, ...)."""
    from dataclasses import fields

    from promptlab.replay.capabilities import UNSUPPORTED

    defaults = GenerationParams()
    return [f.name for f in fields(GenerationParams) if f.name in UNSUPPORTED["comfyui"]
            and getattr(params, f.name) not in (None, getattr(defaults, f.name))
            and not (f.name == "rng" and params.rng == "CPU")]   # ComfyUI's noise is CPU noise


def vae_file(name: str | None, known: list[str] | None) -> str | None:
    """The server's VAE file for an A1111 VAE name; None for the checkpoint's own ("Automatic", "None")."""
    if name is None or name in ("Automatic", "None", ""):
        return None
    if not known:
        return name
    match = match_model_name(name, known)
    if match is not None:
        return match
    raise InvalidInputError(f"The ComfyUI server has no VAE {name!r}. It has: {', '.join(known[:30]) or 'none'}.")


def build_txt2img(
    params: GenerationParams,
    *,
    checkpoint: str,
    seed: int,
    loras_available: list[str] | None = None,
    vaes_available: list[str] | None = None,
    filename_prefix: str = "promptlab",
    init_image_name: str | None = None,
) -> Workflow:
    from promptlab import syntax
    from promptlab.backend.a1111_api import hires_enabled

    warnings: list[str] = []
    sampler, scheduler = sampler_and_scheduler(params.sampler, params.schedule_type)
    positive_text, networks = syntax.extra_networks(params.prompt)
    negative_text, negative_networks = syntax.extra_networks(params.negative_prompt)
    if negative_networks:
        warnings.append("LoRA tags in the negative prompt are ignored (A1111 ignores them too).")
    converted = syntax.convert(positive_text, src="a1111", dst="comfy")
    converted_negative = syntax.convert(negative_text, src="a1111", dst="comfy")
    warnings.extend(converted.warnings + converted.losses + converted_negative.losses)
    warnings.extend(f"{name} is not supported on ComfyUI and was left out." for name in unsupported_fields(params))

    graph: dict[str, Any] = {}
    graph["1"] = {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": checkpoint}}
    model, clip, vae = ["1", 0], ["1", 1], ["1", 2]
    next_id = 10
    for network in networks:
        if network.kind not in ("lora", "lyco"):
            warnings.append(f"<{network.kind}:{network.name}> is not supported on ComfyUI and was left out.")
            continue
        try:
            te = float(network.args[0]) if network.args else 1.0
            unet = float(network.args[1]) if len(network.args) > 1 else te
        except ValueError:
            raise InvalidInputError(f"<lora:{network.name}:...> has a weight that is not a number.") from None
        node = str(next_id)
        next_id += 1
        graph[node] = {
            "class_type": "LoraLoader",
            "inputs": {"lora_name": _lora_file(network.name, loras_available), "strength_model": unet,
                       "strength_clip": te, "model": model, "clip": clip},
        }
        model, clip = [node, 0], [node, 1]
    if params.clip_skip > 1:
        graph["2"] = {"class_type": "CLIPSetLastLayer", "inputs": {"stop_at_clip_layer": -params.clip_skip, "clip": clip}}
        clip = ["2", 0]
    graph["3"] = {"class_type": "CLIPTextEncode", "inputs": {"text": converted.text, "clip": clip}}
    graph["4"] = {"class_type": "CLIPTextEncode", "inputs": {"text": converted_negative.text, "clip": clip}}
    start, steps, denoise = ["5", 0], params.steps, 1.0
    if init_image_name is None:
        graph["5"] = {"class_type": "EmptyLatentImage",
                      "inputs": {"width": params.width, "height": params.height, "batch_size": 1}}
    else:   # img2img: the uploaded image, encoded with the VAE that also decodes (promptlab.backend.comfyui_img2img)
        from promptlab.backend import comfyui_img2img

        own_vae = vae_file(params.vae, vaes_available) is not None
        start = comfyui_img2img.add_nodes(graph, params, init_image_name, ["9", 0] if own_vae else vae)
        steps, denoise = comfyui_img2img.sampler_steps(params)
    graph["6"] = {
        "class_type": "KSampler",
        "inputs": {"seed": seed, "steps": steps, "cfg": params.cfg_scale, "sampler_name": sampler,
                   "scheduler": scheduler, "denoise": denoise, "model": model, "positive": ["3", 0],
                   "negative": ["4", 0], "latent_image": start},
    }
    latent = ["6", 0]
    if hires_enabled(params) and init_image_name is None:
        from promptlab.replay.hires_size import hires_target

        method = HIRES_UPSCALERS.get(params.hires_upscaler)
        if method is None:
            raise InvalidInputError(
                f"Hires upscaler {params.hires_upscaler!r} is not available on ComfyUI through promptlab; "
                f"use a latent upscaler: {', '.join(k for k in HIRES_UPSCALERS if k)}.")
        target = hires_target(params.width, params.height, params.hires_upscale, params.hires_resize_x,
                              params.hires_resize_y)
        # A1111's size rule (a 0 side follows the aspect ratio; another ratio covers, then crops)
        graph["7"] = {"class_type": "LatentUpscale", "inputs": {
            "upscale_method": method, "width": target.width, "height": target.height, "crop": "disabled",
            "samples": latent}}
        upscaled = ["7", 0]
        if target.crop_x or target.crop_y:
            final_w, final_h = target.final_size
            graph["19"] = {"class_type": "LatentCrop", "inputs": {
                "width": final_w, "height": final_h, "x": target.crop_x // 2 * 8, "y": target.crop_y // 2 * 8,
                "samples": upscaled}}
            upscaled = ["19", 0]
        hr_sampler, hr_scheduler = sampler_and_scheduler(
            params.hires_sampler or params.sampler, params.hires_schedule_type or params.schedule_type)
        graph["8"] = {
            "class_type": "KSampler",
            "inputs": {"seed": seed, "steps": params.hires_steps or params.steps,
                       "cfg": params.hires_cfg_scale or params.cfg_scale, "sampler_name": hr_sampler,
                       "scheduler": hr_scheduler,
                       "denoise": 0.7 if params.denoising_strength is None else params.denoising_strength,
                       "model": model, "positive": ["3", 0], "negative": ["4", 0], "latent_image": upscaled},
        }
        latent = ["8", 0]
    vae_name = vae_file(params.vae, vaes_available)
    if vae_name is not None:
        graph["9"] = {"class_type": "VAELoader", "inputs": {"vae_name": vae_name}}
        vae = ["9", 0]
    graph["20"] = {"class_type": "VAEDecode", "inputs": {"samples": latent, "vae": vae}}
    graph["21"] = {"class_type": "SaveImage", "inputs": {"filename_prefix": filename_prefix, "images": ["20", 0]}}
    return Workflow(graph=graph, output_node="21", warnings=tuple(dict.fromkeys(warnings)))

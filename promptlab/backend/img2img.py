"""img2img on the local diffusers backend, with A1111's step arithmetic.

A1111 (``sd_samplers_common.setup_img2img_steps`` + ``sample_img2img``) builds a schedule of ``steps``
and samples its last ``t_enc + 1`` steps, ``t_enc = int(min(strength, 0.999) * steps)``; with "do
exactly the steps" (``img2img_fix_steps``) it builds ``int(steps / min(strength, 0.999))`` and samples
``steps``. diffusers' img2img pipelines sample the last ``int(num_inference_steps * strength)`` steps of
a schedule of ``num_inference_steps``, so ``Img2ImgPlan.strength`` is the value that makes diffusers
pick exactly A1111's slice; the noise is added at that slice's first sigma, as A1111's
``x + noise * sigma_sched[0]``.

The starting noise comes from the seed exactly as in txt2img (a fresh CPU generator per image, drawn
first); the image is encoded with the VAE posterior's mean (A1111 samples it with an unseeded RNG, so
the mean is the deterministic equivalent). Everything runs through the same per-call pipeline as
txt2img: the scheduler built from the A1111 sampler name, prompt embeddings with their schedule
callbacks, clip skip, LoRAs, the AND wrapper, a chosen VAE.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from promptlab.init_image import InitImage, Img2ImgError, ResizeMode, check_denoise, resize_image

MAX_SCHEDULE = 1000  # diffusers refuses more inference steps than training timesteps


@dataclass(frozen=True)
class Img2ImgPlan:
    init: InitImage
    denoise: float
    schedule_steps: int   # length of the schedule (diffusers' num_inference_steps)
    run_steps: int        # steps actually sampled (its last ones)

    @property
    def strength(self) -> float:
        """diffusers' ``strength``: ``int(schedule_steps * strength) == run_steps`` (the +0.5 keeps
        float rounding from dropping a step)."""
        return min(1.0, (self.run_steps + 0.5) / self.schedule_steps)


def plan_img2img(params: Any) -> Img2ImgPlan | None:
    """None without an init image; otherwise A1111's step counts for ``params``."""
    init = params.init_image
    if init is None:
        return None
    if params.hires_upscale or params.hires_resize_x or params.hires_resize_y:
        raise Img2ImgError("img2img.err.hires")
    denoise = check_denoise(params.denoising_strength)
    steps, run_steps = a1111_steps(int(params.steps), denoise, init.exact_steps)
    return Img2ImgPlan(init, denoise, steps, run_steps)


def a1111_steps(steps: int, denoise: float, exact: bool) -> tuple[int, int]:
    """(schedule length, steps sampled) as A1111 computes them."""
    strength = min(denoise, 0.999)
    if exact and denoise > 0:
        return min(MAX_SCHEDULE, int(steps / strength)), steps
    # strength 0 in "exact" mode would make A1111 build an empty schedule; the plain rule (one step at
    # the lowest noise level) is what a user asking for "no change" means
    return steps, int(strength * steps) + 1


def init_latents(pipe: Any, init: InitImage, width: int, height: int) -> Any:
    """The init image fitted to ``width`` x ``height`` (A1111's resize modes) and VAE-encoded (scaled)."""
    import numpy as np
    import torch

    image = init.decode()
    if init.resize_mode is not ResizeMode.LATENT_UPSCALE:
        image = resize_image(init.resize_mode, image, width, height)
    pixels = torch.from_numpy(np.asarray(image, dtype=np.float32) / 127.5 - 1.0).permute(2, 0, 1)[None]
    latents = encode(pipe.vae, pixels)
    if init.resize_mode is ResizeMode.LATENT_UPSCALE:
        # A1111: encode at the image's own size, then resize the latents bilinearly
        latents = torch.nn.functional.interpolate(latents, size=(height // 8, width // 8), mode="bilinear")
    return latents


def encode(vae: Any, pixels: Any) -> Any:
    """VAE posterior mean, scaled as the UNet expects (SDXL's fp16 VAE is upcast as diffusers does)."""
    import torch

    upcast = vae.dtype == torch.float16 and bool(getattr(vae.config, "force_upcast", False))
    with torch.no_grad():
        if upcast:
            vae.to(dtype=torch.float32)
        try:
            dist = vae.encode(pixels.to(device=vae.device, dtype=vae.dtype)).latent_dist
            latents = dist.mean
        finally:
            if upcast:
                vae.to(dtype=torch.float16)
    config = vae.config
    mean, std = getattr(config, "latents_mean", None), getattr(config, "latents_std", None)
    if mean is not None and std is not None:
        mean_t = torch.tensor(mean).view(1, -1, 1, 1).to(latents)
        std_t = torch.tensor(std).view(1, -1, 1, 1).to(latents)
        return (latents - mean_t) * config.scaling_factor / std_t
    return latents * config.scaling_factor


def run_img2img(call_pipe: Any, sdxl: bool, plan: Img2ImgPlan, params: Any, latents: Any, generators: list,
                ancestral_seeds: list[int] | None, pipeline_kwargs: dict, extra: dict) -> list:
    """Sample ``plan`` from ``latents`` on a pipeline derived from ``call_pipe`` (its scheduler, UNet, VAE)."""
    from diffusers import StableDiffusionImg2ImgPipeline, StableDiffusionXLImg2ImgPipeline

    from promptlab.backend.diffusers_backend import derive_pipeline

    cls = StableDiffusionXLImg2ImgPipeline if sdxl else StableDiffusionImg2ImgPipeline
    pipe = derive_pipeline(cls, call_pipe)
    if ancestral_seeds is not None:
        _reseed_after_start_noise(pipe, generators, ancestral_seeds)
    out = pipe(
        **pipeline_kwargs,
        image=latents.repeat(params.batch_size, 1, 1, 1).to(call_pipe.unet.device, dtype=call_pipe.unet.dtype),
        strength=plan.strength, num_inference_steps=plan.schedule_steps, guidance_scale=params.cfg_scale,
        num_images_per_prompt=params.batch_size, generator=generators, output_type="pil", **extra,
    )
    return out.images


def _reseed_after_start_noise(pipe: Any, generators: list, seeds: list[int]) -> None:
    """A1111's ENSD: the starting noise from the seed, the ancestral noise from seed + ENSD. The pipeline
    draws both from ``generator``, so reseed it right after the starting noise is drawn (this pipeline
    object is built for this call only)."""
    prepare = pipe.prepare_latents

    def prepare_then_reseed(*args: Any, **kwargs: Any) -> Any:
        out = prepare(*args, **kwargs)
        for generator, seed in zip(generators, seeds, strict=True):
            generator.manual_seed(seed)
        return out

    pipe.prepare_latents = prepare_then_reseed

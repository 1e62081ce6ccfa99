"""Hires fix: A1111's second pass (upscale, then img2img with a denoising strength)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from promptlab.errors import InvalidInputError

# A1111 latent upscaler names -> torch.nn.functional.interpolate arguments
LATENT_UPSCALERS = {
    "Latent": {"mode": "bilinear", "antialias": False},
    "Latent (antialiased)": {"mode": "bilinear", "antialias": True},
    "Latent (bicubic)": {"mode": "bicubic", "antialias": False},
    "Latent (bicubic antialiased)": {"mode": "bicubic", "antialias": True},
    "Latent (nearest)": {"mode": "nearest", "antialias": False},
    "Latent (nearest-exact)": {"mode": "nearest-exact", "antialias": False},
}
# image-space upscalers available without extra models
IMAGE_UPSCALERS = ("None", "Lanczos", "Nearest")
UPSCALERS = tuple(LATENT_UPSCALERS) + IMAGE_UPSCALERS
DEFAULT_UPSCALER = "Latent"
DEFAULT_DENOISE = 0.7


@dataclass(frozen=True)
class HiresPlan:
    width: int
    height: int
    upscaler: str
    steps: int
    denoise: float

    @property
    def call_steps(self) -> int:
        """``num_inference_steps`` for diffusers' img2img: ``steps``, raised so that at least one step runs."""
        import math

        return self.steps if int(self.steps * self.denoise) >= 1 else math.ceil(1 / self.denoise)

    @property
    def run_steps(self) -> int:
        """Steps the second pass actually runs (diffusers and A1111: int(steps * denoise))."""
        return int(self.call_steps * self.denoise)

    @property
    def in_latent_space(self) -> bool:
        return self.upscaler in LATENT_UPSCALERS


def plan_hires(params: Any) -> HiresPlan | None:
    """None when hires fix is off (no "Hires upscale" and no "Hires resize")."""
    scale = params.hires_upscale
    resize = params.hires_resize_x or params.hires_resize_y
    if not scale and not resize:
        return None
    if resize:
        width = params.hires_resize_x or int(params.width * params.hires_resize_y / params.height)
        height = params.hires_resize_y or int(params.height * params.hires_resize_x / params.width)
    else:
        if scale <= 0 or scale > 8:
            raise InvalidInputError(f"Hires upscale {scale} is out of range; use a factor between 1 and 8.")
        width, height = int(params.width * scale), int(params.height * scale)
    width, height = width - width % 8, height - height % 8
    upscaler = params.hires_upscaler or DEFAULT_UPSCALER
    if upscaler not in UPSCALERS:
        raise InvalidInputError(
            f"Hires upscaler {upscaler!r} is not available locally. Supported: {', '.join(UPSCALERS)} "
            "(model upscalers such as ESRGAN are not bundled)."
        )
    denoise = DEFAULT_DENOISE if params.denoising_strength is None else float(params.denoising_strength)
    if not 0.0 < denoise <= 1.0:
        raise InvalidInputError(f"Denoising strength {denoise} must be in (0, 1].")
    steps = params.hires_steps or params.steps
    return HiresPlan(width, height, upscaler, int(steps), denoise)


def upscale_latents(latents: Any, plan: HiresPlan) -> Any:
    import torch.nn.functional as F

    options = LATENT_UPSCALERS[plan.upscaler]
    size = (plan.height // 8, plan.width // 8)
    kwargs = {"antialias": True} if options["antialias"] else {}
    return F.interpolate(latents, size=size, mode=options["mode"], **kwargs)


def upscale_images(images: list, plan: HiresPlan) -> list:
    from PIL import Image

    method = Image.NEAREST if plan.upscaler == "Nearest" else Image.LANCZOS
    return [img.resize((plan.width, plan.height), method) for img in images]

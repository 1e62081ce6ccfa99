"""Hires fix: A1111's second pass (upscale, then img2img with a denoising strength).

The upscaler is any name ``promptlab.upscale`` knows: latent ones upscale the first pass's latents;
``None`` / ``Lanczos`` / ``Nearest`` and model upscalers (``R-ESRGAN 4x+``, ``4x-UltraSharp``) work
on the decoded image, as A1111 does: decode -> upscale to the target size -> encode -> img2img.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from promptlab.backend.img2img import a1111_steps
from promptlab.errors import InvalidInputError
from promptlab.upscale.names import IMAGE_UPSCALERS, LATENT_UPSCALERS, UpscalerKind, resolve_upscaler

# the names that need no model file (a dropdown's fixed part; model names come from list_upscalers)
UPSCALERS = tuple(LATENT_UPSCALERS) + IMAGE_UPSCALERS
DEFAULT_UPSCALER = "Latent"
DEFAULT_DENOISE = 0.7


@dataclass(frozen=True)
class HiresPlan:
    width: int              # the size of the second pass (after A1111's crop, when there is one)
    height: int
    upscaler: str
    steps: int
    denoise: float
    upscale_width: int = 0  # what the first pass is upscaled to before that crop (0: width/height)
    upscale_height: int = 0

    # A1111's hires pass passes its steps explicitly (``steps=hr_second_pass_steps or steps``), so
    # ``setup_img2img_steps`` takes the "exact steps" rule: a schedule of int(steps / min(denoise, 0.999))
    # of which the last ``steps`` are sampled (20 steps at denoise 0.5: 20 of a 40-step schedule)
    @property
    def schedule_steps(self) -> int:
        """Length of the second pass's schedule (diffusers' ``num_inference_steps``)."""
        return a1111_steps(self.steps, self.denoise, exact=True)[0]

    @property
    def run_steps(self) -> int:
        """Steps the second pass samples: the last ``steps`` of the schedule, as A1111."""
        return a1111_steps(self.steps, self.denoise, exact=True)[1]

    @property
    def strength(self) -> float:
        """diffusers' ``strength`` that samples exactly the last ``run_steps`` of ``schedule_steps``
        (the +0.5 keeps float rounding in ``int(schedule * strength)`` from dropping a step)."""
        return min(1.0, (self.run_steps + 0.5) / self.schedule_steps)

    @property
    def in_latent_space(self) -> bool:
        return self.upscaler in LATENT_UPSCALERS


def plan_hires(params: Any, roots: Any = None) -> HiresPlan | None:
    """None when hires fix is off (no "Hires upscale" and no "Hires resize").

    A model upscaler's name is resolved under ``roots`` (a ``ModelRoots``) here, before anything
    runs, so a missing file is reported up front with where to put it."""
    scale = params.hires_upscale
    resize = params.hires_resize_x or params.hires_resize_y
    if not scale and not resize:
        return None
    if not resize and (scale <= 0 or scale > 8):
        raise InvalidInputError(f"Hires upscale {scale} is out of range; use a factor between 1 and 8.")
    from promptlab.replay.hires_size import hires_target

    # A1111's rule: "Wx0"/"0xH" keeps the aspect ratio; another ratio covers the size, then crops
    target = hires_target(params.width, params.height, None if resize else scale, params.hires_resize_x,
                          params.hires_resize_y)
    up_w, up_h = target.width - target.width % 8, target.height - target.height % 8
    width, height = up_w - target.crop_x * 8, up_h - target.crop_y * 8
    upscaler = resolve_upscaler(params.hires_upscaler or DEFAULT_UPSCALER, roots).name
    denoise = DEFAULT_DENOISE if params.denoising_strength is None else float(params.denoising_strength)
    if not 0.0 < denoise <= 1.0:
        raise InvalidInputError(f"Denoising strength {denoise} must be in (0, 1].")
    steps = params.hires_steps or params.steps
    return HiresPlan(width, height, upscaler, int(steps), denoise, up_w, up_h)


def upscale_latents(latents: Any, plan: HiresPlan) -> Any:
    import torch.nn.functional as F

    options = LATENT_UPSCALERS[plan.upscaler]
    up_w, up_h = plan.upscale_width or plan.width, plan.upscale_height or plan.height
    size = (up_h // 8, up_w // 8)
    kwargs = {"antialias": True} if options["antialias"] else {}
    latents = F.interpolate(latents, size=size, mode=options["mode"], **kwargs)
    crop_x, crop_y = (up_w - plan.width) // 8, (up_h - plan.height) // 8
    if crop_x or crop_y:   # A1111's truncate_x/y: half (rounded down) from the left/top
        latents = latents[:, :, crop_y // 2: size[0] - (crop_y + 1) // 2, crop_x // 2: size[1] - (crop_x + 1) // 2]
    return latents


def upscale_images(images: list, plan: HiresPlan, roots: Any = None, *, device: str = "auto") -> list:
    """Decoded first-pass images to the hires size: A1111's ``images.resize_image`` with the upscaler."""
    from promptlab.upscale.core import upscale_to
    from promptlab.upscale.load import load_upscaler

    upscaler = resolve_upscaler(plan.upscaler, roots)
    loaded = None
    if upscaler.kind is UpscalerKind.MODEL:
        # loaded per call: a hires pass costs far more than loading an upscaler of a few dozen MB
        loaded = load_upscaler(upscaler.path, name=upscaler.name, device=device)
    up_w, up_h = plan.upscale_width or plan.width, plan.upscale_height or plan.height
    crop_x, crop_y = (up_w - plan.width) // 8, (up_h - plan.height) // 8
    out = []
    for img in images:
        big = upscale_to(img, upscaler, up_w, up_h, loaded=loaded)
        if crop_x or crop_y:  # the same crop as upscale_latents, in pixels
            left, top = crop_x // 2 * 8, crop_y // 2 * 8
            big = big.crop((left, top, left + plan.width, top + plan.height))
        out.append(big)
    return out

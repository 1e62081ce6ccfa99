"""Upscale a PIL image with any upscaler name, the way A1111's ``Upscaler.upscale`` does.

A1111 runs the upscaler up to three times until the image reaches the target (a 4x model reaches
8x in two passes), stops early when a pass does not change the size (1x models, ``None``), then
resizes to the target with LANCZOS. The target of "upscale by F" is ``F * size`` rounded down to a
multiple of 8 (A1111 does this too); hires fix asks for an exact size (``upscale_to``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from promptlab.upscale.errors import UpscaleInputError
from promptlab.upscale.load import LoadedUpscaler
from promptlab.upscale.names import Upscaler, UpscalerKind
from promptlab.upscale.tiling import TileSettings, upscale_tiled

# A1111's Extras slider runs 1..8; beyond that a model upscaler only multiplies its artefacts
MIN_SCALE, MAX_SCALE = 1.0, 8.0
MAX_PASSES = 3
# the largest side we write: a 16384² RGB image is 805 MB in memory before PNG encoding
MAX_OUTPUT_SIDE = 16384


def check_scale(scale: float) -> float:
    import math

    value = float(scale)
    if not math.isfinite(value) or not MIN_SCALE <= value <= MAX_SCALE:
        raise UpscaleInputError("upscale.err_scale", scale=scale, low=MIN_SCALE, high=MAX_SCALE)
    return value


def target_size(width: int, height: int, scale: float) -> tuple[int, int]:
    """A1111's target for "upscale by": the scaled size rounded down to a multiple of 8."""
    return int((width * scale) // 8 * 8), int((height * scale) // 8 * 8)


def check_output_size(width: int, height: int) -> None:
    if width < 8 or height < 8 or width > MAX_OUTPUT_SIDE or height > MAX_OUTPUT_SIDE:
        raise UpscaleInputError("upscale.err_output_size", size=f"{width}x{height}", side=MAX_OUTPUT_SIDE)


def model_runner(loaded: LoadedUpscaler) -> Callable[[np.ndarray], np.ndarray]:
    """A tile function for ``upscale_tiled``: float HxWx3 in, float (H*s)x(W*s)x3 out."""
    import torch

    dtype = torch.float16 if loaded.half else torch.float32

    def run(tile: np.ndarray) -> np.ndarray:
        tensor = torch.from_numpy(np.ascontiguousarray(tile.transpose(2, 0, 1)))[None]
        with torch.inference_mode():
            out = loaded.model(tensor.to(loaded.device, dtype=dtype))
        return out[0].float().cpu().numpy().transpose(1, 2, 0)

    return run


def _one_pass(image: Any, upscaler: Upscaler, loaded: LoadedUpscaler | None, scale: float,
              tiles: TileSettings, on_tile: Callable[[int, int], None] | None) -> Any:
    from PIL import Image

    if upscaler.kind is UpscalerKind.IMAGE:
        if upscaler.name == "None":
            return image
        method = Image.NEAREST if upscaler.name == "Nearest" else Image.LANCZOS
        return image.resize((int(image.width * scale), int(image.height * scale)), method)
    if loaded is None:
        raise UpscaleInputError("upscale.err_not_loaded", name=upscaler.name)
    from spandrel import ModelTiling

    # models that tile themselves, or that tiling would harm, get the whole image
    settings = tiles if loaded.model.tiling is ModelTiling.SUPPORTED else TileSettings(0, 0)
    pixels = np.asarray(image.convert("RGB"))
    return Image.fromarray(upscale_tiled(pixels, model_runner(loaded), settings, on_tile=on_tile), "RGB")


def upscale_by(image: Any, upscaler: Upscaler, scale: float, *, loaded: LoadedUpscaler | None = None,
               tiles: TileSettings = TileSettings(), on_tile: Callable[[int, int], None] | None = None) -> Any:
    """Extras' "Scale by": A1111's passes, then LANCZOS to ``target_size``."""
    from PIL import Image

    if upscaler.kind is UpscalerKind.LATENT:
        raise UpscaleInputError("upscale.err_latent_here", name=upscaler.name)
    scale = check_scale(scale)
    dest_w, dest_h = target_size(image.width, image.height, scale)
    check_output_size(dest_w, dest_h)
    image = image.convert("RGB")
    for _ in range(MAX_PASSES):
        before = image.size
        image = _one_pass(image, upscaler, loaded, scale, tiles, on_tile)
        if image.size == before or (image.width >= dest_w and image.height >= dest_h):
            break
    if image.size != (dest_w, dest_h):
        image = image.resize((dest_w, dest_h), Image.LANCZOS)
    return image


def upscale_to(image: Any, upscaler: Upscaler, width: int, height: int, *, loaded: LoadedUpscaler | None = None,
               tiles: TileSettings = TileSettings(), on_tile: Callable[[int, int], None] | None = None) -> Any:
    """Exactly ``width`` x ``height`` (A1111's ``images.resize_image`` mode 0, used by hires fix):
    upscale by the larger ratio when it is above 1, then LANCZOS to the exact size."""
    from PIL import Image

    check_output_size(width, height)
    image = image.convert("RGB")
    ratio = max(width / image.width, height / image.height)
    if upscaler.name != "None" and ratio > 1.0:
        image = upscale_by(image, upscaler, min(ratio, MAX_SCALE), loaded=loaded, tiles=tiles, on_tile=on_tile)
    if image.size != (width, height):
        image = image.resize((width, height), Image.LANCZOS)
    return image

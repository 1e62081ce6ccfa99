"""Tiled model inference with A1111's grid: the same tile positions and the same blend.

A1111 (``modules/upscaler_utils.upscale_with_model`` with ``images.split_grid`` /
``combine_grid``) cuts the image into ``tile``-sized squares that overlap by at least ``overlap``
pixels, spread evenly so the last one ends at the edge, runs the model on each, and pastes the
results back row by row: each tile's first ``overlap * scale`` output columns fade in linearly over
what is already there, and each row's first ``overlap * scale`` output lines fade in over the row
above. Memory is bounded by one row of tiles plus the output image.

Two deliberate differences: the tile is clamped to the image (A1111 pads a small image's tile with
black, which darkens its edges), and the blend runs in float instead of 8-bit steps.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

# A1111's defaults: Settings > Upscaling > "Tile size for ESRGAN upscalers" / "Tile overlap"
DEFAULT_TILE = 192
DEFAULT_OVERLAP = 8

TileFn = Callable[[np.ndarray], np.ndarray]  # float32 HxWx3 in [0, 1] -> float32 (H*s)x(W*s)x3


@dataclass(frozen=True)
class TileSettings:
    """``tile`` 0 = no tiling (the whole image in one model call)."""

    tile: int = DEFAULT_TILE
    overlap: int = DEFAULT_OVERLAP

    def __post_init__(self) -> None:
        from promptlab.upscale.errors import UpscaleInputError

        if self.tile < 0 or (self.tile and self.tile < 16):
            raise UpscaleInputError("upscale.err_tile", tile=self.tile)
        if self.overlap < 0 or (self.tile and self.overlap >= self.tile // 2):
            raise UpscaleInputError("upscale.err_overlap", overlap=self.overlap, tile=self.tile)


def tile_origins(size: int, tile: int, overlap: int) -> list[int]:
    """Start offsets along one axis, as A1111's ``split_grid`` places them."""
    if tile >= size:
        return [0]
    count = math.ceil((size - overlap) / (tile - overlap))
    step = (size - tile) / (count - 1) if count > 1 else 0
    return [min(int(i * step), size - tile) for i in range(count)]


def _fade(length: int) -> np.ndarray:
    # weight of the new tile over the old: 0, 1/n, ..., (n-1)/n  (A1111's mask before 8-bit rounding)
    return np.arange(length, dtype=np.float32) / max(length, 1)


def upscale_tiled(pixels: np.ndarray, run: TileFn, settings: TileSettings = TileSettings(), *,
                  on_tile: Callable[[int, int], None] | None = None) -> np.ndarray:
    """``pixels``: uint8 HxWx3. Returns uint8 (H*s)x(W*s)x3 where ``s`` is the model's factor.

    ``on_tile(done, total)`` is called after each tile (progress, and a place to raise to cancel).
    """
    height, width = pixels.shape[:2]
    if settings.tile <= 0:
        out = run(pixels.astype(np.float32) / 255.0)
        if on_tile is not None:
            on_tile(1, 1)
        return _to_uint8(out)
    tile_w, tile_h = min(settings.tile, width), min(settings.tile, height)
    xs = tile_origins(width, tile_w, settings.overlap)
    ys = tile_origins(height, tile_h, settings.overlap)
    total, done = len(xs) * len(ys), 0
    out: np.ndarray | None = None
    prev_strip: np.ndarray | None = None
    prev_y = 0
    scale = 0
    for y in ys:
        strip: np.ndarray | None = None
        for x in xs:
            tile = pixels[y:y + tile_h, x:x + tile_w].astype(np.float32) / 255.0
            result = run(tile)
            if scale == 0:
                scale = result.shape[0] // tile_h
                if scale < 1 or result.shape[:2] != (tile_h * scale, tile_w * scale):
                    from promptlab.upscale.errors import UpscaleInputError

                    raise UpscaleInputError("upscale.err_model_output", shape=f"{result.shape[1]}x{result.shape[0]}",
                                            tile=f"{tile_w}x{tile_h}")
                out = np.empty((height * scale, width * scale, 3), dtype=np.uint8)
            if strip is None:
                strip = np.empty((tile_h * scale, width * scale, 3), dtype=np.float32)
            ox, ov = x * scale, settings.overlap * scale
            if x == 0 or ov == 0:
                strip[:, ox:ox + result.shape[1]] = result
            else:
                w = _fade(ov)[None, :, None]
                strip[:, ox:ox + ov] = strip[:, ox:ox + ov] * (1.0 - w) + result[:, :ov] * w
                strip[:, ox + ov:ox + result.shape[1]] = result[:, ov:]
            done += 1
            if on_tile is not None:
                on_tile(done, total)
        assert strip is not None and out is not None
        oy, ov = y * scale, settings.overlap * scale
        if y != 0 and ov:
            w = _fade(ov)[:, None, None]
            above = prev_strip[oy - prev_y * scale:oy - prev_y * scale + ov]
            strip[:ov] = above * (1.0 - w) + strip[:ov] * w
        out[oy:oy + strip.shape[0]] = _to_uint8(strip)
        prev_strip, prev_y = strip, y
    assert out is not None
    return out


def _to_uint8(values: np.ndarray) -> np.ndarray:
    return (np.clip(values, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)

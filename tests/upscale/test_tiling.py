"""A1111's tile grid: positions, the blend, and tiled == untiled (differential tests)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from promptlab.upscale.errors import UpscaleInputError
from promptlab.upscale.tiling import TileSettings, tile_origins, upscale_tiled

from .conftest import noise_image


def a1111_split_grid_origins(size: int, tile: int, overlap: int) -> list[int]:
    """A1111's images.split_grid along one axis, restated loop for loop (the reference)."""
    non_overlap = tile - overlap
    count = math.ceil((size - overlap) / non_overlap)
    step = (size - tile) / (count - 1) if count > 1 else 0
    out = []
    for i in range(count):
        pos = int(i * step)
        if pos + tile >= size:
            pos = size - tile
        out.append(pos)
    return out


@pytest.mark.parametrize(("size", "tile", "overlap"), [
    (512, 192, 8), (513, 192, 8), (192, 192, 8), (200, 192, 8), (1000, 64, 16), (2048, 192, 0), (37, 16, 4),
], ids=["512", "513", "exact", "one-more", "many", "no-overlap", "small"])
def test_origins_match_a1111(size, tile, overlap):
    got = tile_origins(size, tile, overlap)
    assert got == a1111_split_grid_origins(size, tile, overlap)
    assert got[0] == 0 and got[-1] == size - tile
    # neighbours overlap by at least `overlap`, so the blend band always lies inside both tiles
    assert all(b - a <= tile - overlap for a, b in zip(got, got[1:]))


def nearest_x(scale: int):
    """A pointwise model: each pixel becomes a scale x scale block. Tiling cannot change its output."""
    def run(tile: np.ndarray) -> np.ndarray:
        return tile.repeat(scale, axis=0).repeat(scale, axis=1)
    return run


@pytest.mark.parametrize(("width", "height", "settings", "scale"), [
    (100, 70, TileSettings(32, 8), 4), (64, 64, TileSettings(16, 4), 2), (50, 30, TileSettings(192, 8), 4),
    (97, 61, TileSettings(24, 0), 3),
], ids=["4x", "2x-exact-fit", "tile-bigger-than-image", "3x-no-overlap"])
def test_pointwise_model_tiled_equals_untiled_exactly(width, height, settings, scale):
    pixels = np.asarray(noise_image(width, height))
    untiled = upscale_tiled(pixels, nearest_x(scale), TileSettings(0, 0))
    tiled = upscale_tiled(pixels, nearest_x(scale), settings)
    assert tiled.shape == (height * scale, width * scale, 3)
    assert np.array_equal(tiled, untiled)


def test_blend_is_linear_across_the_overlap():
    # a model that outputs the tile's own index: the overlap band must fade from one to the next
    calls = []

    def run(tile: np.ndarray) -> np.ndarray:
        calls.append(tile.shape)
        return np.full((tile.shape[0], tile.shape[1], 3), len(calls) * 0.1, dtype=np.float32)

    out = upscale_tiled(np.zeros((16, 40, 3), np.uint8), run, TileSettings(16, 4))
    assert len(calls) == len(tile_origins(40, 16, 4)) == 3
    second = tile_origins(40, 16, 4)[1]
    band = out[0, second:second + 4, 0].astype(float)
    expected = [(0.1 * (1 - i / 4) + 0.2 * i / 4) * 255 for i in range(4)]
    assert np.allclose(band, expected, atol=1)


def test_progress_counts_every_tile():
    seen = []
    upscale_tiled(np.zeros((40, 40, 3), np.uint8), nearest_x(2), TileSettings(16, 4),
                  on_tile=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (len(tile_origins(40, 16, 4)) ** 2,) * 2


@pytest.mark.parametrize(("tile", "overlap"), [(-1, 0), (8, 0), (64, 32), (64, -1)],
                         ids=["negative", "too-small", "overlap-half", "overlap-negative"])
def test_bad_settings(tile, overlap):
    with pytest.raises(UpscaleInputError):
        TileSettings(tile, overlap)


def test_non_upscaler_output_is_refused():
    with pytest.raises(UpscaleInputError, match="not an upscaler"):
        upscale_tiled(np.zeros((40, 40, 3), np.uint8), lambda t: t[:-1], TileSettings(16, 4))


@pytest.mark.parametrize(("model", "mean_tol", "max_tol"), [("4x-Tiny", 1.5, 64), ("R-ESRGAN General 4xV3", 0.1, 4)],
                         ids=["rrdbnet", "compact"])
def test_real_model_tiled_close_to_untiled(roots, model, mean_tol, max_tol):
    from promptlab.upscale import resolve_upscaler
    from promptlab.upscale.core import model_runner
    from promptlab.upscale.load import load_upscaler

    up = resolve_upscaler(model, roots)
    loaded = load_upscaler(up.path, device="cpu")
    pixels = np.asarray(noise_image(72, 56, seed=3))
    untiled = upscale_tiled(pixels, model_runner(loaded), TileSettings(0, 0)).astype(float)
    tiled = upscale_tiled(pixels, model_runner(loaded), TileSettings(32, 8)).astype(float)
    assert tiled.shape == untiled.shape == (224, 288, 3)
    # seams differ a little (each tile sees less context at its edges), the image as a whole does not;
    # measured: without the blend the mean difference is 2.4 (rrdbnet) / 0.13 (compact), so these fail
    assert np.abs(tiled - untiled).mean() < mean_tol
    assert np.abs(tiled - untiled).max() < max_tol

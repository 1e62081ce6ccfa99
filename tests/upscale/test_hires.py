"""Hires fix with a model upscaler on the local backend: decode -> model upscale -> img2img."""

from __future__ import annotations

import shutil

import pytest

from promptlab.backend.hires import plan_hires
from promptlab.params import GenerationParams
from promptlab.upscale import UpscalerNotFoundError

BASE = GenerationParams(prompt="a cat", steps=2, width=64, height=64, seed=3, model="tiny")


@pytest.mark.parametrize(("upscaler", "expected"), [
    ("4x-Tiny", "4x-Tiny"), ("r-esrgan 4x+", "R-ESRGAN 4x+"), (None, "Latent"), ("Lanczos", "Lanczos"),
], ids=["stem", "builtin-any-case", "default", "lanczos"])
def test_plan_accepts_model_names(roots, upscaler, expected):
    plan = plan_hires(BASE.with_(hires_upscale=2.0, hires_upscaler=upscaler), roots)
    assert (plan.upscaler, plan.width, plan.height) == (expected, 128, 128)
    assert plan.in_latent_space == (expected == "Latent")


def test_plan_names_the_missing_file(roots):
    with pytest.raises(UpscalerNotFoundError, match="RealESRGAN_x4plus_anime_6B.pth"):
        plan_hires(BASE.with_(hires_upscale=2.0, hires_upscaler="R-ESRGAN 4x+ Anime6B"), roots)


@pytest.mark.slow
def test_generate_with_model_upscaler(up_models, tmp_path):
    from promptlab.backend.diffusers_backend import DiffusersBackend
    from promptlab.backend.tiny import make_tiny_checkpoint

    models = tmp_path / "models"
    shutil.copytree(up_models, models)
    (models / "Stable-diffusion").mkdir()
    make_tiny_checkpoint(models / "Stable-diffusion" / "tiny.safetensors", "sd1")
    backend = DiffusersBackend(models, device="cpu")
    params = BASE.with_(hires_upscale=1.5, hires_upscaler="4x-Tiny", denoising_strength=0.5)
    (result,) = backend.generate(params)
    assert result.image.size == (96, 96)
    assert "Hires upscaler: 4x-Tiny" in result.infotext and "Hires upscale: 1.5" in result.infotext
    (lanczos,) = backend.generate(params.with_(hires_upscaler="Lanczos"))
    assert lanczos.image.tobytes() != result.image.tobytes()  # the model really ran


@pytest.mark.parametrize("upscaler", ["4x-Tiny", "Lanczos"])
def test_image_upscale_crops_like_the_latent_path(roots, upscaler):
    """A1111's hires resize to another aspect ratio: upscale to cover, then crop the centre (truncate_x/y)."""
    import numpy as np
    from PIL import Image

    from promptlab.backend.hires import upscale_images

    plan = plan_hires(BASE.with_(width=64, height=64, hires_resize_x=128, hires_resize_y=96,
                                 hires_upscaler=upscaler), roots)
    assert (plan.width, plan.height) == (128, 96) and (plan.upscale_width, plan.upscale_height) == (128, 128)
    # a horizontal ramp survives the crop unchanged; a vertical one loses 16 px top and bottom
    ramp = np.tile(np.linspace(0, 255, 64, dtype=np.uint8)[:, None, None], (1, 64, 3))
    (out,) = upscale_images([Image.fromarray(ramp)], plan, roots, device="cpu")
    assert out.size == (128, 96)
    if upscaler == "Lanczos":
        full = Image.fromarray(ramp).resize((128, 128), Image.LANCZOS)
        assert np.array_equal(np.asarray(out), np.asarray(full)[16:112])

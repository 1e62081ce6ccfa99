"""CFG scale <= 1 mixes like A1111 (``uncond + cfg * (cond - uncond)``), not diffusers' guidance-off rule."""

from __future__ import annotations

import numpy as np
import pytest

from promptlab.params import GenerationParams

BASE = GenerationParams(prompt="a red cat, masterpiece", negative_prompt="blurry, lowres", steps=2, width=64,
                        height=64, seed=77, model="tiny", sampler="Euler")


def _px(result) -> np.ndarray:
    return np.asarray(result.image, dtype=np.int16)


@pytest.mark.parametrize("model", ["tiny", "sub/tinyxl"], ids=["sd1", "sdxl"])
def test_cfg_zero_is_the_negative_prompt_image(backend, model):
    # A1111: cfg 0 -> the unconditional prediction alone, i.e. what prompt := negative prompt gives at cfg 1
    zero = backend.generate(BASE.with_(model=model, cfg_scale=0.0))[0]
    negative_only = backend.generate(BASE.with_(model=model, prompt=BASE.negative_prompt, cfg_scale=1.0))[0]
    assert np.abs(_px(zero) - _px(negative_only)).max() <= 1


@pytest.mark.parametrize("model", ["tiny", "sub/tinyxl"], ids=["sd1", "sdxl"])
def test_cfg_below_one_is_not_switched_off(backend, model):
    # regression: diffusers turns guidance off at <= 1, so 0.5 gave exactly the cfg-1 image
    half = _px(backend.generate(BASE.with_(model=model, cfg_scale=0.5))[0])
    one = _px(backend.generate(BASE.with_(model=model, cfg_scale=1.0))[0])
    zero = _px(backend.generate(BASE.with_(model=model, cfg_scale=0.0))[0])
    assert not np.array_equal(half, one)
    assert not np.array_equal(half, zero)


@pytest.mark.parametrize("model", ["tiny", "sub/tinyxl"], ids=["sd1", "sdxl"])
def test_cfg_mix_is_linear_in_the_scale(backend, model):
    # one Euler step is affine in the noise prediction, so with A1111's mix the latent of cfg 0.5 is the
    # mean of cfg 0 and cfg 1, and cfg 0 equals a run whose prompt is the negative prompt
    import torch
    from diffusers import EulerDiscreteScheduler

    from promptlab.backend.conditioning import build_conditioning
    from promptlab.backend.diffusers_backend import derive_pipeline

    pipe = backend.manager.get(backend.manager_source(model)).pipe
    call = derive_pipeline(type(pipe), pipe, scheduler=EulerDiscreteScheduler.from_config(pipe.scheduler.config))

    def latent(prompt: str, cfg: float) -> torch.Tensor:
        cond = build_conditioning(pipe, prompt, "blurry, lowres", steps=1)
        noise = torch.randn((1, 4, 8, 8), generator=torch.Generator().manual_seed(5))
        return call(**cond.pipeline_kwargs(), num_inference_steps=1, guidance_scale=cfg, width=64, height=64,
                    latents=noise, output_type="latent").images

    zero, half, one = (latent("a red cat", cfg) for cfg in (0.0, 0.5, 1.0))
    assert (half - one).abs().max() > 1e-4
    torch.testing.assert_close(half, (zero + one) / 2, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(zero, latent("blurry, lowres", 1.0), atol=1e-5, rtol=1e-4)


def test_guidance_class_always_guides():
    from diffusers import StableDiffusionPipeline

    from promptlab.backend.diffusers_backend import derive_pipeline
    from promptlab.backend.guidance import a1111_guidance_class
    from promptlab.backend.tiny import build_tiny_components

    cls = a1111_guidance_class(StableDiffusionPipeline)
    assert a1111_guidance_class(cls) is cls and a1111_guidance_class(StableDiffusionPipeline) is cls
    parts = build_tiny_components("sd1")
    pipe = derive_pipeline(StableDiffusionPipeline, _Components(parts))
    for scale in (0.0, 0.5, 1.0, 7.0):
        pipe._guidance_scale = scale
        assert pipe.do_classifier_free_guidance, scale


class _Components:
    """Just enough of a pipeline for ``derive_pipeline`` (components and config)."""

    def __init__(self, parts: dict) -> None:
        self.components = parts
        self.config = {}

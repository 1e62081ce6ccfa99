"""The hires pass samples as many steps as A1111's (local diffusers backend and ComfyUI workflow).

A1111's ``sample_hr_pass`` calls ``sample_img2img(..., steps=hr_second_pass_steps or steps)``; with
``steps`` given, ``setup_img2img_steps`` builds a schedule of ``int(steps / min(denoise, 0.999))`` and
samples its last ``steps`` (``t_enc = steps - 1``, ``sigmas[schedule - t_enc - 1:]``). The expected
numbers below are written from that rule, not from ``promptlab.backend.img2img.a1111_steps``.
"""

from __future__ import annotations

import numpy as np
import pytest

from promptlab.params import GenerationParams

BASE = GenerationParams(prompt="a cat", negative_prompt="blurry", steps=2, width=64, height=64, seed=7,
                        model="tiny", sampler="Euler", hires_upscale=1.5, hires_upscaler="Latent")
HIRES_SIDE = 96 // 8   # latent side of the hires pass (the first pass is 8x8)


def a1111_hires(steps: int, hires_steps: int | None, denoise: float) -> tuple[int, int]:
    """(schedule length, steps sampled) of A1111's hires pass."""
    requested = hires_steps or steps
    return int(requested / min(denoise, 0.999)), requested


def hires_unet_calls(backend, params, progress: list | None = None) -> list[float]:
    """The timestep of every UNet call of the hires pass (told apart by its latent size)."""
    model = backend.manager.get(backend.manager_source(params.model))
    seen: list[float] = []

    def record(_module, args, kwargs):
        sample = args[0] if args else kwargs["sample"]
        if sample.shape[-1] == HIRES_SIDE:
            timestep = args[1] if len(args) > 1 else kwargs["timestep"]
            seen.append(float(np.asarray(timestep.detach().cpu()).reshape(-1)[0]))

    handle = model.pipe.unet.register_forward_pre_hook(record, with_kwargs=True)
    try:
        backend.generate(params, on_progress=None if progress is None else progress.append)
    finally:
        handle.remove()
    return seen


CASES = [
    # (steps, hires steps, denoise)
    (2, None, 0.5),    # Hires steps unset: 2 of a 4-step schedule
    (2, 4, 0.3),       # 4 of 13
    (3, 3, 0.7),       # 3 of 4
    (2, 3, 1.0),       # denoise 1 -> 0.999: 3 of 3, from pure noise
    (2, 2, 0.05),      # 2 of 40 (old code: int(2 * 0.05) = 0, raised to 1 of 20)
]
IDS = ["unset-0.5", "4-at-0.3", "3-at-0.7", "3-at-1", "2-at-0.05"]


@pytest.mark.parametrize(("steps", "hires_steps", "denoise"), CASES, ids=IDS)
def test_plan_matches_a1111(steps, hires_steps, denoise):
    from promptlab.backend.hires import plan_hires

    plan = plan_hires(BASE.with_(steps=steps, hires_steps=hires_steps, denoising_strength=denoise))
    assert (plan.schedule_steps, plan.run_steps) == a1111_hires(steps, hires_steps, denoise)
    # diffusers' img2img samples the last int(schedule * strength) steps: exactly run_steps
    assert int(plan.schedule_steps * plan.strength) == plan.run_steps


@pytest.mark.parametrize(("steps", "hires_steps", "denoise"), CASES, ids=IDS)
def test_euler_hires_pass_samples_a1111s_steps_and_sigmas(backend, steps, hires_steps, denoise):
    params = BASE.with_(steps=steps, hires_steps=hires_steps, denoising_strength=denoise)
    progress: list = []
    timesteps = hires_unet_calls(backend, params, progress)
    schedule, run = a1111_hires(steps, hires_steps, denoise)
    assert len(timesteps) == run
    # A1111's k-diffusion schedule is t = linspace(999, 0, schedule); the pass starts at index schedule - run
    expected = np.linspace(999, 0, schedule)[schedule - run:]
    np.testing.assert_allclose(timesteps, expected, atol=1e-3)
    # progress: both passes counted, A1111's total of steps + (hires steps or steps)
    counted = [p for p in progress if p.step]
    assert {p.total_steps for p in counted} == {steps + run}
    assert [p.step for p in counted] == list(range(1, steps + run + 1))


@pytest.mark.parametrize(("sampler", "hires_steps", "denoise"), [
    ("Heun", 3, 0.5), ("DPM2", 3, 0.4), ("DPM++ SDE", None, 0.6), ("DPM++ 2M", 4, 0.5), ("Euler a", 3, 0.3),
], ids=["heun", "dpm2", "dpmpp-sde-unset", "dpmpp-2m", "euler-a"])
def test_hires_sampler_runs_a1111s_step_count(backend, sampler, hires_steps, denoise):
    # second-order samplers: k-diffusion makes two model calls per step except the last (to sigma 0)
    params = BASE.with_(hires_sampler=sampler, hires_steps=hires_steps, denoising_strength=denoise)
    progress: list = []
    calls = hires_unet_calls(backend, params, progress)
    _schedule, run = a1111_hires(params.steps, hires_steps, denoise)
    second_order = sampler in ("Heun", "DPM2", "DPM++ SDE")
    assert len(calls) == (2 * run - 1 if second_order else run)
    counted = [p for p in progress if p.step]
    assert max(p.step for p in counted) == params.steps + run
    assert {p.total_steps for p in counted} == {params.steps + run}


def test_hires_pass_ran_steps_times_denoise_instead_of_hires_steps(backend):
    # regression: the hires pass ran int(steps * denoise) steps of a `steps` schedule (diffusers'
    # strength), 2 of 4 here; A1111 runs all 4 hires steps, the last 4 of a schedule of 8
    params = BASE.with_(steps=4, denoising_strength=0.5)
    timesteps = hires_unet_calls(backend, params)
    assert len(timesteps) == 4
    np.testing.assert_allclose(timesteps, np.linspace(999, 0, 8)[4:], atol=1e-3)
    (result,) = backend.generate(params)
    assert "Denoising strength: 0.5" in result.infotext and "Hires steps" not in result.infotext
    own = backend.generate(params.with_(hires_steps=3))[0]
    assert "Hires steps: 3" in own.infotext


@pytest.mark.parametrize(("steps", "hires_steps", "denoise"), CASES, ids=IDS)
def test_comfyui_hires_ksampler_builds_a1111s_schedule(steps, hires_steps, denoise):
    """ComfyUI's KSampler with denoise < 1 builds int(steps / denoise) and samples its last ``steps``
    (comfy/samplers.py set_steps), which is A1111's rule already: steps = hires steps, denoise as given."""
    from promptlab.backend.comfyui_workflow import build_txt2img

    params = BASE.with_(steps=steps, hires_steps=hires_steps, denoising_strength=denoise)
    hires = build_txt2img(params, checkpoint="tiny.safetensors", seed=1).graph["8"]["inputs"]
    k_steps, k_denoise = hires["steps"], hires["denoise"]
    comfy_schedule = k_steps if k_denoise > 0.9999 else int(k_steps / k_denoise)
    assert (comfy_schedule, k_steps) == a1111_hires(steps, hires_steps, denoise)


@pytest.mark.parametrize("ensd", [0, 31337], ids=["no-ensd", "ensd"])
def test_hires_pass_noise_starts_from_the_seed_again(backend, monkeypatch, ensd):
    """A1111's sample_hr_pass makes a fresh ImageRNG from the image seeds: the hires pass's starting noise
    is drawn from the seed again (not from where the first pass's generator stopped); with ENSD the
    ancestral noise after it comes from seed + ENSD."""
    import torch
    from diffusers import StableDiffusionImg2ImgPipeline

    states = []
    prepare = StableDiffusionImg2ImgPipeline.prepare_latents

    def spy(self, *args, **kwargs):
        generator = kwargs.get("generator", args[6] if len(args) > 6 else None)
        states.append([g.get_state() for g in generator])
        return prepare(self, *args, **kwargs)

    monkeypatch.setattr(StableDiffusionImg2ImgPipeline, "prepare_latents", spy)
    params = GenerationParams(**{**BASE.__dict__, "sampler": "Euler a", "batch_size": 2, "ensd": ensd,
                                 "denoising_strength": 0.5})
    backend.generate(params)
    assert len(states) == 1
    fresh = [torch.Generator("cpu").manual_seed(s).get_state() for s in (7, 8)]
    assert all(torch.equal(a, b) for a, b in zip(states[0], fresh))

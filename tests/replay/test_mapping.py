"""Sampler / schedule names of other tools -> A1111, and A1111 1.9+'s "Automatic" per sampler."""

from __future__ import annotations

import pytest

from promptlab.replay.mapping import AUTOMATIC_SCHEDULE, automatic_schedule, to_a1111


@pytest.mark.parametrize(
    ("sampler", "schedule", "generator", "expected"),
    [
        ("euler_ancestral", "karras", "comfyui", ("Euler a", "Karras", "mapped")),
        ("dpmpp_2m", "normal", "comfyui", ("DPM++ 2M", "Normal", "mapped")),
        ("dpmpp_2m_sde_gpu", "karras", "comfyui", ("DPM++ 2M SDE", "Karras", "approximated")),
        ("euler_ancestral_karras", None, "comfyui", ("Euler a", "Karras", "mapped")),
        ("euler_simple", None, "comfyui", ("Euler", "Simple", "mapped")),
        ("sample_dpmpp_2m", "normal", "comfyui", ("DPM++ 2M", "Normal", "mapped")),
        ("ddim", "ddim_uniform", "comfyui", ("DDIM", "DDIM", "mapped")),
        ("res_multistep", "normal", "comfyui", (None, None, "unknown")),
        ("dpmpp_2m", "linear_quadratic", "comfyui", ("DPM++ 2M", None, "unknown")),
        ("k_euler_ancestral", "karras", "novelai", ("Euler a", "Karras", "mapped")),
        ("k_dpmpp_2s_ancestral", "exponential", "novelai", ("DPM++ 2S a", "Exponential", "mapped")),
        ("k_euler", "native", "novelai", ("Euler", None, "approximated")),
        ("ddim_v3", None, "novelai", ("DDIM", None, "mapped")),
        ("DPM++ 2M Karras", None, "sd-webui", ("DPM++ 2M", "Karras", "mapped")),
        ("DPM++ 2M", "Karras", "sd-webui", ("DPM++ 2M", "Karras", "exact")),
        ("Euler a", None, "sd-webui", ("Euler a", None, "exact")),
        ("euler_a", None, "invokeai", ("Euler a", None, "mapped")),
    ],
    ids=["comfy-euler-a-karras", "comfy-normal", "comfy-gpu-variant", "comfy-combined-name", "comfy-euler-simple",
         "comfy-sample-prefix", "comfy-ddim-uniform", "comfy-res-multistep-is-not-restart", "comfy-unknown-schedule",
         "nai-k-euler-ancestral", "nai-2s-a", "nai-native", "nai-ddim-v3", "a1111-legacy", "a1111-exact",
         "a1111-automatic", "invoke-euler-a"],
)
def test_to_a1111(sampler, schedule, generator, expected):
    m = to_a1111(sampler, schedule, generator)
    assert (m.sampler, m.schedule, m.how) == expected


@pytest.mark.parametrize(
    ("sampler", "version", "expected"),
    [("DPM++ 2M", None, "Karras"), ("DPM++ SDE", "v1.10.1", "Karras"), ("DPM++ 2S a", None, "Karras"),
     ("DPM2", None, "Karras"), ("DPM2 a", None, "Karras"), ("DPM++ 2M SDE", None, "Exponential"),
     ("DPM++ 3M SDE", None, "Exponential"), ("DPM++ 2M SDE Heun", None, "Exponential"), ("Euler a", None, "Uniform"),
     ("UniPC", None, "Uniform"), ("DPM++ 2M", "v1.8.0", "Uniform"),
     ("DPM++ 2M", "f1.0.0v2-v1.10.1RC-latest-2498-g5120e679", "Karras")],
    ids=["2m", "sde", "2s-a", "dpm2", "dpm2-a", "2m-sde", "3m-sde", "2m-sde-heun", "euler-a", "unipc",
         "before-1.9-uniform", "forge-version-string"],
)
def test_automatic_schedule_as_a1111_1_9(sampler, version, expected):
    assert automatic_schedule(sampler, version) == expected


def test_automatic_table_is_a1111s_list():
    # A1111 1.9+ samplers_k_diffusion with a 'scheduler' option (checked in sd_samplers_kdiffusion.py)
    assert {k for k, v in AUTOMATIC_SCHEDULE.items() if v == "Karras"} == {
        "DPM++ 2M", "DPM++ SDE", "DPM++ 2S a", "DPM2", "DPM2 a", "Restart"}
    assert {k for k, v in AUTOMATIC_SCHEDULE.items() if v == "Exponential"} == {
        "DPM++ 2M SDE", "DPM++ 2M SDE Heun", "DPM++ 3M SDE"}

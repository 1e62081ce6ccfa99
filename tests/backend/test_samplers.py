"""A1111 sampler names and schedule types -> diffusers schedulers; every name runs on a tiny model."""

from __future__ import annotations

import pytest

from promptlab.backend.model_configs import read_config
from promptlab.backend.samplers import (
    SAMPLER_NAMES,
    SCHEDULE_TYPES,
    build_scheduler,
    resolve_sampler,
    sampler_label,
    scheduler_config,
)
from promptlab.errors import InvalidInputError
from promptlab.params import GenerationParams

SD15 = read_config("sd15", "scheduler")


@pytest.mark.parametrize("name", SAMPLER_NAMES, ids=SAMPLER_NAMES)
def test_every_sampler_runs(backend, name):
    params = GenerationParams(prompt="a cat", steps=2, width=64, height=64, seed=7, sampler=name, model="tiny")
    (result,) = backend.generate(params)
    assert result.image.size == (64, 64)
    assert f"Sampler: {name}," in result.infotext


@pytest.mark.parametrize(
    ("name", "schedule", "cls", "expected"),
    [
        ("Euler a", None, "EulerAncestralDiscreteScheduler", {"timestep_spacing": "linspace"}),
        ("DPM++ 2M", None, "DPMSolverMultistepScheduler", {"use_karras_sigmas": True, "algorithm_type": "dpmsolver++"}),
        ("DPM++ 2M", "Uniform", "DPMSolverMultistepScheduler", {"use_karras_sigmas": False}),
        ("DPM++ 2M Karras", None, "DPMSolverMultistepScheduler", {"use_karras_sigmas": True}),
        ("DPM++ 2M SDE", None, "DPMSolverMultistepScheduler",
         {"use_exponential_sigmas": True, "algorithm_type": "sde-dpmsolver++"}),
        ("DPM++ 2M SDE Heun", "Karras", "DPMSolverMultistepScheduler", {"solver_type": "heun", "use_karras_sigmas": True}),
        ("DPM++ 3M SDE", None, "DPMSolverMultistepScheduler", {"solver_order": 3, "use_exponential_sigmas": True}),
        ("DPM++ SDE Karras", None, "DPMSolverSDEScheduler", {"use_karras_sigmas": True}),
        ("DPM2 a", None, "KDPM2AncestralDiscreteScheduler", {"use_karras_sigmas": True}),
        ("Euler", "SGM Uniform", "EulerDiscreteScheduler", {"timestep_spacing": "trailing"}),
        ("Euler", "Beta", "EulerDiscreteScheduler", {"use_beta_sigmas": True}),
        ("DDIM", None, "DDIMScheduler", {"timestep_spacing": "leading", "steps_offset": 1}),
        ("PLMS", None, "PNDMScheduler", {"skip_prk_steps": True}),
        ("k_euler_a", None, "EulerAncestralDiscreteScheduler", {}),
        ("UniPC", "Exponential", "UniPCMultistepScheduler", {"use_exponential_sigmas": True}),
    ],
    ids=lambda v: str(v),
)
def test_mapping(name, schedule, cls, expected):
    scheduler = build_scheduler(resolve_sampler(name, schedule), SD15)
    assert type(scheduler).__name__ == cls
    for key, value in expected.items():
        assert scheduler.config[key] == value, key


def test_prediction_type_and_zero_snr():
    _, config = scheduler_config(resolve_sampler("Euler"), SD15, prediction_type="v_prediction", zero_snr=True)
    assert config["prediction_type"] == "v_prediction"
    assert config["rescale_betas_zero_snr"] is True and config["timestep_spacing"] == "trailing"
    with pytest.raises(InvalidInputError, match="zero-terminal-SNR"):
        scheduler_config(resolve_sampler("Heun"), SD15, zero_snr=True)


@pytest.mark.parametrize(
    ("name", "schedule", "label"),
    [("DPM++ 2M", None, ("DPM++ 2M", None)), ("DPM++ 2M", "Karras", ("DPM++ 2M", "Karras")),
     ("DPM++ 2M Karras", None, ("DPM++ 2M", "Karras")), ("Euler a", "automatic", ("Euler a", None))],
    ids=["automatic", "explicit", "old-style", "case"],
)
def test_infotext_labels(name, schedule, label):
    assert sampler_label(resolve_sampler(name, schedule)) == label


@pytest.mark.parametrize(
    ("name", "schedule", "match"),
    [
        ("Euler b", None, "Unknown sampler 'Euler b'. Supported: DPM\\+\\+ 2M, .*Euler a"),
        ("DPM++ 2S a", None, "not available locally"),
        ("DPM fast", None, "not available locally"),
        ("Euler a", "Karras", "does not support schedule type 'Karras'.*Automatic, Uniform"),
        ("Euler", "Wavy", "Unknown schedule type 'Wavy'. Supported: Automatic"),
        ("DPM++ 2M Karras", "Exponential", "names schedule Karras"),
    ],
    ids=["unknown", "2s-a", "dpm-fast", "unsupported-combo", "unknown-schedule", "conflict"],
)
def test_errors(name, schedule, match):
    with pytest.raises(InvalidInputError, match=match):
        build_scheduler(resolve_sampler(name, schedule), SD15)


def test_schedule_types_listed():
    assert SCHEDULE_TYPES[:4] == ("Automatic", "Uniform", "Karras", "Exponential")
    assert "SGM Uniform" in SCHEDULE_TYPES


def test_per_call_scheduler_is_fresh(backend):
    pipe = backend.manager.get(backend.manager_source("tiny")).pipe
    before = (type(pipe.scheduler).__name__, dict(pipe.scheduler.config))
    backend.generate(GenerationParams(prompt="x", steps=2, width=64, height=64, seed=1, sampler="DPM++ 2M",
                                      schedule_type="Karras", model="tiny"))
    assert (type(pipe.scheduler).__name__, dict(pipe.scheduler.config)) == before

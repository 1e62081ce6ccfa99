"""A1111's sampling rules in the local backend: prompt schedules over the sampler's total steps
(second-order samplers), ENSD only where A1111 applies it, hypernetworks refused out loud, CFG/ENSD checks."""

from __future__ import annotations

import numpy as np
import pytest

from promptlab.errors import InvalidInputError
from promptlab.params import GenerationParams

BASE = GenerationParams(prompt="a [cat:dog:0.5] in a garden", negative_prompt="blurry", steps=4, width=64,
                        height=64, seed=21, model="tiny", sampler="Euler")


def _px(result) -> np.ndarray:
    return np.asarray(result.image, dtype=np.int16)


def unet_conditions(backend, params) -> list[int]:
    """A fingerprint of the positive conditioning the UNet got, per model call."""
    model = backend.manager.get(backend.manager_source(params.model))
    seen: list[int] = []

    def record(_module, args, kwargs):
        ehs = kwargs.get("encoder_hidden_states", args[2] if len(args) > 2 else None)
        seen.append(hash(ehs[-1].detach().float().cpu().numpy().tobytes()))

    handle = model.pipe.unet.register_forward_pre_hook(record, with_kwargs=True)
    try:
        backend.generate(params)
    finally:
        handle.remove()
    return seen


def switch_call(fingerprints: list[int]) -> int:
    return next((i for i in range(1, len(fingerprints)) if fingerprints[i] != fingerprints[i - 1]), fingerprints)


# A1111: schedule over total_steps (x2 for "second_order"), and its denoiser counts every model call.
# [cat:dog:0.5] at 4 steps: Euler -> end step int(0.5*4) = 2, calls 0..2 use cat; Heun/DPM2/DPM++ SDE ->
# total 8, end step 4, calls 0..4 use cat (7 calls: the last step is a single Euler call).
@pytest.mark.parametrize(("sampler", "calls", "switch"), [
    ("Euler", 4, 3), ("Euler a", 4, 3), ("DPM++ 2M", 4, 3),
    ("Heun", 7, 5), ("DPM2", 7, 5), ("DPM2 a", 7, 5), ("DPM++ SDE", 7, 5),
], ids=["euler", "euler-a", "dpmpp-2m", "heun", "dpm2", "dpm2-a", "dpmpp-sde"])
def test_edit_switches_at_a1111_model_call(backend, sampler, calls, switch):
    seen = unet_conditions(backend, BASE.with_(sampler=sampler))
    assert len(seen) == calls, seen
    assert switch_call(seen) == switch


def test_hires_schedule_uses_the_hires_sampler_total(backend):
    # A1111: in the hires pass a float 1.x is (x - 1) * total hires steps; Heun's total is 2 x 4 = 8, so
    # [cat:dog:1.5] switches after call 4 of the hires pass (the first pass, 4 Euler steps, is all cat)
    params = BASE.with_(prompt="a [cat:dog:1.5] in a garden", hires_upscale=1.5, hires_steps=4,
                        denoising_strength=1.0, hires_sampler="Heun", hires_upscaler="Latent")
    seen = unet_conditions(backend, params)
    first, second = seen[:4], seen[4:]
    assert len(set(first)) == 1
    assert len(second) == 7 and switch_call(second) == 5


@pytest.mark.parametrize(("sampler", "eta", "changes"), [
    ("Euler a", None, True), ("DPM2 a", None, True), ("DDIM", 0.5, True),
    ("DDIM", None, False), ("Euler a", 0.0, False), ("Euler", None, False), ("DPM++ 2M", None, False),
], ids=["euler-a", "dpm2-a", "ddim-eta", "ddim-eta0", "euler-a-eta0", "euler", "dpmpp-2m"])
def test_ensd_only_where_a1111_applies_it(backend, sampler, eta, changes):
    params = BASE.with_(prompt="a cat", sampler=sampler, eta=eta, steps=3)
    plain = backend.generate(params)[0]
    nai = backend.generate(params.with_(ensd=31337))[0]
    assert (not np.array_equal(_px(plain), _px(nai))) is changes
    assert ("ENSD: 31337" in nai.infotext) is changes  # A1111 writes ENSD only where it was used


def test_ensd_zero_is_off_and_not_written(backend):
    result = backend.generate(BASE.with_(sampler="Euler a", ensd=0))[0]
    assert "ENSD" not in result.infotext


def test_hypernetwork_is_refused_out_loud(backend):
    messages = []
    result = backend.generate(BASE.with_(prompt="a cat <hypernet:anime:0.6>"),
                              on_progress=lambda p: messages.append(p.message))[0]
    assert any("<hypernet:anime>" in w and "not supported" in w for w in result.warnings)
    assert any("<hypernet:anime>" in m for m in messages)
    assert "Hypernet not applied: anime" in result.infotext
    plain = backend.generate(BASE.with_(prompt="a cat"))[0]
    assert plain.warnings == () and "Hypernet" not in plain.infotext


@pytest.mark.parametrize(("changes", "match"), [
    ({"cfg_scale": float("nan")}, "CFG scale"), ({"cfg_scale": float("inf")}, "CFG scale"),
    ({"ensd": -1}, "ENSD"), ({"ensd": 2**32}, "ENSD"), ({"seed": 2**64 - 1, "ensd": 5}, "64 bits"),
], ids=["cfg-nan", "cfg-inf", "ensd-negative", "ensd-too-big", "seed-overflow"])
def test_bad_cfg_or_ensd_is_a_clear_error(backend, changes, match):
    with pytest.raises(InvalidInputError, match=match):
        backend.generate(BASE.with_(**changes))


def test_cli_ensd_and_hypernet_warning(models_root, tmp_path, capsys):
    import json

    from promptlab.cli import main
    from promptlab.metadata import read

    args = ["generate", "--models", str(models_root), "--model", "tiny", "--steps", "2", "--width", "64",
            "--height", "64", "--seed", "7", "--device", "cpu", "--out", str(tmp_path)]
    code = main([*args, "--prompt", "a cat <hypernet:anime:1>", "--sampler", "Euler a", "--clip-skip", "2",
                 "--ensd", "31337", "--json"])
    out = capsys.readouterr()
    assert code == 0 and "<hypernet:anime>" in out.err
    params = read(json.loads(out.out)[0]["path"]).params
    assert (params.ensd, params.clip_skip) == (31337, 2)
    assert main([*args, "--prompt", "a cat", "--ensd", "-5"]) == 1
    assert "ENSD" in capsys.readouterr().err


def test_remote_a1111_gets_ensd_as_override_setting():
    from promptlab.backend.a1111_api import params_from_payload, payload_from_params

    body = payload_from_params(GenerationParams(prompt="a cat", sampler="Euler a", ensd=31337, clip_skip=2))
    assert body["override_settings"]["eta_noise_seed_delta"] == 31337
    assert body["override_settings"]["CLIP_stop_at_last_layers"] == 2
    assert params_from_payload(body).ensd == 31337


@pytest.mark.parametrize("sampler", ["Heun", "Euler"], ids=["heun", "euler"])
def test_progress_counts_sampling_steps_not_model_calls(backend, sampler):
    # regression: Heun's 7 model calls for 4 steps were reported as steps 1..7 of 4
    steps = []
    backend.generate(BASE.with_(sampler=sampler),
                     on_progress=lambda p: p.step and steps.append((p.step, p.total_steps)))
    assert max(s for s, _ in steps) == 4 and all(total == 4 for _, total in steps)
    assert [s for s, _ in steps] == sorted(s for s, _ in steps)


def test_dpmpp_sde_noise_comes_from_the_image_seeds(backend):
    # regression: diffusers seeded DPM++ SDE's Brownian tree from torch's global RNG, so the same
    # parameters gave other pixels on each run; A1111 seeds one tree per image with the image's seed
    import torch

    params = BASE.with_(prompt="a cat", sampler="DPM++ SDE", steps=3)
    torch.manual_seed(1)
    first = _px(backend.generate(params)[0])
    torch.manual_seed(2)
    again = _px(backend.generate(params)[0])
    assert np.array_equal(first, again)
    batch = backend.generate(params.with_(batch_size=2))
    alone = backend.generate(params.with_(seed=params.seed + 1))[0]
    assert np.abs(_px(batch[1]) - _px(alone)).max() <= 1  # image 2 of a batch is the image of seed + 1

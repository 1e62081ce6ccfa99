"""build_plan on odd settings: a plan or a clear PromptlabError, never a traceback."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from promptlab.errors import PromptlabError
from promptlab.metadata.model import ImageMetadata
from promptlab.params import GenerationParams
from promptlab.replay import build_plan

_VALUES = {
    "Steps": st.sampled_from(["0", "-3", "20", "x"]),
    "Sampler": st.sampled_from(["", "euler", "k_euler_ancestral", "DPM++ 2M Karras", "??", "Restart", "dpmpp_2m_sde_gpu"]),
    "Schedule type": st.sampled_from(["", "Automatic", "karras", "linear_quadratic", "native", "Weird"]),
    "Seed": st.sampled_from(["-1", "0", "18446744073709551615", "99999999999999999999999"]),
    "Size": st.sampled_from(["0x0", "64x64", "1x99999", "512x768"]),
    "Hires upscale": st.sampled_from(["0", "2", "-1", "100"]),
    "Hires resize": st.sampled_from(["0x0", "1024x0", "0x1024", "7x9"]),
    "Hires upscaler": st.sampled_from(["Latent", "R-ESRGAN 4x+", "nope", ""]),
    "Model hash": st.sampled_from(["zz", "0123456789", "", "sha256:" + "a" * 64]),
    "Lora hashes": st.sampled_from(['"x: 1", "', '"a: , : b"', "junk"]),
    "VAE": st.sampled_from(["Automatic", "None", "", "ft"]),
    "Denoising strength": st.sampled_from(["0", "2", "0.5"]),
    "RNG": st.sampled_from(["GPU", "CPU", "NV", "?"]),
    "Version": st.sampled_from(["v1.8.0", "promptlab 1", "f2.0", "vX"]),
}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.fixed_dictionaries({}, optional=_VALUES), st.sampled_from(["local", "a1111", "comfyui"]),
       st.sampled_from(["sd-webui", "comfyui", "novelai", None]))
def test_never_a_traceback(tmp_path, values, backend, generator):
    line = ", ".join(f"{k}: {v}" for k, v in values.items())
    params = GenerationParams.from_infotext(f"a <lora:x:1>\nNegative prompt: b\nSteps: 5, CFG scale: 7, {line}")
    meta = ImageMetadata("t.png", generator, params, format="a1111-infotext", params_list=(params,))
    try:
        plan = build_plan(meta, backend=backend, roots=_roots(tmp_path))
    except PromptlabError as exc:
        assert str(exc)
        return
    assert plan.items and all(i.key for i in plan.items)
    plan.to_json("zh")


def _roots(tmp_path):
    from promptlab.backend.models import ModelRoots

    return ModelRoots(tmp_path / "models")


@pytest.mark.parametrize("size", ["0x0", "1x99999"], ids=str)
def test_hires_on_an_impossible_size_is_a_clear_error(tmp_path, size):
    params = GenerationParams.from_infotext(f"a\nSteps: 5, Sampler: Euler, Seed: 1, Size: {size}, Hires resize: 0x1024")
    meta = ImageMetadata("t.png", "sd-webui", params, format="a1111-infotext", params_list=(params,))
    with pytest.raises(PromptlabError, match="not a size" if size == "0x0" else "would make a 0x1024 image"):
        build_plan(meta, roots=_roots(tmp_path))

"""Loading upscaler files safely, and A1111's output sizes for every kind of upscaler."""

from __future__ import annotations

import pickle

import pytest
import torch

from promptlab.errors import ModelLoadError
from promptlab.upscale import UpscaleInputError, UpscalerLoadError, resolve_upscaler
from promptlab.upscale.core import target_size, upscale_by, upscale_to
from promptlab.upscale.load import load_upscaler
from promptlab.upscale.testing import compact_state_dict, rrdbnet_state_dict, save_model

from .conftest import noise_image


@pytest.mark.parametrize(("builder", "suffix", "arch", "scale"), [
    (lambda: rrdbnet_state_dict(), ".safetensors", "ESRGAN", 4),
    (lambda: rrdbnet_state_dict(), ".pth", "ESRGAN", 4),
    (lambda: {"params_ema": rrdbnet_state_dict(), "params": rrdbnet_state_dict(seed=9)}, ".pth", "ESRGAN", 4),
    (lambda: rrdbnet_state_dict(scale=2), ".pth", "ESRGAN", 2),
    (lambda: compact_state_dict(), ".pth", "RealESRGAN Compact", 4),
    (lambda: compact_state_dict(scale=2), ".safetensors", "RealESRGAN Compact", 2),
], ids=["rrdb-safetensors", "rrdb-pth", "basicsr-params-ema", "rrdb-2x-unshuffle", "compact", "compact-2x"])
def test_load(tmp_path, builder, suffix, arch, scale):
    state = builder()
    path = tmp_path / f"model{suffix}"
    if isinstance(next(iter(state.values())), dict):
        torch.save(state, path)
    else:
        save_model(state, path)
    loaded = load_upscaler(path, device="cpu")
    assert (loaded.architecture, loaded.scale, loaded.half, loaded.name) == (arch, scale, False, "model")
    out = loaded.model(torch.rand(1, 3, 12, 12))
    assert out.shape == (1, 3, 12 * scale, 12 * scale)


def test_params_ema_preferred(tmp_path):
    path = tmp_path / "ema.pth"
    torch.save({"params": rrdbnet_state_dict(seed=1), "params_ema": rrdbnet_state_dict(seed=2)}, path)
    loaded = load_upscaler(path, device="cpu")
    want = rrdbnet_state_dict(seed=2)["conv_first.weight"]
    got = dict(loaded.model.model.named_parameters())
    assert any(torch.equal(v, want) for v in got.values())


class Evil:
    def __reduce__(self):
        return (print, ("this must never run",))


def test_pickle_with_code_refused_like_checkpoints(tmp_path):
    path = tmp_path / "evil.pth"
    with path.open("wb") as fh:
        pickle.dump({"conv_first.weight": Evil()}, fh)
    with pytest.raises(ModelLoadError, match="weights_only loading refuses"):
        load_upscaler(path, device="cpu")


@pytest.mark.parametrize(("state", "match"), [
    ({"foo.weight": torch.zeros(3, 3)}, "not an upscaler architecture spandrel knows"),
    ({**rrdbnet_state_dict(), "conv_last.weight": torch.zeros(3, 5, 3, 3)}, "do not fit the architecture"),
], ids=["unknown-arch", "wrong-shapes"])
def test_not_an_upscaler(tmp_path, state, match):
    path = save_model(state, tmp_path / "x.safetensors")
    with pytest.raises(UpscalerLoadError, match=match):
        load_upscaler(path, device="cpu")


def test_fp32_on_cpu(tmp_path):
    path = save_model(compact_state_dict(), tmp_path / "c.safetensors")
    assert load_upscaler(path, device="cpu").half is False  # fp16 is chosen on CUDA only


@pytest.mark.parametrize(("size", "scale", "expected"), [
    ((100, 100), 2, (200, 200)), ((130, 100), 2, (256, 200)), ((512, 768), 1.5, (768, 1152)), ((64, 48), 8, (512, 384)),
    ((99, 99), 1, (96, 96)),
], ids=["2x", "round-down-to-8", "1.5x", "8x", "1x"])
def test_target_size_is_a1111s(size, scale, expected):
    assert target_size(*size, scale) == expected


@pytest.mark.parametrize("name", ["4x-Tiny", "R-ESRGAN General 4xV3", "Lanczos", "Nearest", "None"])
@pytest.mark.parametrize("scale", [2, 8, 1], ids=["2x", "8x-two-passes", "1x"])
def test_upscale_by_gives_exact_sizes(roots, name, scale):
    up = resolve_upscaler(name, roots)
    loaded = load_upscaler(up.path, device="cpu") if up.path else None
    image = noise_image(21, 17)
    out = upscale_by(image, up, scale, loaded=loaded)
    assert out.size == target_size(21, 17, scale) and out.mode == "RGB"


def test_model_passes_stop_at_the_target(roots, monkeypatch):
    import promptlab.upscale.core as core

    up = resolve_upscaler("4x-Tiny", roots)
    loaded = load_upscaler(up.path, device="cpu")
    calls = []
    real = core._one_pass
    monkeypatch.setattr(core, "_one_pass", lambda *a, **k: calls.append(1) or real(*a, **k))
    upscale_by(noise_image(16, 16), up, 2, loaded=loaded)
    upscale_by(noise_image(16, 16), up, 8, loaded=loaded)
    assert len(calls) == 1 + 2  # 4x reaches 2x in one pass and 8x in two, as in A1111


def test_upscale_to_exact_size(roots):
    up = resolve_upscaler("R-ESRGAN General 4xV3", roots)
    out = upscale_to(noise_image(32, 24), up, 72, 40, loaded=load_upscaler(up.path, device="cpu"))
    assert out.size == (72, 40)


@pytest.mark.parametrize("scale", [0, 0.5, 100, float("nan")], ids=["zero", "below-1", "hundred", "nan"])
def test_bad_scale(roots, scale):
    with pytest.raises(UpscaleInputError, match="out of range"):
        upscale_by(noise_image(16, 16), resolve_upscaler("Lanczos", roots), scale)


def test_latent_upscaler_refused_for_images(roots):
    with pytest.raises(UpscaleInputError, match="hires fix"):
        upscale_by(noise_image(16, 16), resolve_upscaler("Latent", roots), 2)

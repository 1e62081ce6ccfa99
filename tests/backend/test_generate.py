"""DiffusersBackend.generate on tiny checkpoints: seeds, batches, hires fix, LoRA, cancel, errors, infotext."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from promptlab.backend.base import Backend
from promptlab.errors import BackendError, CancelledError, InvalidInputError, ModelLoadError, ModelNotFoundError
from promptlab.params import GenerationParams

BASE = GenerationParams(prompt="a (red:1.2) cat, masterpiece", negative_prompt="blurry", steps=2, width=64,
                        height=64, seed=1234, model="tiny")


def pixels(result) -> np.ndarray:
    return np.asarray(result.image, dtype=np.int16)


def test_backend_protocol(backend):
    assert isinstance(backend, Backend)
    assert backend.list_models() == ["sub/tinyxl", "tiny"]
    assert "DPM++ 2M" in backend.list_samplers()


@pytest.mark.parametrize("model", ["tiny", "sub/tinyxl"], ids=["sd1", "sdxl"])
def test_same_params_same_pixels(backend, model):
    a = backend.generate(BASE.with_(model=model))
    b = backend.generate(BASE.with_(model=model))
    c = backend.generate(BASE.with_(model=model, seed=1235))
    assert np.array_equal(pixels(a[0]), pixels(b[0]))
    assert not np.array_equal(pixels(a[0]), pixels(c[0]))


def test_batch_members_get_seed_plus_i(backend):
    job = backend.generate(BASE.with_(batch_size=2, batch_count=2))
    assert [r.params.seed for r in job] == [1234, 1235, 1236, 1237]
    single = backend.generate(BASE.with_(seed=1236))
    # A1111 CPU RNG: image 3 of the job is the image seed 1236 makes alone
    assert np.abs(pixels(job[2]) - pixels(single[0])).max() <= 1
    assert all(r.image.size == (64, 64) for r in job)


def test_ensd_changes_ancestral_noise_only(backend):
    plain = backend.generate(BASE)[0]
    ensd = backend.generate(BASE.with_(ensd=31337))[0]
    assert not np.array_equal(pixels(plain), pixels(ensd))
    assert "ENSD: 31337" in ensd.infotext
    euler = BASE.with_(sampler="Euler")
    assert np.array_equal(pixels(backend.generate(euler)[0]), pixels(backend.generate(euler.with_(ensd=31337))[0]))


def test_random_seed_is_resolved(backend):
    results = backend.generate(BASE.with_(seed=-1, batch_size=2))
    seeds = [r.params.seed for r in results]
    assert seeds[0] >= 0 and seeds[1] == seeds[0] + 1
    assert f"Seed: {seeds[0]}," in results[0].infotext


def test_model_loaded_once(models_root):
    from promptlab.backend.diffusers_backend import DiffusersBackend

    b = DiffusersBackend(models_root, device="cpu")
    b.generate(BASE)
    b.generate(BASE.with_(sampler="Euler"))
    assert b.model_loads == 1
    b.close()


def test_lru_budget_evicts(models_root):
    from promptlab.backend.diffusers_backend import DiffusersBackend

    b = DiffusersBackend(models_root, device="cpu", memory_budget_gb=0.00001)
    for model in ("tiny", "sub/tinyxl", "tiny"):
        b.generate(BASE.with_(model=model))
    assert b.model_loads == 3
    assert len(b.manager.loaded()) == 1
    b.close()


@pytest.mark.parametrize(
    ("upscaler", "extra"),
    [("Latent", {}), ("Lanczos", {}), ("Latent (nearest)", {"hires_steps": 3, "hires_sampler": "Euler"})],
    ids=["latent", "lanczos", "latent-nearest-own-steps"],
)
def test_hires_fix(backend, upscaler, extra):
    params = BASE.with_(hires_upscale=1.5, hires_upscaler=upscaler, denoising_strength=0.5, **extra)
    steps = []
    (result,) = backend.generate(params, on_progress=lambda p: steps.append(p.step))
    assert result.image.size == (96, 96)
    assert "Hires upscale: 1.5" in result.infotext and "Denoising strength: 0.5" in result.infotext
    assert f"Hires upscaler: {upscaler}" in result.infotext
    hires_steps = extra.get("hires_steps", 2)
    assert steps[-1] == 2 + hires_steps   # A1111: all hires steps run (of a schedule of hires_steps / denoise)
    plain = backend.generate(BASE)[0]
    assert plain.image.size == (64, 64)


def test_hires_fix_sdxl(backend):
    for upscaler in ("Latent", "Lanczos"):
        (result,) = backend.generate(BASE.with_(model="sub/tinyxl", hires_upscale=2.0, hires_upscaler=upscaler,
                                                denoising_strength=0.6))
        assert result.image.size == (128, 128)


def test_hires_resize(backend):
    (result,) = backend.generate(BASE.with_(hires_resize_x=128, hires_resize_y=96, denoising_strength=0.4))
    assert result.image.size == (128, 96)


def test_lora_applied_and_removed(backend, models_root):
    plain = backend.generate(BASE)[0]
    with_lora = backend.generate(BASE.with_(prompt=BASE.prompt + " <lora:style:1>"))[0]
    again = backend.generate(BASE)[0]
    assert not np.array_equal(pixels(plain), pixels(with_lora))
    assert np.array_equal(pixels(plain), pixels(again))
    assert "Lora hashes: " in with_lora.infotext and "style: " in with_lora.infotext
    assert "<lora:style:1>" in with_lora.params.prompt
    zero = backend.generate(BASE.with_(prompt=BASE.prompt + " <lora:style:0>"))[0]
    assert np.abs(pixels(zero) - pixels(plain)).max() <= 1
    pipe = backend.manager.get(backend.manager_source("tiny")).pipe
    assert not any("lora" in k for k in pipe.unet.state_dict())
    assert not any("lora" in k for k in pipe.text_encoder.state_dict())


def test_sdxl_lora(backend):
    params = BASE.with_(model="sub/tinyxl")
    plain = backend.generate(params)[0]
    with_lora = backend.generate(params.with_(prompt=params.prompt + " <lora:xl_style:0.8>"))[0]
    assert not np.array_equal(pixels(plain), pixels(with_lora))
    assert np.array_equal(pixels(plain), pixels(backend.generate(params)[0]))


@pytest.mark.parametrize(
    ("prompt", "model", "error", "match"),
    [
        ("x <lora:xl_style:1>", "tiny", ModelLoadError, "is for SDXL, but checkpoint 'tiny' is SD1.x"),
        ("x <lora:style:1>", "sub/tinyxl", ModelLoadError, "is for SD1.x"),
        ("x <lora:nope:1>", "tiny", ModelNotFoundError, "No lora named 'nope'"),
        ("x <lora:../Stable-diffusion/tiny:1>", "tiny", InvalidInputError, "outside"),
        ("x <lora:style:abc>", "tiny", InvalidInputError, "not a number"),
    ],
    ids=["sdxl-lora-on-sd1", "sd1-lora-on-sdxl", "missing", "path-escape", "bad-weight"],
)
def test_lora_errors_leave_backend_usable(backend, prompt, model, error, match):
    with pytest.raises(error, match=match):
        backend.generate(BASE.with_(prompt=prompt, model=model))
    pipe = backend.manager.get(backend.manager_source(model)).pipe
    assert not any("lora" in k for k in pipe.unet.state_dict())
    assert backend.generate(BASE.with_(model=model))


def test_progress_and_previews(models_root):
    from promptlab.backend.diffusers_backend import DiffusersBackend

    b = DiffusersBackend(models_root, device="cpu", preview_every=1)
    seen = []
    b.generate(BASE.with_(steps=3, batch_count=2), on_progress=seen.append)
    assert [(p.image_index, p.step, p.total_steps) for p in seen] == [
        (0, 1, 3), (0, 2, 3), (0, 3, 3), (1, 1, 3), (1, 2, 3), (1, 3, 3)]
    assert all(p.total_images == 2 for p in seen)
    assert seen[0].preview is not None and seen[0].preview.mode == "RGB"
    b.close()


def test_cancel_between_steps(backend):
    cancel = threading.Event()

    def stop_after_first(progress):
        cancel.set()

    with pytest.raises(CancelledError):
        backend.generate(BASE.with_(steps=4), on_progress=stop_after_first, cancel=cancel)
    assert backend.generate(BASE)  # still usable


def test_out_of_memory_is_a_clear_error(backend, monkeypatch):
    import torch

    from promptlab.backend import diffusers_backend

    def boom(self, *args, **kwargs):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")

    monkeypatch.setattr(diffusers_backend.DiffusersBackend, "_run", boom)
    with pytest.raises(BackendError, match="Out of memory.*still usable"):
        backend.generate(BASE)
    monkeypatch.undo()
    assert backend.generate(BASE)


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"width": 65}, "multiple of 8; use 64 or 72"),
        ({"height": 32}, "out of range"),
        ({"steps": 0}, "steps 0"),
        ({"sampler": "Foo"}, "Unknown sampler 'Foo'. Supported: DPM\\+\\+ 2M"),
        ({"schedule_type": "Wobbly"}, "Unknown schedule type"),
        ({"batch_size": 0}, "at least 1"),
        ({"clip_skip": 0}, "Clip skip"),
        ({"hires_upscale": 2.0, "hires_upscaler": "R-ESRGAN 4x+"}, "needs the file RealESRGAN_x4plus.pth"),
        ({"model": "nothing-here"}, "No checkpoint named 'nothing-here'"),
        ({"model": "../etc/passwd"}, "outside"),
    ],
    ids=["width-8", "too-small", "steps", "sampler", "schedule", "batch", "clip-skip", "upscaler", "missing-model",
         "escape"],
)
def test_bad_params(backend, changes, match):
    with pytest.raises((InvalidInputError, ModelNotFoundError), match=match):
        backend.generate(BASE.with_(**changes))


def test_bad_checkpoint_files(tmp_path, tiny_sd1):
    from promptlab.backend.diffusers_backend import DiffusersBackend
    from promptlab.errors import UnsafeModelError

    folder = tmp_path / "Stable-diffusion"
    folder.mkdir()
    (folder / "broken.safetensors").write_bytes(tiny_sd1.read_bytes()[:100_000])
    (folder / "old.ckpt").write_bytes(b"PK\x03\x04not really")
    b = DiffusersBackend(tmp_path, device="cpu")
    with pytest.raises(ModelLoadError, match="truncated"):
        b.generate(BASE.with_(model="broken"))
    with pytest.raises(UnsafeModelError, match="allow_pickle"):
        b.generate(BASE.with_(model="old"))
    assert b.model_loads == 0


def test_pickled_checkpoint_with_opt_in(tmp_path, tiny_sd1):
    import torch
    from safetensors.torch import load_file

    from promptlab.backend.diffusers_backend import DiffusersBackend

    folder = tmp_path / "Stable-diffusion"
    folder.mkdir()
    torch.save({"state_dict": load_file(str(tiny_sd1))}, folder / "tiny.ckpt")
    b = DiffusersBackend(tmp_path, device="cpu", allow_pickle=True)
    (result,) = b.generate(BASE.with_(model="tiny"))
    assert result.params.model == "tiny" and result.params.model_hash
    b.close()


def test_png_infotext_readable(backend, tmp_path, tiny_sd1):
    from promptlab.backend.diffusers_backend import save_images
    from promptlab.backend.models import sha256
    from promptlab.metadata import read

    results = backend.generate(BASE.with_(sampler="DPM++ 2M", schedule_type="Karras", clip_skip=2, batch_size=2))
    paths = save_images(results, tmp_path / "out")
    assert [p.name for p in paths] == ["00000-1234.png", "00001-1235.png"]
    meta = read(paths[1])
    params = meta.params
    assert params.prompt == BASE.prompt and params.negative_prompt == "blurry"
    assert (params.steps, params.sampler, params.schedule_type, params.cfg_scale) == (2, "DPM++ 2M", "Karras", 7.0)
    assert (params.seed, params.width, params.height, params.clip_skip) == (1235, 64, 64, 2)
    assert params.model == "tiny" and params.model_hash == sha256(tiny_sd1)[:10]
    assert params.version.startswith("promptlab ")
    assert save_images(results[:1], tmp_path / "out")[0].name == "00002-1234.png"

"""More generation paths: a separate VAE, textual-inversion embeddings, SD2 v-prediction, a diffusers folder."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

from promptlab.params import GenerationParams

BASE = GenerationParams(prompt="a cat", negative_prompt="", steps=2, width=64, height=64, seed=3, model="tiny")


@pytest.fixture(scope="module")
def rich_root(tmp_path_factory, tiny_sd1, tiny_sd2):
    """models/ with an SD1 and an SD2 checkpoint, a VAE cut out of a differently seeded checkpoint, an embedding."""
    from promptlab.backend.tiny import make_tiny_checkpoint

    root = tmp_path_factory.mktemp("rich-models")
    (root / "Stable-diffusion").mkdir()
    shutil.copy(tiny_sd1, root / "Stable-diffusion" / "tiny.safetensors")
    shutil.copy(tiny_sd2, root / "Stable-diffusion" / "tiny2.safetensors")
    other = load_file(str(make_tiny_checkpoint(root / "other.safetensors", "sd1", seed=9)))
    (root / "other.safetensors").unlink()
    (root / "VAE").mkdir()
    vae = {k.removeprefix("first_stage_model."): v for k, v in other.items() if k.startswith("first_stage_model.")}
    save_file(vae, str(root / "VAE" / "alt.vae.safetensors"))
    (root / "embeddings").mkdir()
    save_file({"emb_params": torch.randn(2, 32, generator=torch.Generator().manual_seed(5)) * 5},
              str(root / "embeddings" / "mystyle.safetensors"))
    return root


@pytest.fixture(scope="module")
def rich(rich_root):
    from promptlab.backend.diffusers_backend import DiffusersBackend

    b = DiffusersBackend(rich_root, device="cpu")
    yield b
    b.close()


def _px(result):
    return np.asarray(result.image, dtype=np.int16)


def test_separate_vae(rich):
    plain = rich.generate(BASE)[0]
    other = rich.generate(BASE.with_(vae="alt.vae"))[0]
    assert not np.array_equal(_px(plain), _px(other))
    assert "VAE: alt.vae.safetensors" in other.infotext and "VAE hash: " in other.infotext
    assert np.array_equal(_px(plain), _px(rich.generate(BASE)[0]))  # the shared pipeline kept its own VAE


def test_embedding_by_name(rich):
    plain = rich.generate(BASE.with_(prompt="a cat, style"))[0]
    with_emb = rich.generate(BASE.with_(prompt="a cat, mystyle"))[0]
    assert not np.array_equal(_px(plain), _px(with_emb))
    assert "TI hashes: " in with_emb.infotext and "mystyle: " in with_emb.infotext


def test_sd2_v_prediction_model(rich):
    model = rich.manager.get(rich.manager_source("tiny2"))
    assert model.family.value == "sd2"
    (result,) = rich.generate(BASE.with_(model="tiny2", sampler="DPM++ 2M"))
    assert "Model: tiny2" in result.infotext


def test_diffusers_folder(tmp_path, rich):
    from promptlab.backend.diffusers_backend import DiffusersBackend

    pipe = rich.manager.get(rich.manager_source("tiny")).pipe
    folder = tmp_path / "tiny-diffusers"
    pipe.save_pretrained(folder)
    b = DiffusersBackend(tmp_path / "no-models", device="cpu")
    (from_folder,) = b.generate(BASE.with_(model=str(folder)))
    (from_file,) = rich.generate(BASE)
    assert from_folder.params.model == "tiny-diffusers" and from_folder.params.model_hash is None
    assert np.abs(_px(from_folder) - _px(from_file)).max() <= 1
    b.close()


def test_concurrent_calls_are_serialised(rich):
    import threading

    outputs: dict[int, np.ndarray] = {}
    errors: list[BaseException] = []

    def worker(seed: int, prompt: str) -> None:
        try:
            outputs[seed] = _px(rich.generate(BASE.with_(seed=seed, prompt=prompt))[0])
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(s, p)) for s, p in ((10, "a cat"), (11, "a dog, mystyle"))]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors
    assert np.array_equal(outputs[10], _px(rich.generate(BASE.with_(seed=10))[0]))


def test_and_prompt_uses_every_part(rich):
    first = rich.generate(BASE.with_(prompt="a cat"))[0]
    both = rich.generate(BASE.with_(prompt="a cat AND a red dog :0.8"))[0]
    assert not np.array_equal(_px(first), _px(both))
    assert np.array_equal(_px(first), _px(rich.generate(BASE.with_(prompt="a cat"))[0]))  # shared UNet untouched
    hires = rich.generate(BASE.with_(prompt="a cat AND a dog", hires_upscale=1.5, denoising_strength=0.5))[0]
    assert hires.image.size == (96, 96)


def test_replaced_checkpoint_is_reloaded(tmp_path, tiny_sd1):
    import os

    from promptlab.backend.diffusers_backend import DiffusersBackend
    from promptlab.backend.tiny import make_tiny_checkpoint

    folder = tmp_path / "Stable-diffusion"
    folder.mkdir()
    target = folder / "tiny.safetensors"
    shutil.copy(tiny_sd1, target)
    b = DiffusersBackend(tmp_path, device="cpu")
    before = b.generate(BASE)[0]
    assert b.generate(BASE) and b.model_loads == 1
    make_tiny_checkpoint(target, "sd1", seed=21)
    os.utime(target, ns=(1, 1))  # a different mtime even on coarse filesystems
    after = b.generate(BASE)[0]
    assert b.model_loads == 2
    assert before.params.model_hash != after.params.model_hash
    assert not np.array_equal(_px(before), _px(after))
    b.close()

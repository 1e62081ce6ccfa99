"""Shared fixtures for the backend tests: tiny checkpoints built once per session, a models folder."""

from __future__ import annotations

import shutil

import pytest


@pytest.fixture(autouse=True)
def _one_thread():
    import torch

    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("tiny-ckpts")


@pytest.fixture(scope="session")
def tiny_sd1(tiny_dir):
    from promptlab.backend.tiny import make_tiny_checkpoint

    return make_tiny_checkpoint(tiny_dir / "tiny-sd1.safetensors", "sd1")


@pytest.fixture(scope="session")
def tiny_sdxl(tiny_dir):
    from promptlab.backend.tiny import make_tiny_checkpoint

    return make_tiny_checkpoint(tiny_dir / "tiny-sdxl.safetensors", "sdxl")


@pytest.fixture(scope="session")
def tiny_sd2(tiny_dir):
    from promptlab.backend.tiny import make_tiny_checkpoint

    return make_tiny_checkpoint(tiny_dir / "tiny-sd2.safetensors", "sd2")


@pytest.fixture(scope="session")
def models_root(tmp_path_factory, tiny_sd1, tiny_sdxl):
    """An A1111-layout models folder: tiny-sd1 and tiny-sdxl checkpoints, a kohya LoRA for each."""
    from safetensors.torch import save_file

    root = tmp_path_factory.mktemp("models")
    sd = root / "Stable-diffusion"
    (sd / "sub").mkdir(parents=True)
    shutil.copy(tiny_sd1, sd / "tiny.safetensors")
    shutil.copy(tiny_sdxl, sd / "sub" / "tinyxl.safetensors")
    lora = root / "Lora"
    lora.mkdir()
    save_file(kohya_lora("sd1"), str(lora / "style.safetensors"), metadata={"ss_base_model_version": "sd_v1"})
    save_file(kohya_lora("sdxl"), str(lora / "xl_style.safetensors"), metadata={"ss_base_model_version": "sdxl_base_v1-0"})
    (root / "VAE").mkdir()
    (root / "embeddings").mkdir()
    return root


def kohya_lora(family: str, rank: int = 4, seed: int = 0) -> dict:
    """A tiny LoRA in kohya's format (lora_unet_* / lora_te*_* keys, lora_down/lora_up/alpha)."""
    import torch

    g = torch.Generator().manual_seed(seed)
    modules: dict[str, tuple[int, int]] = {}
    if family == "sd1":
        block, te_prefixes, context = "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0", [("lora_te", 32)], 32
        width = 32
    else:  # SDXL kohya LoRAs name UNet layers in the original (SGM) layout; tiny SDXL: input block 4 has attention
        block, te_prefixes, context = "lora_unet_input_blocks_4_1_transformer_blocks_0", [("lora_te1", 32), ("lora_te2", 64)], 96
        width = 64
    for proj in ("to_q", "to_k", "to_v", "to_out_0"):
        modules[f"{block}_attn1_{proj}"] = (width, width)
    modules[f"{block}_attn2_to_k"] = (context, width)
    modules[f"{block}_attn2_to_v"] = (context, width)
    for prefix, te_width in te_prefixes:
        for proj in ("q_proj", "k_proj", "v_proj", "out_proj"):
            modules[f"{prefix}_text_model_encoder_layers_0_self_attn_{proj}"] = (te_width, te_width)
    state = {}
    for name, (fan_in, fan_out) in modules.items():
        state[f"{name}.lora_down.weight"] = torch.randn(rank, fan_in, generator=g)
        state[f"{name}.lora_up.weight"] = torch.randn(fan_out, rank, generator=g)
        state[f"{name}.alpha"] = torch.tensor(float(rank))
    return state


@pytest.fixture(scope="module")
def backend(models_root):
    from promptlab.backend.diffusers_backend import DiffusersBackend

    b = DiffusersBackend(models_root, device="cpu")
    yield b
    b.close()

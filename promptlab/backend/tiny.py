"""Tiny random-weight Stable Diffusion checkpoints for tests and benchmarks.

``make_tiny_checkpoint`` builds an SD1-, SD2- or SDXL-shaped pipeline from the shipped tiny configs
(UNet block_out_channels (32, 64), 2-layer CLIP text encoders of width 32 (SDXL's second: 64), a
4-level VAE of width 32) and saves it as ONE ``.safetensors`` file in A1111's original (LDM) key
layout, so it loads through exactly the same single-file path as a real checkpoint. The CLIP
vocabulary is the real one (49,408 tokens), so real prompts tokenize as they do on real models.
"""

from __future__ import annotations

from pathlib import Path

from promptlab.errors import InvalidInputError

TINY_CONFIGS = {"sd1": "tiny-sd1", "sd2": "tiny-sd2", "sdxl": "tiny-sdxl"}


def build_tiny_components(family: str = "sd1", seed: int = 0) -> dict:
    """The tiny pipeline's modules (unet, vae, text_encoder[, text_encoder_2]) with seeded random weights."""
    import torch
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

    from promptlab.backend.model_configs import read_config

    name = _config_name(family)
    torch.manual_seed(seed)
    components = {
        "unet": UNet2DConditionModel.from_config(read_config(name, "unet")),
        "vae": AutoencoderKL.from_config(read_config(name, "vae")),
        "text_encoder": CLIPTextModel(CLIPTextConfig(**read_config(name, "text_encoder"))),
    }
    if family == "sdxl":
        components["text_encoder_2"] = CLIPTextModelWithProjection(
            CLIPTextConfig(**read_config(name, "text_encoder_2"))
        )
    return components


def make_tiny_checkpoint(path: str | Path, family: str = "sd1", seed: int = 0) -> Path:
    """Write a tiny random-weight single-file checkpoint (A1111 layout) to ``path`` and return it.

    ``family``: "sd1", "sd2" (v-prediction, OpenCLIP text encoder layout) or "sdxl". Same
    ``seed`` -> byte-identical weights.
    """
    from safetensors.torch import save_file

    from promptlab.backend.ldm_keys import pipeline_to_ldm

    path = Path(path)
    if path.suffix.lower() != ".safetensors":
        raise InvalidInputError(f"{path.name}: tiny checkpoints are written as .safetensors.")
    components = build_tiny_components(family, seed)
    state = pipeline_to_ldm(components, family)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(state, str(path), metadata={"format": "pt", "promptlab.tiny": family})
    return path


def _config_name(family: str) -> str:
    try:
        return TINY_CONFIGS[family]
    except KeyError:
        raise InvalidInputError(
            f"Unknown model family {family!r}; expected one of {', '.join(TINY_CONFIGS)}."
        ) from None

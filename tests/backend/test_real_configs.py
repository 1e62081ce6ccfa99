"""The shipped full-size configs (SD1.5, SD2.1, SDXL) describe the real architectures: models built from
them on the meta device (no memory, no weights) have exactly the key layout diffusers' own single-file
detection expects from real A1111 checkpoints, and promptlab maps them back to the right config."""

from __future__ import annotations

import pytest

from promptlab.backend.models import Family, classify

CASES = [
    ("sd15", "sd1", "v1", Family.SD1, {"model.diffusion_model.input_blocks.1.1.proj_in.weight": (320, 320, 1, 1),
                                       "cond_stage_model.transformer.text_model.embeddings.token_embedding.weight": (49408, 768)}),
    ("sd21", "sd2", "v2", Family.SD2, {"model.diffusion_model.input_blocks.1.1.proj_in.weight": (320, 320),
                                       "cond_stage_model.model.transformer.resblocks.22.attn.in_proj_weight": (3072, 1024)}),
    ("sdxl", "sdxl", "xl_base", Family.SDXL, {"model.diffusion_model.label_emb.0.0.weight": (1280, 2816),
                                              "model.diffusion_model.input_blocks.7.1.transformer_blocks.9.attn2.to_k.weight": (1280, 2048),
                                              "conditioner.embedders.1.model.text_projection": (1280, 1280),
                                              "conditioner.embedders.1.model.transformer.resblocks.31.ln_2.bias": (1280,)}),
]


@pytest.mark.parametrize(("config", "family", "diffusers_type", "expected_family", "shapes"), CASES,
                         ids=[c[0] for c in CASES])
def test_full_size_layout(config, family, diffusers_type, expected_family, shapes):
    from accelerate import init_empty_weights
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from diffusers.loaders.single_file_utils import infer_diffusers_model_type
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

    from promptlab.backend.ldm_keys import pipeline_to_ldm
    from promptlab.backend.model_configs import read_config

    with init_empty_weights():
        components = {
            "unet": UNet2DConditionModel.from_config(read_config(config, "unet")),
            "vae": AutoencoderKL.from_config(read_config(config, "vae")),
            "text_encoder": CLIPTextModel(CLIPTextConfig(**read_config(config, "text_encoder"))),
        }
        if family == "sdxl":
            components["text_encoder_2"] = CLIPTextModelWithProjection(
                CLIPTextConfig(**read_config(config, "text_encoder_2")))
    state = pipeline_to_ldm(components, family)
    assert infer_diffusers_model_type(state) == diffusers_type
    layout = {k: tuple(v.shape) for k, v in state.items()}
    for key, shape in shapes.items():
        assert layout[key] == shape, key
    import torch

    kind = classify(layout, {}, lambda key: torch.zeros(4), sidecar=None, name=config)
    assert (kind.family, kind.config_name) == (expected_family, config)

"""Tiny checkpoints: written in A1111's layout, loaded back through diffusers' single-file path unchanged."""

from __future__ import annotations

import pytest
import torch

from promptlab.backend.safeload import read_safetensors_header
from promptlab.backend.tiny import build_tiny_components, make_tiny_checkpoint
from promptlab.errors import InvalidInputError

EXPECTED_KEYS = {
    "sd1": ("model.diffusion_model.input_blocks.0.0.weight", "first_stage_model.decoder.up.0.block.0.conv1.weight",
            "cond_stage_model.transformer.text_model.embeddings.position_embedding.weight"),
    "sd2": ("model.diffusion_model.middle_block.1.proj_in.weight", "cond_stage_model.model.token_embedding.weight",
            "cond_stage_model.model.transformer.resblocks.1.attn.in_proj_weight"),
    "sdxl": ("model.diffusion_model.label_emb.0.0.weight", "conditioner.embedders.1.model.text_projection",
             "conditioner.embedders.0.transformer.text_model.final_layer_norm.weight"),
}


@pytest.mark.parametrize("family", ["sd1", "sd2", "sdxl"], ids=["sd1", "sd2", "sdxl"])
def test_single_file_round_trip(family, request):
    from diffusers import StableDiffusionPipeline, StableDiffusionXLPipeline

    from promptlab.backend.model_configs import config_folder

    path = request.getfixturevalue(f"tiny_{family}")
    header = read_safetensors_header(path)
    for key in EXPECTED_KEYS[family]:
        assert key in header
    cls = StableDiffusionXLPipeline if family == "sdxl" else StableDiffusionPipeline
    pipe = cls.from_single_file(str(path), config=str(config_folder(f"tiny-{family}")), local_files_only=True)
    for name, module in build_tiny_components(family).items():
        expected = module.state_dict()
        got = getattr(pipe, name).state_dict()
        assert set(got) == set(expected), name
        for key, value in expected.items():
            assert torch.equal(got[key], value), f"{name}.{key}"


def test_same_seed_same_weights(tmp_path):
    from safetensors.torch import load_file

    a, b, c = (
        load_file(make_tiny_checkpoint(tmp_path / f"{name}.safetensors", "sd1", seed=seed))
        for name, seed in (("a", 3), ("b", 3), ("c", 4))
    )
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a)


@pytest.mark.parametrize(("name", "family"), [("x.ckpt", "sd1"), ("x.safetensors", "sd9")], ids=["suffix", "family"])
def test_bad_arguments(tmp_path, name, family):
    with pytest.raises(InvalidInputError):
        make_tiny_checkpoint(tmp_path / name, family)

"""ComfyUI graphs built with custom node packs (Efficiency Nodes, Comfyroll, rgthree, and a pack nobody
has heard of): the model, LoRAs (loader nodes, numbered stacks, stacks linked through lora_stack),
clip skip, seed and prompts are found by following the inputs, not by knowing the class names."""

from __future__ import annotations

import pytest
from _metadata_build import comfy_png

from promptlab.metadata import read


def _tail(save_from: str = "3") -> dict:
    return {"8": {"class_type": "VAEDecode", "inputs": {"samples": [save_from, 0], "vae": ["4", 2]}},
            "9": {"class_type": "SaveImage", "inputs": {"filename_prefix": "x", "images": ["8", 0]}}}


def _ksampler(model: list, pos: list, neg: list, seed: object = 77) -> dict:
    return {"class_type": "KSampler", "inputs": {"seed": seed, "steps": 24, "cfg": 5.5, "sampler_name": "euler",
                                                 "scheduler": "normal", "denoise": 1.0, "model": model,
                                                 "positive": pos, "negative": neg, "latent_image": ["5", 0]}}


LATENT = {"5": {"class_type": "EmptyLatentImage", "inputs": {"width": 768, "height": 1024, "batch_size": 1}}}

EFFICIENCY = {
    "4": {"class_type": "Efficient Loader", "inputs": {
        "ckpt_name": "ponyXL.safetensors", "vae_name": "Baked VAE", "clip_skip": -2, "lora_name": "style.safetensors",
        "lora_model_strength": 0.8, "lora_clip_strength": 0.6, "positive": "1girl, smile", "negative": "lowres",
        "empty_latent_width": 832, "empty_latent_height": 1216, "batch_size": 1, "lora_stack": ["20", 0]}},
    "20": {"class_type": "LoRA Stacker", "inputs": {
        "input_mode": "advanced", "lora_count": 2, "lora_name_1": "detail.safetensors", "model_str_1": 0.5,
        "clip_str_1": 0.4, "lora_name_2": "hands.safetensors", "model_str_2": 0.3, "clip_str_2": 0.3,
        "lora_name_3": "unused.safetensors", "model_str_3": 1.0, "clip_str_3": 1.0}},
    "3": {"class_type": "KSampler (Efficient)", "inputs": {
        "seed": 1234, "steps": 30, "cfg": 6.0, "sampler_name": "dpmpp_2m", "scheduler": "karras", "denoise": 1.0,
        "model": ["4", 0], "positive": ["4", 1], "negative": ["4", 2], "latent_image": ["4", 3]}},
    **_tail(),
}

COMFYROLL = {
    "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "animagine.safetensors"}},
    "21": {"class_type": "CR LoRA Stack", "inputs": {
        "switch_1": "On", "lora_name_1": "a.safetensors", "model_weight_1": 0.7, "clip_weight_1": 0.7,
        "switch_2": "Off", "lora_name_2": "b.safetensors", "model_weight_2": 1.0, "clip_weight_2": 1.0,
        "switch_3": "On", "lora_name_3": "c.safetensors", "model_weight_3": 0.2, "clip_weight_3": 0.1}},
    "22": {"class_type": "CR Apply LoRA Stack", "inputs": {"model": ["4", 0], "clip": ["4", 1], "lora_stack": ["21", 0]}},
    "23": {"class_type": "CLIPSetLastLayer", "inputs": {"stop_at_clip_layer": -2, "clip": ["22", 1]}},
    "30": {"class_type": "CR Seed", "inputs": {"seed": 424242}},
    "6": {"class_type": "CR Prompt Text", "inputs": {"prompt": "castle, night"}},
    "60": {"class_type": "CLIPTextEncode", "inputs": {"text": ["6", 0], "clip": ["23", 0]}},
    "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "blurry", "clip": ["23", 0]}},
    "3": _ksampler(["22", 0], ["60", 0], ["7", 0], seed=["30", 0]),
    **LATENT, **_tail(),
}

RGTHREE = {
    "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "sdxl.safetensors"}},
    "10": {"class_type": "Lora Loader Stack (rgthree)", "inputs": {
        "model": ["4", 0], "clip": ["4", 1], "lora_01": "one.safetensors", "strength_01": 0.9,
        "lora_02": "None", "strength_02": 1.0, "lora_03": "three.safetensors", "strength_03": 0.4}},
    "11": {"class_type": "Power Lora Loader (rgthree)", "inputs": {
        "model": ["10", 0], "clip": ["10", 1], "lora_1": {"on": True, "lora": "power.safetensors", "strength": 0.6},
        "lora_2": {"on": False, "lora": "off.safetensors", "strength": 1.0}}},
    "30": {"class_type": "Seed (rgthree)", "inputs": {"seed": 99}},
    "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "forest", "clip": ["11", 1]}},
    "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "ugly", "clip": ["11", 1]}},
    "3": _ksampler(["11", 0], ["6", 0], ["7", 0], seed=["30", 0]),
    **LATENT, **_tail(),
}

UNKNOWN_PACK = {
    "4": {"class_type": "ZZ Mega Loader", "inputs": {"ckpt_name": "mystery.safetensors", "weird_option": True}},
    "12": {"class_type": "ZZ Lora", "inputs": {"model": ["4", 0], "clip": ["4", 1], "lora_name": "zz.safetensors",
                                               "strength_model": 0.45, "strength_clip": 0.35}},
    "13": {"class_type": "ZZ Clip Trim", "inputs": {"clip": ["12", 1], "stop_at_clip_layer": -3}},
    "14": {"class_type": "ZZ Noise Seed", "inputs": {"noise_seed": 31337}},
    "6": {"class_type": "ZZ Text Encode", "inputs": {"text": "robot", "clip": ["13", 0]}},
    "7": {"class_type": "ZZ Text Encode", "inputs": {"text": "text, watermark", "clip": ["13", 0]}},
    "3": _ksampler(["12", 0], ["6", 0], ["7", 0], seed=["14", 0]),
    **LATENT, **_tail(),
}

CASES = {
    "efficiency": (EFFICIENCY, dict(model="ponyXL.safetensors", clip_skip=2, seed=1234, prompt="1girl, smile",
                                    negative_prompt="lowres", width=832, height=1216),
                   [("detail.safetensors", 0.5, 0.4), ("hands.safetensors", 0.3, 0.3), ("style.safetensors", 0.8, 0.6)]),
    "comfyroll": (COMFYROLL, dict(model="animagine.safetensors", clip_skip=2, seed=424242, prompt="castle, night",
                                  negative_prompt="blurry"),
                  [("a.safetensors", 0.7, 0.7), ("c.safetensors", 0.2, 0.1)]),
    "rgthree": (RGTHREE, dict(model="sdxl.safetensors", seed=99, prompt="forest"),
                [("one.safetensors", 0.9, 0.9), ("three.safetensors", 0.4, 0.4), ("power.safetensors", 0.6, 0.6)]),
    "unknown-pack": (UNKNOWN_PACK, dict(model="mystery.safetensors", clip_skip=3, seed=31337, prompt="robot",
                                        negative_prompt="text, watermark", width=768, height=1024),
                     [("zz.safetensors", 0.45, 0.35)]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_node_pack_graph_gives_model_loras_clip_skip_and_seed(name):
    graph, expected, loras = CASES[name]
    meta = read(comfy_png(graph))
    assert meta.generator == "comfyui", meta.warnings
    p = meta.params
    for field, value in expected.items():
        assert getattr(p, field) == value, field
    got = [(l["name"], l["strength_model"], l["strength_clip"]) for l in meta.details["loras"]]
    assert got == loras


def test_lora_count_limits_the_efficiency_stack():
    meta = read(comfy_png(EFFICIENCY))
    assert "unused.safetensors" not in [l["name"] for l in meta.details["loras"]]


def test_upscaler_model_name_is_not_taken_for_the_checkpoint():
    graph = dict(UNKNOWN_PACK)
    graph["4"] = {"class_type": "ZZ Loader", "inputs": {"model_name": "4x-UltraSharp", "ckpt_name": "real.safetensors"}}
    assert read(comfy_png(graph)).params.model == "real.safetensors"

"""Civitai's generator and Stability Matrix with hires fix / upscale: A1111's Size is the first pass,
the final size is kept apart, the model is the checkpoint URN (Civitai), denoise and scheduler are
found, LoRAs carry their strength — built images of each class, not one sample file."""

from __future__ import annotations

import io
import json

import pytest
from _metadata_build import png, text
from PIL import Image

from promptlab.metadata import read
from promptlab.metadata.write import exif_user_comment

CKPT = "urn:air:sdxl:checkpoint:civitai:827184@1410435"
LORA = "urn:air:sdxl:lora:civitai:120096@135931"


def _hires_graph(ckpt: str, lora: str | None, *, upscale_node: dict | None = None) -> dict:
    g = {
        "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": ckpt}},
        "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 832, "height": 1216, "batch_size": 1}},
        "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "1girl, smile", "clip": ["4", 1]}},
        "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "lowres", "clip": ["4", 1]}},
        "3": {"class_type": "KSampler", "inputs": {"seed": 42, "steps": 25, "cfg": 5.0, "sampler_name": "euler_ancestral",
                                                   "scheduler": "normal", "denoise": 1.0, "model": ["4", 0],
                                                   "positive": ["6", 0], "negative": ["7", 0], "latent_image": ["5", 0]}},
        "11": upscale_node or {"class_type": "LatentUpscaleBy", "inputs": {"upscale_method": "nearest-exact",
                                                                           "scale_by": 1.5, "samples": ["3", 0]}},
        "12": {"class_type": "KSampler", "inputs": {"seed": 42, "steps": 12, "cfg": 5.0, "sampler_name": "euler_ancestral",
                                                    "scheduler": "normal", "denoise": 0.45, "model": ["4", 0],
                                                    "positive": ["6", 0], "negative": ["7", 0], "latent_image": ["11", 0]}},
        "8": {"class_type": "VAEDecode", "inputs": {"samples": ["12", 0], "vae": ["4", 2]}},
        "9": {"class_type": "SaveImage", "inputs": {"filename_prefix": "x", "images": ["8", 0]}},
    }
    if lora:
        g["10"] = {"class_type": "LoraLoader", "inputs": {"lora_name": lora, "strength_model": 0.8, "strength_clip": 0.8,
                                                          "model": ["4", 0], "clip": ["4", 1]}}
        for sampler in ("3", "12"):
            g[sampler]["inputs"]["model"] = ["10", 0]
    return g


def _civitai_jpeg(meta: dict, graph: dict, airs: list[str]) -> bytes:
    payload = dict(graph, extra={"airs": airs}, extraMetadata=json.dumps(meta))
    buf = io.BytesIO()
    Image.new("RGB", (12, 18), "white").save(buf, format="JPEG", exif=exif_user_comment(json.dumps(payload)))
    return buf.getvalue()


CIVITAI_META = {"prompt": "1girl, smile", "negativePrompt": "lowres", "cfgScale": 5, "sampler": "Euler a", "clipSkip": 2,
                "steps": 25, "seed": 42, "width": 1248, "height": 1824, "baseModel": "Illustrious",
                "scheduler": "Karras", "resources": [{"modelVersionId": 1410435, "strength": 1},
                                                      {"modelVersionId": 135931, "strength": 0.8}]}


def test_civitai_hires_reads_like_a1111():
    meta = read(_civitai_jpeg(CIVITAI_META, _hires_graph(CKPT, LORA), [CKPT, LORA]))
    p = meta.params
    assert meta.generator == "civitai"
    assert (p.width, p.height) == (832, 1216)
    assert p.model == CKPT
    assert (p.hires_upscale, p.hires_steps, p.denoising_strength) == (1.5, 12, 0.45)
    assert p.schedule_type == "Karras" and p.sampler == "Euler a" and p.clip_skip == 2
    extra = dict(p.extra)
    assert extra["Final size"] == "1248x1824" and extra["Base model"] == "Illustrious"
    assert meta.details["loras"] == [{"name": LORA, "strength_model": 0.8, "strength_clip": 0.8}]


@pytest.mark.parametrize(("json_denoise", "expected"), [(None, 0.45), (0.3, 0.3)], ids=["from-graph", "json-wins"])
def test_civitai_denoise(json_denoise, expected):
    meta_json = dict(CIVITAI_META, **({"denoise": json_denoise} if json_denoise is not None else {}))
    assert read(_civitai_jpeg(meta_json, _hires_graph(CKPT, None), [CKPT])).params.denoising_strength == expected


def test_civitai_without_hires_keeps_the_json_size_and_base_model_when_no_urn():
    meta_json = dict(CIVITAI_META, width=1024, height=1024)
    graph = _hires_graph("plain.safetensors", None)
    del graph["11"], graph["12"]
    graph["8"]["inputs"]["samples"] = ["3", 0]
    p = read(_civitai_jpeg(meta_json, graph, [])).params
    assert (p.width, p.height, p.model, p.hires_upscale) == (1024, 1024, "Illustrious", None)


def _sm_png(graph: dict, width: int, height: int) -> bytes:
    sm = {"PositivePrompt": "1girl, smile", "NegativePrompt": "lowres", "Steps": 25, "Sampler": "Euler Ancestral",
          "CfgScale": 5, "Seed": 42, "Height": height, "Width": width, "ModelName": "wai.safetensors", "ModelHash": "AB"}
    return png([text("parameters-json", json.dumps(sm)), text("prompt", json.dumps(graph))])


def test_stability_matrix_hires_base_size_and_final_size():
    p = read(_sm_png(_hires_graph("wai.safetensors", None), 1248, 1824)).params
    assert (p.width, p.height) == (832, 1216)
    assert (p.hires_upscale, p.hires_steps, p.denoising_strength) == (1.5, 12, 0.45)
    assert dict(p.extra)["Final size"] == "1248x1824"


def test_stability_matrix_model_upscale_after_the_sampler():
    graph = _hires_graph("wai.safetensors", None)
    del graph["11"], graph["12"]
    graph["20"] = {"class_type": "UpscaleModelLoader", "inputs": {"model_name": "4x-UltraSharp.pth"}}
    graph["21"] = {"class_type": "ImageUpscaleWithModel", "inputs": {"upscale_model": ["20", 0], "image": ["8", 0]}}
    graph["8"]["inputs"]["samples"] = ["3", 0]
    graph["9"]["inputs"]["images"] = ["21", 0]
    p = read(_sm_png(graph, 3328, 4864)).params
    assert (p.width, p.height) == (832, 1216)
    extra = dict(p.extra)
    assert extra["Final size"] == "3328x4864" and extra["Postprocess upscaler"] == "4x-UltraSharp.pth"


def test_stability_matrix_plain_keeps_its_size():
    graph = _hires_graph("wai.safetensors", None)
    del graph["11"], graph["12"]
    graph["8"]["inputs"]["samples"] = ["3", 0]
    p = read(_sm_png(graph, 832, 1216)).params
    assert (p.width, p.height) == (832, 1216) and "Final size" not in dict(p.extra)


@pytest.mark.parametrize("key", ["krea_params", "parameters_json_custom", "generation"])
def test_front_end_json_beside_the_graph_is_read_first(key):
    """A ComfyUI-based front end (Krea and the like) stores what the user asked for beside its graph."""
    graph = _hires_graph("internal_flux.safetensors", None)
    own = {"prompt": "a cat in the rain", "negative_prompt": "", "model": "krea-1", "seed": 5, "steps": 30,
           "guidance_scale": 4.5, "width": 1024, "height": 1024, "style": "cinematic"}
    meta = read(png([text("prompt", json.dumps(graph)), text(key, json.dumps(own))]))
    p = meta.params
    assert meta.generator == "comfyui" and meta.details["front_end"] == key
    assert (p.prompt, p.model, p.seed, p.steps, p.cfg_scale, p.width) == ("a cat in the rain", "krea-1", 5, 30, 4.5, 1024)
    assert dict(p.extra)["style"] == "cinematic"
    assert key not in meta.unclaimed
    assert p.hires_steps == 12  # what only the graph knows is still there


def test_json_without_prompt_and_model_beside_the_graph_is_left_unclaimed():
    graph = _hires_graph("m.safetensors", None)
    meta = read(png([text("prompt", json.dumps(graph)), text("app_state", json.dumps({"theme": "dark", "prompt": "x"}))]))
    assert meta.params.prompt == "1girl, smile" and "app_state" in meta.unclaimed

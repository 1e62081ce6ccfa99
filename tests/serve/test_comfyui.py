"""ComfyUIBackend against the ComfyUI stand-in over real HTTP and websockets on 127.0.0.1."""

from __future__ import annotations

import threading

import pytest

from promptlab.backend.comfyui import ComfyUIBackend
from promptlab.backend.comfyui_workflow import build_txt2img, sampler_and_scheduler
from promptlab.errors import BackendError, CancelledError, InvalidInputError
from promptlab.params import GenerationParams
from tests.serve.comfy_standin import create_standin, validate
from tests.serve.conftest import RunningServer, free_port


@pytest.fixture()
def comfy():
    servers = []

    def start(**kwargs):
        app = create_standin(**kwargs)
        server = RunningServer(app, free_port()).__enter__()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.mark.parametrize(
    "sampler, schedule, expected",
    [("Euler a", None, ("euler_ancestral", "normal")), ("DPM++ 2M", "Karras", ("dpmpp_2m", "karras")),
     ("DPM++ 2M Karras", None, ("dpmpp_2m", "karras")), ("DPM++ 2M SDE", "Exponential", ("dpmpp_2m_sde", "exponential")),
     ("UniPC", "SGM Uniform", ("uni_pc", "sgm_uniform"))],
    ids=["euler-a", "dpmpp2m-karras", "legacy-name", "sde-exponential", "unipc-sgm"],
)
def test_sampler_mapping(sampler, schedule, expected):
    assert sampler_and_scheduler(sampler, schedule) == expected


def test_unknown_sampler_lists_supported():
    with pytest.raises(InvalidInputError, match="Supported: .*Euler a"):
        sampler_and_scheduler("PLMS", None)


def test_workflow_graph_is_valid_for_comfyui():
    params = GenerationParams(prompt="1girl, (smile:1.3), [sky] <lora:detail_tweaker:0.6> <lora:flat:0.4:0.9>",
                              negative_prompt="lowres", steps=12, cfg_scale=5, clip_skip=2, width=512, height=768,
                              hires_upscale=1.5, hires_steps=6, denoising_strength=0.45)
    workflow = build_txt2img(params, checkpoint="beta.safetensors", seed=42,
                             loras_available=["detail_tweaker.safetensors", "style/flat.safetensors"])
    graph = workflow.graph
    assert validate(graph) == {}
    loras = [n["inputs"] for n in graph.values() if n["class_type"] == "LoraLoader"]
    assert [(l["lora_name"], l["strength_clip"], l["strength_model"]) for l in loras] == [
        ("detail_tweaker.safetensors", 0.6, 0.6), ("style/flat.safetensors", 0.4, 0.9)]
    text = graph["3"]["inputs"]["text"]
    assert "<lora" not in text and "[" not in text and "(smile:1.3)" in text
    assert graph["2"]["inputs"]["stop_at_clip_layer"] == -2
    hires = [n for n in graph.values() if n["class_type"] == "KSampler"][1]["inputs"]
    assert hires["denoise"] == 0.45 and hires["steps"] == 6


def test_generate_through_standin(comfy):
    server = comfy()
    backend = ComfyUIBackend(server.url)
    assert backend.list_models() == ["anime/alpha.safetensors", "beta.safetensors"]
    assert "DPM++ 2M" in backend.list_samplers() and "PLMS" not in backend.list_samplers()
    seen = []
    images = backend.generate(GenerationParams(prompt="a cat <lora:detail_tweaker:0.5>", steps=4, seed=500,
                                               width=64, height=64, batch_count=2, model="alpha"),
                              on_progress=seen.append)
    assert [im.params.seed for im in images] == [500, 501]
    assert images[0].image.getpixel((0, 0))[:2] == (500 % 251, (500 // 251) % 251)
    assert "Seed: 500" in images[0].infotext and images[0].params.model == "anime/alpha"
    assert seen and seen[-1].step == 4
    received = server.app.state.standin["received"]
    assert received[0]["1"]["inputs"]["ckpt_name"] == "anime/alpha.safetensors"


def test_newer_object_info_format(comfy):
    server = comfy(new_combo_format=True)
    assert ComfyUIBackend(server.url).list_models() == ["anime/alpha.safetensors", "beta.safetensors"]


def test_polling_without_websocket(comfy):
    server = comfy()
    images = ComfyUIBackend(server.url, use_websocket=False, poll_interval=0.02).generate(
        GenerationParams(steps=2, seed=3, width=64, height=64))
    assert images[0].params.seed == 3


def test_interrupt(comfy):
    server = comfy(step_delay=0.05)
    backend = ComfyUIBackend(server.url, poll_interval=0.05)
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    with pytest.raises(CancelledError):
        backend.generate(GenerationParams(steps=100, width=64, height=64), on_progress=lambda p: None, cancel=cancel)


@pytest.mark.parametrize(
    "params, message",
    [(GenerationParams(model="nope"), "no checkpoint 'nope'"),
     (GenerationParams(prompt="<lora:missing:1>"), "no LoRA 'missing'"),
     (GenerationParams(sampler="PLMS"), "no sampler")],
    ids=["checkpoint", "lora", "sampler"],
)
def test_clear_errors(comfy, params, message):
    server = comfy()
    with pytest.raises((BackendError, InvalidInputError), match=message):
        ComfyUIBackend(server.url).generate(params)


def test_unreachable():
    with pytest.raises(BackendError, match="Cannot reach ComfyUI"):
        ComfyUIBackend("http://127.0.0.1:9", retries=0, connect_timeout=0.5).list_models()

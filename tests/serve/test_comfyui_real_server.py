"""ComfyUIBackend against a stand-in that answers like ComfyUI 0.3.64 (validation from its object_info)."""

from __future__ import annotations

import threading
import time

import pytest

from promptlab.backend.comfyui import ComfyUIBackend
from promptlab.backend.comfyui_workflow import SAMPLERS, build_txt2img
from promptlab.errors import BackendError, CancelledError, InvalidInputError
from promptlab.params import GenerationParams
from tests.serve.comfy_standin import FAIL_MARKER, create_standin, validate
from tests.serve.comfy_validate import real_object_info, validate_prompt
from tests.serve.conftest import RunningServer, free_port

SMALL = dict(width=64, height=64, steps=3, seed=7)


@pytest.fixture()
def comfy():
    servers = []

    def start(**kwargs):
        server = RunningServer(create_standin(**kwargs), free_port()).__enter__()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def _graph(**fields) -> dict:
    return build_txt2img(GenerationParams(**{**SMALL, **fields}), checkpoint="beta.safetensors", seed=7).graph


def test_regression_interrupt_answers_an_empty_body_and_stops_only_our_prompt(comfy):
    server = comfy(step_delay=0.05)
    other = ComfyUIBackend(server.url, poll_interval=0.02)
    ours = ComfyUIBackend(server.url, poll_interval=0.02)
    other_done = {}
    worker = threading.Thread(target=lambda: other_done.setdefault("images", other.generate(
        GenerationParams(**{**SMALL, "steps": 12, "seed": 11}))))
    worker.start()
    time.sleep(0.2)                      # the other client's prompt runs; ours waits in the queue behind it
    cancel = threading.Event()
    threading.Timer(0.1, cancel.set).start()
    with pytest.raises(CancelledError):
        ours.generate(GenerationParams(**SMALL), on_progress=lambda p: None, cancel=cancel)
    worker.join(20)
    state = server.app.state.standin
    assert other_done["images"][0].params.seed == 11          # the other client's job was not interrupted
    assert all(body and body.get("prompt_id") for body in state["interrupt_bodies"])   # never a bare interrupt
    assert len(state["deleted"]) == 1                          # our queued prompt was removed, never ran
    assert len(state["executed"]) == 1


def test_interrupt_running_prompt(comfy):
    server = comfy(step_delay=0.05)
    backend = ComfyUIBackend(server.url, poll_interval=0.02)
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    with pytest.raises(CancelledError):
        backend.generate(GenerationParams(**{**SMALL, "steps": 100}), on_progress=lambda p: None, cancel=cancel)
    time.sleep(0.2)
    assert server.app.state.standin["executed"]                 # it stopped instead of running 100 steps


@pytest.mark.parametrize("websocket", [True, False], ids=["ws", "polling"])
def test_execution_error_is_readable(comfy, websocket):
    server = comfy()
    backend = ComfyUIBackend(server.url, use_websocket=websocket, poll_interval=0.02)
    with pytest.raises(BackendError) as info:
        backend.generate(GenerationParams(**{**SMALL, "prompt": FAIL_MARKER}), on_progress=lambda p: None)
    message = str(info.value)
    assert "KSampler" in message and "Allocation on device" in message and "{" not in message


def test_refused_workflow_names_the_node_and_value(comfy):
    server = comfy()
    backend = ComfyUIBackend(server.url)
    with pytest.raises(BackendError) as info:
        backend.generate(GenerationParams(**{**SMALL, "clip_skip": 30}))   # CLIPSetLastLayer goes to -24
    assert "CLIPSetLastLayer" in str(info.value) and "smaller than min" in str(info.value)


@pytest.mark.parametrize(
    ("resize", "expected"),
    [((128, 0), (128, 192)), ((0, 128), (80, 128)), ((128, 128), (128, 128))],
    ids=["1024x0-style", "0x1024-style", "cover-then-crop"],
)
def test_regression_hires_resize_with_a_free_side(comfy, resize, expected):
    server = comfy()
    params = GenerationParams(**{**SMALL, "width": 64, "height": 96, "hires_resize_x": resize[0],
                                 "hires_resize_y": resize[1]})
    images = ComfyUIBackend(server.url).generate(params)
    graph = server.app.state.standin["received"][-1]
    assert validate(graph) == {}
    kinds = [n["class_type"] for n in graph.values()]
    assert kinds.count("KSampler") == 2                         # the hires pass is there (0x1024 dropped it)
    assert images[0].image.size == expected                      # 128*64//96 = 85 -> 80 (latent pixels of 8)
    assert "Denoising strength: 0.7" in images[0].infotext       # the default used is written


def test_automatic_schedule_and_no_restart(comfy):
    server = comfy()
    backend = ComfyUIBackend(server.url)
    assert "Restart" not in backend.list_samplers() and "Restart" not in SAMPLERS
    images = backend.generate(GenerationParams(**{**SMALL, "sampler": "DPM++ 2M"}))
    sampler = next(n for n in server.app.state.standin["received"][-1].values() if n["class_type"] == "KSampler")
    assert sampler["inputs"]["scheduler"] == "karras"           # A1111 1.9+: Automatic is Karras for DPM++ 2M
    assert "Schedule type: Karras" in images[0].infotext


@pytest.mark.parametrize(("vae", "sent"), [("ft", "ft.safetensors"), ("Automatic", None), ("None", None)], ids=str)
def test_vae_names_matched(comfy, vae, sent):
    server = comfy()
    ComfyUIBackend(server.url).generate(GenerationParams(**{**SMALL, "vae": vae}))
    loaders = [n for n in server.app.state.standin["received"][-1].values() if n["class_type"] == "VAELoader"]
    assert [n["inputs"]["vae_name"] for n in loaders] == ([sent] if sent else [])


def test_unknown_vae_is_a_clear_error(comfy):
    server = comfy()
    with pytest.raises(InvalidInputError, match="no VAE 'kl-f8'.*ft.safetensors"):
        ComfyUIBackend(server.url).generate(GenerationParams(**{**SMALL, "vae": "kl-f8"}))


def test_progress_is_one_total_over_both_passes(comfy):
    server = comfy()
    seen = []
    ComfyUIBackend(server.url).generate(GenerationParams(**{**SMALL, "hires_upscale": 1.5, "hires_steps": 2}),
                                        on_progress=seen.append)
    steps = [(p.step, p.total_steps) for p in seen if not p.message]
    assert steps[-1] == (5, 5) and all(total == 5 for _, total in steps)
    assert [s for s, _ in steps] == sorted(s for s, _ in steps)


def test_seed_above_2_32_is_sent_as_it_is(comfy):
    server = comfy()
    images = ComfyUIBackend(server.url).generate(GenerationParams(**{**SMALL, "seed": 422847914351919}))
    sampler = next(n for n in server.app.state.standin["received"][-1].values() if n["class_type"] == "KSampler")
    assert sampler["inputs"]["seed"] == 422847914351919 and images[0].params.seed == 422847914351919


def test_model_upscaler_for_hires_is_refused_clearly():
    with pytest.raises(InvalidInputError, match="R-ESRGAN 4x\\+.*latent upscaler"):
        _graph(hires_upscale=2, hires_upscaler="R-ESRGAN 4x+")


@pytest.mark.parametrize(
    ("change", "error_type"),
    [(lambda g: g["6"]["inputs"].update(sampler_name="Restart"), "value_not_in_list"),
     (lambda g: g["6"]["inputs"].update(steps=0), "value_smaller_than_min"),
     (lambda g: g["6"]["inputs"].pop("denoise"), "required_input_missing"),
     (lambda g: g["6"]["inputs"].update(model=["3", 0]), "return_type_mismatch"),
     (lambda g: g["6"]["inputs"].update(cfg="lots"), "invalid_input_type")],
    ids=["combo", "min", "missing", "link-type", "conversion"],
)
def test_validation_catches_what_the_real_server_refuses(change, error_type):
    from tests.serve.comfy_standin import _definitions

    graph = _graph()
    change(graph)
    error, node_errors = validate_prompt(graph, _definitions())
    assert error["type"] == "prompt_outputs_failed_validation"
    assert node_errors["6"]["errors"][0]["type"] == error_type


def test_uses_the_real_servers_node_definitions_when_present(shared_dir):
    info = real_object_info()
    assert info is not None and "KSampler" in info and len(info) > 400


def test_replay_plan_checked_against_the_servers_lists(comfy):
    from promptlab.metadata.model import ImageMetadata
    from promptlab.replay import ServerInventory, Status, build_plan

    server = comfy()
    inventory = ServerInventory.from_backend(ComfyUIBackend(server.url))
    assert "beta.safetensors" in inventory.models and "Restart" not in inventory.samplers
    params = GenerationParams(prompt="x <lora:flat:0.5> <lora:gone:1>", model="beta", sampler="DPM++ 2M",
                              vae="nope", hires_upscale=2, hires_prompt="y", ensd=31337)
    meta = ImageMetadata("t.png", "sd-webui", params, format="a1111-infotext", params_list=(params,))
    plan = build_plan(meta, backend="comfyui", server=inventory)
    assert plan.params.model == "beta.safetensors" and plan.params.schedule_type == "Karras"
    cannot = {i.key for i in plan.by_status(Status.NOT_REPRODUCIBLE)}
    assert {"LoRA gone", "VAE", "Hires prompt", "ENSD"} <= cannot and "LoRA flat" not in cannot
    assert "<lora:gone" not in plan.params.prompt and plan.params.vae is None
    images = ComfyUIBackend(server.url).generate(plan.params.with_(**SMALL, hires_upscale=None, hires_prompt=None))
    assert images[0].params.seed == 7


@pytest.mark.parametrize("schedule", [None, "Automatic", "Uniform", "Normal", "Karras", "Exponential", "SGM Uniform",
                                      "Simple", "DDIM", "Beta", "KL Optimal"])
def test_every_sampler_and_schedule_is_in_the_real_servers_lists(schedule):
    from tests.serve.comfy_standin import _definitions

    defs = _definitions()
    for sampler in SAMPLERS:
        graph = _graph(sampler=sampler, schedule_type=schedule, hires_upscale=1.5, hires_sampler="Euler",
                       hires_schedule_type=schedule)
        error, node_errors = validate_prompt(graph, defs)
        assert error is None, (sampler, schedule, node_errors)


def test_settings_comfyui_cannot_honour_are_warned_and_not_claimed(comfy):
    server = comfy()
    seen = []
    images = ComfyUIBackend(server.url).generate(
        GenerationParams(**{**SMALL, "hires_upscale": 1.5, "hires_prompt": "a dog", "ensd": 31337, "tiling": True}),
        on_progress=seen.append)
    warnings = " ".join(p.message for p in seen if p.message)
    assert all(name in warnings for name in ("hires_prompt", "ensd", "tiling"))
    assert "a dog" not in images[0].infotext and "ENSD" not in images[0].infotext and "Tiling" not in images[0].infotext

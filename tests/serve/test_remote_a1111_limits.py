"""RemoteA1111Backend: A1111's UI limits checked before a request is sent; VAE names matched."""

from __future__ import annotations

import pytest

from promptlab.backend.limits import check_a1111_limits
from promptlab.backend.remote_a1111 import RemoteA1111Backend
from promptlab.errors import InvalidInputError
from promptlab.params import GenerationParams
from tests.serve.conftest import PaintBackend


@pytest.mark.parametrize(
    ("change", "message"),
    [({"steps": 151}, "Steps 151 .*1..150"), ({"width": 4096}, "Width 4096 .*64..2048"),
     ({"height": 500}, "Height 500 must be a multiple of 8"), ({"cfg_scale": 31.0}, "CFG scale 31.0 .*0..30"),
     ({"clip_skip": 13}, "Clip skip 13 .*1..12"), ({"hires_upscale": 5.0}, "Hires upscale 5.0 .*1..4"),
     ({"denoising_strength": 1.5}, "Denoising strength 1.5 .*0..1"), ({"batch_size": 9}, "Batch size 9 .*1..8")],
    ids=["steps", "width", "height-multiple", "cfg", "clip-skip", "hires-scale", "denoise", "batch-size"],
)
def test_out_of_a1111_range_is_refused_with_a_clear_message(change, message):
    with pytest.raises(InvalidInputError, match=message):
        check_a1111_limits(GenerationParams(**change))


def test_in_range_passes():
    check_a1111_limits(GenerationParams(steps=150, width=2048, height=64, cfg_scale=0, clip_skip=12, hires_upscale=4))


def test_refused_before_anything_reaches_the_server(serve):
    paint = PaintBackend()
    server = serve([paint])
    with pytest.raises(InvalidInputError, match="Clip skip 20"):
        RemoteA1111Backend(server.url).generate(GenerationParams(clip_skip=20, width=64, height=64, steps=2))
    assert paint.calls == []


def test_vae_automatic_and_none_are_kept(serve):
    paint = PaintBackend()
    server = serve([paint])
    backend = RemoteA1111Backend(server.url)
    for vae in ("Automatic", "None"):
        assert backend._vae(vae) == vae
    assert backend.list_vaes() is None   # promptlab serve has no /sdapi/v1/sd-vae: its backend resolves names


def test_hires_progress_is_one_total_over_both_passes():
    """A webui restarts sampling_step at 0 for the hires pass: the client reports one total."""
    import asyncio
    import base64
    import io
    import json

    from fastapi import FastAPI
    from PIL import Image

    from tests.serve.conftest import RunningServer, free_port

    # what /sdapi/v1/progress answers while the request runs: 4 first-pass steps, then 2 hires steps
    states = [(1, 4), (3, 4), (4, 4), (1, 2), (2, 2)]
    app = FastAPI()
    seen_state = {"i": 0}

    @app.get("/sdapi/v1/progress")
    def progress(skip_current_image: bool = True):
        i = min(seen_state["i"], len(states) - 1)
        seen_state["i"] += 1
        step, total = states[i]
        return {"progress": 0.5, "state": {"sampling_step": step, "sampling_steps": total, "job_no": 0,
                                           "job_count": 1, "job": ""}}

    @app.post("/sdapi/v1/txt2img")
    async def txt2img(body: dict):
        while seen_state["i"] < len(states):
            await asyncio.sleep(0.01)
        buffer = io.BytesIO()
        Image.new("RGB", (8, 8)).save(buffer, format="PNG")
        return {"images": [base64.b64encode(buffer.getvalue()).decode()], "info": json.dumps({"all_seeds": [1]})}

    with RunningServer(app, free_port()) as server:
        seen = []
        RemoteA1111Backend(server.url, poll_interval=0.02).generate(
            GenerationParams(steps=4, hires_upscale=2, hires_steps=2, width=64, height=64), on_progress=seen.append)
    steps = [(p.step, p.total_steps) for p in seen]
    assert steps[0] == (1, 6) and steps[-1] == (6, 6)
    assert [s for s, _ in steps] == sorted(s for s, _ in steps)


def test_plan_against_a_server_that_cannot_list_everything(serve):
    from promptlab.metadata.model import ImageMetadata
    from promptlab.replay import ServerInventory, Status, build_plan

    server = serve([PaintBackend()])
    inventory = ServerInventory.from_backend(RemoteA1111Backend(server.url))
    assert "alpha.safetensors" in inventory.models and "Latent" in inventory.upscalers and inventory.vaes == ()
    params = GenerationParams(prompt="x", model="alpha", sampler="Euler a", hires_upscale=2,
                              hires_upscaler="R-ESRGAN 4x+", vae="ft")
    plan = build_plan(ImageMetadata("t.png", "sd-webui", params, format="a1111-infotext", params_list=(params,)),
                      backend="a1111", server=inventory)
    assert plan.params.model == "alpha.safetensors"
    assert plan.item("Hires upscaler").note == "upscaler_missing" and plan.params.hires_upscaler == "Latent"
    assert plan.item("VAE").note == "unchecked"   # promptlab serve cannot list VAEs: the name is passed on

"""promptlab serve + RemoteA1111Backend over real HTTP on 127.0.0.1."""

from __future__ import annotations

import base64
import io
import json
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from promptlab.backend.remote_a1111 import RemoteA1111Backend
from promptlab.serve.server import ServerLimits
from promptlab.errors import BackendError, CancelledError, InvalidInputError
from promptlab.params import GenerationParams
from tests.serve.conftest import PaintBackend


def test_client_round_trip(serve):
    server = serve()
    client = RemoteA1111Backend(server.url)
    assert client.list_models() == ["alpha.safetensors", "beta.safetensors"]
    assert "DPM++ 2M" in client.list_samplers()
    assert client.list_loras() == ["detail_tweaker"]
    assert "Karras" in client.list_schedulers()
    params = GenerationParams(prompt="a cat, (sky:1.2)", negative_prompt="lowres", steps=3, seed=1234,
                              width=64, height=72, batch_size=2, sampler="DPM++ 2M", clip_skip=2)
    images = client.generate(params)
    assert [im.params.seed for im in images] == [1234, 1235]
    assert images[0].image.size == (64, 72)
    assert images[0].params.prompt == "a cat, (sky:1.2)" and images[0].params.clip_skip == 2
    assert images[0].params.sampler == "DPM++ 2M"
    assert "Seed: 1234" in images[0].infotext
    assert images[0].image.info.get("parameters") == images[0].infotext  # PNG carries the infotext


def test_checkpoint_switch_goes_through_options(serve):
    backend = PaintBackend()
    server = serve([backend])
    client = RemoteA1111Backend(server.url)
    client.generate(GenerationParams(steps=1, width=64, height=64, model="beta.safetensors"))
    assert client.options()["sd_model_checkpoint"] == "beta.safetensors"
    client.generate(GenerationParams(steps=1, width=64, height=64))  # no model named: the server's current one
    assert [c.model for c in backend.calls] == ["beta.safetensors", "beta.safetensors"]
    with pytest.raises(BackendError, match="no checkpoint 'gamma'"):
        client.generate(GenerationParams(steps=1, width=64, height=64, model="gamma"))


def test_progress_is_reported_while_running(serve):
    server = serve([PaintBackend(step_delay=0.02)])
    client = RemoteA1111Backend(server.url, poll_interval=0.05)
    seen = []
    client.generate(GenerationParams(steps=20, width=64, height=64), on_progress=seen.append)
    assert seen and all(p.total_steps == 20 for p in seen)
    assert any(0 < p.step <= 20 for p in seen)


def test_interrupt_mid_run(serve):
    server = serve([PaintBackend(step_delay=0.05)])
    client = RemoteA1111Backend(server.url, poll_interval=0.05)
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    with pytest.raises(CancelledError):
        client.generate(GenerationParams(steps=150, width=64, height=64), cancel=cancel)
    # the server is free again afterwards
    assert len(client.generate(GenerationParams(steps=1, width=64, height=64))) == 1


def test_auth_required(serve):
    server = serve(credentials=(("ann", "s3cret"),))
    assert httpx.get(f"{server.url}/sdapi/v1/sd-models").status_code == 401
    assert httpx.get(f"{server.url}/sdapi/v1/sd-models", auth=("ann", "wrong")).status_code == 401
    with pytest.raises(BackendError, match="401"):
        RemoteA1111Backend(server.url, auth="ann:wrong").list_models()
    assert RemoteA1111Backend(server.url, auth="ann:s3cret").list_models()


@pytest.mark.parametrize(
    "body, field",
    [
        ({"width": 100000}, "width"),
        ({"height": 8}, "height"),
        ({"steps": 0}, "steps"),
        ({"steps": 151}, "steps"),
        ({"batch_size": 8, "n_iter": 8}, "batch_size"),
        ({"seed": -5}, "seed"),
        ({"steps": "many"}, "steps"),
        ({"cfg_scale": 1000}, "cfg_scale"),
    ],
    ids=["huge-width", "tiny-height", "zero-steps", "too-many-steps", "batch", "bad-seed", "wrong-type", "cfg"],
)
def test_out_of_range_values_are_422(serve, body, field):
    server = serve()
    response = httpx.post(f"{server.url}/sdapi/v1/txt2img", json=body)
    assert response.status_code == 422
    assert field in json.dumps(response.json())


def test_malformed_json_is_422(serve):
    server = serve()
    response = httpx.post(f"{server.url}/sdapi/v1/txt2img", content=b"{not json",
                          headers={"content-type": "application/json"})
    assert response.status_code == 422


def test_limits_are_configurable(serve):
    server = serve(limits=ServerLimits(max_steps=10, max_width=256, max_height=256))
    assert httpx.post(f"{server.url}/sdapi/v1/txt2img", json={"steps": 11, "width": 64, "height": 64}).status_code == 422
    assert httpx.post(f"{server.url}/sdapi/v1/txt2img", json={"steps": 10, "width": 256, "height": 64}).status_code == 200


def test_hundred_concurrent_requests_none_lost_order_kept(serve):
    backend = PaintBackend()
    server = serve([backend])

    def call(i):
        r = httpx.post(f"{server.url}/sdapi/v1/txt2img",
                       json={"prompt": f"job {i}", "steps": 2, "width": 64, "height": 64, "seed": i}, timeout=120)
        r.raise_for_status()
        info = json.loads(r.json()["info"])
        return i, info["job_id"], info["all_seeds"]

    with ThreadPoolExecutor(max_workers=100) as pool:
        results = list(pool.map(call, range(100)))
    assert len(results) == 100
    assert all(seeds == [i] for i, _, seeds in results)              # every request got its own answer
    assert sorted(job for _, job, _ in results) == list(range(1, 101))  # no job lost or duplicated
    order = server.app.state.jobs.started_order
    assert order == sorted(order) and len(order) == 100               # FIFO: started in arrival order
    assert sorted(p.prompt for p in backend.calls) == sorted(f"job {i}" for i in range(100))


def test_two_workers_share_the_queue(serve):
    a, b = PaintBackend("a", step_delay=0.01), PaintBackend("b", step_delay=0.01)
    server = serve([a, b])
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda i: httpx.post(f"{server.url}/sdapi/v1/txt2img",
                                           json={"steps": 5, "width": 64, "height": 64}, timeout=60), range(8)))
    assert len(a.calls) + len(b.calls) == 8 and a.calls and b.calls


def test_png_info_reads_metadata(serve, tmp_path):
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    server = serve()
    params = GenerationParams(prompt="1girl, smile", negative_prompt="lowres", steps=28, seed=77, cfg_scale=6.5)
    info = PngInfo()
    info.add_text("parameters", params.to_infotext())
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, format="PNG", pnginfo=info)
    response = httpx.post(f"{server.url}/sdapi/v1/png-info", json={"image": base64.b64encode(buffer.getvalue()).decode()})
    assert response.status_code == 200
    body = response.json()
    assert body["parameters"]["seed"] == 77 and body["parameters"]["prompt"] == "1girl, smile"
    assert "Steps: 28" in body["info"]
    bad = httpx.post(f"{server.url}/sdapi/v1/png-info", json={"image": base64.b64encode(b"not an image").decode()})
    assert bad.status_code == 200 and bad.json()["error"]


def test_openapi_document(serve):
    server = serve()
    paths = httpx.get(f"{server.url}/openapi.json").json()["paths"]
    for path in ("/sdapi/v1/txt2img", "/sdapi/v1/progress", "/sdapi/v1/interrupt", "/sdapi/v1/png-info",
                 "/sdapi/v1/interrogate", "/sdapi/v1/options", "/sdapi/v1/sd-models"):
        assert path in paths


def test_unreachable_server_is_a_clear_error():
    client = RemoteA1111Backend("http://127.0.0.1:9", retries=1, connect_timeout=0.5)
    with pytest.raises(BackendError, match="Cannot reach"):
        client.list_models()
    with pytest.raises(InvalidInputError):
        RemoteA1111Backend("ftp://x")


@pytest.mark.parametrize(
    "host, auth, insecure, ok",
    [("127.0.0.1", False, False, True), ("localhost", False, False, True), ("::1", False, False, True),
     ("0.0.0.0", False, False, False), ("0.0.0.0", True, False, True), ("192.168.1.5", False, True, True)],
    ids=["loopback", "localhost", "ipv6-loopback", "open-no-auth", "open-auth", "open-insecure"],
)
def test_bind_policy(host, auth, insecure, ok):
    from promptlab.cli.serve_cmds import check_bind

    if ok:
        check_bind(host, auth, insecure)
    else:
        with pytest.raises(InvalidInputError, match="without authentication"):
            check_bind(host, auth, insecure)


def test_cli_refuses_open_bind_without_auth(capsys):
    from promptlab.cli import main

    assert main(["serve", "--host", "0.0.0.0"]) == 1
    assert "--api-auth" in capsys.readouterr().err


@pytest.mark.parametrize(
    "name, expected",
    [("beta.safetensors", "beta.safetensors"), ("beta", "beta.safetensors"), ("alpha", "anime/alpha.safetensors"),
     ("anime/alpha.safetensors [1234abcd]", "anime/alpha.safetensors"), ("gamma", None)],
    ids=["exact", "stem", "in-folder", "title-with-hash", "unknown"],
)
def test_model_names_are_matched_as_users_write_them(name, expected):
    from promptlab.backend.a1111_api import match_model_name

    assert match_model_name(name, ["anime/alpha.safetensors", "beta.safetensors"]) == expected

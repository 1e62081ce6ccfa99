"""/sdapi/v1/extra-single-image, /upscalers and /latent-upscale-modes in A1111's shapes."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

pytest.importorskip("fastapi")

from promptlab.metadata import read  # noqa: E402
from promptlab.params import GenerationParams  # noqa: E402

from .conftest import noise_image  # noqa: E402


class NoGpuBackend:
    """The smallest real Backend for the server: the Extras endpoints never generate."""

    name = "none"

    def __init__(self, roots):
        self.roots = roots

    def list_models(self):
        return []

    def list_samplers(self):
        return ["Euler a"]

    def generate(self, params, *, on_progress=None, cancel=None):
        raise AssertionError("not used")

    def close(self):
        pass


@pytest.fixture()
def client(roots):
    from fastapi.testclient import TestClient

    from promptlab.serve.server import ServerConfig, create_app

    with TestClient(create_app([NoGpuBackend(roots)], ServerConfig())) as c:
        yield c


def b64_png(image, params=None) -> str:
    from promptlab.metadata.write import png_bytes

    return base64.b64encode(png_bytes(image, params.to_infotext() if params else None)).decode()


def test_upscalers_list_a1111_shape(client):
    rows = client.get("/sdapi/v1/upscalers").json()
    by_name = {r["name"]: r for r in rows}
    assert [r["name"] for r in rows[:3]] == ["None", "Lanczos", "Nearest"] and "Latent" not in by_name
    assert by_name["R-ESRGAN 4x+"]["model_name"] == "RealESRGAN_x4plus" and by_name["R-ESRGAN 4x+"]["scale"] == 4
    assert set(rows[0]) == {"name", "model_name", "model_path", "model_url", "scale"}
    modes = client.get("/sdapi/v1/latent-upscale-modes").json()
    assert modes[0] == {"name": "Latent"} and len(modes) == 6


@pytest.mark.parametrize(("request_extra", "size", "info"), [
    ({"upscaling_resize": 2}, (64, 48), "Postprocess upscale by: 2, Postprocess upscaler: 4x-Tiny"),
    ({"resize_mode": 1, "upscaling_resize_w": 40, "upscaling_resize_h": 40}, (40, 40),
     "Postprocess upscale to: 40x40, Postprocess upscaler: 4x-Tiny, Postprocess crop to: 40x40"),
], ids=["scale-by", "scale-to-crop"])
def test_extra_single_image(client, request_extra, size, info):
    params = GenerationParams(prompt="a cat", steps=20, seed=5, width=32, height=24)
    body = {"image": b64_png(noise_image(32, 24), params), "upscaler_1": "4x-Tiny", **request_extra}
    response = client.post("/sdapi/v1/extra-single-image", json=body)
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["html_info"] == f"<p>{info}</p>"
    raw = base64.b64decode(data["image"])
    with Image.open(io.BytesIO(raw)) as img:
        assert img.size == size and img.text["extras"] == info
    assert read(raw).params.prompt == "a cat"


@pytest.mark.parametrize(("body", "field", "message"), [
    ({"image": base64.b64encode(b"nope").decode(), "upscaler_1": "Lanczos"}, "image", "not an image"),
    ({"upscaler_1": "4x-Nothing"}, "upscaler_1", "No upscaler named"),
    ({"upscaler_1": "Lanczos", "upscaling_resize": 100}, "upscaling_resize", "out of range"),
    ({"upscaler_1": "Lanczos", "gfpgan_visibility": 1}, "gfpgan_visibility", "not supported"),
    ({"upscaler_1": "Lanczos", "upscaler_2": "Nearest", "extras_upscaler_2_visibility": 0.5}, "upscaler_2",
     "not supported"),
], ids=["not-image", "unknown-upscaler", "scale-100", "gfpgan", "second-upscaler"])
def test_extra_single_image_refusals(client, body, field, message):
    body.setdefault("image", b64_png(noise_image(16, 16)))
    response = client.post("/sdapi/v1/extra-single-image", json=body)
    assert response.status_code == 422
    (detail,) = response.json()["detail"]
    assert detail["loc"][-1] == field and message in detail["msg"]


def test_same_model_loaded_once(client, monkeypatch):
    import promptlab.upscale.load as load

    calls = []
    real = load.load_upscaler
    monkeypatch.setattr(load, "load_upscaler", lambda *a, **k: calls.append(a) or real(*a, **k))
    body = {"image": b64_png(noise_image(16, 16)), "upscaler_1": "R-ESRGAN General 4xV3"}
    for _ in range(2):
        assert client.post("/sdapi/v1/extra-single-image", json=body).status_code == 200
    assert len(calls) == 1

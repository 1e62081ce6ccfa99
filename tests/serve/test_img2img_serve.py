"""img2img over HTTP: `promptlab serve`'s /sdapi/v1/img2img and RemoteA1111Backend sending init images."""

from __future__ import annotations

import base64
import io
import json
from dataclasses import replace

import httpx
import pytest
from PIL import Image

from promptlab.backend.remote_a1111 import RemoteA1111Backend
from promptlab.init_image import InitImage, ResizeMode, check_denoise, resize_image
from promptlab.params import GenerationParams
from tests.serve.conftest import PaintBackend


class Img2ImgPaintBackend(PaintBackend):
    """PaintBackend that does img2img: the init image fitted as A1111 does, blended towards the seed's
    colour by the denoising strength (a real, cheap Backend)."""

    supports_img2img = True

    def generate(self, params, *, on_progress=None, cancel=None):
        out = super().generate(params, on_progress=on_progress, cancel=cancel)
        init = params.init_image
        if init is None:
            return out
        denoise = check_denoise(params.denoising_strength)
        base = resize_image(init.resize_mode, init.decode(), params.width, params.height)
        done = []
        for result in out:
            used = replace(result.params, denoising_strength=denoise)
            done.append(replace(result, image=Image.blend(base, result.image, denoise), params=used,
                                infotext=used.to_infotext()))
        return done


def png(size=(40, 24), colour=(10, 200, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


BODY = {"prompt": "a cat", "steps": 3, "seed": 9, "width": 64, "height": 64, "denoising_strength": 0.5}


def test_img2img_endpoint_answers_like_a1111(serve):
    backend = Img2ImgPaintBackend()
    server = serve([backend])
    response = httpx.post(f"{server.url}/sdapi/v1/img2img",
                          json={**BODY, "init_images": [b64(png())], "resize_mode": 1,
                                "override_settings": {"img2img_fix_steps": True}}, timeout=30)
    assert response.status_code == 200, response.text
    data = response.json()
    info = json.loads(data["info"])
    assert "Denoising strength: 0.5" in info["infotexts"][0] and info["all_seeds"] == [9]
    assert "init_images" not in data["parameters"] and data["parameters"]["resize_mode"] == 1
    init = backend.calls[0].init_image
    assert (init.resize_mode, init.exact_steps, init.data) == (ResizeMode.CROP_AND_RESIZE, True, png())
    image = Image.open(io.BytesIO(base64.b64decode(data["images"][0])))
    assert image.size == (64, 64) and image.info["parameters"] == info["infotexts"][0]
    asked = httpx.post(f"{server.url}/sdapi/v1/img2img",
                       json={**BODY, "init_images": [b64(png())], "include_init_images": True}, timeout=30)
    assert asked.json()["parameters"]["init_images"] == [b64(png())]


@pytest.mark.parametrize(("change", "field"), [
    ({"init_images": [b64(b"plain text")]}, "init_images"),
    ({"init_images": ["@@not base64@@"]}, "init_images"),
    ({"init_images": []}, "init_images"),
    ({"denoising_strength": 1.5}, "denoising_strength"),
    ({"resize_mode": 7}, "resize_mode"),
    ({"steps": 999}, "steps"),
], ids=["not-image", "not-base64", "none", "denoise", "resize-mode", "steps-limit"])
def test_bad_img2img_requests_get_422_naming_the_field(serve, change, field):
    backend = Img2ImgPaintBackend()
    server = serve([backend])
    response = httpx.post(f"{server.url}/sdapi/v1/img2img", json={**BODY, "init_images": [b64(png())], **change},
                          timeout=30)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["body", field]
    assert backend.calls == []   # nothing ran


def test_backend_without_img2img_is_refused(serve):
    server = serve([PaintBackend()])
    response = httpx.post(f"{server.url}/sdapi/v1/img2img", json={**BODY, "init_images": [b64(png())]}, timeout=30)
    assert response.status_code == 422 and "cannot do img2img" in response.text


def test_img2img_needs_the_same_auth(serve):
    server = serve([Img2ImgPaintBackend()], credentials=(("me", "secret"),))
    body = {**BODY, "init_images": [b64(png())]}
    assert httpx.post(f"{server.url}/sdapi/v1/img2img", json=body, timeout=30).status_code == 401
    ok = httpx.post(f"{server.url}/sdapi/v1/img2img", json=body, auth=("me", "secret"), timeout=30)
    assert ok.status_code == 200


def test_remote_client_sends_img2img(serve):
    backend = Img2ImgPaintBackend()
    server = serve([backend])
    client = RemoteA1111Backend(server.url)
    init = InitImage.from_bytes(png((32, 96), (250, 0, 0)), resize_mode="resize-and-fill")
    params = GenerationParams(prompt="a cat", steps=2, seed=3, width=64, height=64, batch_size=2,
                              init_image=init, denoising_strength=0.0, hires_upscale=2.0)
    results = client.generate(params.with_(hires_upscale=None))
    assert [r.params.seed for r in results] == [3, 4]
    sent = backend.calls[0]
    assert sent.init_image.data == init.data and sent.init_image.resize_mode is ResizeMode.RESIZE_AND_FILL
    assert sent.denoising_strength == 0.0 and sent.hires_upscale is None
    # denoise 0 keeps the init image: red, filled to 64x64 with its own stretched edges
    assert results[0].image.convert("RGB").getpixel((0, 0)) == (250, 0, 0)
    # refused before sending, never dropped: hires fix with an init image, denoise out of range
    from promptlab.errors import InvalidInputError

    for bad in (params, params.with_(hires_upscale=None, denoising_strength=1.2)):
        with pytest.raises(InvalidInputError, match="Hires|Denoising strength"):
            client.generate(bad)
    assert len(backend.calls) == 1
    client.close()


def test_pool_sends_img2img_only_to_backends_that_can():
    from promptlab.backend.pool import BackendPool

    plain, able = PaintBackend("plain", step_delay=0.001), Img2ImgPaintBackend("able", step_delay=0.001)
    params = GenerationParams(prompt="x", steps=2, seed=1, width=64, height=64, batch_count=4,
                              init_image=InitImage.from_bytes(png()), denoising_strength=0.3)
    results = BackendPool([plain, able]).generate(params)
    assert [r.params.seed for r in results] == [1, 2, 3, 4]
    assert plain.calls == [] and len(able.calls) == 4
    assert all("Denoising strength: 0.3" in r.infotext for r in results)


def test_pool_without_an_img2img_backend_refuses_translated():
    from promptlab.backend.pool import BackendPool
    from promptlab.init_image import Img2ImgError

    plain = PaintBackend("plain")
    with pytest.raises(Img2ImgError) as info:
        BackendPool([plain]).generate(GenerationParams(prompt="x", init_image=InitImage.from_bytes(png())))
    assert "plain" in info.value.message("zh") and "图生图" in info.value.message("zh")
    assert plain.calls == []


@pytest.mark.slow
def test_img2img_over_http_matches_in_process(serve, tmp_path):
    """The real diffusers engine behind `promptlab serve`: the remote client's img2img gives the pixels the
    local backend gives for the same init image, seed and A1111 steps."""
    pytest.importorskip("diffusers")
    import torch

    from promptlab.backend.diffusers_backend import DiffusersBackend
    from promptlab.backend.tiny import make_tiny_checkpoint

    torch.set_num_threads(1)
    make_tiny_checkpoint(tmp_path / "Stable-diffusion" / "tiny.safetensors", family="sd1")
    server = serve([DiffusersBackend(tmp_path, device="cpu")], default_model="tiny")
    client = RemoteA1111Backend(server.url)
    params = GenerationParams(prompt="a cat", steps=3, seed=42, width=64, height=64, sampler="Euler", model="tiny",
                              init_image=InitImage.from_bytes(png((80, 48)), resize_mode="resize-and-fill"),
                              denoising_strength=0.6)
    remote = client.generate(params)[0]
    local = DiffusersBackend(tmp_path, device="cpu").generate(params)[0]
    assert remote.image.convert("RGB").tobytes() == local.image.convert("RGB").tobytes()
    assert "Denoising strength: 0.6" in remote.infotext
    client.close()

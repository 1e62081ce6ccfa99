"""img2img on ComfyUI: upload, LoadImage -> VAEEncode -> KSampler on the strict stand-in, A1111's steps."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from promptlab.backend.comfyui import ComfyUIBackend
from promptlab.backend.comfyui_img2img import sampler_steps
from promptlab.backend.comfyui_workflow import build_txt2img
from promptlab.backend.img2img import a1111_steps
from promptlab.init_image import Img2ImgError, InitImage
from promptlab.params import GenerationParams
from tests.serve.comfy_standin import create_standin, validate
from tests.serve.conftest import RunningServer, free_port


def png(size=(96, 40), colour=(200, 20, 20)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


INIT = InitImage.from_bytes(png(), resize_mode="crop-and-resize")
PARAMS = GenerationParams(prompt="a cat", steps=20, seed=5, width=64, height=64, init_image=INIT,
                          denoising_strength=0.75)


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


@pytest.mark.parametrize(("steps", "denoise", "exact"), [
    (20, 0.75, False), (20, 1.0, False), (20, 0.0, False), (30, 0.33, False), (7, 0.5, False),
    (20, 0.5, True), (20, 0.3, True), (150, 0.61, False), (150, 0.61, True),
], ids=["0.75", "1", "0", "0.33", "7-steps", "exact-0.5", "exact-0.3", "150", "exact-150"])
def test_ksampler_runs_a1111s_slice(steps, denoise, exact):
    """Differential: ComfyUI's KSampler.set_steps rule (schedule int(steps/denoise), last steps+1 sigmas)
    applied to what we send gives A1111's schedule length and step count."""
    params = PARAMS.with_(steps=steps, denoising_strength=denoise, init_image=INIT.with_options(exact_steps=exact))
    k_steps, k_denoise = sampler_steps(params)
    comfy_schedule = k_steps if k_denoise > 0.9999 else int(k_steps / k_denoise)
    assert (comfy_schedule, k_steps) == a1111_steps(steps, denoise, exact)


def test_img2img_graph_is_valid_for_comfyui():
    graph = build_txt2img(PARAMS, checkpoint="beta.safetensors", seed=5, init_image_name="example.png").graph
    assert validate(graph) == {}
    kinds = {n["class_type"] for n in graph.values()}
    assert {"LoadImage", "VAEEncode"} <= kinds and "EmptyLatentImage" not in kinds
    sampler = graph["6"]["inputs"]
    assert graph[sampler["latent_image"][0]]["class_type"] == "VAEEncode"
    assert sampler["steps"] == 16   # A1111: int(0.75 * 20) + 1
    assert graph["31"]["inputs"]["vae"] == ["1", 2]
    with_vae = build_txt2img(PARAMS.with_(vae="ft"), checkpoint="beta.safetensors", seed=5,
                             vaes_available=["ft.safetensors"], init_image_name="example.png").graph
    assert with_vae["31"]["inputs"]["vae"] == ["9", 0] and validate(with_vae) == {}   # encode = decode VAE
    latent = build_txt2img(PARAMS.with_(init_image=INIT.with_options(resize_mode="latent-upscale")),
                           checkpoint="beta.safetensors", seed=5, init_image_name="example.png").graph
    assert latent["32"]["class_type"] == "LatentUpscale" and latent["6"]["inputs"]["latent_image"] == ["32", 0]
    assert validate(latent) == {}


@pytest.mark.parametrize(("mode", "uploaded_size"), [("crop-and-resize", (64, 64)), ("latent-upscale", (96, 40))],
                         ids=["fitted-here", "latent-upscale"])
def test_generate_uploads_once_and_runs(comfy, mode, uploaded_size):
    server = comfy()
    backend = ComfyUIBackend(server.url)
    params = PARAMS.with_(init_image=INIT.with_options(resize_mode=mode), batch_count=2, denoising_strength=None)
    images = backend.generate(params)
    state = server.app.state.standin
    assert [im.params.seed for im in images] == [5, 6] and images[0].image.size == (64, 64)
    assert len(state["uploads"]) == 1
    name, data = next(iter(state["uploads"].items()))
    assert Image.open(io.BytesIO(data)).size == uploaded_size
    assert all(g["30"]["inputs"]["image"] == name for g in state["received"])
    assert "Denoising strength: 0.75" in images[0].infotext
    backend.close()


def test_hires_with_init_image_is_refused_before_upload(comfy):
    server = comfy()
    backend = ComfyUIBackend(server.url)
    with pytest.raises(Img2ImgError, match="Hires"):
        backend.generate(PARAMS.with_(hires_upscale=2.0))
    assert server.app.state.standin["uploads"] == {} and server.app.state.standin["received"] == []
    backend.close()

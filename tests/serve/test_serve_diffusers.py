"""`promptlab serve` with the real diffusers engine on a tiny checkpoint, end to end over HTTP."""

from __future__ import annotations

import pytest

pytest.importorskip("diffusers")

from promptlab.backend.remote_a1111 import RemoteA1111Backend  # noqa: E402
from promptlab.params import GenerationParams  # noqa: E402


@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory):
    import torch

    from promptlab.backend.tiny import make_tiny_checkpoint

    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("serve-models")
    (root / "Stable-diffusion").mkdir()
    make_tiny_checkpoint(root / "Stable-diffusion" / "tiny.safetensors", family="sd1")
    return root


def test_generate_over_http_matches_in_process(serve, tiny_models):
    from promptlab.backend.diffusers_backend import DiffusersBackend
    from promptlab.metadata import read

    local = DiffusersBackend(tiny_models, device="cpu")
    server = serve([DiffusersBackend(tiny_models, device="cpu")], default_model="tiny")
    client = RemoteA1111Backend(server.url)
    assert client.list_models() == local.list_models()
    params = GenerationParams(prompt="a cat, (sky:1.2)", negative_prompt="lowres", steps=2, seed=42,
                              width=64, height=64, sampler="Euler", model="tiny")
    remote_images = client.generate(params)
    local_images = local.generate(params)
    assert remote_images[0].image.tobytes() == local_images[0].image.tobytes()  # same pixels, same seed
    meta = read(_png_bytes(remote_images[0].image))
    assert meta.params.seed == 42 and meta.params.prompt == "a cat, (sky:1.2)"
    assert meta.params.model_hash  # A1111 short hash written by the engine


def _png_bytes(image) -> bytes:
    import io

    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_itxt("parameters", image.info["parameters"])
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()

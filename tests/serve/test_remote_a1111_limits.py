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
     ({"height": 500}, "Height 500 must be a multiple of 8"), ({"cfg_scale": 31.0}, "CFG scale 31.0 .*1..30"),
     ({"clip_skip": 13}, "Clip skip 13 .*1..12"), ({"hires_upscale": 5.0}, "Hires upscale 5.0 .*1..4"),
     ({"denoising_strength": 1.5}, "Denoising strength 1.5 .*0..1"), ({"batch_size": 9}, "Batch size 9 .*1..8")],
    ids=["steps", "width", "height-multiple", "cfg", "clip-skip", "hires-scale", "denoise", "batch-size"],
)
def test_out_of_a1111_range_is_refused_with_a_clear_message(change, message):
    with pytest.raises(InvalidInputError, match=message):
        check_a1111_limits(GenerationParams(**change))


def test_in_range_passes():
    check_a1111_limits(GenerationParams(steps=150, width=2048, height=64, cfg_scale=1, clip_skip=12, hires_upscale=4))


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

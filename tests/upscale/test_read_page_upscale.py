"""The Read page's "Upscale (Extras)" panel (AppTest): model upscale with metadata kept, errors translated."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from promptlab.metadata import write
from promptlab.params import GenerationParams

from .conftest import noise_image

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


@pytest.fixture
def read_page(monkeypatch, up_models):
    from streamlit.testing.v1 import AppTest

    monkeypatch.chdir(REPO)
    monkeypatch.setenv("PROMPTLAB_MODELS", str(up_models))

    def make(lang="en"):
        at = AppTest.from_file(str(REPO / "app_pages" / "read.py"), default_timeout=120)
        at.session_state["ui.lang"] = lang
        return at

    return make


@pytest.fixture
def png(tmp_path):
    return write(noise_image(24, 16), GenerationParams(prompt="a cat", seed=9), tmp_path / "x.png").read_bytes()


def test_upscale_panel_runs_a_model(read_page, png):
    at = read_page().run()
    at.file_uploader(key="read.files").set_value(("x.png", png, "image/png"))
    at.run()
    options = at.selectbox(key="upscale.name").options
    assert "4x-Tiny" in options and "Latent" not in options
    at.selectbox(key="upscale.name").set_value("4x-Tiny")
    at.button(key="upscale.run").click().run()
    assert not at.exception and not at.error
    (caption,) = [c for c in captions(at) if "Postprocess" in c]
    assert caption == "x.png → 48x32 · Postprocess upscale by: 2, Postprocess upscaler: 4x-Tiny"


def test_upscale_panel_error_in_chinese(read_page, png, up_models):
    at = read_page("zh").run()
    at.file_uploader(key="read.files").set_value(("x.png", png, "image/png"))
    at.run()
    at.selectbox(key="upscale.name").set_value("4x-Tiny")
    (up_models / "ESRGAN" / "4x-Tiny.safetensors").rename(up_models / "ESRGAN" / "4x-Tiny.bak")
    try:
        at.button(key="upscale.run").click().run()
    finally:
        (up_models / "ESRGAN" / "4x-Tiny.bak").rename(up_models / "ESRGAN" / "4x-Tiny.safetensors")
    assert not at.exception
    assert any("没有名为 '4x-Tiny' 的放大算法" in e.value for e in at.error)


def captions(at) -> list[str]:
    """Image captions anywhere on the page (AppTest keeps images inside expanders as tree nodes)."""
    def walk(node):
        if getattr(node, "type", None) == "image":
            yield from (img.caption for img in node.proto.imgs)
        children = getattr(node, "children", None)
        for child in children.values() if isinstance(children, dict) else ():
            yield from walk(child)

    return list(walk(at._tree))

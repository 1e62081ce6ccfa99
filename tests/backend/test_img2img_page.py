"""The Generate page's "Image to image" mode (AppTest, tiny SD1 checkpoint) and "Send to img2img"."""

from __future__ import annotations

import io
import shutil
import sys
from pathlib import Path

import pytest
from PIL import Image

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def png(size=(72, 64)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (30, 160, 90)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def page(monkeypatch, tmp_path, tiny_sd1):
    from streamlit.testing.v1 import AppTest

    models = tmp_path / "models"
    (models / "Stable-diffusion").mkdir(parents=True)
    shutil.copy(tiny_sd1, models / "Stable-diffusion" / "tiny.safetensors")
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("PROMPTLAB_MODELS", str(models))
    monkeypatch.setenv("PROMPTLAB_OUTPUTS", str(tmp_path / "outputs"))

    def make(lang: str = "en", **state):
        at = AppTest.from_file(str(REPO / "app_pages" / "generate.py"), default_timeout=120)
        at.session_state["ui.lang"] = lang
        at.session_state["generate.device"] = "cpu"
        for key, value in state.items():
            at.session_state[key] = value
        return at

    return make


def _small(at):
    at.number_input(key="generate.width").set_value(64)
    at.number_input(key="generate.height").set_value(64)
    at.slider(key="generate.steps").set_value(2)
    at.number_input(key="generate.seed").set_value(5)


@pytest.mark.slow
def test_sent_image_runs_img2img_and_gallery_sends_back(page):
    at = page(**{"img2img.pending": {"data": png(), "name": "sent.png"}}).run()
    assert not at.exception, at.exception
    assert at.radio(key="img2img.mode").value == "img2img"
    at.text_area(key="generate.prompt").set_value("a cat")
    _small(at)
    at.slider(key="img2img.denoise").set_value(0.5)
    at.selectbox(key="img2img.resize_mode").set_value("crop-and-resize")
    at.button(key="generate.run").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    result = at.session_state["generate.results"][0]
    assert "Denoising strength: 0.5" in result["infotext"] and "Size: 64x64" in result["infotext"]
    # the gallery's "Send to img2img" hands the result back as the next init image
    at.button(key="generate.to_img2img.0").click().run()
    assert not at.exception, at.exception
    assert at.session_state["img2img.sent"]["data"] == result["png"]
    assert at.session_state["img2img.sent"]["name"] == Path(result["path"]).name


def test_img2img_without_image_disables_generate_and_says_why(page):
    at = page(**{"img2img.mode": "img2img"}).run()
    assert not at.exception, at.exception
    assert at.button(key="generate.run").disabled
    assert any("needs an init image" in c.value for c in at.caption)


def test_bad_sent_file_is_a_translated_error(page):
    at = page("zh", **{"img2img.pending": {"data": b"plain text", "name": "notes.png"}}).run()
    assert not at.exception, at.exception
    assert any("初始图像 notes.png" in e.value for e in at.error)
    assert at.button(key="generate.run").disabled


def test_hires_on_blocks_img2img_with_the_reason(page):
    at = page(**{"img2img.pending": {"data": png(), "name": "sent.png"}, "generate.hires": True}).run()
    assert not at.exception, at.exception
    assert at.button(key="generate.run").disabled
    assert any("Hires. fix is a txt2img option" in c.value for c in at.caption)


def test_use_image_size_sets_width_and_height(page):
    at = page(**{"img2img.pending": {"data": png((90, 70)), "name": "sent.png"}}).run()
    at.button(key="img2img.use_size").click().run()
    assert not at.exception, at.exception
    assert (at.number_input(key="generate.width").value, at.number_input(key="generate.height").value) == (88, 64)

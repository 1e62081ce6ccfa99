"""The Generate page (AppTest) with a tiny checkpoint in a temporary models folder."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from promptlab.params import GenerationParams

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


@pytest.fixture
def page(monkeypatch, tmp_path, tiny_sd1):
    from streamlit.testing.v1 import AppTest

    models = tmp_path / "models"
    (models / "Stable-diffusion").mkdir(parents=True)
    shutil.copy(tiny_sd1, models / "Stable-diffusion" / "tiny.safetensors")
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("PROMPTLAB_MODELS", str(models))

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
    at.number_input(key="generate.seed").set_value(77)


def test_generates_and_shows_gallery_with_infotext(page):
    from promptlab.library import Library, default_library_path

    at = page().run()
    assert not at.exception
    assert at.selectbox(key="generate.model").value == "tiny"
    at.text_area(key="generate.prompt").set_value("a (cat:1.3), [dog|fox]")
    at.selectbox(key="generate.emphasis").set_value("No norm")
    _small(at)
    at.number_input(key="generate.batch_size").set_value(2)
    at.button(key="generate.run").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    results = at.session_state["generate.results"]
    assert [r["seed"] for r in results] == [77, 78]
    assert "Seed: 78," in results[1]["infotext"] and "Model: tiny" in results[1]["infotext"]
    assert "Emphasis: No norm" in results[1]["infotext"]
    assert any("Steps: 2" in c.value for c in at.code)
    assert Path(results[0]["path"]).is_file()
    history = Library(default_library_path()).generations()
    assert len(history) == 2 and "a (cat:1.3)" in history[0].prompt


def test_pending_params_fill_the_form(page):
    sent = GenerationParams(prompt="1girl, smile", negative_prompt="lowres", steps=3, sampler="DPM++ 2M",
                            schedule_type="Karras", cfg_scale=5.5, seed=99, width=64, height=72, clip_skip=2,
                            model="tiny", hires_upscale=1.5, denoising_strength=0.4)
    at = page(**{"generate.pending": sent}).run()
    assert not at.exception
    assert at.text_area(key="generate.prompt").value == "1girl, smile"
    assert at.selectbox(key="generate.sampler").value == "DPM++ 2M"
    assert at.selectbox(key="generate.schedule").value == "Karras"
    assert (at.slider(key="generate.steps").value, at.number_input(key="generate.seed").value) == (3, 99)
    assert at.number_input(key="generate.height").value == 72
    assert at.checkbox(key="generate.hires").value is True
    assert "generate.pending" not in at.session_state


def test_seed_beyond_the_field_from_an_image_is_kept(page):
    """Regression: a ComfyUI seed above 2**53 - 1 (what Streamlit's number field holds) made the page fail
    to draw; it is now kept beside the field and used while the field says -1."""
    big = 2**64 - 1
    at = page(**{"generate.pending": GenerationParams(prompt="x", seed=big, model="tiny")}).run()
    assert not at.exception
    assert at.number_input(key="generate.seed").value == -1
    assert at.session_state["generate.seed_big"] == big
    assert any(str(big) in c.value for c in at.caption)
    at.number_input(key="generate.seed").set_value(12).run()
    assert not at.exception and not any(str(big) in c.value for c in at.caption)


def test_bad_input_shows_error_and_page_stays_usable(page):
    at = page().run()
    _small(at)
    at.text_area(key="generate.prompt").set_value("x <lora:missing:1>")
    at.button(key="generate.run").click().run()
    assert not at.exception
    assert any("No lora named 'missing'" in e.value for e in at.error)
    at.text_area(key="generate.prompt").set_value("x")
    at.button(key="generate.run").click().run()
    assert not at.error and len(at.session_state["generate.results"]) == 1


def test_no_checkpoint_guidance_in_chinese(monkeypatch, tmp_path):
    from streamlit.testing.v1 import AppTest

    monkeypatch.chdir(REPO)
    monkeypatch.setenv("PROMPTLAB_MODELS", str(tmp_path / "empty"))
    at = AppTest.from_file(str(REPO / "app_pages" / "generate.py"), default_timeout=60)
    at.session_state["ui.lang"] = "zh"
    at.run()
    assert not at.exception
    assert any("没有找到模型" in i.value for i in at.info)
    assert at.button(key="generate.run").disabled
    at.button(key="generate.download_now").click().run()  # offline here (HF_HUB_OFFLINE): says so, no crash
    assert not at.exception
    assert any("本机无法访问" in w.value and "Stable-diffusion" in w.value for w in at.warning)


def test_batch_count_walks_through_variants(page, tmp_path, monkeypatch):
    models = Path(__import__("os").environ["PROMPTLAB_MODELS"])
    (models / "wildcards").mkdir()
    (models / "wildcards" / "animal.txt").write_text("cat\ndog\nfox\n", encoding="utf-8")
    at = page().run()
    at.text_area(key="generate.prompt").set_value("a __animal__ {in rain|in snow}")
    _small(at)
    at.number_input(key="generate.batch_count").set_value(3)
    at.button(key="generate.run").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    results = at.session_state["generate.results"]
    assert [r["seed"] for r in results] == [77, 78, 79]
    assert all("__animal__" not in r["params"].prompt for r in results)
    assert all(dict(r["params"].extra)["Template"] == "a __animal__ {in rain|in snow}" for r in results)


def test_ambiguous_braces_are_reported_not_guessed(page):
    at = page().run()
    at.text_area(key="generate.prompt").set_value("{{masterpiece}}, {cat|dog}")
    _small(at)
    at.button(key="generate.run").click().run()
    assert any("--brace-mode" in e.value or "braces" in e.value for e in at.error)
    assert not at.session_state["generate.results"] if "generate.results" in at.session_state else True

"""Read page: the Replay plan, and Build / Generate / "As A1111 text" through the plan's mapping."""

from __future__ import annotations

import pytest

FIX = "fixtures/metadata/sd-metadata/png"


def _upload(app_test, path, lang="en"):
    at = app_test("app_pages/read.py", lang=lang).run()
    at.file_uploader(key="read.files").set_value((path.name, path.read_bytes(), "image/png"))
    return at.run()


def test_regression_comfyui_seed_and_karras_reach_generate(app_test, shared_dir):
    at = _upload(app_test, shared_dir / FIX / "comfyui.png")
    at.button(key="read.gen.0").click().run()
    sent = at.session_state["generate.pending"]
    assert (sent.seed, sent.sampler, sent.schedule_type) == (422847914351919, "Euler a", "Karras")


def test_regression_novelai_as_a1111_text_uses_a1111_names(app_test, shared_dir):
    at = _upload(app_test, shared_dir / FIX / "novelai-full.png")
    assert not at.exception
    text = "\n".join(c.value for c in at.code)
    assert "Sampler: Euler a" in text and "k_euler_ancestral" not in text and "Schedule type: Karras" in text


def test_novelai_characters_reach_build(app_test, shared_dir):
    at = _upload(app_test, shared_dir / FIX / "novelai-full-3char.png")
    at.button(key="read.build.0").click().run()
    prompt = at.session_state["build.pending"]["prompt"]
    assert prompt.count("BREAK") == 3 and "kagamine len" in prompt


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_replay_shows_the_plan_and_sends_it(app_test, shared_dir, lang):
    at = _upload(app_test, shared_dir / FIX / "comfyui.png", lang=lang)
    at.toggle(key="read.replay.0").set_value(True).run()
    assert not at.exception
    plan = at.dataframe[-1].value
    assert len(plan) >= 9 and "euler_ancestral" in set(plan.iloc[:, 2])
    warning = "not reproducible" if lang == "en" else "无法复现"
    assert any(warning in w.value for w in at.warning)
    at.button(key="read.replay.run.0").click().run()
    sent = at.session_state["generate.pending"]
    assert (sent.seed, sent.sampler, sent.model) == (422847914351919, "Euler a", None)


def test_settings_no_backend_can_run_give_a_message_not_a_traceback(app_test, tmp_path):
    from PIL import Image, PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", "a cat\nSteps: 5, Sampler: Euler, CFG scale: 7, Seed: 1, Size: 0x0, Hires resize: 0x1024")
    path = tmp_path / "odd.png"
    Image.new("RGB", (8, 8)).save(path, pnginfo=info)
    at = _upload(app_test, path)
    assert not at.exception and at.warning
    at.toggle(key="read.replay.0").set_value(True).run()
    assert not at.exception and at.error
    at.button(key="read.gen.0").click().run()
    assert at.session_state["generate.pending"].prompt == "a cat"   # (AppTest cannot switch pages)


def test_generate_page_says_what_differs_from_the_image(app_test, shared_dir):
    at = _upload(app_test, shared_dir / FIX / "comfyui.png")
    at.button(key="read.gen.0").click().run()
    notice = at.session_state["replay.notice"]
    assert "waiIllustriousSDXL_v160" in notice and notice.startswith("Not as in the image")
    page = app_test("app_pages/generate.py", **{"replay__notice": notice, "generate__pending": at.session_state["generate.pending"]})
    page.run()
    assert any("waiIllustriousSDXL_v160" in w.value for w in page.warning)

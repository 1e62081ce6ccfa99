"""The Compare page with AppTest: build a spec, see the estimate, run, cancel + resume, browse, send to Generate."""

from __future__ import annotations

from pathlib import Path

import pytest

from .helpers import DrawBackend

REPO = Path(__file__).resolve().parents[2]
PAGE = str(REPO / "app_pages" / "compare.py")


@pytest.fixture()
def page(monkeypatch, tmp_path):
    from streamlit.testing.v1 import AppTest

    monkeypatch.chdir(REPO)
    monkeypatch.syspath_prepend(str(REPO))
    (tmp_path / "models").mkdir()
    monkeypatch.setenv("PROMPTLAB_MODELS", str(tmp_path / "models"))

    def make(backend=None, lang="en"):
        at = AppTest.from_file(PAGE, default_timeout=60)
        at.session_state["ui.lang"] = lang
        if backend is not None:
            at.session_state["compare.backend"] = backend
        return at.run()

    return make


def fill(at, *, x_values=("Euler a", "DDIM"), y_values="mA.safetensors, mB.safetensors"):
    at.text_area(key="compare.prompt").set_value("a cat, 猫耳")
    at.number_input(key="compare.steps").set_value(4)
    at.number_input(key="compare.seed").set_value(5)
    at.number_input(key="compare.width").set_value(64)
    at.number_input(key="compare.height").set_value(64)
    at.selectbox(key="compare.X.type").set_value("sampler")
    at.selectbox(key="compare.Y.type").set_value("checkpoint")
    at.run()
    at.multiselect(key="compare.X.pick").set_value(list(x_values))   # known samplers: a picker
    at.text_input(key="compare.Y.values").set_value(y_values)           # no model files: typed names
    return at.run()


def markdown(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def finish(at):
    at.session_state["compare.job"].join(30)
    return at.run()


def test_first_paint_asks_for_an_axis(page):
    at = page(DrawBackend())
    assert not at.exception
    assert at.title[0].value == "Compare"
    assert "Pick at least one axis" in at.info[0].value


def test_chinese_ui(page):
    at = page(DrawBackend(), lang="zh")
    assert at.title[0].value == "对比" and not at.exception


def test_estimate_run_browse_and_send_to_generate(page):
    backend = DrawBackend()
    at = fill(page(backend))
    assert "**4** cells (2 x 2 x 1) · **2** model loads" in markdown(at)
    at.button(key="compare.start").click().run()
    at = finish(at)
    assert not at.exception
    assert "Done: 4 made, 0 reused, 0 failed" in at.success[0].value
    assert backend.model_loads == 2
    assert len(at.get("image")) == 5                 # 4 cells + the labelled grid PNG
    assert any(b.label == "Download grid.png" for b in at.get("download_button"))
    assert at.selectbox(key="compare.view_cols").value == 0
    at.button(key="compare.cell.1-1-0").click().run()
    code = at.code[0].value
    assert "a cat, 猫耳" in code and "Sampler: DDIM" in code
    at.button(key="compare.send_generate").click().run()
    sent = at.session_state["generate.pending"]
    assert sent.sampler == "DDIM" and sent.model == "mB.safetensors" and sent.seed == 5


def test_rows_and_slider_views(page):
    at = fill(page(DrawBackend()))
    at.selectbox(key="compare.Z.type").set_value("cfg").run()
    at.text_input(key="compare.Z.values").set_value("5, 9").run()
    at.button(key="compare.start").click().run()
    at = finish(at)
    at.selectbox(key="compare.view_cols").set_value(2).run()      # Z across
    at.selectbox(key="compare.view_rows").set_value(0).run()      # X down, Y on the slider
    assert len(at.select_slider) == 1
    at.select_slider(key="compare.view_fixed.1").set_value(1).run()
    at.button(key="compare.cell.1-1-1").click().run()
    assert "CFG" in at.code[0].value or "DDIM" in at.code[0].value
    assert not at.exception


def test_cancel_then_start_again_resumes(page):
    backend = DrawBackend(cancel_after=1)
    at = fill(page(backend))
    at.button(key="compare.start").click().run()
    at = finish(at)
    assert "Cancelled: 1 of 4" in at.warning[0].value
    backend.cancel_after = None
    at.button(key="compare.start").click().run()
    at = finish(at)
    assert "Done: 3 made, 1 reused, 0 failed" in at.success[0].value


@pytest.mark.parametrize(("axis", "values", "message"), [
    ("steps", "1-3, x", "'x' is not a whole number"),
    ("steps", "", "give at least one value"),
    ("prompt_sr", "zebra, horse", "'zebra' (the first value, which is searched for) is not in the prompt"),
    ("size", "500x500", "multiples of 8"),
], ids=["text-steps", "empty", "sr-missing", "size"])
def test_bad_values_show_the_error(page, axis, values, message):
    at = page(DrawBackend())
    at.selectbox(key="compare.X.type").set_value(axis).run()
    at.text_input(key="compare.X.values").set_value(values).run()
    assert message in at.error[0].value
    assert at.button(key="compare.start") if False else not any(b.key == "compare.start" for b in at.button)


def test_big_grid_needs_a_raised_limit(page):
    at = page(DrawBackend())
    at.selectbox(key="compare.X.type").set_value("seed").run()
    at.text_input(key="compare.X.values").set_value("1-1500").run()
    assert "above the limit of 1,000" in at.error[0].value
    at.number_input(key="compare.max_cells").set_value(2000).run()
    assert not at.error and "**1500** cells" in markdown(at)


def test_yaml_spec_can_be_pasted(page):
    at = page(DrawBackend())
    at.text_area(key="compare.yaml_text").set_value(
        "base: {prompt: a cat}\nx: {type: prompt_sr, values: 'cat, dog, fox'}\n").run()
    at.button(key="compare.apply_yaml").click().run()
    assert "**3** cells (3 x 1 x 1)" in markdown(at)


def test_remote_backend_url_is_checked(page):
    at = page()
    add = lambda: next(b for b in at.button if b.label == "Add backend")  # noqa: E731
    at.text_input(key="compare.backends.url").set_value("gpu-box:7860")
    add().click().run()
    assert "must start with http:// or https://" in at.error[0].value
    at.text_input(key="compare.backends.url").set_value("http://127.0.0.1:9")
    add().click().run()
    assert not at.exception
    assert any("unreachable" in c.value for c in at.caption)   # added, and its state shown

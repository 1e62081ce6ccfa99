"""Generate page: the A1111-compatibility expander (ENSD, NovelAI preset), CFG below 1, hypernet warning."""

from __future__ import annotations

import pytest

from tests.backend.test_generate_page import _small, page  # noqa: F401  (fixture)


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "zh"], ids=["en", "zh"])
def test_novelai_preset_sets_clip_skip_and_ensd(page, lang):  # noqa: F811
    at = page(lang).run()
    assert not at.exception
    at.button(key="generate.preset.novelai").click().run()
    assert at.number_input(key="generate.clip_skip").value == 2
    assert at.number_input(key="generate.ensd").value == 31337
    at.text_area(key="generate.prompt").set_value("a cat <hypernet:anime:0.5>")
    at.selectbox(key="generate.sampler").set_value("Euler a")
    at.number_input(key="generate.cfg").set_value(0.5)
    _small(at)
    at.button(key="generate.run").click().run()
    assert not at.exception, at.exception
    (result,) = at.session_state["generate.results"]
    assert "ENSD: 31337" in result["infotext"] and "Clip skip: 2" in result["infotext"]
    assert "CFG scale: 0.5" in result["infotext"]
    expected = "not supported" if lang == "en" else "不支持超网络"
    assert any("<hypernet:anime>" in w.value and expected in w.value for w in at.warning)


def test_reuse_loads_ensd(page):  # noqa: F811
    from promptlab.params import GenerationParams

    at = page(**{"generate.pending": GenerationParams(prompt="x", ensd=31337)}).run()
    assert not at.exception
    assert at.number_input(key="generate.ensd").value == 31337

"""The Generate page offers the model upscalers found on disk for hires fix (AppTest)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from promptlab.params import GenerationParams

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_hires_upscaler_choice_lists_models_and_takes_sent_params(monkeypatch, up_models, lang):
    from streamlit.testing.v1 import AppTest

    monkeypatch.chdir(REPO)
    monkeypatch.setenv("PROMPTLAB_MODELS", str(up_models))
    sent = GenerationParams(prompt="a cat", steps=3, width=64, height=64, hires_upscale=2.0,
                            hires_upscaler="R-ESRGAN 4x+", denoising_strength=0.4)
    at = AppTest.from_file(str(REPO / "app_pages" / "generate.py"), default_timeout=120)
    at.session_state["ui.lang"] = lang
    at.session_state["generate.device"] = "cpu"
    at.session_state["generate.pending"] = sent
    at.run()
    assert not at.exception
    choice = at.selectbox(key="generate.hires_upscaler")
    assert {"Latent", "Lanczos", "4x-Tiny", "R-ESRGAN 4x+", "R-ESRGAN General 4xV3"} <= set(choice.options)
    assert choice.value == "R-ESRGAN 4x+"

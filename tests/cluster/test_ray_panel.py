"""The Read page's folder captioning with "Run on Ray" (AppTest, on the session's local Ray)."""

from __future__ import annotations

import pytest

pytest.importorskip("streamlit")

from tests.interrogate.conftest import RED, WD_TABLE, solid, wd_weights  # noqa: E402
from tests.interrogate.test_panel import REPO, _texts  # noqa: E402

pytestmark = pytest.mark.usefixtures("local_ray")


@pytest.mark.parametrize("lang, written", [("en", "1 written"), ("zh", "写入 1")])
def test_caption_folder_on_ray_from_the_read_page(monkeypatch, tmp_path, lang, written):
    from streamlit.testing.v1 import AppTest

    from promptlab.interrogate.testing import make_wd_tagger

    monkeypatch.chdir(REPO)
    models = tmp_path / "models"
    make_wd_tagger(models / "taggers" / "tiny", [(n, c) for n, c, *_ in WD_TABLE], wd_weights(), size=64)
    monkeypatch.setenv("PROMPTLAB_MODELS", str(models))
    data = tmp_path / "data"
    data.mkdir()
    solid(RED).save(data / "a.png")
    (data / "b.png").write_bytes(b"broken")
    at = AppTest.from_file(str(REPO / "app_pages" / "read.py"), default_timeout=120)
    at.session_state["ui.lang"] = lang
    at.run()
    at.text_input(key="interrogate.folder").input(str(data))
    at.checkbox(key="read.ray.use").check()
    at.run()
    at.button(key="interrogate.caption").click().run()
    assert not at.exception
    assert (data / "a.txt").read_text().startswith("hatsune miku")
    text = _texts(at)
    assert written in text and "b.png" in text and "promptlab-captions.parquet" in text
    assert "ray (" in text


@pytest.mark.slow
def test_backends_panel_adds_a_ray_cluster(monkeypatch, tmp_path):
    """Compare/Generate's backends panel takes a Ray cluster next to this machine and servers: its actors
    come back as separate backends (the grid keeps a checkpoint's cells on one of them)."""
    from streamlit.testing.v1 import AppTest

    from promptlab.backend.tiny import make_tiny_checkpoint
    from tests.serve.test_backends_panel import SCRIPT, add_button

    make_tiny_checkpoint(tmp_path / "models" / "Stable-diffusion" / "tiny.safetensors", "sd1")
    monkeypatch.setenv("PROMPTLAB_MODELS", str(tmp_path / "models"))
    at = AppTest.from_string(SCRIPT, default_timeout=180).run()
    at.checkbox(key="gen.backends.local").uncheck().run()
    at.selectbox(key="gen.backends.kind").set_value("ray")
    at.text_input(key="gen.backends.url").set_value("")
    add_button(at).click().run()
    assert not at.exception
    assert at.session_state["chosen"] == ["ray-0", "ray-1"]
    assert any("one actor per GPU" in c.value for c in at.caption)
    at.button(key="gen.backends.remove.0").click().run()
    assert at.session_state["chosen"] == []

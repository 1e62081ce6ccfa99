"""The Read page's interrogation panel (AppTest): tag uploads, caption a folder, no tagger installed."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

pytest.importorskip("streamlit")

from .conftest import BLUE, RED, WD_TABLE, solid, wd_weights  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def _png(color) -> bytes:
    buf = io.BytesIO()
    solid(color).save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture()
def page(monkeypatch, tmp_path):
    from streamlit.testing.v1 import AppTest

    from promptlab.interrogate.testing import make_wd_tagger

    monkeypatch.chdir(REPO)
    models = tmp_path / "models"
    make_wd_tagger(models / "taggers" / "tiny", [(n, c) for n, c, *_ in WD_TABLE], wd_weights(), size=64)
    monkeypatch.setenv("PROMPTLAB_MODELS", str(models))

    def make(lang="en"):
        at = AppTest.from_file(str(REPO / "app_pages" / "read.py"), default_timeout=60)
        at.session_state["ui.lang"] = lang
        return at.run()

    return make


def _texts(at) -> str:
    parts = []
    for kind in ("markdown", "caption", "info", "warning", "error", "success", "code"):
        parts += [str(e.value) for e in getattr(at, kind)]
    return "\n".join(parts)


def test_tags_uploaded_images(page):
    at = page()
    assert not at.exception
    at.file_uploader(key="interrogate.files").set_value(
        [("red.png", _png(RED), "image/png"), ("blue.png", _png(BLUE), "image/png"), ("bad.png", b"xx", "image/png")])
    at.run()
    at.button(key="interrogate.run").click().run()
    assert not at.exception
    results = at.session_state["interrogate.results"]
    assert [r[0] for r in results] == ["red.png", "blue.png", "bad.png"]
    assert results[0][2]["prompt"] == r"hatsune miku, saber \(fate\), long hair, smile, ^_^, holding bow \(weapon\)"
    assert "error" in results[2][2]
    text = _texts(at)
    assert "CPUExecutionProvider" in text and "blue sky, smile" in text
    at.button(key="interrogate.build.1").click().run()
    assert at.session_state["build.pending"] == {"prompt": "blue sky, smile", "negative_prompt": ""}


def test_threshold_widgets_change_output(page):
    at = page()
    at.file_uploader(key="interrogate.files").set_value([("red.png", _png(RED), "image/png")])
    at.slider(key="interrogate.img.thr").set_value(0.55)
    at.checkbox(key="interrogate.img.chars").uncheck()
    at.text_input(key="interrogate.img.exclude").input("smile")
    at.run()
    at.button(key="interrogate.run").click().run()
    assert at.session_state["interrogate.results"][0][2]["prompt"] == "long hair"


def test_captions_a_folder(page, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    solid(RED).save(data / "a.png")
    (data / "b.png").write_bytes(b"broken")
    at = page("zh")
    at.text_input(key="interrogate.folder").input(str(data))
    at.text_input(key="interrogate.prepend").input("trigger")
    at.run()
    at.button(key="interrogate.caption").click().run()
    assert not at.exception
    assert (data / "a.txt").read_text().startswith("trigger, hatsune miku")
    assert "写入 1" in _texts(at) and "b.png" in _texts(at)
    assert at.selectbox(key="interrogate.batch").value == "auto"
    assert any(c.value.startswith("批大小 ") and "自动" in c.value for c in at.caption)   # 中文 page, 中文 summary


def test_caption_batch_size_can_be_fixed(page, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    for i in range(3):
        solid(RED).save(data / f"{i}.png")
    at = page("en")
    at.text_input(key="interrogate.folder").input(str(data))
    at.selectbox(key="interrogate.batch").set_value(2)
    at.run()
    at.button(key="interrogate.caption").click().run()
    assert not at.exception
    assert sorted(p.name for p in data.glob("*.txt")) == ["0.txt", "1.txt", "2.txt"]
    assert any(c.value == "batch 2" for c in at.caption)


def test_no_local_tagger_does_not_download(monkeypatch, tmp_path):
    from streamlit.testing.v1 import AppTest

    monkeypatch.chdir(REPO)
    monkeypatch.setenv("PROMPTLAB_MODELS", str(tmp_path))
    at = AppTest.from_file(str(REPO / "app_pages" / "read.py"), default_timeout=60).run()
    assert not at.exception
    assert "models/taggers" in _texts(at)
    assert at.button(key="interrogate.img.download")
    at.button(key="interrogate.img.download").click().run()
    assert "SmilingWolf/wd-eva02-large-tagger-v3" in _texts(at)  # the offline error names the repo

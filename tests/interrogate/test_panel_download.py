"""The Read page downloads a hub tagger from a local stand-in hub (the HF_ENDPOINT mirror) into
models/taggers/<name>/, says where it went, and tags with it; in 中文 the messages are Chinese."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytest.importorskip("streamlit")

from .conftest import WD_TABLE, wd_weights  # noqa: E402
from .hub_server import Hub, serve  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


@pytest.mark.parametrize(("lang", "said"), [("en", "downloaded to"), ("zh", "已下载到")], ids=["en", "zh"])
def test_read_page_downloads_the_default_tagger_through_the_mirror(monkeypatch, tmp_path, lang, said):
    from streamlit.testing.v1 import AppTest

    from promptlab.interrogate import DEFAULT_TAGGER, KNOWN_TAGGERS
    from promptlab.interrogate.testing import make_wd_tagger

    upstream = make_wd_tagger(tmp_path / "upstream", [(n, c) for n, c, *_ in WD_TABLE], wd_weights(), size=16)
    models = tmp_path / "models"
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("PROMPTLAB_MODELS", str(models))
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    with serve(Hub({KNOWN_TAGGERS[DEFAULT_TAGGER]: upstream})) as hub:
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        at = AppTest.from_file(str(REPO / "app_pages" / "read.py"), default_timeout=60)
        at.session_state["ui.lang"] = lang
        at.run()
        assert any(hub.url in c.value for c in at.caption)   # the mirror in use is shown
        at.button(key="interrogate.img.download").click().run()
        assert not at.exception and not at.error
        folder = models / "taggers" / DEFAULT_TAGGER
        assert sorted(p.name for p in folder.iterdir()) == ["model.onnx", "selected_tags.csv"]
        assert any(said in s.value and str(folder) in s.value for s in at.success)
        assert any(DEFAULT_TAGGER in c.value and "CPUExecutionProvider" in c.value for c in at.caption)
        at.run()   # next rerun: a local tagger now, nothing fetched again
        assert len(hub.requests) == 2 and not at.success

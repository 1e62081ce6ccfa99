"""AppTest helpers: pages run as scripts from the repository root (so `app_pages` imports)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


@pytest.fixture
def app_test(monkeypatch, tmp_path):
    """Build an AppTest for a page file, run from the repo root with an empty models folder."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.chdir(REPO)
    models = tmp_path / "models"
    models.mkdir()
    monkeypatch.setenv("PROMPTLAB_MODELS", str(models))

    def make(page: str, *, lang: str = "en", timeout: float = 60, **state):
        at = AppTest.from_file(str(REPO / page), default_timeout=timeout)
        at.session_state["ui.lang"] = lang
        for key, value in state.items():
            at.session_state[key.replace("__", ".")] = value
        return at

    return make


def texts(at) -> str:
    """All visible text of a run (markdown, titles, captions, messages, labels, buttons)."""
    parts: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "success", "code"):
        parts += [str(el.value) for el in getattr(at, kind)]
    for kind in ("button", "text_input", "text_area", "selectbox", "toggle", "radio", "checkbox", "number_input"):
        parts += [str(el.label) for el in getattr(at, kind)]
    parts += [str(tab.label) for tab in at.tabs]
    parts += [str(exp.label) for exp in at.expander]
    return "\n".join(parts)


os.environ.setdefault("STREAMLIT_BROWSER_GATHER_USAGE_STATS", "false")

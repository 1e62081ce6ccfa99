"""AppTest fixtures: pages run as scripts from the repository root (so `app_pages` imports)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


@pytest.fixture(scope="session")
def starter_db(tmp_path_factory) -> Path:
    """The shipped starter tag database, built once per test session."""
    import tagdb

    return tagdb.ensure_starter_db(tmp_path_factory.mktemp("starter") / "tags.sqlite")


@pytest.fixture
def app_test(monkeypatch, tmp_path, starter_db, _isolated_home):
    """Build an AppTest for a page file, run from the repo root with an empty models folder and a
    copy of the starter tag database in the test's PROMPTLAB_HOME."""
    import shutil

    from streamlit.testing.v1 import AppTest

    monkeypatch.chdir(REPO)
    shutil.copy(starter_db, _isolated_home / "tags.sqlite")
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


os.environ.setdefault("STREAMLIT_BROWSER_GATHER_USAGE_STATS", "false")

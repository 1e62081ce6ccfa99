"""Shared test helpers.

``shared_dir`` points at ../shared (data and fixtures from public repositories, used in place);
tests that need it skip cleanly when it is absent. Override with PROMPTLAB_SHARED.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def shared_path() -> Path:
    env = os.environ.get("PROMPTLAB_SHARED")
    return Path(env) if env else REPO_ROOT.parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    path = shared_path()
    if not path.is_dir():
        pytest.skip(f"shared data not found at {path}")
    return path


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    """Never touch the real ~/.promptlab or ./models from tests."""
    home = tmp_path_factory.mktemp("promptlab-home")
    monkeypatch.setenv("PROMPTLAB_HOME", str(home))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    yield home

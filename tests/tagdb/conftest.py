"""Fixtures for the tag database tests: a starter database, tiny CSV writers, the full 150k list."""

from __future__ import annotations

from pathlib import Path

import pytest

import tagdb
from tagdb.starter_build import build_starter

from tagdb_testutil import DANBOORU_LIST, ZH_REFERENCE


@pytest.fixture(scope="session")
def starter_db(tmp_path_factory) -> Path:
    """The shipped starter set, built once (read-only use in tests)."""
    path = tmp_path_factory.mktemp("starter") / "tags.sqlite"
    build_starter(path)
    return path


@pytest.fixture
def write(tmp_path):
    """write(name, text or bytes) -> Path, for tiny input files."""
    def _write(name: str, content: str | bytes) -> Path:
        path = tmp_path / name
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        return path
    return _write


@pytest.fixture(scope="module")
def full_db(shared_dir, tmp_path_factory) -> Path:
    """The full Danbooru 2025-05-01 list (150,661 tags) with BooruTagCart's Chinese names."""
    path = tmp_path_factory.mktemp("full") / "tags.sqlite"
    tagdb.import_file(shared_dir / DANBOORU_LIST, "autocomplete", db=path)
    tagdb.import_file(shared_dir / ZH_REFERENCE, "translations", db=path)
    return path

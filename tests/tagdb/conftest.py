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


@pytest.fixture(scope="session")
def mixed_db(tmp_path_factory) -> Path:
    """A slice of the starter set small enough for the brute-force reference search (a few seconds):
    its general/meta tags, the 300 most-posted names with aliases and Chinese, 50 SD words."""
    import csv

    from tagdb.starter_build import name_rows, sd_vocab_rows, starter_rows

    folder = tmp_path_factory.mktemp("mixed")
    rows = [(r["name"], r["category"], r["posts"] or "", [], r["zh"]) for r in starter_rows()]
    rows += [(r["name"], r["category"], r["posts"], r["aliases"], r["zh"]) for r in name_rows()[:300]]
    rows += [(r["name"], 8, "", [], r["zh"]) for r in sd_vocab_rows()[:50]]
    with open(folder / "tags.csv", "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows((n, c, p, ",".join(a)) for n, c, p, a, _ in rows if c != 8)
    with open(folder / "zh.csv", "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows((n, zh) for n, _, _, _, zh in rows if zh)
    path = folder / "tags.sqlite"
    tagdb.import_file(folder / "tags.csv", "autocomplete", db=path)
    tagdb.import_file(folder / "zh.csv", "translations", db=path)
    from tagdb.store import atomic_update

    with atomic_update(path) as writer:  # SD words are not in the autocomplete format's categories
        writer.begin_source("test", "sd")
        writer.upsert_tags((n, c, None) for n, c, _, _, _ in rows if c == 8)
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

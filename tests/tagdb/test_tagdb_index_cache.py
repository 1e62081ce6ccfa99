"""The on-disk index cache: reused when the database is unchanged, ignored when stale or damaged."""

from __future__ import annotations

import tagdb
from tagdb.index_cache import cache_path

QUERIES = ["long", "长发", "changfa", "blnde hair", "hair long", "cf", "s", "chang fa", "东方pro", "smlie", "dongfangproject"]


def _answers(index):
    return {q: index.search(q, limit=10, categories=None, langs=None, score_cutoff=None) for q in QUERIES}


def test_second_open_uses_the_cache_with_identical_results(tmp_path, starter_db):
    path = tmp_path / "tags.sqlite"
    path.write_bytes(starter_db.read_bytes())
    built = tagdb.open_db(path).index()
    assert not built.loaded_from_cache and cache_path(path, "danbooru").is_file()
    cached = tagdb.open_db(path).index()
    assert cached.loaded_from_cache
    assert _answers(cached) == _answers(built)
    assert tagdb.open_db(path).get("longhair") is None and tagdb.open_db(path).get("Long Hair").name == "long_hair"


def test_import_invalidates_the_cache(tmp_path, write):
    path = tmp_path / "tags.sqlite"
    tagdb.import_file(write("a.csv", "long_hair,0,100,\n"), "autocomplete", db=path)
    assert not tagdb.open_db(path).index().loaded_from_cache
    tagdb.import_file(write("b.csv", "smile,0,50,\n"), "autocomplete", db=path)
    fresh = tagdb.open_db(path)
    assert not fresh.index().loaded_from_cache and fresh.search("smi")[0].tag.name == "smile"


def test_damaged_cache_is_rebuilt(tmp_path, write):
    path = tmp_path / "tags.sqlite"
    tagdb.import_file(write("a.csv", "long_hair,0,100,\n"), "autocomplete", db=path)
    cache_path(path, "danbooru").write_bytes(b"PK\x03\x04 not really a zip")
    index = tagdb.open_db(path).index()
    assert not index.loaded_from_cache and index.search("lo", limit=1, categories=None, langs=None,
                                                        score_cutoff=None)
    assert tagdb.open_db(path).index().loaded_from_cache  # rewritten

"""Helpers shared by the tag database tests (a module, so test files can import it)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

DANBOORU_LIST = "data/danbooru_lists/danbooru_2025-05-01_pt25-ia-dd.csv"
ZH_REFERENCE = "data/zh/boorutagcart_danbooru_zh_reference.csv"


def pinyins_of(path: Path, index) -> dict[tuple[int, str], str]:
    """The (tag index, text) -> pinyin map the index was built from (for the reference search)."""
    by_name = index.tag_by_name
    conn = sqlite3.connect(path)
    try:
        return {(by_name[n], t): p for n, t, p in conn.execute("SELECT name, text, pinyin FROM translations")
                if n in by_name and p}
    finally:
        conn.close()


def assert_same_as_reference(path: Path, queries, *, limits=(1, 3, 12), filters: dict | None = None) -> dict:
    """The index and the brute-force reference (tagdb.reference.search_slow) rank every query alike (tags and
    scores, fuzzy off, with ``filters``); returns the pinyin map the reference was given."""
    import tagdb
    from tagdb.reference import search_slow

    filters = filters or {}
    index = tagdb.open_db(path, readonly=True).index()
    pinyins = pinyins_of(path, index)
    for q in queries:
        for limit in limits:
            fast = index.search(q, limit=limit, fuzzy=False, categories=filters.get("categories"),
                                langs=filters.get("langs"), score_cutoff=filters.get("score_cutoff"))
            slow = search_slow(index.table, pinyins, q, limit=limit, fuzzy=False, **filters)
            assert [(t, s) for t, s, _, _ in fast] == [(t, s) for t, s, _, _ in slow], (q, limit)
    return pinyins


def dump(path: Path) -> list:
    """Every row of every data table, for "unchanged" assertions."""
    conn = sqlite3.connect(path)
    try:
        return [conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2, 3").fetchall()
                for t in ("tags", "aliases", "translations", "presets", "tax_nodes", "tax_members")]
    finally:
        conn.close()

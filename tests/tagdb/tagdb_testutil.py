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


def dump(path: Path) -> list:
    """Every row of every data table, for "unchanged" assertions."""
    conn = sqlite3.connect(path)
    try:
        return [conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2, 3").fetchall()
                for t in ("tags", "aliases", "translations", "presets", "tax_nodes", "tax_members")]
    finally:
        conn.close()

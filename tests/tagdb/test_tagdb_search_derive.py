"""Derived queries (tagdb.evaluate): what each class asks for, on tiny hand-made tables."""

from __future__ import annotations

import numpy as np
import pytest

from tagdb.evaluate import SHARED_LABEL_TAGS, _shared_label_owners, derive_queries
from tagdb.index import TagTable
from tagdb.normalize import search_key


def table_of(rows: list[tuple[str, int, str]]) -> TagTable:
    """(name, posts, Chinese label) rows -> a TagTable."""
    n = len(rows)
    return TagTable(ids=np.arange(1, n + 1, dtype=np.int64), names=[r[0] for r in rows],
                    categories=np.zeros(n, dtype=np.int16), post_counts=np.array([r[1] for r in rows], dtype=np.int64),
                    deprecated=np.zeros(n, dtype=bool), aliases={},
                    translations={i: (("zh", r[2]),) for i, r in enumerate(rows) if r[2]}, tagset="danbooru")


def test_regression_pinyin_query_dropped_the_label_letters():
    """瓶Miku gave the pinyin query "ping" (letters dropped): nobody types that for it, and it is 瓶 (bottle)."""
    table = table_of([("bottle_miku", 700, "瓶Miku"), ("spread_legs", 900, "M字开腿"),
                      ("long_hair", 500, "长发")])
    queries = {q.query: table.names[q.wanted] for q in derive_queries(table, 3, classes=("pinyin",))}
    assert queries == {"pingmiku": "bottle_miku", "mzikaitui": "spread_legs", "changfa": "long_hair"}


@pytest.mark.parametrize("carriers, meaning", [
    (SHARED_LABEL_TAGS + 1, "miyu_0"),  # more than a result page: the label means its most-posted carrier
    (SHARED_LABEL_TAGS, None),  # a page shows them all: a query still wants the tag it came from
], ids=["shared-by-more-than-a-page", "shared-by-a-page"])
def test_regression_shared_label_wanted_one_of_its_many_tags(carriers, meaning):
    """BooruTagCart labels 100 Blue Archive characters "（蔚蓝档案）游戏": the query wanted whichever one it was
    drawn from, which no search (and no user typing it) can tell apart."""
    label = "（蔚蓝档案）游戏"
    table = table_of([(f"miyu_{k}", 1000 - k, label) for k in range(carriers)] + [("other", 10, "别的")])
    assert _shared_label_owners(table) == ({search_key(label): 0} if meaning else {})
    queries = derive_queries(table, 2, classes=("chinese", "pinyin"))
    from_label = [q for q in queries if q.query in (label, "weilandanganyouxi")]
    assert len(from_label) == 2
    if meaning:
        assert {table.names[q.wanted] for q in from_label} == {meaning}

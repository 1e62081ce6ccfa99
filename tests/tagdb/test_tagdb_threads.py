"""Many threads share one TagDB read-only, as Streamlit sessions do."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import tagdb

QUERIES = ["long", "长发", "changfa", "blnde hair", "ears", "skirt", "猫", "hair long", "1g", "school"]


def _answers(db):
    return {q: [(h.tag.name, h.score) for h in db.search(q, limit=8)] for q in QUERIES}


def test_parallel_reads_match_serial(starter_db):
    shared = tagdb.open_db(starter_db, readonly=True)
    expected = _answers(tagdb.open_db(starter_db, readonly=True))

    def work(i: int):
        q = QUERIES[i % len(QUERIES)]
        hits = [(h.tag.name, h.score) for h in shared.search(q, limit=8)]
        return q, hits, shared.get("long_hair").name, len(shared.presets("negative")), shared.stats()["tags"]

    with ThreadPoolExecutor(max_workers=8) as pool:  # the first calls race to build the index
        results = list(pool.map(work, range(200)))
    for q, hits, name, n_presets, n_tags in results:
        assert hits == expected[q] and name == "long_hair" and n_presets >= 5 and n_tags >= 1500


def test_index_is_built_once(starter_db):
    db = tagdb.open_db(starter_db)
    with ThreadPoolExecutor(max_workers=4) as pool:
        indexes = list(pool.map(lambda _: db.index(), range(8)))
    assert all(ix is indexes[0] for ix in indexes)

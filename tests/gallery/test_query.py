"""The search language: every form against a slow, obviously correct Python filter over the same
rows (differential), the Chinese-word translation hook, and parse errors with their position."""

from __future__ import annotations

import random
import re
import sys
import time

import pytest

from promptlab import gallery
from promptlab.gallery import store
from promptlab.gallery.query import compile_query
from promptlab.gallery.record import ImageRecord, sampler_key

TAGS = ["1girl", "solo", "long hair", "long_hair", "short hair", "smile", "blue eyes", "red eyes", "outdoors",
        "night", "masterpiece", "(detailed background:1.2)", "monochrome", "cat ears"]
NEG = ["lowres", "bad hands", "worst quality", "text", "monochrome"]
MODELS = ["ponyDiffusionV6XL", "animagineXL31", "waiIllustriousSDXL", None]
SAMPLERS = ["DPM++ 2M", "dpmpp_2m", "Euler a", "euler_ancestral", "DPM++ 2M SDE", None]
TOOLS = ["sd-webui", "forge", "comfyui", "novelai", None]
LORAS = ["add_detail", "lcm_lora", "hand_fix"]
DAY = 86_400 * 10**9
T0 = int(time.mktime((2026, 1, 1, 0, 0, 0, 0, 0, -1))) * 10**9


def _records(n: int, seed: int = 0) -> list[ImageRecord]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        tool = rng.choice(TOOLS)
        size = rng.choice([(512, 512), (832, 1216), (1024, 1024)])
        loras = tuple((name, round(rng.uniform(0.2, 1.0), 2)) for name in rng.sample(LORAS, rng.randint(0, 2)))
        sampler = rng.choice(SAMPLERS)
        out.append(ImageRecord(
            path=f"/img/{'sub/' if i % 3 else ''}{i:04d}.png", size=1000 + i, mtime_ns=T0 + rng.randint(-30, 60) * DAY,
            image_width=size[0] * 2 if i % 5 == 0 else size[0], image_height=size[1], width=size[0], height=size[1],
            generator=tool, prompt=", ".join(rng.sample(TAGS, rng.randint(1, 6))) if tool else "",
            negative=", ".join(rng.sample(NEG, rng.randint(0, 3))) if tool else "",
            model=rng.choice(MODELS) if tool else None, model_hash="abc123" if i % 7 == 0 else None,
            sampler=sampler, sampler_key=sampler_key(sampler), schedule=None, steps=rng.choice([20, 28, 30, 35, 50]),
            cfg=rng.choice([4.0, 5.0, 6.5, 7.0, 8.0, 9.5]), seed=rng.randint(0, 50), denoise=rng.choice([None, 0.3, 0.6]),
            hires_upscale=None, loras=loras, params_json="{}", meta_hash=None, error=None))
    return out


def _words(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", text.lower())  # "_" separates words, as in the FTS tokenizer


def _has_phrase(text: str, phrase: str) -> bool:
    w, p = _words(text), _words(phrase)
    return any(w[i:i + len(p)] == p for i in range(len(w) - len(p) + 1))


def _date(y, m=1, d=1):
    return int(time.mktime((y, m, d, 0, 0, 0, 0, 0, -1))) * 10**9


# query -> the slow, obviously correct predicate
CASES = {
    "smile": lambda r: _has_phrase(r.prompt, "smile"),
    "smile night": lambda r: _has_phrase(r.prompt, "smile") and _has_phrase(r.prompt, "night"),
    '"long hair"': lambda r: _has_phrase(r.prompt, "long hair"),
    "long_hair": lambda r: _has_phrase(r.prompt, "long hair"),
    "-monochrome": lambda r: not _has_phrase(r.prompt, "monochrome"),
    "smile -solo": lambda r: _has_phrase(r.prompt, "smile") and not _has_phrase(r.prompt, "solo"),
    "neg:monochrome": lambda r: _has_phrase(r.negative, "monochrome"),
    "-neg:lowres": lambda r: not _has_phrase(r.negative, "lowres"),
    "mono*": lambda r: any(w.startswith("mono") for w in _words(r.prompt)),
    "model:pony": lambda r: r.model is not None and "pony" in r.model.lower() or (r.model_hash or "").startswith("pony"),
    "model:abc1": lambda r: (r.model is not None and "abc1" in r.model.lower()) or (r.model_hash or "").startswith("abc1"),
    "-model:pony": lambda r: not (r.model is not None and "pony" in r.model.lower()),
    "lora:detail": lambda r: any("detail" in n for n, _ in r.loras),
    "seed:7": lambda r: r.seed == 7,
    "steps:>30": lambda r: r.steps > 30,
    "steps:>=30": lambda r: r.steps >= 30,
    "steps:<28": lambda r: r.steps < 28,
    "cfg:5..8": lambda r: 5 <= r.cfg <= 8,
    "cfg:6.5..": lambda r: r.cfg >= 6.5,
    "cfg:..5": lambda r: r.cfg <= 5,
    "denoise:<0.5": lambda r: r.denoise is not None and r.denoise < 0.5,
    "size:1024x1024": lambda r: (r.width, r.height) == (1024, 1024) or (r.image_width, r.image_height) == (1024, 1024),
    "size:1024X512": lambda r: (r.image_width, r.image_height) == (1024, 512),  # hires pixel size
    'sampler:"DPM++ 2M"': lambda r: r.sampler in ("DPM++ 2M", "dpmpp_2m"),
    "sampler:dpmpp_2m*": lambda r: r.sampler in ("DPM++ 2M", "dpmpp_2m", "DPM++ 2M SDE"),
    "tool:comfyui": lambda r: r.generator == "comfyui",
    "tool:a1111": lambda r: r.generator in ("sd-webui", "forge"),
    "tool:none": lambda r: r.generator is None,
    "after:2026-01-15": lambda r: r.mtime_ns >= _date(2026, 1, 15),
    "before:2026-02": lambda r: r.mtime_ns < _date(2026, 2),
    "after:2025-12-20 before:2026": lambda r: _date(2025, 12, 20) <= r.mtime_ns < _date(2026),
    "file:sub/": lambda r: "sub/" in r.path,
    'smile tool:a1111 steps:>=28 -lora:hand cfg:5..8 neg:"bad hands"': lambda r: (
        _has_phrase(r.prompt, "smile") and r.generator in ("sd-webui", "forge") and r.steps >= 28
        and not any("hand" in n for n, _ in r.loras) and 5 <= r.cfg <= 8 and _has_phrase(r.negative, "bad hands")),
    "": lambda r: True,
}


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("gallery") / "g.sqlite3"
    conn = store.connect(path)
    recs = _records(600)
    with store.transaction(conn):
        store.upsert(conn, recs)
    yield conn, {r.path: r for r in recs}
    conn.close()


@pytest.mark.parametrize("query", list(CASES), ids=[q or "empty" for q in CASES])
def test_query_matches_the_slow_filter(db, query):
    conn, recs = db
    page = gallery.search(conn, query, limit=1000, sort="path")
    expected = sorted(p for p, r in recs.items() if CASES[query](r))
    assert [r.path for r in page.records] == expected
    assert page.total == len(expected)
    assert 0 < len(expected) < len(recs) or query in ("", "-neg:lowres")  # the case tests something


@pytest.mark.parametrize("sort", ["newest", "oldest", "seed", "steps", "path"])
def test_sorts_and_pages_cover_every_row_once(db, sort):
    conn, recs = db
    seen = []
    for offset in range(0, 600, 250):
        seen += [r.path for r in gallery.search(conn, "", sort=sort, limit=250, offset=offset).records]
    assert sorted(seen) == sorted(recs)
    key = {"newest": lambda r: -r.mtime_ns, "oldest": lambda r: r.mtime_ns, "seed": lambda r: r.seed,
           "steps": lambda r: -r.steps, "path": lambda r: r.path}[sort]  # the rows here have no NULL seed/steps
    values = [key(recs[p]) for p in seen]
    assert values == sorted(values)


def test_chinese_word_is_searched_as_its_tags(db):
    conn, recs = db
    asked = []

    def translate(word):
        asked.append(word)
        return {"长发": ["long_hair"]}.get(word, [])

    page = gallery.search(conn, "长发", translate=translate, limit=1000)
    assert asked == ["长发"]
    assert page.total == sum(_has_phrase(r.prompt, "long hair") for r in recs.values()) > 0
    assert gallery.search(conn, "长发", limit=10).total == 0  # without a translator: searched as written


def test_translator_is_only_asked_for_chinese_words(db):
    conn, _ = db
    asked = []
    gallery.search(conn, "smile model:pony", translate=lambda w: asked.append(w) or [])
    assert asked == []


@pytest.mark.parametrize(("query", "key", "position"), [
    ("smile foo:bar", "gallery.err.unknown_field", 7),
    ('smile "long hair', "gallery.err.unclosed_quote", 7),
    ("steps:many", "gallery.err.bad_number", 1),
    ("cfg:5..x", "gallery.err.bad_number", 1),
    ("size:big", "gallery.err.bad_size", 1),
    ("after:2026-13-01", "gallery.err.bad_date", 1),
    ("before:yesterday", "gallery.err.bad_date", 1),
    ("model:", "gallery.err.empty_value", 1),
    ("smile -", "gallery.err.nothing_searchable", 7),
    ("((", "gallery.err.nothing_searchable", 1),
], ids=["unknown-field", "unclosed-quote", "bad-number", "bad-range", "bad-size", "bad-month", "bad-date",
        "empty-value", "lone-dash", "only-punctuation"])
def test_parse_errors_say_what_and_where(query, key, position):
    with pytest.raises(gallery.QueryError) as info:
        compile_query(query)
    assert info.value.key == key
    assert info.value.fmt["position"] == position and f"position {position}" in str(info.value)
    assert "位置" not in str(info.value) and info.value.message("zh") != str(info.value)


def test_bad_sort_and_page_are_clear_errors(db):
    conn, _ = db
    with pytest.raises(gallery.GalleryError, match="Unknown sort"):
        gallery.search(conn, "", sort="random")
    with pytest.raises(gallery.GalleryError, match="Page size"):
        gallery.search(conn, "", limit=0)


def test_quotes_inside_a_phrase_do_not_break_fts(db):
    conn, _ = db
    assert gallery.search(conn, 'a"b').total == 0


@pytest.mark.parametrize("query", ["smile", '"long hair" -solo', "smile tool:a1111 steps:>=28", "neg:monochrome"])
@pytest.mark.parametrize("sort", ["newest", "seed"])
def test_index_walk_plan_gives_the_same_rows(db, monkeypatch, query, sort):
    """Broad text matches walk the sort index instead of sorting every match: same answer."""
    search_mod = sys.modules["promptlab.gallery.search"]  # the module (the package exports the function)

    conn, _ = db
    by_id = [r.path for r in gallery.search(conn, query, sort=sort, limit=1000).records]
    monkeypatch.setattr(search_mod, "WALK_INDEX_ABOVE", 0)
    assert [r.path for r in gallery.search(conn, query, sort=sort, limit=1000).records] == by_id


def test_count_stops_at_the_cap_and_says_so(db, monkeypatch):
    search_mod = sys.modules["promptlab.gallery.search"]  # the module (the package exports the function)

    conn, recs = db
    monkeypatch.setattr(search_mod, "COUNT_CAP", 50)
    page = gallery.search(conn, "tool:a1111", limit=10)
    assert page.more and page.total == 50 and page.total_text == "50+"
    exact = gallery.search(conn, "", limit=10)
    assert not exact.more and exact.total == len(recs)

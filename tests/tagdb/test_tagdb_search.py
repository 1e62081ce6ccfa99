"""Search: behaviour table on the starter set, and the fast index against the brute-force reference."""

from __future__ import annotations

import random

import pytest

import tagdb
from tagdb import Via
from tagdb.normalize import pinyin, pinyin_keys, typed_pinyin
from tagdb.reference import search_slow
from tagdb_testutil import pinyins_of


@pytest.fixture(scope="module")
def db(starter_db):
    return tagdb.open_db(starter_db, readonly=True)


@pytest.mark.parametrize("query, kwargs, name, via, score", [
    ("long_hair", {}, "long_hair", Via.NAME, 100),
    ("Long Hair", {}, "long_hair", Via.NAME, 100),
    ("longhair", {}, "long_hair", Via.NAME, 98),
    ("long h", {}, "long_hair", Via.NAME, 95),
    (r"mouse_\(animal\)", {}, "mouse_(animal)", Via.NAME, 100),
    ("mouse (animal", {}, "mouse_(animal)", Via.NAME, 95),
    ("blnde hair", {}, "blonde_hair", Via.NAME, None),
    ("lnog hair", {}, "long_hair", Via.NAME, None),
    ("hair long", {}, "long_hair", Via.NAME, None),
    ("twintail", {}, "twintails", Via.NAME, 95),
    ("长发", {}, "long_hair", Via.TRANSLATION, 100),
    ("猫耳", {}, "cat_ears", Via.TRANSLATION, 100),
    ("changfa", {}, "long_hair", Via.PINYIN, 90),
    ("maoer", {}, "cat_ears", Via.PINYIN, 90),
    ("jinf", {}, "blonde_hair", Via.PINYIN, 80),
    ("high", {"categories": [5]}, "highres", Via.NAME, 95),
    ("high", {"categories": ["meta"]}, "highres", Via.NAME, 95),
    ("long", {"langs": ["zh"]}, "dragon", Via.PINYIN, 90),
], ids=["exact", "case-and-space", "no-space", "prefix-with-space", "escaped-parens", "unclosed-paren", "typo",
        "transposition", "word-order", "plural-prefix", "chinese", "chinese-2", "pinyin", "pinyin-2",
        "pinyin-prefix", "category-code", "category-name", "langs-zh-only"])
def test_top_hit(db, query, kwargs, name, via, score):
    hit = db.search(query, limit=5, **kwargs)[0]
    assert (hit.tag.name, hit.via) == (name, via)
    if score is not None:
        assert hit.score == score
    else:
        assert hit.score < 80  # fuzzy hits always rank below direct ones


def test_alias_resolves_to_canonical(tmp_path, write):
    path = tmp_path / "t.sqlite"
    tagdb.import_file(write("a.csv", '1girl,0,6000000,"1girls,sole_female"\nsolo,0,5000000,\n'), "autocomplete", db=path)
    hit = tagdb.open_db(path).search("sole fem")[0]
    assert (hit.tag.name, hit.via, hit.matched, hit.score) == ("1girl", Via.ALIAS, "sole_female", 95)
    assert hit.tag.aliases == ("1girls", "sole_female")


def test_ranking_prefers_popular_tags_within_a_band(db):
    hits = db.search("hair", limit=30)
    assert {"long_hair", "short_hair", "hair_ornament", "hair_ribbon"} <= {h.tag.name for h in hits}
    assert all(h.score < 98 for h in hits)  # no tag is named "hair": everything is in the direct band


def test_later_words_merge_with_prefixes(db):
    hits = db.search("ponytail", limit=10)
    assert hits[0].tag.name == "ponytail" and hits[0].score == 100
    assert {"side_ponytail", "high_ponytail"} <= {h.tag.name for h in hits if h.score == 95}


@pytest.mark.parametrize("kwargs, expected", [
    ({"langs": ["en"]}, []),
    ({"score_cutoff": 99}, ["long_hair"]),
    ({"limit": 0}, []),
], ids=["langs-en-excludes-chinese", "score-cutoff", "limit-zero"])
def test_filters(db, kwargs, expected):
    assert [h.tag.name for h in db.search("长发", **kwargs)] == expected


def test_artists_only(tmp_path, write):
    path = tmp_path / "t.sqlite"
    tagdb.import_file(write("a.csv", "wlop,1,9000,\nwings,0,400000,\nwlop_(style),0,10,\n"), "autocomplete", db=path)
    t = tagdb.open_db(path)
    assert [h.tag.name for h in t.search("wl", artists_only=True)] == ["wlop"]
    assert [h.tag.name for h in t.search("w", limit=3)] == ["wings", "wlop", "wlop_(style)"]
    assert t.search("wl", artists_only=True, categories=[0]) == []


@pytest.mark.parametrize("query", ["", "   ", "\x00", "___"], ids=["empty", "spaces", "nul", "underscores"])
def test_degenerate_queries_do_not_fail(db, query):
    assert isinstance(db.search(query), list)


def _differential_queries(index, seed: int, n: int) -> list[str]:
    rng = random.Random(seed)
    names = index.table.names
    labels = [text for tr in index.table.translations.values() for _, text in tr]
    queries = []
    for _ in range(n):
        kind = rng.randrange(6)
        if kind == 0:
            name = rng.choice(names)
            queries.append(name[: rng.randint(1, min(6, len(name)))])
        elif kind == 1:
            text = rng.choice(labels)
            start = rng.randrange(len(text))
            queries.append(text[start: start + rng.randint(1, 2)])
        elif kind == 2:
            label = rng.choice(labels)
            full, initials = pinyin_keys(typed_pinyin(label) or pinyin(label))
            queries.append((full or "x")[: rng.randint(1, 6)] if rng.random() < 0.7 else (initials or "y"))
        elif kind == 4:  # syllables with spaces between them ("chang fa")
            queries.append(" ".join(pinyin(rng.choice(labels)).split()[: rng.randint(1, 3)]) or "z")
        elif kind == 5:  # a label's first characters, then the pinyin of the next ones ("初音wei")
            text = rng.choice(labels)
            cut = rng.randint(1, max(1, len(text) - 1))
            queries.append(text[:cut] + "".join(pinyin(text[cut:]).split())[: rng.randint(1, 4)])
        else:
            name = rng.choice(names)
            words = name.split("_")
            queries.append(words[-1][: rng.randint(1, 5)] if len(words) > 1 else name[:2])
    return queries


@pytest.mark.parametrize("filters", [
    {},
    {"categories": frozenset({0})},
    {"categories": frozenset({5})},
    {"langs": frozenset({"zh"})},
    {"langs": frozenset({"en"})},
    {"score_cutoff": 85.0},
], ids=["none", "general", "meta", "zh", "en", "cutoff"])
def test_fast_path_matches_reference(mixed_db, filters):
    index = tagdb.open_db(mixed_db).index()
    pinyins = pinyins_of(mixed_db, index)
    for limit in (1, 12):
        for q in _differential_queries(index, seed=limit, n=40):
            fast = index.search(q, limit=limit, fuzzy=False, categories=filters.get("categories"),
                                langs=filters.get("langs"), score_cutoff=filters.get("score_cutoff"))
            slow = search_slow(index.table, pinyins, q, limit=limit, fuzzy=False, **filters)
            assert [(t, s) for t, s, _, _ in fast] == [(t, s) for t, s, _, _ in slow], q
            for (_, _, text, via), (_, _, _, slow_via) in zip(fast, slow):
                assert via == slow_via or {via, slow_via} == {Via.NAME, Via.ALIAS}, q


@pytest.mark.parametrize("typo, expected", [
    ("blnode hair", "blonde_hair"), ("pleatd skirt", "pleated_skirt"), ("thigh highs", "thighhighs"),
    ("lookin at viewer", "looking_at_viewer"), ("skirt pleated", "pleated_skirt"), ("schol uniform", "school_uniform"),
    ("serafku", "serafuku"), ("red eyse", "red_eyes"),
], ids=lambda v: v.replace(" ", "-"))
def test_fuzzy_top_hit_agrees_with_full_scan(mixed_db, typo, expected):
    index = tagdb.open_db(mixed_db).index()
    fast = index.search(typo, limit=5, categories=None, langs=None, score_cutoff=None)
    slow = search_slow(index.table, {}, typo, limit=5)
    assert index.table.names[fast[0][0]] == index.table.names[slow[0][0]] == expected

"""The shipped starter set: size, coverage of the formula categories, labels, presets."""

from __future__ import annotations

import collections
import csv
import re

import pytest

import tagdb
from tagdb.model import Category
from tagdb.starter_build import starter_rows

FORMULA = ["quality", "subject", "hair", "face", "expression", "attire", "pose", "scene", "lighting",
           "composition", "style"]


def test_starter_rows_are_valid():
    rows = starter_rows()
    assert len(rows) >= 1500
    assert len({r["name"] for r in rows}) == len(rows)
    assert all(r["zh"] and r["category"] in {int(c) for c in Category} for r in rows)


def test_every_formula_category_is_populated(starter_db):
    tree = tagdb.open_db(starter_db).taxonomy("zh")
    assert [c.key for c in tree] == FORMULA
    counts = {c.key: sum(len(g.tags) for g in c.groups) for c in tree}
    assert all(n >= 40 for n in counts.values()), counts
    assert tree[2].label == "头发" and tree[2].groups[0].tags[0] == ("long_hair", "长发")
    assert tagdb.open_db(starter_db).taxonomy("en")[2].label == "Hair"


def test_presets_of_each_kind(starter_db):
    kinds = collections.Counter(p.kind for p in tagdb.open_db(starter_db).presets())
    assert kinds["quality"] >= 4 and kinds["negative"] >= 5 and kinds["style"] >= 5
    nai = next(p for p in tagdb.open_db(starter_db).presets("negative") if p.name == "nai-standard")
    assert nai.prompt.startswith("lowres, bad anatomy") and nai.label("zh")


def test_ensure_starter_db_builds_once(tmp_path, monkeypatch):
    monkeypatch.setenv("PROMPTLAB_HOME", str(tmp_path))
    path = tagdb.ensure_starter_db()
    assert path == tmp_path / "tags.sqlite"
    stamp = path.stat().st_mtime_ns
    assert tagdb.ensure_starter_db() == path and path.stat().st_mtime_ns == stamp
    assert tagdb.open_db().search("masterpiece")[0].tag.category == 5


def test_starter_does_not_overwrite_imported_counts(tmp_path, write):
    db = tmp_path / "t.sqlite"
    tagdb.import_file(write("a.csv", "long_hair,0,4677240,\n"), "autocomplete", db=db)
    from tagdb.starter_build import build_starter

    build_starter(db)
    assert tagdb.open_db(db).get("long_hair").post_count == 4677240


def test_characters_copyrights_artists_ship_with_counts():
    from tagdb.starter_build import name_rows

    rows = name_rows()
    by_cat = collections.Counter(r["category"] for r in rows)
    assert by_cat[4] >= 2000 and by_cat[3] >= 2000 and by_cat[1] >= 1500
    least = {4: 1000, 3: 300, 1: 500}
    assert all(r["posts"] >= least[r["category"]] for r in rows)
    named = {r["name"]: r["zh"] for r in rows if r["zh"]}
    assert len(named) >= 500 and all(r["category"] in (3, 4) for r in rows if r["zh"])


@pytest.mark.parametrize("query, name", [
    ("初音未来", "hatsune_miku"), ("蕾姆", "rem_(re:zero)"), ("阿尔托莉雅", "artoria_pendragon_(fate)"),
    ("原神", "genshin_impact"), ("明日方舟", "arknights"), ("东方Project", "touhou"), ("/hm", "hatsune_miku"),
    ("miku", "hatsune_miku"), ("8k", "8k"), ("octane render", "octane_render"), ("虚幻引擎", "unreal_engine"),
], ids=lambda v: v)
def test_starter_finds_names_offline(starter_db, query, name):
    assert tagdb.open_db(starter_db).search(query, limit=5)[0].tag.name == name


@pytest.mark.parametrize("category, name", [("character", "hatsune_miku"), ("copyright", "touhou"),
                                            ("artist", None), ("sd", "8k")])
def test_every_category_filter_has_tags(starter_db, category, name):
    hits = tagdb.open_db(starter_db).search("a" if name is None else name[:2], categories=[category], limit=5)
    assert hits and all(h.tag.category_name == category for h in hits)
    assert name is None or name in [h.tag.name for h in hits]


def test_sd_vocabulary_is_not_unknown(starter_db):
    from tagdb.starter_build import name_rows, sd_vocab_rows

    words = [r["name"] for r in sd_vocab_rows()]
    assert len(words) >= 150 and len(set(words)) == len(words)
    assert not set(words) & {r["name"] for r in starter_rows()} and not set(words) & {r["name"] for r in name_rows()}
    db = tagdb.open_db(starter_db)
    assert db.validate("8k, unreal engine, trending on artstation, octane render, masterpiece, hatsune miku") == []
    assert all(db.get(w).category == Category.SD for w in words[:20])


def test_sd_vocabulary_words_are_not_danbooru_tags(shared_dir):
    from tagdb.importers.csvutil import BadRows, iter_rows
    from tagdb.starter_build import sd_vocab_rows
    from tagdb_testutil import DANBOORU_LIST

    danbooru = set()
    for _, fields in iter_rows(shared_dir / DANBOORU_LIST, BadRows()):
        danbooru.add(fields[0])
        danbooru.update(a for a in (fields[3] if len(fields) > 3 else "").split(",") if a)
    assert sorted(r["name"] for r in sd_vocab_rows() if r["name"] in danbooru) == []


def test_most_characters_and_copyrights_have_chinese_names():
    from tagdb.starter_build import name_rows

    rows = name_rows()
    for category, top in ((4, 1000), (3, 300)):
        ranked = sorted((r for r in rows if r["category"] == category), key=lambda r: -r["posts"])
        assert sum(bool(r["zh"]) for r in ranked[:top]) >= 0.95 * top, category
        assert sum(bool(r["zh"]) for r in ranked) >= 0.85 * len(ranked), category
    assert all(re.search(r"[\u3400-\u9fff]", r["zh"]) for r in rows if r["zh"])


def _loose(name: str) -> str:
    """A name without its work in brackets, middle dots and spaces, for comparing two writers' names."""
    return re.sub(r"[（(][^）)]*[）)]", "", name).translate({ord(c): None for c in "·・ "}).lower()


def test_character_names_agree_with_a_community_list(shared_dir):
    """Our names are our own writing; a community character list (中文名（作品）,tag with spaces) checks them.
    Most disagreements there are its errors or other transliterations, so the floor is 80 %, not 100 %."""
    from tagdb.starter_build import name_rows

    path = shared_dir / "data/zh/aaalice233_wai_characters_zh_en.csv"
    if not path.exists():
        pytest.skip("community character list absent")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        ref = {row[1].strip().replace(" ", "_"): row[0].strip() for row in csv.reader(fh) if len(row) >= 2}
    ours = {r["name"]: r["zh"] for r in name_rows() if r["zh"] and r["category"] == 4}
    both = [n for n in ours if n in ref]

    def agrees(name: str) -> bool:
        theirs = _loose(ref[name])
        return any(a and (a in theirs or theirs in a) for a in map(_loose, ours[name].split("|")))

    assert len(both) >= 1500
    assert sum(map(agrees, both)) >= 0.8 * len(both)
    for name in ("hatsune_miku", "hakurei_reimu", "kirisame_marisa", "frieren", "ganyu_(genshin_impact)"):
        assert agrees(name), (name, ours[name], ref[name])


@pytest.mark.parametrize("query, name", [
    ("鸣人", "uzumaki_naruto"), ("芙莉莲", "frieren"), ("崩坏：星穹铁道", "honkai:_star_rail"),
    ("赛马娘", "umamusume"), ("碧蓝航线", "azur_lane"), ("紫竹", "volo_(pokemon)"),
], ids=lambda v: v)
def test_starter_finds_more_chinese_names(starter_db, query, name):
    assert name in [h.tag.name for h in tagdb.open_db(starter_db).search(query, limit=5)]

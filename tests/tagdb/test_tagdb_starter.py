"""The shipped starter set: size, coverage of the formula categories, labels, presets."""

from __future__ import annotations

import collections

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

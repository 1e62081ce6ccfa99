from __future__ import annotations

import pytest

import tagdb
from tagdb import IssueKind


@pytest.fixture
def db(tmp_path, write):
    path = tmp_path / "t.sqlite"
    tagdb.import_file(write("a.csv", '1girl,0,6000000,"1girls,sole_female"\nlong_hair,0,4000000,longhair\n'
                                     "blonde_hair,0,1500000,\n"), "autocomplete", db=path)
    from tagdb.store import atomic_update

    with atomic_update(path) as writer:  # one deprecated tag, as Danbooru's API marks them
        writer.begin_source("test", "test")
        writer.upsert_tags([("bangs", 0, 10)], deprecated=True)
    return tagdb.open_db(path)


def test_validate_flags_each_kind(db):
    issues = db.validate(["1girl", "Long Hair", "longhair", "blnde hair", "bangs", "<lora:x:0.8>", "BREAK", " "])
    assert [(i.tag, i.kind, i.canonical) for i in issues] == [
        ("longhair", IssueKind.ALIAS, "long_hair"),
        ("blnde hair", IssueKind.UNKNOWN, None),
        ("bangs", IssueKind.DEPRECATED, None),
    ]
    assert issues[1].suggestions[0] == "blonde_hair"


def test_validate_accepts_a_prompt_string(db):
    assert [i.tag for i in db.validate("1girl, sole_female, nothing_like_this")] == ["sole_female", "nothing_like_this"]


def test_deprecated_tags_are_not_suggested(db):
    assert db.search("bangs") == [] or db.search("bangs")[0].tag.name != "bangs"
    assert db.get("bangs").deprecated

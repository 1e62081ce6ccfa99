"""Importers: formats, quirks, malformed rows counted (never fatal), idempotence, provenance."""

from __future__ import annotations

import json
import sqlite3

import pytest

import tagdb
from tagdb import TagImportError

from tagdb_testutil import DANBOORU_LIST, ZH_REFERENCE, dump

AUTOCOMPLETE = (
    '1girl,0,6008644,"1girls,sole_female"\n'
    "long_hair,0,4677240,longhair\n"
    "hatsune_miku,4,150000,\n"
    '"don\'t_say_""lazy""",0,30,\n'
    "ke-ta,1,5000,\n"
)


def test_autocomplete_quoting_aliases_and_escapes(tmp_path, write):
    db = tmp_path / "t.sqlite"
    report = tagdb.import_file(write("a.csv", AUTOCOMPLETE), "autocomplete", db=db)
    assert (report.rows_read, report.tags_added, report.aliases, report.bad_row_count) == (5, 5, 3, 0)
    t = tagdb.open_db(db)
    assert t.get("1girls").name == "1girl"
    assert t.get("sole female").name == "1girl"
    assert t.get('don\'t say "lazy"').post_count == 30
    assert t.get("ke-ta").category == 1


@pytest.mark.parametrize("line, reason", [
    ("only_one_column\n", "expected 2-4 columns"),
    ("a,0,1,x,extra\n", "expected 2-4 columns"),
    ("tag,zero,12,\n", "not a number"),
    ("tag,0,many,\n", "not a number"),
    (",0,12,\n", "empty tag name"),
    ("nul\x00tag,0,12,\n", "NUL byte"),
    ("tag,7,12,\n", "unknown danbooru category"),
    ('"unterminated,0,1,\n', "CSV syntax"),
], ids=["one-column", "five-columns", "category-text", "count-text", "empty-name", "nul-byte", "bad-category",
        "open-quote"])
def test_autocomplete_malformed_rows_are_counted_not_fatal(tmp_path, write, line, reason):
    db = tmp_path / "t.sqlite"
    report = tagdb.import_file(write("a.csv", AUTOCOMPLETE + line + "after,0,9,\n"), "autocomplete", db=db)
    assert report.bad_row_count == 1
    assert reason in report.bad_rows[0][1] and report.bad_rows[0][0] == 6
    assert report.tags_added == 6  # the good rows before and after the bad one
    assert tagdb.open_db(db).get("after") is not None


def test_autocomplete_invalid_utf8_line(tmp_path, write):
    report = tagdb.import_file(write("a.csv", AUTOCOMPLETE.encode() + b"caf\xe9,0,1,\n"), "autocomplete",
                               db=tmp_path / "t.sqlite")
    assert report.bad_row_count == 1 and "not UTF-8" in report.bad_rows[0][1]


def test_reimport_is_idempotent_and_updates_counts(tmp_path, write):
    db = tmp_path / "t.sqlite"
    tagdb.import_file(write("a.csv", AUTOCOMPLETE), "autocomplete", db=db)
    before = dump(db)
    again = tagdb.import_file(write("a.csv", AUTOCOMPLETE), "autocomplete", db=db)
    assert (again.tags_added, again.tags_updated) == (0, 5)
    assert [len(t) for t in dump(db)] == [len(t) for t in before]
    tagdb.import_file(write("b.csv", AUTOCOMPLETE.replace("6008644", "7000000")), "autocomplete", db=db)
    assert tagdb.open_db(db).get("1girl").post_count == 7_000_000
    assert [len(t) for t in dump(db)] == [len(t) for t in before]


def test_provenance_is_recorded(tmp_path, write):
    db = tmp_path / "t.sqlite"
    src = write("a.csv", AUTOCOMPLETE + "bad\n")
    tagdb.import_file(src, "autocomplete", db=db)
    conn = sqlite3.connect(db)
    kind, path, when, rows, bad = conn.execute("SELECT kind, path, imported_at, rows_read, bad_rows FROM sources").fetchone()
    assert (kind, path, rows, bad) == ("autocomplete", str(src.resolve()), 6, 1) and when.startswith("20")
    assert conn.execute("SELECT count(*) FROM tags WHERE source_id IS NULL OR updated_at = ''").fetchone()[0] == 0


@pytest.mark.parametrize("content, expected", [
    ("\ufeff1girl,1个女孩\r\nlong_hair,长发\r\n", {"1girl": ["1个女孩"], "long_hair": ["长发"]}),
    ("long hair,长发|长头发,头发长度\n", {"long_hair": ["长发", "长头发"]}),
    ("long_hair,,\nsolo,单人,人物数量\n", {"solo": ["单人"]}),
    ("#NAME?,坏\n9-May,坏\n7月22日,坏\nsolo,单人\n", {"solo": ["单人"]}),
    ("tag,text\nsolo,单人\n", {"solo": ["单人"]}),
], ids=["bom-crlf", "alternatives-and-space-key", "empty-and-note", "excel-mangled", "header"])
def test_translations(tmp_path, write, content, expected):
    db = tmp_path / "t.sqlite"
    report = tagdb.import_file(write("zh.csv", content), "translations", db=db)
    conn = sqlite3.connect(db)
    got: dict[str, list[str]] = {}
    for name, text in conn.execute("SELECT name, text FROM translations ORDER BY name, rank"):
        got.setdefault(name, []).append(text)
    assert got == expected
    if "#NAME?" in content:
        assert report.bad_row_count == 3 and report.extra["mangled_keys"] == 3


def test_translations_reversed_columns(tmp_path, write):
    db = tmp_path / "t.sqlite"
    tagdb.import_file(write("c.csv", "\ufeff初音未来（VOCALOID）  ,hatsune miku\n"), "translations", db=db,
                      reversed=True)
    assert sqlite3.connect(db).execute("SELECT name, text FROM translations").fetchall() == [
        ("hatsune_miku", "初音未来（VOCALOID）")]


def test_translations_before_tags_still_apply(tmp_path, write):
    db = tmp_path / "t.sqlite"
    tagdb.import_file(write("zh.csv", "long_hair,长发\n"), "translations", db=db)
    tagdb.import_file(write("a.csv", AUTOCOMPLETE), "autocomplete", db=db)
    assert tagdb.open_db(db).get("long_hair").label("zh") == "长发"


def test_wd14_ratings_and_blank_row(tmp_path, write):
    db = tmp_path / "t.sqlite"
    content = ("tag_id,name,category,count\r\n9999999,general,9,807858\r\n470575,1girl,0,4225150\r\n,,,\r\n"
               "212816,solo,0,3500000\r\n")
    tagdb.import_file(write("a.csv", AUTOCOMPLETE), "autocomplete", db=db)
    report = tagdb.import_file(write("selected_tags.csv", content), "wd14", db=db)
    assert report.bad_row_count == 1 and report.tags_added == 2
    t = tagdb.open_db(db)
    assert t.get("general").category == 9
    assert t.get("1girl").post_count == 6008644  # the newer list wins over WD14's older count
    assert t.get("solo").post_count == 3500000


TAXONOMY = """
- name: 人物
  groups:
    - name: 对象
      color: red
      tags:
        1girl: 1女孩
        long hair: 长发
        mouse_(animal): 老鼠
    - type: wrap
- name: 反向提示词
  groups:
    - name: 通用
      tags:
        lowres, bad anatomy: 低质量
        (worst quality:1.4): 最差
        EasyNegative:
        "<lora:foo:0.7>, hanfu": 汉服
"""


def test_taxonomy_yaml(tmp_path, write):
    db = tmp_path / "t.sqlite"
    report = tagdb.import_file(write("zh_CN.yaml", TAXONOMY), "taxonomy", db=db)
    assert (report.taxonomy_entries, report.presets) == (3, 4)
    t = tagdb.open_db(db)
    [people, negative] = t.taxonomy("zh", name="zh_CN")
    assert people.label == "人物" and negative.groups[0].tags == ()
    assert people.groups[0].tags == (("1girl", "1女孩"), ("long_hair", "长发"), ("mouse_(animal)", "老鼠"))
    assert {p.prompt for p in t.presets("negative")} == {
        "lowres, bad anatomy", "(worst quality:1.4)", "EasyNegative", "<lora:foo:0.7>, hanfu"}
    again = tagdb.import_file(write("zh_CN.yaml", TAXONOMY), "taxonomy", db=db)
    assert again.taxonomy_entries == 3 and len(t.taxonomy("zh", name="zh_CN")[0].groups[0].tags) == 3


def test_taxonomy_not_yaml_is_refused_and_db_unchanged(tmp_path, write):
    db = tmp_path / "t.sqlite"
    tagdb.import_file(write("a.csv", AUTOCOMPLETE), "autocomplete", db=db)
    before = dump(db)
    with pytest.raises(TagImportError, match="not a readable YAML"):
        tagdb.import_file(write("bad.yaml", "- name: [unclosed\n"), "taxonomy", db=db)
    assert dump(db) == before


def test_e621_is_a_separate_tagset(tmp_path, write):
    db = tmp_path / "t.sqlite"
    tagdb.import_file(write("a.csv", AUTOCOMPLETE), "autocomplete", db=db)
    tagdb.import_file(write("e.csv", "canine,5,500000,canid\nlong_hair,0,1000,\n"), "e621", db=db)
    t = tagdb.open_db(db)
    assert t.get("long_hair").post_count == 4677240
    assert t.get("long_hair", tagset="e621").post_count == 1000
    hit = t.search("canid", tagset="e621")[0]
    assert hit.tag.name == "canine" and hit.tag.category_name == "species"
    assert t.get("canine") is None


def test_presets_json_styles_and_chants(tmp_path, write):
    db = tmp_path / "t.sqlite"
    styles = [{"name": "sai-anime", "prompt": "anime artwork {prompt}", "negative_prompt": "photo"}]
    chants = [{"name": "Basic-NegativePrompt", "terms": "neg", "content": "lowres, bad anatomy", "color": 3}]
    tagdb.import_file(write("s.json", json.dumps(styles)), "presets", db=db)
    tagdb.import_file(write("c.json", json.dumps(chants)), "presets", db=db)
    t = tagdb.open_db(db)
    assert [(p.kind, p.name, p.negative_prompt) for p in t.presets()] == [
        ("chant", "Basic-NegativePrompt", ""), ("style", "sai-anime", "photo")]


def test_unknown_format_and_missing_file(tmp_path, write):
    with pytest.raises(TagImportError, match="Unknown format"):
        tagdb.import_file(write("a.csv", AUTOCOMPLETE), "csv", db=tmp_path / "t.sqlite")
    with pytest.raises(TagImportError, match="does not exist"):
        tagdb.import_file(tmp_path / "nope.csv", "autocomplete", db=tmp_path / "t.sqlite")


def test_real_file_slices(shared_dir, tmp_path, write):
    """The first 2,000 lines of the real files import without a malformed row."""
    db = tmp_path / "t.sqlite"
    head = "".join((shared_dir / DANBOORU_LIST).read_text(encoding="utf-8").splitlines(True)[:2000])
    assert tagdb.import_file(write("l.csv", head), "autocomplete", db=db).bad_row_count == 0
    zh = (shared_dir / ZH_REFERENCE).read_bytes()[:200_000].rsplit(b"\n", 1)[0]
    report = tagdb.import_file(write("zh.csv", zh), "translations", db=db)
    assert report.bad_row_count == report.extra["mangled_keys"] and report.translations > 1000  # 7月22日 etc.
    byzod = shared_dir / "data/zh/byzod_Tags-zh-full-pack.csv"
    assert tagdb.import_file(byzod, "translations", db=db).bad_row_count == 0
    assert tagdb.open_db(db).search("长发", limit=1)[0].tag.name == "long_hair"

"""`promptlab tags ...` end to end through the CLI entry point."""

from __future__ import annotations

import json

import pytest

from promptlab.cli import main


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "tags.sqlite"
    assert main(["tags", "init", "--db", str(path)]) == 0
    return path


def _json(capsys):
    return json.loads(capsys.readouterr().out)


def test_search_json_rows(db, capsys):
    assert main(["tags", "search", "长发", "--db", str(db), "--json", "--limit", "3"]) == 0
    rows = _json(capsys)
    assert len(rows) == 3
    assert set(rows[0]) >= {"name", "category", "post_count", "matched", "via", "score"}
    assert rows[0] | {"label": None} == {"name": "long_hair", "category": 0, "post_count": 4000000,
                                         "matched": "长发", "via": "translation", "score": 100.0, "label": None}


@pytest.mark.parametrize("args, first", [
    (["blnde hair"], "blonde_hair"),
    (["high", "--category", "meta"], "highres"),
    (["long", "--lang", "zh"], "dragon"),
    (["changfa"], "long_hair"),
], ids=["typo", "category", "lang", "pinyin"])
def test_search_options(db, capsys, args, first):
    assert main(["tags", "search", *args, "--db", str(db), "--json"]) == 0
    assert _json(capsys)[0]["name"] == first


def test_search_text_and_no_match(db, capsys):
    assert main(["tags", "search", "cat ears", "--db", str(db)]) == 0
    assert capsys.readouterr().out.splitlines()[0].split()[:2] == ["cat_ears", "general"]
    assert main(["tags", "search", "qqqqqqqq", "--db", str(db), "--artists"]) == 1


def test_default_db_is_promptlab_home(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PROMPTLAB_HOME", str(tmp_path))
    assert main(["tags", "init"]) == 0
    assert (tmp_path / "tags.sqlite").is_file()
    assert main(["tags", "stats", "--json"]) == 0 and "init" not in capsys.readouterr().err


def test_show_stats_presets_validate(db, capsys):
    assert main(["tags", "show", "Cat Ears", "--db", str(db), "--json"]) == 0
    shown = _json(capsys)
    assert shown["name"] == "cat_ears" and shown["translations"] == [{"lang": "zh", "text": "猫耳"}]
    assert main(["tags", "stats", "--db", str(db), "--json"]) == 0
    stats = _json(capsys)
    assert stats["tags"] >= 1500 and stats["translations"]["zh"] >= 1500
    assert main(["tags", "presets", "--kind", "negative", "--db", str(db)]) == 0
    assert "nai-standard" in capsys.readouterr().out
    assert main(["tags", "validate", "long hair, catears", "--db", str(db), "--json"]) == 1
    assert [i["tag"] for i in _json(capsys)] == ["catears"]


def test_import_reports_malformed_rows(tmp_path, capsys):
    src = tmp_path / "list.csv"
    src.write_text("long_hair,0,100,longhair\nbroken\nsmile,0,50,\n", encoding="utf-8")
    db = tmp_path / "t.sqlite"
    assert main(["tags", "import", str(src), "--format", "autocomplete", "--db", str(db)]) == 0
    captured = capsys.readouterr()
    assert "tags added 2" in captured.out and "malformed 1" in captured.out and "line 2" in captured.err
    assert main(["tags", "import", str(src), "--format", "autocomplete", "--db", str(db), "--json"]) == 0
    assert _json(capsys)["tags_updated"] == 2


@pytest.mark.parametrize("args, message", [
    (["tags", "search", "x", "--db", "{missing}"], "promptlab tags init"),
    (["tags", "show", "no_such_tag_here", "--db", "{db}"], "No tag"),
    (["tags", "import", "{missing}", "--format", "wd14", "--db", "{db}"], "does not exist"),
    (["tags", "update", "--db", "{db}", "--url", "http://127.0.0.1:9", "--interval", "0"], "resume"),
], ids=["no-db", "unknown-tag", "missing-file", "offline-update"])
def test_errors_are_one_line(db, tmp_path, capsys, monkeypatch, args, message):
    import tagdb.importers.danbooru_api as api

    monkeypatch.setattr(api.time, "sleep", lambda s: None)
    args = [a.format(missing=tmp_path / "missing.sqlite", db=db) for a in args]
    assert main(args) == 1
    err = capsys.readouterr().err.strip().splitlines()[-1]  # after any "retrying" progress lines
    assert err.startswith("promptlab: error:") and message in err

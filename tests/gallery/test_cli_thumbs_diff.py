"""promptlab gallery index/search/diff/stats (in-process CLI), thumbnails and the parameter diff."""

from __future__ import annotations

import json
import os

import pytest
from _images import a1111, comfy, plain
from PIL import Image

from promptlab import gallery
from promptlab.cli import main
from promptlab.gallery.diff import diff_tags
from promptlab.gallery.thumbs import THUMB_SIZE, thumb_path, thumbnail


@pytest.fixture
def indexed(tmp_path, capsys):
    root = tmp_path / "out"
    root.mkdir()
    a1111(root / "a", seed=11, prompt="1girl, long hair, smile", model="ponyV6")
    a1111(root / "b", seed=12, prompt="1girl, short hair, smile, night", model="ponyV6", steps=40)
    comfy(root / "c", seed=13)
    db = tmp_path / "g.sqlite3"
    assert main(["gallery", "index", str(root), "--db", str(db), "--json", "--quiet"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["found"], report["added"]) == (3, 3)
    return root, db


def test_search_json_has_the_documented_keys(indexed, capsys):
    root, db = indexed
    assert main(["gallery", "search", "smile steps:>30", "--db", str(db), "--json"]) == 0
    hits = json.loads(capsys.readouterr().out)
    assert len(hits) == 1
    assert {"file", "prompt", "seed", "model"} <= set(hits[0])
    assert (hits[0]["file"], hits[0]["seed"], hits[0]["model"]) == (str(root / "b.png"), 12, "ponyV6")


def test_search_text_output_and_bad_query(indexed, capsys):
    _, db = indexed
    assert main(["gallery", "search", "tool:comfyui", "--db", str(db)]) == 0
    assert "1 of 1 images" in capsys.readouterr().out
    assert main(["gallery", "search", "steps:lots", "--db", str(db)]) == 1
    err = capsys.readouterr().err
    assert "position 1" in err and "Traceback" not in err


def test_search_without_an_index_says_how_to_make_one(tmp_path, capsys):
    assert main(["gallery", "search", "x", "--db", str(tmp_path / "none.sqlite3")]) == 1
    assert "promptlab gallery index DIR" in capsys.readouterr().err
    assert not (tmp_path / "none.sqlite3").exists()


def test_diff_json_marks_changed_fields_and_tags(indexed, capsys):
    root, db = indexed
    assert main(["gallery", "diff", str(root / "a.png"), str(root / "b.png"), "--db", str(db), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    changed = {f["name"] for f in out["fields"] if f["changed"]}
    assert changed == {"seed", "steps"}
    assert out["prompt"] == {"common": ["1girl", "smile"], "only_a": ["long hair"], "only_b": ["short hair", "night"]}


def test_diff_reads_files_that_are_not_indexed(tmp_path, capsys):
    x, y = a1111(tmp_path / "x", seed=1), a1111(tmp_path / "y", seed=2, sampler="Euler a")
    assert main(["gallery", "diff", str(x), str(y), "--db", str(tmp_path / "none.sqlite3")]) == 0
    out = capsys.readouterr().out
    assert "seed" in out and "Euler a" in out


def test_stats_json(indexed, capsys):
    _, db = indexed
    assert main(["gallery", "stats", "--db", str(db), "--json"]) == 0
    s = json.loads(capsys.readouterr().out)
    assert s["images"] == 3 and s["generators"] == {"sd-webui": 2, "comfyui": 1}
    assert s["loras"] == {"detail": 1} and s["models"]["ponyV6"] == 2


def test_thumbnail_is_small_cached_and_keyed_by_mtime(tmp_path):
    src = tmp_path / "big.png"
    Image.new("RGB", (1200, 600), "red").save(src)
    mtime = src.stat().st_mtime_ns
    first = thumbnail(str(src), mtime, root=tmp_path / "thumbs")
    with Image.open(first) as im:
        assert im.format == "WEBP" and max(im.size) == THUMB_SIZE and im.size == (256, 128)
    made = first.stat().st_mtime_ns
    assert thumbnail(str(src), mtime, root=tmp_path / "thumbs") == first and first.stat().st_mtime_ns == made
    assert thumb_path(str(src), mtime + 1, tmp_path / "thumbs") != first
    assert not list((tmp_path / "thumbs").rglob("*.tmp"))


@pytest.mark.parametrize("content", [b"", b"\x89PNG\r\n\x1a\nbroken"], ids=["zero-byte", "corrupt"])
def test_thumbnail_of_a_broken_image_is_none(tmp_path, content):
    bad = tmp_path / "bad.png"
    bad.write_bytes(content)
    assert thumbnail(str(bad), 1, root=tmp_path / "thumbs") is None
    assert not (tmp_path / "thumbs").exists() or not list((tmp_path / "thumbs").rglob("*"))


@pytest.mark.parametrize(("a", "b", "common", "only_a", "only_b"), [
    ("1girl, smile", "1girl, smile", ("1girl", "smile"), (), ()),
    ("1girl,smile\nnight", "smile, 1girl", ("1girl", "smile"), ("night",), ()),
    ("(smile:1.2), cat", "smile, cat", ("cat",), ("(smile:1.2)",), ("smile",)),
    ("", "a", (), (), ("a",)),
], ids=["same", "order-and-newline", "weights-count", "empty"])
def test_prompt_diff_by_tag(a, b, common, only_a, only_b):
    d = diff_tags(a, b)
    assert (d.common, d.only_a, d.only_b) == (common, only_a, only_b)


def test_plain_images_diff_without_parameters(tmp_path):
    from promptlab.gallery.record import record_from_metadata
    from promptlab.metadata import read

    p, q = plain(tmp_path / "p"), comfy(tmp_path / "q")
    ra = record_from_metadata(str(p), 1, 1, read(p))
    rb = record_from_metadata(str(q), 1, 1, read(q))
    d = gallery.diff(ra, rb)
    assert {f.name for f in d.changed} >= {"generator", "seed", "model"}
    assert d.prompt.only_b and not d.prompt.only_a

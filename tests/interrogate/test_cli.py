"""The ``promptlab interrogate`` and ``promptlab caption`` commands."""

from __future__ import annotations

import json

import pytest

from promptlab.cli import main

from .conftest import BLUE, RED, solid


@pytest.fixture()
def images(tmp_path):
    solid(RED).save(tmp_path / "red.png")
    solid(BLUE).save(tmp_path / "blue.png")
    return tmp_path


def test_interrogate_json(images, wd_dir, capsys):
    code = main(["interrogate", str(images / "red.png"), str(images / "blue.png"), "--tagger", str(wd_dir),
                 "--json", "--device", "cpu"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out[0]["prompt"].startswith("hatsune miku, saber \\(fate\\), long hair")
    assert out[0]["rating"] == "general" and out[0]["characters"]["hatsune miku"] == pytest.approx(0.9, abs=1e-4)
    assert out[0]["provider"] == "CPUExecutionProvider" and out[0]["tagger"] == "tiny-wd"
    assert out[1]["general"] == {"blue sky": pytest.approx(0.99, abs=1e-4), "smile": pytest.approx(0.36, abs=1e-4)}


def test_interrogate_text_with_options(images, wd_dir, capsys):
    code = main(["interrogate", str(images / "red.png"), "--tagger", str(wd_dir), "--weights", "--mcut",
                 "--no-characters", "--exclude", "smile"])
    out = capsys.readouterr().out
    assert code == 0
    assert "prompt: (long hair:0.950)" in out and "rating: general" in out


def test_interrogate_missing_image(wd_dir, capsys, tmp_path):
    assert main(["interrogate", str(tmp_path / "nope.png"), "--tagger", str(wd_dir)]) == 1
    assert "no such file" in capsys.readouterr().err


def test_interrogate_unreadable_image_listed(images, wd_dir, capsys):
    (images / "bad.png").write_bytes(b"nope")
    code = main(["interrogate", str(images / "bad.png"), str(images / "red.png"), "--tagger", str(wd_dir), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 1 and "error" in out[0] and out[1]["prompt"]


def test_caption_command(images, wd_dir, capsys):
    (images / "bad.jpg").write_bytes(b"nope")
    code = main(["caption", str(images), "--tagger", str(wd_dir), "--prepend", "trigger, ",
                 "--replace", "smile=grin", "--existing", "overwrite", "--batch-size", "2", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 1 and report["written"] == 2 and report["failed"][0]["path"].endswith("bad.jpg")
    assert (images / "blue.txt").read_text() == "trigger, blue sky, grin\n"


def test_caption_text_report(images, wd_dir, capsys):
    assert main(["caption", str(images), "--tagger", str(wd_dir), "--ext", ".caption"]) == 0
    assert "2 written" in capsys.readouterr().out
    assert (images / "red.caption").exists()


def test_missing_tagger_is_clear(images, capsys):
    assert main(["interrogate", str(images / "red.png"), "--tagger", "no-such-tagger"]) == 1
    assert "No tagger 'no-such-tagger'" in capsys.readouterr().err


def test_tags_checked_against_tag_database(images, wd_dir, capsys, _isolated_home):
    tagdb = pytest.importorskip("tagdb")
    if not hasattr(tagdb, "ensure_starter_db"):
        pytest.skip("tagdb starter set not available")
    tagdb.ensure_starter_db(_isolated_home / "tags.sqlite")
    assert main(["interrogate", str(images / "red.png"), "--tagger", str(wd_dir), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    issues = out[0]["tagdb"]
    assert isinstance(issues, list)
    json.dumps(issues)  # plain data


def test_no_tag_database_no_check(images, wd_dir, capsys):
    assert main(["interrogate", str(images / "red.png"), "--tagger", str(wd_dir), "--json"]) == 0
    assert "tagdb" not in json.loads(capsys.readouterr().out)[0]

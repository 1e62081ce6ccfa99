import json

import pytest


@pytest.fixture()
def wildcard_dir(tmp_path):
    root = tmp_path / "wildcards"
    (root / "people").mkdir(parents=True)
    (root / "color.txt").write_text("red\nblue\n# a comment\ngreen\n", encoding="utf-8")
    (root / "people" / "hair.txt").write_text("long hair\nshort hair\n", encoding="utf-8")
    (root / "nested.txt").write_text("__color__ __people/hair__\n", encoding="utf-8")
    (root / "loop.txt").write_text("again __loop__\n", encoding="utf-8")
    (root / "loop_a.txt").write_text("__loop_b__\n", encoding="utf-8")
    (root / "loop_b.txt").write_text("__loop_a__\n", encoding="utf-8")
    (root / "zoo.yaml").write_text("animals:\n  cats: [tabby, siamese]\n  dogs: [pug]\n", encoding="utf-8")
    (root / "styles.json").write_text(json.dumps({"styles": ["oil painting", "watercolor"]}), encoding="utf-8")
    return root

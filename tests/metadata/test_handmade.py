"""The hand-made edge-case images in tests/metadata/fixtures (see make_fixtures.py) read as expected."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from promptlab.metadata import read

FIXTURES = Path(__file__).parent / "fixtures"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(EXPECTED), ids=str)
def test_handmade(name):
    exp = EXPECTED[name]
    meta = read(FIXTURES / name)
    if "error" in exp:
        assert exp["error"] in (meta.error or "")
        return
    assert meta.error is None
    assert meta.generator == exp.get("generator")
    if "warning" in exp:
        assert any(exp["warning"] in w for w in meta.warnings), meta.warnings
    if "raw" in exp:
        assert exp["raw"] in meta.unclaimed
    if exp.get("params", "") is None:
        assert meta.params is None
    for key in ("prompt", "negative_prompt", "steps", "seed", "width", "height"):
        if key in exp:
            assert getattr(meta.params, key) == exp[key], key
    if "always" in exp:
        again = read(FIXTURES / name, stealth="always")
        assert again.generator == exp["always"]["generator"]
        assert again.params.prompt == exp["always"]["prompt"]

"""`promptlab tokens`."""

from __future__ import annotations

import io
import json
import sys

import pytest

from promptlab.cli import main


def run_cli(capsys, *argv):
    code = main(["tokens", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_human_output(capsys):
    code, out, _ = run_cli(capsys, "a photo of a cat, (masterpiece:1.2)")
    assert code == 0
    assert out.splitlines() == ["7/75 tokens", "chunk 1   7/75  a photo of a cat, masterpiece"]


def test_json_output(capsys):
    text = ", ".join(f"w{i}" for i in range(60))
    code, out, _ = run_cli(capsys, text, "--json", "--backtrack", "0")
    data = json.loads(out)
    assert code == 0
    assert data["comma_backtrack"] == 0 and data["emphasis"] == "Original" and data["steps"] == 20
    assert data["counter"] == f"{data['total']}/{data['target']}"
    assert [c["count"] for c in data["variants"][0]["chunks"]][0] == 75


def test_stdin(capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO("a BREAK b".encode())))
    code, out, _ = run_cli(capsys, "-")
    assert code == 0 and out.startswith("76/150 tokens")


def test_invalid_utf8_stdin(capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"\xff\xfe cat")))
    code, _, err = run_cli(capsys, "-")
    assert code == 1 and "UTF-8" in err


@pytest.mark.parametrize("argv", [["x", "--backtrack", "75"], ["x", "--steps", "0"]], ids=["backtrack", "steps"])
def test_bad_options_are_clear_errors(capsys, argv):
    code, _, err = run_cli(capsys, *argv)
    assert code == 1 and "promptlab: error:" in err


def test_variants_listed(capsys):
    code, out, _ = run_cli(capsys, "[cat:dog:0.5] AND bird", "--steps", "10")
    assert code == 0
    assert "prompt, until step 5: 'cat'" in out and "AND part 2, until step 10: 'bird'" in out

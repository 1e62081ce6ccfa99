"""Converters and the parse / schedule / convert commands."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from promptlab.cli import main
from promptlab.errors import InvalidInputError
from promptlab.syntax.convert import convert

CONVERSIONS = [
    ("a1111", "nai3", "(x:1.2), [y], z", "{{{{x}}}}, [[y]], z", True),
    ("a1111", "nai3", "(x:1.1025)", "{{x}}", False),
    ("a1111", "nai4", "(x:1.5), y", "1.5::x::, y", False),
    ("a1111", "comfy", "((x)), [y], name_\\(s\\)", "(x:1.21), (y:0.9091), name_\\(s\\)", False),
    ("nai3", "a1111", "{{x}}, [y], a (b)", "(x:1.1025), (y:0.9524), a \\(b\\)", False),
    ("nai4", "a1111", "1.5::x, y::, z", "(x, y:1.5), z", False),
    ("nai4", "nai3", "1.1025::x::", "{{x}}", False),
    ("a1111", "a1111", "a) (b", "a\\) (b", False),
]


@pytest.mark.parametrize(("src", "dst", "text", "expected", "lossy"), CONVERSIONS,
                         ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in CONVERSIONS])
def test_convert(src, dst, text, expected, lossy):
    result = convert(text, src=src, dst=dst)
    assert result.text == expected
    assert bool(result.losses) == lossy


def test_convert_reports_what_it_loses():
    result = convert("[a:b:0.5] BREAK <lora:x:1> c AND d", src="a1111", dst="nai3")
    joined = " ".join(result.losses)
    for word in ("prompt editing", "BREAK", "<lora:x:1>", "AND"):
        assert word in joined
    assert result.text.startswith("b")


def test_comfy_warns_about_mean():
    assert any("mean" in w for w in convert("(x:1.3)", src="a1111", dst="comfy").warnings)
    assert convert("x", src="a1111", dst="comfy").warnings == ()


def test_convert_bad_format():
    with pytest.raises(InvalidInputError):
        convert("x", src="comfy", dst="a1111")


def test_cli_parse_json(capsys):
    assert main(["parse", "a (b:1.2) BREAK c <lora:x:0.5>", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["parts"][0]["fragments"] == [["a ", 1.0], ["b", 1.2], ["", 1.0], ["BREAK", -1], ["c", 1.0]]
    assert data["networks"][0]["name"] == "x" and data["error"] is None


def test_cli_parse_bad_weight_is_error_not_traceback(capsys):
    assert main(["parse", "(a:1.2.3)"]) == 1
    assert "1.2.3" in capsys.readouterr().out


def test_cli_schedule_json(capsys):
    assert main(["schedule", "a [b:c:0.5]", "--steps", "10", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["parts"][0]["schedule"] == [{"end_step": 5, "text": "a b"}, {"end_step": 10, "text": "a c"}]


def test_cli_schedule_hires(capsys):
    assert main(["schedule", "a [b:1.5]", "--steps", "10", "--hires-steps", "10"]) == 0
    assert "steps     1-5: a" in capsys.readouterr().out


def test_cli_convert_json(capsys):
    assert main(["convert", "(x:1.2)", "--to", "nai3", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["text"] == "{{{{x}}}}" and data["losses"]


def test_cli_stdin(monkeypatch, capsys):
    import io

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO("(é:1.1)".encode())))
    assert main(["convert", "-", "--to", "nai4"]) == 0
    assert capsys.readouterr().out.strip() == "1.1::é::"


def test_cli_stdin_invalid_utf8_subprocess():
    proc = subprocess.run([sys.executable, "-m", "promptlab", "parse", "-"], input=b"a \xff b",
                          capture_output=True, timeout=60)
    assert proc.returncode == 1
    assert b"not valid UTF-8" in proc.stderr and b"Traceback" not in proc.stderr

"""`promptlab grid`: dry run, limits, a full run, interruption and --resume, bad specs."""

import json

import pytest

from promptlab.cli import grid_cmds, main

from .helpers import DrawBackend

SPEC = """
base: {prompt: "a cat, (sky:1.2)", negative_prompt: lowres, steps: 4, cfg_scale: 7, seed: -1, width: 64, height: 64}
x: {type: sampler, values: ["Euler a", "DDIM"]}
y: {type: checkpoint, values: [modelA.safetensors, modelB.safetensors]}
z: {type: prompt_sr, values: "cat, 猫"}
"""


@pytest.fixture()
def spec_file(tmp_path):
    path = tmp_path / "grid.yaml"
    path.write_text(SPEC, encoding="utf-8")
    return path


@pytest.fixture()
def backends(monkeypatch):
    made = []

    def make(args):
        made.append(DrawBackend(cancel_after=3 if not made else None))
        return [made[-1]]

    monkeypatch.setattr(grid_cmds, "_make_backends", make)
    return made


def test_dry_run_json(spec_file, capsys):
    assert main(["grid", str(spec_file), "--dry-run", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["cells"] == 8 and info["model_loads"] == 2 and info["shape"] == [2, 2, 2]
    assert info["axes"][2]["values"] == ["cat", "猫"] and info["estimated_seconds"] > 0


def test_dry_run_text(spec_file, capsys):
    assert main(["grid", str(spec_file), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "cells: 8 (2 x 2 x 2)" in out and "model loads: 2" in out and "estimated time:" in out


def test_limit_from_the_command_line(spec_file, capsys):
    assert main(["grid", str(spec_file), "--dry-run", "--max-cells", "5"]) == 1
    assert "8 cells (2 x 2 x 2), above the limit of 5" in capsys.readouterr().err


def test_interrupted_run_then_resume(spec_file, tmp_path, backends, capsys):
    out = tmp_path / "out"
    assert main(["grid", str(spec_file), "--out", str(out), "--json"]) == 130
    first = json.loads(capsys.readouterr().out)
    assert first["cancelled"] and first["counts"]["done"] == 3
    seeds = {c["params"]["seed"] for c in json.loads((out / "manifest.json").read_text(encoding="utf-8"))["cells"]}
    assert len(seeds) == 1 and -1 not in seeds               # seed -1 fixed once for the whole grid
    assert main(["grid", str(spec_file), "--out", str(out), "--resume", "--json"]) == 0
    second = json.loads(capsys.readouterr().out)
    assert second["counts"] == {"done": 5, "reused": 3, "failed": 0, "pending": 0}
    assert len(backends[1].calls) == 5
    assert {c.seed for c in backends[1].calls} == seeds      # the resumed run kept the same seed
    assert [p.rsplit("/", 1)[-1] for p in second["grids"]] == ["grid-z000.png", "grid-z001.png"]


def test_text_output_lists_files(spec_file, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(grid_cmds, "_make_backends", lambda args: [DrawBackend()])
    assert main(["grid", str(spec_file), "--out", str(tmp_path / "o"), "--sheet"]) == 0
    out = capsys.readouterr().out
    assert "made 8, reused 0, failed 0" in out and "model loads: 2" in out and "sheet.png" in out


@pytest.mark.parametrize(("text", "message"), [
    ("x: {type: colour, values: [1]}\n", "Unknown axis type 'colour'"),
    ("x: {type: steps, values: 'ten'}\n", "not a whole number"),
    ("x: [unclosed\n", "not valid YAML"),
], ids=["unknown-axis", "bad-value", "bad-yaml"])
def test_bad_specs_exit_1_with_message(tmp_path, capsys, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    assert main(["grid", str(path), "--dry-run"]) == 1
    assert message in capsys.readouterr().err


def test_missing_out_and_missing_file(tmp_path, spec_file, capsys):
    assert main(["grid", str(spec_file)]) == 1
    assert "--out DIR" in capsys.readouterr().err
    assert main(["grid", str(tmp_path / "nope.yaml"), "--dry-run"]) == 1
    assert "does not exist" in capsys.readouterr().err

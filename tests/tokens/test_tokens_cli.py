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


def test_embeddings_folder_counts_vectors(capsys, tmp_path, monkeypatch):
    import struct

    def write_safetensors(path, tensors):
        header, offset = {}, 0
        for name, shape in tensors.items():
            size = 4 * shape[0] * shape[1]
            header[name] = {"dtype": "F32", "shape": list(shape), "data_offsets": [offset, offset + size]}
            offset += size
        raw = json.dumps(header).encode()
        path.write_bytes(struct.pack("<Q", len(raw)) + raw + b"\0" * offset)

    folder = tmp_path / "emb"
    folder.mkdir()
    write_safetensors(folder / "EasyNegative.safetensors", {"emb_params": (8, 768)})
    write_safetensors(folder / "xl.safetensors", {"clip_l": (3, 768), "clip_g": (3, 1280)})
    (folder / "old.pt").write_bytes(b"pickle")
    code, out, _ = run_cli(capsys, "easynegative, xl, cat", "--embeddings", str(folder), "--json")
    data = json.loads(out)
    assert code == 0 and data["total"] == 8 + 1 + 3 + 1 + 1 and data["embeddings"] == 2
    assert data["skipped_embeddings"] == [{"file": "old.pt", "reason": "pickled file: not read by the token counter"}]
    assert data["variants"][0]["chunks"][0]["text"] == "<EasyNegative>, <xl>, cat"
    # the default folder is models/embeddings when it exists
    monkeypatch.setenv("PROMPTLAB_MODELS", str(tmp_path / "models"))
    (tmp_path / "models").mkdir()
    folder.rename(tmp_path / "models" / "embeddings")
    code, out, _ = run_cli(capsys, "easynegative")
    assert out.startswith("8/75 tokens")
    code, out, _ = run_cli(capsys, "easynegative", "--embeddings", "none")
    assert out.startswith("2/75 tokens")  # easy + negative


@pytest.mark.parametrize(("model_type", "text", "first_line"), [
    ("sdxl", "a photo of a cat", "5/75 tokens"),  # encoders agree: the default output, unchanged
    ("sd2", "&amp pepper", "2/75 tokens"),  # OpenCLIP-H unescapes the entity
    ("sd1", "&amp pepper", "3/75 tokens"),  # CLIP-L sees '&', 'amp'
], ids=["sdxl-agree", "sd2-entity", "sd1-entity"])
def test_model_type_counts(capsys, model_type, text, first_line):
    code, out, _ = run_cli(capsys, text, "--model-type", model_type)
    assert code == 0 and out.splitlines()[0] == first_line and len(out.splitlines()) == 2


def test_sdxl_encoders_that_differ_are_both_shown(capsys):
    code, out, _ = run_cli(capsys, "&amp " * 50, "--model-type", "sdxl")
    lines = out.splitlines()
    assert code == 0
    assert lines[0] == "100/150 tokens (CLIP-L); the encoders see different tokens: CLIP-L 100/150, OpenCLIP-G 50/75"
    assert "CLIP-L (100/150):" in lines and "OpenCLIP-G (50/75):" in lines
    code, out, _ = run_cli(capsys, "&amp " * 50, "--model-type", "sdxl", "--json")
    data = json.loads(out)
    assert data["total"] == 100 and data["encoders_agree"] is False
    assert [(e["encoder"], e["counter"]) for e in data["encoders"]] == [("CLIP-L", "100/150"), ("OpenCLIP-G", "50/75")]
    assert len(data["encoders"][1]["variants"][0]["chunks"]) == 1

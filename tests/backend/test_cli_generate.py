"""`promptlab generate` and `promptlab models` end to end on tiny checkpoints."""

from __future__ import annotations

import json

import pytest

from promptlab.cli import main


def test_generate_writes_pngs_with_infotext(models_root, tmp_path, capsys):
    from promptlab.metadata import read

    out = tmp_path / "out"
    code = main(["generate", "--models", str(models_root), "--model", "tiny", "--prompt", "a cat <lora:style:0.5>",
                 "--negative", "blurry", "--steps", "2", "--width", "64", "--height", "64", "--seed", "42",
                 "--batch-size", "2", "--sampler", "DPM++ 2M", "--schedule", "Karras", "--device", "cpu",
                 "--out", str(out), "--json"])
    assert code == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["seed"] for r in rows] == [42, 43]
    params = read(rows[1]["path"]).params
    assert (params.seed, params.sampler, params.schedule_type, params.model) == (43, "DPM++ 2M", "Karras", "tiny")
    assert params.lora_hashes.startswith("style: ")
    # --from: regenerate the second image from its own metadata
    code = main(["generate", "--models", str(models_root), "--from", rows[1]["path"], "--model", "tiny",
                 "--batch-size", "1", "--device", "cpu", "--out", str(tmp_path / "again"), "--quiet"])
    assert code == 0
    again = sorted((tmp_path / "again").glob("*.png"))
    assert [p.name for p in again] == ["00000-43.png"]
    import numpy as np
    from PIL import Image

    # the same seed alone as inside a batch of two: equal up to float rounding of the batched UNet
    diff = np.abs(np.asarray(Image.open(again[0]), np.int16) - np.asarray(Image.open(rows[1]["path"]), np.int16))
    assert diff.max() <= 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--model", "tiny", "--prompt", "x", "--sampler", "Nope"], "Unknown sampler 'Nope'"),
        (["--model", "tiny", "--prompt", "x", "--width", "100"], "not a multiple of 8"),
        (["--model", "missing", "--prompt", "x"], "No checkpoint named 'missing'"),
        (["--model", "tiny"], "Give --prompt"),
        (["--model", "tiny", "--prompt", "x", "--hires-resize", "big"], "expected WxH"),
    ],
    ids=["sampler", "size", "model", "no-prompt", "hires-resize"],
)
def test_generate_errors(models_root, tmp_path, capsys, args, message):
    code = main(["generate", "--models", str(models_root), "--device", "cpu", "--out", str(tmp_path), *args])
    assert code == 1
    assert message in capsys.readouterr().err


def test_no_checkpoint_guidance(tmp_path, capsys):
    code = main(["generate", "--models", str(tmp_path / "models"), "--prompt", "x", "--out", str(tmp_path / "o")])
    assert code == 1
    err = capsys.readouterr().err
    assert "No checkpoint found in" in err and "Stable-diffusion" in err


def test_models_listing(models_root, capsys):
    assert main(["models", "--models", str(models_root), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    rows = {(r["kind"], r["name"]): r for r in data["files"]}
    assert rows[("checkpoint", "tiny")]["family"] == "sd1"
    assert rows[("checkpoint", "sub/tinyxl")]["family"] == "sdxl"
    assert len(rows[("checkpoint", "tiny")]["hash"]) == 10
    assert rows[("lora", "xl_style")]["family"] == "sdxl" and len(rows[("lora", "xl_style")]["hash"]) == 12
    assert main(["models", "--models", str(models_root), "--kind", "lora", "--no-hash"]) == 0
    text = capsys.readouterr().out
    assert "style" in text and "tiny" not in text


def test_models_download_offline(tmp_path, capsys, monkeypatch):
    from promptlab.backend import download

    monkeypatch.setattr(download, "is_online", lambda *a, **k: False)
    assert main(["models", "download", "--models", str(tmp_path)]) == 1
    assert "cannot reach the download server" in capsys.readouterr().err


def test_download_checks_sha256(tmp_path):
    import hashlib

    from promptlab.backend.download import DefaultCheckpoint, download_checkpoint
    from promptlab.errors import BackendError

    source = tmp_path / "src.safetensors"
    source.write_bytes(b"weights" * 1000)
    good = DefaultCheckpoint("m.safetensors", source.as_uri(), hashlib.sha256(source.read_bytes()).hexdigest(), 7000)
    seen = []
    path = download_checkpoint(tmp_path / "sd", spec=good, progress=lambda d, t: seen.append(d), chunk=1024)
    assert path.read_bytes() == source.read_bytes() and seen[-1] == 7000
    bad = DefaultCheckpoint("n.safetensors", source.as_uri(), "0" * 64, 7000)
    with pytest.raises(BackendError, match="Checksum mismatch"):
        download_checkpoint(tmp_path / "sd", spec=bad)
    assert not (tmp_path / "sd" / "n.safetensors").exists()
    assert not (tmp_path / "sd" / "n.safetensors.part").exists()


def test_generate_walks_variants_and_wildcards(models_root, tmp_path, capsys):
    """Batch count walks through the variants; each PNG holds the prompt used and the template."""
    from promptlab.metadata import read
    from promptlab.wildcards import expand

    wildcards = tmp_path / "wc"
    wildcards.mkdir()
    (wildcards / "animal.txt").write_text("cat\ndog\nfox\n", encoding="utf-8")
    template = "a __animal__ in {rain|snow}"
    code = main(["generate", "--models", str(models_root), "--model", "tiny", "--prompt", template,
                 "--negative", "{lowres|blurry}", "--steps", "1", "--width", "64", "--height", "64", "--seed", "7",
                 "--batch-count", "3", "--device", "cpu", "--wildcards", str(wildcards), "--out",
                 str(tmp_path / "out"), "--json"])
    assert code == 0
    rows = json.loads(capsys.readouterr().out)
    expected = expand(template, negative="{lowres|blurry}", count=3, seed=7, wildcards=wildcards)
    assert [r["seed"] for r in rows] == [7, 8, 9]
    for row, want in zip(rows, expected):
        params = read(row["path"]).params
        assert (params.prompt, params.negative_prompt, params.seed) == (want.prompt, want.negative_prompt, want.seed)
        assert dict(params.extra)["Template"] == template
        assert dict(params.extra)["Negative Template"] == "{lowres|blurry}"


def test_generate_refuses_ambiguous_braces(models_root, tmp_path, capsys):
    code = main(["generate", "--models", str(models_root), "--model", "tiny", "--prompt", "{{masterpiece}}, {cat|dog}",
                 "--steps", "1", "--width", "64", "--height", "64", "--device", "cpu", "--out", str(tmp_path)])
    assert code == 1
    assert "--brace-mode" in capsys.readouterr().err

"""Generate with the tiny model -> read the PNG -> replay it -> the same pixels (txt2img, hires fix with a
tiny spandrel upscaler, img2img with its init image given)."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from PIL import Image

from promptlab.cli import main
from promptlab.metadata import read
from promptlab.replay import Status, build_plan

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _one_thread():
    import torch

    torch.set_num_threads(1)


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    from promptlab.backend.tiny import make_tiny_checkpoint
    from promptlab.upscale.testing import write_tiny_upscalers

    root = tmp_path_factory.mktemp("models")
    made = make_tiny_checkpoint(tmp_path_factory.mktemp("ckpt") / "tiny.safetensors", "sd1")
    (root / "Stable-diffusion").mkdir()
    shutil.copy(made, root / "Stable-diffusion" / "tiny.safetensors")
    write_tiny_upscalers(root)
    return root


def _generate(models, out, *args) -> str:
    code = main(["generate", "--models", str(models), "--device", "cpu", "--quiet", "--out", str(out), *args])
    assert code == 0
    return str(sorted(out.glob("*.png"))[-1])


def _pixels(path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


BASE = ["--model", "tiny", "--prompt", "a cat, (blue sky:1.2)", "--negative", "blurry", "--steps", "3",
        "--width", "64", "--height", "64", "--cfg", "6"]


@pytest.mark.parametrize(
    ("extra", "replay_extra"),
    [(["--seed", "4294967301", "--sampler", "DPM++ 2M"], []),
     (["--seed", "77", "--sampler", "Euler a", "--hires", "2", "--hires-upscaler", "4x-Tiny", "--hires-steps", "2",
       "--denoise", "0.5"], []),
     (["--seed", "9", "--sampler", "Euler", "--init-image", "INIT", "--denoise", "0.6"], ["--init-image", "INIT"])],
    ids=["txt2img-big-seed-automatic", "hires-tiny-spandrel", "img2img-init-given"],
)
def test_replay_gives_identical_pixels(models, tmp_path, capsys, extra, replay_extra):
    init = tmp_path / "init.png"
    Image.new("RGB", (64, 64), (200, 80, 30)).save(init)
    extra = [str(init) if a == "INIT" else a for a in extra]
    replay_extra = [str(init) if a == "INIT" else a for a in replay_extra]
    first = _generate(models, tmp_path / "first", *BASE, *extra)
    capsys.readouterr()
    # no --model: the checkpoint is found from the PNG's Model hash
    again = _generate(models, tmp_path / "again", "--from", first, "--json", *replay_extra)
    report = json.loads(capsys.readouterr().out)
    items = {i["key"]: i for i in report["plan"]["items"]}
    assert items["Model"]["status"] == "exact" and "hash" in items["Model"]["note"]
    assert {i["status"] for i in report["plan"]["items"]} <= {"exact", "mapped"}, report["plan"]["items"]
    assert report["plan"]["exact"] and items["RNG"]["status"] == "exact"
    assert np.array_equal(_pixels(first), _pixels(again))
    assert read(again).params.seed == read(first).params.seed


def test_img2img_without_its_init_image_says_so(models, tmp_path):
    init = tmp_path / "init.png"
    Image.new("RGB", (64, 64), (10, 80, 30)).save(init)
    first = _generate(models, tmp_path / "first", *BASE, "--seed", "3", "--init-image", str(init), "--denoise", "0.5")
    from promptlab.backend.models import ModelRoots

    plan = build_plan(read(first), roots=ModelRoots(models))
    assert plan.item("Init image").status is Status.NOT_REPRODUCIBLE and "--init-image" in plan.item("Init image").explain()


def test_dry_run_prints_the_plan_and_writes_nothing(models, tmp_path, capsys):
    first = _generate(models, tmp_path / "first", *BASE, "--seed", "5")
    capsys.readouterr()
    assert main(["generate", "--models", str(models), "--from", first, "--dry-run", "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["backend"] == "local" and plan["counts"]["exact"] >= 6
    assert main(["generate", "--models", str(models), "--from", first, "--dry-run"]) == 0
    text = capsys.readouterr().out
    assert "replay plan for" in text and "= Seed: 5" in text
    assert main(["generate", "--models", str(models), "--from", first]) == 1   # no --out: a clear error
    assert "--out DIR" in capsys.readouterr().err

"""`promptlab generate --init-image` end to end on the tiny SD1 checkpoint, and its refusals."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from promptlab.cli import main


@pytest.fixture()
def init_png(tmp_path):
    path = tmp_path / "init.png"
    x = np.linspace(0, 255, 84, dtype=np.uint8)
    Image.fromarray(np.stack([np.tile(x, (76, 1))] * 3, axis=2)).save(path)
    return path


def test_init_image_writes_img2img_pngs(models_root, tmp_path, init_png, capsys):
    from promptlab.metadata import read

    out = tmp_path / "out"
    code = main(["generate", "--models", str(models_root), "--model", "tiny", "--prompt", "a cat", "--steps", "3",
                 "--seed", "5", "--init-image", str(init_png), "--resize-mode", "crop-and-resize",
                 "--device", "cpu", "--out", str(out), "--json"])
    assert code == 0
    rows = json.loads(capsys.readouterr().out)
    params = read(rows[0]["path"]).params
    # no --width/--height: the image's 84x76 rounded down to multiples of 8, as A1111's "resize by 1"
    assert (params.width, params.height, params.denoising_strength, params.seed) == (80, 72, 0.75, 5)
    assert Image.open(rows[0]["path"]).size == (80, 72)


@pytest.mark.parametrize(("extra", "message"), [
    (["--init-image", "NOTIMAGE", "--denoise", "0.5"], "is not an image"),
    (["--init-image", "INIT", "--denoise", "1.5"], "between 0 and 1"),
    (["--init-image", "INIT", "--hires", "2"], "Hires. fix is a txt2img option"),
    (["--resize-mode", "crop-and-resize"], "need --init-image"),
    (["--init-image", "MISSING"], "Cannot read the init image"),
], ids=["not-image", "denoise", "hires", "mode-alone", "missing"])
def test_bad_img2img_input_writes_nothing(models_root, tmp_path, init_png, capsys, extra, message):
    bad = tmp_path / "notes.png"
    bad.write_text("not a picture")
    paths = {"NOTIMAGE": str(bad), "INIT": str(init_png), "MISSING": str(tmp_path / "nope.png")}
    out = tmp_path / "out"
    code = main(["generate", "--models", str(models_root), "--model", "tiny", "--prompt", "x", "--steps", "2",
                 "--device", "cpu", "--out", str(out), *[paths.get(a, a) for a in extra]])
    assert code == 1
    assert message in capsys.readouterr().err
    assert not out.exists() or not any(out.iterdir())

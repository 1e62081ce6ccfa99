"""Extras for files and `promptlab upscale`: sizes, metadata kept, bad input, nothing partial written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from promptlab.cli import main
from promptlab.metadata import read, write
from promptlab.params import GenerationParams
from promptlab.upscale.extras import Extras, open_source, postprocess_infotext

from .conftest import noise_image

FIXTURES = Path(__file__).resolve().parents[1] / "metadata" / "fixtures"
PARAMS = GenerationParams(prompt="1girl, 桜, masterpiece", negative_prompt="lowres", steps=20, width=48, height=40,
                          seed=7, sampler="Euler a", cfg_scale=7.0)


@pytest.fixture()
def a1111_png(tmp_path):
    return write(noise_image(48, 40), PARAMS, tmp_path / "in.png")


def test_metadata_kept_and_postprocessing_added(a1111_png, roots, tmp_path):
    extras = Extras("4x-Tiny", roots, scale=2)
    result = extras.process_file(open_source(a1111_png), tmp_path / "out" / "x.png")
    with Image.open(result.output) as img:
        assert img.size == (96, 80) == (result.width, result.height)
        info = "Postprocess upscale by: 2, Postprocess upscaler: 4x-Tiny"
        assert img.text["postprocessing"] == img.text["extras"] == info
    meta = read(result.output)
    assert meta.params.prompt == PARAMS.prompt and meta.params.seed == 7  # parameters unchanged


def test_jpeg_infotext_becomes_the_parameters_chunk(tmp_path, roots):
    src = write(noise_image(40, 32), PARAMS, tmp_path / "in.jpg")
    out = Extras("Lanczos", roots, scale=1.5).process_file(open_source(src), tmp_path / "o.png").output
    assert read(out).params.prompt == PARAMS.prompt


def test_other_png_chunks_kept_in_order(tmp_path, roots):
    from promptlab.metadata.write import save_png

    src = save_png(noise_image(24, 24), tmp_path / "c.png", None, {"prompt": '{"1": {}}', "workflow": "{}",
                                                                    "extras": "old"})
    out = Extras("Nearest", roots, scale=2).process_file(open_source(src), tmp_path / "o.png").output
    with Image.open(out) as img:
        assert list(img.text) == ["prompt", "workflow", "postprocessing", "extras"]
        assert img.text["extras"].startswith("Postprocess upscale by: 2")


@pytest.mark.parametrize(("size", "crop", "info"), [
    ((64, 64), True, "Postprocess upscale to: 64x64, Postprocess upscaler: 4x-Tiny, Postprocess crop to: 64x64"),
    ((100, 40), False, "Postprocess upscale to: 100x40, Postprocess upscaler: 4x-Tiny"),
], ids=["crop", "stretch"])
def test_resize_to(roots, a1111_png, size, crop, info):
    extras = Extras("4x-Tiny", roots, scale=None, size=size, crop=crop)
    assert extras.run(open_source(a1111_png)).size == size
    assert extras.infotext() == info


@pytest.mark.parametrize(("source", "size"), [((48, 40), (250, 250)), ((48, 40), (30, 20)), ((48, 40), (97, 40))],
                         ids=["not-multiple-of-8", "smaller-than-input", "wider"])
def test_resize_crop_fills_the_canvas(roots, tmp_path, source, size):
    import numpy as np

    path = tmp_path / "white.png"
    Image.new("RGB", source, "white").save(path)
    out = Extras("Lanczos", roots, scale=None, size=size).run(open_source(path))
    assert out.size == size and np.asarray(out).min() > 200  # no black edges from rounding


def test_postprocess_infotext_numbers():
    text = postprocess_infotext("R-ESRGAN 4x+", scale=2.5)
    assert text == "Postprocess upscale by: 2.5, Postprocess upscaler: R-ESRGAN 4x+"


@pytest.mark.parametrize(("source", "match"), [
    (FIXTURES / "not_an_image.png", "is not an image"),
    (FIXTURES / "bomb_60000x60000.png", "larger than the 8192x8192"),
    (FIXTURES / "truncated.png", "is not an image"),
    ("missing.png", "no such file"),
], ids=["not-image", "bomb-60000", "truncated", "missing"])
def test_bad_images(source, match):
    from promptlab.upscale import UpscaleInputError

    with pytest.raises(UpscaleInputError, match=match):
        open_source(source)


def test_sixteen_bit_greyscale_is_scaled_not_clipped(tmp_path, roots):
    import numpy as np

    path = tmp_path / "g16.png"
    Image.fromarray(np.full((16, 16), 32768, dtype=np.uint16)).save(path)
    out = Extras("Nearest", roots, scale=1).run(open_source(path))
    assert np.asarray(out)[0, 0].tolist() == [128, 128, 128]


def test_huge_file_refused_before_reading(tmp_path, monkeypatch):
    import promptlab.upscale.extras as extras_module
    from promptlab.upscale import UpscaleInputError

    monkeypatch.setattr(extras_module, "MAX_INPUT_BYTES", 1000)
    path = tmp_path / "big.png"
    noise_image(64, 64).save(path)
    with pytest.raises(UpscaleInputError, match="at most 0 MB"):
        open_source(path)


def test_big_declared_size_refused_before_decoding(tmp_path):
    from promptlab.upscale import UpscaleInputError

    path = tmp_path / "big.png"
    Image.new("L", (9000, 8)).save(path)
    with pytest.raises(UpscaleInputError, match="9000x8"):
        open_source(path)


# -- the CLI ----------------------------------------------------------------------------------------


def run_cli(capsys, *args) -> tuple[int, str, str]:
    code = main(["upscale", *map(str, args)])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_json(a1111_png, up_models, tmp_path, capsys):
    code, out, _ = run_cli(capsys, a1111_png, "--upscaler", "R-ESRGAN 4x+", "--scale", "2", "--models", up_models,
                           "--out", tmp_path / "o", "--tile", "32", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["postprocessing"] == "Postprocess upscale by: 2, Postprocess upscaler: R-ESRGAN 4x+"
    (row,) = data["images"]
    assert Path(row["output"]).name == "in-upscaled.png" and (row["width"], row["height"]) == (96, 80)


def test_cli_default_output_beside_input_never_the_input(a1111_png, up_models, capsys):
    before = a1111_png.read_bytes()
    code, out, _ = run_cli(capsys, a1111_png, "-u", "Lanczos", "--models", up_models)
    assert code == 0 and "in-upscaled.png" in out
    assert a1111_png.read_bytes() == before
    # upscaling the output again writes a new name, not over its input
    code, out, _ = run_cli(capsys, a1111_png.with_name("in-upscaled.png"), "-u", "Lanczos", "--models", up_models)
    assert code == 0 and (a1111_png.parent / "in-upscaled-upscaled.png").is_file()


def test_cli_two_inputs_with_one_name(tmp_path, up_models, capsys):
    a = write(noise_image(16, 16), PARAMS, tmp_path / "a" / "x.png")
    b = write(noise_image(16, 16, seed=1), PARAMS, tmp_path / "b" / "x.png")
    code, out, _ = run_cli(capsys, a, b, "-u", "Nearest", "--models", up_models, "--out", tmp_path / "o", "--json")
    assert code == 0
    assert sorted(Path(r["output"]).name for r in json.loads(out)["images"]) == ["x-upscaled-1.png", "x-upscaled.png"]


@pytest.mark.parametrize(("args", "message"), [
    (["-u", "4x-UltraSharp"], "No upscaler named '4x-UltraSharp'. Available:"),
    (["-u", "R-ESRGAN 2x+"], "put it in"),
    (["-u", "LDSR"], "LDSR"),
    (["-u", "Latent"], "hires fix"),
    (["--scale", "0"], "out of range"),
    (["--scale", "100"], "out of range"),
    (["--resize", "big"], "expected WxH"),
    (["--resize", "100000x10"], "must be 8 to 16384"),
    (["--tile", "4"], "Tile size 4"),
], ids=["unknown", "missing-builtin", "ldsr", "latent", "scale-0", "scale-100", "resize-text", "resize-huge", "tile"])
def test_cli_errors_write_nothing(a1111_png, up_models, tmp_path, capsys, args, message):
    code, _, err = run_cli(capsys, a1111_png, "--models", up_models, "--out", tmp_path / "o", *args)
    assert code == 1 and message in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_cli_one_bad_input_stops_before_any_output(a1111_png, up_models, tmp_path, capsys):
    code, _, err = run_cli(capsys, a1111_png, FIXTURES / "bomb_60000x60000.png", "-u", "Lanczos",
                           "--models", up_models, "--out", tmp_path / "o")
    assert code == 1 and "larger than the 8192x8192" in err
    assert not (tmp_path / "o").exists()


def test_cli_not_an_upscaler_file(a1111_png, tmp_path, capsys):
    from safetensors.torch import save_file
    import torch

    (tmp_path / "m" / "ESRGAN").mkdir(parents=True)
    save_file({"foo.weight": torch.zeros(2)}, str(tmp_path / "m" / "ESRGAN" / "junk.safetensors"))
    code, _, err = run_cli(capsys, a1111_png, "-u", "junk", "--models", tmp_path / "m", "--out", tmp_path / "o")
    assert code == 1 and "not an upscaler architecture" in err
    assert not (tmp_path / "o").exists()


def test_cli_list(up_models, capsys):
    code, out, _ = run_cli(capsys, "--list", "--models", up_models, "--json")
    rows = {r["name"]: r for r in json.loads(out)["upscalers"]}
    assert code == 0 and rows["4x-Tiny"]["available"] and rows["SwinIR 4x"]["needs"] == "models/SwinIR/SwinIR_4x.pth"

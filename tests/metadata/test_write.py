"""write(): A1111 infotext into PNG / JPEG / WebP; read(write(x)) gives back every field."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from promptlab.errors import InvalidInputError
from promptlab.metadata import read, write
from promptlab.params import GenerationParams

FULL = GenerationParams(
    prompt="テスト, (smile:1.2), <lora:detail:0.6>\n1girl, 水着", negative_prompt="bad, 低质量\nworst",
    steps=30, sampler="DPM++ 2M", schedule_type="Karras", cfg_scale=6.5, seed=4294967297, subseed=7,
    subseed_strength=0.25, width=832, height=1216, model="waiIllustrious", model_hash="45a21ea00a",
    vae="sdxl_vae.safetensors", vae_hash="235745af8d", clip_skip=2, denoising_strength=0.4, emphasis="No norm",
    eta=0.67, ensd=31337, hires_upscale=1.5, hires_steps=10, hires_upscaler="R-ESRGAN 4x+ Anime6B",
    hires_sampler="Euler a", hires_schedule_type="Exponential", hires_cfg_scale=5.0, hires_prompt="a, b",
    hires_negative_prompt="c: d", hires_checkpoint="other.safetensors", lora_hashes="detail: 7c6bad76eb54",
    ti_hashes="easyneg: c74b4e810b03", hashes='{"vae": "c6a580b13a", "model": "45a21ea00a"}', version="v1.10.1",
    rng="CPU", tiling=True, token_merging_ratio=0.3, user="someone", image_cfg_scale=1.5,
    seed_resize_from_w=512, seed_resize_from_h=768, ngms=0.5, refiner="refiner.safetensors", refiner_switch_at=0.8,
    extra=(("ADetailer model", "face_yolov8n.pt"), ("Civitai resources", '[{"type": "lora", "weight": 0.6}]')),
)


@pytest.mark.parametrize("suffix, location", [(".png", "png:iTXt[parameters]"), (".jpg", "exif:UserComment(ExifIFD)"),
                                              (".jpeg", "exif:UserComment(ExifIFD)"), (".webp", "exif:UserComment(ExifIFD)")])
@pytest.mark.parametrize("mode", ["RGB", "RGBA"])
def test_round_trip_every_field(tmp_path, suffix, location, mode):
    out = write(Image.new(mode, (32, 24), (10, 20, 30, 255)[: len(mode)]), FULL, tmp_path / f"x{suffix}")
    meta = read(out)
    assert meta.params == FULL and meta.locations == (location,)
    assert meta.params.to_infotext() == FULL.to_infotext()
    with Image.open(out) as img:
        assert img.size == (32, 24)


def test_latin1_text_goes_to_text_chunk(tmp_path):
    meta = read(write(Image.new("RGB", (4, 4)), GenerationParams(prompt="café"), tmp_path / "a.png"))
    assert meta.locations == ("png:tEXt[parameters]",) and meta.params.prompt == "café"


def test_written_exif_is_what_pillow_reads(tmp_path):
    out = write(Image.new("RGB", (4, 4)), FULL, tmp_path / "a.jpg")
    with Image.open(out) as img:
        comment = img.getexif().get_ifd(0x8769)[0x9286]
    assert comment[:8] == b"UNICODE\x00" and comment[8:].decode("utf-16-be") == FULL.to_infotext()


def test_write_from_path_and_bytes(tmp_path):
    src = tmp_path / "src.png"
    Image.new("RGB", (8, 8)).save(src)
    assert read(write(src, FULL, tmp_path / "b.webp")).params == FULL
    assert read(write(src.read_bytes(), FULL, tmp_path / "c.png")).params == FULL


@pytest.mark.parametrize("name", ["x.gif", "x.bmp", "x"])
def test_unsupported_suffix(tmp_path, name):
    with pytest.raises(InvalidInputError, match="png"):
        write(Image.new("RGB", (4, 4)), FULL, tmp_path / name)


def test_jpeg_limit_is_a_clear_error(tmp_path):
    huge = GenerationParams(prompt=("word, " * 7000).strip())
    with pytest.raises(InvalidInputError, match="too long for JPEG"):
        write(Image.new("RGB", (4, 4)), huge, tmp_path / "x.jpg")
    assert not list(tmp_path.iterdir())  # no half-written file left behind
    assert read(write(Image.new("RGB", (4, 4)), huge, tmp_path / "x.webp")).params == huge


def test_not_an_image_to_write(tmp_path):
    with pytest.raises(InvalidInputError, match="cannot open"):
        write(b"nope", FULL, tmp_path / "x.png")


_text = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from(list(",:\"\n ")),
                max_size=30).map(str.strip).filter(lambda t: not any(
                    line.lstrip().startswith("Negative prompt:") for line in t.split("\n")))


@settings(max_examples=25, deadline=None)
@given(prompt=_text, negative=_text, seed=st.integers(-1, 2**63), suffix=st.sampled_from([".png", ".jpg", ".webp"]))
def test_round_trip_property(tmp_path_factory, prompt, negative, seed, suffix):
    p = FULL.with_(prompt=prompt, negative_prompt=negative, seed=seed)
    out = write(Image.new("RGB", (4, 4)), p, tmp_path_factory.mktemp("w") / f"x{suffix}")
    assert read(out).params == p


def test_cli_json_shape(tmp_path, capsys):
    from promptlab.cli import main

    out = write(Image.new("RGB", (4, 4)), FULL, tmp_path / "x.png")
    assert main(["info", "--json", str(out)]) == 0
    [entry] = json.loads(capsys.readouterr().out)
    for key in ("file", "generator", "prompt", "negative_prompt", "steps", "sampler", "schedule_type", "cfg_scale",
                "seed", "width", "height", "model", "model_hash", "clip_skip", "denoising_strength", "hires_upscale",
                "hires_resize_x", "hires_resize_y", "hires_steps", "hires_upscaler", "extra", "warnings", "error"):
        assert key in entry, key
    assert entry["seed"] == 4294967297 and entry["extra"]["ADetailer model"] == "face_yolov8n.pt"
    assert main(["info", "--prompt-only", str(out)]) == 0
    assert capsys.readouterr().out == FULL.prompt + "\n"
    assert main(["info", str(out)]) == 0
    assert FULL.to_infotext() in capsys.readouterr().out


def test_cli_globs_folders_and_missing(tmp_path, capsys):
    from promptlab.cli import main

    (tmp_path / "sub").mkdir()
    write(Image.new("RGB", (4, 4)), FULL, tmp_path / "a.png")
    write(Image.new("RGB", (4, 4)), FULL.with_(seed=5), tmp_path / "sub" / "b.webp")
    (tmp_path / "notes.txt").write_text("not an image")
    assert main(["info", "--json", str(tmp_path)]) == 0
    assert [e["file"] for e in json.loads(capsys.readouterr().out)] == [str(tmp_path / "a.png")]
    assert main(["info", "--json", "-r", str(tmp_path)]) == 0
    assert [e["seed"] for e in json.loads(capsys.readouterr().out)] == [4294967297, 5]
    assert main(["info", "--json", str(tmp_path / "**" / "*.webp"), str(tmp_path / "nope.png"),
                 str(tmp_path / "*.gif")]) == 1
    out = json.loads(capsys.readouterr().out)
    assert [e["error"] for e in out] == [None, "no such file", f"no files match {str(tmp_path / '*.gif')!r}"]

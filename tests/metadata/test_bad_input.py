"""Bad input: every case gives `error` or `warnings` with a clear message, in bounded time/memory."""

from __future__ import annotations

import copy
import io
import json
import tracemalloc
import zlib

import pytest
from PIL import Image

from _metadata_build import COMFY_GRAPH, chunk, comfy_png, jpeg_with_app1, png, text, tiff, webp_with_exif, ztxt
from promptlab.metadata import read
from promptlab.metadata.extract import MAX_TEXT_BYTES

INFOTEXT = "a cat\nNegative prompt: dog\nSteps: 20, Sampler: Euler, CFG scale: 7, Seed: 1, Size: 512x512"


def _usercomment(text: str) -> bytes:
    return b"UNICODE\x00" + text.encode("utf-16-be")


def test_zero_byte_file(tmp_path):
    f = tmp_path / "empty.png"
    f.write_bytes(b"")
    meta = read(f)
    assert meta.error == "empty file (0 bytes): not an image" and meta.params is None


@pytest.mark.parametrize("name, data, expected", [
    ("notes.png", b"just some text, not an image", "not a PNG, JPEG or WebP"),
    ("gif.webp", b"GIF89a\x01\x00\x01\x00", "not a PNG, JPEG or WebP"),
], ids=["text-as-png", "gif-as-webp"])
def test_not_an_image(tmp_path, name, data, expected):
    f = tmp_path / name
    f.write_bytes(data)
    meta = read(f)
    assert expected in meta.error


def test_wrong_extension_is_sniffed(tmp_path):
    f = tmp_path / "really_a_png.jpg"
    f.write_bytes(png([text("parameters", INFOTEXT)]))
    meta = read(f)
    assert meta.error is None and meta.container == "PNG" and meta.params.prompt == "a cat"


def test_missing_file_and_folder(tmp_path):
    assert "cannot open" in read(tmp_path / "nope.png").error
    assert "cannot open" in read(tmp_path).error


def test_truncated_png_keeps_text_before_the_cut():
    data = png([text("parameters", INFOTEXT)], idat=zlib.compress(b"\x00" * 5000))
    cut = data[: data.index(b"IDAT") + 20]
    meta = read(cut)
    assert meta.params.prompt == "a cat"
    assert any("truncated" in w for w in meta.warnings)


def test_truncated_png_inside_text_chunk():
    data = png([text("parameters", INFOTEXT)])
    meta = read(data[:60])
    assert meta.error is None and any("truncated" in w for w in meta.warnings)


def test_truncated_jpeg_inside_exif():
    exif = b"Exif\x00\x00" + tiff([], [(0x9286, 7, _usercomment(INFOTEXT))])
    data = jpeg_with_app1(exif)
    meta = read(data[:40])
    assert meta.error is None and any("truncated" in w.lower() for w in meta.warnings)
    full = read(data)
    assert full.params.prompt == "a cat"


def test_truncated_webp():
    data = webp_with_exif(tiff([], [(0x9286, 7, _usercomment(INFOTEXT))]))
    meta = read(data[: len(data) - 30])
    assert meta.error is None and any("truncated" in w for w in meta.warnings)


def test_decompression_bomb_header_is_never_decoded():
    # 60000x60000 RGBA with no metadata: a stealth check would decode it; it must refuse instead.
    data = png(size=(60000, 60000), colour=6, idat=zlib.compress(b"\x00" * 1000))
    tracemalloc.start()
    meta = read(data)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert meta.error is None and meta.image_width == 60000
    assert any("too large" in w for w in meta.warnings)
    assert peak < 20 * 2**20


def test_bomb_with_parameters_reads_the_text():
    data = png([text("parameters", INFOTEXT)], size=(60000, 60000), colour=6, idat=b"")
    meta = read(data)
    assert meta.params.prompt == "a cat"


def test_50mb_text_chunk_is_capped(tmp_path):
    f = tmp_path / "huge.png"
    body = b"parameters\x00" + b"x" * (50 * 2**20)
    f.write_bytes(png([chunk(b"tEXt", body)]))
    tracemalloc.start()
    meta = read(f)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert meta.error is None
    assert any("50.0 MiB" in w and "first 8 MiB" in w for w in meta.warnings)
    assert len(meta.raw["parameters"]) <= MAX_TEXT_BYTES
    assert peak < 3 * MAX_TEXT_BYTES + 8 * 2**20


def test_compressed_text_bomb_is_capped():
    bomb = chunk(b"zTXt", b"parameters\x00\x00" + zlib.compress(b"a" * (200 * 2**20), 9))
    meta = read(png([bomb]))
    assert any("decompressed text exceeds" in w for w in meta.warnings)
    assert len(meta.raw["parameters"]) == MAX_TEXT_BYTES


def test_corrupt_compressed_text():
    meta = read(png([chunk(b"zTXt", b"parameters\x00\x00not zlib")]))
    assert meta.error is None and any("corrupt" in w for w in meta.warnings)


def test_malformed_comfyui_json():
    meta = read(comfy_png('{"3": {"class_type": "KSampler", "inputs": {'))
    assert meta.generator == "comfyui" and meta.params is None
    assert any("not valid JSON" in w for w in meta.warnings)


def test_comfyui_graph_of_wrong_shape():
    meta = read(comfy_png(json.dumps({"3": "not a node", "4": [1, 2]})))
    assert meta.params is None
    assert any("without class_type" in w for w in meta.warnings)


def test_cyclic_comfyui_graph_terminates_with_warning():
    graph = copy.deepcopy(COMFY_GRAPH)
    graph["10"]["inputs"]["model"] = ["13", 0]  # LoRA loader fed by the sampler it feeds
    graph["5"] = {"class_type": "LatentUpscaleBy", "inputs": {"scale_by": 2, "samples": ["3", 0]}}
    meta = read(comfy_png(graph))
    assert any("cycle" in w for w in meta.warnings)
    assert meta.params is not None and meta.params.prompt == "1girl, solo"


def test_dangling_comfyui_link():
    graph = copy.deepcopy(COMFY_GRAPH)
    graph["6"]["inputs"]["clip"] = ["999", 0]
    meta = read(comfy_png(graph))
    assert any("missing nodes" in w and "999" in w for w in meta.warnings)
    assert meta.params.prompt == "1girl, solo"


def test_exif_offsets_out_of_range():
    broken = b"MM\x00\x2a\x00\x00\x00\x08\x00\x01" + b"\x87\x69\x00\x04\x00\x00\x00\x01\x7f\xff\xff\xff"
    meta = read(jpeg_with_app1(b"Exif\x00\x00" + broken))
    assert meta.error is None and any("outside" in w or "truncated" in w for w in meta.warnings)


def test_pixels_corrupt_when_checking_stealth():
    data = png(size=(4, 4), colour=6, idat=b"garbage")
    meta = read(data)
    assert meta.error is None and any("could not be decoded" in w for w in meta.warnings)


def _folder(tmp_path, count: int):
    good = png([text("parameters", INFOTEXT)])
    jpg = jpeg_with_app1(b"Exif\x00\x00" + tiff([], [(0x9286, 7, _usercomment(INFOTEXT))]))
    bad = [b"", b"garbage", good[:30], jpg[:25]]
    names = []
    for i in range(count):
        if i % 10 == 3:
            data, suffix = bad[(i // 10) % len(bad)], ".png"
        else:
            data, suffix = (good, ".png") if i % 2 else (jpg, ".jpg")
        path = tmp_path / f"img{i:05d}{suffix}"
        path.write_bytes(data)
        names.append(path)
    return names


def test_folder_with_broken_files_completes(tmp_path, capsys):
    from promptlab.cli import main

    files = _folder(tmp_path, 40)
    assert main(["info", "--json", str(tmp_path)]) == 1  # some files are broken
    out = json.loads(capsys.readouterr().out)
    assert len(out) == len(files)
    errors = [e for e in out if e["error"]]  # the empty and the garbage file
    assert len(errors) == 2 and all(e["prompt"] is None for e in errors)
    truncated = [e for e in out if not e["error"] and any("truncated" in w.lower() for w in e["warnings"])]
    assert len(truncated) == 2
    assert sum(e["prompt"] == "a cat" for e in out) == 36


@pytest.mark.slow
def test_folder_of_10000_tiny_files(tmp_path):
    from promptlab.cli.info_cmds import expand_paths

    _folder(tmp_path, 10_000)
    results = [read(p) for p, problem in expand_paths([str(tmp_path)])]
    assert len(results) == 10_000
    assert sum(r.error is not None for r in results) == 500
    assert sum(r.params is not None and r.params.prompt == "a cat" for r in results) >= 9000


def test_read_accepts_a_stream():
    meta = read(io.BytesIO(png([text("parameters", INFOTEXT)])))
    assert meta.params.prompt == "a cat" and meta.source == "<bytes>"


def test_pillow_unaffected_image_opens(tmp_path):
    # our hand-built files are real images: Pillow opens them
    Image.open(io.BytesIO(png([ztxt("parameters", INFOTEXT)]))).load()


def test_fuzzed_real_images_never_raise(shared_dir):
    """Truncated and bit-flipped copies of the real fixtures: read() returns, never raises."""
    import random

    folder = shared_dir / "fixtures/metadata"
    files = [p for p in sorted(folder.rglob("*")) if p.suffix in (".png", ".jpg", ".jpeg", ".webp")
             and 0 < p.stat().st_size < 200_000]
    rng = random.Random(1234)
    for i in range(300):
        data = bytearray(rng.choice(files).read_bytes())
        if rng.random() < 0.3:
            data = data[: rng.randrange(len(data))]
        else:
            for _ in range(rng.randint(1, 20)):
                data[rng.randrange(len(data))] = rng.randrange(256)
        meta = read(bytes(data), stealth="always" if i % 5 == 0 else "auto")
        assert meta.error is None or isinstance(meta.error, str)

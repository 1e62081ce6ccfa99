"""Benchmark: the gallery index — first index and re-scan of 20,000 generated files, search latency over
100,000 rows for every query form, and the Gallery page's first paint with 100,000 rows.

Figures are printed with a baseline measured in the same process:
* indexing vs ``promptlab.metadata.read`` over the same files (what the index adds on top of reading);
* search p50/p99 per query form vs the plain newest-first page with no query;
* the page's first paint with 100,000 rows vs the same page with an empty index (AppTest, no browser).

Files: 512x512 images of several tools (A1111 PNG and JPEG, ComfyUI graph, NovelAI RGBA PNG, InvokeAI,
Fooocus, plain PNG), made by splicing metadata into a few encoded templates (fast), in a temp folder.

    .venv/bin/python benchmarks/bench_gallery.py [--files 20000] [--rows 100000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import shutil
import statistics
import struct
import sys
import tempfile
import time
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from promptlab import gallery  # noqa: E402
from promptlab.gallery import store  # noqa: E402
from promptlab.gallery.record import ImageRecord, sampler_key  # noqa: E402
from promptlab.metadata import read  # noqa: E402
from promptlab.metadata.write import exif_user_comment  # noqa: E402
from promptlab.params import GenerationParams  # noqa: E402

KINDS = ("a1111_png", "a1111_jpg", "comfyui_png", "novelai_png", "invokeai_png", "fooocus_png", "plain_png")
TAGS = ["1girl", "solo", "long hair", "short hair", "smile", "blue eyes", "red eyes", "outdoors", "night", "city",
        "masterpiece", "best quality", "looking at viewer", "cat ears", "school uniform", "from side", "sky"]
QUERIES = {
    "(none: newest first)": "",
    "word": "smile",
    "phrase": '"long hair"',
    "exclude": "smile -monochrome",
    "neg:": "neg:lowres",
    "model:": "model:pony",
    "lora:": "lora:detail",
    "seed:": "seed:123",
    "steps:>30": "steps:>30",
    "cfg:5..8": "cfg:5..8",
    "size:": "size:1024x1024",
    "sampler:": 'sampler:"DPM++ 2M"',
    "tool:": "tool:comfyui",
    "after:/before:": "after:2026-01-01 before:2026-03-01",
    "combined": '"long hair" smile -night model:pony steps:>20 cfg:5..8 tool:a1111',
}


def _chunk(ctype: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + ctype + data + struct.pack(">I", zlib.crc32(ctype + data) & 0xFFFFFFFF)


def _text(key: str, value: str) -> bytes:
    return _chunk(b"tEXt", key.encode() + b"\x00" + value.encode("utf-8"))


def _templates() -> dict[str, bytes]:
    y, x = np.mgrid[0:512, 0:512]
    rgb = np.stack([(x // 2) % 256, (y // 2) % 256, ((x + y) // 4) % 256], axis=-1).astype(np.uint8)
    out = {}
    for mode, arr in (("RGB", rgb), ("RGBA", np.concatenate([rgb, np.full((512, 512, 1), 255, np.uint8)], -1))):
        buf = io.BytesIO()
        Image.fromarray(arr, mode).save(buf, format="PNG", compress_level=6)
        out[mode] = buf.getvalue()
    buf = io.BytesIO()
    Image.fromarray(rgb, "RGB").save(buf, format="JPEG", quality=85)
    out["JPEG"] = buf.getvalue()
    return out


def _params(i: int, rng: random.Random) -> GenerationParams:
    prompt = ", ".join(rng.sample(TAGS, 6)) + (", <lora:add_detail:0.6>" if i % 3 == 0 else "")
    return GenerationParams(prompt=prompt, negative_prompt="lowres, bad anatomy, worst quality", steps=rng.choice([20, 28, 35]),
                            sampler=rng.choice(["DPM++ 2M", "Euler a"]), schedule_type="Karras", cfg_scale=rng.choice([5.0, 7.0]),
                            seed=rng.randrange(2**32), width=832, height=1216, model=rng.choice(["ponyV6", "animagineXL"]),
                            model_hash="45a21ea00a")


def generate(folder: Path, count: int) -> None:
    tpl = _templates()
    rng = random.Random(0)
    at = 8 + 25
    for i in range(count):
        kind = KINDS[i % len(KINDS)]
        sub = folder / f"day{i // 2000:02d}"
        sub.mkdir(exist_ok=True)
        p = _params(i, rng)
        name = sub / f"{i:06d}_{kind}"
        if kind == "a1111_png":
            data = tpl["RGB"][:at] + _text("parameters", p.to_infotext()) + tpl["RGB"][at:]
        elif kind == "a1111_jpg":
            exif = exif_user_comment(p.to_infotext())
            data = tpl["JPEG"][:2] + b"\xff\xe1" + struct.pack(">H", len(exif) + 2) + exif + tpl["JPEG"][2:]
        elif kind == "comfyui_png":
            graph = {"4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": f"{p.model}.safetensors"}},
                     "6": {"class_type": "CLIPTextEncode", "inputs": {"text": p.prompt, "clip": ["4", 1]}},
                     "7": {"class_type": "CLIPTextEncode", "inputs": {"text": p.negative_prompt, "clip": ["4", 1]}},
                     "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 832, "height": 1216, "batch_size": 1}},
                     "3": {"class_type": "KSampler", "inputs": {"seed": p.seed, "steps": p.steps, "cfg": p.cfg_scale,
                           "sampler_name": "dpmpp_2m", "scheduler": "karras", "denoise": 1.0, "model": ["4", 0],
                           "positive": ["6", 0], "negative": ["7", 0], "latent_image": ["5", 0]}},
                     "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}},
                     "9": {"class_type": "SaveImage", "inputs": {"images": ["8", 0]}}}
            data = tpl["RGB"][:at] + _text("prompt", json.dumps(graph)) + tpl["RGB"][at:]
        elif kind == "novelai_png":
            comment = json.dumps({"prompt": p.prompt, "uc": p.negative_prompt, "steps": 28, "height": 1216, "width": 832,
                                  "scale": 5.0, "seed": p.seed, "sampler": "k_euler_ancestral"})
            data = (tpl["RGBA"][:at] + _text("Software", "NovelAI") + _text("Source", "NovelAI Diffusion V4.5 4BDE2A90")
                    + _text("Description", p.prompt) + _text("Comment", comment) + tpl["RGBA"][at:])
        elif kind == "invokeai_png":
            meta = {"positive_prompt": p.prompt, "negative_prompt": p.negative_prompt, "width": 1024, "height": 1024,
                    "seed": p.seed, "cfg_scale": 6.0, "steps": 24, "scheduler": "euler_a",
                    "model": {"name": p.model, "hash": "blake3:7c16"}, "app_version": "6.10.0"}
            data = tpl["RGB"][:at] + _text("invokeai_metadata", json.dumps(meta)) + tpl["RGB"][at:]
        elif kind == "fooocus_png":
            fooocus = {"prompt": p.prompt, "negative_prompt": p.negative_prompt, "base_model": p.model, "guidance_scale": 4,
                       "resolution": "(768, 1280)", "sampler": "dpmpp_2m_sde_gpu", "scheduler": "karras",
                       "seed": str(p.seed), "steps": 30, "metadata_scheme": "fooocus", "version": "Fooocus v2.4.3"}
            data = (tpl["RGB"][:at] + _text("parameters", json.dumps(fooocus)) + _text("fooocus_scheme", "fooocus")
                    + tpl["RGB"][at:])
        else:
            data = tpl["RGB"]
        name.with_suffix(".jpg" if kind == "a1111_jpg" else ".png").write_bytes(data)


def synthetic_rows(n: int) -> list[ImageRecord]:
    rng = random.Random(1)
    t0 = int(time.mktime((2025, 10, 1, 0, 0, 0, 0, 0, -1))) * 10**9
    tools = ["sd-webui", "forge", "comfyui", "novelai", "invokeai", None]
    rows = []
    for i in range(n):
        sampler = rng.choice(["DPM++ 2M", "dpmpp_2m", "Euler a", "euler_ancestral", "DPM++ 2M SDE"])
        size = rng.choice([(512, 512), (832, 1216), (1024, 1024)])
        loras = (("add_detail", 0.6),) if i % 4 == 0 else ()
        prompt = ", ".join(rng.sample(TAGS + ["monochrome", "long_hair"], 8))
        rows.append(ImageRecord(
            path=f"/synthetic/{i // 1000:03d}/{i:06d}.png", size=400_000, mtime_ns=t0 + rng.randrange(180 * 86400) * 10**9,
            image_width=size[0], image_height=size[1], width=size[0], height=size[1], generator=rng.choice(tools),
            prompt=prompt, negative="lowres, bad anatomy" if i % 2 else "worst quality",
            model=rng.choice(["ponyDiffusionV6XL", "animagineXL31", "waiIllustrious"]), model_hash=None, sampler=sampler,
            sampler_key=sampler_key(sampler), schedule="Karras", steps=rng.choice([20, 28, 35, 50]),
            cfg=rng.choice([4.0, 5.5, 7.0, 9.0]), seed=rng.randrange(1000), denoise=None, hires_upscale=None,
            loras=loras, params_json="{}", meta_hash=None, error=None))
    return rows


def bench_index(folder: Path, files: int) -> None:
    db = folder.parent / "bench_gallery.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    paths = [Path(d) / f for d, _, fs in os.walk(folder) for f in fs]
    t0, c0 = time.perf_counter(), time.process_time()
    for p in paths:
        read(p)
    read_wall, read_cpu = time.perf_counter() - t0, time.process_time() - c0
    t0, c0 = time.perf_counter(), time.process_time()
    report = gallery.index([folder], db_path=db, workers=1)
    index_wall, index_cpu = time.perf_counter() - t0, time.process_time() - c0
    t0, c0 = time.perf_counter(), time.process_time()
    again = gallery.index([folder], db_path=db)
    rescan, rescan_cpu = time.perf_counter() - t0, time.process_time() - c0
    n = report.found
    print(f"first index of {n:,} files: {n / index_wall:,.0f} files/s wall, {n / index_cpu:,.0f} files/s CPU "
          f"({index_wall:.1f} s; {report.failed} unreadable)")
    print(f"  baseline metadata.read of the same files: {n / read_wall:,.0f} files/s wall, {n / read_cpu:,.0f} files/s CPU"
          f" -> index/read ratio {read_wall / index_wall:.2f} (wall), {read_cpu / index_cpu:.2f} (CPU)")
    print(f"re-scan of the unchanged {again.found:,} files: {rescan:.2f} s wall, {rescan_cpu:.2f} s CPU "
          f"({again.to_read} read)")


def bench_search(tmp: Path, rows: int, repeats: int) -> Path:
    db = tmp / "rows.sqlite3"
    conn = store.connect(db)
    t0 = time.perf_counter()
    with store.transaction(conn):
        store.upsert(conn, synthetic_rows(rows))
    conn.execute("ANALYZE")  # what a scan's closing PRAGMA optimize does for an index that grew
    print(f"{rows:,} synthetic rows written in {time.perf_counter() - t0:.1f} s")
    print(f"search over {rows:,} rows, page of 48 + total count (capped at 10,000), {repeats} runs each:")
    print(f"  {'query form':22} {'p50 wall':>8} {'p99 wall':>8} {'p50 CPU':>8} ms   (matches)")
    for label, query in QUERIES.items():
        walls, cpus = [], []
        for _ in range(repeats):
            t0, c0 = time.perf_counter(), time.process_time()
            page = gallery.search(conn, query, limit=48)
            walls.append((time.perf_counter() - t0) * 1000)
            cpus.append((time.process_time() - c0) * 1000)
        walls.sort()
        p50, p99 = statistics.median(walls), walls[min(len(walls) - 1, int(len(walls) * 0.99))]
        print(f"  {label:22} {p50:8.1f} {p99:8.1f} {statistics.median(cpus):8.1f}      ({page.total_text})")
    conn.close()
    return db


def bench_page(tmp: Path, rows_db: Path, rows: int) -> None:
    from streamlit.testing.v1 import AppTest

    def first_paint(home: Path) -> float:
        os.environ["PROMPTLAB_HOME"] = str(home)
        at = AppTest.from_file(str(REPO / "app_pages/gallery.py"), default_timeout=120)
        t0 = time.perf_counter()
        at.run()
        elapsed = time.perf_counter() - t0
        assert not at.exception, at.exception
        return elapsed

    empty, full = tmp / "home-empty", tmp / "home-full"
    empty.mkdir()
    full.mkdir()
    shutil.copy(rows_db, full / "gallery.sqlite3")
    first_paint(empty)  # imports and Streamlit warm-up
    base = min(first_paint(empty) for _ in range(2))
    with_rows = min(first_paint(full) for _ in range(2))
    print(f"Gallery page first paint (AppTest, script run to the end): {with_rows:.2f} s with {rows:,} rows, "
          f"{base:.2f} s with an empty index (x{with_rows / base:.1f})")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=20_000)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--repeats", type=int, default=50)
    ap.add_argument("--keep", type=Path, help="generate the files here and keep them (reused when present)")
    ap.add_argument("--skip-page", action="store_true", help="no AppTest first-paint timing")
    args = ap.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="bench_gallery_"))
    folder = args.keep or tmp / "images"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        existing = sum(len(fs) for _, _, fs in os.walk(folder))
        if existing < args.files:
            t0 = time.perf_counter()
            generate(folder, args.files)
            print(f"generated {args.files:,} files (512x512; {', '.join(KINDS)}) in {time.perf_counter() - t0:.1f} s")
        else:
            print(f"reusing {existing:,} files in {folder}")
        os.environ["PROMPTLAB_HOME"] = str(tmp / "home")
        bench_index(folder, args.files)
        rows_db = bench_search(tmp, args.rows, args.repeats)
        if not args.skip_page:
            bench_page(tmp, rows_db, args.rows)
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

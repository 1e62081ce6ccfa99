"""Benchmark: reading generation metadata from a folder of PNG/JPEG/WebP images.

Generates COUNT (default 1,200) 512x512 images carrying realistic metadata of each common format
(A1111 PNG/JPEG/WebP, ComfyUI graph, NovelAI text chunks on an RGBA image, InvokeAI, SwarmUI WebP,
Fooocus, A1111 stealth-only RGBA PNG — the one kind whose pixels must be decoded — and plain PNGs
without metadata), reads them all with ``promptlab.metadata.read``, and prints files/s and the ratio
against baselines measured in the same run: open every file with Pillow and fully load it, and
sd-parsers (``ParserManager().parse``, the reference metadata reader) on the mixed set and on the
512x512 A1111 PNGs alone. Contenders run interleaved, several rounds, best round each, so a burst of
outside load does not land on one of them only; the A1111 set (a round lasts ~0.1 s) gets three times
as many rounds as the mixed set, so its best round is as likely to be a quiet one.

    .venv/bin/python benchmarks/bench_metadata.py [--count N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import struct
import sys
import tempfile
import time
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

from promptlab.metadata import read, write
from promptlab.metadata.stealth import encode_stealth_bits
from promptlab.params import GenerationParams

KINDS = ("a1111_png", "a1111_jpg", "a1111_webp", "comfyui_png", "novelai_png", "invokeai_png", "swarmui_webp",
         "fooocus_png", "stealth_png", "plain_png", "plain_rgba_png")


def _chunk(ctype: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + ctype + data + struct.pack(">I", zlib.crc32(ctype + data) & 0xFFFFFFFF)


def _with_chunks(png: bytes, chunks: list[bytes]) -> bytes:
    at = 8 + 25  # after the signature and IHDR
    return png[:at] + b"".join(chunks) + png[at:]


def _text(key: str, value: str) -> bytes:
    return _chunk(b"tEXt", key.encode() + b"\x00" + value.encode("utf-8"))


def _params(i: int) -> GenerationParams:
    return GenerationParams(
        prompt=f"masterpiece, best quality, 1girl, solo, long hair, looking at viewer, smile, テスト {i}, "
        "(detailed background:1.2), <lora:add_detail:0.6>",
        negative_prompt="lowres, bad anatomy, bad hands, text, error, worst quality, low quality, jpeg artifacts",
        steps=28, sampler="DPM++ 2M", schedule_type="Karras", cfg_scale=6.5, seed=1_000_000 + i, width=832, height=1216,
        model="waiIllustriousSDXL_v160", model_hash="45a21ea00a", clip_skip=2, denoising_strength=0.4,
        hires_upscale=1.5, hires_steps=12, hires_upscaler="R-ESRGAN 4x+ Anime6B", lora_hashes="add_detail: 7c6bad76eb54",
        version="v1.10.1", extra=(("ADetailer model", "face_yolov8n.pt"), ("ADetailer confidence", "0.3")))


def _comfy(i: int) -> tuple[str, str]:
    g = {
        "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "waiIllustriousSDXL_v160.safetensors"}},
        "10": {"class_type": "LoraLoader", "inputs": {"lora_name": "detail.safetensors", "strength_model": 0.7,
                                                       "strength_clip": 0.7, "model": ["4", 0], "clip": ["4", 1]}},
        "11": {"class_type": "CLIPSetLastLayer", "inputs": {"stop_at_clip_layer": -2, "clip": ["10", 1]}},
        "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 832, "height": 1216, "batch_size": 1}},
        "6": {"class_type": "CLIPTextEncode", "inputs": {"text": f"1girl, solo, smile, {i}", "clip": ["11", 0]}},
        "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "lowres, bad anatomy", "clip": ["11", 0]}},
        "3": {"class_type": "KSampler", "inputs": {"seed": 10**14 + i, "steps": 28, "cfg": 6.0, "sampler_name": "euler_ancestral",
                                                   "scheduler": "karras", "denoise": 1.0, "model": ["10", 0],
                                                   "positive": ["6", 0], "negative": ["7", 0], "latent_image": ["5", 0]}},
        "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}},
        "9": {"class_type": "SaveImage", "inputs": {"filename_prefix": "ComfyUI", "images": ["8", 0]}},
    }
    workflow = {"last_node_id": 11, "nodes": [{"id": int(k), "type": v["class_type"], "pos": [0, 0], "size": [300, 100],
                                               "widgets_values": list(v["inputs"].values())} for k, v in g.items()]}
    return json.dumps(g), json.dumps(workflow)


def _stealth_png(base: np.ndarray, text: str) -> bytes:
    bits = np.unpackbits(np.frombuffer(encode_stealth_bits(text), dtype=np.uint8))
    arr = base.copy()
    alpha = arr[:, :, 3].T.copy().reshape(-1)
    alpha[: bits.size] = (alpha[: bits.size] & 0xFE) | bits
    arr[:, :, 3] = alpha.reshape(arr.shape[1], arr.shape[0]).T
    buf = io.BytesIO()
    Image.fromarray(arr, "RGBA").save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def generate(folder: Path, count: int) -> dict[str, int]:
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:512, 0:512]
    rgb = np.stack([(x // 2) % 256, (y // 2) % 256, ((x + y) // 4) % 256], axis=-1).astype(np.uint8)
    rgb ^= rng.integers(0, 8, size=rgb.shape, dtype=np.uint8)  # a little noise, like a real picture
    rgba = np.concatenate([rgb, np.full((512, 512, 1), 255, np.uint8)], axis=-1)
    img_rgb, img_rgba = Image.fromarray(rgb, "RGB"), Image.fromarray(rgba, "RGBA")
    buf = io.BytesIO()
    img_rgb.save(buf, format="PNG", compress_level=1)
    png_rgb = buf.getvalue()
    buf = io.BytesIO()
    img_rgba.save(buf, format="PNG", compress_level=1)
    png_rgba = buf.getvalue()
    counts = dict.fromkeys(KINDS, 0)
    for i in range(count):
        kind = KINDS[i % len(KINDS)]
        counts[kind] += 1
        p = _params(i)
        name = folder / f"{i:05d}_{kind}"
        if kind == "a1111_png":
            name.with_suffix(".png").write_bytes(_with_chunks(png_rgb, [_chunk(b"iTXt", b"parameters\x00\x00\x00\x00\x00"
                                                                            + p.to_infotext().encode())]))
        elif kind in ("a1111_jpg", "a1111_webp"):
            write(img_rgb, p, name.with_suffix(".jpg" if kind == "a1111_jpg" else ".webp"), quality=90)
        elif kind == "comfyui_png":
            prompt, workflow = _comfy(i)
            name.with_suffix(".png").write_bytes(_with_chunks(png_rgb, [_text("prompt", prompt), _text("workflow", workflow)]))
        elif kind == "novelai_png":
            comment = json.dumps({"prompt": p.prompt, "uc": p.negative_prompt, "steps": 28, "height": 1216, "width": 832,
                                  "scale": 5.0, "seed": p.seed, "sampler": "k_euler_ancestral", "noise_schedule": "karras"})
            name.with_suffix(".png").write_bytes(_with_chunks(png_rgba, [
                _text("Title", "NovelAI generated image"), _text("Description", p.prompt), _text("Software", "NovelAI"),
                _text("Source", "NovelAI Diffusion V4.5 4BDE2A90"), _text("Comment", comment)]))
        elif kind == "invokeai_png":
            meta = {"positive_prompt": p.prompt, "negative_prompt": p.negative_prompt, "width": 1024, "height": 1024,
                    "seed": p.seed, "cfg_scale": 6.0, "steps": 24, "scheduler": "euler_a",
                    "model": {"name": "waiIllustriousSDXL_v160", "hash": "blake3:7c16"}, "app_version": "6.10.0"}
            name.with_suffix(".png").write_bytes(_with_chunks(png_rgb, [_text("invokeai_metadata", json.dumps(meta))]))
        elif kind == "swarmui_webp":
            sui = {"sui_image_params": {"prompt": p.prompt, "negativeprompt": p.negative_prompt, "model": "wai", "seed": p.seed,
                                        "steps": 20, "cfgscale": 7.0, "width": 1024, "height": 1024,
                                        "sampler": "euler_ancestral", "scheduler": "karras"}}
            from promptlab.metadata.write import exif_user_comment

            exif = exif_user_comment(json.dumps(sui, indent=2))
            img_rgb.save(name.with_suffix(".webp"), format="WEBP", quality=90, exif=exif)
        elif kind == "fooocus_png":
            fooocus = {"prompt": p.prompt, "negative_prompt": p.negative_prompt, "base_model": "juggernautXL",
                       "guidance_scale": 4, "resolution": "(768, 1280)", "sampler": "dpmpp_2m_sde_gpu", "scheduler": "karras",
                       "seed": str(p.seed), "steps": 30, "metadata_scheme": "fooocus", "version": "Fooocus v2.4.3"}
            name.with_suffix(".png").write_bytes(_with_chunks(png_rgb, [_text("parameters", json.dumps(fooocus)),
                                                                        _text("fooocus_scheme", "fooocus")]))
        elif kind == "stealth_png":
            name.with_suffix(".png").write_bytes(_stealth_png(rgba, p.to_infotext()))
        elif kind == "plain_rgba_png":  # alpha but no metadata: must be checked for a payload
            name.with_suffix(".png").write_bytes(png_rgba)
        else:
            name.with_suffix(".png").write_bytes(png_rgb)
    return counts


def _best_of(rounds: int, contenders: dict[str, object], files: list[Path]) -> dict[str, tuple[float, float]]:
    """Best wall and CPU seconds of each contender over ``rounds`` interleaved rounds."""
    best: dict[str, tuple[float, float]] = {}
    for _ in range(rounds):
        for name, fn in contenders.items():
            t0, c0 = time.perf_counter(), time.process_time()
            for f in files:
                fn(f)
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            old = best.get(name, (float("inf"), float("inf")))
            best[name] = (min(old[0], wall), min(old[1], cpu))
    return best


def _pillow_load(path: Path) -> None:
    with Image.open(path) as im:
        im.load()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=1200)
    ap.add_argument("--rounds", type=int, default=5, help="interleaved rounds per set (best round counts)")
    ap.add_argument("--keep", type=Path, help="generate into this folder and keep it (reused when it already "
                    "holds the files)")
    args = ap.parse_args(argv)
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench_metadata_"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        from sd_parsers import ParserManager
    except ImportError:
        ParserManager = None
        print("sd-parsers is not installed (pip install -e '.[dev]'): its baseline is skipped")
    try:
        t0 = time.perf_counter()
        files = sorted(folder.iterdir())
        if len(files) >= args.count:
            print(f"reusing {len(files)} files in {folder}")
        else:
            counts = generate(folder, args.count)
            files = sorted(folder.iterdir())
            print(f"generated {len(files)} files of 512x512 in {time.perf_counter() - t0:.1f} s: "
                  + ", ".join(f"{k} {v}" for k, v in counts.items()))
        sdp = ParserManager() if ParserManager is not None else None
        for f in files[:50]:  # warm the page cache and imports for every contender
            read(f)
            _pillow_load(f)
            if sdp is not None:
                sdp.parse(f)
        results = [read(f) for f in files]
        missing = [f.name for f, r in zip(files, results) if r.params is None and "plain" not in f.name]
        a1111 = [f for f in files if "a1111_png" in f.name]
        # the small set is read several times per round so that a round lasts long enough to time
        sets = {"mixed set": files, "A1111 PNGs (512x512)": a1111 * max(1, 1000 // max(1, len(a1111)))}
        for label, subset in sets.items():
            contenders = {"promptlab.metadata.read": read}
            if sdp is not None:
                contenders["sd-parsers"] = sdp.parse
            if label == "mixed set":
                contenders["Pillow open+load"] = _pillow_load
            rounds = args.rounds if label == "mixed set" else 3 * args.rounds
            best = _best_of(rounds, contenders, subset)
            ours_wall, ours_cpu = best["promptlab.metadata.read"]
            print(f"{label}: {len(subset)} reads, best of {rounds} interleaved rounds")
            for name, (wall, cpu) in best.items():
                ratio = "" if name.startswith("promptlab") else \
                    f"  -> ratio promptlab/this: {wall / ours_wall:.2f}x wall, {cpu / ours_cpu:.2f}x CPU"
                print(f"  {name:24} {len(subset) / wall:8,.0f} files/s wall {len(subset) / cpu:8,.0f} files/s CPU{ratio}")
        for kind, text in (("stealth_png", "stealth-only PNGs (payload read from the alpha low bits)"),
                           ("plain_rgba_png", "RGBA PNGs without metadata (column-0 signature check)")):
            subset = [f for f in files if kind in f.name]
            wall, cpu = _best_of(1, {"read": read}, subset)["read"]
            print(f"  {text}: {len(subset) / wall:,.0f} files/s wall, {len(subset) / cpu:,.0f} files/s CPU")
        if missing:
            print(f"ERROR: no parameters read from {len(missing)} files, e.g. {missing[:3]}")
            return 1
        return 0
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

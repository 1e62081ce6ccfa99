"""Batch captioning throughput: promptlab's pipeline vs a naive loop (decode, infer, write, one by one).

(a) a tiny WD-shaped model (448x448 NHWC input, 10,861 labels like WD v3): the pipeline's own overhead;
(b) a ViT-B/16-shaped 448x448 model with random weights: the compute a user's CPU faces;
(c) the same as (b) on the CUDA provider when onnxruntime-gpu and a GPU are present.

    .venv/bin/python benchmarks/bench_caption.py [--images 500] [--vit-images 48] [--batch-size auto]

Both sides use the same tagger object and the same pre/post-processing code; the naive side calls
prepare -> predict([one]) -> postprocess -> write per image. Figures vary with machine load.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from promptlab.interrogate import CaptionOptions, ExistingPolicy, caption_folder, load_tagger  # noqa: E402
from promptlab.interrogate.caption import parse_batch_size  # noqa: E402
from promptlab.interrogate.testing import build_vit_tagger, make_wd_tagger, write_selected_tags  # noqa: E402

NUM_LABELS = 10861  # wd-*-tagger-v3 label count


def label_rows(n: int) -> list[tuple[str, int]]:
    ratings = [("general", 9), ("sensitive", 9), ("questionable", 9), ("explicit", 9)]
    chars = [(f"character_{i}_(series)", 4) for i in range(n // 4)]
    return ratings + [(f"tag_{i}", 0) for i in range(n - len(ratings) - len(chars))] + chars


def make_images(folder: Path, count: int, seed: int = 0) -> list[Path]:
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        w, h = int(rng.integers(512, 1216)), int(rng.integers(512, 1216))
        small = rng.integers(0, 256, (h // 16, w // 16, 3), dtype=np.uint8)
        img = Image.fromarray(small).resize((w, h), Image.Resampling.BICUBIC)
        path = folder / (f"img_{i:04d}.jpg" if i % 2 else f"img_{i:04d}.png")
        img.save(path, quality=90) if path.suffix == ".jpg" else img.save(path, compress_level=1)
        paths.append(path)
    return paths


def naive(tagger, paths: list[Path], options) -> float:
    start = time.perf_counter()
    for path in paths:
        probs = tagger.predict([tagger.prepare(path)])
        path.with_suffix(".txt").write_text(tagger.postprocess(probs[0], options).prompt + "\n", encoding="utf-8")
    return time.perf_counter() - start


def pipeline(tagger, folder: Path, options, batch_size: int | str, workers: int | None):
    caption_options = CaptionOptions(existing=ExistingPolicy.OVERWRITE, batch_size=batch_size, workers=workers,
                                     restart=True)
    report = caption_folder(folder, tagger, options, caption_options)
    assert not report.failed, report.failed
    return report


def compare(title: str, tagger, folder: Path, paths: list[Path], batch_size: int | str,
            workers: int | None) -> None:
    options = tagger.default_options()
    naive(tagger, paths[:2], options)  # warm-up (arena allocation)
    t_naive = naive(tagger, paths, options)
    report = pipeline(tagger, folder, options, batch_size, workers)
    t_pipe = report.seconds
    n = len(paths)
    print(f"{title}: {n} images on {tagger.providers.provider}")
    print(f"  naive loop : {n / t_naive:8.2f} images/s ({t_naive:.1f} s)")
    print(f"  pipeline   : {n / t_pipe:8.2f} images/s ({t_pipe:.1f} s, {report.decode_threads} decode threads)")
    print(f"  batch size : {report.batch_summary()}")
    print(f"  ratio      : {t_naive / t_pipe:.2f}x")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=500)
    ap.add_argument("--vit-images", type=int, default=48, help="images for the ViT-B/16 run (slow on CPU)")
    ap.add_argument("--batch-size", type=parse_batch_size, default="auto",
                    help="auto (default: calibrated on the first images) or images per model call")
    ap.add_argument("--workers", type=int, default=None, help="decode threads (default: caption_folder's)")
    ap.add_argument("--skip-vit", action="store_true")
    args = ap.parse_args()
    print(f"machine: {os.cpu_count()} CPUs; onnxruntime default threads")
    with tempfile.TemporaryDirectory(prefix="bench-caption-") as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        paths = make_images(root / "data", args.images)
        print(f"generated {len(paths)} JPEG/PNG images (512-1215 px) in {time.perf_counter() - t0:.1f} s")

        rows = label_rows(NUM_LABELS)
        # realistic output: ~30 tags above threshold per image, the rest far below
        rng = np.random.default_rng(1)
        weights = np.full((3, NUM_LABELS), -4.0)
        weights[:, rng.choice(NUM_LABELS, 30, replace=False)] = 3.0
        tiny = load_tagger(make_wd_tagger(root / "tiny", rows, weights, size=448))
        compare("(a) tiny WD-shaped model (pipeline overhead)", tiny, root / "data", paths,
                args.batch_size, args.workers)
        if args.skip_vit:
            return 0

        vit_dir = root / "vit"
        vit_dir.mkdir()
        t0 = time.perf_counter()
        build_vit_tagger(vit_dir / "model.onnx", NUM_LABELS)
        write_selected_tags(vit_dir / "selected_tags.csv", rows)
        print(f"built ViT-B/16 448x448 ONNX model ({(vit_dir / 'model.onnx').stat().st_size / 2**20:.0f} MiB) "
              f"in {time.perf_counter() - t0:.1f} s")
        sub = root / "vit-data"
        sub.mkdir()
        vit_paths = [Path(shutil.copy(p, sub / p.name)) for p in paths[:args.vit_images]]
        vit = load_tagger(vit_dir, device="cpu")
        compare(f"(b) ViT-B/16 448x448, random weights (CPU, {len(vit_paths)} images)", vit, sub, vit_paths,
                args.batch_size, args.workers)

        import onnxruntime

        if "CUDAExecutionProvider" not in onnxruntime.get_available_providers():
            print("(c) CUDA: skipped: no CUDA (onnxruntime has no CUDAExecutionProvider)")
            return 0
        gpu = load_tagger(vit_dir, device="cuda")
        if gpu.providers.fell_back:
            print(f"(c) CUDA: skipped: {gpu.providers.warning}")
            return 0
        import subprocess

        card = subprocess.run(["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"], capture_output=True,
                              text=True).stdout.strip() or "unknown GPU"
        compare(f"(c) ViT-B/16 448x448 on CUDA ({card}, {len(paths)} images)", gpu, root / "data", paths,
                args.batch_size if args.batch_size == "auto" else max(args.batch_size, 32),
                max(args.workers or 0, 4))
    return 0


if __name__ == "__main__":
    sys.exit(main())

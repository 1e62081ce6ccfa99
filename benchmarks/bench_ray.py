"""Captioning on Ray vs the local pipeline, in one run, and what that means for a cluster.

The tiny WD-shaped tagger (448x448 NHWC, 10,861 labels) over --images generated images (512-1216 px,
PNG and JPEG): the local ``caption_folder`` first, then ``caption_folder_ray`` on a local Ray with all
cores (its start-up timed apart from the job). Both write the same caption files (checked).

The projection to 8, 64 and 512 GPUs uses the measured Ray overhead and states its assumptions; it is
arithmetic, not a measurement.

    .venv/bin/python benchmarks/bench_ray.py [--images 2000] [--gpu-images-per-s 120]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_caption import NUM_LABELS, label_rows, make_images  # noqa: E402

from promptlab.interrogate import CaptionOptions, ExistingPolicy, caption_folder, load_tagger  # noqa: E402
from promptlab.interrogate.testing import make_wd_tagger  # noqa: E402


def captions(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.txt"))}


def driver_cost_ms(rows: int) -> float:
    """The driver's serial work per image in caption_folder_ray: a journal line and a manifest row."""
    from promptlab.cluster.caption import _Manifest
    from promptlab.interrogate.caption import _Journal

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        journal = _Journal(folder, "bench", True)
        book = _Manifest(folder / "m.parquet", folder)
        tags = [f"tag_{i}" for i in range(30)]
        start = time.perf_counter()
        for batch in range(0, rows, 8):
            out = []
            for i in range(batch, batch + 8):
                path = folder / f"img_{i:06d}.png"
                journal.mark(path.name)
                out.append({"path": str(path), "status": "written", "caption": ", ".join(tags), "tags": tags,
                            "scores": [0.5] * 30})
            book.write(out)
        book.close()
        journal.close(remove=True)
        return (time.perf_counter() - start) * 1000 / rows


def decode_rate(images: list[Path]) -> float:
    """Images/s that one core decodes and preprocesses (what a Ray Data decode task does)."""
    from promptlab.cluster.caption import _decode

    start = time.process_time()
    _decode({"path": [str(p) for p in images]}, flavor="wd", size=448)
    return len(images) / (time.process_time() - start)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=2000)
    ap.add_argument("--batch-size", type=int, default=8, help="images per model call on both sides")
    ap.add_argument("--gpu-images-per-s", type=float, default=120.0,
                    help="assumed per-GPU tagging speed for the projection (WD eva02-large, fp16, A100-class)")
    args = ap.parse_args()
    import numpy as np

    from promptlab.cluster.caption import caption_folder_ray

    cpus = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        rng = np.random.default_rng(0)
        weights = rng.normal(0, 1, (3, NUM_LABELS)).astype(np.float32)
        model = make_wd_tagger(tmp / "tagger", label_rows(NUM_LABELS), weights, size=448)
        print(f"making {args.images} images ...", flush=True)
        make_images(tmp / "local", args.images)
        shutil.copytree(tmp / "local", tmp / "ray")
        decode_per_core = decode_rate(sorted((tmp / "local").glob("img_*"))[:60])
        tagger = load_tagger(model, device="cpu")
        options = CaptionOptions(existing=ExistingPolicy.OVERWRITE, batch_size=args.batch_size, restart=True)

        local = caption_folder(tmp / "local", tagger, tagger.default_options(), options)
        assert not local.failed, local.failed

        import ray

        t0 = time.perf_counter()
        ray.init(num_cpus=cpus, include_dashboard=False, log_to_driver=False, configure_logging=False)
        startup = time.perf_counter() - t0
        try:
            on_ray = caption_folder_ray(tmp / "ray", model, options=options, manifest=None)
            # a second job on the warm Ray (workers already imported promptlab and onnxruntime)
            shutil.rmtree(tmp / "ray2", ignore_errors=True)
            shutil.copytree(tmp / "local", tmp / "ray2")
            for p in (tmp / "ray2").glob("*.txt"):
                p.unlink()
            warm = caption_folder_ray(tmp / "ray2", model, options=options, manifest=None)
        finally:
            ray.shutdown()
        assert not on_ray.failed, on_ray.failed
        same = captions(tmp / "local") == captions(tmp / "ray") == captions(tmp / "ray2")

    n = args.images
    print(f"\nmachine: {cpus} CPUs, no GPU; tiny WD-shaped tagger 448x448, {NUM_LABELS} labels; batch {args.batch_size}")
    print(f"  local pipeline      : {n / local.seconds:8.2f} images/s ({local.seconds:.1f} s)")
    print(f"  Ray, first job      : {n / on_ray.seconds:8.2f} images/s ({on_ray.seconds:.1f} s; {on_ray.provider})")
    print(f"  Ray, warm job       : {n / warm.seconds:8.2f} images/s ({warm.seconds:.1f} s)")
    print(f"  Ray start-up        : {startup:.1f} s (ray.init, once per session; not in the job times)")
    print(f"  ratio Ray/local     : first job {on_ray.seconds / local.seconds:.2f}x, warm {warm.seconds / local.seconds:.2f}x"
          f", with start-up {(on_ray.seconds + startup) / local.seconds:.2f}x  (goal <= 1.15x)")
    print(f"  same caption files  : {same}")

    # Projection from two serial costs measured here (the rest scales with actors and nodes):
    # the driver's per-image bookkeeping (journal line + manifest row + progress) and decoding per core.
    driver_ms = driver_cost_ms(5000)
    g = args.gpu_images_per_s
    cores_per_gpu = g / decode_per_core
    print(f"\nprojection for a GPU cluster (arithmetic, not a measurement). Measured here: the driver's serial "
          f"bookkeeping {driver_ms:.3f} ms per image (limit {1000 / driver_ms:,.0f} images/s); decoding + "
          f"preprocessing {decode_per_core:.1f} images/s per CPU core (448x448, 512-1216 px sources).")
    print(f"assumed: one tagger actor per GPU at {g:.0f} images/s (--gpu-images-per-s; WD eva02-large fp16 on an "
          f"A100-class card), {cores_per_gpu:.1f} CPU cores per GPU for decoding, a shared file system that serves "
          "the images, Ray's per-batch scheduling hidden behind the batches in flight.")
    for gpus in (8, 64, 512):
        ideal = gpus * g
        rate = min(ideal, 1000 / driver_ms)
        limit = " (driver-bound: the driver's bookkeeping is the limit)" if rate < ideal else ""
        print(f"  {gpus:4d} GPUs: ~{rate:10,.0f} images/s{limit}; 1M images in {1e6 / rate / 60:6.1f} min")
    print("  On one machine Ray's start-up (ray.init, actor start) costs seconds and buys nothing: run locally; "
          "use --ray when the work spreads over several machines or GPUs.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Replay plans: the cost of planning an image beside reading it, and of finding models by hash.

    .venv/bin/python benchmarks/bench_replay.py [--files 100] [--size-mb 8]

1. Every real image in ../shared/fixtures/metadata: ``read`` (baseline) vs ``read`` + ``build_plan``
   on the local backend with an empty models folder (planning overhead = ratio - 1).
2. A models folder of N checkpoints of SIZE MB: matching a hash that is in none of them (every file
   hashed) cold, then again with the on-disk hash cache, against reading the files once (baseline).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("PROMPTLAB_SHARED", REPO.parent / "shared"))


def _best(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def bench_plans() -> None:
    from promptlab.backend.models import ModelRoots
    from promptlab.metadata import read
    from promptlab.replay import build_plan

    folder = SHARED / "fixtures" / "metadata"
    if not folder.is_dir():
        print(f"plans: skipped ({folder} not found)")
        return
    files = [p for p in sorted(folder.rglob("*")) if p.suffix.lower() in (".png", ".jpg", ".jpeg", ".webp")]
    metas = [read(p) for p in files]
    planned = [m for m in metas if m.params is not None]
    roots = ModelRoots(Path(tempfile.mkdtemp()) / "models")
    read_s = _best(lambda: [read(p) for p in files])
    plan_s = _best(lambda: [build_plan(m, roots=roots) for m in planned])
    items = [len(build_plan(m, roots=roots).items) for m in planned]
    print(f"plans: {len(files)} images read in {read_s * 1000:.1f} ms (baseline); "
          f"{len(planned)} plans built in {plan_s * 1000:.1f} ms "
          f"({plan_s / len(planned) * 1000:.2f} ms/plan, median {statistics.median(items):.0f} items); "
          f"read+plan / read = {(read_s + plan_s) / read_s:.2f}x")


def bench_hashes(count: int, size_mb: int) -> None:
    from promptlab.backend.models import ModelRoots
    from promptlab.replay.models import ModelIndex

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["PROMPTLAB_HOME"] = str(Path(tmp) / "home")     # a fresh hash cache
        folder = Path(tmp) / "models" / "Stable-diffusion"
        folder.mkdir(parents=True)
        block = os.urandom(1 << 20)
        for i in range(count):
            with (folder / f"m{i:03d}.safetensors").open("wb") as fh:
                for _ in range(size_mb):
                    fh.write(block)
                fh.write(i.to_bytes(4, "little"))
        roots = ModelRoots(Path(tmp) / "models")

        def read_all() -> None:
            for path in folder.iterdir():
                with path.open("rb") as fh:
                    while fh.read(1 << 20):
                        pass

        start = time.perf_counter()
        read_all()
        baseline = time.perf_counter() - start
        start = time.perf_counter()
        ModelIndex(roots, "checkpoint").match("absent", "0123456789")
        cold = time.perf_counter() - start
        warm = _best(lambda: ModelIndex(roots, "checkpoint").match("absent", "0123456789"), 3)
        print(f"hashes: {count} files x {size_mb} MB: reading them {baseline:.2f} s (baseline); "
              f"match by hash cold {cold:.2f} s ({cold / baseline:.2f}x), cached {warm * 1000:.1f} ms "
              f"({warm / baseline:.4f}x, {cold / warm:.0f}x faster than cold)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=100)
    parser.add_argument("--size-mb", type=int, default=8)
    args = parser.parse_args()
    bench_plans()
    bench_hashes(args.files, args.size_mb)


if __name__ == "__main__":
    main()

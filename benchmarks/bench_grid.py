"""A 2 x 3 x 2 grid (checkpoint x sampler x CFG) on tiny checkpoints: promptlab.grid vs a naive loop.

- grid:  ``run_grid`` on one DiffusersBackend: cells ordered so each checkpoint loads once.
- naive: the same 12 cells in grid order, loading the checkpoint for every cell (a fresh backend per
  cell), which is what a script that does not group cells by model ends up doing.

Both run in this process, on tiny random-weight SD1 checkpoints (64x64, 4 steps), one torch thread.
Prints wall times, the ratio and the number of model loads of each.

    .venv/bin/python benchmarks/bench_grid.py [--steps 4] [--size 64] [--threads 1]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()

    import torch

    from promptlab.backend.diffusers_backend import DiffusersBackend
    from promptlab.backend.tiny import make_tiny_checkpoint
    from promptlab.grid import GridSpec, make_plan, run_grid

    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "models"
        for i, name in enumerate(("tinyA", "tinyB")):
            make_tiny_checkpoint(root / "Stable-diffusion" / f"{name}.safetensors", "sd1", seed=i)
        spec = GridSpec.from_dict({
            "base": {"prompt": "a cat, (sky:1.2)", "negative_prompt": "lowres", "steps": args.steps, "seed": 1,
                     "width": args.size, "height": args.size},
            "x": {"type": "sampler", "values": ["Euler a", "DPM++ 2M", "DDIM"]},
            "y": {"type": "cfg", "values": [5, 8]},
            "z": {"type": "checkpoint", "values": ["tinyA.safetensors", "tinyB.safetensors"]},
        })
        plan = make_plan(spec)
        # Warm imports and kernels once so neither side pays for them.
        warm = DiffusersBackend(root, device="cpu", dtype="float32")
        warm.generate(plan.cells[0].params)
        warm.close()

        start = time.perf_counter()
        backend = DiffusersBackend(root, device="cpu", dtype="float32")
        run = run_grid(plan, backend, record_timing=False)
        grid_s = time.perf_counter() - start
        grid_loads = backend.model_loads
        backend.close()
        assert run.counts()["done"] == len(plan.cells), run.counts()

        start = time.perf_counter()
        naive_loads = 0
        for cell in plan.cells:                       # grid order; a fresh load per cell
            naive = DiffusersBackend(root, device="cpu", dtype="float32")
            naive.generate(cell.params)
            naive_loads += naive.model_loads
            naive.close()
        naive_s = time.perf_counter() - start

    cells = len(plan.cells)
    print(f"cells: {cells} (2 checkpoints x 3 samplers x 2 CFG), {args.size}x{args.size}, {args.steps} steps, "
          f"torch threads {args.threads}")
    print(f"promptlab.grid: {grid_s:6.2f} s  model loads: {grid_loads}")
    print(f"naive loop:     {naive_s:6.2f} s  model loads: {naive_loads}")
    print(f"ratio (naive / grid): {naive_s / grid_s:.2f}x")


if __name__ == "__main__":
    main()

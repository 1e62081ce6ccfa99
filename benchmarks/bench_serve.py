"""`promptlab serve` at work: a 12-cell grid over 1 vs 3 local serve processes, and the HTTP overhead.

Starts real `promptlab serve` processes on 127.0.0.1 with a tiny random-weight SD1 checkpoint, then
(a) runs the same 12-cell grid (3 samplers x 4 seeds) through promptlab.grid over 1 and over 3 servers
and prints both wall times and the ratio; (b) times one small request through RemoteA1111Backend (HTTP,
JSON, base64 PNG, queue) and the same request in-process through DiffusersBackend, and prints the
per-request overhead. On a 2-core machine three servers compete for the same cores, so (a) mostly
shows that spreading works, not a speed-up; on a machine with several GPUs each server gets its own.

    .venv/bin/python benchmarks/bench_serve.py [--steps 4] [--size 64]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(models: Path, threads: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = dict(os.environ, PROMPTLAB_MODELS=str(models), OMP_NUM_THREADS=str(threads), HF_HUB_OFFLINE="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "promptlab", "serve", "--port", str(port), "--model", "tiny.safetensors",
         "--log-level", "warning", "--devices", "cpu", "--threads", str(threads)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    return proc, f"http://127.0.0.1:{port}"


def wait_ready(url: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {proc.stderr.read().decode()[-2000:]}")
        try:
            if httpx.get(f"{url}/sdapi/v1/progress", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError("server did not start in time")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--size", type=int, default=64)
    args = parser.parse_args()

    import torch

    torch.set_num_threads(1)
    from promptlab.backend.diffusers_backend import DiffusersBackend
    from promptlab.backend.remote_a1111 import RemoteA1111Backend
    from promptlab.backend.tiny import make_tiny_checkpoint
    from promptlab.grid import GridSpec, make_plan, run_grid
    from promptlab.params import GenerationParams

    with tempfile.TemporaryDirectory() as tmp:
        models = Path(tmp) / "models"
        (models / "Stable-diffusion").mkdir(parents=True)
        make_tiny_checkpoint(models / "Stable-diffusion" / "tiny.safetensors", family="sd1")
        procs = [start_server(models, threads=1) for _ in range(3)]
        try:
            for proc, url in procs:
                wait_ready(url, proc)
            remotes = [RemoteA1111Backend(url, name=f"serve-{i}") for i, (_, url) in enumerate(procs)]
            spec = GridSpec.from_dict({
                "base": {"prompt": "a cat, (sky:1.2)", "steps": args.steps, "width": args.size,
                         "height": args.size, "seed": 1},
                "x": {"type": "sampler", "values": ["Euler a", "DPM++ 2M", "DDIM"]},
                "y": {"type": "seed", "values": [1, 2, 3, 4]},
            })
            plan = make_plan(spec)
            run_grid(plan, remotes[:1], record_timing=False)  # warm-up: every server loads its model
            for remote in remotes[1:]:
                remote.generate(GenerationParams(steps=1, width=args.size, height=args.size))
            t0 = time.perf_counter()
            one = run_grid(plan, remotes[:1], record_timing=False)
            t_one = time.perf_counter() - t0
            t0 = time.perf_counter()
            three = run_grid(plan, remotes, record_timing=False)
            t_three = time.perf_counter() - t0
            ok_one = sum(1 for r in one.results if r.status.value == "done")
            ok_three = sum(1 for r in three.results if r.status.value == "done")
            print(f"12-cell grid ({args.steps} steps, {args.size}x{args.size}, tiny SD1, CPU):")
            print(f"  1 serve process : {t_one:6.2f} s  ({ok_one} cells)")
            print(f"  3 serve processes: {t_three:6.2f} s  ({ok_three} cells)  ratio {t_one / t_three:.2f}x")

            local = DiffusersBackend(models, device="cpu")
            request = GenerationParams(prompt="a cat", steps=1, width=args.size, height=args.size, seed=5,
                                       model="tiny.safetensors")
            local.generate(request)
            remotes[0].generate(request)
            t_local, t_http = [], []
            for _ in range(15):
                t0 = time.perf_counter()
                local.generate(request)
                t_local.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                remotes[0].generate(request)
                t_http.append(time.perf_counter() - t0)
            med_local, med_http = statistics.median(t_local), statistics.median(t_http)
            print("one 1-step request, median of 15:")
            print(f"  in-process DiffusersBackend: {med_local * 1000:7.1f} ms")
            print(f"  HTTP via promptlab serve   : {med_http * 1000:7.1f} ms  "
                  f"(overhead {(med_http - med_local) * 1000:.1f} ms, ratio {med_http / med_local:.2f}x)")
        finally:
            for proc, _ in procs:
                proc.terminate()
            for proc, _ in procs:
                proc.wait(timeout=30)


if __name__ == "__main__":
    main()

"""Benchmark: tiled vs untiled model upscaling (time and peak memory), CPU and CUDA.

CPU: a 512x512 image through a small random-weight 4x ESRGAN (RRDBNet, 16 features, 2 blocks,
growth 32), untiled (one model call) against A1111's tiling (192 px tiles, 8 px overlap: its
default) and 264 px tiles (the smallest that covers 512 with two tiles), in one process,
interleaved rounds, best round each. Time is wall and process CPU time (CPU time is what to compare
on a shared machine; torch runs 1 thread unless --threads). A1111's grid spreads the tiles evenly,
so their overlaps exceed 8 px: the "area" column is the pixels the model sees over the image's,
the part of the overhead that is geometry. Peak memory is the largest RSS above the level before
the call (sampled every 2 ms in a thread), plus tracemalloc's peak for the numpy side. The outputs
are compared (mean / max absolute difference in 8-bit levels).

CUDA: a real-size 4x RRDBNet (64 features, 23 blocks, as RealESRGAN_x4plus) on a 1024x1024 image,
fp16 where spandrel says the architecture supports it, tiled vs untiled, time and
torch.cuda.max_memory_allocated. Prints "skipped: no CUDA" where there is none.

    .venv/bin/python benchmarks/bench_upscale.py [--size 512] [--rounds 2] [--threads 1]
"""

from __future__ import annotations

import argparse
import os
import threading
import time
import tracemalloc

import numpy as np

from promptlab.upscale.core import model_runner
from promptlab.upscale.load import LoadedUpscaler
from promptlab.upscale.testing import rrdbnet_state_dict
from promptlab.upscale.tiling import TileSettings, tile_origins, upscale_tiled


def rss_bytes() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class PeakRss:
    """Largest RSS above the starting level while the block runs."""

    def __enter__(self):
        self.start = rss_bytes()
        self.peak = self.start
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()
        return self

    def _sample(self):
        while not self.stop.is_set():
            self.peak = max(self.peak, rss_bytes())
            time.sleep(0.002)

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()
        self.peak = max(self.peak, rss_bytes())

    @property
    def delta_mb(self) -> float:
        return (self.peak - self.start) / 2**20


def build(features: int, blocks: int, device: str, half: bool, gain: float) -> LoadedUpscaler:
    import torch
    from spandrel import ModelLoader

    # fan-in scaled weights keep the output out of the 0/1 clamp, so the comparison means something
    descriptor = ModelLoader().load_from_state_dict(rrdbnet_state_dict(features=features, blocks=blocks, gain=gain))
    descriptor.to(torch.device(device))
    if half:
        descriptor.half()
    descriptor.eval()
    return LoadedUpscaler("bench", None, descriptor, descriptor.architecture.name, descriptor.scale, device, half)


def test_image(size: int) -> np.ndarray:
    # smooth gradients plus noise: closer to a photo than pure noise, same cost for the model
    y, x = np.mgrid[0:size, 0:size] / size
    base = np.stack([x, y, (x + y) / 2], axis=-1)
    noise = np.random.default_rng(0).normal(0, 0.05, base.shape)
    return (np.clip(base + noise, 0, 1) * 255).astype(np.uint8)


def area_ratio(size: int, settings: TileSettings) -> float:
    if settings.tile <= 0:
        return 1.0
    tile = min(settings.tile, size)
    return (len(tile_origins(size, tile, settings.overlap)) * tile / size) ** 2


def cpu_section(size: int, rounds: int) -> None:
    loaded = build(16, 2, "cpu", False, 1.0)
    pixels = test_image(size)
    runs = {"untiled": TileSettings(0, 0), "tiled 192/8": TileSettings(192, 8), "tiled 264/8": TileSettings(264, 8)}
    wall = {k: float("inf") for k in runs}
    cpu = {k: float("inf") for k in runs}
    peak_rss = {k: 0.0 for k in runs}
    peak_py = {k: 0.0 for k in runs}
    outputs: dict[str, np.ndarray] = {}
    upscale_tiled(pixels[:64, :64], model_runner(loaded), TileSettings(0, 0))  # warm-up (kernels, allocator)
    for _ in range(rounds):
        for name, settings in runs.items():
            tracemalloc.start()
            with PeakRss() as mem:
                start, start_cpu = time.perf_counter(), time.process_time()
                outputs[name] = upscale_tiled(pixels, model_runner(loaded), settings)
                seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - start_cpu
            _, py_peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            wall[name], cpu[name] = min(wall[name], seconds), min(cpu[name], cpu_seconds)
            peak_rss[name] = max(peak_rss[name], mem.delta_mb)
            peak_py[name] = max(peak_py[name], py_peak / 2**20)
    print(f"CPU: {size}x{size} -> {size * 4}x{size * 4}, RRDBNet 16nf 2nb, torch threads {_threads()}, "
          f"best of {rounds}")
    for name, settings in runs.items():
        print(f"  {name:<12} wall {wall[name]:7.2f} s  cpu {cpu[name]:7.2f} s ({cpu[name] / cpu['untiled']:.2f}x)  "
              f"area {area_ratio(size, settings):.2f}x  peak RSS +{peak_rss[name]:6.1f} MB "
              f"({peak_rss[name] / max(peak_rss['untiled'], 1e-9):.2f}x)  numpy peak {peak_py[name]:6.1f} MB")
    for name in list(runs)[1:]:
        diff = np.abs(outputs[name].astype(np.int16) - outputs["untiled"].astype(np.int16))
        print(f"  {name} vs untiled: same shape {outputs[name].shape == outputs['untiled'].shape}, "
              f"mean |diff| {diff.mean():.3f}, max |diff| {diff.max()} (8-bit levels)")


def cuda_section(size: int) -> None:
    import torch

    if not torch.cuda.is_available():
        print("CUDA: skipped: no CUDA")
        return
    loaded = build(64, 23, "cuda", True, 0.5)
    pixels = test_image(size)
    print(f"CUDA ({torch.cuda.get_device_name()}): {size}x{size} -> {size * 4}x{size * 4}, RRDBNet 64nf 23nb "
          f"(RealESRGAN_x4plus size), fp16")
    upscale_tiled(pixels[:192, :192], model_runner(loaded), TileSettings(0, 0))  # warm-up
    results = {}
    for name, settings in (("tiled 192/8", TileSettings(192, 8)), ("tiled 512/16", TileSettings(512, 16)),
                           ("untiled", TileSettings(0, 0))):
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        start = time.perf_counter()
        try:
            results[name] = upscale_tiled(pixels, model_runner(loaded), settings)
        except torch.OutOfMemoryError:
            print(f"  {name:<12} out of GPU memory")
            torch.cuda.empty_cache()
            continue
        torch.cuda.synchronize()
        seconds = time.perf_counter() - start
        print(f"  {name:<12} {seconds:7.2f} s   peak GPU memory {torch.cuda.max_memory_allocated() / 2**30:6.2f} GiB")


def _threads() -> int:
    import torch

    return torch.get_num_threads()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--gpu-size", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (0: torch's default)")
    args = parser.parse_args()
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    cpu_section(args.size, args.rounds)
    cuda_section(args.gpu_size)


if __name__ == "__main__":
    main()

"""img2img benchmarks. Prints figures; asserts nothing.

(a) CPU, tiny SD1-shaped checkpoint: seconds per image for promptlab's img2img (A1111 steps:
    int(0.75 x steps) + 1 of the schedule; and "exact steps") against txt2img with the same steps, and
    against diffusers' own StableDiffusionImg2ImgPipeline at the same strength over the same modules (the
    overhead of the VAE encode, resize and conditioning path; goal <= 1.05).
(b) Refusing a bad init image: reading a 60000x60000 PNG's header (refused before decoding) against
    decoding a real 2048x2048 PNG, the cost a naive check would pay before it could refuse anything.

    python benchmarks/bench_img2img.py [--size 128] [--steps 20] [--repeats 5]
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import struct
import sys
import tempfile
import time
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _interleaved(a, b, repeats: int) -> tuple[float, float]:
    """Medians of a and b timed alternately, so outside load falls on both alike."""
    ta, tb = [], []
    for _ in range(repeats):
        for fn, out in ((a, ta), (b, tb)):
            start = time.perf_counter()
            fn()
            out.append(time.perf_counter() - start)
    return statistics.median(ta), statistics.median(tb)


def _png(width: int, height: int) -> bytes:
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    buffer = io.BytesIO()
    Image.fromarray(rng.integers(0, 255, (height, width, 3), dtype=np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def _bomb(width: int, height: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) + chunk(b"IEND", b"")


def generation(size: int, steps: int, repeats: int) -> None:
    import torch
    from diffusers import StableDiffusionImg2ImgPipeline
    from PIL import Image

    from promptlab.backend.diffusers_backend import DiffusersBackend
    from promptlab.backend.samplers import build_scheduler, resolve_sampler
    from promptlab.backend.tiny import make_tiny_checkpoint
    from promptlab.init_image import InitImage
    from promptlab.params import GenerationParams

    torch.set_num_threads(1)  # under load, more threads make tiny models far slower (ENVIRONMENT.md)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("PROMPTLAB_HOME", tmp)
        root = Path(tmp) / "models"
        make_tiny_checkpoint(root / "Stable-diffusion" / "tiny.safetensors", "sd1")
        backend = DiffusersBackend(root, device="cpu")
        init = InitImage.from_bytes(_png(size, size))
        txt = GenerationParams(prompt="a photo of a cat, masterpiece", negative_prompt="blurry", steps=steps,
                               width=size, height=size, seed=1, sampler="Euler", model="tiny")
        img = txt.with_(init_image=init, denoising_strength=0.75)
        exact = img.with_(init_image=init.with_options(exact_steps=True))
        backend.generate(img)  # load + warm up
        pipe = backend.manager.get(backend.manager_source("tiny")).pipe
        raw_pipe = StableDiffusionImg2ImgPipeline(**{**pipe.components, "scheduler": build_scheduler(
            resolve_sampler("Euler"), pipe.scheduler.config)}, requires_safety_checker=False)
        raw_pipe.set_progress_bar_config(disable=True)
        image = Image.open(io.BytesIO(init.data)).convert("RGB")
        run = int(0.75 * steps) + 1

        def raw() -> None:   # diffusers at the strength that runs the same number of steps as A1111
            raw_pipe(txt.prompt, negative_prompt=txt.negative_prompt, image=image, strength=(run + 0.5) / steps,
                     num_inference_steps=steps, guidance_scale=txt.cfg_scale,
                     generator=torch.Generator("cpu").manual_seed(1))

        t_txt, t_img = _interleaved(lambda: backend.generate(txt), lambda: backend.generate(img), repeats)
        t_exact = _median_time(lambda: backend.generate(exact), repeats)
        t_ours, t_raw = _interleaved(lambda: backend.generate(img), raw, repeats)
        print(f"(a) CPU, tiny SD1, {size}x{size}, {steps} steps, Euler, median of {repeats}")
        print(f"    txt2img ({steps} steps)                      {t_txt * 1000:8.1f} ms  (baseline)")
        print(f"    img2img denoise 0.75 ({run} steps, A1111)    {t_img * 1000:8.1f} ms  ratio {t_img / t_txt:.2f}")
        print(f"    img2img exact steps ({steps} steps)          {t_exact * 1000:8.1f} ms  ratio {t_exact / t_txt:.2f}")
        print(f"    raw diffusers img2img ({run} steps)          {t_raw * 1000:8.1f} ms")
        print(f"    promptlab / raw diffusers (img2img, interleaved) {t_ours / t_raw:5.2f}  (goal <= 1.05)")


def refusal(repeats: int) -> None:
    from PIL import Image

    from promptlab.init_image import Img2ImgError, InitImage

    bomb, real = _bomb(60000, 60000), _png(2048, 2048)

    def refuse() -> None:
        try:
            InitImage.from_bytes(bomb)
        except Img2ImgError:
            return
        raise AssertionError("the 60000x60000 header was accepted")

    def decode() -> None:
        with Image.open(io.BytesIO(real)) as im:
            im.load()

    t_refuse, t_decode = _median_time(refuse, repeats * 20), _median_time(decode, repeats)
    print("(b) bad init image")
    print(f"    decode a 2048x2048 PNG (baseline)            {t_decode * 1000:8.2f} ms")
    print(f"    refuse a 60000x60000 PNG from its header     {t_refuse * 1000:8.3f} ms  ratio {t_refuse / t_decode:.4f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    generation(args.size, args.steps, args.repeats)
    refusal(args.repeats)


if __name__ == "__main__":
    main()

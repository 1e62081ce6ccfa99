"""Local backend benchmarks. Prints figures; asserts nothing.

(a) CPU, tiny SD1-shaped checkpoint: seconds per image through promptlab's DiffusersBackend vs the raw
    diffusers pipeline with the same scheduler, steps, size and seed (overhead ratio, goal <= 1.05), and
    the time to build the conditioning of a 300-token weighted prompt.
(b) NVIDIA GPU only: the SD1.5 architecture (real config, random weights) at 512x512, 20 steps, batch 1
    and 4 — it/s of raw diffusers defaults (fp32) vs promptlab's fast path (fp16, SDPA, channels_last) —
    and SDXL at 1024x1024. Prints "skipped: no CUDA" without a GPU.

    python benchmarks/bench_backend.py [--size 128] [--steps 20] [--repeats 5] [--gpu-only | --cpu-only]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def weighted_prompt(tokens: int = 300) -> str:
    from promptlab.tokens import chunk_prompt

    words = ["masterpiece", "(best quality:1.2)", "1girl", "[smile]", "((long hair))", "blue eyes",
             "(detailed background:0.8)", "sunset", "city street", "(cinematic lighting:1.1)"]
    parts: list[str] = []
    while chunk_prompt(", ".join(parts)).total < tokens:
        parts.append(words[len(parts) % len(words)])
    return ", ".join(parts)


def cpu_section(size: int, steps: int, repeats: int) -> None:
    import torch

    from promptlab.backend.conditioning import build_conditioning
    from promptlab.backend.diffusers_backend import DiffusersBackend
    from promptlab.backend.samplers import build_scheduler, resolve_sampler
    from promptlab.backend.tiny import make_tiny_checkpoint
    from promptlab.params import GenerationParams

    torch.set_num_threads(1)  # under load, more threads make tiny models far slower (ENVIRONMENT.md)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("PROMPTLAB_HOME", tmp)
        root = Path(tmp) / "models"
        make_tiny_checkpoint(root / "Stable-diffusion" / "tiny.safetensors", "sd1")
        backend = DiffusersBackend(root, device="cpu")
        params = GenerationParams(prompt="a photo of a cat, masterpiece", negative_prompt="blurry", steps=steps,
                                  width=size, height=size, seed=1, sampler="Euler a", model="tiny")
        backend.generate(params)  # load + warm up
        pipe = backend.manager.get(backend.manager_source("tiny")).pipe
        # the raw baseline: one plain diffusers pipeline over the same modules, same scheduler config,
        # built once (what a diffusers user writes), with diffusers' own prompt encoding
        from diffusers import StableDiffusionPipeline

        raw_pipe = StableDiffusionPipeline(**{**pipe.components, "scheduler": build_scheduler(
            resolve_sampler("Euler a"), pipe.scheduler.config)}, requires_safety_checker=False)
        raw_pipe.set_progress_bar_config(disable=True)

        def raw() -> None:
            generator = torch.Generator("cpu").manual_seed(1)
            raw_pipe(params.prompt, negative_prompt=params.negative_prompt, num_inference_steps=steps,
                     guidance_scale=params.cfg_scale, width=size, height=size, generator=generator)

        def ours() -> None:
            backend.generate(params)

        raw()
        t_raw, t_ours = [], []
        for _ in range(repeats):  # interleaved so that machine load hits both alike
            t_raw.append(_median_time(raw, 1))
            t_ours.append(_median_time(ours, 1))
        raw_s, ours_s = statistics.median(t_raw), statistics.median(t_ours)
        print(f"[cpu] tiny SD1 {size}x{size}, {steps} steps, Euler a, batch 1, median of {repeats}")
        print(f"[cpu]   raw diffusers pipeline : {raw_s:.3f} s/image")
        print(f"[cpu]   promptlab backend      : {ours_s:.3f} s/image")
        print(f"[cpu]   overhead ratio         : {ours_s / raw_s:.3f} (goal <= 1.05)")
        prompt = weighted_prompt(300)
        build_conditioning(pipe, prompt, "lowres, (worst quality:1.4)", steps=steps)
        cond_s = _median_time(lambda: build_conditioning(pipe, prompt, "lowres, (worst quality:1.4)", steps=steps),
                              repeats)
        print(f"[cpu]   conditioning, 300-token weighted prompt (tiny text encoder): {cond_s * 1000:.1f} ms")
        backend.close()


def gpu_section(steps: int, repeats: int, compile_unet: bool) -> None:
    import torch

    if not torch.cuda.is_available():
        print("[gpu] skipped: no CUDA")
        return
    from promptlab.backend.diffusers_backend import DiffusersBackend
    from promptlab.params import GenerationParams

    card = torch.cuda.get_device_name(0)
    for family, config, size in (("sd1", "sd15", 512), ("sdxl", "sdxl", 1024)):
        with tempfile.TemporaryDirectory() as tmp:
            os.environ.setdefault("PROMPTLAB_HOME", tmp)
            root = Path(tmp) / "models"
            raw_pipe = _random_pipeline(family, config)
            _save_checkpoint(raw_pipe, family, root / "Stable-diffusion" / f"{config}.safetensors")
            raw_pipe.to("cuda")  # diffusers defaults: fp32, default attention, no channels_last
            raw_pipe.set_progress_bar_config(disable=True)
            backend = DiffusersBackend(root, device="cuda", dtype="fp16")
            for batch in (1, 4):
                params = GenerationParams(prompt="a photo of a cat", steps=steps, width=size, height=size, seed=1,
                                          sampler="Euler", batch_size=batch, model=config)

                def raw() -> None:
                    raw_pipe(params.prompt, num_inference_steps=steps, width=size, height=size,
                             num_images_per_prompt=batch, generator=torch.Generator("cpu").manual_seed(1))
                    torch.cuda.synchronize()

                def ours() -> None:
                    backend.generate(params)
                    torch.cuda.synchronize()

                raw()
                ours()
                if compile_unet:
                    pipe = backend.manager.get(backend.manager_source(config)).pipe
                    pipe.unet = torch.compile(pipe.unet, mode="max-autotune-no-cudagraphs")
                    ours()
                raw_s, ours_s = _median_time(raw, repeats), _median_time(ours, repeats)
                print(f"[gpu] {card}: {config} {size}x{size} {steps} steps batch {batch}: raw diffusers "
                      f"{steps / raw_s:.2f} it/s, promptlab {steps / ours_s:.2f} it/s, speed-up {raw_s / ours_s:.2f}x "
                      "(goal >= 1.3x)")
            backend.close()
            del raw_pipe
            torch.cuda.empty_cache()


def _random_pipeline(family: str, config: str):
    from diffusers import AutoencoderKL, EulerDiscreteScheduler, UNet2DConditionModel
    from diffusers import StableDiffusionPipeline, StableDiffusionXLPipeline
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection, CLIPTokenizer

    from promptlab.backend.model_configs import config_folder, read_config

    folder = config_folder(config)
    parts = {
        "unet": UNet2DConditionModel.from_config(read_config(config, "unet")),
        "vae": AutoencoderKL.from_config(read_config(config, "vae")),
        "text_encoder": CLIPTextModel(CLIPTextConfig(**read_config(config, "text_encoder"))),
        "tokenizer": CLIPTokenizer.from_pretrained(folder / "tokenizer"),
        "scheduler": EulerDiscreteScheduler.from_config(read_config(config, "scheduler")),
    }
    if family == "sdxl":
        parts["text_encoder_2"] = CLIPTextModelWithProjection(CLIPTextConfig(**read_config(config, "text_encoder_2")))
        parts["tokenizer_2"] = CLIPTokenizer.from_pretrained(folder / "tokenizer_2")
        return StableDiffusionXLPipeline(**parts)
    return StableDiffusionPipeline(**parts, safety_checker=None, feature_extractor=None, requires_safety_checker=False)


def _save_checkpoint(pipe, family: str, path: Path) -> None:
    import torch
    from safetensors.torch import save_file

    from promptlab.backend.ldm_keys import pipeline_to_ldm

    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.to(torch.float16) for k, v in pipeline_to_ldm(pipe.components, family).items()}
    save_file(state, str(path))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=128, help="CPU image size (default 128)")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--compile", action="store_true", help="GPU: also torch.compile the UNet")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--cpu-only", action="store_true")
    group.add_argument("--gpu-only", action="store_true")
    args = parser.parse_args()
    if not args.gpu_only:
        cpu_section(args.size, args.steps, args.repeats)
    if not args.cpu_only:
        gpu_section(args.steps, args.repeats, args.compile)


if __name__ == "__main__":
    main()

"""Time to build the conditioning of a ~300-token weighted prompt: promptlab vs diffusers' encode_prompt.

- promptlab: ``build_conditioning`` — A1111 parsing, 75-token windows with comma backtrack, weights
  (Original emphasis), the negative prompt, padding; every window encoded.
- diffusers: ``pipe.encode_prompt`` of the same text with CFG — it truncates to 77 tokens and ignores
  the weights, so it encodes one window per prompt (the baseline does less work).

Text encoders: the tiny SD1 one (2 layers, width 32) and an SD1.5-sized one (the real CLIP ViT-L/14
text config, 12 layers, width 768, random weights). One torch thread.

    .venv/bin/python benchmarks/bench_conditioning.py [--repeats 20] [--threads 1] [--skip-large]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

PROMPT = ", ".join(
    f"({tag}:1.{i % 4 + 1})" if i % 3 == 0 else (f"[{tag}]" if i % 5 == 0 else tag)
    for i, tag in enumerate(
        ("masterpiece best_quality 1girl solo long_hair looking_at_viewer smile blue_eyes blonde_hair "
         "school_uniform outdoors cherry_blossoms wind sunlight depth_of_field bokeh detailed_background "
         "red_ribbon pleated_skirt white_shirt holding_book standing from_side upper_body petals "
         "blue_sky cloud spring tree building street scenery lens_flare film_grain ").split() * 3
    )
)
NEGATIVE = "lowres, bad anatomy, bad hands, (worst quality:1.4), (low quality:1.4), jpeg artifacts, signature"


def timed(fn, repeats: int) -> float:
    fn()  # warm-up
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def make_pipe(text_encoder_config: dict | None):
    from diffusers import EulerDiscreteScheduler, StableDiffusionPipeline
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    from promptlab import tokens
    from promptlab.backend.model_configs import read_config
    from promptlab.backend.tiny import build_tiny_components

    comps = build_tiny_components("sd1")
    if text_encoder_config is not None:
        comps["text_encoder"] = CLIPTextModel(CLIPTextConfig(**text_encoder_config)).eval()
    tok_dir = Path(tempfile.mkdtemp()) / "tokenizer"
    return StableDiffusionPipeline(
        vae=comps["vae"], text_encoder=comps["text_encoder"],
        tokenizer=CLIPTokenizer.from_pretrained(tokens.write_hf_tokenizer(tok_dir)), unet=comps["unet"],
        scheduler=EulerDiscreteScheduler.from_config(read_config("tiny-sd1", "scheduler")),
        safety_checker=None, feature_extractor=None, requires_safety_checker=False,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--skip-large", action="store_true", help="only the tiny text encoder")
    args = parser.parse_args()

    import torch

    from promptlab import tokens
    from promptlab.backend.conditioning import build_conditioning
    from promptlab.backend.model_configs import read_config

    torch.set_num_threads(args.threads)
    import diffusers
    import transformers

    diffusers.utils.logging.set_verbosity_error()  # the baseline logs a truncation warning per call
    transformers.utils.logging.set_verbosity_error()
    report = tokens.count_prompt_tokens(PROMPT)
    print(f"prompt: {len(PROMPT)} characters, {report.counter} tokens "
          f"({len(report.variants[0].report.chunks)} windows); negative {tokens.count_prompt_tokens(NEGATIVE).counter}")
    rows = [("tiny SD1 text encoder (2 layers, width 32)", None)]
    if not args.skip_large:
        rows.append(("SD1.5-size text encoder (12 layers, width 768)", read_config("sd15", "text_encoder")))
    for label, config in rows:
        pipe = make_pipe(config)
        with torch.no_grad():
            ours = timed(lambda: build_conditioning(pipe, PROMPT, NEGATIVE, steps=20), args.repeats)
            base = timed(lambda: pipe.encode_prompt(PROMPT, "cpu", 1, True, NEGATIVE), args.repeats)
        print(f"{label}:")
        print(f"  promptlab build_conditioning (all windows, weighted): {ours * 1000:8.1f} ms")
        print(f"  diffusers encode_prompt (truncated to 77, unweighted): {base * 1000:8.1f} ms")
        print(f"  ratio promptlab / diffusers: {ours / base:.2f}x")


if __name__ == "__main__":
    main()

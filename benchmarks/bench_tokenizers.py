"""Per-encoder tokenization: promptlab's CLIP-L ("a1111") and OpenCLIP ("open_clip") tokenizers against
open_clip's own Python ``SimpleTokenizer`` (the baseline, what A1111 runs for SD2 / SDXL-G), and the cost
of counting SDXL's two encoders instead of one.

Prompts: 30 random Danbooru tags each from ``shared/data/tagcomplete/danbooru.csv`` (falls back to a
fixed tag list when absent), a tenth of them with HTML entities and full-width punctuation (the slow,
non-ASCII path). Each tokenizer's cache is cleared before a timed pass, so every prompt is encoded cold.

    .venv/bin/python benchmarks/bench_tokenizers.py [--prompts 2000]
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import statistics
import time
from pathlib import Path

FALLBACK = ("1girl solo long_hair smile blue_eyes blonde_hair school_uniform outdoors cherry_blossoms wind "
            "sunlight depth_of_field bokeh red_ribbon pleated_skirt white_shirt holding_book petals").split()


def tags() -> list[str]:
    shared = Path(os.environ.get("PROMPTLAB_SHARED", Path(__file__).resolve().parents[2] / "shared"))
    path = shared / "data" / "tagcomplete" / "danbooru.csv"
    if not path.is_file():
        return FALLBACK
    with path.open(encoding="utf-8") as handle:
        return [row[0] for _, row in zip(range(20000), csv.reader(handle)) if row]


def prompts(n: int) -> list[str]:
    rng = random.Random(0)
    pool = tags()
    out = []
    for i in range(n):
        text = ", ".join(t.replace("_", " ") for t in rng.sample(pool, 30))
        if i % 10 == 0:
            text = text.replace(", ", " &amp; ", 3).replace(", ", "，", 3) + " &copy 2024"
        out.append(text)
    return out


def timed(fn, repeats: int = 3) -> float:
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--prompts", type=int, default=2000)
    args = parser.parse_args()

    from open_clip.tokenizer import SimpleTokenizer

    from promptlab.tokens import count_prompt_tokens, count_tokens_per_encoder, get_tokenizer

    texts = prompts(args.prompts)
    ours = {norm: get_tokenizer(norm) for norm in ("a1111", "open_clip")}

    def run_ours(norm: str):
        tok = ours[norm]
        tok._cached.cache_clear()  # cold, like the fresh baseline: no prompt-level nor word-level cache hits
        tok._word.cache_clear()
        for text in texts:
            tok.encode(text)

    def run_open_clip():
        baseline = SimpleTokenizer()  # fresh: empty BPE cache, as ours after cache_clear
        for text in texts:
            baseline.encode(text)

    base = timed(run_open_clip)
    print(f"{len(texts)} prompts of 30 tags (10% with HTML entities / full-width commas)")
    print(f"open_clip SimpleTokenizer (baseline)  {base * 1e3:8.1f} ms  {base / len(texts) * 1e6:7.1f} us/prompt")
    for norm in ours:
        seconds = timed(lambda n=norm: run_ours(n))
        print(f"promptlab {norm:<10}                 {seconds * 1e3:8.1f} ms  {seconds / len(texts) * 1e6:7.1f} "
              f"us/prompt  {base / seconds:5.1f}x faster than the baseline")
    sample = texts[: max(1, len(texts) // 10)]
    one = timed(lambda: [count_prompt_tokens(t) for t in sample])
    two = timed(lambda: [count_tokens_per_encoder(t, model_type="sdxl") for t in sample])
    print(f"token counter, {len(sample)} prompts: one encoder {one * 1e3:.1f} ms, SDXL's two {two * 1e3:.1f} ms "
          f"({two / one:.2f}x)")


if __name__ == "__main__":
    main()

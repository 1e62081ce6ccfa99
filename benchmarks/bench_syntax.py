"""Prompt-language throughput: attention parsing, schedules, token chunking (prompts/s).

Baselines in the same run: A1111's own implementations (promptlab.syntax.reference): its regex
``parse_prompt_attention`` and its lark Earley grammar for schedules. Also prints how many of the
prompts the fast schedule parser handed to the lark fallback.
Usage: python benchmarks/bench_syntax.py [N] [BASELINE_N]
"""

from __future__ import annotations

import csv
import os
import random
import sys
import time
from pathlib import Path

from promptlab.syntax.a1111 import get_learned_conditioning_prompt_schedules, parse_prompt_attention

FALLBACK_TAGS = ["1girl", "solo", "long_hair", "smile", "blue_eyes", "hat", "outdoors", "sky", "dress",
                 "looking_at_viewer", "hatsune_miku", "saber_(fate)", "cherry_blossoms", "night", "city"]


def load_tags() -> list[str]:
    shared = Path(os.environ.get("PROMPTLAB_SHARED", Path(__file__).resolve().parents[2] / "shared"))
    path = shared / "data" / "tagcomplete" / "danbooru.csv"
    if not path.exists():
        return FALLBACK_TAGS
    with path.open(encoding="utf-8") as f:
        return [row[0] for row, _ in zip(csv.reader(f), range(20_000)) if row]


def make_prompts(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    tags = [t.replace("_", " ").replace("(", "\\(").replace(")", "\\)") for t in load_tags()]
    templates = ["{t}", "({t}:{w})", "(({t}))", "[{t}]", "[{t}:{u}:{f}]", "[{t}|{u}]", "{t} BREAK", "({t})"]
    prompts = []
    for _ in range(n):
        parts = ["masterpiece", "best quality"]
        for _ in range(rng.randint(8, 30)):
            tpl = rng.choices(templates, weights=[60, 10, 6, 5, 3, 2, 1, 8])[0]
            parts.append(tpl.format(t=rng.choice(tags), u=rng.choice(tags), w=round(rng.uniform(0.5, 1.5), 2),
                                    f=round(rng.uniform(0.1, 0.9), 2)))
        if rng.random() < 0.2:
            parts.append(f"<lora:style_{rng.randint(1, 9)}:0.{rng.randint(3, 9)}>")
        prompts.append(", ".join(parts))
    return prompts


def rate(fn, prompts) -> float:
    start = time.perf_counter()
    for p in prompts:
        fn(p)
    return len(prompts) / (time.perf_counter() - start)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    baseline_n = int(sys.argv[2]) if len(sys.argv) > 2 else 2_000
    prompts = make_prompts(n)
    print(f"{n} prompts, mean {sum(map(len, prompts)) / n:.0f} chars")
    from promptlab.syntax._schedule_parser import analyze_fast
    from promptlab.syntax.reference import parse_prompt_attention_reference

    attention = rate(parse_prompt_attention, prompts)
    attention_a1111 = rate(parse_prompt_attention_reference, prompts)
    schedules = rate(lambda p: get_learned_conditioning_prompt_schedules([p], 30), prompts)
    fallback = sum(1 for p in prompts if "[" in p and not analyze_fast(p)[3])
    print(f"attention parsing   {attention:10,.0f} prompts/s   (goal >= 20,000)")
    print(f"attention (A1111)   {attention_a1111:10,.0f} prompts/s   A1111's regex function, same prompts")
    print(f"ratio attention promptlab / A1111: {attention / attention_a1111:.2f}x   (goal >= 1)")
    print(f"schedules           {schedules:10,.0f} prompts/s   (goal >= 5,000); "
          f"{fallback} of {n} prompts needed the lark fallback")
    try:
        from promptlab.syntax.reference import schedules_reference

        schedules_reference(["warm [up:0.5]"], 30)
        lark_rate = rate(lambda p: schedules_reference([p], 30), prompts[:baseline_n])
        print(f"schedules (lark)    {lark_rate:10,.0f} prompts/s   on the first {baseline_n} prompts")
        print(f"ratio schedules promptlab / lark: {schedules / lark_rate:.1f}x")
    except ImportError as exc:
        print(f"lark baseline skipped: {exc}")
    try:
        from promptlab.tokens import chunk_prompt
    except ImportError:
        print("token chunking      skipped (promptlab.tokens not available)")
    else:
        chunk_prompt(prompts[0])
        tokens = rate(chunk_prompt, prompts[: min(n, 2_000)])
        print(f"token chunking      {tokens:10,.0f} prompts/s   on {min(n, 2_000)} prompts")


if __name__ == "__main__":
    main()

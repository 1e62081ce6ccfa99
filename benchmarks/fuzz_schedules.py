"""Differential fuzzer: promptlab's A1111 functions against A1111's own implementations.

Random prompts nesting every construct (tests/syntax/fuzz.py) go through
``get_learned_conditioning_prompt_schedules`` (fast parser + lark fallback) and through
``promptlab.syntax.reference.schedules_reference`` (A1111's lark grammar, visitor and
transformer); ``parse_prompt_attention`` and ``get_multicond_prompt_list`` are compared with
A1111's regex implementations on the same prompts. Every divergence is printed and written as
a JSON line (to --out), ready to become a named regression case in tests/syntax/test_fuzz.py.

Usage: python benchmarks/fuzz_schedules.py [--count 200000] [--seed 0] [--jobs 2] [--out FILE]
The lark reference costs ~10-100 ms per prompt here (2-core CPU), so 200,000 prompts take hours
on one core; --jobs splits the seeds over processes.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "syntax"))

from fuzz import random_args, random_prompt  # noqa: E402

from promptlab.errors import InvalidInputError  # noqa: E402
from promptlab.syntax._lark_fallback import _SPECIAL, MAX_FALLBACK_WORK  # noqa: E402
from promptlab.syntax._schedule_parser import analyze_fast  # noqa: E402
from promptlab.syntax.a1111 import (  # noqa: E402
    get_learned_conditioning_prompt_schedules,
    get_multicond_prompt_list,
    parse_prompt_attention,
)
from promptlab.syntax.reference import (  # noqa: E402
    multicond_reference,
    parse_prompt_attention_reference,
    schedules_reference,
)

CRASH = "crash"  # A1111 raises (ValueError/OverflowError); promptlab must raise InvalidInputError


def outcome(fn, *args):
    try:
        return fn(*args)
    except InvalidInputError:
        return CRASH
    except (ValueError, OverflowError) as exc:
        if isinstance(exc, InvalidInputError):
            return CRASH
        return CRASH if fn in (schedules_reference, parse_prompt_attention_reference) else f"raw {exc!r}"


def over_bound(prompt: str) -> bool:
    """Whether promptlab refuses this prompt on purpose (lark fallback too slow: a clear error)."""
    return not analyze_fast(prompt)[3] and len(prompt) * (len(_SPECIAL.findall(prompt)) + 1) > MAX_FALLBACK_WORK


def check(prompt: str, args: tuple) -> list[str]:
    """Names of the functions on which promptlab and A1111 disagree for this prompt."""
    bad = []
    if over_bound(prompt):
        bad.append("bounded")  # counted apart: promptlab says why instead of waiting seconds
    elif outcome(get_learned_conditioning_prompt_schedules, [prompt], *args) != outcome(
            schedules_reference, [prompt], *args):
        bad.append("schedules")
    if outcome(parse_prompt_attention, prompt) != outcome(parse_prompt_attention_reference, prompt):
        bad.append("attention")
    if get_multicond_prompt_list([prompt]) != multicond_reference([prompt]):
        bad.append("multicond")
    return bad


def work(job: tuple[int, int]) -> tuple[int, int, int, list[dict]]:
    seed, count = job
    rng = random.Random(seed)
    found, fallback, bounded = [], 0, 0
    for _ in range(count):
        prompt, args = random_prompt(rng), random_args(rng)
        if "[" in prompt and not analyze_fast(prompt)[3]:
            fallback += 1
        bad = check(prompt, args)
        if "bounded" in bad:
            bounded += 1
            bad.remove("bounded")
        if bad:
            found.append({"prompt": prompt, "args": list(args), "functions": bad})
    return count, fallback, bounded, found


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--chunk", type=int, default=500, help="prompts per work unit (progress granularity)")
    ap.add_argument("--out", type=Path, default=None, help="append divergences here as JSON lines")
    opts = ap.parse_args()
    jobs = [(opts.seed * 1_000_003 + i, min(opts.chunk, opts.count - i * opts.chunk))
            for i in range((opts.count + opts.chunk - 1) // opts.chunk)]
    start = time.perf_counter()
    done = fallback = bounded = divergences = 0
    with multiprocessing.Pool(opts.jobs) as pool:
        for count, fb, bd, found in pool.imap_unordered(work, jobs):
            done += count
            fallback += fb
            bounded += bd
            divergences += len(found)
            for item in found:
                print("DIVERGENCE", json.dumps(item, ensure_ascii=False), flush=True)
                if opts.out:
                    with opts.out.open("a", encoding="utf-8") as f:
                        f.write(json.dumps(item, ensure_ascii=False) + "\n")
            elapsed = time.perf_counter() - start
            print(f"{done:>8,} prompts  {divergences} divergences  {fallback:,} via lark fallback  "
                  f"{bounded} over the fallback bound  {elapsed:,.0f} s  ({done / elapsed:,.1f} prompts/s)", flush=True)
    print(f"done: {done:,} prompts, {divergences} divergences, {time.perf_counter() - start:,.0f} s")


if __name__ == "__main__":
    main()

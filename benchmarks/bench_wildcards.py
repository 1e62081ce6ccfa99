"""Expansions per second for a 3-level nested template, promptlab.wildcards vs raw dynamicprompts.

Level 1: the template's variants and a wildcard; level 2: that wildcard's lines hold variants and a
second wildcard; level 3: the second wildcard's lines hold variants again. The baseline is the
dynamicprompts generator called directly (no missing-wildcard / loop / size checks), in the same run.

    .venv/bin/python benchmarks/bench_wildcards.py [--count 2000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

TEMPLATE = "{masterpiece|best quality}, 1girl, __outfit__, {smile|frown|open mouth}, {day|night} sky"


def make_wildcards(root: Path) -> None:
    (root / "outfit.txt").write_text(
        "\n".join(f"{{red|blue|black}} {garment}, __accessory__" for garment in ("dress", "hoodie", "kimono", "coat")),
        encoding="utf-8",
    )
    (root / "accessory.txt").write_text(
        "\n".join(f"{{small|large}} {item}" for item in ("hat", "ribbon", "glasses", "earrings", "scarf")),
        encoding="utf-8",
    )


def timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=2000)
    args = parser.parse_args()

    from dynamicprompts.generators import CombinatorialPromptGenerator, RandomPromptGenerator
    from dynamicprompts.wildcards import WildcardManager

    from promptlab.wildcards import count_combinations, expand, WildcardSource

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_wildcards(root)
        source = WildcardSource.from_paths(root)
        total = count_combinations(TEMPLATE, wildcards=source)
        print(f"template: {TEMPLATE}")
        print(f"combinations: {total:,}")

        expand(TEMPLATE, count=10, seed=0, wildcards=source)  # warm caches
        manager = WildcardManager(root)
        raw_random = RandomPromptGenerator(manager)
        raw_random.generate(TEMPLATE, 10, seeds=list(range(10)))

        n = args.count
        seeds = list(range(n))
        t_raw, raw = timed(lambda: raw_random.generate(TEMPLATE, n, seeds=seeds))
        t_ours, ours = timed(lambda: expand(TEMPLATE, count=n, seed=0, wildcards=source))
        assert [e.prompt for e in ours] == raw, "promptlab and dynamicprompts disagree for the same seeds"
        print(f"random mode, {n} prompts:")
        print(f"  dynamicprompts (baseline): {n / t_raw:10.0f} expansions/s")
        print(f"  promptlab.wildcards:       {n / t_ours:10.0f} expansions/s  (ratio {t_raw / t_ours:.2f}x)")

        raw_combo = CombinatorialPromptGenerator(manager)
        t_raw_c, raw_c = timed(lambda: raw_combo.generate(TEMPLATE, max_prompts=total))
        t_ours_c, ours_c = timed(lambda: expand(TEMPLATE, combinatorial=True, max_count=total, wildcards=source))
        assert len(ours_c) == len(raw_c) == total
        print(f"combinatorial mode, all {total} prompts:")
        print(f"  dynamicprompts (baseline): {total / t_raw_c:10.0f} expansions/s")
        print(f"  promptlab.wildcards:       {total / t_ours_c:10.0f} expansions/s  (ratio {t_raw_c / t_ours_c:.2f}x)")


if __name__ == "__main__":
    main()

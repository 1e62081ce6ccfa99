"""Tag database benchmark: import, size, memory, search latency vs a naive rapidfuzz baseline.

    .venv/bin/python benchmarks/bench_tagdb.py [--shared ../shared] [--queries 2000] [--baseline-every 10]

Uses the full Danbooru 2025-05-01 list (150,661 tags) and BooruTagCart's Chinese names from
../shared/data. Queries (1-15 characters, fixed seed): prefixes of tags drawn by popularity, typos
(one edit in a popular tag), Chinese (prefixes/substrings of labels) and pinyin (full and initials).
The baseline is ``rapidfuzz.process.extract(query, all names and aliases, scorer=WRatio, limit=5)``,
run on every Nth query (it takes ~150 ms a query); the speed ratio compares the same queries.
Top-5 agreement = mean share of the baseline's top 5 that tagdb's top 5 also returns (for Chinese
queries the baseline, which sees no Chinese, cannot agree; reported per kind).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import tagdb  # noqa: E402
from tagdb.normalize import pinyin, pinyin_keys, search_key  # noqa: E402

LIST = "data/danbooru_lists/danbooru_2025-05-01_pt25-ia-dd.csv"
ZH = "data/zh/boorutagcart_danbooru_zh_reference.csv"


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def make_queries(index, n: int, seed: int = 1) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    table = index.table
    popular = sorted(range(len(table.names)), key=lambda i: -int(table.post_counts[i]))[:20_000]
    weights = [1.0 / (rank + 10) for rank in range(len(popular))]
    labels = [text for i in popular[:10_000] for lang, text in table.translations.get(i, ()) if lang == "zh"]
    letters = "abcdefghijklmnopqrstuvwxyz"
    out: list[tuple[str, str]] = []
    while len(out) < n:
        kind = rng.choices(["prefix", "typo", "chinese", "pinyin"], [40, 20, 25, 15])[0]
        name = table.names[rng.choices(popular, weights)[0]]
        if kind == "prefix":
            q = name[: rng.randint(1, min(15, len(name)))]
        elif kind == "typo":
            if len(name) < 4:
                continue
            s = list(name[:15])
            j = rng.randrange(1, len(s) - 1)
            op = rng.randrange(3)
            if op == 0:
                s[j], s[j + 1] = s[j + 1], s[j]
            elif op == 1:
                del s[j]
            else:
                s.insert(j, rng.choice(letters))
            q = "".join(s)
        elif kind == "chinese":
            text = rng.choice(labels)
            start = rng.randrange(len(text)) if rng.random() < 0.3 else 0
            q = text[start: start + rng.randint(1, 4)]
        else:
            full, initials = pinyin_keys(pinyin(rng.choice(labels)))
            if not full:
                continue
            q = initials if rng.random() < 0.3 and len(initials) >= 2 else full[: rng.randint(2, 12)]
        q = q.strip()
        if 1 <= len(q) <= 15:
            out.append((kind, q))
    return out


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--baseline-every", type=int, default=10, help="run the naive baseline on every Nth query")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start")
    if not (args.shared / LIST).is_file():
        print(f"shared data not found under {args.shared}; pass --shared", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "tags.sqlite"
        # Import in a child process, so this process's RSS shows the search index alone.
        code = (
            "import json, sys, time, tagdb\n"
            "t0 = time.perf_counter(); r1 = tagdb.import_file(sys.argv[1], 'autocomplete', db=sys.argv[3])\n"
            "t1 = time.perf_counter(); r2 = tagdb.import_file(sys.argv[2], 'translations', db=sys.argv[3])\n"
            "t2 = time.perf_counter()\n"
            "print(json.dumps([t1 - t0, t2 - t1, r1.tags_added, r1.aliases, r2.translations]))\n"
        )
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        out = subprocess.run([sys.executable, "-c", code, str(args.shared / LIST), str(args.shared / ZH), str(db_path)],
                             capture_output=True, text=True, check=True, cwd=REPO)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        child_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        t_list, t_zh, n_tags, n_aliases, n_zh = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"import: tag list {t_list:.2f} s ({n_tags:,} tags, {n_aliases:,} aliases), Chinese names "
              f"{t_zh:.2f} s ({n_zh:,} rows, pinyin included); total {t_list + t_zh:.2f} s wall, "
              f"{child_cpu:.2f} s CPU incl. interpreter start (goal <= 10 s)")
        print(f"database size: {db_path.stat().st_size / 1e6:.1f} MB")

        rss0 = rss_mb()
        db = tagdb.open_db(db_path, readonly=True)
        t3, c3 = time.perf_counter(), time.process_time()
        index = db.index()
        t4, c4 = time.perf_counter(), time.process_time()
        print(f"index build: {t4 - t3:.2f} s wall, {c4 - c3:.2f} s CPU; {len(index.keys):,} prefix rows, {len(index.word_keys):,} word "
              f"suffixes, {len(index.trans.keys):,} Chinese labels")
        queries = make_queries(index, args.queries)
        db.search("warm up")
        times, cpu_times, by_kind = [], [], {}
        results = {}
        for kind, q in queries:
            s, c = time.perf_counter(), time.thread_time()
            hits = db.search(q, limit=10)
            dt = (time.perf_counter() - s) * 1000
            cpu_times.append((time.thread_time() - c) * 1000)
            times.append(dt)
            by_kind.setdefault(kind, []).append(dt)
            results[q] = [h.tag.name for h in hits[:5]]
        rss1 = rss_mb()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"RSS: {rss0:.0f} MB before the index, {rss1:.0f} MB with it loaded (goal <= 300 MB), "
              f"peak {peak:.0f} MB")
        print(f"tagdb search over {len(queries):,} queries: p50 {pct(times, 50):.2f} ms, p95 {pct(times, 95):.2f} ms, "
              f"p99 {pct(times, 99):.2f} ms (goal <= 10 ms), max {max(times):.2f} ms, mean {statistics.mean(times):.2f} ms")
        print(f"  same, CPU time of the searching thread (what a less loaded machine would see as wall time): "
              f"p50 {pct(cpu_times, 50):.2f} ms, p99 {pct(cpu_times, 99):.2f} ms")
        for kind, ts in sorted(by_kind.items()):
            print(f"  {kind:<8} n={len(ts):<5} p50 {pct(ts, 50):.2f} ms  p99 {pct(ts, 99):.2f} ms")

        t5, c5 = time.perf_counter(), time.process_time()
        reloaded = tagdb.open_db(db_path, readonly=True).index()
        t6, c6 = time.perf_counter(), time.process_time()
        assert reloaded.loaded_from_cache
        cache_file = db_path.with_name(f"{db_path.name}.danbooru.index.npz")
        print(f"index load from its cache file ({cache_file.stat().st_size / 1e6:.0f} MB, next start of the app): "
              f"{t6 - t5:.2f} s wall, {c6 - c5:.2f} s CPU")
        del reloaded
        # Baseline: naive rapidfuzz over every name and alias
        from rapidfuzz import fuzz, process

        choices, owners = [], []
        for i, name in enumerate(index.table.names):
            for text in (name, *index.table.aliases.get(i, ())):
                choices.append(search_key(text))
                owners.append(name)
        sample = queries[:: args.baseline_every]
        base_times, fast_times, agree = [], [], {}
        for kind, q in sample:
            c = time.thread_time()
            found = process.extract(search_key(q), choices, scorer=fuzz.WRatio, limit=15)
            base_times.append((time.thread_time() - c) * 1000)
            c = time.thread_time()
            db.search(q, limit=10)
            fast_times.append((time.thread_time() - c) * 1000)
            top5: list[str] = []
            for _, _, j in found:
                if owners[j] not in top5:
                    top5.append(owners[j])
            top5 = top5[:5]
            if top5:
                agree.setdefault(kind, []).append(len(set(top5) & set(results[q])) / len(top5))
        print(f"baseline rapidfuzz.process.extract(WRatio) over {len(choices):,} names+aliases, {len(sample)} queries "
              f"(CPU time): "
              f"p50 {pct(base_times, 50):.1f} ms, p99 {pct(base_times, 99):.1f} ms, mean {statistics.mean(base_times):.1f} ms")
        print(f"speed ratio (baseline / tagdb, same queries, CPU time): mean {statistics.mean(base_times) / statistics.mean(fast_times):.0f}x, "
              f"p50 {pct(base_times, 50) / pct(fast_times, 50):.0f}x")
        overall = [a for v in agree.values() for a in v]
        print(f"load average at the end: {os.getloadavg()[0]:.1f}")
        print(f"top-5 agreement with the baseline: {statistics.mean(overall):.0%} overall; "
              + ", ".join(f"{k} {statistics.mean(v):.0%}" for k, v in sorted(agree.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Tag database benchmark: import, size, memory, search latency, and search quality per query class
against two baselines run in the same process on the same queries.

    .venv/bin/python benchmarks/bench_tagdb.py [--shared ../shared] [--per-class 200] [--db KEEP.sqlite]
        [--misses | --show-misses]   # per class: the misses a baseline hits | every miss

Uses the full Danbooru 2025-05-01 list (150,661 tags) and BooruTagCart's Chinese names from
../shared/data (``--db`` keeps the imported database at that path and reuses it on the next run).
Queries are derived from the data (``tagdb.evaluate``: prefix, inner word, one-letter typo, alias,
Chinese name, pinyin; fixed seed, popular tags drawn more often); a query hits when the tag it was
derived from is among the first five results. Baselines:

* naive rapidfuzz: ``process.extract(query, every name, alias, Chinese label and full pinyin (the
  same pinyin keys as tagdb's, letters kept for mixed labels), scorer=WRatio)``, hits ranked by score
  then post count;
* tagcomplete-like: tags whose name or an alias has a word starting with the query (or whose Chinese
  label contains it), by post count: the rule of a1111-sd-webui-tagcomplete.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import tagdb  # noqa: E402
from tagdb.evaluate import CLASSES, derive_queries, hit_rates  # noqa: E402
from tagdb.index import LEVEL_PINYIN, alt_pinyin_keys, label_typed_key  # noqa: E402
from tagdb.normalize import has_cjk, pinyin_keys, search_key, split_stored_pinyin  # noqa: E402

LIST = "data/danbooru_lists/danbooru_2025-05-01_pt25-ia-dd.csv"
ZH = "data/zh/boorutagcart_danbooru_zh_reference.csv"


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


class TagcompleteRule:
    """Word-start match on names and aliases (substring on Chinese labels), ranked by post count."""

    def __init__(self, index):
        table = index.table
        latin, zh = [], []
        for i, name in enumerate(table.names):
            latin.append("\t".join((name, *table.aliases.get(i, ()))).lower())
            zh.append("\t".join(text for lang, text in table.translations.get(i, ()) if lang == "zh"))
        self.latin, self.latin_starts = self._join(latin)
        self.zh, self.zh_starts = self._join(zh)
        self.pops = np.maximum(table.post_counts, 0)

    @staticmethod
    def _join(lines: list[str]) -> tuple[str, np.ndarray]:
        starts = np.cumsum([0] + [len(x) + 1 for x in lines[:-1]])
        return "\n".join(lines) + "\n", starts

    def top5(self, query: str) -> list[int]:
        q = query.strip().lower()
        if has_cjk(q):
            text, starts, pattern = self.zh, self.zh_starts, re.escape(q)
        else:
            text, starts = self.latin, self.latin_starts
            pattern = r"(?:^|[\t_])" + re.escape(q.replace(" ", "_"))
        offsets = [m.start() for m in re.finditer(pattern, text, re.MULTILINE)]
        if not offsets:
            return []
        tags = np.unique(np.searchsorted(starts, np.asarray(offsets), side="right") - 1)
        return tags[np.argsort(-self.pops[tags], kind="stable")][:5].tolist()


class RapidfuzzScan:
    def __init__(self, index, pinyins: dict):
        table = index.table
        self.choices, self.owners = [], []
        for i, name in enumerate(table.names):
            texts = [name, *table.aliases.get(i, ())]
            for lang, text in table.translations.get(i, ()):
                if lang == "zh" and has_cjk(text):
                    texts.append(text)
                    # the same full pinyin keys as tagdb's (瓶Miku: ping, pingmiku; 角色扮演: jiaose..., juese...)
                    syllables, alt = split_stored_pinyin(pinyins.get((i, text), ""))
                    if syllables:
                        full, initials = pinyin_keys(syllables)
                        typed = label_typed_key(text, syllables)
                        texts += [full] + ([typed] if typed else []) + \
                            [key for level, key in alt_pinyin_keys(alt, full, initials, typed) if level == LEVEL_PINYIN]
            for text in texts:
                self.choices.append(search_key(text))
                self.owners.append(i)
        self.pops = np.maximum(table.post_counts, 0)

    def top5(self, query: str) -> list[int]:
        from rapidfuzz import fuzz, process

        found = process.extract(search_key(query), self.choices, scorer=fuzz.WRatio, limit=50)
        best: dict[int, float] = {}
        for _, score, j in found:
            best[self.owners[j]] = max(best.get(self.owners[j], 0.0), score)
        return sorted(best, key=lambda i: (-best[i], -int(self.pops[i])))[:5]


def pinyins_of(path: Path, index) -> dict[tuple[int, str], str]:
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        return {(index.tag_by_name[n], t): p for n, t, p in conn.execute("SELECT name, text, pinyin FROM translations")
                if n in index.tag_by_name and p}
    finally:
        conn.close()


def import_db(shared: Path, db_path: Path) -> None:
    # Import in a child process, so this process's RSS shows the search index alone.
    code = (
        "import json, sys, time, tagdb\n"
        "t0 = time.perf_counter(); r1 = tagdb.import_file(sys.argv[1], 'autocomplete', db=sys.argv[3])\n"
        "t1 = time.perf_counter(); r2 = tagdb.import_file(sys.argv[2], 'translations', db=sys.argv[3])\n"
        "t2 = time.perf_counter()\n"
        "print(json.dumps([t1 - t0, t2 - t1, r1.tags_added, r1.aliases, r2.translations]))\n"
    )
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run([sys.executable, "-c", code, str(shared / LIST), str(shared / ZH), str(db_path)],
                         capture_output=True, text=True, check=True, cwd=REPO)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    child_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    t_list, t_zh, n_tags, n_aliases, n_zh = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"import: tag list {t_list:.2f} s ({n_tags:,} tags, {n_aliases:,} aliases), Chinese names "
          f"{t_zh:.2f} s ({n_zh:,} rows, pinyin included); total {t_list + t_zh:.2f} s wall, "
          f"{child_cpu:.2f} s CPU incl. interpreter start (goal <= 10 s)")


def run(args: argparse.Namespace, db_path: Path) -> None:
    if not db_path.is_file():
        import_db(args.shared, db_path)
    print(f"database size: {db_path.stat().st_size / 1e6:.1f} MB")
    rss0 = rss_mb()
    db = tagdb.open_db(db_path, readonly=True)
    t3, c3 = time.perf_counter(), time.process_time()
    index = db.index()
    t4, c4 = time.perf_counter(), time.process_time()
    print(f"index {'load from cache' if index.loaded_from_cache else 'build'}: {t4 - t3:.2f} s wall, "
          f"{c4 - c3:.2f} s CPU; {len(index.keys):,} prefix rows, {len(index.word_keys):,} word suffixes, "
          f"{len(index.trans.keys):,} Chinese labels; RSS {rss0:.0f} -> {rss_mb():.0f} MB (goal <= 300 MB)")

    queries = derive_queries(index.table, args.per_class, seed=args.seed)
    for q in ("warm up", "s", "blnde hair", "长发", "changfa"):  # first-call costs of each stage
        db.search(q)
    times, cpu_times, by_kind, results = [], [], {}, {}
    for dq in queries:
        s, c = time.perf_counter(), time.thread_time()
        hits = index.search(dq.query, limit=10, categories=None, langs=None, score_cutoff=None)
        dt = (time.perf_counter() - s) * 1000
        cpu_times.append((time.thread_time() - c) * 1000)
        times.append(dt)
        by_kind.setdefault(dq.kind, []).append(dt)
        results[dq.query] = [tag for tag, _, _, _ in hits[:5]]
    print(f"tagdb search over {len(queries):,} queries: p50 {pct(times, 50):.2f} ms, p95 {pct(times, 95):.2f} ms, "
          f"p99 {pct(times, 99):.2f} ms (goal <= 10 ms), max {max(times):.2f} ms, mean {statistics.mean(times):.2f} ms")
    print(f"  same, CPU time of the searching thread (what an unloaded machine shows as wall time): "
          f"p50 {pct(cpu_times, 50):.2f} ms, p99 {pct(cpu_times, 99):.2f} ms, max {max(cpu_times):.2f} ms")
    for kind in CLASSES:
        ts = by_kind.get(kind, [])
        if ts:
            print(f"  {kind:<8} n={len(ts):<5} p50 {pct(ts, 50):.2f} ms  p99 {pct(ts, 99):.2f} ms")

    rule = TagcompleteRule(index)
    scan = RapidfuzzScan(index, pinyins_of(db_path, index))
    base = {"tagcomplete-like": {}, "rapidfuzz scan": {}}
    base_ms = {k: [] for k in base}
    for dq in queries:
        for name, impl in (("tagcomplete-like", rule), ("rapidfuzz scan", scan)):
            s = time.perf_counter()
            base[name][dq.query] = impl.top5(dq.query)
            base_ms[name].append((time.perf_counter() - s) * 1000)
    rates = {"tagdb": hit_rates(queries, results.__getitem__)}
    for name, found in base.items():
        rates[name] = hit_rates(queries, found.__getitem__)
    print(f"\nhit rate (wanted tag among the first five), {args.per_class} queries per class, seed {args.seed}:")
    names = list(rates)
    print(f"  {'class':<8} " + " ".join(f"{n:>17}" for n in names) + "   tagdb vs best baseline")
    for kind in (*CLASSES, "all"):
        row = [rates[n].get(kind, float("nan")) for n in names]
        best = max(row[1:])
        print(f"  {kind:<8} " + " ".join(f"{r:>17.1%}" for r in row) + f"   {row[0] - best:+.1%}")
    print("latency per query (same queries): " + ", ".join(
        f"{n} p50 {pct(ms, 50):.1f} ms / p99 {pct(ms, 99):.1f} ms" for n, ms in
        (("tagdb", times), *base_ms.items())))
    print(f"speed ratio rapidfuzz scan / tagdb (mean): "
          f"{statistics.mean(base_ms['rapidfuzz scan']) / statistics.mean(times):.0f}x; "
          f"tagcomplete-like / tagdb: {statistics.mean(base_ms['tagcomplete-like']) / statistics.mean(times):.1f}x")
    if args.show_misses or args.misses:
        print_misses(queries, results, base, index.table, beaten_only=not args.show_misses)


def print_misses(queries, results: dict, base: dict, table, *, beaten_only: bool) -> None:
    """Per class, the queries tagdb misses (only those a baseline hits, unless ``beaten_only`` is False),
    with the wanted tag's Chinese labels and what tagdb and each baseline put first."""
    names = table.names
    print("\nmisses" + (" where a baseline hits" if beaten_only else "") + ":")
    for kind in CLASSES:
        rows = []
        for dq in (q for q in queries if q.kind == kind and q.wanted not in results[q.query]):
            hit_by = [b for b, found in base.items() if dq.wanted in found[dq.query]]
            if beaten_only and not hit_by:
                continue
            labels = [text for lang, text in table.translations.get(dq.wanted, ()) if lang == "zh"][:3]
            rows.append(f"    {dq.query!r:<28} want {names[dq.wanted]} {labels} hit by {hit_by or 'none'}\n"
                        f"      tagdb: {[names[t] for t in results[dq.query]]}\n" + "".join(
                            f"      {b}: {[names[t] for t in found[dq.query]]}\n" for b, found in base.items()))
        print(f"  {kind}: {len(rows)}")
        print("".join(rows), end="")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    parser.add_argument("--per-class", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--db", type=Path, help="keep the imported database here and reuse it next time")
    parser.add_argument("--misses", action="store_true",
                        help="list, per class, the queries tagdb misses and a baseline hits")
    parser.add_argument("--show-misses", action="store_true", help="list every query tagdb misses")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start")
    if not (args.shared / LIST).is_file():
        print(f"shared data not found under {args.shared}; pass --shared", file=sys.stderr)
        return 2
    if args.db:
        run(args, args.db)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            run(args, Path(tmp) / "tags.sqlite")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

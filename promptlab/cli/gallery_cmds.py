"""``promptlab gallery``: index folders of generated images, search them, diff two images, stats.
The CLI joins the gallery and tagdb: Chinese words in a search also find the tags they translate to."""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from promptlab.i18n import t

_CJK = re.compile(r"[\u3400-\u9fff]")


def register(subparsers: argparse._SubParsersAction) -> None:
    gal = subparsers.add_parser("gallery", help="index, search and diff your generated images (any tool's metadata)")
    sub = gal.add_subparsers(dest="gallery_command", metavar="ACTION", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--db", help="index file (default: $PROMPTLAB_HOME/gallery.sqlite3)")
        p.add_argument("--json", action="store_true", help="print JSON")

    p = sub.add_parser("index", help="index folders (again: only new or changed files are read)")
    p.add_argument("folders", nargs="+", metavar="DIR")
    p.add_argument("--workers", type=int, default=1,
                   help="reader processes (default 1; more helps on machines with idle cores)")
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    common(p)
    p.set_defaults(func=_index)

    p = sub.add_parser("search", help="search the index (see docs/gallery.md for the query language)")
    p.add_argument("query", nargs="?", default="", help='e.g. \'"long hair" -monochrome model:pony steps:>30\'')
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--offset", type=int, default=0)
    p.add_argument("--sort", default="newest", help="newest, oldest, seed, steps or path")
    p.add_argument("--tags-db", help="tag database for Chinese words (default: $PROMPTLAB_HOME/tags.sqlite)")
    common(p)
    p.set_defaults(func=_search)

    p = sub.add_parser("diff", help="compare the parameters of two images (indexed or not)")
    p.add_argument("a", metavar="A")
    p.add_argument("b", metavar="B")
    p.add_argument("--all", action="store_true", help="also list the fields that are the same")
    common(p)
    p.set_defaults(func=_diff)

    p = sub.add_parser("stats", help="what the index holds: images, tools, models, LoRAs, samplers")
    common(p)
    p.set_defaults(func=_stats)


def _index(args: argparse.Namespace) -> int:
    from promptlab.cli.io import print_json
    from promptlab.gallery import scan

    start = time.perf_counter()
    last = None
    for last in scan(args.folders, db_path=args.db, workers=args.workers):
        if not args.quiet and last.phase == "read" and last.to_read:
            print(f"\r{last.read}/{last.to_read}", end="", file=sys.stderr, flush=True)
    assert last is not None
    elapsed = time.perf_counter() - start
    if not args.quiet and last.to_read:
        print(file=sys.stderr)
    for problem in last.problems:
        print(t("gallery.cli.problem", "en", problem=problem), file=sys.stderr)
    if args.json:
        print_json(last.as_dict() | {"seconds": round(elapsed, 3)})
    else:
        rate = f"{last.read / elapsed:,.0f}" if elapsed > 0 and last.read else "-"
        print(t("gallery.cli.scan_done", "en", **{k: v for k, v in last.as_dict().items() if k != "problems"},
                rate=rate))
    return 0


def tag_translator(tags_db: str | None) -> Callable[[str], Sequence[str]] | None:
    """Chinese word -> its tags, from the tag database (None when there is none)."""
    from promptlab.paths import user_home

    path = Path(tags_db).expanduser() if tags_db else user_home() / "tags.sqlite"
    if not path.is_file():
        return None
    import tagdb

    db = tagdb.open_db(path, readonly=True)
    return lambda word: [hit.tag.name for hit in db.search(word, limit=5, langs=["zh"], score_cutoff=95)]


def _search(args: argparse.Namespace) -> int:
    from promptlab.cli.io import print_json
    from promptlab.gallery import connect, search

    translate = None
    if _CJK.search(args.query):
        translate = tag_translator(args.tags_db)
        if translate is None:
            print("warning: no tag database, so Chinese words are searched as written "
                  "(run `promptlab tags init` to search them as tags too)", file=sys.stderr)
    conn = connect(args.db, create=False)
    try:
        page = search(conn, args.query, sort=args.sort, limit=args.limit, offset=args.offset, translate=translate)
    finally:
        conn.close()
    if args.json:
        print_json([_record_json(r) for r in page.records])
        return 0
    for r in page.records:
        size = f"{r.width}x{r.height}" if r.width else "-"
        print(f"{r.path}\n    {r.generator or '-'} | {r.model or '-'} | seed {r.seed} | steps {r.steps} | "
              f"cfg {r.cfg} | {r.sampler or '-'} | {size}\n    {_short(r.prompt)}")
    print(t("gallery.cli.results", "en", shown=len(page.records), total=page.total))
    return 0


def _short(text: str, n: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _record_json(r) -> dict:
    return {"file": r.path, "id": r.id, "generator": r.generator, "prompt": r.prompt, "negative_prompt": r.negative,
            "model": r.model, "model_hash": r.model_hash, "sampler": r.sampler, "schedule_type": r.schedule,
            "steps": r.steps, "cfg_scale": r.cfg, "seed": r.seed, "width": r.width, "height": r.height,
            "image_width": r.image_width, "image_height": r.image_height, "denoising_strength": r.denoise,
            "loras": [{"name": n, "weight": w} for n, w in r.loras], "size": r.size, "mtime_ns": r.mtime_ns,
            "error": r.error}


def record_for(path: str, db: str | None):
    """The indexed row of ``path``, or one read from the file now when it is not indexed."""
    from promptlab.gallery import connect
    from promptlab.gallery.errors import GalleryError
    from promptlab.gallery.record import record_from_metadata
    from promptlab.gallery.store import default_db_path, get_by_path
    from promptlab.metadata import read

    full = os.path.abspath(path)
    db_file = Path(db) if db else default_db_path()
    if db_file.exists():
        conn = connect(db_file, create=False)
        try:
            rec = get_by_path(conn, full)
        finally:
            conn.close()
        if rec is not None:
            return rec
    if not os.path.isfile(full):
        raise GalleryError("gallery.err.not_indexed", path=full)
    st = os.stat(full)
    return record_from_metadata(full, st.st_size, st.st_mtime_ns, read(full))


def _diff(args: argparse.Namespace) -> int:
    from promptlab.cli.io import print_json
    from promptlab.gallery import diff

    result = diff(record_for(args.a, args.db), record_for(args.b, args.db))
    if args.json:
        print_json(result.as_dict())
        return 0
    print(f"A: {result.a}\nB: {result.b}")
    rows = result.fields if args.all else result.changed
    for f in rows:
        mark = "*" if f.changed else " "
        print(f"{mark} {f.name:24} {f.a!s:30} | {f.b!s}")
    for label, tags in (("prompt", result.prompt), ("negative", result.negative)):
        if tags.only_a or tags.only_b:
            print(f"{label}: only A: {', '.join(tags.only_a) or '-'}\n{label}: only B: {', '.join(tags.only_b) or '-'}")
    if not result.changed and not (result.prompt.only_a or result.prompt.only_b or result.negative.only_a
                                   or result.negative.only_b):
        print(t("gallery.cli.no_changes", "en"))
    return 0


def _stats(args: argparse.Namespace) -> int:
    from promptlab.cli.io import print_json
    from promptlab.gallery import connect, stats

    conn = connect(args.db, create=False)
    try:
        s = stats(conn)
    finally:
        conn.close()
    if args.json:
        print_json(s.as_dict())
        return 0
    print(t("gallery.stats", "en", images=s.images, with_metadata=s.with_metadata))
    print(f"errors: {s.errors}, size: {s.total_bytes / 2**20:,.1f} MiB")
    for label, items in (("tools", s.generators), ("models", s.models), ("loras", s.loras), ("samplers", s.samplers)):
        if items:
            print(f"{label}: " + ", ".join(f"{name} ({n})" for name, n in items[:10]))
    return 0

"""Regenerate ``tagdb/starter/names.csv.gz``: the most-posted characters, copyrights and artists.

    python -m tagdb.starter_make DANBOORU_LIST.csv [--out tagdb/starter/names.csv.gz]

The input is a tag-autocomplete CSV (``name,category,post_count,aliases``, e.g. DraconicDragon's
2025-05-01 Danbooru list). Tag names, categories, post counts and aliases are facts from Danbooru's
API; the output keeps only the rows above the thresholds below (a few thousand of 150k), so the
package ships no copy of the list. The Chinese names are the project's own, in ``names_zh.csv``
beside it, and are joined when the starter database is built, not here.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import sys
from pathlib import Path

from tagdb.importers.csvutil import BadRows, iter_rows, parse_count
from tagdb.model import Category, TagImportError
from tagdb.normalize import canonical_name

#: category -> least post count to be shipped
THRESHOLDS = {int(Category.CHARACTER): 1_000, int(Category.COPYRIGHT): 300, int(Category.ARTIST): 500}
HEADER = ("name", "category", "posts", "aliases")
DEFAULT_OUT = Path(__file__).resolve().parent / "starter" / "names.csv.gz"


def select(path: Path) -> list[tuple[str, int, int, str]]:
    """(name, category, posts, aliases joined by commas), most posted first within each category."""
    bad = BadRows()
    rows = []
    for _, fields in iter_rows(path, bad):
        if len(fields) < 3:
            continue
        try:
            category, posts = int(fields[1]), parse_count(fields[2]) or 0
        except ValueError:
            continue
        least = THRESHOLDS.get(category)
        if least is None or posts < least:
            continue
        name = canonical_name(fields[0])
        aliases = [a for a in (canonical_name(x) for x in (fields[3] if len(fields) > 3 else "").split(",")
                               if x.strip()) if a and a != name]
        rows.append((name, category, posts, ",".join(dict.fromkeys(aliases))))
    if not rows:
        raise TagImportError(f"{path} has no character, copyright or artist rows above the thresholds; "
                             "pass a Danbooru tag-autocomplete CSV (name,category,post_count,aliases).")
    order = {int(Category.CHARACTER): 0, int(Category.COPYRIGHT): 1, int(Category.ARTIST): 2}
    return sorted(rows, key=lambda r: (order[r[1]], -r[2], r[0]))


def write(rows: list[tuple[str, int, int, str]], out: Path) -> int:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    # mtime=0: the same input gives the same bytes (no spurious diffs in git)
    out.write_bytes(gzip.compress(text.getvalue().encode("utf-8"), compresslevel=9, mtime=0))
    return out.stat().st_size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", type=Path)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    rows = select(args.source)
    size = write(rows, args.out)
    counts = {Category(c).name.lower(): sum(1 for r in rows if r[1] == c) for c in THRESHOLDS}
    print(f"{args.out}: {len(rows):,} tags {counts}, {size / 1e3:.0f} kB")
    return 0


if __name__ == "__main__":
    sys.exit(main())

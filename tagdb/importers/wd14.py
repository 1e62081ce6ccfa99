"""WD14 tagger label files: ``tag_id,name,category,count`` with a header.

Category 9 rows are the rating labels (general / sensitive / questionable / explicit); they are kept
as category 9 so the tagger's output can be checked against the database. WD14 counts are older than
Danbooru's lists, so existing tags keep their category and count; only missing ones are added.
"""

from __future__ import annotations

from pathlib import Path

from tagdb.importers.csvutil import BadRows, iter_rows, parse_count
from tagdb.model import Category
from tagdb.normalize import canonical_name
from tagdb.store import Writer

_VALID = frozenset(int(c) for c in Category)


def import_wd14(writer: Writer, path: Path, *, tagset: str = "danbooru") -> dict:
    bad = BadRows()
    tags: dict[str, tuple[str, int, int | None]] = {}
    read = 0
    for lineno, fields in iter_rows(path, bad):
        if lineno == 1 and fields and fields[0].strip() == "tag_id":
            continue
        read += 1
        if len(fields) != 4:
            bad.add(lineno, f"expected 4 columns (tag_id,name,category,count), got {len(fields)}")
            continue
        name = canonical_name(fields[1])
        if not name:
            bad.add(lineno, "empty tag name")
            continue
        try:
            int(fields[0])
            category = int(fields[2])
            count = parse_count(fields[3])
        except ValueError:
            bad.add(lineno, f"tag_id/category/count not a number: {fields!r}")
            continue
        if category not in _VALID:
            bad.add(lineno, f"unknown category {category}")
            continue
        tags[name] = (name, category, count)
    added, updated = writer.upsert_tags(tags.values(), tagset=tagset, overwrite=False)
    return {"rows_read": read, "tags_added": added, "tags_updated": updated, "bad": bad}

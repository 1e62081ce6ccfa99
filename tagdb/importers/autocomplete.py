"""The tag-autocomplete CSV: ``name,category,post_count,aliases`` without a header.

Used by DominikDoom's a1111-sd-webui-tagcomplete and DraconicDragon's list archive, for Danbooru and,
with e621's own category codes, for e621 (imported as the separate tag set "e621"). ``aliases`` is
one comma-separated field (CSV-quoted when it holds several).
"""

from __future__ import annotations

from pathlib import Path

from tagdb.importers.csvutil import BadRows, iter_rows, parse_count
from tagdb.model import Category, E621_CATEGORIES
from tagdb.normalize import canonical_name
from tagdb.store import Writer

DANBOORU_CODES = frozenset(int(c) for c in Category if c not in (Category.RATING, Category.SD))  # Danbooru's own


def import_autocomplete(writer: Writer, path: Path, *, tagset: str = "danbooru",
                        min_posts: int = 0) -> dict:
    valid_codes = frozenset(E621_CATEGORIES) if tagset == "e621" else DANBOORU_CODES
    bad = BadRows()
    tags: dict[str, tuple[str, int, int | None]] = {}
    aliases: dict[str, str] = {}
    read = skipped = 0
    for lineno, fields in iter_rows(path, bad):
        read += 1
        if len(fields) < 2 or len(fields) > 4:
            bad.add(lineno, f"expected 2-4 columns (name,category,post_count,aliases), got {len(fields)}")
            continue
        fields += [""] * (4 - len(fields))
        name = canonical_name(fields[0])
        if not name:
            bad.add(lineno, "empty tag name")
            continue
        try:
            category = int(fields[1])
            count = parse_count(fields[2])
        except ValueError:
            bad.add(lineno, f"category/post count not a number: {fields[1]!r}, {fields[2]!r}")
            continue
        if category not in valid_codes:
            bad.add(lineno, f"unknown {tagset} category {category}")
            continue
        if min_posts and (count or 0) < min_posts:
            skipped += 1
            continue
        tags[name] = (name, category, count)
        for alias in fields[3].split(","):
            alias = canonical_name(alias) if alias.strip() else ""
            if alias and alias != name:
                aliases[alias] = name
    added, updated = writer.upsert_tags(tags.values(), tagset=tagset)
    # An alias that is itself a tag in the list is a real tag, not an alias (old lists hold both).
    n_alias = writer.upsert_aliases(((a, n) for a, n in aliases.items() if a not in tags), tagset=tagset)
    return {"rows_read": read, "tags_added": added, "tags_updated": updated, "aliases": n_alias,
            "skipped": skipped, "bad": bad}

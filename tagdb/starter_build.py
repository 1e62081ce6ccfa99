"""Build (or top up) a database from the starter set shipped in ``tagdb/starter/``.

``tags.csv``      group,name,category,posts,zh   (posts: order of magnitude like 300k / 2m, or blank)
``names.csv.gz``  name,category,posts,aliases: the most-posted Danbooru characters (>= 1,000 posts),
                  copyrights (>= 300) and artists (>= 500) with exact counts, made by ``tagdb.starter_make``
``names_zh.csv``  name,zh: Chinese names of the best-known characters and copyrights (``|`` alternatives)
``sd_vocab.csv``  name,zh: prompt words that are not Danbooru tags ("8k", "octane render"), category SD
``taxonomy.yaml`` the formula categories -> groups, with English and Chinese labels
``presets.yaml``  named prompt fragments (quality, negative, style)

The starter set was written for this project (names, counts and aliases are Danbooru's; labels,
Chinese names and magnitudes are ours).
"""

from __future__ import annotations

import csv
import gzip
import io
import sqlite3
from importlib import resources
from pathlib import Path

import yaml

from tagdb.model import Category, ImportReport, TagDBError
from tagdb.normalize import canonical_name
from tagdb.store import Writer, atomic_update

STARTER_PACKAGE = "tagdb"
TAXONOMY_NAME = "starter"
_SCALE = {"": 1, "k": 1_000, "m": 1_000_000}


def _read(name: str) -> str:
    file = resources.files(STARTER_PACKAGE).joinpath("starter", name)
    if name.endswith(".gz"):
        return gzip.decompress(file.read_bytes()).decode("utf-8")
    return file.read_text(encoding="utf-8")


def _broken(name: str, lineno: int, exc: Exception) -> TagDBError:
    return TagDBError(f"starter {name} line {lineno} is broken ({exc}); reinstall promptlab.")


def name_rows() -> list[dict]:
    """Characters, copyrights and artists (name, category, posts, aliases, zh), most posted first."""
    zh: dict[str, str] = {}
    for lineno, row in enumerate(csv.DictReader(io.StringIO(_read("names_zh.csv"))), start=2):
        if canonical_name(row["name"]) != row["name"] or not row["zh"].strip() or row["name"] in zh:
            raise _broken("names_zh.csv", lineno, ValueError(f"bad or repeated row {row}"))
        zh[row["name"]] = row["zh"].strip()
    rows = []
    for lineno, row in enumerate(csv.DictReader(io.StringIO(_read("names.csv.gz"))), start=2):
        try:
            rows.append({"name": row["name"], "category": int(Category(int(row["category"]))),
                         "posts": int(row["posts"]), "zh": zh.pop(row["name"], ""),
                         "aliases": [a for a in row["aliases"].split(",") if a]})
        except (ValueError, KeyError, TypeError) as exc:
            raise _broken("names.csv.gz", lineno, exc) from None
    if zh:
        raise TagDBError(f"starter names_zh.csv names tags missing from names.csv.gz: {sorted(zh)[:5]}; "
                         "reinstall promptlab.")
    return rows


def sd_vocab_rows() -> list[dict]:
    """Stable Diffusion prompt words that are not Danbooru tags (name, zh)."""
    rows = []
    for lineno, row in enumerate(csv.DictReader(io.StringIO(_read("sd_vocab.csv"))), start=2):
        if canonical_name(row["name"]) != row["name"] or not row["zh"].strip():
            raise _broken("sd_vocab.csv", lineno, ValueError(f"name must be canonical and zh set: {row}"))
        rows.append({"name": row["name"], "zh": row["zh"].strip()})
    return rows


def parse_posts(text: str) -> int | None:
    text = text.strip().lower()
    if not text:
        return None
    unit = text[-1] if text[-1] in "km" else ""
    return int(float(text[: len(text) - len(unit)]) * _SCALE[unit])


def starter_rows() -> list[dict]:
    """The starter tags as dicts (group, name, category, posts, zh), validated."""
    rows = []
    reader = csv.DictReader(io.StringIO(_read("tags.csv")))
    for lineno, row in enumerate(reader, start=2):
        try:
            name = canonical_name(row["name"])
            if name != row["name"] or not row["zh"].strip():
                raise ValueError(f"name must be written canonically and zh must be set: {row}")
            rows.append({"group": row["group"], "name": name, "category": int(Category(int(row["category"]))),
                         "posts": parse_posts(row["posts"]), "zh": row["zh"].strip()})
        except (ValueError, KeyError, TypeError) as exc:
            raise TagDBError(f"starter tags.csv line {lineno} is broken ({exc}); reinstall promptlab.") from None
    return rows


def has_tags(path: Path) -> bool:
    if not path.is_file():
        return False
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            return conn.execute("SELECT count(*) FROM tags").fetchone()[0] > 0
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        return False


def build_starter(path: Path, *, fresh: bool = False) -> ImportReport:
    """Write the starter set into ``path``. Existing tags keep their category and post count."""
    import time

    started = time.perf_counter()
    rows = starter_rows()
    names = name_rows()
    vocab = sd_vocab_rows()
    taxonomy = yaml.safe_load(_read("taxonomy.yaml"))
    presets = yaml.safe_load(_read("presets.yaml"))
    with atomic_update(path, fresh=fresh) as writer:
        writer.begin_source("starter", "tagdb/starter")
        tags = {r["name"]: (r["name"], r["category"], r["posts"]) for r in rows}
        tags.update((r["name"], (r["name"], r["category"], r["posts"])) for r in names)
        tags.update((r["name"], (r["name"], int(Category.SD), None)) for r in vocab)
        added, updated = writer.upsert_tags(tags.values(), overwrite=False)
        # An alias that is a tag of its own (in this set or imported before) stays a tag.
        existing = {n for (n,) in writer.conn.execute("SELECT name FROM tags WHERE tagset = 'danbooru'")}
        n_alias = writer.upsert_aliases((a, r["name"]) for r in names for a in r["aliases"] if a not in existing)
        n_trans = writer.upsert_translations(
            (r["name"], "zh", text.strip(), "", rank) for r in (*rows, *names, *vocab)
            for rank, text in enumerate(r["zh"].split("|")) if text.strip())
        n_tax = _write_taxonomy(writer, taxonomy, rows)
        n_presets = _write_presets(writer, presets)
        writer.finish_source(len(rows) + len(names) + len(vocab), 0)
    return ImportReport(source="starter", format="starter", rows_read=len(rows) + len(names) + len(vocab),
                        tags_added=added, tags_updated=updated, aliases=n_alias, translations=n_trans, taxonomy_entries=n_tax, presets=n_presets,
                        seconds=time.perf_counter() - started)


def _write_taxonomy(writer: Writer, taxonomy: list[dict], rows: list[dict]) -> int:
    by_group: dict[str, list[str]] = {}
    for r in rows:
        by_group.setdefault(r["group"], []).append(r["name"])
    known = set()
    count = 0
    for pos, top in enumerate(taxonomy):
        top_id = writer.tax_node(TAXONOMY_NAME, None, top["key"], pos, {"en": top["en"], "zh": top["zh"]})
        for gpos, group in enumerate(top["groups"]):
            gid = writer.tax_node(TAXONOMY_NAME, top_id, group["key"], gpos,
                                  {"en": group["en"], "zh": group["zh"]})
            count += writer.tax_members(gid, by_group.get(group["key"], ()))
            known.add(group["key"])
    missing = set(by_group) - known
    if missing:
        raise TagDBError(f"starter tags.csv uses groups missing from taxonomy.yaml: {sorted(missing)}")
    return count


def _write_presets(writer: Writer, presets: list[dict]) -> int:
    for pos, p in enumerate(presets):
        writer.upsert_preset(p["kind"], p["name"], p["prompt"], p.get("negative_prompt", ""),
                             {k: v for k, v in p.items() if k in ("en", "zh")}, position=pos)
    return len(presets)

"""Searching the index: one page of records for a query, and the facets the page's filters offer."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from promptlab.gallery.errors import GalleryError
from promptlab.gallery.query import SORTS, Translator, compile_query
from promptlab.gallery.record import ImageRecord

MAX_PAGE = 1000


@dataclass(frozen=True)
class SearchPage:
    records: tuple[ImageRecord, ...]
    total: int | None          # None when the count was not asked for
    offset: int
    limit: int


def search(conn: sqlite3.Connection, query: str = "", *, sort: str = "newest", limit: int = 50, offset: int = 0,
           translate: Translator | None = None, count: bool = True) -> SearchPage:
    """Records matching ``query`` (see ``promptlab.gallery.query``), ``limit`` from ``offset``."""
    if sort not in SORTS:
        raise GalleryError("gallery.err.bad_sort", sort=sort, sorts=", ".join(SORTS))
    if not 1 <= limit <= MAX_PAGE or offset < 0:
        raise GalleryError("gallery.err.bad_page", limit=limit, offset=offset, most=MAX_PAGE)
    compiled = compile_query(query, translate)
    rows = conn.execute(f"SELECT * FROM images WHERE {compiled.where} ORDER BY {SORTS[sort]} LIMIT ? OFFSET ?",
                        (*compiled.params, limit, offset)).fetchall()
    total = None
    if count:
        total = conn.execute(f"SELECT count(*) FROM images WHERE {compiled.where}", compiled.params).fetchone()[0]
    return SearchPage(tuple(ImageRecord.from_row(r) for r in rows), total, offset, limit)


@dataclass(frozen=True)
class Stats:
    images: int
    with_metadata: int
    errors: int
    total_bytes: int
    generators: tuple[tuple[str, int], ...]
    models: tuple[tuple[str, int], ...]
    loras: tuple[tuple[str, int], ...]
    samplers: tuple[tuple[str, int], ...]
    oldest_ns: int | None
    newest_ns: int | None

    def as_dict(self) -> dict[str, object]:
        out = {k: getattr(self, k) for k in self.__dataclass_fields__}
        for key in ("generators", "models", "loras", "samplers"):
            out[key] = dict(out[key])
        return out


def stats(conn: sqlite3.Connection, *, top: int = 50) -> Stats:
    one = conn.execute("SELECT count(*), count(generator), count(error), coalesce(sum(size), 0), min(mtime_ns), "
                       "max(mtime_ns) FROM images").fetchone()

    def grouped(sql: str) -> tuple[tuple[str, int], ...]:
        return tuple((str(name), n) for name, n in conn.execute(sql, (top,)))

    return Stats(
        images=one[0], with_metadata=one[1], errors=one[2], total_bytes=one[3], oldest_ns=one[4], newest_ns=one[5],
        generators=grouped("SELECT generator, count(*) n FROM images WHERE generator IS NOT NULL "
                           "GROUP BY generator ORDER BY n DESC, generator LIMIT ?"),
        models=grouped("SELECT model, count(*) n FROM images WHERE model IS NOT NULL AND model != '' "
                       "GROUP BY model ORDER BY n DESC, model LIMIT ?"),
        loras=grouped("SELECT j.value ->> 0 AS name, count(*) n FROM images, json_each(images.loras) j "
                      "GROUP BY name ORDER BY n DESC, name LIMIT ?"),
        samplers=grouped("SELECT sampler, count(*) n FROM images WHERE sampler IS NOT NULL AND sampler != '' "
                         "GROUP BY sampler ORDER BY n DESC, sampler LIMIT ?"),
    )

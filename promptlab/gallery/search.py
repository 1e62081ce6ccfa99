"""Searching the index: one page of records for a query, and the facets the page's filters offer."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from promptlab.gallery.errors import GalleryError
from promptlab.gallery.query import SORTS, Translator, compile_query
from promptlab.gallery.record import ImageRecord
from promptlab.gallery.store import SELECT_FULL

MAX_PAGE = 1000


# Counts stop here: "10,000+" is as useful as the exact number and keeps every query fast.
COUNT_CAP = 10_000
# Above this many text matches, walk the sort order's index and test each row against the matches
# (stops after one page); below it, look the matches up by id and sort them.
WALK_INDEX_ABOVE = 3_000


@dataclass(frozen=True)
class SearchPage:
    records: tuple[ImageRecord, ...]
    total: int | None          # None when the count was not asked for
    offset: int
    limit: int
    more: bool = False         # total is a floor: the count stopped at COUNT_CAP

    @property
    def total_text(self) -> str:
        return f"{self.total:,}+" if self.more else f"{self.total or 0:,}"


def search(conn: sqlite3.Connection, query: str = "", *, sort: str = "newest", limit: int = 50, offset: int = 0,
           translate: Translator | None = None, count: bool = True) -> SearchPage:
    """Records matching ``query`` (see ``promptlab.gallery.query``), ``limit`` from ``offset``."""
    if sort not in SORTS:
        raise GalleryError("gallery.err.bad_sort", sort=sort, sorts=", ".join(SORTS))
    if not 1 <= limit <= MAX_PAGE or offset < 0:
        raise GalleryError("gallery.err.bad_page", limit=limit, offset=offset, most=MAX_PAGE)
    compiled = compile_query(query, translate)
    where, params = compiled.where, list(compiled.params)
    count_where, count_params = where, list(params)
    if compiled.fts is not None and compiled.where != "1" and offset + limit <= COUNT_CAP:
        # Text and column filters together: one pass over the text matches gives the page and the
        # (capped) count, where walking the sort order would test thousands of rows one by one.
        # (No separate count of the text matches first: it would run the text query twice.)
        in_list = "id IN (SELECT rowid FROM images_fts WHERE images_fts MATCH ?)"
        matched = [r[0] for r in conn.execute(
            f"SELECT id FROM images WHERE {in_list} AND {where} ORDER BY {SORTS[sort]} LIMIT ?",
            (compiled.fts, *params, COUNT_CAP + 1))]
        return SearchPage(_records(conn, matched[offset:offset + limit]), min(len(matched), COUNT_CAP) if count else None,
                          offset, limit, count and len(matched) > COUNT_CAP)
    fts_total = None
    if compiled.fts is not None:
        fts_total = conn.execute("SELECT count(*) FROM (SELECT 1 FROM images_fts WHERE images_fts MATCH ? LIMIT ?)",
                                 (compiled.fts, COUNT_CAP + 1)).fetchone()[0]
        in_list = "id IN (SELECT rowid FROM images_fts WHERE images_fts MATCH ?)"
        if fts_total > WALK_INDEX_ABOVE:
            # Many matches: walk the sort order and ask FTS5 about each row (a rowid seek in its
            # doclist) until the page is full, instead of collecting and sorting every match.
            # (last, so the cheap column filters turn most rows away before FTS5 is asked)
            where = f"{where} AND EXISTS (SELECT 1 FROM images_fts WHERE images_fts MATCH ? AND rowid = images.id)"
        else:
            where = f"{in_list} AND {where}"
        count_where = f"{in_list} AND {count_where}"
        params.insert(len(params) if fts_total > WALK_INDEX_ABOVE else 0, compiled.fts)
        count_params.insert(0, compiled.fts)
    ids = [r[0] for r in conn.execute(f"SELECT id FROM images WHERE {where} ORDER BY {SORTS[sort]} LIMIT ? OFFSET ?",
                                      (*params, limit, offset))]
    records = _records(conn, ids)
    total, more = None, False
    if count:
        if compiled.where == "1" and fts_total is None:
            total = conn.execute("SELECT count(*) FROM images").fetchone()[0]  # exact, and cheap
        else:
            if compiled.where == "1":
                total = fts_total
            else:
                total = conn.execute(f"SELECT count(*) FROM (SELECT 1 FROM images WHERE {count_where} LIMIT ?)",
                                     (*count_params, COUNT_CAP + 1)).fetchone()[0]
            more = total > COUNT_CAP
            total = min(total, COUNT_CAP)
    return SearchPage(records, total, offset, limit, more)


def _records(conn: sqlite3.Connection, ids: list[int]) -> tuple[ImageRecord, ...]:
    if not ids:
        return ()
    rows = conn.execute(f"{SELECT_FULL} WHERE i.id IN ({', '.join('?' * len(ids))})", ids).fetchall()
    by_id = {row["id"]: ImageRecord.from_row(row) for row in rows}
    return tuple(by_id[i] for i in ids if i in by_id)


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

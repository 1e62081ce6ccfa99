"""``TagDB``: the read side of the tag database (search, lookup, validate, taxonomy, presets, stats).

One TagDB may be shared by many threads (Streamlit): each thread gets its own read-only SQLite
connection, and the search index is immutable once built. When an import replaces the file, the
next call notices (inode/mtime/size) and reloads; nothing is cached at module level.
"""

from __future__ import annotations

import ctypes
import json
import os
import sys
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from tagdb.index import SearchIndex, TagTable
from tagdb.model import (Category, ImportReport, IssueKind, Preset, SearchHit, Tag, TagDBNotFoundError,
                         TagIssue, TaxonomyCategory, TaxonomyGroup)
from tagdb.normalize import canonical_name
from tagdb.schema import connect_readonly, resolve_path


SUGGESTION_CUTOFF = 60.0  # least score of a "did you mean" suggestion (fuzzy scores are WRatio x 0.8)


def _stamp(path: Path) -> tuple[int, int, int]:
    st = os.stat(path)
    return st.st_ino, st.st_mtime_ns, st.st_size


class TagDB:
    def __init__(self, path: str | os.PathLike | None = None):
        self.path = resolve_path(path)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._indexes: dict[str, tuple[tuple, SearchIndex]] = {}

    def __repr__(self) -> str:
        return f"TagDB({str(self.path)!r})"

    # ------------------------------------------------------------------ plumbing
    def _conn(self) -> sqlite3.Connection:
        if not self.path.is_file():
            raise TagDBNotFoundError(
                f"No tag database at {self.path}. Build one with `promptlab tags init` (starter set).")
        stamp = _stamp(self.path)
        conn = getattr(self._local, "conn", None)
        if conn is None or self._local.stamp != stamp:
            if conn is not None:
                conn.close()
            self._local.conn = connect_readonly(self.path)
            self._local.stamp = stamp
        return self._local.conn

    def close(self) -> None:
        """Close this thread's connection (others close when their threads end)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def index(self, tagset: str = "danbooru") -> SearchIndex:
        """The search index of ``tagset``: loaded from its cache file next to the database when that
        matches the file, else built (seconds for 150k tags) and cached; then kept in memory."""
        stamp = _stamp(self.path) if self.path.is_file() else None
        cached = self._indexes.get(tagset)
        if cached and cached[0] == stamp:
            return cached[1]
        with self._lock:
            cached = self._indexes.get(tagset)
            if cached and cached[0] == stamp:
                return cached[1]
            from tagdb.index_cache import cache_path, load, save

            conn = self._conn()
            stamp = self._local.stamp  # the file this connection reads, even if replaced meanwhile
            cached_file = cache_path(self.path, tagset)
            index = load(cached_file, stamp, tagset)
            if index is None:
                index = _load_index(conn, tagset)
                save(index, cached_file, stamp)
                _release_free_memory()  # the cache writer's packed copies
            index.search("warm up", limit=1, categories=None, langs=None, score_cutoff=None)  # first-call costs
            self._indexes[tagset] = (stamp, index)
            return index

    def ready(self, tagset: str = "danbooru") -> bool:
        """True when ``search`` will answer without first building the index."""
        cached = self._indexes.get(tagset)
        return bool(cached) and self.path.is_file() and cached[0] == _stamp(self.path)

    def warm(self, tagset: str = "danbooru") -> threading.Thread:
        """Build the index in a background thread (call at app start; searches wait for it if early)."""
        thread = threading.Thread(target=self.index, args=(tagset,), name=f"tagdb-index-{tagset}", daemon=True)
        thread.start()
        return thread

    def import_file(self, file: str | os.PathLike, fmt: str, **options) -> ImportReport:
        from tagdb.importers import import_file

        return import_file(file, fmt, db=self.path, **options)

    # ------------------------------------------------------------------ search
    def search(self, query: str, *, limit: int = 10, categories: Iterable[int | str] | None = None,
               langs: Iterable[str] | None = None, score_cutoff: float | None = None,
               artists_only: bool = False, tagset: str = "danbooru") -> list[SearchHit]:
        """Tags matching ``query``, best first (match quality, then post count).

        Latin input matches names and aliases by exact/prefix/word-prefix, then fuzzily (typos, word
        order, spaces vs underscores, escaped parentheses); Chinese input matches translations
        (prefix and substring), pinyin input their pinyin ("changfa", "cf"). An alias hit carries
        the canonical tag. ``langs`` limits which texts may match ("en" = names and aliases,
        "zh" = Chinese labels and their pinyin). Deprecated tags are never suggested.
        """
        cats = None if categories is None else frozenset(
            int(Category.parse(c)) if isinstance(c, str) else int(c) for c in categories)
        if artists_only:
            cats = frozenset({int(Category.ARTIST)}) if cats is None else cats & {int(Category.ARTIST)}
            if not cats:
                return []
        index = self.index(tagset)
        hits = index.search(query, limit=limit, categories=cats,
                            langs=frozenset(langs) if langs is not None else None, score_cutoff=score_cutoff)
        return [SearchHit(tag=index.table.tag(i), score=float(score), matched=text, via=via)
                for i, score, text, via in hits]

    # ------------------------------------------------------------------ lookup
    def get(self, name: str, *, tagset: str = "danbooru", resolve_alias: bool = True) -> Tag | None:
        """The tag named ``name`` (any spelling: spaces, escapes, case); via its alias if needed."""
        index = self.index(tagset)
        key = canonical_name(name)
        i = index.tag_by_name.get(key)
        if i is None and resolve_alias:
            target = index.alias_target.get(key)
            i = index.tag_by_name.get(target) if target else None
        return index.table.tag(i) if i is not None else None

    def validate(self, tags: Iterable[str] | str, *, tagset: str = "danbooru") -> list[TagIssue]:
        """Flag unknown tags (with suggestions), aliases (with the canonical name) and deprecated tags.

        ``tags`` is a list of tag names, or one comma-separated string. Empty items, ``BREAK``/``AND``
        and extra-network calls (``<lora:x:1>``) are not tags and are skipped.
        """
        if isinstance(tags, str):
            tags = tags.split(",")
        index = self.index(tagset)
        issues: list[TagIssue] = []
        for raw in tags:
            text = raw.strip()
            if not text or text in ("BREAK", "AND") or (text.startswith("<") and text.endswith(">")):
                continue
            key = canonical_name(text)
            i = index.tag_by_name.get(key)
            if i is not None:
                if index.table.deprecated[i]:
                    issues.append(TagIssue(text, IssueKind.DEPRECATED,
                                           message=f"{key} is deprecated on Danbooru; remove it or pick another tag."))
                continue
            target = index.alias_target.get(key)
            if target is not None:
                issues.append(TagIssue(text, IssueKind.ALIAS, canonical=target,
                                       message=f"{key} is an alias of {target}."))
                continue
            # Weak fuzzy hits (WRatio < 75) are noise as advice: "sun_hat" for "hatsune mkiu".
            hits = self.search(text, limit=3, tagset=tagset, score_cutoff=SUGGESTION_CUTOFF)
            issues.append(TagIssue(text, IssueKind.UNKNOWN, suggestions=tuple(h.tag.name for h in hits),
                                   message=f"{key} is not a known tag."))
        return issues

    # ------------------------------------------------------------------ taxonomy, presets, stats
    def taxonomies(self) -> list[str]:
        return [r[0] for r in self._conn().execute(
            "SELECT taxonomy FROM tax_nodes WHERE parent_id IS NULL GROUP BY taxonomy ORDER BY min(id)")]

    def taxonomy(self, lang: str = "en", *, name: str | None = None) -> list[TaxonomyCategory]:
        """Top categories -> groups -> (tag, label in ``lang``) of taxonomy ``name`` (default: the
        starter taxonomy if present, else the first imported). Labels fall back to English, then the key."""
        conn = self._conn()
        names = self.taxonomies()
        if not names:
            return []
        name = name or ("starter" if "starter" in names else names[0])
        labels: dict[int, dict[str, str]] = {}
        for node_id, code, label in conn.execute(
                "SELECT l.node_id, l.lang, l.label FROM tax_labels l JOIN tax_nodes n ON n.id = l.node_id "
                "WHERE n.taxonomy = ?", (name,)):
            labels.setdefault(node_id, {})[code] = label
        tag_labels: dict[str, str] = {}
        for tag, text in conn.execute(
                "SELECT t.name, t.text FROM translations t JOIN tax_members m ON m.name = t.name "
                "JOIN tax_nodes n ON n.id = m.node_id WHERE n.taxonomy = ? AND t.lang = ? "
                "AND t.tagset = 'danbooru' ORDER BY t.rank DESC", (name, lang)):
            tag_labels[tag] = text  # lowest rank (best) wins: written last
        def pick(node_id: int, key: str) -> str:
            node = labels.get(node_id, {})
            return node.get(lang) or node.get("en") or key
        nodes = conn.execute("SELECT id, parent_id, key, color FROM tax_nodes WHERE taxonomy = ? "
                             "ORDER BY position, id", (name,)).fetchall()
        members: dict[int, list[str]] = {}
        for node_id, tag in conn.execute(
                "SELECT m.node_id, m.name FROM tax_members m JOIN tax_nodes n ON n.id = m.node_id "
                "WHERE n.taxonomy = ? ORDER BY m.node_id, m.position", (name,)):
            members.setdefault(node_id, []).append(tag)
        out = []
        for node_id, parent, key, _ in nodes:
            if parent is not None:
                continue
            groups = tuple(
                TaxonomyGroup(key=gkey, label=pick(gid, gkey), color=color,
                              tags=tuple((t, tag_labels.get(t, "")) for t in members.get(gid, ())))
                for gid, gparent, gkey, color in nodes if gparent == node_id)
            out.append(TaxonomyCategory(key=key, label=pick(node_id, key), groups=groups))
        return out

    def presets(self, kind: str | None = None) -> list[Preset]:
        sql = ("SELECT p.kind, p.name, p.prompt, p.negative_prompt, p.labels_json, ifnull(s.kind, '') "
               "FROM presets p LEFT JOIN sources s ON s.id = p.source_id")
        args: tuple = ()
        if kind is not None:
            sql += " WHERE p.kind = ?"
            args = (kind,)
        rows = self._conn().execute(sql + " ORDER BY p.kind, p.position, p.name", args).fetchall()
        return [Preset(kind=k, name=n, prompt=p, negative_prompt=neg,
                       labels=tuple(tuple(x) for x in json.loads(lab)), source=src)
                for k, n, p, neg, lab, src in rows]

    def stats(self) -> dict:
        conn = self._conn()
        tagsets = {}
        for tagset, category, count, posts in conn.execute(
                "SELECT tagset, category, count(*), sum(ifnull(post_count, 0)) FROM tags "
                "GROUP BY tagset, category ORDER BY tagset, category"):
            entry = tagsets.setdefault(tagset, {"tags": 0, "categories": {}})
            entry["tags"] += count
            entry["categories"][str(category)] = count
        return {
            "path": str(self.path),
            "size_bytes": self.path.stat().st_size,
            "tagsets": tagsets,
            "tags": sum(v["tags"] for v in tagsets.values()),
            "deprecated": conn.execute("SELECT count(*) FROM tags WHERE deprecated").fetchone()[0],
            "aliases": conn.execute("SELECT count(*) FROM aliases").fetchone()[0],
            "translations": dict(conn.execute("SELECT lang, count(*) FROM translations GROUP BY lang")),
            "presets": dict(conn.execute("SELECT kind, count(*) FROM presets GROUP BY kind")),
            "taxonomies": dict(conn.execute(
                "SELECT taxonomy, count(*) FROM tax_members m JOIN tax_nodes n ON n.id = m.node_id "
                "GROUP BY taxonomy")),
            "sources": [dict(zip(("kind", "path", "imported_at", "rows_read", "bad_rows"), r))
                        for r in conn.execute("SELECT kind, path, imported_at, rows_read, bad_rows "
                                              "FROM sources ORDER BY id DESC LIMIT 20")],
        }


def _load_index(conn: sqlite3.Connection, tagset: str) -> SearchIndex:
    rows = conn.execute("SELECT id, name, category, ifnull(post_count, -1), deprecated FROM tags "
                        "WHERE tagset = ? ORDER BY id", (tagset,)).fetchall()
    ids, names, cats, counts, dep = zip(*rows) if rows else ((), (), (), (), ())
    by_name = {n: i for i, n in enumerate(names)}
    aliases: dict[int, list[str]] = {}
    alias_target: dict[str, str] = {}
    for alias, name in conn.execute("SELECT alias, name FROM aliases WHERE tagset = ? ORDER BY alias", (tagset,)):
        if name in by_name and alias not in by_name:
            aliases.setdefault(by_name[name], []).append(alias)
            alias_target[alias] = name
    translations: dict[int, list[tuple[str, str]]] = {}
    pinyins: dict[tuple[int, str], str] = {}
    for name, lang, text, py in conn.execute(
            "SELECT name, lang, text, pinyin FROM translations WHERE tagset = ? ORDER BY name, lang, rank",
            (tagset,)):
        i = by_name.get(name)
        if i is not None:
            translations.setdefault(i, []).append((lang, text))
            if py:
                pinyins[(i, text)] = py
    table = TagTable(ids=np.array(ids, dtype=np.int64), names=list(names),
                     categories=np.array(cats, dtype=np.int16), post_counts=np.array(counts, dtype=np.int64),
                     deprecated=np.array(dep, dtype=bool),
                     aliases={i: tuple(v) for i, v in aliases.items()},
                     translations={i: tuple(v) for i, v in translations.items()}, tagset=tagset)
    index = SearchIndex(table, pinyins, tag_by_name=by_name, alias_target=alias_target)
    del rows, translations, pinyins, aliases
    _release_free_memory()
    return index


def _release_free_memory() -> None:
    """Hand the index build's freed temporaries (~150 MB for 150k tags) back to the OS.

    glibc keeps freed heap memory for reuse, so without this the process RSS stays at the build's
    peak. Only glibc has malloc_trim; elsewhere (macOS, musl) there is nothing to do, by design.
    """
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL("libc.so.6").malloc_trim(0)
        except (OSError, AttributeError):  # musl libc: no malloc_trim, and nothing held back
            return

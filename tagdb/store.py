"""Writing: every change happens in a copy of the database that replaces the original atomically.

``atomic_update(path)`` takes an exclusive lock file, copies the database (or starts an empty one),
yields a ``Writer`` on the copy, and on success ``os.replace``s it over the original. A crash, an
exception or a SIGKILL at any point leaves the original file untouched and readable; readers that
have it open keep reading the old file until they reopen. Re-running an import is idempotent: rows
are upserted on their natural keys.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Iterable, Iterator
from datetime import datetime, timezone
from pathlib import Path

from tagdb.model import TagDBError
from tagdb.normalize import stored_pinyin
from tagdb.schema import connect_writable


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Writer:
    """Upserts into an open writable connection inside one transaction (see ``atomic_update``)."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        self.now = _now()
        self.source_id: int | None = None

    def begin_source(self, kind: str, path: str) -> int:
        cur = self.conn.execute("INSERT INTO sources (kind, path, imported_at) VALUES (?, ?, ?)",
                                (kind, path, self.now))
        self.source_id = cur.lastrowid
        return self.source_id

    def finish_source(self, rows_read: int, bad_rows: int) -> None:
        self.conn.execute("UPDATE sources SET rows_read = ?, bad_rows = ? WHERE id = ?",
                          (rows_read, bad_rows, self.source_id))

    def count_tags(self, tagset: str) -> int:
        return self.conn.execute("SELECT count(*) FROM tags WHERE tagset = ?", (tagset,)).fetchone()[0]

    def upsert_tags(self, rows: Iterable[tuple[str, int, int | None]], *, tagset: str = "danbooru",
                    overwrite: bool = True, deprecated: bool | None = None) -> tuple[int, int]:
        """Insert or update (name, category, post_count). Returns (added, updated).

        ``overwrite=False`` only fills gaps: existing tags keep their category, and their post count
        unless it is unknown (used for older lists such as WD14 label files).
        """
        rows = list(rows)
        before = self.count_tags(tagset)
        if overwrite:
            conflict = ("category = excluded.category, post_count = excluded.post_count, "
                        "source_id = excluded.source_id, updated_at = excluded.updated_at")
        else:
            conflict = "post_count = coalesce(tags.post_count, excluded.post_count)"
        if deprecated is not None:
            conflict += ", deprecated = excluded.deprecated"
        flag = int(bool(deprecated))
        self.conn.executemany(
            "INSERT INTO tags (tagset, name, category, post_count, deprecated, source_id, updated_at) "
            f"VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tagset, name) DO UPDATE SET {conflict}",
            ((tagset, name, cat, count, flag, self.source_id, self.now) for name, cat, count in rows))
        added = self.count_tags(tagset) - before
        return added, len(rows) - added

    def set_deprecated(self, names: Iterable[str], *, tagset: str = "danbooru") -> None:
        self.conn.executemany("UPDATE tags SET deprecated = 1 WHERE tagset = ? AND name = ?",
                              ((tagset, n) for n in names))

    def upsert_aliases(self, rows: Iterable[tuple[str, str]], *, tagset: str = "danbooru") -> int:
        """(alias, canonical name) pairs; an alias that equals its target is ignored."""
        rows = [(tagset, a, n, self.source_id, self.now) for a, n in rows if a and a != n]
        self.conn.executemany(
            "INSERT INTO aliases (tagset, alias, name, source_id, updated_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (tagset, alias) DO UPDATE SET name = excluded.name, "
            "source_id = excluded.source_id, updated_at = excluded.updated_at", rows)
        return len(rows)

    def upsert_translations(self, rows: Iterable[tuple[str, str, str, str, int]], *,
                            tagset: str = "danbooru") -> int:
        """(name, lang, text, note, rank) rows; pinyin is computed here for Han text (``stored_pinyin``)."""
        out = [(tagset, name, lang, text, note, stored_pinyin(text) if lang.startswith("zh") else "", rank,
                self.source_id, self.now) for name, lang, text, note, rank in rows]
        self.conn.executemany(
            "INSERT INTO translations (tagset, name, lang, text, note, pinyin, rank, source_id, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tagset, name, lang, text) DO UPDATE SET "
            "note = excluded.note, rank = excluded.rank, source_id = excluded.source_id, "
            "updated_at = excluded.updated_at", out)
        return len(out)

    def upsert_preset(self, kind: str, name: str, prompt: str, negative_prompt: str = "",
                      labels: dict[str, str] | None = None, position: int = 0) -> None:
        self.conn.execute(
            "INSERT INTO presets (kind, name, prompt, negative_prompt, labels_json, position, source_id, "
            "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (kind, name) DO UPDATE SET "
            "prompt = excluded.prompt, negative_prompt = excluded.negative_prompt, "
            "labels_json = excluded.labels_json, position = excluded.position, "
            "source_id = excluded.source_id, updated_at = excluded.updated_at",
            (kind, name, prompt, negative_prompt, json.dumps(sorted((labels or {}).items()), ensure_ascii=False),
             position, self.source_id, self.now))

    def tax_node(self, taxonomy: str, parent_id: int | None, key: str, position: int,
                 labels: dict[str, str], color: str = "") -> int:
        row = self.conn.execute(
            "SELECT id FROM tax_nodes WHERE taxonomy = ? AND ifnull(parent_id, 0) = ? AND key = ?",
            (taxonomy, parent_id or 0, key)).fetchone()
        if row:
            node_id = row[0]
            self.conn.execute("UPDATE tax_nodes SET position = ?, color = ?, source_id = ?, updated_at = ? "
                              "WHERE id = ?", (position, color, self.source_id, self.now, node_id))
        else:
            node_id = self.conn.execute(
                "INSERT INTO tax_nodes (taxonomy, parent_id, key, position, color, source_id, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (taxonomy, parent_id, key, position, color, self.source_id, self.now)).lastrowid
        self.conn.executemany("INSERT OR REPLACE INTO tax_labels VALUES (?, ?, ?)",
                              ((node_id, lang, label) for lang, label in labels.items() if label))
        return node_id

    def tax_members(self, node_id: int, names: Iterable[str]) -> int:
        rows = [(node_id, name, i) for i, name in enumerate(dict.fromkeys(names))]
        self.conn.executemany("INSERT OR REPLACE INTO tax_members VALUES (?, ?, ?)", rows)
        return len(rows)


@contextlib.contextmanager
def _exclusive(path: Path, wait_s: float) -> Iterator[None]:
    lock_path = path.with_name(path.name + ".lock")
    with open(lock_path, "a+b") as fh:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TagDBError(f"Another import is writing {path} (lock {lock_path}). "
                                     "Wait for it to finish and try again.") from None
                time.sleep(0.1)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


@contextlib.contextmanager
def atomic_update(path: Path, *, wait_s: float = 60.0, fresh: bool = False) -> Iterator[Writer]:
    """Yield a Writer on a private copy of ``path``; replace ``path`` with it on success.

    ``fresh=True`` starts from an empty database instead of a copy (used by ``tags init``).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _exclusive(path, wait_s):
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            if path.exists() and not fresh:
                shutil.copyfile(path, tmp)
            conn = connect_writable(tmp)
            try:
                conn.execute("BEGIN")
                yield Writer(conn)
                conn.execute("COMMIT")
            except BaseException:
                conn.close()
                raise
            conn.close()
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, path)
            dir_fd = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        finally:
            tmp.unlink(missing_ok=True)

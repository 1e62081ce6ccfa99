"""The gallery's SQLite file: one row per image, FTS5 over prompt and negative, LoRAs in their own
table. WAL and a busy timeout so that two app windows (or the app and the CLI) can index and search
the same file at once; writes go in batches so a killed process leaves a usable index behind."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from promptlab.gallery.errors import GalleryError
from promptlab.gallery.record import COLUMNS, ImageRecord
from promptlab.paths import user_home

SCHEMA_VERSION = 2
BUSY_TIMEOUT_MS = 30_000

SCHEMA = """
-- Narrow rows for the filters and sorts to scan; the long texts live in image_text (same id).
CREATE TABLE IF NOT EXISTS images (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    image_width INTEGER, image_height INTEGER, width INTEGER, height INTEGER,
    generator TEXT, model TEXT, model_hash TEXT, sampler TEXT, sampler_key TEXT, schedule TEXT,
    steps INTEGER, cfg REAL, seed INTEGER, denoise REAL, hires_upscale REAL,
    loras TEXT NOT NULL DEFAULT '[]', lora_names TEXT NOT NULL DEFAULT '',
    meta_hash TEXT, error TEXT
);
CREATE INDEX IF NOT EXISTS images_mtime ON images(mtime_ns);
CREATE INDEX IF NOT EXISTS images_seed ON images(seed);
CREATE INDEX IF NOT EXISTS images_steps ON images(steps);
CREATE INDEX IF NOT EXISTS images_cfg ON images(cfg);
CREATE INDEX IF NOT EXISTS images_model ON images(model);
CREATE INDEX IF NOT EXISTS images_generator ON images(generator);
CREATE INDEX IF NOT EXISTS images_sampler ON images(sampler_key);
CREATE INDEX IF NOT EXISTS images_meta_hash ON images(meta_hash);
CREATE TABLE IF NOT EXISTS image_text (
    id INTEGER PRIMARY KEY,
    prompt TEXT NOT NULL DEFAULT '', negative TEXT NOT NULL DEFAULT '', params_json TEXT NOT NULL DEFAULT '{}'
);
-- "_" separates tokens (unicode61 default), so the phrase "long hair" also finds long_hair.
CREATE VIRTUAL TABLE IF NOT EXISTS images_fts USING fts5(
    prompt, negative, content='image_text', content_rowid='id', tokenize='unicode61 remove_diacritics 0'
);
CREATE TRIGGER IF NOT EXISTS images_ad AFTER DELETE ON images BEGIN
    DELETE FROM image_text WHERE id = old.id;
END;
CREATE TRIGGER IF NOT EXISTS image_text_ai AFTER INSERT ON image_text BEGIN
    INSERT INTO images_fts(rowid, prompt, negative) VALUES (new.id, new.prompt, new.negative);
END;
CREATE TRIGGER IF NOT EXISTS image_text_ad AFTER DELETE ON image_text BEGIN
    INSERT INTO images_fts(images_fts, rowid, prompt, negative) VALUES ('delete', old.id, old.prompt, old.negative);
END;
CREATE TRIGGER IF NOT EXISTS image_text_au AFTER UPDATE OF prompt, negative ON image_text BEGIN
    INSERT INTO images_fts(images_fts, rowid, prompt, negative) VALUES ('delete', old.id, old.prompt, old.negative);
    INSERT INTO images_fts(rowid, prompt, negative) VALUES (new.id, new.prompt, new.negative);
END;
"""

TEXT_COLUMNS = ("prompt", "negative", "params_json")
NARROW = tuple(c for c in COLUMNS if c not in TEXT_COLUMNS)
_NARROW_AT = tuple(COLUMNS.index(c) for c in NARROW)
_TEXT_AT = tuple(COLUMNS.index(c) for c in TEXT_COLUMNS)
_INSERT = (f"INSERT INTO images ({', '.join(NARROW)}) VALUES ({', '.join('?' * len(NARROW))}) "
           f"ON CONFLICT(path) DO UPDATE SET {', '.join(f'{c}=excluded.{c}' for c in NARROW if c != 'path')}")
_TEXT_UPSERT = ("INSERT INTO image_text(id, prompt, negative, params_json) VALUES (?, ?, ?, ?) ON CONFLICT(id) DO "
                "UPDATE SET prompt=excluded.prompt, negative=excluded.negative, params_json=excluded.params_json")
# Every column of a record: the narrow row joined with its texts.
SELECT_FULL = "SELECT i.*, t.prompt, t.negative, t.params_json FROM images i JOIN image_text t ON t.id = i.id"


def default_db_path() -> Path:
    return user_home() / "gallery.sqlite3"


def connect(db_path: str | Path | None = None, *, create: bool = True) -> sqlite3.Connection:
    """Open (and create) the index. Each caller / thread opens its own connection."""
    path = Path(db_path) if db_path is not None else default_db_path()
    if not create and not path.exists():
        raise GalleryError("gallery.err.no_index", path=str(path))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version == 0:
            with conn:
                conn.executescript(SCHEMA)
                conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        elif version != SCHEMA_VERSION:
            conn.close()
            raise GalleryError("gallery.err.schema", path=str(path), found=version, expected=SCHEMA_VERSION)
    except sqlite3.DatabaseError as exc:
        raise GalleryError("gallery.err.db", path=str(path), detail=str(exc)) from exc
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE so a second writer waits (busy timeout) instead of failing half-way."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def upsert(conn: sqlite3.Connection, records: Iterable[ImageRecord]) -> None:
    """Insert or replace rows by path (call inside ``transaction``)."""
    rows = [rec.as_row() for rec in records]
    if not rows:
        return
    conn.executemany(_INSERT, ([row[i] for i in _NARROW_AT] for row in rows))
    ids: dict[str, int] = {}
    for start in range(0, len(rows), 500):  # SQLite's bound-parameter limit
        paths = [row[0] for row in rows[start:start + 500]]
        ids.update((p, i) for i, p in conn.execute(
            f"SELECT id, path FROM images WHERE path IN ({', '.join('?' * len(paths))})", paths))
    conn.executemany(_TEXT_UPSERT, ([ids[row[0]], *(row[i] for i in _TEXT_AT)] for row in rows))


def move(conn: sqlite3.Connection, row_id: int, rec: ImageRecord) -> None:
    """A moved file keeps its row (and id) under the new path."""
    row = rec.as_row()
    conn.execute(f"UPDATE images SET {', '.join(f'{c}=?' for c in NARROW)} WHERE id=?",
                 (*(row[i] for i in _NARROW_AT), row_id))
    conn.execute(_TEXT_UPSERT, (row_id, *(row[i] for i in _TEXT_AT)))


def delete_ids(conn: sqlite3.Connection, ids: Iterable[int]) -> None:
    conn.executemany("DELETE FROM images WHERE id=?", [(i,) for i in ids])


def get(conn: sqlite3.Connection, row_id: int) -> ImageRecord | None:
    row = conn.execute(SELECT_FULL + " WHERE i.id=?", (row_id,)).fetchone()
    return ImageRecord.from_row(row) if row else None


def get_by_path(conn: sqlite3.Connection, path: str) -> ImageRecord | None:
    row = conn.execute(SELECT_FULL + " WHERE i.path=?", (path,)).fetchone()
    return ImageRecord.from_row(row) if row else None

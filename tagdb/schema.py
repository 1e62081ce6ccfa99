"""SQLite schema, default location and connections.

Tables (every data row records the import it came from, ``source_id``, and when, ``updated_at``):
  sources(id, kind, path, imported_at, rows_read, bad_rows)
  tags(id, tagset, name, category, post_count, deprecated)     unique (tagset, name)
  aliases(tagset, alias, name)                                 alias -> canonical name
  translations(tagset, name, lang, text, note, pinyin, rank)   keyed by name so import order is free
  tax_nodes(id, taxonomy, parent_id, key, position, color)     top category -> group
  tax_labels(node_id, lang, label) / tax_members(node_id, name, position)
  presets(kind, name, prompt, negative_prompt, labels_json)
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from tagdb.model import TagDBError, TagDBNotFoundError

SCHEMA_VERSION = 1

DDL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS sources (
    id INTEGER PRIMARY KEY, kind TEXT NOT NULL, path TEXT NOT NULL, imported_at TEXT NOT NULL,
    rows_read INTEGER NOT NULL DEFAULT 0, bad_rows INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS tags (
    id INTEGER PRIMARY KEY, tagset TEXT NOT NULL DEFAULT 'danbooru', name TEXT NOT NULL,
    category INTEGER NOT NULL DEFAULT 0, post_count INTEGER, deprecated INTEGER NOT NULL DEFAULT 0,
    source_id INTEGER REFERENCES sources(id), updated_at TEXT NOT NULL,
    UNIQUE (tagset, name));
CREATE TABLE IF NOT EXISTS aliases (
    tagset TEXT NOT NULL, alias TEXT NOT NULL, name TEXT NOT NULL,
    source_id INTEGER REFERENCES sources(id), updated_at TEXT NOT NULL,
    PRIMARY KEY (tagset, alias));
CREATE INDEX IF NOT EXISTS aliases_by_name ON aliases (tagset, name);
CREATE TABLE IF NOT EXISTS translations (
    tagset TEXT NOT NULL, name TEXT NOT NULL, lang TEXT NOT NULL, text TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '', pinyin TEXT NOT NULL DEFAULT '', rank INTEGER NOT NULL DEFAULT 0,
    source_id INTEGER REFERENCES sources(id), updated_at TEXT NOT NULL,
    PRIMARY KEY (tagset, name, lang, text));
CREATE TABLE IF NOT EXISTS tax_nodes (
    id INTEGER PRIMARY KEY, taxonomy TEXT NOT NULL, parent_id INTEGER, key TEXT NOT NULL,
    position INTEGER NOT NULL, color TEXT NOT NULL DEFAULT '',
    source_id INTEGER REFERENCES sources(id), updated_at TEXT NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS tax_nodes_key ON tax_nodes (taxonomy, ifnull(parent_id, 0), key);
CREATE TABLE IF NOT EXISTS tax_labels (
    node_id INTEGER NOT NULL REFERENCES tax_nodes(id), lang TEXT NOT NULL, label TEXT NOT NULL,
    PRIMARY KEY (node_id, lang));
CREATE TABLE IF NOT EXISTS tax_members (
    node_id INTEGER NOT NULL REFERENCES tax_nodes(id), name TEXT NOT NULL, position INTEGER NOT NULL,
    PRIMARY KEY (node_id, name));
CREATE TABLE IF NOT EXISTS presets (
    kind TEXT NOT NULL, name TEXT NOT NULL, prompt TEXT NOT NULL, negative_prompt TEXT NOT NULL DEFAULT '',
    labels_json TEXT NOT NULL DEFAULT '[]', position INTEGER NOT NULL DEFAULT 0,
    source_id INTEGER REFERENCES sources(id), updated_at TEXT NOT NULL,
    PRIMARY KEY (kind, name));
"""


def default_db_path() -> Path:
    """``$PROMPTLAB_HOME/tags.sqlite``, else ``~/.promptlab/tags.sqlite`` (not created here)."""
    home = os.environ.get("PROMPTLAB_HOME")
    base = Path(home).expanduser() if home else Path.home() / ".promptlab"
    return base / "tags.sqlite"


def resolve_path(path: str | os.PathLike | None) -> Path:
    return Path(path).expanduser() if path is not None else default_db_path()


def connect_readonly(path: Path) -> sqlite3.Connection:
    """A read-only connection usable from the thread that made it (one per thread, see TagDB)."""
    if not path.is_file():
        raise TagDBNotFoundError(
            f"No tag database at {path}. Build one with `promptlab tags init` (starter set) or "
            "`promptlab tags import FILE --format autocomplete`.")
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    check_schema(conn, path)
    return conn


def connect_writable(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), isolation_level=None)  # explicit BEGIN/COMMIT
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.executescript(DDL)
    conn.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
    return conn


def check_schema(conn: sqlite3.Connection, path: Path) -> None:
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    except sqlite3.DatabaseError as exc:
        raise TagDBError(f"{path} is not a promptlab tag database ({exc}). Pass another --db, "
                         "or move it away and run `promptlab tags init`.") from None
    if row is None or int(row[0]) > SCHEMA_VERSION:
        raise TagDBError(f"{path} has tag database schema {row and row[0]}; this promptlab reads "
                         f"version {SCHEMA_VERSION}. Upgrade promptlab or rebuild with `promptlab tags init`.")

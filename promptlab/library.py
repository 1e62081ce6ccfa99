"""The user's library: saved prompts, favorites, history and generations, in one SQLite file.

The file lives in the user data folder (``$PROMPTLAB_LIBRARY``, else
``promptlab.paths.user_home() / "library.sqlite"``) and is created on first write. A
``Library`` only holds the path: every call opens its own short-lived connection, so one
object can be shared by many Streamlit sessions and threads.

Nothing is ever lost on bad files: a file that is not a library (or is damaged) raises
``LibraryCorruptError`` and is left exactly as it was; ``quarantine()`` moves it aside (never
deletes or overwrites it) so a fresh library can start. A file locked by another program
raises ``LibraryLockedError`` after a short wait.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from promptlab.errors import InvalidInputError, PromptlabError
from promptlab.paths import user_home

SCHEMA_VERSION = 1
EXPORT_FORMAT = "promptlab-library"
_APP_ID = 0x504C4942  # "PLIB" in SQLite's application_id: tells our file from any other SQLite file

_SCHEMA = """
CREATE TABLE IF NOT EXISTS prompts (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    prompt TEXT NOT NULL,
    negative_prompt TEXT NOT NULL DEFAULT '',
    labels TEXT NOT NULL DEFAULT '[]',
    favorite INTEGER NOT NULL DEFAULT 0,
    params TEXT,
    created REAL NOT NULL,
    updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS history (
    id INTEGER PRIMARY KEY,
    prompt TEXT NOT NULL,
    negative_prompt TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS generations (
    id INTEGER PRIMARY KEY,
    prompt TEXT NOT NULL,
    negative_prompt TEXT NOT NULL DEFAULT '',
    params TEXT NOT NULL,
    image_path TEXT,
    created REAL NOT NULL
);
"""


class LibraryError(PromptlabError):
    """The library file cannot be used."""


class LibraryCorruptError(LibraryError):
    """The file is not a promptlab library or is damaged; it has not been changed."""


class PromptExistsError(LibraryError):
    """A saved prompt of that name exists with other content (save with if_exists="overwrite" to replace it)."""

    def __init__(self, existing: SavedPrompt) -> None:
        super().__init__(f"A saved prompt named {existing.name!r} exists already; overwrite it or choose another name.")
        self.existing = existing


class LibraryLockedError(LibraryError):
    """Another program holds a lock on the library file."""


class HistorySource(str, Enum):
    BUILD = "build"
    READ = "read"
    GENERATE = "generate"
    IMPORT = "import"


class ConflictPolicy(str, Enum):
    SKIP = "skip"        # an identical saved prompt (same name, prompt, negative) is not added again
    DUPLICATE = "duplicate"


@dataclass(frozen=True)
class SavedPrompt:
    id: int
    name: str
    prompt: str
    negative_prompt: str
    labels: tuple[str, ...]
    favorite: bool
    params: str | None      # A1111 infotext of the settings saved with the prompt, if any
    created: float
    updated: float


@dataclass(frozen=True)
class HistoryEntry:
    id: int
    prompt: str
    negative_prompt: str
    source: str
    created: float


@dataclass(frozen=True)
class Generation:
    id: int
    prompt: str
    negative_prompt: str
    params: str             # A1111 infotext
    image_path: str | None
    created: float


@dataclass(frozen=True)
class ImportReport:
    added: int
    skipped: int
    history_added: int
    generations_added: int


def default_library_path() -> Path:
    env = os.environ.get("PROMPTLAB_LIBRARY")
    return Path(env).expanduser() if env else user_home() / "library.sqlite"


def quarantine(path: str | Path) -> Path:
    """Move a damaged library file aside (``<name>.damaged-<time>``); returns the new path.

    The file is renamed, never deleted or rewritten, so whatever it holds can still be recovered.
    """
    src = Path(path)
    if not src.exists():
        raise InvalidInputError(f"{src} does not exist; nothing to move aside.")
    stamp = time.strftime("%Y%m%d-%H%M%S")
    dest = src.with_name(f"{src.name}.damaged-{stamp}")
    n = 1
    while dest.exists():
        dest = src.with_name(f"{src.name}.damaged-{stamp}-{n}")
        n += 1
    src.rename(dest)
    for suffix in ("-wal", "-shm", "-journal"):
        side = src.with_name(src.name + suffix)
        if side.exists():
            side.rename(dest.with_name(dest.name + suffix))
    return dest


def _clean_labels(labels: Iterable[str]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for label in labels:
        text = str(label).strip()
        if text:
            seen.setdefault(text, None)
    return tuple(seen)


class Library:
    """Saved prompts, favorites, history and generations in one SQLite file."""

    def __init__(self, path: str | Path | None = None, *, timeout: float = 5.0, history_limit: int = 1000):
        self.path = Path(path).expanduser() if path is not None else default_library_path()
        self.timeout = timeout
        self.history_limit = history_limit

    # -- connection -------------------------------------------------------------------------
    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        if self.path.is_dir():
            raise InvalidInputError(f"{self.path} is a folder; give the path of a library file (e.g. library.sqlite).")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fresh = not self.path.exists() or self.path.stat().st_size == 0
        try:
            conn = sqlite3.connect(self.path, timeout=self.timeout)
        except sqlite3.Error as exc:
            raise LibraryError(f"Cannot open the library {self.path}: {exc}. Check the folder's permissions.") from exc
        conn.row_factory = sqlite3.Row
        try:
            self._check_and_init(conn, fresh)
            with conn:
                yield conn
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise LibraryLockedError(
                    f"The library {self.path} is locked by another program ({exc}). "
                    "Close the other program (or another promptlab) and try again; nothing was changed."
                ) from exc
            if "readonly" in str(exc) or "read-only" in str(exc):
                raise LibraryError(f"The library {self.path} is read-only. Choose a writable library path.") from exc
            raise self._corrupt(exc) from exc
        except sqlite3.DatabaseError as exc:
            raise self._corrupt(exc) from exc
        finally:
            conn.close()

    def _corrupt(self, exc: Exception) -> LibraryCorruptError:
        return LibraryCorruptError(
            f"The library file {self.path} is damaged or is not a promptlab library ({exc}). "
            "It has not been changed. Move it aside (Library page -> 'move aside', or "
            "promptlab.library.quarantine(path)) to start a new one, or choose another library path."
        )

    def _check_and_init(self, conn: sqlite3.Connection, fresh: bool) -> None:
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]  # raises DatabaseError on a non-SQLite file
        if fresh:
            with conn:
                conn.executescript(_SCHEMA)
                conn.execute(f"PRAGMA application_id = {_APP_ID}")
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            return
        if app_id != _APP_ID:
            raise sqlite3.DatabaseError(f"application_id is {app_id:#x}, not promptlab's")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise LibraryError(
                f"The library {self.path} was written by a newer promptlab (schema {version}); "
                "update promptlab to open it. The file was not changed."
            )

    # -- saved prompts ----------------------------------------------------------------------
    def save_prompt(
        self,
        name: str,
        prompt: str,
        negative_prompt: str = "",
        *,
        labels: Iterable[str] = (),
        favorite: bool = False,
        params: str | None = None,
        if_exists: str = "add",
    ) -> SavedPrompt:
        """Save a prompt. Saving the same name with the same text again returns the saved one (a form
        submitted twice — Enter, then the button — saves once). Another text under an existing name:
        ``if_exists="add"`` keeps both, ``"ask"`` raises PromptExistsError, ``"overwrite"`` replaces it."""
        name = name.strip()
        if not name:
            raise InvalidInputError("Give the prompt a name before saving it.")
        if not prompt.strip() and not negative_prompt.strip():
            raise InvalidInputError("The prompt is empty; write a prompt before saving it.")
        if if_exists not in ("add", "ask", "overwrite"):
            raise InvalidInputError(f"if_exists={if_exists!r}: use 'add', 'ask' or 'overwrite'.")
        now = time.time()
        with self._connect() as conn:
            row = conn.execute("SELECT id FROM prompts WHERE name = ? ORDER BY id DESC LIMIT 1", (name,)).fetchone()
            existing = self._get(conn, int(row["id"])) if row is not None else None
            if existing is not None:
                if (existing.prompt, existing.negative_prompt) == (prompt, negative_prompt):
                    return existing
                if if_exists == "ask":
                    raise PromptExistsError(existing)
                if if_exists == "overwrite":
                    conn.execute(
                        "UPDATE prompts SET prompt = ?, negative_prompt = ?, labels = ?, favorite = ?, params = ?,"
                        " updated = ? WHERE id = ?",
                        (prompt, negative_prompt, json.dumps(list(_clean_labels(labels)), ensure_ascii=False),
                         int(favorite), params, now, existing.id),
                    )
                    return self._get(conn, existing.id)
            cur = conn.execute(
                "INSERT INTO prompts (name, prompt, negative_prompt, labels, favorite, params, created, updated)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (name, prompt, negative_prompt, json.dumps(list(_clean_labels(labels)), ensure_ascii=False),
                 int(favorite), params, now, now),
            )
            return self._get(conn, int(cur.lastrowid))

    def get(self, prompt_id: int) -> SavedPrompt:
        with self._connect() as conn:
            return self._get(conn, prompt_id)

    def _get(self, conn: sqlite3.Connection, prompt_id: int) -> SavedPrompt:
        row = conn.execute("SELECT * FROM prompts WHERE id = ?", (prompt_id,)).fetchone()
        if row is None:
            raise InvalidInputError(f"No saved prompt with id {prompt_id}; it may have been deleted.")
        return _prompt_from_row(row)

    def prompts(
        self, query: str = "", *, label: str | None = None, favorites_only: bool = False, limit: int = 500
    ) -> list[SavedPrompt]:
        """Saved prompts, newest first; ``query`` matches name, prompt, negative and labels (any case)."""
        sql = "SELECT * FROM prompts WHERE 1=1"
        args: list[Any] = []
        for word in query.split():
            like = f"%{_escape_like(word.lower())}%"
            sql += (" AND (lower(name) LIKE ? ESCAPE '\\' OR lower(prompt) LIKE ? ESCAPE '\\'"
                    " OR lower(negative_prompt) LIKE ? ESCAPE '\\' OR lower(labels) LIKE ? ESCAPE '\\')")
            args += [like] * 4
        if favorites_only:
            sql += " AND favorite = 1"
        sql += " ORDER BY updated DESC, id DESC"
        with self._connect() as conn:
            rows = [_prompt_from_row(r) for r in conn.execute(sql, args)]
        if label:
            rows = [r for r in rows if label in r.labels]
        return rows[:limit]

    def labels(self) -> list[str]:
        """Every label in use, sorted."""
        with self._connect() as conn:
            found = {lab for (raw,) in conn.execute("SELECT labels FROM prompts") for lab in json.loads(raw)}
        return sorted(found, key=str.lower)

    def update(
        self,
        prompt_id: int,
        *,
        name: str | None = None,
        prompt: str | None = None,
        negative_prompt: str | None = None,
        labels: Iterable[str] | None = None,
        favorite: bool | None = None,
        params: str | None = None,
    ) -> SavedPrompt:
        changes: dict[str, Any] = {}
        if name is not None:
            if not name.strip():
                raise InvalidInputError("A saved prompt needs a name; the new name is empty.")
            changes["name"] = name.strip()
        if prompt is not None:
            changes["prompt"] = prompt
        if negative_prompt is not None:
            changes["negative_prompt"] = negative_prompt
        if labels is not None:
            changes["labels"] = json.dumps(list(_clean_labels(labels)), ensure_ascii=False)
        if favorite is not None:
            changes["favorite"] = int(favorite)
        if params is not None:
            changes["params"] = params
        with self._connect() as conn:
            self._get(conn, prompt_id)
            if changes:
                changes["updated"] = time.time()
                assignments = ", ".join(f"{col} = ?" for col in changes)
                conn.execute(f"UPDATE prompts SET {assignments} WHERE id = ?", [*changes.values(), prompt_id])
            return self._get(conn, prompt_id)

    def rename(self, prompt_id: int, name: str) -> SavedPrompt:
        return self.update(prompt_id, name=name)

    def set_favorite(self, prompt_id: int, favorite: bool = True) -> SavedPrompt:
        return self.update(prompt_id, favorite=favorite)

    def set_labels(self, prompt_id: int, labels: Iterable[str]) -> SavedPrompt:
        return self.update(prompt_id, labels=labels)

    def delete(self, prompt_id: int) -> None:
        with self._connect() as conn:
            self._get(conn, prompt_id)
            conn.execute("DELETE FROM prompts WHERE id = ?", (prompt_id,))

    # -- history ----------------------------------------------------------------------------
    def add_history(self, prompt: str, negative_prompt: str = "", *, source: HistorySource | str) -> HistoryEntry | None:
        """Record a used prompt; a repeat of the latest entry is not stored twice (returns None)."""
        source = HistorySource(source).value
        with self._connect() as conn:
            last = conn.execute("SELECT prompt, negative_prompt FROM history ORDER BY id DESC LIMIT 1").fetchone()
            if last is not None and (last["prompt"], last["negative_prompt"]) == (prompt, negative_prompt):
                return None
            cur = conn.execute(
                "INSERT INTO history (prompt, negative_prompt, source, created) VALUES (?, ?, ?, ?)",
                (prompt, negative_prompt, source, time.time()),
            )
            conn.execute(
                "DELETE FROM history WHERE id NOT IN (SELECT id FROM history ORDER BY id DESC LIMIT ?)",
                (self.history_limit,),
            )
            row = conn.execute("SELECT * FROM history WHERE id = ?", (cur.lastrowid,)).fetchone()
            return HistoryEntry(**dict(row))

    def history(self, query: str = "", *, limit: int = 200) -> list[HistoryEntry]:
        sql, args = "SELECT * FROM history", []
        if query.strip():
            sql += " WHERE lower(prompt) LIKE ? ESCAPE '\\' OR lower(negative_prompt) LIKE ? ESCAPE '\\'"
            like = f"%{_escape_like(query.strip().lower())}%"
            args = [like, like]
        sql += " ORDER BY id DESC LIMIT ?"
        with self._connect() as conn:
            return [HistoryEntry(**dict(r)) for r in conn.execute(sql, [*args, limit])]

    def clear_history(self) -> int:
        with self._connect() as conn:
            return conn.execute("DELETE FROM history").rowcount

    # -- generations ------------------------------------------------------------------------
    def add_generation(self, params: Any, image_path: str | Path | None = None) -> Generation:
        """Record a generated image. ``params`` is a ``GenerationParams`` (or its infotext)."""
        if isinstance(params, str):
            infotext, prompt, negative = params, params.split("\n", 1)[0], ""
        else:
            infotext, prompt, negative = params.to_infotext(), params.prompt, params.negative_prompt
        with self._connect() as conn:
            cur = conn.execute(
                "INSERT INTO generations (prompt, negative_prompt, params, image_path, created) VALUES (?, ?, ?, ?, ?)",
                (prompt, negative, infotext, str(image_path) if image_path else None, time.time()),
            )
            return Generation(**dict(conn.execute("SELECT * FROM generations WHERE id = ?", (cur.lastrowid,)).fetchone()))

    def generations(self, *, limit: int = 200) -> list[Generation]:
        with self._connect() as conn:
            return [Generation(**dict(r)) for r in conn.execute("SELECT * FROM generations ORDER BY id DESC LIMIT ?", (limit,))]

    # -- export / import --------------------------------------------------------------------
    def export_data(self) -> dict[str, Any]:
        with self._connect() as conn:
            prompts = [_prompt_from_row(r) for r in conn.execute("SELECT * FROM prompts ORDER BY id")]
            history = [HistoryEntry(**dict(r)) for r in conn.execute("SELECT * FROM history ORDER BY id")]
            gens = [Generation(**dict(r)) for r in conn.execute("SELECT * FROM generations ORDER BY id")]
        return {
            "format": EXPORT_FORMAT,
            "version": SCHEMA_VERSION,
            "prompts": [{**asdict(p), "labels": list(p.labels)} for p in prompts],
            "history": [asdict(h) for h in history],
            "generations": [asdict(g) for g in gens],
        }

    def export_json(self) -> str:
        return json.dumps(self.export_data(), ensure_ascii=False, indent=2)

    def import_json(self, data: str | bytes | dict[str, Any], *, on_conflict: ConflictPolicy | str = "skip") -> ImportReport:
        """Add the entries of an export to this library (nothing here is replaced or removed)."""
        policy = ConflictPolicy(on_conflict)
        payload = _parse_export(data)
        prompts = [_validated_prompt(i, p) for i, p in enumerate(payload.get("prompts", []))]
        added = skipped = hist = gens = 0
        with self._connect() as conn:
            existing = {(r["name"], r["prompt"], r["negative_prompt"]) for r in conn.execute("SELECT * FROM prompts")}
            for p in prompts:
                ident = (p["name"], p["prompt"], p["negative_prompt"])
                if policy is ConflictPolicy.SKIP and ident in existing:
                    skipped += 1
                    continue
                conn.execute(
                    "INSERT INTO prompts (name, prompt, negative_prompt, labels, favorite, params, created, updated)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (p["name"], p["prompt"], p["negative_prompt"], json.dumps(p["labels"], ensure_ascii=False),
                     int(p["favorite"]), p["params"], p["created"], p["updated"]),
                )
                existing.add(ident)
                added += 1
            known_hist = {(r["prompt"], r["negative_prompt"], r["created"]) for r in conn.execute("SELECT * FROM history")}
            for h in payload.get("history", []):
                if not isinstance(h, dict) or not isinstance(h.get("prompt"), str):
                    raise InvalidInputError("A history entry in the import has no prompt; the file was not imported.")
                key = (h["prompt"], str(h.get("negative_prompt", "")), float(h.get("created", 0)))
                if key in known_hist:
                    continue
                conn.execute("INSERT INTO history (prompt, negative_prompt, source, created) VALUES (?, ?, ?, ?)",
                             (key[0], key[1], str(h.get("source", "import")), key[2] or time.time()))
                hist += 1
            for g in payload.get("generations", []):
                if not isinstance(g, dict) or not isinstance(g.get("params"), str):
                    raise InvalidInputError("A generation in the import has no params; the file was not imported.")
                conn.execute(
                    "INSERT INTO generations (prompt, negative_prompt, params, image_path, created) VALUES (?, ?, ?, ?, ?)",
                    (str(g.get("prompt", "")), str(g.get("negative_prompt", "")), g["params"], g.get("image_path"),
                     float(g.get("created", time.time()))),
                )
                gens += 1
        return ImportReport(added=added, skipped=skipped, history_added=hist, generations_added=gens)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _prompt_from_row(row: sqlite3.Row) -> SavedPrompt:
    data = dict(row)
    data["labels"] = tuple(json.loads(data["labels"]))
    data["favorite"] = bool(data["favorite"])
    return SavedPrompt(**data)


def _parse_export(data: str | bytes | dict[str, Any]) -> dict[str, Any]:
    if isinstance(data, (str, bytes)):
        try:
            data = json.loads(data)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InvalidInputError(f"The import is not valid JSON ({exc}); export a library from promptlab and import that file.") from exc
    if not isinstance(data, dict) or data.get("format") != EXPORT_FORMAT:
        raise InvalidInputError(
            f"The import is not a promptlab library export (expected \"format\": \"{EXPORT_FORMAT}\"); nothing was imported."
        )
    if int(data.get("version", 0)) > SCHEMA_VERSION:
        raise InvalidInputError("The export comes from a newer promptlab; update promptlab to import it.")
    return data


def _validated_prompt(index: int, p: Any) -> dict[str, Any]:
    if not isinstance(p, dict) or not isinstance(p.get("prompt"), str) or not str(p.get("name", "")).strip():
        raise InvalidInputError(f"Saved prompt #{index + 1} in the import has no name or prompt; nothing was imported.")
    now = time.time()
    labels = p.get("labels", [])
    if not isinstance(labels, list):
        raise InvalidInputError(f"Saved prompt #{index + 1} in the import has labels that are not a list; nothing was imported.")
    return {
        "name": str(p["name"]).strip(),
        "prompt": p["prompt"],
        "negative_prompt": str(p.get("negative_prompt", "")),
        "labels": list(_clean_labels(labels)),
        "favorite": bool(p.get("favorite", False)),
        "params": p.get("params") if isinstance(p.get("params"), str) else None,
        "created": float(p.get("created", now)),
        "updated": float(p.get("updated", now)),
    }

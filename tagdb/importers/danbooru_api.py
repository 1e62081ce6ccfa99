"""Danbooru's JSON API as a source: ``/tags.json`` and ``/tag_aliases.json``, paged by id cursor.

Resumable: every fetched page goes into a staging SQLite file next to the database
(``tags.sqlite.danbooru-staging``) together with the cursor of the next page, so an interrupted
update (network loss, Ctrl-C, kill) continues where it stopped. Only when both lists are complete
are they merged into the database, atomically (``store.atomic_update``). Rate-limited: at most one
request per ``interval`` seconds, with exponential back-off on HTTP 429/5xx.
"""

from __future__ import annotations

import json
import socket
import sqlite3
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path

from tagdb.model import Category, ImportReport, NetworkError
from tagdb.normalize import canonical_name
from tagdb.store import atomic_update

USER_AGENT = "promptlab-tagdb/0.1 (+https://github.com/; tag list updater)"
PAGE_SIZE = 1000
_STAGING_DDL = """
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS fetched_tags (id INTEGER PRIMARY KEY, name TEXT NOT NULL, category INTEGER NOT NULL,
                                         post_count INTEGER NOT NULL, deprecated INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS fetched_aliases (id INTEGER PRIMARY KEY, antecedent TEXT NOT NULL,
                                            consequent TEXT NOT NULL);
"""
_PHASES = (  # (phase, endpoint, extra query, fields)
    ("tags", "/tags.json", {"search[hide_empty]": "true"}, "id,name,category,post_count,is_deprecated"),
    ("aliases", "/tag_aliases.json", {"search[status]": "active"}, "id,antecedent_name,consequent_name,status"),
)


class DanbooruUpdate:
    def __init__(self, db_path: Path, *, base_url: str = "https://danbooru.donmai.us", min_posts: int = 25,
                 interval: float = 0.5, page_size: int = PAGE_SIZE, timeout: float = 30.0, retries: int = 3, backoff: float = 1.0,
                 progress: Callable[[str], None] | None = None,
                 fraction: Callable[[float], None] | None = None):
        self.db_path = Path(db_path)
        self.base_url = base_url.rstrip("/")
        self.min_posts = min_posts
        self.interval = interval
        self.page_size = page_size
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.progress = progress or (lambda msg: None)
        self.fraction = fraction or (lambda share: None)  # 0..1 of the whole download, for a progress bar
        self.staging_path = self.db_path.with_name(self.db_path.name + ".danbooru-staging")
        self._last_request = 0.0
        self.requests = 0

    # ------------------------------------------------------------------ staging
    def _staging(self, restart: bool) -> sqlite3.Connection:
        if restart:
            self.staging_path.unlink(missing_ok=True)
        self.staging_path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.staging_path)
        conn.executescript(_STAGING_DDL)
        settings = {"base_url": self.base_url, "min_posts": str(self.min_posts)}
        saved = dict(conn.execute("SELECT key, value FROM state WHERE key IN ('base_url', 'min_posts')"))
        if saved and saved != settings:
            conn.close()
            self.staging_path.unlink()
            self.progress(f"discarding a partial download made with other settings ({saved})")
            return self._staging(False)
        with conn:
            conn.executemany("INSERT OR REPLACE INTO state VALUES (?, ?)", settings.items())
        return conn

    @staticmethod
    def _get_state(conn: sqlite3.Connection, key: str) -> str | None:
        row = conn.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    # ------------------------------------------------------------------ HTTP
    def _fetch(self, endpoint: str, params: dict) -> list[dict]:
        url = f"{self.base_url}{endpoint}?{urllib.parse.urlencode(params)}"
        delay = self.backoff
        for attempt in range(self.retries + 1):
            wait = self._last_request + self.interval - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self._last_request = time.monotonic()
            self.requests += 1
            request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    data = json.loads(response.read().decode("utf-8"))
                if not isinstance(data, list):
                    raise NetworkError(f"{url} answered {str(data)[:200]!r} instead of a list of records.")
                return data
            except urllib.error.HTTPError as exc:
                retryable = exc.code == 429 or exc.code >= 500
                problem = f"HTTP {exc.code} {exc.reason}"
            except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
                reason = getattr(exc, "reason", exc)
                retryable = not isinstance(reason, socket.gaierror)  # no DNS: offline, retrying won't help
                problem = str(reason) if retryable else f"cannot resolve the host, offline? ({reason})"
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                retryable = True
                problem = f"bad JSON ({exc})"
            if not retryable or attempt == self.retries:
                raise NetworkError(
                    f"Cannot fetch {url}: {problem}. The database is unchanged; what was downloaded so far is "
                    f"kept in {self.staging_path}. Check the connection and run `promptlab tags update` "
                    "again to resume.")
            self.progress(f"{problem}; retrying in {delay:.1f} s")
            time.sleep(delay)
            delay *= 2
        raise AssertionError("unreachable")

    # ------------------------------------------------------------------ phases
    def _download(self, conn: sqlite3.Connection) -> None:
        for number, (phase, endpoint, extra, fields) in enumerate(_PHASES):
            if self._get_state(conn, f"{phase}_done"):
                continue
            cursor = self._get_state(conn, f"{phase}_cursor")
            while True:
                params = {"limit": self.page_size, "only": fields, **extra}
                if phase == "tags":
                    params["search[post_count]"] = f">={self.min_posts}"
                if cursor:
                    params["page"] = f"b{cursor}"
                records = self._fetch(endpoint, params)
                rows = self._rows(phase, records)
                with conn:  # the page and the cursor after it are saved together
                    if phase == "tags":
                        conn.executemany("INSERT OR REPLACE INTO fetched_tags VALUES (?, ?, ?, ?, ?)", rows)
                    else:
                        conn.executemany("INSERT OR REPLACE INTO fetched_aliases VALUES (?, ?, ?)", rows)
                    if records:
                        cursor = str(min(int(r["id"]) for r in records))
                        conn.execute("INSERT OR REPLACE INTO state VALUES (?, ?)", (f"{phase}_cursor", cursor))
                        # Pages walk ids downwards from the newest: the first page's top id tells how far along we are.
                        conn.execute("INSERT OR IGNORE INTO state VALUES (?, ?)",
                                     (f"{phase}_top", str(max(int(r["id"]) for r in records))))
                    if len(records) < self.page_size:
                        conn.execute("INSERT OR REPLACE INTO state VALUES (?, '1')", (f"{phase}_done",))
                total = conn.execute(f"SELECT count(*) FROM fetched_{phase}").fetchone()[0]
                self.progress(f"{phase}: {total:,} so far")
                self.fraction(self._share(conn, number, phase, len(records) < self.page_size))
                if len(records) < self.page_size:
                    break

    def _share(self, conn: sqlite3.Connection, number: int, phase: str, done: bool) -> float:
        """Share of the whole download finished: tags are ~4/5 of it, aliases the rest."""
        weights = (0.8, 0.2)
        top, cursor = self._get_state(conn, f"{phase}_top"), self._get_state(conn, f"{phase}_cursor")
        within = 1.0 if done or not top or not cursor else max(0.0, min(1.0, 1 - (int(cursor) - 1) / int(top)))
        return sum(weights[:number]) + weights[number] * within

    def _rows(self, phase: str, records: list[dict]) -> list[tuple]:
        rows = []
        valid = {int(c) for c in Category if c not in (Category.RATING, Category.SD)}
        for r in records:
            try:
                if phase == "tags":
                    if int(r["category"]) in valid and int(r["post_count"]) >= self.min_posts:
                        rows.append((int(r["id"]), canonical_name(r["name"]), int(r["category"]),
                                     int(r["post_count"]), int(bool(r.get("is_deprecated")))))
                elif r.get("status", "active") == "active":
                    rows.append((int(r["id"]), canonical_name(r["antecedent_name"]),
                                 canonical_name(r["consequent_name"])))
            except (KeyError, TypeError, ValueError):
                continue  # a record of an unexpected shape: skipped, counted below
        return rows

    def run(self, *, restart: bool = False) -> ImportReport:
        started = time.perf_counter()
        conn = self._staging(restart)
        try:
            self._download(conn)
            tags = conn.execute("SELECT name, category, post_count, deprecated FROM fetched_tags").fetchall()
            aliases = conn.execute("SELECT antecedent, consequent FROM fetched_aliases").fetchall()
        finally:
            conn.close()
        names = {t[0] for t in tags}
        with atomic_update(self.db_path) as writer:
            writer.begin_source("danbooru-api", self.base_url)
            added, updated = writer.upsert_tags([(n, c, p) for n, c, p, _ in tags if not _],
                                                deprecated=False)
            dep_added, dep_updated = writer.upsert_tags([(n, c, p) for n, c, p, d in tags if d], deprecated=True)
            n_aliases = writer.upsert_aliases((a, c) for a, c in aliases if c in names and a not in names)
            writer.finish_source(len(tags) + len(aliases), 0)
        self.staging_path.unlink(missing_ok=True)
        self.fraction(1.0)
        return ImportReport(source=self.base_url, format="danbooru-api", rows_read=len(tags) + len(aliases),
                            tags_added=added + dep_added, tags_updated=updated + dep_updated, aliases=n_aliases,
                            seconds=time.perf_counter() - started, extra={"requests": self.requests})

"""Indexing folders: walk, compare size + mtime with the index, read only new or changed files,
keep the row of a moved file (matched by a fingerprint of its metadata), remove rows of deleted
files. ``scan`` is a generator of progress snapshots (the CLI prints them, the page polls a
``BackgroundScan``); rows are committed in batches, so a killed scan leaves a usable index and the
next scan continues where it stopped. The user's files are only ever opened for reading."""

from __future__ import annotations

import os
import sqlite3
import stat as stat_mod
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from promptlab.gallery import store
from promptlab.gallery.errors import GalleryError
from promptlab.gallery.record import IMAGE_SUFFIXES, ImageRecord, record_from_metadata

BATCH_SIZE = 500
# Below this many files to read, a process pool costs more to start than it saves.
POOL_THRESHOLD = 400


@dataclass(frozen=True)
class ScanProgress:
    phase: str = "walk"          # "walk" | "read" | "remove" | "done"
    found: int = 0               # image files seen
    to_read: int = 0             # new or changed
    read: int = 0
    added: int = 0
    updated: int = 0
    moved: int = 0
    removed: int = 0
    unchanged: int = 0
    failed: int = 0              # unreadable images (kept as rows with their error)
    skipped: int = 0             # changed while being read, or vanished: read again next scan
    problems: tuple[str, ...] = ()   # folders that could not be listed, files skipped (with why)

    @property
    def done(self) -> bool:
        return self.phase == "done"

    def as_dict(self) -> dict[str, object]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__} | {"problems": list(self.problems)}


@dataclass(frozen=True)
class _FileStat:
    path: str
    size: int
    mtime_ns: int


def walk_images(root: str, problems: list[str], unreadable: list[str]) -> Iterator[_FileStat]:
    """Image files under ``root``, following folder symlinks once (a symlink loop is walked once)."""
    seen_dirs: set[tuple[int, int]] = set()
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            st = os.stat(folder)
            key = (st.st_dev, st.st_ino)
            if key in seen_dirs:
                continue
            seen_dirs.add(key)
            with os.scandir(folder) as it:
                entries = list(it)
        except OSError as exc:
            problems.append(f"{folder}: {exc.strerror or exc}")
            unreadable.append(folder)
            continue
        subdirs = []
        for entry in entries:
            try:
                if entry.is_dir():
                    subdirs.append(entry.path)
                    continue
                if os.path.splitext(entry.name)[1].lower() not in IMAGE_SUFFIXES:
                    continue
                est = entry.stat()
            except OSError as exc:  # a dangling symlink, or a file deleted since the listing
                problems.append(f"{entry.path}: {exc.strerror or exc}")
                continue
            if stat_mod.S_ISREG(est.st_mode):
                yield _FileStat(entry.path, est.st_size, est.st_mtime_ns)
        stack.extend(sorted(subdirs, reverse=True))


def read_record(item: _FileStat) -> ImageRecord | str:
    """The row for one file, or why it was skipped. Picklable (runs in pool workers)."""
    from promptlab.metadata import read

    try:
        stream = open(item.path, "rb")
    except OSError as exc:
        return f"{item.path}: vanished or unreadable ({exc.strerror or exc}); it will be tried again on the next scan"
    with stream:
        meta = read(stream)
        # fstat, not stat: the open file is what was read. A file replaced by a rename meanwhile is
        # still read whole and consistent here, and the next scan sees the new one.
        after = os.fstat(stream.fileno())
    if after.st_size != item.size or after.st_mtime_ns != item.mtime_ns:
        return f"{item.path}: changed while being read; it will be read again on the next scan"
    return record_from_metadata(item.path, item.size, item.mtime_ns, meta)


def _read_many(items: list[_FileStat], workers: int) -> Iterator[ImageRecord | str]:
    if workers <= 1 or len(items) < POOL_THRESHOLD:
        yield from map(read_record, items)
        return
    import multiprocessing

    # forkserver, not fork: Streamlit runs this from a thread, and forking a threaded process can
    # copy a held lock into the child.
    from concurrent.futures.process import BrokenProcessPool

    context = multiprocessing.get_context("forkserver")
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            yield from pool.map(read_record, items, chunksize=64)
    except BrokenProcessPool as exc:
        raise GalleryError("gallery.err.workers", detail=str(exc)) from exc


def _prefix_range(root: str) -> tuple[str, str]:
    base = root.rstrip(os.sep) + os.sep
    return base, base[:-1] + chr(ord(os.sep) + 1)


def check_roots(roots: Iterable[str | os.PathLike[str]]) -> list[str]:
    """The folders as absolute paths; raises ``GalleryError`` for one that is not a folder."""
    folders = []
    for root in roots:
        path = os.path.abspath(os.fspath(root))
        if not os.path.isdir(path):
            raise GalleryError("gallery.err.not_a_folder", path=path)
        folders.append(path)
    return folders


def scan(roots: Iterable[str | os.PathLike[str]], *, db_path: str | Path | None = None, workers: int | None = None,
         batch_size: int = BATCH_SIZE, cancel: threading.Event | None = None) -> Iterator[ScanProgress]:
    """Index ``roots`` incrementally, yielding progress after the walk and after each batch.

    ``workers`` > 1 reads in that many processes (worth it with idle cores and a large first scan;
    the calling script must be importable, i.e. guarded by ``if __name__ == "__main__"``)."""
    folders = check_roots(roots)
    if workers is None:
        workers = 1
    conn = store.connect(db_path)
    try:
        yield from _scan(conn, folders, workers, batch_size, cancel)
    finally:
        conn.close()


def _scan(conn: sqlite3.Connection, folders: list[str], workers: int, batch_size: int,
          cancel: threading.Event | None) -> Iterator[ScanProgress]:
    # 1. walk every folder and compare with what the index holds under it
    problems: list[str] = []
    unreadable: list[str] = []
    found: dict[str, _FileStat] = {}
    known: dict[str, tuple[int, int, int, str | None]] = {}
    for folder in folders:
        for item in walk_images(folder, problems, unreadable):
            found[item.path] = item
        low, high = _prefix_range(folder)
        for row in conn.execute("SELECT id, path, size, mtime_ns, meta_hash FROM images WHERE path >= ? AND path < ?",
                                (low, high)):
            known[row[1]] = (row[0], row[2], row[3], row[4])
    to_read = [item for path, item in found.items()
               if path not in known or known[path][1:3] != (item.size, item.mtime_ns)]
    skip_prefixes = tuple(_prefix_range(d)[0] for d in unreadable)
    missing = {path: v for path, v in known.items() if path not in found and not path.startswith(skip_prefixes)}
    by_hash: dict[str, list[int]] = {}
    for row_id, _size, _mtime, digest in missing.values():
        if digest:
            by_hash.setdefault(digest, []).append(row_id)
    progress = ScanProgress("read", found=len(found), to_read=len(to_read), unchanged=len(found) - len(to_read),
                            problems=tuple(problems))
    yield progress
    # 2. read new and changed files; commit in batches
    moved_ids: set[int] = set()
    batch: list[ImageRecord | str] = []
    results = _read_many(to_read, workers)
    try:
        for result in results:
            batch.append(result)
            if len(batch) >= batch_size:
                progress = _commit(conn, batch, known, by_hash, moved_ids, progress)
                batch = []
                yield progress
                if cancel is not None and cancel.is_set():
                    return
        if batch:
            progress = _commit(conn, batch, known, by_hash, moved_ids, progress)
            yield progress
    finally:
        close = getattr(results, "close", None)
        if close is not None:
            close()
    # 3. remove rows of files that are gone (not moved)
    gone = [v[0] for v in missing.values() if v[0] not in moved_ids]
    if gone:
        with store.transaction(conn):
            store.delete_ids(conn, gone)
    if progress.read or gone:
        conn.execute("PRAGMA optimize")  # fresh statistics, so the planner picks good indexes
    yield replace(progress, phase="done", removed=len(gone))


def _commit(conn: sqlite3.Connection, batch: list[ImageRecord | str], known: dict, by_hash: dict[str, list[int]],
            moved_ids: set[int], progress: ScanProgress) -> ScanProgress:
    added = updated = moved = failed = skipped = 0
    problems = list(progress.problems)
    to_upsert: list[ImageRecord] = []
    with store.transaction(conn):
        for result in batch:
            if isinstance(result, str):
                skipped += 1
                problems.append(result)
                continue
            failed += result.error is not None
            candidates = by_hash.get(result.meta_hash or "", []) if result.path not in known else []
            if candidates:
                row_id = candidates.pop()
                moved_ids.add(row_id)
                store.move(conn, row_id, result)
                moved += 1
            else:
                to_upsert.append(result)
                if result.path in known:
                    updated += 1
                else:
                    added += 1
        store.upsert(conn, to_upsert)
    return replace(progress, read=progress.read + len(batch), added=progress.added + added,
                   updated=progress.updated + updated, moved=progress.moved + moved, failed=progress.failed + failed,
                   skipped=progress.skipped + skipped, problems=tuple(problems))


def index(roots: Iterable[str | os.PathLike[str]], *, db_path: str | Path | None = None, workers: int | None = None,
          on_progress: Callable[[ScanProgress], None] | None = None) -> ScanProgress:
    """Run ``scan`` to the end; returns the final progress (the report)."""
    last = ScanProgress()
    for last in scan(roots, db_path=db_path, workers=workers):
        if on_progress is not None:
            on_progress(last)
    return last


@dataclass
class BackgroundScan:
    """A scan in a daemon thread; the page keeps one in its session state and polls ``progress``."""

    roots: tuple[str, ...]
    db_path: str | None = None
    workers: int | None = None
    progress: ScanProgress = field(default_factory=ScanProgress)
    error: Exception | None = None
    _cancel: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> BackgroundScan:
        self._thread = threading.Thread(target=self._run, name="promptlab-gallery-scan", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            for self.progress in scan(self.roots, db_path=self.db_path, workers=self.workers, cancel=self._cancel):
                pass
        except (GalleryError, OSError, sqlite3.Error) as exc:
            self.error = exc

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def cancel(self) -> None:
        self._cancel.set()

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

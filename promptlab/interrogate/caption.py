"""Batch captioning of training folders: one caption file beside each image.

Decoding and preprocessing run in a thread pool ahead of inference (Pillow and onnxruntime both
release the GIL), images go to the model in batches, and each caption is written atomically as soon
as its batch is done. A journal file in the folder records finished images, so an interrupted run
resumes where it stopped (also under ``--existing overwrite/append``); it is removed when a run ends
cleanly.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from enum import Enum
from pathlib import Path

from promptlab.errors import InvalidInputError, PromptlabError
from promptlab.interrogate.images import IMAGE_EXTENSIONS
from promptlab.interrogate.labels import normalize_for_match
from promptlab.interrogate.postprocess import TagOptions, TagResult

JOURNAL_NAME = ".promptlab-caption.journal"


class ExistingPolicy(str, Enum):
    SKIP = "skip"
    OVERWRITE = "overwrite"
    APPEND = "append"


@dataclass(frozen=True)
class CaptionOptions:
    recursive: bool = False
    prepend: str = ""           # tags put first, e.g. a LoRA trigger word ("mychar, ")
    append: str = ""            # tags put last
    replace: tuple[tuple[str, str], ...] = ()  # tag -> replacement ("" removes the tag)
    ext: str = ".txt"
    existing: ExistingPolicy = ExistingPolicy.SKIP
    batch_size: int = 8
    workers: int | None = None  # decoding threads; None: one per CPU core, at least 2, at most 8
    restart: bool = False       # ignore a previous run's journal

    def __post_init__(self) -> None:
        if not self.ext.startswith(".") or len(self.ext) < 2 or "/" in self.ext or "\\" in self.ext:
            raise InvalidInputError(f"Caption extension {self.ext!r} must look like .txt or .caption.")
        if self.ext.lower() in IMAGE_EXTENSIONS:
            raise InvalidInputError(f"Caption extension {self.ext} would overwrite images; use .txt.")
        if self.batch_size < 1 or (self.workers is not None and self.workers < 1):
            raise InvalidInputError("batch size and workers must be at least 1.")

    @property
    def decode_threads(self) -> int:
        return self.workers or min(8, max(2, os.cpu_count() or 2))


@dataclass(frozen=True)
class CaptionReport:
    total: int
    written: tuple[Path, ...]
    skipped_existing: tuple[Path, ...]
    resumed: tuple[Path, ...]
    failed: tuple[tuple[Path, str], ...]
    provider: str
    seconds: float
    cancelled: bool = False

    def to_dict(self) -> dict:
        return {
            "total": self.total, "written": len(self.written), "skipped_existing": len(self.skipped_existing),
            "resumed": len(self.resumed), "failed": [{"path": str(p), "error": e} for p, e in self.failed],
            "provider": self.provider, "seconds": round(self.seconds, 3), "cancelled": self.cancelled,
        }


def parse_replacements(items: Iterable[str]) -> tuple[tuple[str, str], ...]:
    """``["a=b", "c="]`` -> ``(("a", "b"), ("c", ""))``."""
    pairs = []
    for item in items:
        if "=" not in item:
            raise InvalidInputError(f"--replace {item!r}: write it as old=new (new may be empty to remove).")
        old, new = item.split("=", 1)
        if not old.strip():
            raise InvalidInputError(f"--replace {item!r}: the tag to replace is empty.")
        pairs.append((old.strip(), new.strip()))
    return tuple(pairs)


def find_images(folder: Path, *, recursive: bool = False) -> list[Path]:
    if not folder.is_dir():
        raise InvalidInputError(f"{folder} is not a folder.")
    pattern = folder.rglob("*") if recursive else folder.iterdir()
    return sorted(p for p in pattern if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS
                  and not any(part.startswith(".") for part in p.relative_to(folder).parts))


def _split_tags(text: str) -> list[str]:
    return [t.strip() for t in text.replace("\n", ",").split(",") if t.strip()]


def caption_text(result: TagResult, options: CaptionOptions, existing: str | None = None) -> str:
    """Prompt text -> caption: replacements, then prepend/append tags (no duplicates), then APPEND merge."""
    replace = {normalize_for_match(a): b for a, b in options.replace}
    tags: list[str] = []
    for tag in _split_tags(result.prompt):
        key = normalize_for_match(tag.strip("()").rsplit(":", 1)[0] if tag.startswith("(") else tag)
        if key in replace:
            tag = replace[key]
        if tag:
            tags.append(tag)
    head, tail = _split_tags(options.prepend), _split_tags(options.append)
    fixed = {normalize_for_match(t) for t in head + tail}
    tags = head + [t for t in tags if normalize_for_match(t) not in fixed] + tail
    if existing is not None and existing.strip():
        old = _split_tags(existing)
        seen = {normalize_for_match(t) for t in old}
        tags = old + [t for t in tags if normalize_for_match(t) not in seen]
    out, seen_keys = [], set()
    for tag in tags:
        key = normalize_for_match(tag)
        if key not in seen_keys:
            seen_keys.add(key)
            out.append(tag)
    return ", ".join(out)


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text + "\n", encoding="utf-8")
    os.replace(tmp, path)


class _Journal:
    def __init__(self, folder: Path, key: str, restart: bool) -> None:
        self.path = folder / JOURNAL_NAME
        self.done: set[str] = set()
        if self.path.is_file() and not restart:
            lines = self.path.read_text(encoding="utf-8").splitlines()
            if lines and lines[0] == key:
                self.done = set(lines[1:])
        if not self.done:
            self.path.write_text(key + "\n", encoding="utf-8")
        self._handle = self.path.open("a", encoding="utf-8")

    def mark(self, rel: str) -> None:
        self._handle.write(rel + "\n")
        self._handle.flush()

    def close(self, *, remove: bool) -> None:
        self._handle.close()
        if remove:
            self.path.unlink(missing_ok=True)


Progress = Callable[[int, int, Path], None]


def caption_folder(
    folder: str | Path,
    tagger,
    tag_options: TagOptions | None = None,
    options: CaptionOptions = CaptionOptions(),
    *,
    progress: Progress | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> CaptionReport:
    """Caption every image in ``folder`` with ``tagger`` (an OnnxTagger or anything with
    ``prepare``/``predict``/``postprocess`` and ``providers``)."""
    started = time.perf_counter()
    folder = Path(folder)
    tag_options = tag_options or tagger.default_options()
    images = find_images(folder, recursive=options.recursive)
    settings = asdict(tag_options) | {"exclude": sorted(tag_options.exclude)}
    key = hashlib.sha256(json.dumps(
        [getattr(tagger, "name", ""), settings,
         asdict(options) | {"restart": False, "workers": None, "batch_size": None}],
        default=str, sort_keys=True).encode()).hexdigest()
    journal = _Journal(folder, key, options.restart)
    skipped, resumed, todo = [], [], []
    failed: list[tuple[Path, str]] = []
    owners: dict[Path, Path] = {}
    for path in images:
        rel = path.relative_to(folder).as_posix()
        caption_path = path.with_suffix(options.ext)
        if caption_path in owners:
            failed.append((path, f"shares {caption_path.name} with {owners[caption_path].name}; rename one of them"))
            continue
        owners[caption_path] = path
        if rel in journal.done:
            resumed.append(path)
        elif options.existing is ExistingPolicy.SKIP and path.with_suffix(options.ext).exists():
            skipped.append(path)
        else:
            todo.append(path)
    written: list[Path] = []
    done_count = len(images) - len(todo)
    cancelled = False

    def flush(batch: list[tuple[Path, object]]) -> None:
        nonlocal done_count
        probs = tagger.predict([arr for _, arr in batch])
        for (path, _), p in zip(batch, probs):
            caption_path = path.with_suffix(options.ext)
            try:
                existing = None
                if options.existing is ExistingPolicy.APPEND and caption_path.is_file():
                    existing = caption_path.read_text(encoding="utf-8", errors="replace")
                _write_atomic(caption_path, caption_text(tagger.postprocess(p, tag_options), options, existing))
            except OSError as exc:
                failed.append((path, f"cannot write {caption_path.name}: {exc}"))
            else:
                written.append(path)
                journal.mark(path.relative_to(folder).as_posix())
            done_count += 1
            if progress:
                progress(done_count, len(images), path)

    try:
        threads = options.decode_threads
        with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="caption-decode") as pool:
            pending: deque[tuple[Path, Future]] = deque()
            queue = iter(todo)
            window = options.batch_size * 2 + threads
            batch: list[tuple[Path, object]] = []

            def refill() -> None:
                while len(pending) < window:
                    path = next(queue, None)
                    if path is None:
                        return
                    pending.append((path, pool.submit(tagger.prepare, path)))

            refill()
            while pending:
                if should_stop and should_stop():
                    cancelled = True
                    for _, fut in pending:
                        fut.cancel()
                    break
                path, fut = pending.popleft()
                refill()
                try:
                    batch.append((path, fut.result()))
                except PromptlabError as exc:
                    failed.append((path, str(exc)))
                    done_count += 1
                    if progress:
                        progress(done_count, len(images), path)
                if len(batch) >= options.batch_size:
                    flush(batch)
                    batch = []
            if batch and not cancelled:
                flush(batch)
    finally:
        journal.close(remove=not cancelled and not failed and done_count == len(images))
    return CaptionReport(
        total=len(images), written=tuple(written), skipped_existing=tuple(skipped), resumed=tuple(resumed),
        failed=tuple(failed), provider=tagger.providers.provider, seconds=time.perf_counter() - started,
        cancelled=cancelled,
    )

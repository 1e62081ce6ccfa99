"""Batch captioning of training folders: one caption file beside each image.

Decoding and preprocessing run in a thread pool ahead of inference (Pillow and onnxruntime both
release the GIL; on Linux the decode threads run at a lower priority, so onnxruntime keeps its cores
when it needs them), images go to the model in batches, and each caption is written atomically as soon
as its batch is done. A journal file in the folder records finished images, so an interrupted run
resumes where it stopped (also under ``--existing overwrite/append``); it is removed when a run ends
cleanly.

The batch size is ``"auto"`` by default (:class:`AutoBatch`): the first images of the run itself are
timed at batch 1, then at 2, 4 and 8 while each size is clearly faster per image than the best so far
(interleaved with it, fastest call counted, so a burst of load elsewhere does not decide).
Batching pays on a GPU; on the CPU provider a ViT-size tagger is no faster per image in batches, often
slower (2 cores: 0.63 images/s at batch 8, 0.76 at batch 1), so there it mostly settles on 1. Only the
speed depends on the batch size, not the captions.
"""

from __future__ import annotations

import hashlib
import json
import operator
import os
import re
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass
from enum import Enum
from pathlib import Path

from promptlab.errors import InvalidInputError, PromptlabError
from promptlab.interrogate.images import IMAGE_EXTENSIONS
from promptlab.interrogate.labels import normalize_for_match
from promptlab.interrogate.postprocess import TagOptions, TagResult

JOURNAL_NAME = ".promptlab-caption.journal"
AUTO = "auto"
CPU_PROVIDER = "CPUExecutionProvider"
AUTO_LADDER = (1, 2, 4, 8)  # batch sizes "auto" tries, in order (8: the former default, safe for GPU memory)
AUTO_MARGIN = 0.9           # a larger batch is kept when it takes at most 90% of the best time per image


def parse_batch_size(value) -> int | str:
    """``"auto"`` or a whole number of images of at least 1 (also as text, as a command line gives it)."""
    if isinstance(value, str):
        text = value.strip().lower()
        if text == AUTO:
            return AUTO
        if not re.fullmatch(r"[+-]?\d+", text):
            raise InvalidInputError(f"batch size {value!r} is neither auto nor a whole number; "
                                    "use auto or a number of images of at least 1.")
        number = int(text)
    else:
        try:
            if isinstance(value, bool):
                raise TypeError
            number = operator.index(value)
        except TypeError:
            raise InvalidInputError(f"batch size {value!r} is neither auto nor a whole number; "
                                    "use auto or a number of images of at least 1.") from None
    if number < 1:
        raise InvalidInputError(f"batch size {number} is too small; use auto or a number of images of at least 1.")
    return number


def default_decode_threads(provider: str, ort_threads: int | None, cpus: int | None = None) -> int:
    """Decoding threads: with fewer onnxruntime threads than cores on the CPU provider, the cores it
    leaves; otherwise one per core, at least 2, at most 8.

    One thread on a small machine would leave onnxruntime every core, but a fast tagger is then
    decode-bound and the pipeline falls behind the naive loop (2 cores, tiny tagger: 0.90x with one
    thread, 1.6-1.8x with two); a ViT-size tagger runs as fast with one thread as with two. So
    decoding gets its threads, at a lower priority instead (``_yield_to_inference``).
    """
    cpus = cpus or os.cpu_count() or 2
    if provider == CPU_PROVIDER and ort_threads and ort_threads < cpus:
        return max(1, min(8, cpus - ort_threads))
    return min(8, max(2, cpus))


DECODE_NICENESS = 10  # decode threads run this much nicer than the process (Linux)


def _yield_to_inference() -> None:
    """Thread-pool initializer: on Linux, lower this decode thread's priority (a per-thread nice value),
    so onnxruntime's threads get the cores whenever they want them and decoding takes what is left.
    Elsewhere ``setpriority`` would renice the whole process, so it is left alone."""
    if not sys.platform.startswith("linux"):
        return
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + DECODE_NICENESS))
    except OSError:
        pass


class AutoBatch:
    """Choose the batch size on the run's own first images (no extra inference).

    Batch 1 first: one untimed call (onnxruntime's first run allocates and optimises), then two timed
    calls. Then the next size of ``ladder`` against the best so far, interleaved: candidate, best,
    candidate (on GPU providers after one untimed candidate batch, ``warm_up_larger``: CUDA/cuDNN tune
    kernels for each new input shape). Each size counts its fastest call in seconds per image, so a
    burst of load from elsewhere during one call does not decide; the candidate wins when it takes at
    most ``margin`` times the best's time, and the climb goes on from it, else it stops and the best
    size runs the rest. A short last batch (the images ran out) is not timed.

    Ask ``size`` before each model call and ``record`` the call afterwards; before a call that
    ``timing_next`` says is timed, caption_folder lets the decoding in flight finish, so the start-up
    burst of prefetching does not weigh on batch 1's time.
    """

    def __init__(self, *, warm_up_larger: bool = False, ladder: tuple[int, ...] = AUTO_LADDER,
                 margin: float = AUTO_MARGIN) -> None:
        self._ladder = ladder
        self._warm_up_larger = warm_up_larger
        self._margin = margin
        self._steps: deque[tuple[int, bool]] = deque([(ladder[0], False), (ladder[0], True), (ladder[0], True)])
        self._candidate: int | None = None
        self.best = ladder[0]
        self.seconds_per_image: dict[int, float] = {}  # the fastest timed call of each size

    @classmethod
    def for_tagger(cls, tagger) -> AutoBatch | None:
        """The chooser for ``tagger``'s runs, or None where there is nothing to choose: a graph with a
        fixed batch of 1 runs one image per call whatever it is given."""
        if not getattr(getattr(tagger, "info", None), "dynamic_batch", True):
            return None
        return cls(warm_up_larger=tagger.providers.provider != CPU_PROVIDER)

    @property
    def size(self) -> int:
        return self._steps[0][0] if self._steps else self.best

    @property
    def settled(self) -> bool:
        return not self._steps

    @property
    def timing_next(self) -> bool:
        """The next call is timed."""
        return bool(self._steps) and self._steps[0][1]

    def record(self, images: int, seconds: float) -> None:
        if not self._steps or images != self._steps[0][0]:
            return
        size, timed = self._steps.popleft()
        if timed:
            per_image = seconds / images
            self.seconds_per_image[size] = min(per_image, self.seconds_per_image.get(size, per_image))
        if self._steps:
            return
        if self._candidate is not None:
            if self.seconds_per_image[self._candidate] > self._margin * self.seconds_per_image[self.best]:
                return  # not clearly faster: stop climbing, keep the best
            self.best = self._candidate
        larger = [n for n in self._ladder if n > self.best]
        if larger:
            self._candidate = c = larger[0]
            warm_up = [(c, False)] if self._warm_up_larger else []
            self._steps.extend(warm_up + [(c, True), (self.best, True), (c, True)])


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
    batch_size: int | str = AUTO  # "auto" (see AutoBatch) or images per model call
    workers: int | None = None  # decoding threads; None: see default_decode_threads
    restart: bool = False       # ignore a previous run's journal

    def __post_init__(self) -> None:
        if not self.ext.startswith(".") or len(self.ext) < 2 or "/" in self.ext or "\\" in self.ext:
            raise InvalidInputError(f"Caption extension {self.ext!r} must look like .txt or .caption.")
        if self.ext.lower() in IMAGE_EXTENSIONS:
            raise InvalidInputError(f"Caption extension {self.ext} would overwrite images; use .txt.")
        object.__setattr__(self, "batch_size", parse_batch_size(self.batch_size))
        if self.workers is not None and (isinstance(self.workers, bool) or not isinstance(self.workers, int)
                                         or self.workers < 1):
            raise InvalidInputError(f"workers {self.workers!r}: use a whole number of at least 1.")

    def decode_threads_for(self, tagger) -> int:
        """``workers``, or the default for this tagger's provider and onnxruntime threads."""
        return self.workers or default_decode_threads(tagger.providers.provider, getattr(tagger, "threads", None))


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
    batch_size: int = 1          # the batch size the run used (auto: the one it settled on)
    batch_auto: bool = False     # chosen by AutoBatch
    batch_timings: tuple[tuple[int, float], ...] = ()  # auto: (batch size, inference seconds per image)
    decode_threads: int = 1

    def to_dict(self) -> dict:
        return {
            "total": self.total, "written": len(self.written), "skipped_existing": len(self.skipped_existing),
            "resumed": len(self.resumed), "failed": [{"path": str(p), "error": e} for p, e in self.failed],
            "provider": self.provider, "seconds": round(self.seconds, 3), "cancelled": self.cancelled,
            "batch_size": self.batch_size, "batch_auto": self.batch_auto,
            "batch_timings": {str(n): round(t, 6) for n, t in self.batch_timings},
            "decode_threads": self.decode_threads,
        }

    def batch_summary(self) -> str:
        """``batch 1 (auto: 1.21 s/image at 1, 1.40 at 2)``, or ``batch 8``."""
        if not self.batch_auto:
            return f"batch {self.batch_size}"
        if not self.batch_timings:
            return f"batch {self.batch_size} (auto)"
        timings = ", ".join(f"{t:.3g} at {n}" for n, t in self.batch_timings)
        return f"batch {self.batch_size} (auto: s/image {timings})"


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


def journal_key(tagger_name: str, tag_options: TagOptions, options: CaptionOptions) -> str:
    """What a journal belongs to: the same tagger and options (not how fast they run). A run on Ray
    and a local run share it, so either resumes the other."""
    settings = asdict(tag_options) | {"exclude": sorted(tag_options.exclude)}
    return hashlib.sha256(json.dumps(
        [tagger_name, settings, asdict(options) | {"restart": False, "workers": None, "batch_size": None}],
        default=str, sort_keys=True).encode()).hexdigest()


def classify(images: Iterable[Path], folder: Path, done: set[str], options: CaptionOptions,
             ) -> tuple[list[Path], list[Path], list[Path], list[tuple[Path, str]]]:
    """Sorted images -> (resumed, skipped because a caption exists, to do, failed). Two images that
    would write the same caption file (a.png, a.jpg): the first in sorted order owns it."""
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
        if rel in done:
            resumed.append(path)
        elif options.existing is ExistingPolicy.SKIP and caption_path.exists():
            skipped.append(path)
        else:
            todo.append(path)
    return resumed, skipped, todo, failed


def write_caption(path: Path, result: TagResult, options: CaptionOptions) -> Path:
    """Write ``path``'s caption file atomically (APPEND merges with the file already there)."""
    caption_path = path.with_suffix(options.ext)
    existing = None
    if options.existing is ExistingPolicy.APPEND and caption_path.is_file():
        existing = caption_path.read_text(encoding="utf-8", errors="replace")
    _write_atomic(caption_path, caption_text(result, options, existing))
    return caption_path


Progress = Callable[[int, int, Path], None]


def caption_folder(
    folder: str | Path,
    tagger,
    tag_options: TagOptions | None = None,
    options: CaptionOptions = CaptionOptions(),
    *,
    progress: Progress | None = None,
    should_stop: Callable[[], bool] | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> CaptionReport:
    """Caption every image in ``folder`` with ``tagger`` (an OnnxTagger or anything with
    ``prepare``/``predict``/``postprocess`` and ``providers``). ``clock`` times the model calls for
    ``batch_size="auto"``."""
    started = time.perf_counter()
    folder = Path(folder)
    tag_options = tag_options or tagger.default_options()
    images = find_images(folder, recursive=options.recursive)
    journal = _Journal(folder, journal_key(getattr(tagger, "name", ""), tag_options, options), options.restart)
    resumed, skipped, todo, failed = classify(images, folder, journal.done, options)
    written: list[Path] = []
    done_count = len(images) - len(todo)
    cancelled = False
    provider = tagger.providers.provider
    auto = options.batch_size == AUTO
    chooser = AutoBatch.for_tagger(tagger) if auto else None
    fixed_size = 1 if auto else options.batch_size

    def flush(batch: list[tuple[Path, object]]) -> None:
        nonlocal done_count
        t0 = clock()
        probs = tagger.predict([arr for _, arr in batch])
        if chooser:
            chooser.record(len(batch), clock() - t0)
        for (path, _), p in zip(batch, probs):
            try:
                write_caption(path, tagger.postprocess(p, tag_options), options)
            except OSError as exc:
                failed.append((path, f"cannot write {path.with_suffix(options.ext).name}: {exc}"))
            else:
                written.append(path)
                journal.mark(path.relative_to(folder).as_posix())
            done_count += 1
            if progress:
                progress(done_count, len(images), path)

    threads = options.decode_threads_for(tagger)
    try:
        with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="caption-decode",
                                initializer=_yield_to_inference) as pool:
            pending: deque[tuple[Path, Future]] = deque()
            queue = iter(todo)
            window = (max(AUTO_LADDER) if auto else options.batch_size) * 2 + threads
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
                if len(batch) >= (chooser.size if chooser else fixed_size):
                    if chooser and chooser.timing_next:
                        wait([f for _, f in pending])
                    flush(batch)
                    batch = []
            if batch and not cancelled:
                flush(batch)
    finally:
        journal.close(remove=not cancelled and not failed and done_count == len(images))
    return CaptionReport(
        total=len(images), written=tuple(written), skipped_existing=tuple(skipped), resumed=tuple(resumed),
        failed=tuple(failed), provider=provider, seconds=time.perf_counter() - started,
        cancelled=cancelled, batch_size=chooser.best if chooser else fixed_size, batch_auto=auto,
        batch_timings=tuple(sorted(chooser.seconds_per_image.items())) if chooser else (),
        decode_threads=threads,
    )

"""Tagger downloads: a hub repo's files land in models/taggers/<name>/ (A1111's layout), with progress (size,
speed, time left), a read timeout, the HF_ENDPOINT mirror, and never a half-written file under its real name.

Taggers used to go through huggingface_hub into its cache, with no progress and an English-only error. A copy
already in that cache is still used (``cached_folder``), so nothing that was fetched before is fetched again.
Each file is written to ``<name>.<random>.part`` and renamed when complete; a failed file's ``.part`` is deleted (tagger
files are hundreds of MB, not GBs: starting again is acceptable, a stale half file is not).
"""

from __future__ import annotations

import http.client
import os
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from promptlab.backend.download import READ_TIMEOUT_S, Rate, hub_endpoint, hub_offline
from promptlab.errors import ModelNotFoundError, with_ui_text

# The small label file first: a wrong repo id or an unreachable mirror fails in a second, not after a GB.
TAGGER_FILES = ("selected_tags.csv", "model.onnx")
MIRROR_EXAMPLE = "https://hf-mirror.com"


@dataclass(frozen=True)
class FileProgress:
    """One progress report: which file (index of count) and how far it is."""
    filename: str
    index: int
    count: int
    rate: Rate

    @property
    def fraction(self) -> float:
        return min(1.0, self.rate.done / self.rate.total) if self.rate.total > 0 else 0.0

    def text(self) -> str:
        """"model.onnx (2/2) · 120.0 MiB / 1.2 GiB · 8.3 MiB/s · 2:13": names and numbers, the same in every
        UI language."""
        return f"{self.filename} ({self.index}/{self.count}) · {self.rate.text()}"


ProgressFn = Callable[[FileProgress], None]


def file_url(repo_id: str, filename: str) -> str:
    return f"{hub_endpoint()}/{repo_id}/resolve/main/{filename}"


def missing_files(folder: Path, filenames: Sequence[str] = TAGGER_FILES) -> list[str]:
    return [name for name in filenames if not (folder / name).is_file()]


def cached_folder(repo_id: str, filenames: Sequence[str] = TAGGER_FILES) -> Path | None:
    """The huggingface_hub cache's snapshot folder holding all of ``filenames`` (taggers fetched before this
    module existed), or None."""
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:  # no huggingface_hub: there is no cache to look in
        return None
    found = [try_to_load_from_cache(repo_id, name) for name in filenames]
    if all(isinstance(path, str) for path in found) and len({Path(p).parent for p in found}) == 1:
        return Path(found[0]).parent
    return None


def download_failure(repo_id: str, folder: Path, files: Sequence[str], reason: str) -> ModelNotFoundError:
    """The error for a tagger that could not be fetched: which files, from where, and which folder to put them in."""
    endpoint = hub_endpoint()
    names = " and ".join(files)
    exc = ModelNotFoundError(
        f"Could not download tagger {repo_id} from {endpoint} ({reason}). Offline? Download {names} from "
        f"{endpoint}/{repo_id} on another machine and put them in {folder}/ (models/taggers/{folder.name}/ of "
        f"your models folder), or set HF_ENDPOINT to a mirror you can reach (e.g. {MIRROR_EXAMPLE})."
    )
    return with_ui_text(exc, "firsthour.tagger.download_failed", repo=repo_id, files=", ".join(files),
                        folder=folder, endpoint=endpoint, url=f"{endpoint}/{repo_id}", mirror=MIRROR_EXAMPLE)


def download_tagger(repo_id: str, folder: Path, *, filenames: Sequence[str] = TAGGER_FILES,
                    progress: ProgressFn | None = None, timeout: float = READ_TIMEOUT_S,
                    chunk: int = 1 << 20) -> Path:
    """Fetch the files of ``repo_id`` that ``folder`` lacks into it; return ``folder``.

    ``progress`` is called per chunk; a connection silent for ``timeout`` seconds fails. On failure nothing is
    left under a real file name (and a folder this call created is removed again if it stayed empty)."""
    missing = missing_files(folder, filenames)
    if not missing:
        return folder
    if hub_offline():
        raise download_failure(repo_id, folder, missing, "HF_HUB_OFFLINE is set")
    created = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    for index, name in enumerate(missing, 1):
        report = None if progress is None else \
            (lambda rate, name=name, index=index: progress(FileProgress(name, index, len(missing), rate)))
        try:
            _fetch(file_url(repo_id, name), folder / name, report, timeout, chunk)
        except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as exc:
            if created and not any(folder.iterdir()):
                folder.rmdir()
            raise download_failure(repo_id, folder, missing_files(folder, filenames),
                                   f"{name}: {type(exc).__name__}: {exc}") from exc
    return folder


def _fetch(url: str, target: Path, report: Callable[[Rate], None] | None, timeout: float, chunk: int) -> None:
    # one .part per download: two sessions (threads) or Ray workers fetching the same tagger never write into
    # one file; each renames a complete copy, so whichever lands last is complete too
    part = target.with_name(f"{target.name}.{uuid.uuid4().hex[:8]}.part")
    request = urllib.request.Request(url, headers={"User-Agent": "promptlab"})
    started, done, finished = time.monotonic(), 0, False
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response, part.open("wb") as out:
            total = int(response.headers.get("Content-Length") or 0)
            while block := response.read(chunk):
                out.write(block)
                done += len(block)
                if report is not None:
                    report(Rate(done, max(total, done), time.monotonic() - started))
        if total and done != total:
            raise OSError(f"the connection closed after {done} of {total} bytes")
        os.replace(part, target)
        finished = True
    finally:  # also on a Streamlit rerun or Ctrl+C in the middle: no half file stays behind
        if not finished:
            part.unlink(missing_ok=True)


def stderr_progress(stream: TextIO | None = None, every_s: float | None = None) -> ProgressFn:
    """A progress line for the CLI: rewritten in place on a terminal, a line every few seconds in a log."""
    out = stream or sys.stderr
    tty = bool(getattr(out, "isatty", lambda: False)())
    interval = every_s if every_s is not None else (0.2 if tty else 5.0)
    last: dict[str, float] = {}   # per call of this factory (one download), not module state

    def show(p: FileProgress) -> None:
        complete = p.rate.done >= p.rate.total > 0
        now = time.monotonic()
        if not complete and now - last.get(p.filename, -interval) < interval:
            return
        last[p.filename] = now
        line = f"downloading {p.text()}"
        out.write(("\r" + line.ljust(78) if tty else line) + ("\n" if complete or not tty else ""))
        out.flush()

    return show

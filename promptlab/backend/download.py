"""First run: download a default checkpoint into models/Stable-diffusion/ (as A1111 does on its first
launch), with progress (bytes, speed) and a sha256 check. Only when the machine is online; otherwise a
clear message naming the file and the folder to copy it into.

``HF_ENDPOINT`` (the variable huggingface_hub reads too) points downloads at a mirror, for users who
cannot reach huggingface.co (e.g. ``HF_ENDPOINT=https://hf-mirror.com``).
"""

from __future__ import annotations

import hashlib
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from promptlab.errors import BackendError, InvalidInputError


@dataclass(frozen=True)
class DefaultCheckpoint:
    filename: str
    url: str
    sha256: str
    size: int
    repo: str = ""   # the hub repository: with HF_ENDPOINT set, the file comes from that mirror instead


HUB = "https://huggingface.co"
READ_TIMEOUT_S = 30.0   # a stalled connection fails after this long instead of hanging the page


# The checkpoint A1111 downloads on first launch (model hash 6ce0161689).
DEFAULT_CHECKPOINT = DefaultCheckpoint(
    filename="v1-5-pruned-emaonly.safetensors",
    url="https://huggingface.co/stable-diffusion-v1-5/stable-diffusion-v1-5/resolve/main/v1-5-pruned-emaonly.safetensors",
    sha256="6ce0161689b3853acaa03779ec93eafe75a02f4ced659bee03f50797806fa2fa",
    size=4_265_146_304,
    repo="stable-diffusion-v1-5/stable-diffusion-v1-5",
)


def hub_endpoint() -> str:
    """Where hub files come from: ``HF_ENDPOINT`` (a mirror) or huggingface.co."""
    return os.environ.get("HF_ENDPOINT", "").strip().rstrip("/") or HUB


def hub_offline() -> bool:
    """Whether HF_HUB_OFFLINE asks for no downloads, read as huggingface_hub reads it (1/true/yes/on)."""
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def resolved_url(spec: DefaultCheckpoint) -> str:
    if spec.repo and hub_endpoint() != HUB:
        return f"{hub_endpoint()}/{spec.repo}/resolve/main/{spec.filename}"
    return spec.url


@dataclass(frozen=True)
class Rate:
    """Download progress as shown to the user: bytes done/total, speed, time left."""
    done: int
    total: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.done / self.seconds if self.seconds > 0 else 0.0

    @property
    def seconds_left(self) -> float | None:
        speed = self.per_second
        return (self.total - self.done) / speed if speed > 0 and self.total >= self.done else None

    def text(self) -> str:
        """"1.2 / 4.0 GiB · 35.1 MiB/s · 1:20" (numbers and units only: the same in every UI language)."""
        left = self.seconds_left
        eta = f" · {int(left // 60)}:{int(left % 60):02d}" if left is not None else ""
        return f"{_size(self.done)} / {_size(self.total)} · {_size(self.per_second)}/s{eta}"


def _size(n: float) -> str:
    for unit in ("B", "KiB", "MiB"):
        if n < 1024:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.2f} GiB"

ProgressFn = Callable[[int, int], None]  # (bytes done, bytes total)


def is_online(url: str | None = None, timeout: float = 3.0) -> bool:
    """True when ``url``'s host answers (and downloads are not disabled by HF_HUB_OFFLINE); by default
    the default checkpoint's URL (on the HF_ENDPOINT mirror when one is set)."""
    url = url or resolved_url(DEFAULT_CHECKPOINT)
    if os.environ.get("HF_HUB_OFFLINE", "") not in ("", "0", "false"):
        return False
    request = urllib.request.Request(url, method="HEAD")
    try:
        with urllib.request.urlopen(request, timeout=timeout):
            return True
    except urllib.error.HTTPError as exc:
        return exc.code < 500
    except (urllib.error.URLError, OSError, ValueError):
        return False


def offline_message(folder: Path) -> str:
    return (
        f"This machine cannot reach the download server ({hub_endpoint()}), so no default checkpoint can be "
        f"fetched. Copy a Stable Diffusion .safetensors checkpoint into {folder} (for example "
        f"{DEFAULT_CHECKPOINT.filename} from the {DEFAULT_CHECKPOINT.repo} repository) and try again, or set "
        "HF_ENDPOINT to a mirror you can reach."
    )


def download_checkpoint(folder: str | Path, *, spec: DefaultCheckpoint = DEFAULT_CHECKPOINT,
                        progress: ProgressFn | None = None, chunk: int = 1 << 20,
                        timeout: float = READ_TIMEOUT_S, rate: Callable[[Rate], None] | None = None) -> Path:
    """Download ``spec`` into ``folder`` (resumable ``.part`` file), verify sha256, return the path.

    ``progress(done, total)`` and/or ``rate(Rate)`` (with speed and time left) are called per chunk;
    a connection silent for ``timeout`` seconds fails with a message that says what to do offline."""
    folder = Path(folder)
    target = folder / spec.filename
    if target.exists():
        raise InvalidInputError(f"{target} already exists; nothing to download.")
    folder.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + ".part")
    digest = hashlib.sha256()
    done = 0
    if part.exists():  # resume: hash what is there
        with part.open("rb") as fh:
            for block in iter(lambda: fh.read(chunk), b""):
                digest.update(block)
                done += len(block)
    url = resolved_url(spec)
    request = urllib.request.Request(url, headers={"Range": f"bytes={done}-"} if done else {})
    started, resumed_at = time.monotonic(), done
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response, part.open("ab" if done else "wb") as out:
            if done and getattr(response, "status", 200) != 206:  # server ignored the range: start over
                out.seek(0)
                out.truncate()
                digest, done = hashlib.sha256(), 0
            total = done + int(response.headers.get("Content-Length") or max(spec.size - done, 0))
            while block := response.read(chunk):
                out.write(block)
                digest.update(block)
                done += len(block)
                if progress is not None:
                    progress(done, total)
                if rate is not None:
                    rate(Rate(done - resumed_at, total - resumed_at, time.monotonic() - started))
    except (urllib.error.URLError, OSError) as exc:
        raise BackendError(
            f"Download of {spec.filename} from {url} failed ({exc}); {done} bytes are kept in {part} and the "
            f"next attempt resumes from there. Offline? Copy {spec.filename} (or any .safetensors checkpoint) "
            f"into {folder} yourself, or set HF_ENDPOINT to a mirror you can reach."
        ) from exc
    actual = digest.hexdigest()
    if actual != spec.sha256:
        part.unlink(missing_ok=True)
        raise BackendError(
            f"Checksum mismatch for {spec.filename}: expected sha256 {spec.sha256}, got {actual}. "
            "The partial file was deleted; try again."
        )
    os.replace(part, target)
    return target

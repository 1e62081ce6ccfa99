"""First run: download a default checkpoint into models/Stable-diffusion/ (as A1111 does on its first
launch), with progress and a sha256 check. Only when the machine is online; otherwise a clear message.
"""

from __future__ import annotations

import hashlib
import os
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


# The checkpoint A1111 downloads on first launch (model hash 6ce0161689).
DEFAULT_CHECKPOINT = DefaultCheckpoint(
    filename="v1-5-pruned-emaonly.safetensors",
    url="https://huggingface.co/stable-diffusion-v1-5/stable-diffusion-v1-5/resolve/main/v1-5-pruned-emaonly.safetensors",
    sha256="6ce0161689b3853acaa03779ec93eafe75a02f4ced659bee03f50797806fa2fa",
    size=4_265_146_304,
)

ProgressFn = Callable[[int, int], None]  # (bytes done, bytes total)


def is_online(url: str = DEFAULT_CHECKPOINT.url, timeout: float = 3.0) -> bool:
    """True when ``url``'s host answers (and downloads are not disabled by HF_HUB_OFFLINE)."""
    if os.environ.get("HF_HUB_OFFLINE", "") not in ("", "0", "false") and "huggingface.co" in url:
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
        f"This machine cannot reach the download server, so no default checkpoint can be fetched. "
        f"Copy a Stable Diffusion .safetensors checkpoint into {folder} (for example "
        f"{DEFAULT_CHECKPOINT.filename} from the stable-diffusion-v1-5 repository) and try again."
    )


def download_checkpoint(folder: str | Path, *, spec: DefaultCheckpoint = DEFAULT_CHECKPOINT,
                        progress: ProgressFn | None = None, chunk: int = 1 << 20) -> Path:
    """Download ``spec`` into ``folder`` (resumable ``.part`` file), verify sha256, return the path."""
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
    request = urllib.request.Request(spec.url, headers={"Range": f"bytes={done}-"} if done else {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response, part.open("ab" if done else "wb") as out:
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
    except (urllib.error.URLError, OSError) as exc:
        raise BackendError(
            f"Download of {spec.filename} failed ({exc}); {done} bytes are kept in {part} and the next "
            "attempt resumes from there."
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

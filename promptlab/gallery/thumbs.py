"""Thumbnails: 256 px WebP files in PROMPTLAB_HOME/gallery-thumbs, keyed by path + mtime (a changed
image gets a new one), made lazily and in a thread pool. Only reads the user's image; writes go to
a temporary name first and are renamed, so a half-written thumbnail is never served."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from promptlab.paths import user_home

THUMB_SIZE = 256


def thumbs_dir() -> Path:
    return user_home() / "gallery-thumbs"


def thumb_path(path: str, mtime_ns: int, root: Path | None = None) -> Path:
    digest = hashlib.blake2b(f"{path}\x00{mtime_ns}".encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
    return (root or thumbs_dir()) / digest[:2] / f"{digest}.webp"


def thumbnail(path: str, mtime_ns: int, root: Path | None = None) -> Path | None:
    """The cached thumbnail of ``path`` (made now when missing); None when the image cannot be decoded."""
    target = thumb_path(path, mtime_ns, root)
    if target.exists():
        return target
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            im.draft("RGB", (THUMB_SIZE, THUMB_SIZE))  # JPEG: decode at a reduced scale
            im.thumbnail((THUMB_SIZE, THUMB_SIZE))
            out = im.convert("RGBA" if im.mode in ("RGBA", "LA", "P") else "RGB")
    except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError):
        return None
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f"{target.stem}.{os.getpid()}.{id(out)}.tmp")
    out.save(tmp, format="WEBP", quality=80, method=2)
    os.replace(tmp, target)
    return target


def thumbnails(items: Iterable[tuple[str, int]], *, workers: int = 4, root: Path | None = None) -> list[Path | None]:
    """Thumbnails of many images, made in a thread pool (Pillow releases the GIL while decoding)."""
    items = list(items)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda it: thumbnail(it[0], it[1], root), items))

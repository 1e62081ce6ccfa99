"""``write``: save an image with A1111's infotext, the way A1111 does it, so every tool that reads
A1111 images (A1111's PNG Info, Civitai, this package) reads it back.

* PNG: a ``parameters`` text chunk — tEXt when the text is Latin-1, iTXt (UTF-8) otherwise.
  ``png_bytes`` / ``save_png`` are the one PNG writer for everything else too (the server's
  responses, grid cells and sheets, upscaled images): ``parameters`` first, then any other chunks.
* JPEG / WebP: EXIF UserComment in the Exif IFD, ``UNICODE\\0`` + UTF-16 big-endian in a big-endian
  TIFF (byte for byte what A1111's piexif call writes).

The file is written to a temporary name beside the target and renamed, so a failure never leaves a
half-written image.
"""

from __future__ import annotations

import io
import os
import secrets
import struct
from pathlib import Path
from collections.abc import Mapping
from typing import Any

from promptlab.errors import InvalidInputError
from promptlab.params import GenerationParams

_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP"}
_JPEG_APP1_LIMIT = 65_533


def write(image: Any, params: GenerationParams, path: str | os.PathLike[str], *, quality: int = 95,
          lossless_webp: bool = False) -> Path:
    """Save ``image`` (a PIL image, or the path / bytes of one) to ``path`` with ``params`` as
    A1111 infotext. The format follows the suffix: .png, .jpg/.jpeg, .webp. Returns the path."""
    from PIL import Image

    target = Path(path)
    fmt = _FORMATS.get(target.suffix.lower())
    if fmt is None:
        raise InvalidInputError(f"cannot write metadata to {target.name!r}: use a .png, .jpg, .jpeg or .webp name")
    img = _as_image(image)
    text = params.to_infotext()
    kwargs: dict[str, Any] = {}
    if fmt == "PNG":
        kwargs["pnginfo"] = png_info(text)
    else:
        exif = exif_user_comment(text)
        if fmt == "JPEG" and len(exif) > _JPEG_APP1_LIMIT:
            raise InvalidInputError(
                f"the infotext is too long for JPEG EXIF ({len(exif):,} bytes, the limit is {_JPEG_APP1_LIMIT:,}); "
                "save as .png or .webp instead")
        kwargs["exif"] = exif
        kwargs["quality"] = quality
        if fmt == "JPEG" and img.mode not in ("RGB", "L"):
            img = img.convert("RGB")  # JPEG has no alpha channel
        if fmt == "WEBP":
            kwargs["lossless"] = lossless_webp
    _save_atomic(img, target, fmt, kwargs)
    return target


def png_info(parameters: str | None = None, chunks: Mapping[str, str] | None = None):
    """A ``PngInfo`` with ``parameters`` (tEXt when Latin-1, else iTXt, as A1111 writes it) followed by
    ``chunks`` in order (same rule). Empty ``parameters`` writes no chunk."""
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    items = ([("parameters", parameters)] if parameters else []) + list((chunks or {}).items())
    for key, text in items:
        try:
            text.encode("latin-1")
            info.add_text(key, text)
        except UnicodeEncodeError:
            info.add_itxt(key, text)
    return info


def png_bytes(image: Any, parameters: str | None = None, chunks: Mapping[str, str] | None = None) -> bytes:
    """The PNG file of ``image`` with its text chunks, in memory (HTTP responses)."""
    buffer = io.BytesIO()
    _as_image(image).save(buffer, format="PNG", pnginfo=png_info(parameters, chunks))
    return buffer.getvalue()


def save_png(image: Any, path: str | os.PathLike[str], parameters: str | None = None,
             chunks: Mapping[str, str] | None = None) -> Path:
    """Write a PNG with its text chunks to ``path``, atomically (temporary name, then rename)."""
    target = Path(path)
    _save_atomic(_as_image(image), target, "PNG", {"pnginfo": png_info(parameters, chunks)})
    return target


def _save_atomic(img: Any, target: Path, fmt: str, kwargs: dict[str, Any]) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    # a fresh name opened with "x" (not mkstemp, whose 0600 mode would survive the rename): the file
    # gets the usual permissions and a concurrent writer can never share the temporary file
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
    try:
        with open(tmp, "xb") as fh:
            img.save(fh, format=fmt, **kwargs)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _as_image(image: Any):
    from PIL import Image

    if isinstance(image, Image.Image):
        return image
    try:
        if isinstance(image, (bytes, bytearray, memoryview)):
            img = Image.open(io.BytesIO(bytes(image)))
        else:
            img = Image.open(image)
        img.load()
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise InvalidInputError(f"cannot open the image to write: {exc}") from None
    return img


def exif_user_comment(text: str) -> bytes:
    """``Exif\\0\\0`` + a big-endian TIFF whose Exif IFD holds only UserComment = UNICODE + UTF-16BE."""
    comment = b"UNICODE\x00" + text.encode("utf-16-be")
    ifd0_offset = 8
    exif_ifd_offset = ifd0_offset + 2 + 12 + 4
    value_offset = exif_ifd_offset + 2 + 12 + 4
    tiff = b"MM" + struct.pack(">HI", 42, ifd0_offset)
    tiff += struct.pack(">H", 1) + struct.pack(">HHII", 0x8769, 4, 1, exif_ifd_offset) + struct.pack(">I", 0)
    tiff += struct.pack(">H", 1) + struct.pack(">HHII", 0x9286, 7, len(comment), value_offset) + struct.pack(">I", 0)
    return b"Exif\x00\x00" + tiff + comment

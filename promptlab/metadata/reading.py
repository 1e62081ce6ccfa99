"""``read``: extract the text items, ask the readers in registry order, fall back to the stealth
payload, and put everything into one ``ImageMetadata``. Never raises on a bad image."""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO, ContextManager

from promptlab.errors import PromptlabError
from promptlab.frozen import FrozenBuilder
from promptlab.metadata.extract import (
    PNG_HEAD_BYTES,
    Extracted,
    NotAnImageError,
    TextItem,
    extract,
    extract_png_fd,
    is_png,
)
from promptlab.metadata.model import ImageMetadata, ReaderResult


def read(source: str | os.PathLike[str] | bytes | bytearray | memoryview | BinaryIO, *,
         stealth: str = "auto", convert_nai: bool = False) -> ImageMetadata:
    """Read generation metadata from an image file, its bytes, or a binary stream.

    ``stealth``: ``"auto"`` decodes pixels only for PNG/WebP images with alpha and no other
    generation metadata; ``"always"`` also checks images that have other metadata and the RGB
    low bits of lossless images without alpha; ``"never"`` decodes nothing.
    ``convert_nai``: rewrite NovelAI prompts to A1111 syntax (the originals stay in ``details``).
    """
    if stealth not in ("auto", "always", "never"):
        raise ValueError(f"stealth must be 'auto', 'always' or 'never', not {stealth!r}")
    name = _source_name(source)
    if isinstance(source, (str, os.PathLike)) and hasattr(os, "pread"):
        return _read_path(name, name, stealth, convert_nai)
    try:
        stream, owned = _open(source)
    except OSError as exc:
        return _cannot_open(name, exc)
    try:
        return _read_stream(name, stream, stealth, convert_nai)
    except _UNFORESEEN as exc:
        return _unforeseen(name, exc)
    finally:
        if owned:
            stream.close()


# A file shape nobody foresaw must not take down a batch of 10,000: it is reported on that file.
_UNFORESEEN = (ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError, MemoryError,
               OSError, EOFError, SyntaxError)


def _cannot_open(name: str, exc: OSError) -> ImageMetadata:
    return ImageMetadata(name, error=f"cannot open file: {exc.strerror or exc}")


def _cannot_read(name: str, exc: OSError) -> ImageMetadata:
    return ImageMetadata(name, error=f"cannot read file: {exc}")


def _unforeseen(name: str, exc: BaseException) -> ImageMetadata:
    return ImageMetadata(name, error=f"could not read this file ({type(exc).__name__}: {exc}); "
                         "please report it with the file attached")


def _read_path(name: str, path: str | os.PathLike[str], stealth: str, convert_nai: bool) -> ImageMetadata:
    """A file where ``os.pread`` exists: a PNG is walked on the bare descriptor (building a file
    object costs as much as the whole chunk walk); other containers and pixel decoding get a
    file object as before."""
    try:
        fd = os.open(path, os.O_RDONLY)  # POSIX only (os.pread), so no O_BINARY to add
    except OSError as exc:
        return _cannot_open(name, exc)
    try:
        try:
            head = os.pread(fd, PNG_HEAD_BYTES, 0)
        except IsADirectoryError as exc:  # open() refuses a folder at once, os.open only on reading
            return _cannot_open(name, exc)
        if not is_png(head):
            with open(path, "rb") as stream:
                return _read_stream(name, stream, stealth, convert_nai)
        try:
            extracted = extract_png_fd(fd, head)
        except OSError as exc:
            return _cannot_read(name, exc)
        # Pixels (rarely wanted) are decoded from a file object opened as before, so that what
        # Pillow says about the file names it.
        return _read_extracted(name, extracted, lambda: open(path, "rb"), stealth, convert_nai)
    except _UNFORESEEN as exc:
        return _unforeseen(name, exc)
    finally:
        os.close(fd)


def _source_name(source: Any) -> str:
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source)
    return getattr(source, "name", None) or "<bytes>"


def _open(source: Any) -> tuple[BinaryIO, bool]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return io.BytesIO(bytes(source)), True
    if isinstance(source, (str, os.PathLike)):
        # open() first and ask about a folder only when it fails: a stat per file is measurable at 100,000 files.
        try:
            return open(source, "rb"), True
        except PermissionError:
            if Path(source).is_dir():  # Windows refuses to open a folder with "permission denied"
                raise IsADirectoryError(21, "is a directory", os.fspath(source)) from None
            raise
    return source, False


def _read_stream(name: str, stream: BinaryIO, stealth: str, convert_nai: bool) -> ImageMetadata:
    try:
        extracted = extract(stream)
    except NotAnImageError as exc:
        return ImageMetadata(name, error=str(exc))
    except OSError as exc:
        return _cannot_read(name, exc)
    return _read_extracted(name, extracted, lambda: contextlib.nullcontext(stream), stealth, convert_nai)


def _read_extracted(name: str, extracted: Extracted, pixels: Callable[[], ContextManager[BinaryIO]], stealth: str,
                    convert_nai: bool) -> ImageMetadata:
    """Ask the readers; decode pixels (``pixels()`` gives the stream) only when a stealth payload is wanted."""
    from promptlab.metadata.readers import run_readers

    warnings = list(extracted.warnings)
    result, reader_warnings = run_readers(extracted)
    warnings += reader_warnings
    stealth_used = False
    wants_stealth = stealth == "always" or (
        stealth == "auto" and result is None and extracted.has_alpha and extracted.lossless)
    if wants_stealth and extracted.container in ("PNG", "WebP"):
        from promptlab.metadata.stealth import read_stealth

        with pixels() as stream:
            payload = read_stealth(stream, extracted, rgb=stealth == "always", warnings=warnings)
        if payload is not None:
            stealth_result, more = _read_payload(payload.text, payload.signature, extracted)
            warnings += more
            extracted = Extracted(extracted.container, extracted.width, extracted.height, extracted.has_alpha,
                                  extracted.items + (TextItem("stealth", payload.text, f"alpha-LSB:{payload.signature}"),),
                                  extracted.warnings, extracted.lossless)
            if result is None and stealth_result is not None:
                result = stealth_result
                stealth_used = True
    return _assemble(name, extracted, result, warnings, stealth_used, convert_nai)


def _read_payload(text: str, signature: str, extracted: Extracted) -> tuple[ReaderResult | None, list[str]]:
    """A stealth payload is NovelAI's metadata JSON or an A1111 infotext: read it like a chunk."""
    from promptlab.metadata.readers import run_readers
    from promptlab.metadata.readers._util import json_dict

    data = json_dict(text)
    if data is not None:
        items = tuple(TextItem(str(k), v if isinstance(v, str) else str(v), f"alpha-LSB:{signature}[{k}]")
                      for k, v in data.items())
    else:
        items = (TextItem("parameters", text, f"alpha-LSB:{signature}"),)
    inner = Extracted(extracted.container, extracted.width, extracted.height, True, items, ())
    result, warnings = run_readers(inner)
    if result is not None:
        result = ReaderResult(result.generator, result.params_list, ("stealth",), result.format + "+stealth",
                              result.warnings, result.details)
    return result, warnings


def _assemble(name: str, extracted: Extracted, result: ReaderResult | None, warnings: list[str],
              stealth_used: bool, convert_nai: bool) -> ImageMetadata:
    raw: dict[str, str] = {}
    for item in extracted.items:
        raw.setdefault(item.key, item.text)
    claimed = set(result.claimed) if result else set()
    unclaimed = tuple([key for key in raw if key not in claimed])
    locations = tuple([item.location for item in extracted.items if item.key in claimed])
    if result is None:
        return ImageMetadata(name, raw=raw, warnings=tuple(warnings), container=extracted.container,
                             image_width=extracted.width, image_height=extracted.height, unclaimed=unclaimed)
    params_list = result.params_list
    details = dict(result.details)
    warnings += result.warnings
    if convert_nai and result.generator == "novelai":
        from promptlab.metadata.readers.novelai import convert_to_a1111

        try:
            params_list, details, more = convert_to_a1111(params_list, details, result.format)
        except (ValueError, TypeError, PromptlabError) as exc:
            more = [f"NovelAI -> A1111 prompt conversion failed ({exc}); prompts are as stored"]
        warnings += more
    return _BUILD_METADATA.build({
        "source": name, "generator": result.generator, "params": params_list[0] if params_list else None, "raw": raw,
        "warnings": tuple(dict.fromkeys(warnings)), "params_list": params_list, "format": result.format,
        "container": extracted.container, "image_width": extracted.width, "image_height": extracted.height,
        "locations": locations, "unclaimed": unclaimed, "details": details,
    })


# Read only after import: ImageMetadata without its 14 frozen setattrs (see promptlab.frozen).
_BUILD_METADATA = FrozenBuilder(ImageMetadata)

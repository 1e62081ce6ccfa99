"""Where the bytes are: text out of PNG chunks, EXIF IFDs, JPEG COM/XMP and WebP RIFF chunks.

Own small container walkers instead of Pillow because reading metadata must never decode pixels
(a 60000x60000 header costs nothing here), must see chunks after IDAT without loading the image,
must cap what it reads from huge chunks, and must know which IFD and which UTF-16 byte order a
UserComment used. Everything here is stdlib; nothing raises on bad data except ``NotAnImageError``
(not a PNG/JPEG/WebP at all) — truncation and oddities become warnings.
"""

from __future__ import annotations

import io
import os
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

from promptlab.metadata.exif import read_tiff

# The most text read from one chunk / segment (after decompression). Bigger ones are cut, with a warning.
MAX_TEXT_BYTES = 8 * 1024 * 1024
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_XMP_PREFIX = b"http://ns.adobe.com/xap/1.0/\x00"


class NotAnImageError(ValueError):
    """The bytes are not a PNG, JPEG or WebP file."""


@dataclass(frozen=True)
class TextItem:
    key: str        # PNG keyword, "exif:UserComment", "exif:Make", "jpeg:COM", "xmp", ...
    text: str
    location: str   # e.g. "png:iTXt[parameters]", "exif:UserComment(ExifIFD)"


@dataclass(frozen=True)
class Extracted:
    container: str                  # "PNG" | "JPEG" | "WebP"
    width: int | None               # pixel size from the header (not decoded)
    height: int | None
    has_alpha: bool
    items: tuple[TextItem, ...]
    warnings: tuple[str, ...]
    lossless: bool = False          # PNG / WebP VP8L: pixels can carry a stealth payload

    def get(self, key: str) -> str | None:
        for item in self.items:
            if item.key == key:
                return item.text
        return None

    def item(self, key: str) -> TextItem | None:
        for item in self.items:
            if item.key == key:
                return item
        return None


def extract(stream: BinaryIO) -> Extracted:
    """Walk the container in ``stream`` (seekable, positioned at 0) and collect its text."""
    head = stream.read(12)
    stream.seek(0)
    if is_png(head):
        return _png(_PositionalReader(stream))
    if head.startswith(b"\xff\xd8"):
        return _jpeg(stream)
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return _webp(stream)
    if not head:
        raise NotAnImageError("empty file (0 bytes): not an image")
    raise NotAnImageError(f"not a PNG, JPEG or WebP image (starts with {head[:8]!r})")


def _decode_text(data: bytes) -> str:
    """tEXt is Latin-1 by the spec, but Stability Matrix and TensorArt write UTF-8 there."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _inflate(data: bytes, what: str, warnings: list[str]) -> bytes:
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, MAX_TEXT_BYTES)
    except zlib.error as exc:
        warnings.append(f"{what}: compressed text is corrupt ({exc}); skipped")
        return b""
    if inflater.unconsumed_tail:
        warnings.append(f"{what}: decompressed text exceeds {MAX_TEXT_BYTES // 2**20} MiB; only the first "
                        f"{MAX_TEXT_BYTES // 2**20} MiB were read")
    return out


def _read_capped(stream: BinaryIO, length: int, what: str, warnings: list[str]) -> bytes:
    if length > MAX_TEXT_BYTES:
        warnings.append(f"{what} is {length / 2**20:.1f} MiB; only the first {MAX_TEXT_BYTES // 2**20} MiB "
                        "were read")
        data = stream.read(MAX_TEXT_BYTES)
        stream.seek(length - MAX_TEXT_BYTES, 1)
        return data
    return stream.read(length)


# The first read: IHDR and the text chunks most tools write before IDAT fit in it; what lies past it
# is reached by chunk headers alone (one small positional read per chunk, image data never read).
_PNG_FIRST_READ = 16 * 1024
PNG_HEAD_BYTES = _PNG_FIRST_READ  # what extract_png_fd wants as its head
_PNG_WANTED = frozenset((b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"IHDR"))
_CHUNK_HEADER = struct.Struct(">I4s")


class _PositionalReader:
    """``read_at(offset, n)``: ``os.pread`` on a real file (no seek, no 8 KiB buffer refill per
    chunk header), slicing for in-memory bytes, seek+read for any other stream."""

    def __init__(self, stream: BinaryIO | None = None, fd: int | None = None) -> None:
        self._stream = stream
        self._fd = fd
        self._memory = b""
        # read_at is chosen once: it runs once per chunk header past the first read
        self.read_at: Callable[[int, int], bytes] = self._read_stream
        if isinstance(stream, io.BytesIO):
            self._memory = stream.getvalue()
            self.read_at = self._read_memory
        elif isinstance(stream, io.BufferedReader) and hasattr(os, "pread"):
            self._fd = stream.fileno()
        if self._fd is not None:
            self.read_at = self._read_fd

    def _read_memory(self, offset: int, n: int) -> bytes:
        return self._memory[offset:offset + n]

    def _read_fd(self, offset: int, n: int) -> bytes:
        return os.pread(self._fd, n, offset)

    def _read_stream(self, offset: int, n: int) -> bytes:
        self._stream.seek(offset)
        return self._stream.read(n)


def is_png(head: bytes) -> bool:
    return head.startswith(_PNG_SIGNATURE)


def extract_png_fd(fd: int, head: bytes) -> Extracted:
    """``extract`` for a PNG open as a POSIX file descriptor (``os.pread`` exists) whose first
    ``PNG_HEAD_BYTES`` bytes (or all of it, when shorter) are ``head``: no file object is built,
    which is a third of the time of reading an A1111 PNG."""
    return _png(_PositionalReader(fd=fd), head)


def _png(src: _PositionalReader, block: bytes | None = None) -> Extracted:
    if block is None:
        block = src.read_at(0, _PNG_FIRST_READ)
    items: list[TextItem] = []
    warnings: list[str] = []
    width = height = None
    has_alpha = False
    seen_iend = False
    pos = 8
    in_block = len(block) - 8
    while True:
        if pos <= in_block:
            length, ctype = _CHUNK_HEADER.unpack_from(block, pos)
        else:
            header = src.read_at(pos, 8)
            if len(header) < 8:
                break
            length, ctype = _CHUNK_HEADER.unpack(header)
        if ctype == b"IDAT":  # the image data (most chunks of a file): hop over it, headers only
            pos += length + 12
            continue
        if ctype == b"IEND":
            seen_iend = True
            break
        start = pos + 8
        pos = start + length + 4  # data and CRC
        if ctype in _PNG_WANTED:
            n = min(length, MAX_TEXT_BYTES)
            data = block[start:start + n] if start + n <= len(block) else src.read_at(start, n)
            if length > MAX_TEXT_BYTES:
                warnings.append(f"PNG {ctype.decode('latin-1')} chunk is {length / 2**20:.1f} MiB; only the first "
                                f"{MAX_TEXT_BYTES // 2**20} MiB were read")
            if len(data) < n:
                warnings.append(f"PNG {ctype.decode('latin-1')} chunk is truncated (file ends inside it)")
            if ctype == b"IHDR":
                if len(data) >= 13:
                    width, height, _depth, colour = struct.unpack(">IIBB", data[:10])
                    has_alpha = colour in (4, 6)
            elif ctype == b"eXIf":
                items.extend(read_tiff(data, "png:eXIf", warnings))
            else:
                item = _png_text(ctype, data, warnings)
                if item is not None:
                    items.append(item)
        elif ctype == b"tRNS":
            has_alpha = True
        elif ctype == b"caBX":
            items.append(_c2pa(length, "png:caBX"))
    if not seen_iend:
        warnings.append("PNG is truncated (no IEND chunk); text found before the cut was read")
    return Extracted("PNG", width, height, has_alpha, tuple(items), tuple(warnings), lossless=True)


def _png_text(ctype: bytes, data: bytes, warnings: list[str]) -> TextItem | None:
    keyword, sep, rest = data.partition(b"\x00")
    if not sep:
        warnings.append(f"PNG {ctype.decode()} chunk has no keyword separator; skipped")
        return None
    key = keyword.decode("latin-1")
    name = ctype.decode("latin-1")
    where = f"PNG {name}[{key}]"
    if ctype == b"tEXt":
        text = _decode_text(rest)
    elif ctype == b"zTXt":
        text = _decode_text(_inflate(rest[1:], where, warnings))
    else:
        if len(rest) < 2:
            warnings.append(f"{where} is too short; skipped")
            return None
        compressed = rest[0] == 1
        _lang, _, rest = rest[2:].partition(b"\x00")
        _translated, _, body = rest.partition(b"\x00")
        if compressed:
            body = _inflate(body, where, warnings)
        text = body.decode("utf-8", errors="replace")
    location = f"png:{name}[{key}]"
    return TextItem("xmp" if key == "XML:com.adobe.xmp" else key, text, location)


def _c2pa(length: int, location: str) -> TextItem:
    """C2PA content credentials (ChatGPT, Firefly, ...): reported, not verified."""
    return TextItem("c2pa", f"C2PA manifest present ({length:,} bytes; not verified)", location)


def _jpeg(stream: BinaryIO) -> Extracted:
    stream.seek(2)
    items: list[TextItem] = []
    warnings: list[str] = []
    width = height = None
    while True:
        byte = stream.read(1)
        while byte == b"\xff":  # fill bytes
            marker = stream.read(1)
            if marker != b"\xff":
                break
        else:
            if not byte:
                warnings.append("JPEG is truncated before its image data")
            else:
                warnings.append("JPEG segment structure is broken; stopped reading")
            break
        if not marker:
            warnings.append("JPEG is truncated before its image data")
            break
        code = marker[0]
        if code in (0xD9, 0xDA):  # EOI / SOS: metadata segments come before the scan
            break
        if 0xD0 <= code <= 0xD7 or code == 0x01:
            continue
        raw_len = stream.read(2)
        if len(raw_len) < 2:
            warnings.append("JPEG is truncated inside a segment header")
            break
        length = struct.unpack(">H", raw_len)[0] - 2
        data = stream.read(max(length, 0))
        if len(data) < length:
            warnings.append(f"JPEG segment 0x{code:02X} is truncated")
        if code in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
            if len(data) >= 5:
                height, width = struct.unpack(">HH", data[1:5])
        elif code == 0xE1 and data.startswith(b"Exif\x00\x00"):
            items.extend(read_tiff(data[6:], "jpeg:APP1", warnings))
        elif code == 0xE1 and data.startswith(_XMP_PREFIX):
            items.append(TextItem("xmp", data[len(_XMP_PREFIX):].decode("utf-8", "replace"), "jpeg:APP1(XMP)"))
        elif code == 0xEB and data[:2] == b"JP" and not any(i.key == "c2pa" for i in items):
            items.append(_c2pa(length, "jpeg:APP11(JUMBF)"))
        elif code == 0xFE:
            items.append(TextItem("jpeg:COM", _decode_text(data).rstrip("\x00"), "jpeg:COM"))
    return Extracted("JPEG", width, height, False, tuple(items), tuple(warnings))


def _webp(stream: BinaryIO) -> Extracted:
    stream.seek(12)
    items: list[TextItem] = []
    warnings: list[str] = []
    width = height = None
    has_alpha = lossless = False
    while True:
        header = stream.read(8)
        if len(header) < 8:
            if header:
                warnings.append("WebP is truncated inside a chunk header")
            break
        fourcc, length = struct.unpack("<4sI", header)
        padded = length + (length & 1)
        if fourcc in (b"VP8X", b"VP8 ", b"VP8L", b"EXIF", b"XMP "):
            data = _read_capped(stream, length, f"WebP {fourcc.decode().strip()} chunk", warnings)
            if len(data) < min(length, MAX_TEXT_BYTES):
                warnings.append(f"WebP {fourcc.decode().strip()} chunk is truncated")
            stream.seek(padded - length, 1)
        else:
            if fourcc == b"ALPH":
                has_alpha = True
            stream.seek(padded, 1)
            continue
        if fourcc == b"VP8X" and len(data) >= 10:
            has_alpha = has_alpha or bool(data[0] & 0x10)
            width = 1 + int.from_bytes(data[4:7], "little")
            height = 1 + int.from_bytes(data[7:10], "little")
        elif fourcc == b"VP8 " and len(data) >= 10 and width is None:
            width = struct.unpack("<H", data[6:8])[0] & 0x3FFF
            height = struct.unpack("<H", data[8:10])[0] & 0x3FFF
        elif fourcc == b"VP8L" and len(data) >= 5:
            lossless = True
            bits = int.from_bytes(data[1:5], "little")
            if width is None:
                width, height = (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
            has_alpha = has_alpha or bool((bits >> 28) & 1)
        elif fourcc == b"EXIF":
            items.extend(read_tiff(data[6:] if data.startswith(b"Exif\x00\x00") else data, "webp:EXIF", warnings))
        elif fourcc == b"XMP ":
            items.append(TextItem("xmp", data.decode("utf-8", "replace"), "webp:XMP"))
    return Extracted("WebP", width, height, has_alpha, tuple(items), tuple(warnings), lossless=lossless)

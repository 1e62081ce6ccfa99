"""The "stealth" payload some tools hide in the pixels' low bits (NovelAI, the A1111
stealth-pnginfo extension, Forge): a 15-byte signature, a 32-bit bit-length, then the data,
read column by column (x outer, y inner) from the alpha LSBs (``stealth_png*``) or from the
R,G,B LSBs (``stealth_rgb*``); ``*comp`` payloads are gzip.

Decoding pixels is the one expensive step of reading metadata, so it happens only when asked
for by ``read`` (alpha images with no other metadata, or ``stealth="always"``), and never for
images over ``MAX_STEALTH_PIXELS``.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import BinaryIO

from promptlab.metadata.extract import MAX_TEXT_BYTES, Extracted

MAX_STEALTH_PIXELS = 40_000_000
_ALPHA_SIGNATURES = {b"stealth_pnginfo": False, b"stealth_pngcomp": True}
_RGB_SIGNATURES = {b"stealth_rgbinfo": False, b"stealth_rgbcomp": True}
_SIG_BITS = 15 * 8


@dataclass(frozen=True)
class StealthPayload:
    signature: str      # "stealth_pngcomp", ...
    text: str


def read_stealth(stream: BinaryIO, extracted: Extracted, *, rgb: bool, warnings: list[str]) -> StealthPayload | None:
    """Decode the pixels in ``stream`` and look for a stealth payload (alpha, then RGB if ``rgb``)."""
    import numpy as np
    from PIL import Image

    width, height = extracted.width or 0, extracted.height or 0
    if width * height > MAX_STEALTH_PIXELS:
        warnings.append(f"image is {width}x{height}: too large to decode for a stealth payload "
                        f"(limit {MAX_STEALTH_PIXELS:,} pixels); not checked")
        return None
    if extracted.container == "PNG" and extracted.has_alpha:
        fast = _png_stealth_fast(stream, warnings)  # reads the first columns only, no full decode
        if fast is not False and (fast is not None or not rgb):
            return fast
    stream.seek(0)
    try:
        with Image.open(stream) as image:
            if image.width * image.height > MAX_STEALTH_PIXELS:
                warnings.append(f"image is {image.width}x{image.height}: too large to check for a stealth payload")
                return None
            image.load()
            if image.mode == "P" and "transparency" in image.info:
                image = image.convert("RGBA")
            bands = image.getbands()
            alpha = np.asarray(image.getchannel("A")) if "A" in bands else None
            colour = np.asarray(image.convert("RGB")) if rgb else None
    except (OSError, ValueError, SyntaxError, EOFError, zlib.error, Image.DecompressionBombError) as exc:
        # Pillow reports broken PNGs as SyntaxError, cut ones as OSError/EOFError
        warnings.append(f"pixels could not be decoded to check for a stealth payload ({exc})")
        return None
    if alpha is not None:
        found = _decode((alpha.T & 1).ravel(), _ALPHA_SIGNATURES, warnings)
        if found is not None:
            return found
    if colour is not None:
        return _decode((colour.transpose(1, 0, 2) & 1).ravel(), _RGB_SIGNATURES, warnings)
    return None


def _png_signature_absent(stream: BinaryIO) -> bool:
    """True when the first 120 alpha LSBs (column 0) are surely not a stealth signature."""
    bits = _png_alpha_bits(stream, _SIG_BITS)
    if bits is None:
        return False
    return _bits_to_bytes(bits[:_SIG_BITS]) not in _ALPHA_SIGNATURES


def _png_stealth_fast(stream: BinaryIO, warnings: list[str]) -> StealthPayload | None | bool:
    """The alpha payload read from the first columns only: a payload, None (no signature), or
    False when this PNG needs the full decode (16-bit, interlaced, palette, corrupt, ...)."""
    state: dict = {}
    head = _png_alpha_bits(stream, _SIG_BITS + 32, state)
    if head is None:
        return False
    if _bits_to_bytes(head[:_SIG_BITS]) not in _ALPHA_SIGNATURES:
        return None
    length = int.from_bytes(_bits_to_bytes(head[_SIG_BITS:_SIG_BITS + 32]), "big")
    bits = _png_alpha_bits(stream, _SIG_BITS + 32 + length, state)
    if bits is None:
        return False
    import numpy as np

    return _decode(np.frombuffer(bytes(bits), dtype=np.uint8), _ALPHA_SIGNATURES, warnings)


def _bits_to_bytes(bits) -> bytes:
    return bytes(int("".join(map(str, bits[i:i + 8])), 2) for i in range(0, len(bits) - len(bits) % 8, 8))


_MAX_FAST_COLUMNS = 64  # payloads wider than this many columns go to the full decode


def _png_alpha_bits(stream: BinaryIO, count: int, state: dict | None = None) -> bytearray | None:
    """The first ``count`` alpha LSBs in column-major order, rebuilt from the PNG's rows without
    decoding the image: only the alpha bytes of the first few columns are unfiltered (each PNG
    filter needs just the left, upper and upper-left byte of the same channel), and rows are
    inflated in a stream keeping only their first columns (memory ~ one row). 8-bit RGBA / LA,
    non-interlaced only; anything else gives None (the caller decodes with Pillow). ``state``
    (a dict owned by the caller) keeps the rows read so far between calls on the same stream."""
    import struct
    import zlib

    state = {} if state is None else state
    if "header" not in state:
        stream.seek(8)
        header = stream.read(8 + 13)
        if len(header) < 21 or header[4:8] != b"IHDR":
            return None
        state["header"] = struct.unpack(">IIBBBBB", header[8:21])
        state.update(inflater=zlib.decompressobj(), pending=bytearray(), rows=[], pos=8 + 8 + 13 + 4)
    width, height, depth, colour, _c, _f, interlace = state["header"]
    if depth != 8 or colour not in (4, 6) or interlace or not width or not height:
        return None
    count = min(count, width * height)
    columns = -(-count // height)
    if columns > min(width, _MAX_FAST_COLUMNS):
        return None
    rows = height if columns > 1 else count
    bpp = 4 if colour == 6 else 2
    stride = 1 + width * bpp
    keep = 1 + min(width, _MAX_FAST_COLUMNS) * bpp
    inflater, pending, kept = state["inflater"], state["pending"], state["rows"]
    stream.seek(state["pos"])
    while len(kept) < rows:
        while len(pending) >= stride and len(kept) < rows:
            kept.append(bytes(pending[:keep]))
            del pending[:stride]
        if len(kept) >= rows:
            break
        try:
            if inflater.unconsumed_tail:
                pending += inflater.decompress(inflater.unconsumed_tail, 4 * stride)
                continue
            chunk_header = stream.read(8)
            if len(chunk_header) < 8:
                return None
            length, ctype = struct.unpack(">I4s", chunk_header)
            if ctype == b"IEND":
                return None
            if ctype != b"IDAT":
                stream.seek(length + 4, 1)
                continue
            pending += inflater.decompress(stream.read(length), 4 * stride)
        except zlib.error:
            return None
        stream.seek(4, 1)
        state["pos"] = stream.tell()
    raw_rows = kept
    alpha_rows: list[list[int]] = []
    above = [0] * columns
    for row in range(rows):
        line = raw_rows[row]
        kind = line[0]
        if kind > 4:
            return None
        current = [0] * columns
        left = upper_left = 0
        for col in range(columns):
            value = line[bpp + col * bpp]  # the alpha byte of pixel ``col`` (after the filter byte)
            up = above[col]
            if kind == 1:
                value += left
            elif kind == 2:
                value += up
            elif kind == 3:
                value += (left + up) >> 1
            elif kind == 4:
                estimate = left + up - upper_left
                pa, pb, pc = abs(estimate - left), abs(estimate - up), abs(estimate - upper_left)
                value += left if pa <= pb and pa <= pc else (up if pb <= pc else upper_left)
            value &= 0xFF
            current[col] = value
            left, upper_left = value, up
        above = current
        alpha_rows.append(current)
    bits = bytearray()
    for col in range(columns):
        bits.extend(alpha_rows[r][col] & 1 for r in range(rows))
    return bits[:count]


def _decode(bits, signatures: dict[bytes, bool], warnings: list[str]) -> StealthPayload | None:
    import numpy as np

    if bits.size < _SIG_BITS + 32:
        return None
    signature = np.packbits(bits[:_SIG_BITS]).tobytes()
    if signature not in signatures:
        return None
    length = int.from_bytes(np.packbits(bits[_SIG_BITS:_SIG_BITS + 32]).tobytes(), "big")
    start = _SIG_BITS + 32
    if length > bits.size - start:
        warnings.append(f"stealth payload claims {length} bits but the image holds {bits.size - start}; "
                        "read what is there")
        length = bits.size - start
    data = np.packbits(bits[start:start + length]).tobytes()
    if signatures[signature]:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            data = inflater.decompress(data, MAX_TEXT_BYTES)
        except zlib.error as exc:
            warnings.append(f"stealth payload ({signature.decode()}) is not valid gzip ({exc})")
            return None
        if inflater.unconsumed_tail:
            warnings.append(f"stealth payload exceeds {MAX_TEXT_BYTES // 2**20} MiB; only the start was read")
    return StealthPayload(signature.decode(), data.decode("utf-8", "replace"))


def encode_stealth_bits(text: str, *, compressed: bool = True) -> bytes:
    """The bit stream (as bytes) a writer puts into the alpha LSBs: signature, length, data."""
    import gzip

    data = gzip.compress(text.encode("utf-8")) if compressed else text.encode("utf-8")
    signature = b"stealth_pngcomp" if compressed else b"stealth_pnginfo"
    return signature + (len(data) * 8).to_bytes(4, "big") + data

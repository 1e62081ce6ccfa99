"""A bounded TIFF/EXIF IFD walker for the few text tags generation tools write.

UserComment gets special care: A1111 (piexif) writes ``UNICODE\\0`` + UTF-16 whose byte order does
not always follow the TIFF byte order, some ComfyUI nodes write it without any charset prefix,
and some write it into IFD0 instead of the Exif IFD.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from promptlab.metadata.extract import TextItem

_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8}
_TEXT_TAGS = {
    0x010E: "ImageDescription", 0x010F: "Make", 0x0110: "Model", 0x0131: "Software",
    0x013B: "Artist", 0x9286: "UserComment", 0x9C9C: "XPComment",
}
_EXIF_IFD_POINTER = 0x8769
_MAX_ENTRIES = 1024


def read_tiff(data: bytes, where: str, warnings: list[str]) -> list[TextItem]:
    """Text tags of IFD0 and the Exif IFD in ``data`` (a TIFF stream, no ``Exif\\0\\0`` prefix)."""
    from promptlab.metadata.extract import TextItem

    if len(data) < 8 or data[:2] not in (b"II", b"MM"):
        warnings.append(f"{where}: EXIF data is not a TIFF stream; skipped")
        return []
    order = "<" if data[:2] == b"II" else ">"
    items: list[TextItem] = []
    first = struct.unpack(order + "I", data[4:8])[0]
    pending = [(first, "IFD0")]
    visited: set[int] = set()
    while pending:
        offset, ifd_name = pending.pop(0)
        if offset in visited or offset + 2 > len(data):
            if offset not in visited:
                warnings.append(f"{where}: {ifd_name} offset points outside the EXIF data")
            continue
        visited.add(offset)
        count = struct.unpack(order + "H", data[offset:offset + 2])[0]
        if count > _MAX_ENTRIES:
            warnings.append(f"{where}: {ifd_name} claims {count} entries; EXIF looks corrupt, skipped")
            continue
        for i in range(count):
            entry = offset + 2 + 12 * i
            if entry + 12 > len(data):
                warnings.append(f"{where}: {ifd_name} is truncated")
                break
            tag, typ, n = struct.unpack(order + "HHI", data[entry:entry + 8])
            if tag == _EXIF_IFD_POINTER:
                pending.append((struct.unpack(order + "I", data[entry + 8:entry + 12])[0], "ExifIFD"))
                continue
            name = _TEXT_TAGS.get(tag)
            if name is None:
                continue
            size = _TYPE_SIZES.get(typ, 1) * n
            if size <= 4:
                value = data[entry + 8:entry + 8 + size]
            else:
                start = struct.unpack(order + "I", data[entry + 8:entry + 12])[0]
                value = data[start:start + size]
                if len(value) < size:
                    warnings.append(f"{where}: {name} in {ifd_name} is truncated")
            text = _decode_tag(name, value, order)
            if text:
                items.append(TextItem(f"exif:{name}", text, f"exif:{name}({ifd_name})"))
    return items


def _decode_tag(name: str, value: bytes, order: str) -> str:
    if name == "UserComment":
        return decode_user_comment(value, order)
    if name == "XPComment":
        return value.decode("utf-16-le", "replace").rstrip("\x00")
    value = value.rstrip(b"\x00")
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1")


def decode_user_comment(value: bytes, order: str = ">") -> str:
    """EXIF UserComment: an 8-byte charset prefix, then the text; the prefix may be missing."""
    prefix, body = value[:8], value[8:]
    if prefix == b"UNICODE\x00":
        return _utf16(body, order).rstrip("\x00")
    if prefix == b"ASCII\x00\x00\x00" or prefix == b"\x00" * 8:
        text = body
    elif prefix == b"JIS\x00\x00\x00\x00\x00":
        return body.decode("shift_jis", "replace").rstrip("\x00")
    else:  # no prefix at all (some ComfyUI save nodes)
        text = value
        if len(text) >= 4 and text.count(b"\x00") * 3 > len(text):
            return _utf16(text, order).rstrip("\x00")
    text = text.rstrip(b"\x00")
    try:
        return text.decode("utf-8")
    except UnicodeDecodeError:
        return text.decode("latin-1")


def _utf16(body: bytes, order: str) -> str:
    if body[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return body.decode("utf-16")
    sample = body[:4096]
    zeros_even = sample[0::2].count(0)
    zeros_odd = sample[1::2].count(0)
    # ASCII characters have a zero high byte: first in big-endian, second in little-endian.
    if zeros_even != zeros_odd:
        codec = "utf-16-be" if zeros_even > zeros_odd else "utf-16-le"
    else:
        codec = "utf-16-be" if order == ">" else "utf-16-le"
    return body[: len(body) - (len(body) & 1)].decode(codec, "replace")

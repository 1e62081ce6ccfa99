"""PNG chunk walking with positional reads: text before and after a long run of IDAT chunks, chunks
that straddle the first read, huge and truncated chunks — the same answer from a file, from bytes
and from any other stream (differential), and the image data itself never read."""

from __future__ import annotations

import io
import os

import pytest
from _metadata_build import chunk, itxt, png, text, ztxt

from promptlab.metadata import extract as ex
from promptlab.metadata.extract import extract


class _PlainStream(io.RawIOBase):
    """A seekable stream that is neither a BytesIO nor a buffered file (the seek+read path)."""

    def __init__(self, data: bytes) -> None:
        self._inner = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._inner.seek(offset, whence)

    def read(self, n: int = -1) -> bytes:
        return self._inner.read(n)


def _idat_run(count: int, size: int) -> list[bytes]:
    return [chunk(b"IDAT", os.urandom(size)) for _ in range(count)]


CASES = {
    "text-before-idat": png([text("parameters", "a, b\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1")]),
    "text-after-many-idats": png([], _idat_run(12, 40_000) + [itxt("parameters", "after, the, data"),
                                                             ztxt("Comment", "zipped")]),
    "text-straddling-first-read": png([chunk(b"IDAT", os.urandom(ex._PNG_FIRST_READ - 200)),
                                       text("prompt", "x" * 5000)]),
    "truncated-inside-text": png([text("parameters", "y" * 3000)])[:ex._PNG_FIRST_READ // 8],
    "truncated-after-idat": png([], _idat_run(3, 30_000), iend=False)[:-10],
}


@pytest.mark.parametrize("name", list(CASES))
def test_file_bytes_and_plain_stream_agree(tmp_path, name):
    data = CASES[name]
    path = tmp_path / "x.png"
    path.write_bytes(data)
    with open(path, "rb") as f:
        from_file = extract(f)
    from_bytes = extract(io.BytesIO(data))
    from_stream = extract(_PlainStream(data))
    assert from_file == from_bytes == from_stream


def test_text_after_the_image_data_is_found():
    got = extract(io.BytesIO(CASES["text-after-many-idats"]))
    assert got.get("parameters") == "after, the, data" and got.get("Comment") == "zipped"
    assert got.warnings == ()


def test_straddling_chunk_is_read_whole():
    got = extract(io.BytesIO(CASES["text-straddling-first-read"]))
    assert got.get("prompt") == "x" * 5000


def test_truncation_is_a_warning():
    got = extract(io.BytesIO(CASES["truncated-inside-text"]))
    assert any("truncated" in w for w in got.warnings)


def test_image_data_is_never_read(tmp_path, monkeypatch):
    """Only chunk headers and wanted chunks are read: far fewer bytes than the file holds."""
    data = CASES["text-after-many-idats"]
    path = tmp_path / "x.png"
    path.write_bytes(data)
    seen = []
    real = os.pread

    def counting(fd, n, offset):
        seen.append(n)
        return real(fd, n, offset)

    monkeypatch.setattr(ex.os, "pread", counting)
    with open(path, "rb") as f:
        assert extract(f).get("parameters") == "after, the, data"
    assert sum(seen) < ex._PNG_FIRST_READ + 1000 < len(data) // 20


def test_huge_text_chunk_is_capped(monkeypatch):
    monkeypatch.setattr(ex, "MAX_TEXT_BYTES", 1000)
    got = extract(io.BytesIO(png([text("parameters", "z" * 5000)])))
    assert len(got.get("parameters")) == 1000 - len("parameters\x00")
    assert any("only the first" in w for w in got.warnings)


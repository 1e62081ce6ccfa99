"""``read(path)`` walks a PNG on a bare file descriptor (issue #17) and opens a file object only
for other containers and pixel decoding: the answer is the one ``read(stream)`` gives (and
``read(bytes)``, up to how Pillow names the stream in a warning), for every fixture image, and no
descriptor is left open, whatever the file holds."""

from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path

import pytest

from _metadata_build import png, text
from promptlab.metadata import read

HERE = Path(__file__).parent
SUFFIXES = {".png", ".jpg", ".jpeg", ".webp"}


def _images(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in SUFFIXES)


def _without_source(meta):
    return dataclasses.replace(meta, source="")


def _without_stream_names(meta):
    """Pillow's errors name the stream (``<_io.BytesIO object at 0x..>``)."""
    warnings = tuple(re.sub(r"<_io\.[^>]*>", "<stream>", w) for w in meta.warnings)
    return dataclasses.replace(meta, source="", warnings=warnings)


@pytest.mark.parametrize("stealth", ["auto", "always", "never"])
def test_path_bytes_and_stream_agree_on_every_fixture(shared_dir, stealth):
    paths = _images(HERE / "fixtures") + _images(shared_dir / "fixtures/metadata")
    assert len(paths) > 40
    for path in paths:
        from_path = read(path, stealth=stealth)
        from_bytes = read(path.read_bytes(), stealth=stealth)
        with open(path, "rb") as f:
            from_stream = read(f, stealth=stealth)
        assert _without_source(from_path) == _without_source(from_stream), path
        assert _without_stream_names(from_path) == _without_stream_names(from_bytes), path
        assert from_path.source == str(path)


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc/self/fd")
def test_no_descriptor_left_open(tmp_path):
    cases = {
        "a1111.png": png([text("parameters", "a\nSteps: 1, Sampler: Euler, Seed: 2, Size: 8x8")]),
        "truncated.png": png([text("parameters", "a" * 100)])[:60],
        "empty.png": b"",
        "text.webp": b"not an image at all",
        "jpeg.jpg": b"\xff\xd8\xff\xd9",
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
    paths = [tmp_path / name for name in cases] + [tmp_path, tmp_path / "missing.png"] + _images(HERE / "fixtures")
    read(paths[0])  # imports done before counting
    before = _open_fds()
    for _ in range(3):
        for path in paths:
            read(path, stealth="always")
    assert _open_fds() == before


def test_folder_and_missing_file_say_cannot_open(tmp_path):
    assert read(tmp_path).error == "cannot open file: Is a directory"
    assert read(tmp_path / "nope.png").error == "cannot open file: No such file or directory"

"""Line-by-line CSV reading that survives bad input.

Each physical line is parsed on its own, so one broken line (a NUL byte, a stray quote, bad UTF-8)
is reported with its line number and never takes the rest of the file with it. Tag files never put
newlines inside fields, so nothing legitimate is lost by this.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tagdb.model import TagImportError

MAX_EXAMPLES = 20


@dataclass
class BadRows:
    """Counts malformed rows and keeps the first few as (line number, reason) for the report."""

    count: int = 0
    examples: list[tuple[int, str]] = field(default_factory=list)

    def add(self, lineno: int, reason: str) -> None:
        self.count += 1
        if len(self.examples) < MAX_EXAMPLES:
            self.examples.append((lineno, reason))


def read_lines(path: Path) -> Iterator[tuple[int, str | None, str]]:
    """Yield (line number, text or None when undecodable, reason). Strips a UTF-8 BOM and CR/LF."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise TagImportError(f"Cannot read {path}: {exc.strerror or exc}. Check the path.") from None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for lineno, raw in enumerate(data.split(b"\n"), start=1):
        raw = raw.rstrip(b"\r")
        if not raw.strip():
            continue
        try:
            yield lineno, raw.decode("utf-8"), ""
        except UnicodeDecodeError as exc:
            yield lineno, None, f"not UTF-8 (byte {exc.start})"


def iter_rows(path: Path, bad: BadRows) -> Iterator[tuple[int, list[str]]]:
    """Yield (line number, fields) for every parseable non-blank line; count the rest in ``bad``."""
    for lineno, text, reason in read_lines(path):
        if text is None:
            bad.add(lineno, reason)
            continue
        if "\x00" in text:
            bad.add(lineno, "NUL byte")
            continue
        try:
            fields = next(csv.reader([text], strict=True))
        except csv.Error as exc:
            bad.add(lineno, f"CSV syntax: {exc}")
            continue
        yield lineno, fields


def parse_count(text: str) -> int | None:
    """'' -> None; '1234' -> 1234; anything else raises ValueError."""
    text = text.strip()
    if not text:
        return None
    value = int(text)
    if value < 0:
        raise ValueError("negative count")
    return value

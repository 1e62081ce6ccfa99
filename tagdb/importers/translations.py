"""Translation CSVs: ``tag,text`` or ``tag,text,note`` (or reversed: ``text,tag``), no header.

Quirks handled (see byzod's pack, BooruTagCart's reference table, the WAI character list):
UTF-8 with or without BOM, CRLF or LF; ``|``-separated alternatives (each becomes its own row,
in order); keys written with spaces or underscores; empty texts skipped; keys that a spreadsheet
mangled (``#NAME?``, ``9-May``, ``10-Mar``, ``7月22日``) skipped and counted; a header row
(``tag,...``) skipped.
"""

from __future__ import annotations

import re
from pathlib import Path

from tagdb.importers.csvutil import BadRows, iter_rows
from tagdb.normalize import canonical_name
from tagdb.store import Writer

_MANGLED = re.compile(
    r"^(#(NAME|VALUE|REF|DIV/0|N/A|NUM|NULL)[?!]?"  # Excel error values
    r"|\d{1,2}-(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)"  # 9-May
    r"|(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)-\d{1,4}"  # May-09
    r"|\d{1,2}月\d{1,2}日"  # 7月22日
    r"|\d+(\.\d+)?e\+\d+)$", re.IGNORECASE)
_HEADERS = {"tag", "name", "tags", "key", "english", "en"}


def is_mangled(key: str) -> bool:
    return bool(_MANGLED.match(key.strip()))


def import_translations(writer: Writer, path: Path, *, lang: str = "zh", reversed: bool = False,
                        tagset: str = "danbooru") -> dict:
    bad = BadRows()
    rows: dict[tuple[str, str], tuple[str, str, str, str, int]] = {}
    read = skipped = mangled = 0
    for lineno, fields in iter_rows(path, bad):
        read += 1
        if len(fields) < 2 or len(fields) > 3:
            bad.add(lineno, f"expected 2 or 3 columns (tag,text[,note]), got {len(fields)}")
            continue
        key, text = (fields[1], fields[0]) if reversed else (fields[0], fields[1])
        note = fields[2].strip() if len(fields) == 3 else ""
        if lineno == 1 and key.strip().lower() in _HEADERS:
            continue
        if is_mangled(key):
            mangled += 1
            bad.add(lineno, f"spreadsheet-mangled key {key!r}")
            continue
        name = canonical_name(key)
        if not name:
            bad.add(lineno, "empty tag")
            continue
        alternatives = [t.strip() for t in text.split("|") if t.strip()]
        if not alternatives:
            skipped += 1
            continue
        for rank, alt in enumerate(alternatives):
            rows.setdefault((name, alt), (name, lang, alt, note if rank == 0 else "", rank))
    n = writer.upsert_translations(rows.values(), tagset=tagset)
    return {"rows_read": read, "translations": n, "skipped": skipped, "bad": bad,
            "extra": {"mangled_keys": mangled}}

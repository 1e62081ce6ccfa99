"""Importers, one module per format, and ``import_file`` which runs one atomically.

Each importer is ``fn(writer, path, **options) -> dict`` with the counts of ``ImportReport`` and a
``bad`` BadRows; ``import_file`` wraps it in ``store.atomic_update`` so a failure or a kill leaves the
database as it was.
"""

from __future__ import annotations

import enum
import importlib
import os
import time
from pathlib import Path

from tagdb.model import ImportReport, TagImportError
from tagdb.schema import resolve_path
from tagdb.store import atomic_update


class Format(str, enum.Enum):
    AUTOCOMPLETE = "autocomplete"   # name,category,post_count,aliases (Danbooru)
    E621 = "e621"                   # same layout, e621 categories, tag set "e621"
    TRANSLATIONS = "translations"   # tag,text[,note]
    WD14 = "wd14"                   # tag_id,name,category,count
    TAXONOMY = "taxonomy"           # Physton group_tags YAML
    PRESETS = "presets"             # styles JSON ({name, prompt, negative_prompt}) or chants JSON


# format -> (module, function, fixed options)
_IMPORTERS = {
    Format.AUTOCOMPLETE: ("autocomplete", "import_autocomplete", {}),
    Format.E621: ("autocomplete", "import_autocomplete", {"tagset": "e621"}),
    Format.TRANSLATIONS: ("translations", "import_translations", {}),
    Format.WD14: ("wd14", "import_wd14", {}),
    Format.TAXONOMY: ("taxonomy", "import_taxonomy", {}),
    Format.PRESETS: ("presets", "import_presets", {}),
}


def import_file(file: str | os.PathLike, fmt: str | Format, *, db: str | os.PathLike | None = None,
                **options) -> ImportReport:
    """Import ``file`` in format ``fmt`` into the database at ``db`` (created when missing).

    Options by format: autocomplete/e621 ``min_posts``; translations ``lang`` (default "zh"),
    ``reversed`` (text first, tag second), ``tagset``; taxonomy ``lang`` (label language, default "zh"),
    ``name`` (taxonomy name, default the file's stem); presets ``kind``.
    """
    try:
        fmt = Format(fmt)
    except ValueError:
        raise TagImportError(f"Unknown format {fmt!r}; use one of: "
                             f"{', '.join(f.value for f in Format)}.") from None
    file = Path(file)
    if not file.is_file():
        raise TagImportError(f"{file} does not exist or is not a file.")
    module_name, func_name, fixed = _IMPORTERS[fmt]
    func = getattr(importlib.import_module(f"tagdb.importers.{module_name}"), func_name)
    started = time.perf_counter()
    with atomic_update(resolve_path(db)) as writer:
        writer.begin_source(fmt.value, str(file.resolve()))
        counts = func(writer, file, **fixed, **options)
        bad = counts.pop("bad")
        writer.finish_source(counts.get("rows_read", 0), bad.count)
    return ImportReport(source=str(file), format=fmt.value, bad_rows=tuple(bad.examples),
                        bad_row_count=bad.count, seconds=time.perf_counter() - started, **counts)

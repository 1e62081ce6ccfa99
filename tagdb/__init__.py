"""tagdb: the tag database (SQLite + rapidfuzz). Independent of promptlab.

    import tagdb
    db = tagdb.open_db()                       # $PROMPTLAB_HOME/tags.sqlite (~/.promptlab/tags.sqlite)
    tagdb.ensure_starter_db()                  # build the shipped starter set when missing
    db.search("blond", limit=5)                # -> [SearchHit(tag=Tag(...), score, matched, via)]
    db.search("长发"); db.search("changfa"); db.search("lnog hair")
    db.validate(["1girl", "longhair", "not_a_tag"])
    tagdb.import_file("danbooru.csv", "autocomplete")

Nothing is read at import time; heavy work (the search index) happens on first search.
"""

from __future__ import annotations

import os
from pathlib import Path

from tagdb.db import TagDB
from tagdb.importers import Format, import_file
from tagdb.model import (Category, ImportReport, IssueKind, NetworkError, Preset, SearchHit, Tag, TagDBError,
                         TagDBNotFoundError, TagImportError, TagIssue, TaxonomyCategory, TaxonomyGroup, Via)
from tagdb.schema import default_db_path, resolve_path

__all__ = [
    "Category", "Format", "ImportReport", "IssueKind", "NetworkError", "Preset", "SearchHit", "Tag", "TagDB",
    "TagDBError", "TagDBNotFoundError", "TagImportError", "TagIssue", "TaxonomyCategory", "TaxonomyGroup",
    "Via", "default_db_path", "ensure_starter_db", "import_file", "open_db",
]


def open_db(path: str | os.PathLike | None = None, *, readonly: bool = False) -> TagDB:
    """Open the tag database at ``path`` (default ``default_db_path()``).

    A missing file is created empty (schema only) unless ``readonly``, which raises
    ``TagDBNotFoundError`` instead. The returned object is safe to share between threads.
    """
    resolved = resolve_path(path)
    if not resolved.is_file():
        if readonly:
            raise TagDBNotFoundError(f"No tag database at {resolved}. Build one with `promptlab tags init`.")
        from tagdb.store import atomic_update

        with atomic_update(resolved):
            pass
    return TagDB(resolved)


def ensure_starter_db(path: str | os.PathLike | None = None) -> Path:
    """Build the database from the shipped starter set when it is missing or empty; return its path."""
    from tagdb.starter_build import build_starter, has_tags

    resolved = resolve_path(path)
    if not has_tags(resolved):
        build_starter(resolved)
    return resolved

"""The gallery: an SQLite index of the user's generated images (any tool's metadata), a search
language over it, thumbnails and a parameter diff. Pillow and stdlib only; tagdb joins in through
a ``translate`` callable the caller passes (the UI and CLI), never imported here."""

from __future__ import annotations

from promptlab.gallery.diff import ImageDiff, diff
from promptlab.gallery.errors import GalleryError, QueryError
from promptlab.gallery.query import SORTS, compile_query
from promptlab.gallery.record import ImageRecord
from promptlab.gallery.scan import BackgroundScan, ScanProgress, index, scan
from promptlab.gallery.search import SearchPage, Stats, search, stats
from promptlab.gallery.store import connect, default_db_path

__all__ = ["SORTS", "BackgroundScan", "GalleryError", "ImageDiff", "ImageRecord", "QueryError", "ScanProgress",
           "SearchPage", "Stats", "compile_query", "connect", "default_db_path", "diff", "index", "scan", "search",
           "stats"]

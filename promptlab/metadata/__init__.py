"""Image generation metadata: ``read`` it from any common tool's images, ``write`` A1111's.

Extraction (``extract``: which chunk / EXIF field holds the bytes) is separate from the readers
(``readers``: what the text means, one module per tool in one registry list).
"""

from __future__ import annotations

from promptlab.metadata.model import ImageMetadata, Reader, ReaderResult
from promptlab.metadata.reading import read
from promptlab.metadata.write import write

__all__ = ["ImageMetadata", "Reader", "ReaderResult", "read", "write"]

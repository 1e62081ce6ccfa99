"""Gallery errors carry an i18n key and its values, so the UI shows them in the user's language
while ``str()`` (CLI, logs) is the English text."""

from __future__ import annotations

from typing import Any

from promptlab.errors import InvalidInputError, PromptlabError


class GalleryError(PromptlabError):
    def __init__(self, key: str, **fmt: Any) -> None:
        self.key = key
        self.fmt = fmt
        super().__init__(self.message("en"))

    def message(self, lang: str = "en") -> str:
        from promptlab.i18n import t

        return t(self.key, lang, **self.fmt)


class QueryError(GalleryError, InvalidInputError):
    """A search query that cannot be parsed; ``position`` is the 0-based character offset."""

    def __init__(self, key: str, position: int, **fmt: Any) -> None:
        self.position = position
        super().__init__(key, position=position + 1, **fmt)

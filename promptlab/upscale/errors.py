"""Upscale errors carry an i18n key: ``str()`` is English (CLI, logs), ``message(lang)`` is what the
UI shows. Each also belongs to the project's hierarchy (``InvalidInputError``, ...) so callers that
catch those keep working."""

from __future__ import annotations

from typing import Any

from promptlab.errors import InvalidInputError, ModelLoadError, ModelNotFoundError, PromptlabError


class UpscaleError(PromptlabError):
    def __init__(self, key: str, **fmt: Any) -> None:
        self.key = key
        self.fmt = fmt
        super().__init__(self.message("en"))

    def message(self, lang: str = "en") -> str:
        from promptlab.i18n import t

        return t(self.key, lang, **self.fmt)


class UpscaleInputError(UpscaleError, InvalidInputError):
    """A bad image, scale, size or name."""


class UpscalerNotFoundError(UpscaleError, ModelNotFoundError):
    """No such upscaler, or a built-in name whose file is not on disk."""


class UpscalerLoadError(UpscaleError, ModelLoadError):
    """The file is there but is no upscaler spandrel knows."""

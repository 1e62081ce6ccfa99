"""UI text in English and Simplified Chinese.

Each area keeps its own catalog module in this package (``promptlab/i18n/<area>.py``) with
``STRINGS = {"area.key": {"en": "...", "zh": "..."}}``; keys are namespaced by area so the
catalogs never collide. ``t(key, lang, **fmt)`` looks a key up; a missing key or language is a
bug, reported loudly (``KeyError``) so that a test over all catalogs finds it.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache
from types import MappingProxyType
from typing import Any

LANGUAGES = ("en", "zh")
LANGUAGE_NAMES = {"en": "English", "zh": "简体中文"}


@lru_cache(maxsize=1)
def catalog() -> MappingProxyType:
    """All catalogs merged (read-only). Duplicate keys across modules are an error."""
    merged: dict[str, dict[str, str]] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for key, texts in getattr(module, "STRINGS", {}).items():
            if key in merged:
                raise KeyError(f"i18n key {key!r} is defined twice (second time in {info.name}).")
            merged[key] = dict(texts)
    return MappingProxyType(merged)


def t(key: str, lang: str = "en", /, **fmt: Any) -> str:
    texts = catalog()[key]
    text = texts[lang] if lang in texts else texts["en"]
    return text.format(**fmt) if fmt else text


def missing_translations() -> list[str]:
    """Keys that lack one of the supported languages (tests assert this is empty)."""
    return sorted(k for k, texts in catalog().items() for lang in LANGUAGES if not texts.get(lang))

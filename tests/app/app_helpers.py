"""Helpers for the app tests (imported as a plain module: tests/app is on sys.path)."""

from __future__ import annotations


def texts(at) -> str:
    """All visible text of a run (markdown, titles, captions, messages, labels, buttons)."""
    parts: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "success", "code"):
        parts += [str(el.value) for el in getattr(at, kind)]
    for kind in ("button", "text_input", "text_area", "selectbox", "toggle", "radio", "checkbox", "number_input"):
        parts += [str(el.label) for el in getattr(at, kind)]
    parts += [str(tab.label) for tab in at.tabs]
    parts += [str(exp.label) for exp in at.expander]
    return "\n".join(parts)

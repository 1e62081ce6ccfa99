"""Helpers: compare two prompts by what A1111 would condition on."""

from __future__ import annotations

import re

from promptlab.errors import InvalidInputError
from promptlab.syntax import a1111_semantics

_SPACE = re.compile(r"\s+")


def normalized_fragments(fragments) -> list[tuple[str, float]]:
    """What the tokenizer sees: empty fragments dropped, equal-weight neighbours merged,
    whitespace collapsed (CLIP ignores runs of whitespace)."""
    merged: list[list] = []
    for text, weight in fragments:
        if text == "":
            continue
        if merged and merged[-1][1] == weight and not (text == "BREAK" and weight == -1):
            merged[-1][0] += text
        else:
            merged.append([text, weight])
    out: list[tuple[str, float]] = []
    for text, weight in merged:
        text = _SPACE.sub(" ", text).strip()
        if text:
            if out and out[-1][1] == weight:
                out[-1] = (out[-1][0] + " " + text, weight)
            else:
                out.append((text, weight))
    return out


def semantics(text: str, steps: int = 6):
    try:
        parts = a1111_semantics(text, steps)
    except InvalidInputError:
        return "invalid"
    return [
        (part.weight, [(e.end_step, normalized_fragments(e.fragments)) for e in part.schedule])
        for part in parts
    ]

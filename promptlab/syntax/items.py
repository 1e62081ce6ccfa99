"""Top-level comma items ("chips" in the app) and tag-name escaping."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from promptlab.syntax.a1111 import ExtraNetwork
from promptlab.syntax.ast import Break, Emphasis, Text
from promptlab.syntax.parser import parse
from promptlab.syntax.render import render

_TAG_SPECIAL = re.compile(r"([\\()\[\]])")
_TAG_ESCAPED = re.compile(r"\\([\\()\[\]])")


@dataclass(frozen=True, slots=True)
class PromptItem:
    """One top-level comma-separated item. ``weight`` is the emphasis that applies to
    the whole item (1.0 when it has none or only parts of it are weighted); ``AND`` and
    ``BREAK`` come back as items of their own. ``enabled=False`` items are left out by
    :func:`join_items`."""

    text: str
    weight: float
    enabled: bool
    start: int
    end: int


def escape_tag(name: str) -> str:
    """A tag name as A1111 prompt text: ``name_(series)`` -> ``name_\\(series\\)``."""
    return _TAG_SPECIAL.sub(r"\\\1", name)


def unescape_tag(text: str) -> str:
    """Inverse of :func:`escape_tag`: ``name_\\(series\\)`` -> ``name_(series)``."""
    return _TAG_ESCAPED.sub(r"\1", text)


def split_items(text: str) -> tuple[PromptItem, ...]:
    """Split at commas that are outside every bracket; keep each item's source text."""
    result = parse(text)
    cuts: list[tuple[int, int, str | None]] = []  # (start, end, separator item text)
    parts = result.prompt.parts
    for i, part in enumerate(parts):
        if i:
            prev = parts[i - 1]
            weight_end = prev.end
            cuts.append((weight_end, part.start, "AND"))
        for node in part.children:
            if isinstance(node, Text) and "," in node.value:
                source = text[node.start:node.end]
                for j, ch in enumerate(source):
                    if ch == ",":
                        cuts.append((node.start + j, node.start + j + 1, None))
            elif isinstance(node, Break):
                cuts.append((node.start, node.end, "BREAK"))
    items: list[PromptItem] = []
    pos = 0
    for start, end, separator in [*cuts, (len(text), len(text), None)]:
        _add_item(items, text, pos, start)
        if separator is not None:
            items.append(PromptItem(separator, 1.0, True, start, end))
        pos = end
    return tuple(items)


def _add_item(items: list[PromptItem], text: str, start: int, end: int) -> None:
    chunk = text[start:end]
    stripped = chunk.strip()
    if not stripped:
        return
    lead = len(chunk) - len(chunk.lstrip())
    items.append(PromptItem(stripped, _item_weight(stripped), True, start + lead, start + lead + len(stripped)))


def _item_weight(text: str) -> float:
    nodes = [n for n in parse(text).prompt.parts[0].children
             if not (isinstance(n, Text) and not n.value.strip()) and not isinstance(n, ExtraNetwork)]
    weight = 1.0
    while len(nodes) == 1 and isinstance(nodes[0], Emphasis):
        weight *= nodes[0].multiplier
        nodes = [n for n in nodes[0].children if not (isinstance(n, Text) and not n.value.strip())]
    return weight


def join_items(items) -> str:
    """Join enabled items with ``", "`` (``AND``/``BREAK`` items with spaces)."""
    out: list[str] = []
    previous_separator = True
    for item in items:
        if not item.enabled:
            continue
        if item.text in ("AND", "BREAK"):
            out.append(f" {item.text} ")
            previous_separator = True
            continue
        if not previous_separator:
            out.append(", ")
        out.append(item.text)
        previous_separator = False
    return "".join(out).strip()


def set_item_weight(item: PromptItem, weight: float) -> PromptItem:
    """The same item re-weighted: ``(core:weight)``, or the bare core for 1.0."""
    core = item.text
    nodes = [n for n in parse(core).prompt.parts[0].children if not (isinstance(n, Text) and not n.value.strip())]
    while len(nodes) == 1 and isinstance(nodes[0], Emphasis) and nodes[0].closed:
        core = render(nodes[0].children).strip()
        nodes = [n for n in nodes[0].children if not (isinstance(n, Text) and not n.value.strip())]
    text = core if weight == 1.0 else f"({core}:{format_weight(weight)})"
    return replace(item, text=text, weight=weight)


def format_weight(weight: float) -> str:
    """Short decimal for a weight: 1.2, 0.9091, 1.1025."""
    text = f"{weight:.4f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"

"""Prompt helpers for the Build page that need no Streamlit: chips, tag labels, the token counter.

Kept free of ``streamlit`` so they can be tested directly and reused by other pages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

# Danbooru's category colours, as Streamlit Markdown colours and as emoji for plain-text labels.
CATEGORY_COLOR = {0: "blue", 1: "red", 3: "violet", 4: "green", 5: "orange", 9: "gray"}
CATEGORY_DOT = {0: "🔵", 1: "🔴", 3: "🟣", 4: "🟢", 5: "🟠", 8: "🟤", 9: "⚪"}
WEIGHT_STEP = 0.1
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!~|<>:$])")
# Tags that are emoticons keep their underscores (^_^, o_o, >_<) when tags are written with spaces.
_KAOMOJI = re.compile(r"^[^a-z]*_[^a-z]*$|^[a-z]_[a-z]$")


def md_escape(text: str) -> str:
    """Escape Markdown so a tag like ``artist_(style)`` shows literally."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def format_count(n: int | None) -> str:
    if n is None:
        return "–"
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f}M"
    if n >= 1_000:
        return f"{n / 1_000:.1f}k"
    return str(n)


def tag_to_prompt(name: str, *, underscores: bool = False) -> str:
    """The text a tag adds to a prompt: spaces for underscores (as most A1111 users write them,
    except emoticons), and brackets escaped so they are not read as emphasis."""
    from promptlab.syntax.items import escape_tag

    text = name if underscores or _KAOMOJI.match(name) else name.replace("_", " ")
    return escape_tag(text)


def hit_label(hit: Any, lang: str) -> str:
    """One suggestion line: "🔵 long_hair · 长发 · 1.2M", plus what matched when it was not the name."""
    tag = hit.tag
    parts = [f"{CATEGORY_DOT.get(tag.category, '⚫')} {tag.name}"]
    label = tag.label("zh")
    if label:
        parts.append(label)
    parts.append(format_count(tag.post_count))
    text = " · ".join(parts)
    via = getattr(hit.via, "value", hit.via)
    if via in ("alias", "pinyin") or (via == "translation" and hit.matched != label):
        text += f"  ← {hit.matched}"
    return text


def add_to_prompt(text: str, addition: str) -> tuple[str, bool]:
    """Append a comma-separated item unless an equal item is already there; (new text, added?)."""
    from promptlab.syntax.items import split_items

    addition = addition.strip().strip(",").strip()
    if not addition:
        return text, False
    wanted = _norm(addition)
    if any(_norm(item.text) == wanted for item in split_items(text)):
        return text, False
    body = text.rstrip()
    if not body:
        return addition, True
    sep = " " if body.endswith(",") else ", "
    return body + sep + addition, True


def _norm(text: str) -> str:
    return re.sub(r"[\s_]+", " ", text.strip().lower())


# -- chips -----------------------------------------------------------------------------------
class ChipOp:
    UP = "up"          # weight + 0.1
    DOWN = "down"      # weight - 0.1
    TOGGLE = "toggle"  # enable / disable
    LEFT = "left"      # move earlier
    RIGHT = "right"    # move later
    DELETE = "delete"


def combined_items(text: str, off: tuple[tuple[int, str], ...] = ()) -> list[Any]:
    """The chips: the prompt's items plus the switched-off ones at their remembered places.

    A switched-off item is not in the prompt text (``join_items`` leaves it out), so the page keeps
    it aside as (position, text) and shows it struck through until it is switched on again."""
    from promptlab.syntax.items import split_items

    items = list(split_items(text))
    for pos, off_text in sorted(off):
        parsed = split_items(off_text)
        if parsed:
            items.insert(min(pos, len(items)), replace(parsed[0], enabled=False))
    return items


def apply_chip_op(text: str, selected: list[int], op: str,
                  off: tuple[tuple[int, str], ...] = ()) -> tuple[str, list[int], tuple[tuple[int, str], ...]]:
    """Apply a chip action to the selected chips; returns (new text, new selection, new off list)."""
    from promptlab.syntax.items import join_items, set_item_weight

    items = combined_items(text, off)
    chosen = sorted(i for i in set(selected) if 0 <= i < len(items))
    if chosen:
        if op in (ChipOp.UP, ChipOp.DOWN):
            step = WEIGHT_STEP if op == ChipOp.UP else -WEIGHT_STEP
            for i in chosen:
                items[i] = set_item_weight(items[i], round(max(0.0, items[i].weight + step), 2))
        elif op == ChipOp.TOGGLE:
            for i in chosen:
                items[i] = replace(items[i], enabled=not items[i].enabled)
        elif op == ChipOp.DELETE:
            items = [it for i, it in enumerate(items) if i not in chosen]
            chosen = []
        elif op == ChipOp.LEFT and chosen[0] > 0:
            for i in chosen:
                items[i - 1], items[i] = items[i], items[i - 1]
            chosen = [i - 1 for i in chosen]
        elif op == ChipOp.RIGHT and chosen[-1] < len(items) - 1:
            for i in reversed(chosen):
                items[i + 1], items[i] = items[i], items[i + 1]
            chosen = [i + 1 for i in chosen]
        elif op not in (ChipOp.LEFT, ChipOp.RIGHT):
            raise ValueError(f"unknown chip action {op!r}")
    new_off = tuple((i, it.text) for i, it in enumerate(items) if not it.enabled)
    new_text = join_items(items) if chosen or op == ChipOp.DELETE or new_off != tuple(off) else text
    return new_text, chosen, new_off


def chip_core(item: Any) -> str:
    """The item's text without its outer weight syntax (what the chip shows)."""
    text = item.text.strip()
    m = re.fullmatch(r"\((.*):\s*[-+]?\d*\.?\d+\s*\)", text, flags=re.S)
    if m:
        return m.group(1).strip()
    while _wrapped(text):
        text = text[1:-1].strip()
    return text


def _wrapped(text: str) -> bool:
    """Whether the whole text is one (...) or [...] group (the first bracket closes at the end)."""
    if len(text) < 2 or (text[0], text[-1]) not in (("(", ")"), ("[", "]")):
        return False
    depth, i = 0, 0
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
            if depth == 0:
                return i == len(text) - 1
        i += 1
    return False


def shown_weight(weight: float) -> str:
    """A weight as A1111 writes it: two decimals at most, no trailing zeros ([tag] is 0.91, ((tag)) 1.21)."""
    text = f"{weight:.2f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def chip_label(item: Any, category: int | None) -> str:
    core = md_escape(chip_core(item))
    if category in CATEGORY_COLOR:
        core = f":{CATEGORY_COLOR[category]}[{core}]"
    weight = "" if abs(item.weight - 1.0) < 1e-9 else f":{shown_weight(item.weight)}"
    label = f"{core}{weight}"
    return f"~~{label}~~" if not item.enabled else label


# -- token counter -----------------------------------------------------------------------------
@dataclass(frozen=True)
class TokenView:
    total: int
    target: int
    chunks: tuple[tuple[int, str], ...]  # (content tokens, decoded text) per 75-token chunk
    error: str = ""

    @property
    def counter(self) -> str:
        return f"{self.total}/{self.target}"


def token_view(text: str, *, steps: int = 20, positive: bool = True) -> TokenView:
    """A1111's token counter (``promptlab.tokens.count_prompt_tokens``: extra networks removed,
    ``AND`` split, every scheduled variant counted); the longest variant is shown chunk by chunk."""
    if not text.strip():  # nothing to count: the first paint need not load the tokenizer
        return TokenView(total=0, target=75, chunks=())
    from promptlab.tokens import chunk_text, count_prompt_tokens

    result = count_prompt_tokens(text, steps=steps, negative=not positive)
    chunks = tuple((c.count, chunk_text(c)) for c in result.longest.report.chunks)
    return TokenView(total=result.total, target=result.target, chunks=chunks, error="; ".join(result.warnings))


# -- syntax highlighting -------------------------------------------------------------------------
_HL = re.compile(
    r"(?P<esc>\\[()\[\]{}\\:])"
    r"|(?P<net><[^<>]+>)"
    r"|(?P<kw>\bBREAK\b|\bAND\b)"
    r"|(?P<weight>:\s*-?\d*\.?\d+(?=\s*[)\]:]))"
    r"|(?P<nai>-?\d*\.?\d+::|::)"
    r"|(?P<br>[()\[\]{}|])"
)
_HL_STYLE = {
    "net": "color:#7c3aed", "kw": "color:#dc2626;font-weight:700", "weight": "color:#2563eb;font-weight:600",
    "nai": "color:#2563eb;font-weight:600", "br": "color:#d97706;font-weight:700", "esc": "color:#6b7280",
}


def highlight_prompt(text: str) -> str:
    """HTML of a prompt with its syntax coloured: brackets, weights, LoRA/hypernet tags, BREAK/AND."""
    import html as _html

    out, pos = [], 0
    for m in _HL.finditer(text):
        out.append(_html.escape(text[pos:m.start()]))
        out.append(f'<span style="{_HL_STYLE[m.lastgroup]}">{_html.escape(m.group())}</span>')
        pos = m.end()
    out.append(_html.escape(text[pos:]))
    body = "".join(out).replace("\n", "<br>")
    return f'<div style="font-family:monospace;white-space:pre-wrap;line-height:1.6">{body}</div>'


def convert_prompt(text: str, *, src: str, dst: str) -> Any:
    """``promptlab.syntax.convert`` (-> Conversion(text, losses, warnings)), whether the package
    exports the function or only its ``convert`` module."""
    from promptlab.syntax import convert

    func = convert if callable(convert) else convert.convert
    return func(text, src=src, dst=dst)

"""Prompts the fast schedule parser cannot vouch for, parsed with A1111's own lark grammar.

The linear-time parser in :mod:`promptlab.syntax._schedule_parser` reads a prompt exactly as
A1111 does whenever the grammar leaves no room for choice at the top level. When a prompt has
literal bracket characters at the top level (an unbalanced ``(``, a ``[`` that opens nothing,
a ``:`` right beside a bracket), A1111's Earley parser chooses between several readings by
rules that depend on the whole prompt; those prompts come here and are parsed by the same
grammar and the same lark parser A1111 uses, then turned into the fast parser's tree shape
(lists of ``str``, nested lists, SCHEDULED/ALTERNATE tuples) with the same construct positions.

Earley parsing costs up to cubic time, and the cost grows with the length times the number of
bracket/colon characters (measured on a loaded 2-core machine: 500 characters with 50 of them
~0.5 s, 240 with 100 ~2.5 s, 360 with 150 ~11 s). So the fallback has a bound on that product;
beyond it :class:`InvalidInputError` says what to change. A1111 itself would take that long.
"""

from __future__ import annotations

import re
from typing import Any

from promptlab.errors import InvalidInputError
from promptlab.syntax._schedule_parser import ALTERNATE, SCHEDULED

# length x unescaped []():| characters; ~2-3 s of Earley at the bound on a loaded 2-core machine
MAX_FALLBACK_WORK = 30_000
_SPECIAL = re.compile(r"(?<!\\)[\[\]():|]")


def lark_analyze(text: str) -> tuple[list | None, dict[int, tuple], int | None]:
    """Same contract as ``_schedule_parser.analyze``, computed with A1111's lark parser."""
    special = len(_SPECIAL.findall(text))
    if len(text) * (special + 1) > MAX_FALLBACK_WORK:
        raise InvalidInputError(
            f"This prompt ({len(text):,} characters, {special} brackets/colons) has unbalanced brackets or "
            "colons right beside a prompt edit, whose meaning only A1111's slow parser can decide, and it is too "
            "long for that parser to finish in reasonable time. Escape literal brackets as \\( \\) \\[ \\] or "
            "remove unbalanced ones (or put a space between a stray bracket and the [edit]), or shorten the prompt."
        )
    import lark

    from promptlab.syntax.reference import schedule_parser

    try:
        tree = schedule_parser().parse(text)
    except lark.exceptions.LarkError:
        return None, {}, _failure_position(text)
    except RecursionError:
        raise InvalidInputError(
            "The prompt nests brackets too deeply for A1111's parser; remove some brackets."
        ) from None
    info: dict[int, tuple] = {}
    try:
        items, end = _convert(tree, 0, info)
    except RecursionError:
        raise InvalidInputError(
            "The prompt nests brackets too deeply for A1111's parser; remove some brackets."
        ) from None
    if end != len(text):  # the tree must cover the text exactly; anything else is a bug here
        raise AssertionError(f"lark tree covers {end} of {len(text)} characters")
    return items, info, None


def _failure_position(text: str) -> int:
    """Where A1111's grammar gives up: a ``|`` outside ``[a|b]`` or a backslash before a newline/end."""
    from promptlab.syntax._schedule_parser import analyze_fast

    _, _, failed_at, _ = analyze_fast(text)
    return failed_at if failed_at is not None else 0


def _convert(node: Any, pos: int, info: dict[int, tuple]) -> tuple[list, int]:
    """(items, position after ``node``) for a lark subtree starting at ``pos``."""
    if isinstance(node, str):  # a Token: plain text, whitespace, a kept bracket or raw character
        return [str(node)], pos + len(node)
    data = node.data
    if data == "scheduled":
        start = pos
        before, after, ws1, number, ws2 = node.children
        pos += 1
        delims = []
        before_items = None
        if before is not None:
            before_items, pos = _convert(before, pos, info)
            delims.append(pos)
            pos += 1
        after_items, pos = _convert(after, pos, info)
        delims.append(pos)
        pos += 1
        if ws1 is not None:
            pos += len(ws1)
        number_start = pos
        pos += len(number)
        if ws2 is not None:
            pos += len(ws2)
        pos += 1
        info[start] = (SCHEDULED, pos, tuple(delims), str(number), number_start)
        return [(SCHEDULED, before_items, after_items, str(number), number_start)], pos
    if data == "alternate":
        start = pos
        pos += 1
        options = []
        delims = []
        for i, child in enumerate(node.children):
            if i:
                delims.append(pos)
                pos += 1
            if child is None:
                options.append([])
            else:
                sub, pos = _convert(child, pos, info)
                options.append(sub)
        pos += 1
        info[start] = (ALTERNATE, pos, tuple(delims), None, -1)
        return [(ALTERNATE, options)], pos
    items: list = []  # start, prompt, emphasized (whose brackets are kept tokens), plain
    for child in node.children:
        sub, pos = _convert(child, pos, info)
        items.extend(sub)
    return items, pos

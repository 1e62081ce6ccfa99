"""AST -> canonical A1111 text.

``render(parse(x))`` reads back (in A1111) to the same weights, ``BREAK``s, ``AND``
weights and prompt schedules as ``x``: stray brackets come back escaped, unbalanced
openers stay unbalanced (so the weights keep their range), lone backslashes are
dropped, and ``:``/``|`` are escaped wherever A1111 could otherwise read them as
prompt-editing syntax.
"""

from __future__ import annotations

import re

from promptlab.syntax.a1111 import _AND_WEIGHT, _EXTRA_NETWORK, ExtraNetwork
from promptlab.syntax.ast import (
    Alternate,
    Break,
    Edit,
    Emphasis,
    EmphasisKind,
    Node,
    ParseResult,
    Part,
    Prompt,
    Text,
)

_ESCAPE_ALWAYS = re.compile(r"([\\()\[\]|])")
_ESCAPE_WITH_COLON = re.compile(r"([\\()\[\]|:])")
_LEADING_COLONS = re.compile(r"^:+")
_WORD_START = re.compile(r"\w")
_WEIGHT_TAIL = re.compile(r":\s*([+-]?[.\d]+)\s*$")


def render(obj: ParseResult | Prompt | Part | Node | tuple[Node, ...] | list[Node]) -> str:
    """Canonical text of a prompt, part, node or node sequence."""
    if isinstance(obj, ParseResult):
        obj = obj.prompt
    out: list[str] = []
    if isinstance(obj, Prompt):
        for i, part in enumerate(obj.parts):
            text = _render_part(part)
            if i:
                out.append(" AND " if _WORD_START.match(text) else " AND")
            out.append(text)
    elif isinstance(obj, Part):
        out.append(_render_part(obj))
    elif isinstance(obj, tuple | list):
        _render_seq(obj, out, False)
    else:
        _render_seq((obj,), out, False)
    return "".join(out)


def _render_part(part: Part) -> str:
    out: list[str] = []
    _render_seq(part.children, out, False)
    text = "".join(out).rstrip()
    if part.weight_text is not None:
        return text + ":" + part.weight_text
    # The text may end like an AND weight (":1.5") only because a backslash was dropped;
    # a lone backslash before the number keeps A1111 from reading it as one.
    return _guard_and_weight(text)


def _render_seq(nodes, out: list[str], protect_colon: bool) -> None:
    # Iterative: a work stack of nodes and literal strings, so any depth renders.
    work: list = [(node, protect_colon) for node in reversed(nodes)]
    while work:
        item = work.pop()
        if type(item) is str:
            if item:
                out.append(item)
            continue
        if type(item) is _CloseRound:
            # "(a: 2)" would read the text as a weight: a lone backslash before the number
            # (dropped by A1111) keeps it literal.
            m = _WEIGHT_TAIL.search(out[-1]) if out else None
            if m is not None:
                out[-1] = out[-1][: m.start(1)] + "\\" + out[-1][m.start(1):]
            out.append(")")
            continue
        node, protect = item
        if isinstance(node, Text):
            value = node.value
            if out and out[-1] == "BREAK ":
                value = value.lstrip()
            if protect:
                out.append(_ESCAPE_WITH_COLON.sub(r"\\\1", value))
                continue
            prefix = ""
            if out and out[-1] and out[-1][-1] in ")]" and value.startswith(":"):
                colons = _LEADING_COLONS.match(value).group(0)
                prefix, value = "\\:" * len(colons), value[len(colons):]
            out.append(prefix + _ESCAPE_ALWAYS.sub(r"\\\1", value))
        elif isinstance(node, Break):
            while out and out[-1][-1:].isspace():
                out[-1] = out[-1].rstrip()
                if not out[-1]:
                    out.pop()
            if out:
                out.append(" ")
            out.append("BREAK ")
        elif isinstance(node, ExtraNetwork):
            out.append("<" + node.kind + ":" + ":".join(node.items) + ">")
        elif isinstance(node, Emphasis):
            if node.kind is EmphasisKind.ROUND:
                close: object = _CloseRound() if node.closed else ""
                if node.closed and node.weight_text is not None:
                    close = ":" + node.weight_text + ")"
                _push(work, "(", node.children, close, protect)
            else:
                _push(work, "[", node.children, "]" if node.closed else "", True)
        elif isinstance(node, Edit):
            work.append("]")
            work.append(":" + node.when)
            _push_seq(work, node.after, True)
            if node.before is not None:
                work.append(":")
                _push_seq(work, node.before, True)
            work.append("[")
        elif isinstance(node, Alternate):
            work.append("]")
            for i, option in enumerate(reversed(node.options)):
                if i:
                    work.append("|")
                _push_seq(work, option, True)
            work.append("[")
        else:
            raise TypeError(f"cannot render {type(node).__name__}")


class _CloseRound:
    __slots__ = ()


def _guard_and_weight(text: str) -> str:
    """Keep a part without ``:weight`` from ending like one once networks are removed."""
    keep: list[int] = []
    last = 0
    for m in _EXTRA_NETWORK.finditer(text):
        keep.extend(range(last, m.start()))
        last = m.end()
    keep.extend(range(last, len(text)))
    m = _AND_WEIGHT.search("".join(text[i] for i in keep))
    if m is None:
        return text
    at = keep[m.start(1)]
    return text[:at] + "\\" + text[at:]


def _push(work: list, opener: str, children, closer: str, protect: bool) -> None:
    work.append(closer)
    _push_seq(work, children, protect)
    work.append(opener)


def _push_seq(work: list, children, protect: bool) -> None:
    for child in reversed(children):
        work.append((child, protect))

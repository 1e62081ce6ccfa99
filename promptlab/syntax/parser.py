"""Lenient prompt parser: A1111's reading of any string, as an AST with source spans.

The AST follows A1111's pipeline: ``<kind:...>`` extra networks are taken out first,
then ``AND`` splits the prompt into parts with optional ``:weight``, then prompt
editing / alternation is recognised exactly where A1111's schedule grammar recognises
it (``promptlab.syntax._schedule_parser``), and brackets, weights, escapes and
``BREAK`` follow ``parse_prompt_attention``. Whatever A1111 would silently do with odd
input (unbalanced or crossed brackets, a stray ``|`` that disables every prompt
edit, a lone backslash, an invalid weight) comes back as a :class:`PromptWarning`.
Nothing here raises on any ``str``.
"""

from __future__ import annotations

import re

from promptlab.errors import InvalidInputError
from promptlab.syntax import _schedule_parser as sp
from promptlab.syntax.a1111 import ExtraNetwork, _AND, _AND_WEIGHT, _BREAK, _EXTRA_NETWORK, _TRAILING_SPACE
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
    PromptWarning,
    Text,
)
from promptlab.syntax.fullwidth import fullwidth_spans

_TOKEN = re.compile(r"\\[()\[\]\\]?|:\s*([+-]?[.\d]+)\s*\)|[^\\()\[\]:|]+|[()\[\]:|]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]+")

_ROOT, _ROUND, _SQUARE, _CONSTRUCT = range(4)


class _Frame:
    __slots__ = ("kind", "start", "children", "info", "branches", "delim_index")

    def __init__(self, kind: int, start: int, info: tuple | None = None) -> None:
        self.kind = kind
        self.start = start
        self.children: list[Node] = []
        self.info = info
        self.branches: list[tuple[Node, ...]] = []
        self.delim_index = 0


def parse(text: str) -> ParseResult:
    """Parse ``text`` leniently; never raises for a ``str``."""
    if not isinstance(text, str):
        raise TypeError(f"parse() needs a str, not {type(text).__name__}")
    warnings: list[PromptWarning] = []
    for m in _CONTROL.finditer(text):
        warnings.append(PromptWarning(
            "control_char", f"Control character(s) {m.group(0)!r} in the prompt; remove them.", m.start(), m.end()))
    if not text.isascii():
        for span in fullwidth_spans(text):
            warnings.append(PromptWarning(
                "fullwidth_punct", f"Full-width {text[span.start:span.end]!r} (typed with an IME) is plain text to "
                f"A1111, not prompt syntax; write {span.replacement!r} (fix_fullwidth does it).",
                span.start, span.end, span.replacement))

    # 1. extra networks out (A1111 removes them before anything else)
    networks: list[tuple[int, ExtraNetwork]] = []
    pieces: list[str] = []
    omap: list[int] | None = None
    if "<" in text:
        last = 0
        omap = []
        for m in _EXTRA_NETWORK.finditer(text):
            items = m.group(2).split(":")
            net = ExtraNetwork(m.group(1), items[0], tuple(items[1:]), m.start(), m.end())
            pieces.append(text[last:m.start()])
            omap.extend(range(last, m.start()))
            networks.append((len(omap), net))
            last = m.end()
        if networks:
            pieces.append(text[last:])
            omap.extend(range(last, len(text) + 1))
            stripped = "".join(pieces)
        else:
            omap = None
            stripped = text
    else:
        stripped = text

    # 2. AND parts
    parts: list[Part] = []
    pos = 0
    bounds: list[tuple[int, int]] = []
    for m in _AND.finditer(stripped):
        bounds.append((pos, m.start()))
        pos = m.end()
    bounds.append((pos, len(stripped)))
    net_index = 0
    for start, end in bounds:
        sub = stripped[start:end]
        wm = _AND_WEIGHT.search(sub)
        if wm is not None:
            text_end, weight_text = start + wm.start(), wm.group(1)
        else:
            text_end, weight_text = start + _TRAILING_SPACE.search(sub).start(), None
        part_nets = []
        while net_index < len(networks) and networks[net_index][0] <= end:
            part_nets.append(networks[net_index])
            net_index += 1
        children = _parse_part(stripped, start, text_end, part_nets, omap, warnings)
        parts.append(Part(
            children, None if weight_text is None else float(weight_text), weight_text,
            _orig(omap, start), _orig_end(omap, end, start)))
    warnings.sort(key=lambda w: (w.start, w.end))
    return ParseResult(Prompt(tuple(parts)), tuple(warnings))


def _orig(omap: list[int] | None, p: int) -> int:
    return p if omap is None else omap[p]


def _orig_end(omap: list[int] | None, p: int, lo: int) -> int:
    if omap is None or p <= lo:
        return _orig(omap, p)
    return omap[p - 1] + 1


def _parse_part(
    s: str, lo: int, hi: int, nets: list[tuple[int, ExtraNetwork]], omap: list[int] | None,
    warnings: list[PromptWarning],
) -> tuple[Node, ...]:
    sub = s[lo:hi]
    constructs: dict[int, tuple] = {}
    if "[" in sub:
        try:
            tree, local, failed_at = sp.analyze(sub)
        except InvalidInputError as exc:  # too long for A1111's slow parser: keep the fast reading, say so
            tree, local, failed_at, _ = sp.analyze_fast(sub)
            warnings.append(PromptWarning("schedule_unverified", str(exc), _orig(omap, lo), _orig_end(omap, hi, lo)))
        if tree is None:
            c = sub[failed_at]
            code, what = ("stray_bar", "'|' outside [a|b]") if c == "|" else (
                "trailing_backslash", "a backslash at the end of a line")
            warnings.append(PromptWarning(
                code, f"{what} makes A1111 ignore every prompt edit and alternation in this part "
                "(brackets are read as emphasis); remove it or escape it (\\| or \\\\).",
                _orig(omap, lo + failed_at), _orig(omap, lo + failed_at) + 1))
        constructs = {lo + k: (v[0], lo + v[1], {lo + d for d in v[2]}, v[2] and lo + v[2][-1], v[3], lo + v[4])
                      for k, v in local.items()}

    def span(a: int, b: int) -> tuple[int, int]:
        return _orig(omap, a), _orig_end(omap, b, a)

    def warn(code: str, message: str, a: int, b: int) -> None:
        warnings.append(PromptWarning(code, message, *span(a, b)))

    stack = [_Frame(_ROOT, lo)]
    open_constructs: list[_Frame] = []  # kept separately: no O(depth) search per token
    net_i = 0
    pos = lo
    while True:
        while net_i < len(nets) and nets[net_i][0] <= pos:
            stack[-1].children.append(nets[net_i][1])
            net_i += 1
        if pos >= hi:
            break
        info = constructs.get(pos)
        if info is not None:
            frame = _Frame(_CONSTRUCT, pos, info)
            stack.append(frame)
            open_constructs.append(frame)
            pos += 1
            continue
        construct = open_constructs[-1] if open_constructs else None
        if construct is not None and (pos in construct.info[2] or pos == construct.info[1] - 1):
            while stack[-1] is not construct:  # cannot happen for A1111-valid input; be safe
                _close_emphasis(stack, False, pos, span, warn)
            pos = _finish_branch(stack, construct, pos, span)
            if stack[-1] is not construct:
                open_constructs.pop()
            continue
        m = _TOKEN.match(s, pos, hi)
        tok = m.group(0)
        c = tok[0]
        end = m.end()
        top = stack[-1]
        if c == "\\":
            if len(tok) == 2:
                top.children.append(Text(tok[1], *span(pos, end)))
            else:
                warn("lone_backslash", "A1111 drops a backslash that is not followed by ( ) [ ] or \\; "
                     "write \\\\ for a literal backslash.", pos, end)
        elif tok == "(":
            stack.append(_Frame(_ROUND, pos))
        elif tok == "[":
            stack.append(_Frame(_SQUARE, pos))
        elif m.group(1) is not None and _innermost(stack, _ROUND, stop=_CONSTRUCT) is not None:
            try:
                weight = float(m.group(1))
            except ValueError:
                warn("bad_weight", f"{m.group(1)!r} is not a number; A1111 refuses this prompt. "
                     "Write a weight such as (word:1.2).", m.start(1), m.end(1))
                _close_to(stack, _ROUND, None, m.group(1), end, span, warn)
            else:
                _close_to(stack, _ROUND, weight, m.group(1), end, span, warn)
        elif tok == ")" or tok == "]":
            kind = _ROUND if tok == ")" else _SQUARE
            if _innermost(stack, kind, stop=_CONSTRUCT) is None:
                warn("stray_close", f"Unbalanced {tok!r} is literal text; escape it as \\{tok} "
                     "or remove it.", pos, end)
                top.children.append(Text(tok, *span(pos, end)))
            else:
                _close_to(stack, kind, None, None, end, span, warn)
        elif tok == "|":
            top.children.append(Text("|", *span(pos, end)))
        else:
            if tok == ":" and top.kind == _SQUARE:
                warn("literal_colon", "':' inside [...] is literal: prompt editing needs a step, "
                     "as in [from:to:10] or [from:to:0.5].", pos, end)
            inside: list[ExtraNetwork] = []
            while net_i < len(nets) and nets[net_i][0] < end:
                inside.append(nets[net_i])
                net_i += 1
            _append_text(top.children, tok, pos, span, inside)
        pos = end
    while len(stack) > 1:
        _close_emphasis(stack, False, hi, span, warn)
    stack[0].children.extend(net for _, net in nets[net_i:])
    return _merge_text(stack[0].children)


def _innermost(stack: list[_Frame], kind: int, stop: int | None = None) -> _Frame | None:
    for frame in reversed(stack):
        if frame.kind == kind:
            return frame
        if frame.kind == stop:
            return None
    return None


def _append_text(children: list[Node], tok: str, pos: int, span, nets=()) -> None:
    """Text pieces and BREAKs of one text token; extra networks removed inside it go back
    where they were (A1111 reads the token with them removed)."""
    pieces: list[tuple[bool, int, int]] = []  # (is_break, start, end) in token offsets
    last = 0
    if "BREAK" in tok:
        for b in _BREAK.finditer(tok):
            if b.start() > last:
                pieces.append((False, last, b.start()))
            pieces.append((True, b.start(), b.end()))
            last = b.end()
    if last < len(tok):
        pieces.append((False, last, len(tok)))
    cuts = [(p - pos, net) for p, net in nets]
    for is_break, a, b in pieces:
        while cuts and cuts[0][0] <= a:
            children.append(cuts.pop(0)[1])
        if is_break:
            children.append(Break(*span(pos + a, pos + b)))
        else:
            while cuts and cuts[0][0] < b:
                cut, net = cuts.pop(0)
                if cut > a:
                    children.append(Text(tok[a:cut], *span(pos + a, pos + cut)))
                    a = cut
                children.append(net)
            children.append(Text(tok[a:b], *span(pos + a, pos + b)))
    children.extend(net for _, net in cuts)


def _merge_text(children: list[Node]) -> tuple[Node, ...]:
    out: list[Node] = []
    for node in children:
        if isinstance(node, Text) and out and isinstance(out[-1], Text):
            prev = out[-1]
            out[-1] = Text(prev.value + node.value, prev.start, node.end)
        else:
            out.append(node)
    return tuple(out)


def _close_emphasis(stack, closed: bool, end: int, span, warn, weight=None, weight_text=None) -> None:
    frame = stack.pop()
    kind = EmphasisKind.ROUND if frame.kind == _ROUND else EmphasisKind.SQUARE
    if not closed:
        warn("unclosed_bracket", f"Unclosed {'(' if frame.kind == _ROUND else '['}: A1111 applies it to the "
             "end of the prompt; close it or escape it.", frame.start, frame.start + 1)
    start, stop = span(frame.start, end)
    stack[-1].children.append(
        Emphasis(kind, _merge_text(frame.children), weight, weight_text, closed, start, stop))


def _close_to(stack, kind: int, weight, weight_text, end: int, span, warn) -> None:
    """Close the innermost ``kind`` frame; frames of the other kind above it cross it."""
    reopen: list[int] = []
    while stack[-1].kind != kind:
        frame = stack[-1]
        warn("crossed_brackets", "Brackets cross here; read as A1111 does (each bracket keeps "
             "its own range), rendered as nested groups.", frame.start, frame.start + 1)
        reopen.append(frame.kind)
        _close_emphasis(stack, True, end - 1, span, lambda *a: None)
    _close_emphasis(stack, True, end, span, warn, weight, weight_text)
    for other in reversed(reopen):
        stack.append(_Frame(other, end))


def _finish_branch(stack: list[_Frame], frame: _Frame, pos: int, span) -> int:
    kind, end, delims, last_delim, number, number_start = frame.info
    frame.branches.append(_merge_text(frame.children))
    frame.children = []
    if kind == sp.ALTERNATE:
        if pos != end - 1:
            return pos + 1
        node: Node = Alternate(tuple(frame.branches), *span(frame.start, end))
    else:
        if pos != last_delim:
            return pos + 1
        branches = frame.branches
        before, after = (None, branches[0]) if len(branches) == 1 else (branches[0], branches[1])
        node = Edit(before, after, number, *span(frame.start, end))
    stack.pop()
    stack[-1].children.append(node)
    return end

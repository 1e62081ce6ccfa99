"""Linear-time parser for A1111's prompt-editing grammar (no lark, no recursion).

A1111 parses schedules with a lark Earley grammar::

    start:      (prompt | raw [ ] ( ) : characters)*
    prompt:     (emphasized | scheduled | alternate | plain | whitespace)*
    emphasized: "(" prompt ")" | "(" prompt ":" prompt ")" | "[" prompt "]"
    scheduled:  "[" [prompt ":"] prompt ":" ws? NUMBER ws? "]"
    alternate:  "[" prompt ("|" [prompt])+ "]"
    plain:      (any char but \\ [ ] ( ) : |  |  backslash + any char but newline)+

Facts this parser relies on (checked against lark by the differential tests):

* Inside a construct every ``[``/``(`` must itself be a construct, so whether a
  construct starting at position *i* parses, and where it ends, does not depend on the
  context: the result can be memoised per position.
* If a nested construct fails, every enclosing construct fails too; only at the top
  level may a ``[``/``(`` that opens no construct stay as a literal character.
* At the top level Earley's resolution prefers a construct over literal brackets.
* A ``|`` outside an alternation, or a backslash at the end / before a newline, makes
  the whole prompt unparsable: A1111 then uses the prompt unchanged for every step.

The tree is a list of items: ``str`` (verbatim text, emphasis brackets included), a
nested item list (the inside of an emphasis group, not copied so deep nesting stays linear) or a
node tuple ``(SCHEDULED, before | None, after, number_text, number_position)`` /
``(ALTERNATE, [option, ...])`` whose branches are item lists again.
"""

from __future__ import annotations

import bisect
import re

SCHEDULED = 0
ALTERNATE = 1

_PLAIN = re.compile(r"(?:[^\\\[\]():|]|\\.)+")
# lark's SIGNED_NUMBER, ASCII digits only, with lark's order of alternatives.
_STEP_CLOSE = re.compile(
    r"\s*([+-]?(?:[0-9]+[eE][+-]?[0-9]+|(?:[0-9]+\.(?:[0-9]+)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[0-9]+))\s*\]"
)

# Frame phases.
_ROUND = 0        # "(" prompt          -> ")" or ":"
_ROUND_WEIGHT = 1  # "(" prompt ":" prompt -> ")"
_SQUARE = 2       # "[" prompt          -> "]", "|" or ":"
_ALTERNATE = 3    # "[" prompt "|" ...  -> "|" or "]"
_EDIT = 4         # "[" prompt ":" prompt -> ":" NUMBER "]"


class _Frame:
    __slots__ = ("start", "phase", "items", "parts", "delims")

    def __init__(self, start: int, phase: int) -> None:
        self.start = start
        self.phase = phase
        self.items: list = []
        self.parts: list[list] = []
        self.delims: list[int] = []


def parse_schedule_tree(text: str) -> list | None:
    """Parse ``text``; ``None`` when A1111's grammar cannot parse it at all."""
    return analyze(text)[0]


def analyze(text: str) -> tuple[list | None, dict[int, tuple], int | None]:
    """(tree or None, kept edit/alternation constructs, position that made the parse fail).

    Each kept construct is ``start -> (kind, end, delimiter positions, number, number start)``
    with ``kind`` SCHEDULED or ALTERNATE; delimiters are the ``:`` or ``|`` at its level.
    The fast parse answers when it is provably A1111's reading; otherwise A1111's own lark
    grammar decides (:mod:`promptlab.syntax._lark_fallback`, size-bounded).
    """
    tree, info, failed_at, proven = analyze_fast(text)
    if proven:
        return tree, info, failed_at
    from promptlab.syntax._lark_fallback import lark_analyze

    return lark_analyze(text)


def analyze_fast(text: str) -> tuple[list | None, dict[int, tuple], int | None, bool]:
    """``analyze`` by the linear-time parser, plus whether its reading is certainly A1111's.

    It is certain when the parse fails (a ``|`` outside ``[a|b]`` or a backslash before a
    newline fails every reading), when no prompt edit or alternation was recognised anywhere
    (then every reading gives the same text), or when the top level holds no literal bracket
    character and every literal ``:`` sits between two plain characters (``<lora:x:0.5>``): then
    the only choice Earley has is between a construct and its raw characters, and it takes
    the construct. Everything else (unbalanced brackets, ``[]``, ``]:``...) is decided by
    tie-breaks that depend on the whole prompt, so it is left to lark.
    """
    n = len(text)
    info: dict[int, tuple] = {}
    top: list = []
    stack: list[_Frame] = []
    failed: set[int] = set()
    done: dict[int, tuple[list, int]] = {}  # construct start -> (items to splice, end)
    i = 0

    def fail_all() -> int:
        outer = stack[0]
        for frame in stack:
            failed.add(frame.start)
        stack.clear()
        top.append(text[outer.start])
        return outer.start + 1

    while True:
        items = stack[-1].items if stack else top
        if i >= n:
            if not stack:
                if not done or not info:
                    return top if not done else _resolve_top_level(text, done, info)[0], {}, None, True
                tree, kept, certain = _resolve_top_level(text, done, info)
                return tree, _kept_constructs(kept, done, info), None, certain
            i = fail_all()
            continue
        c = text[i]
        if c == "[" or c == "(":
            if i in failed:
                if stack:
                    i = fail_all()
                else:
                    top.append(c)
                    i += 1
                continue
            memo = done.get(i)
            if memo is not None:
                items.extend(memo[0])
                i = memo[1]
                continue
            stack.append(_Frame(i, _ROUND if c == "(" else _SQUARE))
            i += 1
            continue
        if c == "\\" and (i + 1 >= n or text[i + 1] == "\n"):
            if not stack:
                return None, {}, i, True
            i = fail_all()
            continue
        if c not in "]):|":
            m = _PLAIN.match(text, i)
            items.append(m.group(0))
            i = m.end()
            continue
        if not stack:
            if c == "|":
                return None, {}, i, True
            top.append(c)
            i += 1
            continue
        frame = stack[-1]
        phase = frame.phase
        result: list | None = None
        end = i + 1
        if phase == _ROUND:
            if c == ")":
                result = ["(", frame.items, ")"]
            elif c == ":":
                frame.parts.append(frame.items)
                frame.items = []
                frame.phase = _ROUND_WEIGHT
                i += 1
                continue
        elif phase == _ROUND_WEIGHT:
            if c == ")":
                result = ["(", frame.parts[0], ":", frame.items, ")"]
        elif phase == _SQUARE:
            if c == "]":
                result = ["[", frame.items, "]"]
            elif c == "|":
                frame.parts.append(frame.items)
                frame.items = []
                frame.phase = _ALTERNATE
                frame.delims.append(i)
                i += 1
                continue
            elif c == ":":
                frame.delims.append(i)
                m = _STEP_CLOSE.match(text, i + 1)
                if m is not None:  # [after:N]
                    result = [(SCHEDULED, None, frame.items, m.group(1), m.start(1))]
                    end = m.end()
                    info[frame.start] = (SCHEDULED, end, tuple(frame.delims), m.group(1), m.start(1))
                else:  # [before:after:N]
                    frame.parts.append(frame.items)
                    frame.items = []
                    frame.phase = _EDIT
                    i += 1
                    continue
        elif phase == _ALTERNATE:
            if c == "|":
                frame.parts.append(frame.items)
                frame.items = []
                frame.delims.append(i)
                i += 1
                continue
            if c == "]":
                result = [(ALTERNATE, [*frame.parts, frame.items])]
                info[frame.start] = (ALTERNATE, end, tuple(frame.delims), None, -1)
        elif phase == _EDIT:
            if c == ":":
                m = _STEP_CLOSE.match(text, i + 1)
                if m is not None:
                    result = [(SCHEDULED, frame.parts[0], frame.items, m.group(1), m.start(1))]
                    end = m.end()
                    info[frame.start] = (SCHEDULED, end, (*frame.delims, i), m.group(1), m.start(1))
        if result is None:
            i = fail_all()
            continue
        stack.pop()
        done[frame.start] = (result, end)
        (stack[-1].items if stack else top).extend(result)
        i = end


def _resolve_top_level(
    text: str, done: dict[int, tuple[list, int]], info: dict[int, tuple]
) -> tuple[list, list[int], bool]:
    """Choose, right to left, which top-level constructs Earley keeps.

    lark resolves the top level from the right: a construct is kept unless the run of
    literal bracket/colon characters right after it has an even length >= 2 (then its
    brackets are literal and the constructs inside it are top-level candidates). An
    alternation is always kept: with literal brackets its ``|`` could not parse. An
    empty construct such as ``[]`` or ``(:)`` neither counts in the run nor ends it.

    The third value says whether the reading is certain (see ``analyze_fast``): these rules
    reproduce most of Earley's tie-breaks, not all of them, so only prompts that need none
    are vouched for.
    """
    ends = {end: (start, items) for start, (items, end) in done.items()}
    plain_before = [0]  # number of characters outside []():  before each position
    count = 0
    for ch in text:
        count += ch not in "[]():"
        plain_before.append(count)
    escaped = set()
    j = text.find("\\")
    while j != -1:
        escaped.add(j + 1)
        j = text.find("\\", j + 2)
    out: list = []
    kept: list[int] = []
    run = 0
    guessed = False  # a construct was dropped or an empty one skipped by the rules above
    literal = False  # a bracket or colon outside every construct
    k = len(text)
    while k > 0:
        c = text[k - 1]
        if c in "[]():" and (k - 1) not in escaped:
            construct = ends.get(k)
            if construct is not None and plain_before[k] == plain_before[construct[0]]:
                # an empty construct ("[]", "(:)", "([])") is transparent to the run
                guessed = True
                out.append([text[construct[0]:k]])
                k = construct[0]
                continue
            if construct is not None and (run < 2 or run % 2 or _is_alternate(construct[1])):
                out.append(construct[1])
                kept.append(construct[0])
                k = construct[0]
                run = 0
                continue
            guessed = guessed or construct is not None
            literal = True
            out.append([c])
            run += 1
            k -= 1
            continue
        start = k - 1
        while start > 0 and (text[start - 1] not in "[]():" or (start - 1) in escaped):
            start -= 1
        out.append([text[start:k]])
        run = 0
        k = start
    result: list = []
    for part in reversed(out):
        result.extend(part)
    return result, kept, not guessed and (not literal or _insulated(text, kept, done, info, escaped))


def _insulated(text: str, kept: list[int], done: dict[int, tuple[list, int]], info: dict[int, tuple],
               escaped: set[int]) -> bool:
    """Whether every kept top-level construct holding an edit/alternation has plain neighbours.

    Earley can only trade such a construct for raw characters by joining its brackets to
    literal bracket/colon characters right beside it; with a plain character (or the end of
    the text) on each side there is nothing to join, and the construct is what A1111 reads.
    """
    starts = sorted(info)
    n = len(text)
    for lo in kept:
        hi = done[lo][1]
        i = bisect.bisect_left(starts, lo)
        if i == len(starts) or starts[i] >= hi:
            continue  # nothing inside that changes the text
        if lo > 0 and text[lo - 1] in "[]():" and (lo - 1) not in escaped:
            return False
        if hi < n and text[hi] in "[]():":
            return False
    return True


def _kept_constructs(kept: list[int], done: dict[int, tuple[list, int]], info: dict[int, tuple]) -> dict[int, tuple]:
    """Edit/alternation constructs that survive: kept top-level ones and all inside them."""
    if not info:
        return {}
    result: dict[int, tuple] = {}
    spans = sorted((start, done[start][1]) for start in kept)
    for start in info:
        for lo, hi in spans:
            if lo <= start < hi:
                result[start] = info[start]
                break
    return result


def _is_alternate(items: list) -> bool:
    return len(items) == 1 and type(items[0]) is tuple and items[0][0] == ALTERNATE

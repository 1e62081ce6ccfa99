"""Slow, obviously-correct reference: A1111's prompt schedules with A1111's own lark grammar.

This reproduces ``modules/prompt_parser.py`` of AUTOMATIC1111's webui step by step: the same
grammar given to ``lark.Lark(grammar, start="start")`` (Earley, lark's default ambiguity
resolution), a visitor that turns each ``scheduled`` number into a step (collecting the step
boundaries; an ``alternate`` adds every step), a transformer that writes the text at one step,
and a parse error that returns the prompt unchanged for every step. Where A1111 crashes (an
infinite step number) this raises the same Python exception.

It exists for the differential tests and the fuzzer (tests/syntax/fuzz.py,
benchmarks/fuzz_schedules.py), as the benchmark baseline, and as the grammar that
:mod:`promptlab.syntax._lark_fallback` uses for prompts the fast parser cannot prove it reads
as A1111 does. ``lark`` is a core dependency, imported only when called.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from promptlab.errors import MissingDependencyError

# A1111's grammar, character for character: a prompt is a sequence of emphasis groups, edits
# ([a:b:N], [a:N], [a::N]), alternations ([a|b], options may be empty), plain text and
# whitespace; runs of raw bracket/colon characters are allowed at the top level only.
GRAMMAR = r"""
!start: (prompt | /[][():]/+)*
prompt: (emphasized | scheduled | alternate | plain | WHITESPACE)*
!emphasized: "(" prompt ")"
        | "(" prompt ":" prompt ")"
        | "[" prompt "]"
scheduled: "[" [prompt ":"] prompt ":" [WHITESPACE] NUMBER [WHITESPACE] "]"
alternate: "[" prompt ("|" [prompt])+ "]"
WHITESPACE: /\s+/
plain: /([^\\\[\]():|]|\\.)+/
%import common.SIGNED_NUMBER -> NUMBER
"""


@functools.lru_cache(maxsize=1)
def schedule_parser() -> Any:
    """The lark parser A1111 builds (immutable once built, so one per process is shared)."""
    try:
        import lark
    except ImportError:  # a core dependency: only a broken install lacks it
        raise MissingDependencyError(
            "lark is not installed, but promptlab needs it to read some prompts exactly as A1111 does. "
            "Reinstall promptlab: pip install --force-reinstall promptlab (or .venv/bin/pip install -e . in a checkout)."
        ) from None
    return lark.Lark(GRAMMAR, start="start")


def schedules_reference(
    prompts: list[str], base_steps: int, hires_steps: int | None = None, use_old_scheduling: bool = False
) -> list[list[list[Any]]]:
    """A1111's ``get_learned_conditioning_prompt_schedules``, same structure, same results."""
    import lark

    parser = schedule_parser()
    if hires_steps is None or use_old_scheduling:
        int_offset, flt_offset, steps = 0, 0, base_steps
    else:
        int_offset, flt_offset, steps = base_steps, 1.0, hires_steps

    def collect_steps(steps: int, tree: Any) -> list[int]:
        res = [steps]

        class CollectSteps(lark.Visitor):
            def scheduled(self, tree: Any) -> None:
                s = tree.children[-2]
                v = float(s)
                if use_old_scheduling:
                    v = v * steps if v < 1 else v
                elif "." in s:
                    v = (v - flt_offset) * steps
                else:
                    v = v - int_offset
                tree.children[-2] = min(steps, int(v))  # int(inf) raises, as in A1111
                if tree.children[-2] >= 1:
                    res.append(tree.children[-2])

            def alternate(self, tree: Any) -> None:
                res.extend(range(1, steps + 1))

        CollectSteps().visit(tree)
        return sorted(set(res))

    def at_step(step: int, tree: Any) -> str:
        # Every rule yields a generator of strings; `start` joins them (A1111's shape, kept so
        # that truthiness of the branches is exactly A1111's: only a missing prompt is falsy).
        class AtStep(lark.Transformer):
            def scheduled(self, args: list) -> Any:
                before, after, _, when, _ = args
                yield (before or ()) if step <= when else after

            def alternate(self, args: list) -> Any:
                args = ["" if not arg else arg for arg in args]
                yield args[(step - 1) % len(args)]

            def start(self, args: list) -> str:
                def flatten(x: Any) -> Any:
                    if isinstance(x, str):
                        yield x
                    else:
                        for gen in x:
                            yield from flatten(gen)

                return "".join(flatten(args))

            def plain(self, args: list) -> Any:
                yield args[0].value

            def __default__(self, data: Any, children: list, meta: Any) -> Any:
                for child in children:
                    yield child

        return AtStep().transform(tree)

    def get_schedule(prompt: str) -> list[list[Any]]:
        try:
            tree = parser.parse(prompt)
        except lark.exceptions.LarkError:
            return [[steps, prompt]]
        return [[t, at_step(t, tree)] for t in collect_steps(steps, tree)]

    promptdict = {prompt: get_schedule(prompt) for prompt in set(prompts)}
    return [promptdict[prompt] for prompt in prompts]


# A1111's emphasis tokenizer: the alternatives in A1111's order (escapes first, then brackets,
# a ":weight)" closer, plain runs, and a lone ":"). Order matters: "\\(" must win over "\\".
_ATTENTION_RE = re.compile(
    r"\\\(|\\\)|\\\[|\\]|\\\\|\\|\(|\[|:\s*([+-]?[.\d]+)\s*\)|\)|]|[^\\()\[\]:]+|:"
)
_BREAK_RE = re.compile(r"\s*\bBREAK\b\s*", re.S)


def parse_prompt_attention_reference(text: str) -> list[list[Any]]:
    """A1111's ``parse_prompt_attention`` written as plainly as possible (slow path for tests).

    Raises ``ValueError`` where A1111 does (a weight such as ``1.2.3``).
    """
    res: list[list[Any]] = []
    round_open: list[int] = []
    square_open: list[int] = []

    def scale(start: int, factor: float) -> None:
        for item in res[start:]:
            item[1] *= factor

    for m in _ATTENTION_RE.finditer(text):
        token, weight = m.group(0), m.group(1)
        if token.startswith("\\"):
            res.append([token[1:], 1.0])
        elif token == "(":
            round_open.append(len(res))
        elif token == "[":
            square_open.append(len(res))
        elif weight is not None and round_open:
            scale(round_open.pop(), float(weight))
        elif token == ")" and round_open:
            scale(round_open.pop(), 1.1)
        elif token == "]" and square_open:
            scale(square_open.pop(), 1 / 1.1)
        else:
            for i, part in enumerate(_BREAK_RE.split(token)):
                if i > 0:
                    res.append(["BREAK", -1])
                res.append([part, 1.0])
    for start in round_open:
        scale(start, 1.1)
    for start in square_open:
        scale(start, 1 / 1.1)
    if not res:
        res = [["", 1.0]]
    i = 0
    while i + 1 < len(res):  # join neighbours of equal weight, left to right
        if res[i][1] == res[i + 1][1]:
            res[i][0] += res[i + 1][0]
            res.pop(i + 1)
        else:
            i += 1
    return res


_AND_RE = re.compile(r"\bAND\b")
_WEIGHT_RE = re.compile(r"^((?:\s|.)*?)(?:\s*:\s*([-+]?(?:\d+\.?|\d*\.\d+)))?\s*$")


def multicond_reference(prompts: list[str]) -> tuple[list[list[tuple[int, float]]], list[str], dict[str, int]]:
    """A1111's ``get_multicond_prompt_list``: the ``AND`` split with A1111's weight regex."""
    res_indexes: list[list[tuple[int, float]]] = []
    flat: list[str] = []
    index_of: dict[str, int] = {}
    for prompt in prompts:
        indexes = []
        for subprompt in _AND_RE.split(prompt):
            m = _WEIGHT_RE.search(subprompt)
            text, weight = m.groups() if m is not None else (subprompt, 1.0)
            weight = float(weight) if weight is not None else 1.0
            if text not in index_of:
                index_of[text] = len(flat)
                flat.append(text)
            indexes.append((index_of[text], weight))
        res_indexes.append(indexes)
    return res_indexes, flat, index_of

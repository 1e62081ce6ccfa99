"""Slow, obviously-correct reference for prompt schedules: a ``lark`` Earley grammar.

This is how AUTOMATIC1111's webui parses prompt editing and alternation (an Earley
parse over a small grammar, then one tree walk per distinct step). promptlab's own
parser (:mod:`promptlab.syntax.a1111`) must give identical results; this module exists
for differential tests and as the benchmark baseline. It needs the optional ``lark``
package (in the ``dev`` extra), imported only when called.
"""

from __future__ import annotations

import functools
from typing import Any

from promptlab.errors import missing_dependency

# The grammar A1111 uses: a prompt is a sequence of emphasis groups, edits
# ([a:b:N], [a:N], [a::N]), alternations ([a|b]), plain text and whitespace; stray
# bracket/colon characters are allowed at the top level only.
_GRAMMAR = r"""
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
def _parser() -> Any:
    try:
        import lark
    except ImportError:
        raise missing_dependency("lark", "dev") from None
    return lark.Lark(_GRAMMAR)


def schedules_reference(
    prompts: list[str], base_steps: int, hires_steps: int | None = None, use_old_scheduling: bool = False
) -> list[list[list[Any]]]:
    """Prompt schedules computed with the lark grammar (reference implementation)."""
    import lark

    parser = _parser()
    if hires_steps is None or use_old_scheduling:
        int_offset, flt_offset, steps = 0, 0.0, base_steps
    else:
        int_offset, flt_offset, steps = base_steps, 1.0, hires_steps

    def when_of(token: str) -> int:
        value = float(token)
        if use_old_scheduling:
            value = value * steps if value < 1 else value
        elif "." in token:
            value = (value - flt_offset) * steps
        else:
            value = value - int_offset
        return min(steps, int(value))

    def boundaries(tree: Any) -> list[int]:
        found = {steps}
        for node in tree.iter_subtrees():
            if node.data == "scheduled":
                when = when_of(node.children[-2])
                node.children[-2] = when
                if when >= 1:
                    found.add(when)
            elif node.data == "alternate":
                found.update(range(1, steps + 1))
        return sorted(found)

    def text_at(step: int, node: Any) -> str:
        if isinstance(node, lark.Token):
            return str(node)
        if node is None:
            return ""
        if node.data == "scheduled":
            before, after, _, when, _ = node.children
            chosen = before if step <= when else after
            return text_at(step, chosen)
        if node.data == "alternate":
            options = node.children
            return text_at(step, options[(step - 1) % len(options)])
        return "".join(text_at(step, child) for child in node.children)

    def one(prompt: str) -> list[list[Any]]:
        try:
            tree = parser.parse(prompt)
        except lark.exceptions.LarkError:
            return [[steps, prompt]]
        return [[t, text_at(t, tree)] for t in boundaries(tree)]

    cache = {p: one(p) for p in set(prompts)}
    return [cache[p] for p in prompts]

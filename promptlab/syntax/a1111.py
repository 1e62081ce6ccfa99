"""AUTOMATIC1111-compatible prompt functions: same inputs, same lists, same floats.

``parse_prompt_attention``, ``get_learned_conditioning_prompt_schedules`` and
``get_multicond_prompt_list`` return exactly what the functions of the same names in
A1111's ``modules/prompt_parser.py`` return, and ``extra_networks`` mirrors
``modules/extra_networks.parse_prompt``. They are written from A1111's documented
behaviour without ``lark``: emphasis is one regex scan (as in A1111), schedules use a
hand-written linear-time parser that resolves the grammar's ambiguities the way A1111's
Earley parser does (differentially tested against a lark grammar, see
``promptlab.syntax.reference``).

Where A1111 itself crashes (a weight such as ``(a:1.2.3)``, an infinite step such as
``[a:b:1e999]``) these functions raise :class:`promptlab.errors.InvalidInputError`
with the position, instead of a bare ``ValueError``/``OverflowError``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from promptlab.errors import InvalidInputError

__all__ = [
    "ExtraNetwork",
    "extra_networks",
    "get_learned_conditioning_prompt_schedules",
    "get_multicond_prompt_list",
    "parse_prompt_attention",
]

ROUND_MULTIPLIER = 1.1
SQUARE_MULTIPLIER = 1 / 1.1

# One token per match (the alternatives start with different characters, so their order
# does not matter): plain text, an escape (a backslash before anything other than ()[]\
# is a lone backslash that vanishes), a ':weight)' closer, or one special character.
_ATTENTION_TOKEN = re.compile(r"([^\\()\[\]:]+)|(\\[()\[\]\\]?)|:\s*([+-]?[.\d]+)\s*\)|([()\[\]:])")
_ATTENTION_SPECIAL = re.compile(r"[\\()\[\]:]")
_BREAK = re.compile(r"\s*\bBREAK\b\s*")

# Multiplications allowed before a prompt counts as pathological (deeply nested
# brackets cost A1111 quadratic time too); ~1 s of work.
_MAX_MULTIPLY_WORK = 20_000_000


def parse_prompt_attention(text: str) -> list[list]:
    """Split ``text`` into ``[fragment, weight]`` pairs exactly like A1111.

    ``(x)`` multiplies by 1.1, ``[x]`` divides by 1.1, ``(x:w)`` multiplies by ``w``;
    ``\\( \\) \\[ \\] \\\\`` are literal; unbalanced brackets apply to the end of the
    text; ``BREAK`` becomes ``["BREAK", -1]``; neighbours of equal weight are merged.
    """
    if not _ATTENTION_SPECIAL.search(text) and "BREAK" not in text:
        return [[text, 1.0]]

    res: list[list] = []
    round_brackets: list[int] = []
    square_brackets: list[int] = []
    work = 0

    def multiply_range(start: int, multiplier: float) -> None:
        nonlocal work
        work += len(res) - start
        if work > _MAX_MULTIPLY_WORK:
            raise InvalidInputError(
                "The prompt nests brackets too deeply to weight in reasonable time "
                f"(more than {_MAX_MULTIPLY_WORK:,} weight multiplications). Remove some brackets."
            )
        for p in range(start, len(res)):
            res[p][1] *= multiplier

    for m in _ATTENTION_TOKEN.finditer(text):
        kind = m.lastindex
        if kind == 1:  # plain text
            token = m.group(1)
            if "BREAK" in token:
                for i, part in enumerate(_BREAK.split(token)):
                    if i > 0:
                        res.append(["BREAK", -1])
                    res.append([part, 1.0])
            else:
                res.append([token, 1.0])
        elif kind == 2:  # escape, or a lone backslash that vanishes
            res.append([m.group(2)[1:], 1.0])
        elif kind == 4:
            token = m.group(4)
            if token == "(":
                round_brackets.append(len(res))
            elif token == "[":
                square_brackets.append(len(res))
            elif token == ")" and round_brackets:
                multiply_range(round_brackets.pop(), ROUND_MULTIPLIER)
            elif token == "]" and square_brackets:
                multiply_range(square_brackets.pop(), SQUARE_MULTIPLIER)
            else:
                res.append([token, 1.0])
        elif round_brackets:  # ":weight)"
            weight = m.group(3)
            try:
                value = float(weight)
            except ValueError:
                raise InvalidInputError(
                    f"Invalid attention weight {weight!r} at character {m.start(3)}: "
                    "write a number such as (word:1.2). A1111 rejects this prompt too."
                ) from None
            multiply_range(round_brackets.pop(), value)
        else:  # ":weight)" with no open "(" is plain text
            res.append([m.group(0), 1.0])

    for pos in round_brackets:
        multiply_range(pos, ROUND_MULTIPLIER)
    for pos in square_brackets:
        multiply_range(pos, SQUARE_MULTIPLIER)

    if not res:
        return [["", 1.0]]

    # Merge runs of identical weights (in place, left to right, as A1111 does).
    merged = [res[0]]
    for item in res[1:]:
        last = merged[-1]
        if last[1] == item[1]:
            last[0] += item[0]
        else:
            merged.append(item)
    return merged


# --------------------------------------------------------------------------- AND

_AND = re.compile(r"\bAND\b")
_AND_WEIGHT = re.compile(r"\s*:\s*([-+]?(?:\d+\.?|\d*\.\d+))\s*$")
_TRAILING_SPACE = re.compile(r"\s*$")


def split_and_weight(subprompt: str) -> tuple[str, float]:
    """One ``AND`` part -> (text without trailing ``:weight`` and spaces, weight)."""
    m = _AND_WEIGHT.search(subprompt)
    if m is not None:
        return subprompt[: m.start()], float(m.group(1))
    return subprompt[: _TRAILING_SPACE.search(subprompt).start()], 1.0


def get_multicond_prompt_list(prompts: list[str]) -> tuple[list[list[tuple[int, float]]], list[str], dict[str, int]]:
    """A1111's ``AND`` split: (per prompt [(flat index, weight)], flat texts, text -> index)."""
    res_indexes: list[list[tuple[int, float]]] = []
    prompt_flat_list: list[str] = []
    prompt_indexes: dict[str, int] = {}
    for prompt in prompts:
        indexes = []
        for subprompt in _AND.split(prompt):
            text, weight = split_and_weight(subprompt)
            index = prompt_indexes.get(text)
            if index is None:
                index = len(prompt_flat_list)
                prompt_flat_list.append(text)
                prompt_indexes[text] = index
            indexes.append((index, weight))
        res_indexes.append(indexes)
    return res_indexes, prompt_flat_list, prompt_indexes


# --------------------------------------------------------------------- schedules

from promptlab.syntax._schedule_parser import ALTERNATE, SCHEDULED, parse_schedule_tree  # noqa: E402


def get_learned_conditioning_prompt_schedules(
    prompts: list[str],
    base_steps: int,
    hires_steps: int | None = None,
    use_old_scheduling: bool = False,
) -> list[list[list]]:
    """Per prompt, the list of ``[end_step, text]`` A1111 conditions on.

    ``[a:b:when]`` shows ``a`` until ``when`` then ``b`` (``[a:when]`` adds ``a``,
    ``[a::when]`` removes it); a fractional ``when`` is a fraction of the steps;
    ``[a|b]`` alternates every step. With ``hires_steps`` the numbers refer to the
    combined first pass + hires pass (``1.5`` = halfway through hires) unless
    ``use_old_scheduling``.
    """
    if hires_steps is None or use_old_scheduling:
        int_offset, flt_offset, steps = 0, 0.0, base_steps
    else:
        int_offset, flt_offset, steps = base_steps, 1.0, hires_steps

    def when_of(token: str, position: int) -> int:
        value = float(token)
        if use_old_scheduling:
            value = value * steps if value < 1 else value
        elif "." in token:
            value = (value - flt_offset) * steps
        else:
            value = value - int_offset
        try:
            return min(steps, int(value))
        except OverflowError:
            raise InvalidInputError(
                f"Step {token!r} at character {position} is not a finite number; "
                "use a step number or a fraction such as 0.5. A1111 rejects this prompt too."
            ) from None

    def get_schedule(prompt: str) -> list[list]:
        if "[" not in prompt:
            return [[steps, prompt]]
        tree = parse_schedule_tree(prompt)
        if tree is None:
            return [[steps, prompt]]
        boundaries = {steps}
        whens: dict[int, int] = {}
        has_alternate = False
        for node in _walk_nodes(tree):
            if node[0] == SCHEDULED:
                when = when_of(node[3], node[4])
                whens[id(node)] = when
                if when >= 1:
                    boundaries.add(when)
            else:
                has_alternate = True
        if has_alternate:
            boundaries.update(range(1, steps + 1))
        flat: dict[int, list] = {}
        return [[t, _text_at(tree, t, whens, flat)] for t in sorted(boundaries)]

    cache = {prompt: get_schedule(prompt) for prompt in set(prompts)}
    return [cache[prompt] for prompt in prompts]


def _walk_nodes(items: list):
    """Every SCHEDULED/ALTERNATE node in the tree (iterative, any depth)."""
    stack = [items]
    while stack:
        for item in stack.pop():
            if type(item) is list:
                stack.append(item)
            elif type(item) is not str:
                yield item
                if item[0] == SCHEDULED:
                    if item[1] is not None:
                        stack.append(item[1])
                    stack.append(item[2])
                else:
                    stack.extend(item[1])


def _flatten(items: list) -> list:
    """Nested emphasis lists spliced in and neighbouring strings joined (iterative)."""
    out: list = []
    text: list[str] = []
    stack = [iter(items)]
    while stack:
        for item in stack[-1]:
            if type(item) is str:
                text.append(item)
            elif type(item) is list:
                stack.append(iter(item))
                break
            else:
                if text:
                    out.append("".join(text))
                    text = []
                out.append(item)
        else:
            stack.pop()
    if text:
        out.append("".join(text))
    return out


def _text_at(items: list, step: int, whens: dict[int, int], flat: dict[int, list]) -> str:
    """The prompt text at ``step``; ``flat`` caches flattened branches across steps."""
    out: list[str] = []
    key = id(items)
    seq = flat.get(key)
    if seq is None:
        seq = flat[key] = _flatten(items)
    stack = [iter(seq)]
    while stack:
        for item in stack[-1]:
            if type(item) is str:
                out.append(item)
                continue
            if item[0] == SCHEDULED:
                branch = item[1] if step <= whens[id(item)] else item[2]
            else:
                options = item[1]
                branch = options[(step - 1) % len(options)]
            if branch:
                key = id(branch)
                seq = flat.get(key)
                if seq is None:
                    seq = flat[key] = _flatten(branch)
                stack.append(iter(seq))
                break
        else:
            stack.pop()
    return "".join(out)


# ----------------------------------------------------------------- extra networks

_EXTRA_NETWORK = re.compile(r"<(\w+):([^>]+)>")


@dataclass(frozen=True, slots=True)
class ExtraNetwork:
    """``<kind:name:arg:...>``: ``kind`` is lora/hypernet/lyco/..., ``args`` the items after the name."""

    kind: str
    name: str
    args: tuple[str, ...]
    start: int
    end: int

    @property
    def items(self) -> tuple[str, ...]:
        """All ``:``-separated items as A1111's ``ExtraNetworkParams.items`` (name first)."""
        return (self.name, *self.args)

    @property
    def positional(self) -> tuple[str, ...]:
        return tuple(item for item in self.items if "=" not in item)

    @property
    def named(self) -> dict[str, str]:
        return dict(item.split("=", 1) for item in self.items if "=" in item)


def extra_networks(text: str) -> tuple[str, tuple[ExtraNetwork, ...]]:
    """Remove ``<kind:name:args>`` from ``text`` like A1111 and return them in order."""
    found: list[ExtraNetwork] = []

    def take(m: re.Match[str]) -> str:
        items = m.group(2).split(":")
        found.append(ExtraNetwork(m.group(1), items[0], tuple(items[1:]), m.start(), m.end()))
        return ""

    return _EXTRA_NETWORK.sub(take, text), tuple(found)

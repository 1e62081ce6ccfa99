"""The prompt AST: small frozen dataclasses with source spans (``start``/``end`` are
character offsets into the parsed text, end exclusive)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Union

from promptlab.syntax.a1111 import ExtraNetwork


class EmphasisKind(enum.Enum):
    ROUND = "round"    # ( ) x1.1, or (x:w)
    SQUARE = "square"  # [ ] /1.1


@dataclass(frozen=True, slots=True)
class Text:
    """Literal text (escapes already resolved: ``\\(`` is stored as ``(``)."""

    value: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Break:
    """``BREAK``: closes the current 75-token chunk."""

    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Emphasis:
    """``(x)``, ``[x]`` or ``(x:weight)``; ``closed`` is False for an unbalanced bracket
    (A1111 then applies it to the end of the prompt). ``weight_text`` without ``weight``
    is an invalid number such as ``1.2.3`` (A1111 refuses the prompt; we read 1.1)."""

    kind: EmphasisKind
    children: tuple[Node, ...]
    weight: float | None
    weight_text: str | None
    closed: bool
    start: int
    end: int

    @property
    def multiplier(self) -> float:
        if self.weight is not None:
            return self.weight
        return 1.1 if self.kind is EmphasisKind.ROUND else 1 / 1.1


@dataclass(frozen=True, slots=True)
class Edit:
    """Prompt editing ``[before:after:when]``; ``before`` is None for ``[after:when]``."""

    before: tuple[Node, ...] | None
    after: tuple[Node, ...]
    when: str
    start: int
    end: int

    @property
    def when_value(self) -> float:
        return float(self.when)


@dataclass(frozen=True, slots=True)
class Alternate:
    """Alternation ``[a|b|c]``: option ``(step - 1) % len(options)`` at each step."""

    options: tuple[tuple[Node, ...], ...]
    start: int
    end: int


Node = Union[Text, Break, Emphasis, Edit, Alternate, ExtraNetwork]


@dataclass(frozen=True, slots=True)
class Part:
    """One ``AND`` sub-prompt with its optional trailing ``:weight``."""

    children: tuple[Node, ...]
    weight: float | None
    weight_text: str | None
    start: int
    end: int

    @property
    def effective_weight(self) -> float:
        return 1.0 if self.weight is None else self.weight


@dataclass(frozen=True, slots=True)
class Prompt:
    """The AST root: the ``AND`` parts in order."""

    parts: tuple[Part, ...]

    @property
    def networks(self) -> tuple[ExtraNetwork, ...]:
        return tuple(node for node in walk(self) if isinstance(node, ExtraNetwork))


@dataclass(frozen=True, slots=True)
class PromptWarning:
    """A leniency: the text still parses (as A1111 reads it), but probably not as meant."""

    code: str
    message: str
    start: int
    end: int
    suggestion: str | None = None  # text that could replace start:end (e.g. ASCII for full-width)


@dataclass(frozen=True, slots=True)
class ParseResult:
    prompt: Prompt
    warnings: tuple[PromptWarning, ...]


def children_of(node: object) -> tuple[tuple[Node, ...], ...]:
    """The child sequences of a node (branches for edits and alternations)."""
    if isinstance(node, Prompt):
        return tuple(part.children for part in node.parts)
    if isinstance(node, Part | Emphasis):
        return (node.children,)
    if isinstance(node, Edit):
        return (node.after,) if node.before is None else (node.before, node.after)
    if isinstance(node, Alternate):
        return node.options
    return ()


def walk(root: object):
    """Every node under ``root`` (depth first, document order, no recursion)."""
    stack = [iter(seq) for seq in reversed(children_of(root))]
    while stack:
        node = next(stack[-1], None)
        if node is None:
            stack.pop()
            continue
        yield node
        stack.extend(iter(seq) for seq in reversed(children_of(node)))

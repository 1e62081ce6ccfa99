"""Which reading of ``{...}`` is meant: dynamicprompts variants or NovelAI emphasis.

Both tools use curly braces. ``{cat|dog}`` is a variant (pick one), ``{{masterpiece}}`` is NovelAI
emphasis (x1.05 per pair). A template must never be silently read the wrong way, so every prompt gets a
mode: chosen by the user, or detected here with the reason shown.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass


class BraceMode(enum.Enum):
    AUTO = "auto"            # detect per prompt
    VARIANTS = "variants"    # {a|b} is a variant; NovelAI braces are not understood
    NOVELAI = "novelai"      # {x} is NovelAI emphasis; variant syntax is switched off (wildcards still work)


@dataclass(frozen=True)
class BraceGroup:
    start: int
    end: int                 # exclusive
    text: str
    variant_like: bool


@dataclass(frozen=True)
class BraceDetection:
    mode: BraceMode          # VARIANTS or NOVELAI (never AUTO); VARIANTS when there are no braces at all
    ambiguous: bool          # both readings occur in the same prompt
    reason: str
    groups: tuple[BraceGroup, ...] = ()


_BOUNDS = re.compile(r"^\s*(\d+(\s*-\s*\d*)?|-\s*\d+)\s*\$\$")


def find_brace_groups(text: str) -> tuple[BraceGroup, ...]:
    """Outermost ``{...}`` groups (backslash escapes respected, unbalanced braces ignored)."""
    groups: list[BraceGroup] = []
    depth = 0
    start = -1
    pipe_at_top = False
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "{":
            if depth == 0:
                start, pipe_at_top = i, False
            depth += 1
        elif ch == "}" and depth:
            depth -= 1
            if depth == 0:
                inner = text[start + 1 : i]
                dynamic = start > 0 and text[start - 1] in "$%"   # ${variable} / %{wrap}: dynamicprompts only
                variant_like = dynamic or pipe_at_top or bool(_BOUNDS.match(inner)) or _inner_has_variant(inner)
                groups.append(BraceGroup(start, i + 1, text[start : i + 1], variant_like))
        elif ch == "|" and depth >= 1:
            pipe_at_top = pipe_at_top or depth == 1
        i += 1
    return tuple(groups)


def _inner_has_variant(inner: str) -> bool:
    # {{a|b}} is still a variant (nested); {{x}} is NovelAI emphasis.
    return any(g.variant_like for g in find_brace_groups(inner)) if "{" in inner else False


def detect_brace_mode(text: str) -> BraceDetection:
    groups = find_brace_groups(text)
    variant = [g for g in groups if g.variant_like]
    nai = [g for g in groups if not g.variant_like]
    if not groups:
        return BraceDetection(BraceMode.VARIANTS, False, "no braces", groups)
    if variant and nai:
        return BraceDetection(
            BraceMode.VARIANTS,
            True,
            f"both readings occur: {variant[0].text!r} is a variant, {nai[0].text!r} looks like NovelAI "
            "emphasis; choose a mode",
            groups,
        )
    if variant:
        return BraceDetection(BraceMode.VARIANTS, False, f"{variant[0].text!r} has '|' options", groups)
    return BraceDetection(
        BraceMode.NOVELAI, False, f"{nai[0].text!r} has no '|' options: NovelAI emphasis", groups
    )

"""Full-width punctuation typed with a Chinese/Japanese IME, and its ASCII A1111 syntax.

A1111's parsers only know ASCII ``( ) [ ] :``. ``（smile：1.2）`` is plain text to them: no
weight is applied, and CLIP (which folds full-width forms to ASCII while cleaning text) sees the
parentheses, colon and digits as extra tokens. ``【x】``/``［x］`` likewise never de-emphasise or
edit anything. Which characters matter:

* ``（ ）【 】［ ］`` always: they can only have been meant as brackets;
* ``：`` only inside brackets, where ``:`` is syntax (a weight, a prompt-edit step); at the top
  level a colon is plain text for A1111 too (``Re：Zero`` stays as typed);
* ``，`` never for the meaning: CLIP folds it to ``,`` so A1111 gets the same tokens.
  :func:`fix_fullwidth` still turns it into ``,`` so promptlab's comma items line up.

``｜`` is left alone: a ``|`` outside ``[a|b]`` would disable every prompt edit in A1111.
"""

from __future__ import annotations

from dataclasses import dataclass

BRACKETS = {"（": "(", "）": ")", "【": "[", "】": "]", "［": "[", "］": "]"}
_OPEN = frozenset("([")
_CLOSE = frozenset(")]")


@dataclass(frozen=True, slots=True)
class FullwidthSpan:
    """Characters ``start:end`` hold full-width syntax; ``replacement`` is the ASCII text for them."""

    start: int
    end: int
    replacement: str


def _conversions(text: str) -> list[tuple[int, str, bool, int]]:
    """(position, ASCII replacement, whether it changes A1111's reading, outermost group start
    or -1) per convertible character."""
    out: list[tuple[int, str, bool, int]] = []
    depth = 0
    group = -1
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c == "\\":  # an escaped ASCII bracket is literal text
            i += 2
            continue
        ascii_c = BRACKETS.get(c, c)
        if ascii_c in _OPEN and depth == 0:
            group = i
        if c in BRACKETS:
            out.append((i, ascii_c, True, group))
        elif c == "：" and depth > 0:
            out.append((i, ":", True, group))
        elif c == "，":
            out.append((i, ",", False, group))
        if ascii_c in _OPEN:
            depth += 1
        elif ascii_c in _CLOSE and depth > 0:
            depth -= 1
            if depth == 0:
                group = -1
        i += 1
    return out


def fix_fullwidth(text: str) -> str:
    """``text`` with IME full-width brackets (and ``：`` inside brackets, and ``，``) in ASCII."""
    chars = list(text)
    for pos, replacement, _, _ in _conversions(text):
        chars[pos] = replacement
    return "".join(chars)


def fullwidth_spans(text: str) -> list[FullwidthSpan]:
    """Spans whose full-width characters change how A1111 reads the prompt, one per group.

    Characters of one top-level bracket group are reported together, so that
    ``（smile：1.2）`` is one span with the replacement ``(smile:1.2)``.
    """
    spans: list[tuple[int, int]] = []
    last_group = -1
    for pos, _, matters, group in _conversions(text):
        if not matters:
            continue
        if spans and group != -1 and group == last_group:
            spans[-1] = (spans[-1][0], pos + 1)
        else:
            spans.append((pos, pos + 1))
        last_group = group
    fixed = fix_fullwidth(text)  # same length: every replacement is one character
    return [FullwidthSpan(a, b, fixed[a:b]) for a, b in spans]


def fullwidth_notes(text: str) -> list[str]:
    """One line per full-width span, for reports without a UI language (the token counter)."""
    if text.isascii():
        return []
    from promptlab.i18n import t

    return [t("syntax.fullwidth.counter", "en", examples=text[s.start:s.end], fixed=s.replacement)
            for s in fullwidth_spans(text)]

"""Convert prompts between A1111, NovelAI v3 (braces), NovelAI v4 (numeric) and ComfyUI.

Every conversion says what it could not carry over (``losses``) and what behaves
differently in the target (``warnings``). Conversions go through weighted fragments
(text, effective weight), except A1111 -> A1111 which re-renders the AST.

* NovelAI v3: ``{x}`` multiplies by 1.05, ``[x]`` divides by 1.05; a weight becomes the
  nearest number of braces (``(x:1.2)`` -> ``{{{{x}}}}`` = 1.2155).
* NovelAI v4: numeric ``1.5::x::`` (a missing closing ``::`` runs to the end); braces
  still work.
* ComfyUI: explicit ``(x:w)`` only (``[]`` has no meaning there and an inner ``(x:w)``
  replaces the outer weight instead of multiplying, so weights are written flat).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from promptlab.errors import InvalidInputError
from promptlab.syntax.a1111 import ExtraNetwork
from promptlab.syntax.ast import Alternate, Break, Edit, Emphasis, EmphasisKind, Text
from promptlab.syntax.items import format_weight
from promptlab.syntax.parser import parse
from promptlab.syntax.render import render

FORMATS = ("a1111", "nai3", "nai4", "comfy")
SOURCE_FORMATS = ("a1111", "nai3", "nai4")
NAI_STEP = 1.05
_BREAK_MARK = object()


# Every note's English sentence, by code. The UI translates notes by code (promptlab/i18n/firsthour.py holds
# "firsthour.convert.<code>" with this same English); ``losses`` and ``warnings`` keep the English text.
NOTE_TEXTS = {
    "and_joined": "AND (composable diffusion) has no equivalent; the parts were joined with ', '.",
    "and_weight": "AND part weight :{weight} dropped.",
    "break": "BREAK has no equivalent; replaced by ', '.",
    "extra_network": "<{network}> removed: load it in the target tool (NovelAI has none; ComfyUI: a LoraLoader node).",
    "prompt_editing": "prompt editing [..:..:{when}] is A1111-only; kept the final text.",
    "alternation": "alternation [a|b] is A1111-only; kept the first option.",
    "syntax": "{code} at {position}: {message}",
    "stray_colons": "stray '::' at {position} kept as text.",
    "unbalanced": "unbalanced {token} at {position} kept as text.",
    "unclosed": "unclosed {token} at {position}: applied to the end of the prompt.",
    "nai_literal_brackets": "literal {{ }} [ ] cannot be escaped in NovelAI and will read as emphasis.",
    "weight_dropped": "weight {weight} on {text} cannot be written with braces; dropped.",
    "weight_rounded": "weight {weight} on {text} became {count} {brackets} = {actual}.",
    "comfy_weights": "ComfyUI applies weights as empty + (token - empty) * w without restoring the mean (A1111 "
                     "restores it), so the same numbers act differently; lower strong weights or use an "
                     "A1111-style weighting node.",
}


@dataclass(frozen=True, slots=True)
class Note:
    """One thing a conversion lost or changed: a code (a key of NOTE_TEXTS) and the values of its sentence."""
    code: str
    params: tuple[tuple[str, str], ...] = ()

    @property
    def text(self) -> str:
        return NOTE_TEXTS[self.code].format(**dict(self.params))


def _note(note_code: str, /, **params: object) -> Note:
    return Note(note_code, tuple((name, str(value)) for name, value in params.items()))


@dataclass(frozen=True, slots=True)
class Conversion:
    text: str
    losses: tuple[str, ...]
    warnings: tuple[str, ...]
    notes: tuple[Note, ...] = ()   # losses then warnings, by code and values (for translated display)


def convert(text: str, *, src: str, dst: str) -> Conversion:
    """Convert ``text`` written for ``src`` into ``dst`` syntax."""
    if src not in SOURCE_FORMATS:
        raise InvalidInputError(f"Unknown source format {src!r}; use one of: {', '.join(SOURCE_FORMATS)}.")
    if dst not in FORMATS:
        raise InvalidInputError(f"Unknown target format {dst!r}; use one of: {', '.join(FORMATS)}.")
    losses: list[Note] = []
    warnings: list[Note] = []
    if src == "a1111":
        result = parse(text)
        warnings.extend(_note("syntax", code=w.code, position=w.start, message=w.message, found=text[w.start:w.end])
                        for w in result.warnings)
        if dst == "a1111":
            return _conversion(render(result), [], warnings)
        fragments = _a1111_fragments(result, losses)
    else:
        fragments = _nai_fragments(text, numeric=(src == "nai4"), warnings=warnings)
    writer = {"a1111": _write_a1111, "nai3": _write_nai3, "nai4": _write_nai4, "comfy": _write_comfy}[dst]
    out = writer(fragments, losses, warnings)
    return _conversion(out, losses, warnings)


def _conversion(text: str, losses: list[Note], warnings: list[Note]) -> Conversion:
    kept_losses, kept_warnings = tuple(dict.fromkeys(losses)), tuple(dict.fromkeys(warnings))
    return Conversion(text, tuple(n.text for n in kept_losses), tuple(n.text for n in kept_warnings),
                      kept_losses + kept_warnings)


# ------------------------------------------------------------------ A1111 source

def _a1111_fragments(result, losses: list[Note]) -> list:
    fragments: list = []
    parts = result.prompt.parts
    for index, part in enumerate(parts):
        if index:
            losses.append(_note("and_joined"))
            fragments.append((", ", 1.0))
        if part.weight is not None and part.weight != 1.0:
            losses.append(_note("and_weight", weight=part.weight_text))
        work = [(node, 1.0) for node in reversed(part.children)]
        while work:
            node, weight = work.pop()
            if isinstance(node, Text):
                fragments.append((node.value, weight))
            elif isinstance(node, Break):
                losses.append(_note("break"))
                fragments.append(_BREAK_MARK)
            elif isinstance(node, ExtraNetwork):
                losses.append(_note("extra_network", network=f"{node.kind}:{':'.join(node.items)}"))
            elif isinstance(node, Emphasis):
                multiplier = node.multiplier
                work.extend((child, weight * multiplier) for child in reversed(node.children))
            elif isinstance(node, Edit):
                losses.append(_note("prompt_editing", when=node.when))
                work.extend((child, weight) for child in reversed(node.after))
            elif isinstance(node, Alternate):
                losses.append(_note("alternation"))
                work.extend((child, weight) for child in reversed(node.options[0]))
    return fragments


# -------------------------------------------------------------------- NAI source

_NAI_TOKEN = re.compile(r"(-?\d+(?:\.\d+)?)::|::|[{}\[\]]|[^{}\[\]:\d-]+|.", re.S)


def _nai_fragments(text: str, *, numeric: bool, warnings: list[Note]) -> list:
    fragments: list = []
    stack: list[tuple[str, float, int]] = []  # (kind, multiplier, position)
    weight = 1.0
    for m in _NAI_TOKEN.finditer(text):
        token = m.group(0)
        if numeric and m.group(1) is not None:
            value = float(m.group(1))
            stack.append(("num", value, m.start()))
            weight *= value
        elif numeric and token == "::":
            if any(kind == "num" for kind, _, _ in stack):
                while stack:
                    kind, mult, _ = stack.pop()
                    weight /= mult
                    if kind == "num":
                        break
            else:
                warnings.append(_note("stray_colons", position=m.start()))
                fragments.append((token, weight))
        elif token in "{[" and len(token) == 1:
            mult = NAI_STEP if token == "{" else 1 / NAI_STEP
            stack.append((token, mult, m.start()))
            weight *= mult
        elif token in "}]" and len(token) == 1:
            opener = "{" if token == "}" else "["
            if stack and stack[-1][0] == opener:
                weight /= stack.pop()[1]
            else:
                warnings.append(_note("unbalanced", token=repr(token), position=m.start()))
                fragments.append((token, weight))
        else:
            fragments.append((token, weight))
    for kind, _, position in stack:
        if kind != "num":
            warnings.append(_note("unclosed", token=repr(kind), position=position))
    return fragments


# ---------------------------------------------------------------------- writers

def _runs(fragments: list) -> list:
    """Merge neighbours of (nearly) equal weight; keep BREAK marks."""
    runs: list = []
    for fragment in fragments:
        if fragment is _BREAK_MARK:
            runs.append(_BREAK_MARK)
            continue
        value, weight = fragment
        if runs and runs[-1] is not _BREAK_MARK and math.isclose(runs[-1][1], weight, rel_tol=1e-9):
            runs[-1] = (runs[-1][0] + value, runs[-1][1])
        elif value:
            runs.append((value, weight))
    return runs


def _weighted(runs: list, wrap, plain, sep: str = ", ") -> str:
    out: list[str] = []
    for run in runs:
        if run is _BREAK_MARK:
            out.append(sep)
            continue
        value, weight = run
        core = value.strip()
        if not core or math.isclose(weight, 1.0, rel_tol=1e-9):
            out.append(plain(value))
            continue
        lead = value[: len(value) - len(value.lstrip())]
        trail = value[len(value.rstrip()):]
        out.append(lead + wrap(core, weight) + trail)
    return "".join(out)


def _write_a1111(fragments, losses, warnings) -> str:
    def wrap(core: str, weight: float) -> str:
        node = Emphasis(EmphasisKind.ROUND, (Text(core, 0, 0),), weight, format_weight(weight), True, 0, 0)
        return render(node)

    return _weighted(_runs(fragments), wrap, lambda v: render(Text(v, 0, 0)), sep=" BREAK ")


def _nai_plain(value: str, warnings: list[Note]) -> str:
    if any(ch in value for ch in "{}[]"):
        warnings.append(_note("nai_literal_brackets"))
    return value


def _write_nai3(fragments, losses, warnings) -> str:
    def wrap(core: str, weight: float) -> str:
        if weight <= 0:
            losses.append(_note("weight_dropped", weight=format_weight(weight), text=repr(core)))
            return _nai_plain(core, warnings)
        count = round(math.log(weight) / math.log(NAI_STEP))
        actual = NAI_STEP ** count
        if abs(actual - weight) > 0.005:
            losses.append(_note("weight_rounded", weight=format_weight(weight), text=repr(core), count=abs(count),
                                brackets="{}" if count > 0 else "[]", actual=format_weight(actual)))
        if count == 0:
            return _nai_plain(core, warnings)
        opener, closer = ("{", "}") if count > 0 else ("[", "]")
        return opener * abs(count) + _nai_plain(core, warnings) + closer * abs(count)

    return _weighted(_runs(fragments), wrap, lambda v: _nai_plain(v, warnings))


def _write_nai4(fragments, losses, warnings) -> str:
    def wrap(core: str, weight: float) -> str:
        return f"{format_weight(weight)}::{_nai_plain(core, warnings)}::"

    return _weighted(_runs(fragments), wrap, lambda v: _nai_plain(v, warnings))


_COMFY_ESCAPE = re.compile(r"([\\()])")


def _write_comfy(fragments, losses, warnings) -> str:
    runs = _runs(fragments)
    if any(run is not _BREAK_MARK and not math.isclose(run[1], 1.0, rel_tol=1e-9) for run in runs):
        warnings.append(_note("comfy_weights"))

    def escape(value: str) -> str:
        return _COMFY_ESCAPE.sub(r"\\\1", value)

    def wrap(core: str, weight: float) -> str:
        return "(" + escape(core) + ":" + format_weight(weight) + ")"

    return _weighted(runs, wrap, escape)

"""A1111's two classic combination scripts: "Prompt matrix" and "Prompts from file or textbox".

Both behave as in AUTOMATIC1111's webui (scripts/prompt_matrix.py, scripts/prompts_from_file.py), with
promptlab's additions: a limit on the prompt matrix size, and a bad line in a prompts file reported with
its line number instead of aborting the whole batch.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field, replace
from typing import Any

from promptlab.errors import InvalidInputError
from promptlab.params import GenerationParams

MAX_MATRIX_PARTS = 16   # 2**15 = 32,768 prompts


def prompt_matrix(prompt: str, *, put_at_start: bool = False, delimiter: str = ", ") -> list[str]:
    """``a|b|c`` -> every combination of the optional parts after the first, in A1111's order.

    Combination i takes optional part n when bit n of i is set: ``a``, ``a, b``, ``a, c``, ``a, b, c``.
    The optional parts are stripped of spaces and commas; the first part is kept as written.
    """
    parts = prompt.split("|")
    if len(parts) > MAX_MATRIX_PARTS:
        raise InvalidInputError(
            f"A prompt matrix with {len(parts)} parts makes {2 ** (len(parts) - 1):,} prompts; the limit is "
            f"{MAX_MATRIX_PARTS} parts ({2 ** (MAX_MATRIX_PARTS - 1):,} prompts). Split it into smaller matrices."
        )
    optional = parts[1:]
    prompts = []
    for combination in range(2 ** len(optional)):
        selected = [text.strip().strip(",") for n, text in enumerate(optional) if combination & (1 << n)]
        ordered = selected + [parts[0]] if put_at_start else [parts[0]] + selected
        prompts.append(delimiter.join(ordered))
    return prompts


def _string(value: str) -> str:
    return value


def _bool(value: str) -> bool:
    return value == "true"


# A1111's accepted options, their types, and the GenerationParams field each one sets (None = kept in
# PromptLine.options only: output folders, styles, face restore and the like are not generation params).
_OPTIONS: dict[str, tuple[Any, str | None]] = {
    "sd_model": (_string, "model"),
    "outpath_samples": (_string, None),
    "outpath_grids": (_string, None),
    "prompt_for_display": (_string, None),
    "prompt": (_string, "prompt"),
    "negative_prompt": (_string, "negative_prompt"),
    "styles": (_string, None),
    "seed": (int, "seed"),
    "subseed_strength": (float, "subseed_strength"),
    "subseed": (int, "subseed"),
    "seed_resize_from_h": (int, None),
    "seed_resize_from_w": (int, None),
    "sampler_index": (int, None),
    "sampler_name": (_string, "sampler"),
    "batch_size": (int, "batch_size"),
    "n_iter": (int, "batch_count"),
    "steps": (int, "steps"),
    "cfg_scale": (float, "cfg_scale"),
    "width": (int, "width"),
    "height": (int, "height"),
    "restore_faces": (_bool, None),
    "tiling": (_bool, None),
    "do_not_save_samples": (_bool, None),
    "do_not_save_grid": (_bool, None),
}


@dataclass(frozen=True)
class PromptLine:
    line_number: int
    params: GenerationParams
    options: dict[str, Any] = field(default_factory=dict)   # A1111 options that are not generation params


@dataclass(frozen=True)
class PromptFileError:
    line_number: int
    line: str
    message: str


@dataclass(frozen=True)
class PromptFile:
    lines: tuple[PromptLine, ...]
    errors: tuple[PromptFileError, ...]


def parse_prompt_line(line: str, base: GenerationParams) -> tuple[GenerationParams, dict[str, Any]]:
    """One line: a plain prompt, or ``--prompt "..." --steps 30 ...`` as A1111 accepts it."""
    if "--" not in line:
        return replace(base, prompt=line), {}
    try:
        args = shlex.split(line)
    except ValueError as exc:
        raise InvalidInputError(f"cannot split the line ({exc}); check its quotes") from None
    changes: dict[str, Any] = {}
    options: dict[str, Any] = {}
    pos = 0
    while pos < len(args):
        arg = args[pos]
        if not arg.startswith("--"):
            raise InvalidInputError(f"expected an option starting with --, found {arg!r}")
        tag = arg[2:]
        if tag not in _OPTIONS:
            raise InvalidInputError(f"unknown option --{tag}; known: {', '.join('--' + k for k in _OPTIONS)}")
        convert, target = _OPTIONS[tag]
        if tag in ("prompt", "negative_prompt"):
            # A1111 joins every word up to the next --option, so unquoted prompts work.
            words = []
            pos += 1
            while pos < len(args) and not args[pos].startswith("--"):
                words.append(args[pos])
                pos += 1
            value: Any = " ".join(words)
        else:
            if pos + 1 >= len(args):
                raise InvalidInputError(f"--{tag} needs a value")
            try:
                value = convert(args[pos + 1])
            except ValueError:
                kind = {int: "whole number", float: "number"}.get(convert, "value")
                raise InvalidInputError(f"--{tag} needs a {kind}, got {args[pos + 1]!r}") from None
            pos += 2
        if target:
            changes[target] = value
        else:
            options[tag] = value
    return replace(base, **changes), options


def parse_prompts_file(text: str, base: GenerationParams | None = None) -> PromptFile:
    """Every non-blank line becomes a job; bad lines are listed with their number, the rest still run."""
    base = base or GenerationParams()
    lines: list[PromptLine] = []
    errors: list[PromptFileError] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        try:
            params, options = parse_prompt_line(line, base)
        except InvalidInputError as exc:
            errors.append(PromptFileError(number, line, str(exc)))
            continue
        lines.append(PromptLine(number, params, options))
    return PromptFile(tuple(lines), tuple(errors))

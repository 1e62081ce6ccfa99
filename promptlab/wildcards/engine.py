"""Variants and wildcards on top of the dynamicprompts library.

dynamicprompts does the parsing and sampling (``{a|b}``, ``{2$$a|b|c}``, ``{1-3$$ and $$a|b}``,
``{0.5::a|b}``, ``__wildcards__``, ``${var=...}``). What it does not do, and this module adds:

- a missing wildcard is an error here (the library logs a warning and leaves ``__name__`` in the text);
- a wildcard that includes itself is found before sampling (the library recurses until Python's stack
  overflows);
- the number of combinations is counted up front, so a 10^9-combination template is refused or capped
  immediately instead of hanging;
- NovelAI ``{}`` emphasis is never silently read as a variant (see ``braces.py``);
- each expansion carries the seed it was sampled with (seed + i), reproducible across runs.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from promptlab.errors import InvalidInputError
from promptlab.wildcards.braces import BraceMode, detect_brace_mode

if TYPE_CHECKING:
    from dynamicprompts.wildcards import WildcardManager

DEFAULT_MAX_COUNT = 1000     # combinatorial mode cap unless the caller raises it
HARD_MAX_COUNT = 100_000     # never materialise more than this many prompts in one call
MAX_NESTING = 32             # wildcard-in-wildcard depth before we call it a loop


class WildcardError(InvalidInputError):
    """A template cannot be expanded (missing wildcard file, loop, too many combinations, syntax)."""


@dataclass(frozen=True)
class Expansion:
    prompt: str
    negative_prompt: str = ""
    seed: int | None = None     # the seed this variant was sampled with (random mode)
    index: int = 0


@dataclass(frozen=True)
class WildcardSource:
    """Where wildcard files are read from: one or more folders merged (later folders add values)."""

    folders: tuple[Path, ...] = ()

    @classmethod
    def from_paths(cls, paths: Iterable[Path | str] | Path | str | None) -> WildcardSource:
        """Explicit folders (each must exist); ``None``: the user's ``models/wildcards`` when it exists."""
        if paths is None:
            default = default_wildcard_folder()
            return cls((default,) if default.is_dir() else ())
        if isinstance(paths, (str, Path)):
            paths = [paths]
        resolved = []
        for p in paths:
            path = Path(p).expanduser()
            if not path.is_dir():
                raise WildcardError(f"Wildcard folder {path} does not exist. Create it or pass another --wildcards DIR.")
            resolved.append(_a1111_wildcard_folder(path))
        return cls(tuple(resolved))


def _a1111_wildcard_folder(path: Path) -> Path:
    """Accept an A1111 install or an extension folder as well as a plain wildcard folder."""
    for candidate in (
        path / "extensions" / "sd-dynamic-prompts" / "wildcards",
        path / "extensions" / "stable-diffusion-webui-wildcards" / "wildcards",
        path / "wildcards",
    ):
        if candidate.is_dir():
            return candidate
    return path


def as_source(wildcards: WildcardSource | Iterable[Path | str] | Path | str | None) -> WildcardSource:
    return wildcards if isinstance(wildcards, WildcardSource) else WildcardSource.from_paths(wildcards)


def default_wildcard_folder() -> Path:
    from promptlab.paths import model_dir

    return model_dir("wildcards")


def _manager(source: WildcardSource) -> WildcardManager:
    # A new manager per call: the library caches values inside it, and wildcard files can be edited
    # between calls (the Build page edits them); building one only lists the folder.
    from dynamicprompts.wildcards import WildcardManager

    strict = _strict_manager_class(WildcardManager)
    if not source.folders:
        return strict()
    return strict(root_map={"": list(source.folders)})


@lru_cache(maxsize=1)
def _strict_manager_class(base: type) -> type:
    class StrictWildcardManager(base):  # type: ignore[misc, valid-type]
        def get_values(self, wildcard: str):  # noqa: ANN202 - library type
            values = super().get_values(wildcard)
            if not len(values.string_values):
                known = ", ".join(sorted(self.get_collection_names())[:20]) or "none"
                raise WildcardError(
                    f"Wildcard __{wildcard}__ not found (no file {wildcard}.txt/.yaml/.json with values). "
                    f"Known wildcards: {known}."
                )
            return values

    return StrictWildcardManager


_OPEN, _CLOSE = "\ue000", "\ue001"   # private-use stand-ins for NovelAI braces while sampling


def _protect_novelai_braces(text: str) -> str:
    """Hide NovelAI ``{}`` from the variant parser; ``${var}`` and ``%{wrap}`` groups stay live."""
    out: list[str] = []
    live: list[bool] = []   # per open brace: is it a dynamicprompts group?
    for i, ch in enumerate(text):
        if ch == "{":
            is_live = i > 0 and text[i - 1] in "$%"
            live.append(is_live)
            out.append(ch if is_live else _OPEN)
        elif ch == "}" and live:
            out.append(ch if live.pop() else _CLOSE)
        else:
            out.append(ch)
    return "".join(out)


def _restore_novelai_braces(text: str) -> str:
    return text.replace(_OPEN, "{").replace(_CLOSE, "}")


def _prepare(template: str, mode: BraceMode) -> str:
    return _protect_novelai_braces(template) if mode is BraceMode.NOVELAI else template


def resolve_mode(template: str, mode: BraceMode | str) -> BraceMode:
    mode = BraceMode(mode)
    if mode is not BraceMode.AUTO:
        return mode
    detection = detect_brace_mode(template)
    if detection.ambiguous:
        raise WildcardError(
            f"Cannot tell how to read the braces: {detection.reason}. Choose the variants reading "
            "(--brace-mode variants) or NovelAI emphasis (--brace-mode novelai)."
        )
    return detection.mode


def _parse(template: str, mode: BraceMode):
    from dynamicprompts.parser.parse import parse

    try:
        return parse(_prepare(template, mode))
    except Exception as exc:  # pyparsing raises its own ParseException family
        raise WildcardError(f"Template syntax error: {exc}. Check for an unclosed '{{' or '__'.") from None


def count_combinations(template: str, *, mode: BraceMode | str = BraceMode.AUTO,
                       wildcards: WildcardSource | Iterable[Path | str] | Path | str | None = None) -> int:
    """Number of distinct prompts combinatorial mode would produce (exact for variants and wildcards)."""
    resolved = resolve_mode(template, mode)
    source = as_source(wildcards)
    return _Counter(_manager(source), resolved).count(_parse(template, resolved), ())


class _Counter:
    def __init__(self, manager: WildcardManager, mode: BraceMode) -> None:
        self.manager = manager
        self.mode = mode

    def count(self, command, chain: tuple[str, ...]) -> int:
        from dynamicprompts.commands import (
            LiteralCommand, SequenceCommand, VariantCommand, WildcardCommand, WrapCommand,
        )

        if isinstance(command, LiteralCommand):
            return 1
        if isinstance(command, SequenceCommand):
            return math.prod(self.count(c, chain) for c in command.tokens)
        if isinstance(command, VariantCommand):
            counts = [self.count(o.value, chain) for o in command.variants]
            low, high = min(command.min_bound, len(counts)), min(command.max_bound, len(counts))
            # dynamicprompts' combinatorial sampler yields ordered picks (a,b and b,a), hence k!.
            return sum(
                math.factorial(k) * _elementary_symmetric(counts, k) for k in range(max(low, 0), high + 1)
            ) or 1
        if isinstance(command, WildcardCommand):
            if not isinstance(command.wildcard, str):
                return 1  # a computed name: known only when sampled
            name = command.wildcard
            if name in chain or len(chain) >= MAX_NESTING:
                loop = " -> ".join(f"__{n}__" for n in (*chain, name))
                raise WildcardError(f"Wildcard loop: {loop}. A wildcard file must not include itself.")
            values = self.manager.get_values(name)
            return sum(self.count(_parse(v, BraceMode.VARIANTS), (*chain, name)) for v in values.string_values)
        if isinstance(command, WrapCommand):
            return self.count(command.wrapper, chain) * self.count(command.inner, chain)
        # Variable assignments and accesses: the library samples an assignment once per prompt, so a
        # variable does not multiply the count; its value is still checked for missing wildcards/loops.
        value = getattr(command, "value", None)
        if value is not None:
            self.count(value, chain)
        return 1


def _elementary_symmetric(values: Sequence[int], k: int) -> int:
    """Sum over all k-subsets of the product of their values (ways to pick k distinct options)."""
    e = [1] + [0] * k
    for v in values:
        for j in range(k, 0, -1):
            e[j] += e[j - 1] * v
    return e[k]


def expand(
    template: str,
    *,
    negative: str = "",
    mode: BraceMode | str = BraceMode.AUTO,
    combinatorial: bool = False,
    count: int = 1,
    seed: int | None = None,
    max_count: int = DEFAULT_MAX_COUNT,
    wildcards: WildcardSource | Iterable[Path | str] | Path | str | None = None,
) -> list[Expansion]:
    """Expand a template (and its negative prompt) into prompts.

    Random mode (default): ``count`` prompts; prompt i is sampled with seed ``seed + i`` (a random base
    seed when ``seed`` is None or -1), so the same seed gives the same prompts. Combinatorial mode: every
    combination in order, up to ``max_count`` — a template with more combinations than ``max_count`` is
    refused with the count in the message (raise ``max_count`` to accept it, up to ``HARD_MAX_COUNT``).
    Negative prompts may hold variants too: in random mode they are sampled with the same seed; in
    combinatorial mode every prompt is paired with every negative.
    """
    manager = _manager(as_source(wildcards))
    pos_mode, neg_mode = resolve_mode(template, mode), resolve_mode(negative, mode)
    # Count first: finds missing wildcards and loops before any sampling, and bounds the work.
    total = _Counter(manager, pos_mode).count(_parse(template, pos_mode), ())
    neg_total = _Counter(manager, neg_mode).count(_parse(negative, neg_mode), ()) if negative else 1
    if combinatorial:
        max_count = min(max_count, HARD_MAX_COUNT)
        if total * neg_total > max_count:
            raise WildcardError(
                f"This template makes {total * neg_total:,} combinations, more than the limit of {max_count:,}. "
                "Use random mode (-n N), narrow the template, or raise the limit (--max)."
            )
        prompts = _combinatorial(template, manager, pos_mode, total)
        negatives = _combinatorial(negative, manager, neg_mode, neg_total) if negative else [""]
        return [
            Expansion(p, n, None, i)
            for i, (p, n) in enumerate((p, n) for p in prompts for n in negatives)
        ]
    if count < 1 or count > HARD_MAX_COUNT:
        raise WildcardError(f"count must be between 1 and {HARD_MAX_COUNT:,}, not {count}.")
    base = random.SystemRandom().randrange(2**32) if seed is None or seed == -1 else int(seed)
    seeds = [(base + i) % 2**32 for i in range(count)]
    prompts = _random(template, manager, pos_mode, seeds)
    negatives = _random(negative, manager, neg_mode, seeds) if negative else [""] * count
    return [Expansion(p, n, s, i) for i, (p, n, s) in enumerate(zip(prompts, negatives, seeds))]


def _random(template: str, manager, mode: BraceMode, seeds: list[int]) -> list[str]:
    from dynamicprompts.enums import SamplingMethod

    # Same procedure as dynamicprompts' RandomPromptGenerator.generate(seeds=...): one sampling stream,
    # the RNG re-seeded before each prompt, so prompt i depends only on seed i.
    context = _sampling_context(manager, SamplingMethod.RANDOM)

    def run() -> list[str]:
        stream = iter(context.sample_prompts(_prepare(template, mode), len(seeds)))
        out = []
        for seed in seeds:
            context.rand.seed(seed)
            out.append(str(next(stream)))
        return out

    return [_restore_novelai_braces(p) for p in _guarded(run)]


def _combinatorial(template: str, manager, mode: BraceMode, total: int) -> list[str]:
    from dynamicprompts.enums import SamplingMethod

    context = _sampling_context(manager, SamplingMethod.COMBINATORIAL)
    prompts = _guarded(lambda: [str(p) for p in context.sample_prompts(_prepare(template, mode), total)])
    return [_restore_novelai_braces(p) for p in prompts]


def _sampling_context(manager, method):
    from dynamicprompts.sampling_context import SamplingContext

    return _parse_caching_context_class(SamplingContext)(
        default_sampling_method=method, wildcard_manager=manager, rand=random.Random()
    )


@lru_cache(maxsize=1)
def _parse_caching_context_class(base: type) -> type:
    """dynamicprompts re-parses every wildcard value each time it is drawn (pyparsing, ~10 ms each);
    this context parses each distinct text once per expand() call. Sampling itself is unchanged."""
    import dataclasses

    from dynamicprompts.parser.parse import parse

    @dataclasses.dataclass(frozen=True)
    class ParseCachingContext(base):  # type: ignore[misc, valid-type]
        parsed: dict = dataclasses.field(default_factory=dict)

        def sample_prompts(self, prompt, num_prompts=None):  # noqa: ANN001, ANN202 - library signature
            if isinstance(prompt, str) and prompt:
                command = self.parsed.get(prompt)
                if command is None:
                    command = self.parsed[prompt] = parse(prompt, parser_config=self.parser_config)
                prompt = command
            return super().sample_prompts(prompt, num_prompts)

    return ParseCachingContext


def _guarded(run):
    try:
        return run()
    except WildcardError:
        raise
    except RecursionError:
        raise WildcardError("Wildcards nest too deeply (a loop through a computed wildcard name?).") from None
    except ValueError as exc:
        raise WildcardError(f"Cannot expand the template: {exc}") from None

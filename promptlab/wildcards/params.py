"""Wildcards meet generation: one GenerationParams per image, each with the variant it used."""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

from promptlab.params import GenerationParams
from promptlab.wildcards.braces import BraceMode
from promptlab.wildcards.engine import WildcardSource, as_source, count_combinations, expand

WILDCARD_MARK = "__"


def has_dynamic_syntax(text: str, mode: BraceMode | str = BraceMode.AUTO, wildcards: WildcardSource | None = None) -> bool:
    """True when expanding ``text`` can give more than the text itself."""
    if not text:
        return False
    if WILDCARD_MARK in text or "${" in text:
        return True
    if "{" not in text:
        return False
    return count_combinations(text, mode=mode, wildcards=wildcards) > 1


def expand_params(
    params: GenerationParams,
    *,
    mode: BraceMode | str = BraceMode.AUTO,
    wildcards: WildcardSource | list[Path | str] | Path | str | None = None,
) -> list[GenerationParams]:
    """Batch count x batch size images walk through the variants of the prompt (and negative prompt).

    Image i is sampled with seed ``seed + i`` (a random base seed for ``-1``), gets that seed as its own
    generation seed, and records the template in its infotext as "Template" / "Negative Template" (the
    keys the Dynamic Prompts extension writes), so the image says both what was asked and what was used.
    A prompt without variants or wildcards comes back unchanged as a single entry.
    """
    source = as_source(wildcards)
    if not (has_dynamic_syntax(params.prompt, mode, source) or has_dynamic_syntax(params.negative_prompt, mode, source)):
        return [params]
    total = max(1, params.batch_count) * max(1, params.batch_size)
    base_seed = params.seed if params.seed != -1 else random.SystemRandom().randrange(2**32)
    expansions = expand(
        params.prompt, negative=params.negative_prompt, mode=mode, count=total, seed=base_seed, wildcards=source
    )
    result = []
    for expansion in expansions:
        extra = list(params.extra)
        if expansion.prompt != params.prompt:
            extra.append(("Template", params.prompt))
        if expansion.negative_prompt != params.negative_prompt:
            extra.append(("Negative Template", params.negative_prompt))
        result.append(
            replace(
                params,
                prompt=expansion.prompt,
                negative_prompt=expansion.negative_prompt,
                seed=expansion.seed,
                batch_count=1,
                batch_size=1,
                extra=tuple(extra),
            )
        )
    return result

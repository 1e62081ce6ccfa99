"""A1111's token counter for a whole prompt (the ``94/150`` above the prompt box).

Like A1111's ``update_token_counter``: extra networks (``<lora:..>``) are removed, the positive prompt
is split on ``AND``, prompt editing and alternation are expanded for ``steps`` sampling steps, and every
distinct resulting text is chunked; the counter shows the longest one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from promptlab.errors import InvalidInputError
from promptlab.tokens.chunking import Chunk, Emphasis, TiBacktrack, TokenizerLike, TokenReport, chunk_prompt
from promptlab.tokens.clip import ClipTokenizer, get_tokenizer, tidy_spacing


@dataclass(frozen=True)
class PromptVariant:
    """One text the model is conditioned on: ``part`` is its index in the ``AND`` split, ``end_steps``
    the schedule entries (A1111's ``[end_step, text]``) that use it."""

    text: str
    part: int
    end_steps: tuple[int, ...]
    report: TokenReport


@dataclass(frozen=True)
class PromptTokens:
    total: int
    target: int
    variants: tuple[PromptVariant, ...]
    warnings: tuple[str, ...] = ()

    @property
    def counter(self) -> str:
        return f"{self.total}/{self.target}"

    @property
    def longest(self) -> PromptVariant:
        return max(self.variants, key=lambda v: v.report.total)


def count_prompt_tokens(
    text: str,
    *,
    steps: int = 20,
    negative: bool = False,
    comma_backtrack: int = 20,
    emphasis: str | Emphasis = "Original",
    embeddings: Mapping[str, int] | None = None,
    tokenizer: TokenizerLike | None = None,
    ti_backtrack: str | TiBacktrack = TiBacktrack.A1111,
) -> PromptTokens:
    """Token counts of a prompt as A1111's UI computes them (``negative`` prompts have no ``AND``)."""
    from promptlab.syntax.a1111 import (
        extra_networks,
        get_learned_conditioning_prompt_schedules,
        get_multicond_prompt_list,
    )
    from promptlab.syntax.fullwidth import fullwidth_notes

    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise InvalidInputError(f"steps must be a positive integer, got {steps!r}.")
    emphasis = Emphasis.parse(emphasis)
    warnings: list[str] = fullwidth_notes(text)  # （smile：1.2） is plain text to A1111
    stripped, _networks = extra_networks(text)
    parts = [stripped] if negative else get_multicond_prompt_list([stripped])[1]
    try:
        schedules = get_learned_conditioning_prompt_schedules(parts, steps)
    except InvalidInputError as exc:  # A1111's counter falls back to the plain text the same way
        warnings.append(f"Prompt editing not expanded: {exc}")
        schedules = [[[steps, part]] for part in parts]
    seen: dict[tuple[int, str], list[int]] = {}
    for part, schedule in enumerate(schedules):
        for end_step, scheduled_text in schedule:
            seen.setdefault((part, scheduled_text), []).append(int(end_step))
    variants = tuple(
        PromptVariant(
            text=scheduled_text,
            part=part,
            end_steps=tuple(ends),
            report=chunk_prompt(
                scheduled_text,
                comma_backtrack=comma_backtrack,
                emphasis=emphasis,
                embeddings=embeddings,
                tokenizer=tokenizer,
                ti_backtrack=ti_backtrack,
            ),
        )
        for (part, scheduled_text), ends in seen.items()
    )
    longest = max(variants, key=lambda v: v.report.total)
    return PromptTokens(longest.report.total, longest.report.target, variants, tuple(warnings))


def chunk_text(chunk: Chunk, tokenizer: ClipTokenizer | None = None) -> str:
    """The content of a chunk as text, with ``<name>`` where an embedding sits."""
    tok = tokenizer or get_tokenizer()
    ids = chunk.content_ids
    pieces: list[str] = []
    position = 0
    for slot in chunk.embeddings:
        if slot.offset >= chunk.count:  # left in the padding by A1111's comma backtrack
            continue
        pieces.append(tok.decode(ids[position : slot.offset]))
        pieces.append(f"<{slot.name}>")
        position = slot.offset + slot.vectors
    pieces.append(tok.decode(ids[position:]))
    pieces.extend(f"<{slot.name}:padding>" for slot in chunk.embeddings if slot.offset >= chunk.count)
    return tidy_spacing(" ".join(p for p in pieces if p))


def report_to_dict(report: TokenReport, tokenizer: ClipTokenizer | None = None) -> dict[str, Any]:
    """The stable JSON shape of one chunked text (documented in the README)."""
    tok = tokenizer or get_tokenizer()
    return {
        "total": report.total,
        "target": report.target,
        "chunks": [
            {
                "index": index,
                "count": chunk.count,
                "text": chunk_text(chunk, tok),
                "ids": list(chunk.content_ids),
                "tokens": [tok.id_to_token(i) if i else "" for i in chunk.content_ids],
                "multipliers": list(chunk.multipliers[1 : 1 + chunk.count]),
                "embeddings": [{"name": s.name, "offset": s.offset, "vectors": s.vectors} for s in chunk.embeddings],
            }
            for index, chunk in enumerate(report.chunks)
        ],
        "fragments": [
            {
                "text": f.text,
                "weight": f.weight,
                "chunk_index": f.chunk_index,
                "last_chunk_index": f.last_chunk_index,
                "token_count": f.token_count,
            }
            for f in report.fragments
        ],
    }


def prompt_tokens_to_dict(result: PromptTokens, tokenizer: ClipTokenizer | None = None) -> dict[str, Any]:
    return {
        "total": result.total,
        "target": result.target,
        "counter": result.counter,
        "warnings": list(result.warnings),
        "variants": [
            {"text": v.text, "part": v.part, "end_steps": list(v.end_steps), **report_to_dict(v.report, tokenizer)}
            for v in result.variants
        ],
    }


# Which tokenizer clean-up each model's text encoders use in A1111 (``promptlab.tokens.clip``).
MODEL_TYPES = ("sd1", "sd2", "sdxl")
ENCODER_TOKENIZERS: Mapping[str, tuple[tuple[str, str], ...]] = {
    "sd1": (("CLIP-L", "a1111"),),
    "sd2": (("OpenCLIP-H", "open_clip"),),
    "sdxl": (("CLIP-L", "a1111"), ("OpenCLIP-G", "open_clip")),
}


@dataclass(frozen=True)
class EncoderTokens:
    """What one text encoder sees: ``encoder`` its name (CLIP-L, OpenCLIP-G ...), ``tokens`` its counts."""

    encoder: str
    normalization: str
    tokens: PromptTokens


def count_tokens_per_encoder(text: str, *, model_type: str = "sd1", **kwargs: Any) -> tuple[EncoderTokens, ...]:
    """``count_prompt_tokens`` once per text encoder of ``model_type`` ("sd1", "sd2", "sdxl"), each with
    its own tokenizer as A1111 does (SDXL: CLIP-L and OpenCLIP-G can differ, e.g. on HTML entities).
    A1111's own counter shows the first encoder's count."""
    if model_type not in ENCODER_TOKENIZERS:
        raise InvalidInputError(f"Unknown model type {model_type!r}; choose one of {', '.join(MODEL_TYPES)}.")
    if "tokenizer" in kwargs:
        raise InvalidInputError("count_tokens_per_encoder chooses the tokenizers itself; do not pass tokenizer=.")
    return tuple(
        EncoderTokens(name, norm, count_prompt_tokens(text, tokenizer=get_tokenizer(norm), **kwargs))
        for name, norm in ENCODER_TOKENIZERS[model_type]
    )


def encoders_agree(results: tuple[EncoderTokens, ...]) -> bool:
    """True when every encoder gets the same windows (ids, weights, embedding slots) for every variant."""

    def layout(result: EncoderTokens) -> list:
        return [(v.text, v.report.chunks) for v in result.tokens.variants]

    return all(layout(r) == layout(results[0]) for r in results[1:])

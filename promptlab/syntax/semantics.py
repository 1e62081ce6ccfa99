"""What A1111 does with a prompt: AND parts x schedule steps x weighted fragments."""

from __future__ import annotations

from dataclasses import dataclass

from promptlab.syntax.a1111 import (
    extra_networks,
    get_learned_conditioning_prompt_schedules,
    get_multicond_prompt_list,
    parse_prompt_attention,
)


@dataclass(frozen=True, slots=True)
class ScheduleEntry:
    """Until (and including) ``end_step`` A1111 conditions on ``text`` = ``fragments``."""

    end_step: int
    text: str
    fragments: tuple[tuple[str, float], ...]


@dataclass(frozen=True, slots=True)
class WeightedPart:
    """One ``AND`` sub-prompt: its weight and its schedule."""

    text: str
    weight: float
    schedule: tuple[ScheduleEntry, ...]


def a1111_semantics(
    text: str, steps: int, *, hires_steps: int | None = None, use_old_scheduling: bool = False,
    parse_weights: bool = True,
) -> tuple[WeightedPart, ...]:
    """Run A1111's pipeline on ``text`` (extra networks out, AND, schedules, emphasis).

    With ``parse_weights=False`` fragments are left empty (schedules only); otherwise an
    invalid weight raises :class:`promptlab.errors.InvalidInputError` as in A1111.
    """
    stripped, _ = extra_networks(text)
    indexes, flat, _ = get_multicond_prompt_list([stripped])
    schedules = get_learned_conditioning_prompt_schedules(flat, steps, hires_steps, use_old_scheduling)
    parts = []
    for index, weight in indexes[0]:
        entries = []
        for end_step, step_text in schedules[index]:
            fragments = parse_prompt_attention(step_text) if parse_weights else []
            entries.append(ScheduleEntry(end_step, step_text, tuple((t, w) for t, w in fragments)))
        parts.append(WeightedPart(flat[index], weight, tuple(entries)))
    return tuple(parts)

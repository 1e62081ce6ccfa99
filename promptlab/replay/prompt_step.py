"""The plan's prompt step: the prompts (NovelAI syntax rewritten as A1111's) and NovelAI v4 characters."""

from __future__ import annotations

from typing import Any

from promptlab.replay.fields import claim
from promptlab.replay.plan import Character, Status


def prompts(b: Any, meta: Any) -> None:
    p = b.params
    claim(b, "prompt", "negative_prompt")
    if meta.generator == "novelai" and "original_prompt" not in meta.details:
        from promptlab.syntax import convert

        src = str(meta.details.get("nai_version", "nai3"))
        for key, name in (("Prompt", "prompt"), ("Negative prompt", "negative_prompt")):
            text = getattr(p, name)
            converted = convert(text, src=src, dst="a1111")
            b.changes[name] = converted.text
            status = Status.APPROXIMATED if converted.losses else Status.MAPPED
            note = "nai_syntax_lossy" if converted.losses else "nai_syntax"
            b.add(key, text, converted.text, status, note, losses="; ".join(converted.losses))
        return
    b.add("Prompt", p.prompt, p.prompt, Status.EXACT)
    if p.negative_prompt:
        b.add("Negative prompt", p.negative_prompt, p.negative_prompt, Status.EXACT)


def characters(b: Any, meta: Any) -> tuple[Character, ...]:
    """NovelAI v4 characters: kept as separate fields, merged into the prompt with BREAK (no AND)."""
    chars = meta.details.get("character_prompts") or []
    negatives = meta.details.get("character_negative_prompts") or []
    out: list[Character] = []
    for i, ch in enumerate(chars):
        center = ch.get("center") if isinstance(ch, dict) else None
        xy = (float(center["x"]), float(center["y"])) if isinstance(center, dict) and "x" in center else None
        text = str(ch.get("prompt", "")) if isinstance(ch, dict) else str(ch)
        negative = str(negatives[i]) if i < len(negatives) else ""
        out.append(Character(text.strip().rstrip(","), negative.strip().rstrip(","), xy))
    if not out:
        return ()
    if meta.generator == "novelai" and "original_prompt" not in meta.details:   # the same syntax as the prompt
        from promptlab.syntax import convert

        src = str(meta.details.get("nai_version", "nai3"))
        out = [Character(convert(c.prompt, src=src, dst="a1111").text, convert(c.negative, src=src, dst="a1111").text,
                         c.center) for c in out]
    use_coords = bool(meta.details.get("use_coords"))
    prompt = b.changes.get("prompt", b.params.prompt)
    negative = b.changes.get("negative_prompt", b.params.negative_prompt)
    for i, ch in enumerate(out, 1):
        position = f"x={ch.center[0]:g}, y={ch.center[1]:g}" if ch.center and use_coords else "-"
        b.add(f"Character {i}", ch.prompt, ch.prompt, Status.APPROXIMATED, "character", position=position)
        if ch.negative:
            b.add(f"Character {i} negative", ch.negative, ch.negative, Status.APPROXIMATED, "character_negative")
    prompt = "\nBREAK\n".join([prompt.strip().rstrip(",")] + [c.prompt for c in out if c.prompt])
    extra_neg = [c.negative for c in out if c.negative]
    if extra_neg:
        negative = "\nBREAK\n".join([negative.strip().rstrip(",")] + extra_neg)
    b.changes.update(prompt=prompt, negative_prompt=negative)
    return tuple(out)



"""Random prompts that nest every construct of A1111's prompt language, for differential tests.

``random_prompt(rng)`` builds a prompt from emphasis ``()``/``[]``, weights (``1e1``, ``-1``,
`` 10 ``, garbage), prompt edits ``[a:b:0.5]``/``[a::3]``/``[a:5]`` with fractions and integers,
alternations with empty options ``[a||b]``, ``AND``, ``BREAK``, ``<lora:..>``, escapes, stray
``:`` ``|`` ``\\`` and brackets, newlines and CJK text, nested at random. Then it damages a few
of them (drops or duplicates a character) so that unbalanced and half-valid forms are common.

Used by tests/syntax/test_fuzz.py (a few thousand prompts in CI) and by
benchmarks/fuzz_schedules.py (hundreds of thousands, against the lark reference).
"""

from __future__ import annotations

import random

WORDS = ["a", "b", "c", "dog", "cat", "night", "red", "best quality", "1girl", "笑顔", "猫耳", "夜", "x",
         "masterpiece", "blue eyes", "e", "10", "0.5", "AND", "BREAK", "ANDROID", "nightb"]
SEPARATORS = [" ", ", ", ",", "\n", "  ", "", " \n ", "\t"]
NOISE = ["\\(", "\\)", "\\[", "\\]", "\\\\", "\\", ":", "|", "(", ")", "[", "]", "::", "\\\n", " AND ", " BREAK ",
         "<lora:detail:0.6>", "<hypernet:h:1>", "（", "）", "【", "】", "：", "，", "\\a"]
WEIGHTS = ["1.2", "0.5", "1e1", "-1", " 10 ", "1.", ".5", "+1.5", "x", "", "1.2.3", "２", " 1.1", "0"]
STEPS = ["0.5", "0.7", "3", "15", "1e1", "-1", " 10 ", ".3", "1", "x", "1.5", "2", "0", "1e0", " 5", "5 ", "7.",
         "-0.5", "+3"]


def _piece(rng: random.Random, depth: int) -> str:
    roll = rng.random()
    if depth <= 0 or roll < 0.35:
        if rng.random() < 0.15:
            return rng.choice(NOISE)
        return rng.choice(WORDS)
    inner = lambda: _sequence(rng, depth - 1)  # noqa: E731 - a fresh random inner prompt per call
    kind = rng.randrange(9)
    if kind == 0:
        return f"({inner()})"
    if kind == 1:
        return f"[{inner()}]"
    if kind == 2:
        return f"({inner()}:{rng.choice(WEIGHTS)})"
    if kind == 3:
        return f"[{inner()}:{inner()}:{rng.choice(STEPS)}]"
    if kind == 4:
        return f"[{inner()}::{rng.choice(STEPS)}]"
    if kind == 5:
        return f"[{inner()}:{rng.choice(STEPS)}]"
    if kind == 6:
        options = [inner() if rng.random() < 0.75 else "" for _ in range(rng.randint(2, 4))]
        return "[" + "|".join(options) + "]"
    if kind == 7:
        return f"{inner()} {rng.choice(['AND', 'BREAK'])} {inner()}"
    return f"{inner()}:{rng.choice(WEIGHTS)}"


def _sequence(rng: random.Random, depth: int) -> str:
    out = []
    for _ in range(rng.randint(1, 3)):
        out.append(_piece(rng, depth))
        out.append(rng.choice(SEPARATORS))
    return "".join(out[:-1] if rng.random() < 0.5 else out)


def _damage(rng: random.Random, text: str) -> str:
    for _ in range(rng.choice([0, 0, 0, 1, 1, 2])):
        if not text:
            break
        i = rng.randrange(len(text))
        action = rng.randrange(3)
        if action == 0:
            text = text[:i] + text[i + 1:]
        elif action == 1:
            text = text[:i] + text[i] + text[i:]
        else:
            text = text[:i] + rng.choice("[]():|\\") + text[i:]
    return text


def random_prompt(rng: random.Random, max_depth: int = 4, max_len: int = 300) -> str:
    """One random prompt of at most ``max_len`` characters (median ~45).

    Longer draws are redrawn: Earley's cost grows faster than the length, and the
    divergences found so far all show up in prompts of a few dozen characters.
    """
    while True:
        text = _damage(rng, _sequence(rng, rng.randint(1, max_depth)))
        if len(text) <= max_len:
            return text


def random_args(rng: random.Random) -> tuple:
    """(base_steps, hires_steps, use_old_scheduling) as A1111 may call the schedule function."""
    steps = rng.choice([1, 2, 4, 10, 20, 30])
    roll = rng.random()
    if roll < 0.6:
        return steps, None, False
    hires = rng.choice([1, 5, 10, 15])
    return steps, hires, roll < 0.8

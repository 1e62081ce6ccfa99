"""Differential fuzzing against A1111's own implementations (lark grammar, regexes).

Every divergence the fuzzer (tests/syntax/fuzz.py, benchmarks/fuzz_schedules.py) ever found is
kept below as a named regression case; the random runs here are small enough for CI.
"""

from __future__ import annotations

import random

import pytest

from promptlab.errors import InvalidInputError
from promptlab.syntax import parse
from promptlab.syntax._lark_fallback import MAX_FALLBACK_WORK
from promptlab.syntax._schedule_parser import analyze, analyze_fast
from promptlab.syntax.a1111 import (
    get_learned_conditioning_prompt_schedules,
    get_multicond_prompt_list,
    parse_prompt_attention,
)
from promptlab.syntax.reference import multicond_reference, parse_prompt_attention_reference, schedules_reference

from .fuzz import random_args, random_prompt

CRASH = "crash"


def schedules_or_crash(fn, prompt, args):
    try:
        return fn([prompt], *args)[0]
    except (InvalidInputError, OverflowError):  # A1111 crashes; promptlab says why
        return CRASH


def attention_or_crash(fn, prompt):
    try:
        return fn(prompt)
    except ValueError:  # InvalidInputError is a ValueError too
        return CRASH


# Found by the fuzzer or reported in issue #14; each failed before the lark fallback.
REGRESSIONS = [
    ("issue14_stray_paren_keeps_nested_edit_literal", "(:: [[,\n:15]])笑顔b", (10, None, False),
     [[10, "(:: [[,\n:15]])笑顔b"]]),
    ("issue14_emphasis_after_failed_edit_stays_literal",
     "[night:0.7] [[dog, <lora:detail:0.6>:[\\(escaped\\)(night:-1)[nightb::0.7]::0.7] c "
     "([dog dog best quality:redbest quality:1.5]):1.5]:c cat:x]", (30, None, False), None),
    ("fuzz_edit_inside_emphasis_between_colons", "[a  猫耳:(笑顔 \n BREAK\t[ANDROID :1]):x", (4, 5, False),
     [[5, "[a  猫耳:(笑顔 \n BREAK\t[ANDROID :1]):x"]]),
    ("fuzz_long_nested_weights",
     "((,([e, \\\\]]\tmasterpiece) \n :２),(best quality  [blue eyes\n]\nnight: 1.1:1.2.3)\n[[cat,][a, dog a|]:"
     "[1girl:10, （ \n BREAK:1e0]BREAK AND dog\t: , [cat:x] \n :7.] [[笑顔\tBREAK:1.5]]:\\-1,[(\\) ANDROID:1.  AND) "
     "[，  [red 1girl\ne:猫耳 夜:15], [\\)  1girl,e\n::0.5]\n::-1] (1girl) 猫耳\tbest quality BREAK x,dog\tbest "
     "quality,:1.2\n:5 ],", (30, None, False), None),
    ("fuzz_emphasis_then_colon_weight_text",
     "笑顔[(red  :0)::0.7] (ANDROID  [red\nnightb::1]):1e1 AND 0.5 [笑顔\tdog\t:1]  笑顔 \nnightb,",
     (1, 5, False), None),
    ("fuzz_alternation_in_failed_edit",
     "[[|[[|ANDROID,|]::7.] \n ] (b AND best quality\n1girl:+1.5 \n ([ANDROID \n ::5 ][0.5,|x\t1girl],"
     "[0.5  |masterpiece  1girl]:1.), :1.)([[猫耳\tb e :nightb 【  c,:1]]\n [dog:２\te AND nightb\tred, \n （  "
     ":-0.5]):1.2.3\t([dog  ANDROID \n 0.5\t::1.5]night\n笑顔) x red:.5\t BREAK [night night:1] (a, :+1.5),[] \n "
     "\\):-0.5],\n) AND (red\t0.5:x\n(1girl  0.5夜,)) \n :.5", (4, None, False), None),
    ("earley_tiebreak_even_run", "[b:1]((", (4, None, False), [[4, "[b:1](("]]),
    ("earley_tiebreak_odd_run", "[b:1](((", (4, None, False), [[1, "((("], [4, "b((("]]),
]


@pytest.mark.parametrize(("prompt", "args", "expected"), [r[1:] for r in REGRESSIONS], ids=[r[0] for r in REGRESSIONS])
def test_schedule_regressions(prompt, args, expected):
    want = schedules_reference([prompt], *args)[0]
    assert get_learned_conditioning_prompt_schedules([prompt], *args)[0] == want
    if expected is not None:
        assert want == expected


def test_issue14_second_example_keeps_inner_edit_literal():
    prompt = REGRESSIONS[1][1]
    for _, text in get_learned_conditioning_prompt_schedules([prompt], 30)[0]:
        assert "([dog dog best quality:redbest quality:1.5])" in text


@pytest.mark.slow  # ~5-10 s each on a quiet 2-core machine: the lark reference costs a few ms per prompt
@pytest.mark.parametrize("seed", [0, 1, 2], ids=["seed0", "seed1", "seed2"])
def test_schedules_match_a1111_on_random_prompts(seed):
    rng = random.Random(seed)
    for _ in range(400):
        prompt, args = random_prompt(rng, max_len=120), random_args(rng)
        assert schedules_or_crash(get_learned_conditioning_prompt_schedules, prompt, args) == \
            schedules_or_crash(schedules_reference, prompt, args), (prompt, args)


def test_attention_and_multicond_match_a1111_on_random_prompts():
    rng = random.Random(7)
    for _ in range(4000):
        prompt = random_prompt(rng)
        assert attention_or_crash(parse_prompt_attention, prompt) == \
            attention_or_crash(parse_prompt_attention_reference, prompt), prompt
        assert get_multicond_prompt_list([prompt]) == multicond_reference([prompt]), prompt


CERTAIN = [
    ("plain", "masterpiece, best quality, 1girl"),
    ("edit_and_alternation", "a [b:c:0.5] [x|y] (d:1.2)"),
    ("lora_colons", "a [b:c:0.5], <lora:detail:0.6>, d"),
    ("colon_tag_far_from_edit", "(danganronpa: trigger happy havoc:1.1), [cat:dog:0.5], x"),
    ("failure_stray_bar", "a | [b:1]"),
    ("no_edit_anywhere", "((a]:b("),
]
UNCERTAIN = [
    ("even_run_after_edit", "[b:1](("),
    ("colon_beside_edit", "x:[b:1] c"),
    ("paren_beside_edit", "([b:1] c"),
]


@pytest.mark.parametrize("prompt", [c[1] for c in CERTAIN], ids=[c[0] for c in CERTAIN])
def test_fast_parser_vouches_for_unambiguous_prompts(prompt):
    assert analyze_fast(prompt)[3]


@pytest.mark.parametrize("prompt", [c[1] for c in UNCERTAIN], ids=[c[0] for c in UNCERTAIN])
def test_ambiguous_prompts_go_to_lark(prompt):
    assert not analyze_fast(prompt)[3]
    tree, info, failed_at = analyze(prompt)
    assert failed_at is None and tree is not None


def test_fallback_size_bound_is_a_clear_error():
    prompt = "(" + "[a:1] x " * 80  # 641 characters, 241 brackets/colons
    assert len(prompt) * 242 > MAX_FALLBACK_WORK
    with pytest.raises(InvalidInputError, match="Escape literal brackets"):
        get_learned_conditioning_prompt_schedules([prompt], 10)
    # parse() never raises: it keeps the fast reading and says it is unverified
    codes = {w.code for w in parse(prompt).warnings}
    assert "schedule_unverified" in codes

"""promptlab.syntax.a1111 against A1111's documented behaviour (its doctests) and against
the lark grammar A1111 uses (differential tests)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from promptlab.errors import InvalidInputError
from promptlab.syntax.a1111 import (
    extra_networks,
    get_learned_conditioning_prompt_schedules,
    get_multicond_prompt_list,
    parse_prompt_attention,
)

ATTENTION = [
    ("normal text", [["normal text", 1.0]]),
    ("an (important) word", [["an ", 1.0], ["important", 1.1], [" word", 1.0]]),
    ("(unbalanced", [["unbalanced", 1.1]]),
    ("\\(literal\\]", [["(literal]", 1.0]]),
    ("(unnecessary)(parens)", [["unnecessaryparens", 1.1]]),
    ("a (((house:1.3)) [on] a (hill:0.5), sun, (((sky))).",
     [["a ", 1.0], ["house", 1.5730000000000004], [" ", 1.1], ["on", 1.0], [" a ", 1.1], ["hill", 0.55],
      [", sun, ", 1.1], ["sky", 1.4641000000000006], [".", 1.1]]),
    ("", [["", 1.0]]),
    ("a BREAK b", [["a", 1.0], ["BREAK", -1], ["b", 1.0]]),
    ("a BREAK BREAK b", [["a", 1.0], ["BREAK", -1], ["", 1.0], ["BREAK", -1], ["b", 1.0]]),
    ("(BREAK)", [["", 1.1], ["BREAK", -1.1], ["", 1.1]]),
    ("aBREAK b", [["aBREAK b", 1.0]]),
    ("( a : 1.5 )", [[" a ", 1.5]]),
    ("[a]", [["a", 0.9090909090909091]]),
    ("a:1.5)", [["a:1.5)", 1.0]]),
    ("\\a", [["a", 1.0]]),
    ("(a:１.５)", [["a", 1.5]]),
    ("(a:b)", [["a:b", 1.1]]),
]


@pytest.mark.parametrize(("text", "expected"), ATTENTION, ids=[repr(t) for t, _ in ATTENTION])
def test_parse_prompt_attention_documented(text, expected):
    got = parse_prompt_attention(text)
    assert got == expected
    assert [type(w) for _, w in got] == [type(w) for _, w in expected]  # BREAK keeps int -1


def test_invalid_weight_is_a_clear_error():
    with pytest.raises(InvalidInputError, match="1.2.3"):
        parse_prompt_attention("(a:1.2.3)")


def g(prompt, steps=10, hires=None, old=False):
    return get_learned_conditioning_prompt_schedules([prompt], steps, hires, old)[0]


SCHEDULES = [
    ("test", 10, None, [[10, "test"]]),
    ("a [b:3]", 10, None, [[3, "a "], [10, "a b"]]),
    ("a [b: 3]", 10, None, [[3, "a "], [10, "a b"]]),
    ("a [[[b]]:2]", 10, None, [[2, "a "], [10, "a [[b]]"]]),
    ("[(a:2):3]", 10, None, [[3, ""], [10, "(a:2)"]]),
    ("a [b : c : 1] d", 10, None, [[1, "a b  d"], [10, "a  c  d"]]),
    ("a[b:[c:d:2]:1]e", 10, None, [[1, "abe"], [2, "ace"], [10, "ade"]]),
    ("a [unbalanced", 10, None, [[10, "a [unbalanced"]]),
    ("a [b:.5] c", 10, None, [[5, "a  c"], [10, "a b c"]]),
    # A1111's doctest claims [[5,'a  c'],[10,'a {b|d{ c']] ("not handling this right now");
    # its code (lark) really returns the prompt unchanged, and so do we.
    ("a [{b|d{:.5] c", 10, None, [[10, "a [{b|d{:.5] c"]]),
    ("((a][:b:c [d:3]", 10, None, [[3, "((a][:b:c "], [10, "((a][:b:c d"]]),
    ("[fe|]male", 4, None, [[1, "female"], [2, "male"], [3, "female"], [4, "male"]]),
    ("[fe|||]male", 5, None, [[1, "female"], [2, "male"], [3, "male"], [4, "male"], [5, "female"]]),
    ("a [b:.5] c", 10, 10, [[10, "a b c"]]),
    ("a [b:1.5] c", 10, 10, [[5, "a  c"], [10, "a b c"]]),
    ("a [b:15] c", 10, 10, [[5, "a  c"], [10, "a b c"]]),
    ("a [b:c:-1]", 4, None, [[4, "a c"]]),
    ("a [b:c:1e0]", 4, None, [[1, "a b"], [4, "a c"]]),
    ("[a:1] c|d", 4, None, [[4, "[a:1] c|d"]]),          # a stray | disables every edit
    ("[a:1] c\\", 4, None, [[4, "[a:1] c\\"]]),           # so does a trailing backslash
    ("[b:1]((", 4, None, [[4, "[b:1](("]]),              # Earley's tie-break (see _schedule_parser)
    ("[b:1](((", 4, None, [[1, "((("], [4, "b((("]]),
    ("[b:1] ((", 4, None, [[1, " (("], [4, "b (("]]),
    ("[b:1][]((x", 4, None, [[4, "[b:1][]((x"]]),        # empty constructs are transparent to that rule
    ("[b:1][]", 4, None, [[1, "[]"], [4, "b[]"]]),
    ("[b:1])[])", 4, None, [[4, "[b:1])[])"]]),
    ("[x|y]((", 2, None, [[1, "x(("], [2, "y(("]]),        # an alternation is always kept
]


@pytest.mark.parametrize(("prompt", "steps", "hires", "expected"), SCHEDULES,
                         ids=[f"{p!r}-{s}-{h}" for p, s, h, _ in SCHEDULES])
def test_schedules_documented(prompt, steps, hires, expected):
    assert g(prompt, steps, hires) == expected


def test_alternation_cycles_every_step():
    assert g("[a|(b:1.1)]") == [[i, "a" if i % 2 else "(b:1.1)"] for i in range(1, 11)]


def test_old_scheduling_ignores_hires():
    assert g("a [b:15] c", 10, 10, old=True) == [[10, "a  c"]]
    assert g("a [b:.5] c", 10, 10, old=True) == [[5, "a  c"], [10, "a b c"]]


def test_infinite_step_is_a_clear_error():
    with pytest.raises(InvalidInputError):
        g("a [b:1e999]")


def test_deep_nesting_does_not_recurse():
    text = "[" * 50_000 + "a:1" + "]" * 50_000
    assert g(text, 4)[0][0] == 1


MULTICOND = [
    ("a AND b", [[(0, 1.0), (1, 1.0)]], ["a", " b"]),
    ("a :1.5 AND b:0.5", [[(0, 1.5), (1, 0.5)]], ["a", " b"]),
    ("ANDROID", [[(0, 1.0)]], ["ANDROID"]),
    ("a:1.2.3", [[(0, 1.0)]], ["a:1.2.3"]),
    ("x AND  x", [[(0, 1.0), (1, 1.0)]], ["x", "  x"]),
]


@pytest.mark.parametrize(("prompt", "indexes", "flat"), MULTICOND, ids=[m[0] for m in MULTICOND])
def test_multicond(prompt, indexes, flat):
    res, flat_list, lookup = get_multicond_prompt_list([prompt])
    assert res == indexes and flat_list == flat and lookup == {t: i for i, t in enumerate(flat)}


def test_extra_networks_removed_like_a1111():
    text, nets = extra_networks("a <lora:foo:0.8> b <hypernet:h:1:te=2> <lyco:x>")
    assert text == "a  b  "
    assert [(n.kind, n.name, n.args) for n in nets] == [("lora", "foo", ("0.8",)), ("hypernet", "h", ("1", "te=2")),
                                                         ("lyco", "x", ())]
    assert nets[1].named == {"te": "2"} and nets[0].items == ("foo", "0.8")


reference = pytest.importorskip("promptlab.syntax.reference")
PIECES = ["a", "b", " ", "[", "]", "(", ")", ":", "|", "\\", "1", ".5", "2", "-1", "e", "\n", "[a:b:1]", "[x|y]"]


@settings(max_examples=120, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=12).map("".join))
def test_schedules_match_lark_grammar(prompt):
    pytest.importorskip("lark")
    for args in ((4,), (4, 6), (4, 6, True)):
        assert get_learned_conditioning_prompt_schedules([prompt], *args) == \
            reference.schedules_reference([prompt], *args)

import pytest

from promptlab.errors import InvalidInputError
from promptlab.params import GenerationParams
from promptlab.wildcards import parse_prompts_file, prompt_matrix


@pytest.mark.parametrize(
    "prompt, kwargs, expected",
    [
        ("a cat|hat|red", {}, ["a cat", "a cat, hat", "a cat, red", "a cat, hat, red"]),
        ("a cat|hat|red", {"put_at_start": True}, ["a cat", "hat, a cat", "red, a cat", "hat, red, a cat"]),
        ("a cat|hat", {"delimiter": " "}, ["a cat", "a cat hat"]),
        ("a cat| , hat,", {}, ["a cat", "a cat,  hat"]),
        ("no matrix", {}, ["no matrix"]),
    ],
    ids=["default", "at-start", "space-delimiter", "strip-commas-like-a1111", "single"],
)
def test_prompt_matrix(prompt, kwargs, expected):
    assert prompt_matrix(prompt, **kwargs) == expected


def test_prompt_matrix_limit():
    assert len(prompt_matrix("|".join("abcdefghijklmnop"))) == 2**15
    with pytest.raises(InvalidInputError, match="limit"):
        prompt_matrix("|".join("abcdefghijklmnopq"))


def test_prompts_file_lines_and_overrides():
    text = (
        "a photo of a cat\n"
        "\n"
        '--prompt "a dog" --negative_prompt lowres, bad hands --steps 30 --cfg_scale 5.5 --seed 7\n'
        "--prompt unquoted words work --sampler_name \"DPM++ 2M\" --width 768 --height 512 --n_iter 2\n"
        "--prompt x --outpath_samples out/dir --restore_faces true\n"
    )
    base = GenerationParams(steps=20, negative_prompt="base negative")
    parsed = parse_prompts_file(text, base)
    assert parsed.errors == ()
    first, second, third, fourth = parsed.lines
    assert (first.line_number, first.params.prompt, first.params.negative_prompt) == (1, "a photo of a cat", "base negative")
    assert (second.params.prompt, second.params.negative_prompt) == ("a dog", "lowres, bad hands")
    assert (second.params.steps, second.params.cfg_scale, second.params.seed) == (30, 5.5, 7)
    assert third.params.prompt == "unquoted words work"
    assert (third.params.sampler, third.params.width, third.params.height, third.params.batch_count) == ("DPM++ 2M", 768, 512, 2)
    assert fourth.options == {"outpath_samples": "out/dir", "restore_faces": True}


@pytest.mark.parametrize(
    "line, message",
    [
        ("--bogus 1", "unknown option --bogus"),
        ("--steps", "needs a value"),
        ("--steps many", "whole number"),
        ("--cfg_scale high", "number"),
        ('--prompt "unclosed', "quotes"),
        ("--prompt a stray --steps 3 word", "expected an option"),
    ],
    ids=["unknown", "missing-value", "bad-int", "bad-float", "bad-quotes", "stray-word"],
)
def test_prompts_file_bad_lines_are_reported_and_skipped(line, message):
    parsed = parse_prompts_file(f"good prompt\n{line}\nanother good one\n")
    assert [l.params.prompt for l in parsed.lines] == ["good prompt", "another good one"]
    assert len(parsed.errors) == 1 and parsed.errors[0].line_number == 2
    assert message in parsed.errors[0].message

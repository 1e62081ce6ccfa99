"""Variants and wildcards, checked against dynamicprompts' documented syntax."""

import re
import time

import pytest

from promptlab.wildcards import (
    BraceMode,
    WildcardError,
    count_combinations,
    detect_brace_mode,
    expand,
)


def prompts(expansions):
    return [e.prompt for e in expansions]


@pytest.mark.parametrize(
    "template, expected",
    [
        ("a {cat|dog}", ["a cat", "a dog"]),
        ("{red|blue} {cat|dog}", ["red cat", "red dog", "blue cat", "blue dog"]),
        # dynamicprompts documents combinatorial multi-select as ordered picks
        ("{2$$a|b|c}", ["a,b", "a,c", "b,a", "b,c", "c,a", "c,b"]),
        ("{2$$ and $$a|b}", ["a and b", "b and a"]),
        ("{2$$a|{x|y}|c}", ["a,x", "a,y", "a,c", "x,a", "y,a", "x,c", "y,c", "c,a", "c,x", "c,y"]),
        ("{a|{b|c}}", ["a", "b", "c"]),
        ("plain text", ["plain text"]),
    ],
    ids=["simple", "product", "pick-two", "custom-separator", "pick-two-nested", "nested", "no-variants"],
)
def test_combinatorial_lists_every_combination(template, expected):
    assert sorted(prompts(expand(template, combinatorial=True))) == sorted(expected)
    assert count_combinations(template) == len(expected)


def test_range_bounds_pick_between_one_and_three():
    results = prompts(expand("{1-3$$ and $$a|b|c}", count=50, seed=1))
    for text in results:
        parts = text.split(" and ")
        assert 1 <= len(parts) <= 3 and len(set(parts)) == len(parts)
        assert set(parts) <= {"a", "b", "c"}
    assert count_combinations("{1-3$$a|b|c}") == 3 + 6 + 6


def test_weighted_variant_prefers_heavier_option():
    results = prompts(expand("{0.1::rare|10::common}", count=200, seed=7))
    assert results.count("common") > 150 and "rare" in results or results.count("common") > 190


def test_random_mode_is_reproducible_by_seed():
    first = expand("{a|b|c|d|e} {1|2|3|4}", count=10, seed=123)
    again = expand("{a|b|c|d|e} {1|2|3|4}", count=10, seed=123)
    other = expand("{a|b|c|d|e} {1|2|3|4}", count=10, seed=999)
    assert prompts(first) == prompts(again)
    assert prompts(first) != prompts(other)
    assert [e.seed for e in first] == list(range(123, 133))


def test_prompt_i_depends_only_on_its_own_seed():
    # Image 5 of a batch started at seed 100 is the same prompt as image 0 of a batch started at 105.
    batch = expand("{a|b|c|d|e|f|g} {x|y|z}", count=8, seed=100)
    single = expand("{a|b|c|d|e|f|g} {x|y|z}", count=1, seed=105)
    assert batch[5].prompt == single[0].prompt


def test_random_seed_when_minus_one():
    result = expand("{a|b}", count=3, seed=-1)
    assert result[1].seed == (result[0].seed + 1) % 2**32


def test_negative_prompt_variants_random_and_combinatorial():
    rnd = expand("{cat|dog}", negative="{lowres|blurry}", count=20, seed=5)
    assert {e.negative_prompt for e in rnd} <= {"lowres", "blurry"}
    combo = expand("{cat|dog}", negative="{lowres|blurry}", combinatorial=True)
    assert [(e.prompt, e.negative_prompt) for e in combo] == [
        ("cat", "lowres"), ("cat", "blurry"), ("dog", "lowres"), ("dog", "blurry")
    ]


def test_variables_immediate_and_lazy():
    immediate = prompts(expand("${c=!{red|blue}} ${c} and ${c}", count=20, seed=3))
    for text in immediate:
        words = text.split()
        assert words[0] == words[2]


@pytest.mark.parametrize(
    "template, allowed",
    [
        ("__color__", {"red", "blue", "green"}),
        ("__people/hair__", {"long hair", "short hair"}),
        ("__nested__", {f"{c} {h}" for c in ("red", "blue", "green") for h in ("long hair", "short hair")}),
        ("__animals/cats__", {"tabby", "siamese"}),
        ("__styles__", {"oil painting", "watercolor"}),
    ],
    ids=["txt", "subfolder", "nested", "yaml", "json"],
)
def test_wildcard_files(wildcard_dir, template, allowed):
    combo = prompts(expand(template, combinatorial=True, wildcards=wildcard_dir))
    assert set(combo) == allowed
    assert count_combinations(template, wildcards=__import__("promptlab.wildcards", fromlist=["x"]).WildcardSource.from_paths(wildcard_dir)) == len(allowed)
    assert set(prompts(expand(template, count=10, seed=1, wildcards=wildcard_dir))) <= allowed


def test_comment_lines_are_not_values(wildcard_dir):
    assert "# a comment" not in prompts(expand("__color__", combinatorial=True, wildcards=wildcard_dir))


def test_a1111_install_folder_is_accepted(tmp_path):
    ext = tmp_path / "webui" / "extensions" / "sd-dynamic-prompts" / "wildcards"
    ext.mkdir(parents=True)
    (ext / "season.txt").write_text("spring\nwinter\n", encoding="utf-8")
    assert sorted(prompts(expand("__season__", combinatorial=True, wildcards=tmp_path / "webui"))) == ["spring", "winter"]


@pytest.mark.parametrize(
    "template, message",
    [
        ("a __nope__", r"__nope__ not found"),
        ("__loop__", r"loop: __loop__ -> __loop__"),
        ("__loop_a__", r"loop: __loop_a__ -> __loop_b__ -> __loop_a__"),
        ("{a|b", r"syntax error"),
    ],
    ids=["missing-file", "self-loop", "two-file-loop", "unclosed-brace"],
)
def test_bad_templates_give_clear_errors_quickly(wildcard_dir, template, message):
    started = time.perf_counter()
    with pytest.raises(WildcardError, match=message):
        expand(template, wildcards=wildcard_dir)
    assert time.perf_counter() - started < 5  # a loop must not spin until the stack overflows slowly


def test_missing_wildcard_folder_is_an_error(tmp_path):
    with pytest.raises(WildcardError, match="does not exist"):
        expand("__x__", wildcards=tmp_path / "absent")


def test_combinatorial_explosion_refused_immediately():
    template = " ".join("{" + "|".join(str(i) for i in range(10)) + "}" for _ in range(9))  # 10^9
    assert count_combinations(template) == 10**9
    with pytest.raises(WildcardError, match=r"1,000,000,000 combinations"):
        expand(template, combinatorial=True)
    # Random mode over the same template is fine and bounded.
    assert len(expand(template, count=5, seed=1)) == 5


def test_raising_the_limit_accepts_more():
    template = "{a|b|c|d|e|f|g|h|i|j} {0|1|2|3|4|5|6|7|8|9} {x|y|z}"
    with pytest.raises(WildcardError):
        expand(template, combinatorial=True, max_count=100)
    assert len(expand(template, combinatorial=True, max_count=300)) == 300


@pytest.mark.parametrize("count", [0, -3, 10**7], ids=["zero", "negative", "huge"])
def test_bad_counts(count):
    with pytest.raises(WildcardError, match="count must be"):
        expand("{a|b}", count=count)


# --- NovelAI's {} emphasis ---------------------------------------------------------------------

@pytest.mark.parametrize(
    "text, mode, ambiguous",
    [
        ("{{masterpiece}}, 1girl", BraceMode.NOVELAI, False),
        ("{cat|dog}", BraceMode.VARIANTS, False),
        ("{2$$a|b|c}", BraceMode.VARIANTS, False),
        ("{{a|b}}", BraceMode.VARIANTS, False),
        ("no braces", BraceMode.VARIANTS, False),
        ("{{best quality}}, {cat|dog}", BraceMode.VARIANTS, True),
        (r"\{literal\}", BraceMode.VARIANTS, False),
        ("${c=!{red|blue}} ${c}", BraceMode.VARIANTS, False),
    ],
    ids=["nai", "variant", "bounds", "nested-variant", "none", "both", "escaped", "variables"],
)
def test_brace_detection(text, mode, ambiguous):
    detection = detect_brace_mode(text)
    assert (detection.mode, detection.ambiguous) == (mode, ambiguous)
    assert detection.reason


def test_nai_emphasis_is_never_silently_eaten():
    # Auto mode keeps NovelAI braces verbatim (dynamicprompts alone would turn {{x}} into x).
    assert prompts(expand("{{masterpiece}}, 1girl", count=2, seed=1)) == ["{{masterpiece}}, 1girl"] * 2


def test_mixed_prompt_requires_a_mode():
    with pytest.raises(WildcardError, match="choose a mode"):
        expand("{{masterpiece}}, {cat|dog}")
    as_variants = prompts(expand("{{masterpiece}}, {cat|dog}", mode="variants", combinatorial=True))
    assert as_variants == ["masterpiece, cat", "masterpiece, dog"]
    as_nai = prompts(expand("{{masterpiece}}, {cat|dog}", mode="novelai", combinatorial=True))
    assert as_nai == ["{{masterpiece}}, {cat|dog}"]


def test_novelai_mode_keeps_wildcards(wildcard_dir):
    out = prompts(expand("{{masterpiece}}, __color__ hair", mode="novelai", combinatorial=True, wildcards=wildcard_dir))
    assert sorted(out) == sorted(f"{{{{masterpiece}}}}, {c} hair" for c in ("red", "blue", "green"))
    assert all(re.match(r"^\{\{masterpiece\}\}", p) for p in out)


def test_same_prompts_as_dynamicprompts_generators(wildcard_dir):
    """Differential: the parse cache changes speed, never output (same seeds -> same prompts)."""
    from dynamicprompts.generators import CombinatorialPromptGenerator, RandomPromptGenerator
    from dynamicprompts.wildcards import WildcardManager

    template = "{a|b|c} __nested__, {2$$x|y|z}, {0.3::p|q}"
    manager = WildcardManager(wildcard_dir)
    seeds = list(range(50, 80))
    ours = prompts(expand(template, count=len(seeds), seed=50, wildcards=wildcard_dir))
    assert ours == RandomPromptGenerator(manager).generate(template, len(seeds), seeds=seeds)
    combo = prompts(expand("{a|b} __color__", combinatorial=True, wildcards=wildcard_dir))
    assert combo == CombinatorialPromptGenerator(manager).generate("{a|b} __color__", max_prompts=100)


def test_edited_wildcard_file_is_seen_by_the_next_call(wildcard_dir):
    assert set(prompts(expand("__color__", combinatorial=True, wildcards=wildcard_dir))) == {"red", "blue", "green"}
    (wildcard_dir / "color.txt").write_text("violet\n", encoding="utf-8")
    assert prompts(expand("__color__", combinatorial=True, wildcards=wildcard_dir)) == ["violet"]


def test_default_folder_is_models_wildcards(tmp_path, monkeypatch):
    """No folder given: every caller (CLI, pages, grid axes) reads models/wildcards when it exists."""
    from promptlab.grid import parse_axis

    (tmp_path / "wildcards").mkdir()
    (tmp_path / "wildcards" / "season.txt").write_text("spring\nwinter\n", encoding="utf-8")
    monkeypatch.setenv("PROMPTLAB_MODELS", str(tmp_path))
    assert prompts(expand("__season__", combinatorial=True)) == ["spring", "winter"]
    assert count_combinations("__season__ {a|b}") == 4
    axis = parse_axis({"type": "wildcard", "wildcard": "season"})
    assert [v.label for v in axis.values] == ["spring", "winter"]
    monkeypatch.setenv("PROMPTLAB_MODELS", str(tmp_path / "elsewhere"))   # no folder: no wildcards, clear error
    with pytest.raises(WildcardError, match="__season__ not found"):
        expand("__season__")

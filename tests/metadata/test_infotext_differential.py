"""Issue #17: the fast infotext parser (``params.parse_infotext``) gives exactly what the plain
reference (``params_reference.parse_infotext_reference``, the parser as it stood before) gives —
the same fields with the same types, the same ``extra``, ``infotext_order`` and warnings — on every
text in the shared and local fixture images, on the benchmark's texts, on hand-picked odd cases
and on fuzzed infotexts. Any divergence found is kept below as a named regression case."""

from __future__ import annotations

import dataclasses
import importlib.util
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from promptlab import params as P
from promptlab.metadata import read
from promptlab.params import GenerationParams, parse_infotext
from promptlab.params_reference import parse_infotext_reference, scan_parameter_line_reference

HERE = Path(__file__).parent
REPO = HERE.parents[1]
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp"}


def _exact(params: GenerationParams) -> list[tuple[str, type, object]]:
    """Every attribute in ``__init__``'s order with its type (``==`` alone takes 1 for 1.0 and
    True, and ignores ``infotext_order``)."""
    return [(name, type(value), value) for name, value in vars(params).items()]


def assert_same_parse(text: str) -> None:
    fast, fast_warnings = parse_infotext(text)
    ref, ref_warnings = parse_infotext_reference(text)
    assert _exact(fast) == _exact(ref), text
    assert fast_warnings == ref_warnings, text
    assert fast == ref and fast.infotext_order == ref.infotext_order


def _image_texts(folder: Path) -> list[tuple[str, str]]:
    texts = []
    for path in sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES):
        meta = read(path, stealth="always")
        for key, text in meta.raw.items():
            texts.append((f"{path.relative_to(folder)}:{key}", text))
    return texts


def test_every_text_in_the_shared_fixture_images(shared_dir):
    texts = _image_texts(shared_dir / "fixtures/metadata")
    assert len(texts) > 40
    for _label, text in texts:
        assert_same_parse(text)


def test_every_text_in_the_local_fixture_images():
    texts = _image_texts(HERE / "fixtures")
    assert texts
    for _label, text in texts:
        assert_same_parse(text)


def test_shared_text_cases(shared_dir):
    import json

    data = json.loads((shared_dir / "fixtures/metadata/infotext_text_cases.json").read_text(encoding="utf-8"))
    cases = [case for source in data["sources"] for case in source["cases"]]
    assert cases
    for case in cases:
        assert_same_parse(case["input"] if "input" in case else case["input_parameter_line"])


def _bench_module():
    spec = importlib.util.spec_from_file_location("bench_metadata", REPO / "benchmarks/bench_metadata.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_benchmark_texts_take_the_fast_steps():
    bench = _bench_module()
    for i in (0, 1, 7, 99, 1199):
        text = bench._params(i).to_infotext()
        assert_same_parse(text)
        last = text.split("\n")[-1]
        pos = 0
        while pos < len(last):  # every item in one match, none by the general step
            pos = P._PAIR_RE.match(last, pos).end()
        m = P._A1111_PARAM.match(last)
        assert m and P._A1111_PARAM.match(last, m.end())  # three anchored matches, not the counter


ODD_CASES = [
    ("steps_inside_prompt", "a photo, Steps: 20, of a cat\nSteps: 20, Sampler: Euler a, Seed: 1"),
    ("steps_inside_prompt_only", "Steps: 20, Sampler: Euler a, Seed: 1, no negative\nmore text"),
    ("no_negative_prompt", "1girl\nSteps: 28, Sampler: DPM++ 2M, CFG scale: 7, Seed: 5, Size: 512x768"),
    ("multiline_prompt", "line one,\n  line two  \n\n\tline three\nNegative prompt: n1\nn2\nSteps: 1, Seed: 2, Size: 8x8"),
    ("random_key_order", "p\nSize: 64x32, Version: v1, Seed: 9, Steps: 3, CFG scale: 4.5, Model: m"),
    ("quoted_commas_colons", 'p\nSteps: 1, Seed: 2, Lora hashes: "a: 1, b: 2", TI hashes: "x: 3", Hires prompt: "c, d: e"'),
    ("quoted_escapes", 'p\nSteps: 1, Seed: 2, Hires prompt: "say \\"hi\\", \\u00e9\\n", Size: 8x8'),
    ("quoted_bad_json", 'p\nSteps: 1, Seed: 2, Hires prompt: "tab\there", Size: 8x8'),
    ("quoted_then_text", 'p\nSteps: 1, Seed: 2, Model: "m" tail, Size: 8x8'),
    ("quoted_space_before_comma", 'p\nSteps: 1, Model: "m, n"  , Seed: 2, Size: 8x8'),
    ("empty_quotes", 'p\nSteps: 1, Model: "", Seed: 2, Size: 8x8'),
    ("json_hashes", 'p\nSteps: 1, Seed: 2, Hashes: {"model": "abc", "vae": "d, e"}, Size: 8x8'),
    ("json_list", 'p\nSteps: 1, Seed: 2, Civitai resources: [{"type": "lora", "w": 1}], Size: 8x8'),
    ("broken_json", "p\nSteps: 1, Seed: 2, Hashes: {broken, Size: 8x8"),
    ("bare_items", "p\nSteps: 1, Tiling, Seed: 2, flag, Size: 8x8"),
    ("empty_values", "p\nSteps: 1, Model: , Seed: 2, VAE:, Size: 8x8"),
    ("odd_whitespace", "p\n  Steps:20 ,Sampler:\tEuler a,  Seed :  2,Size: 8x8 ,\t"),
    ("unicode_keys_values", "猫\nSteps: 1, 采样器: 欧拉, Seed: 2, Model: モデル\u00a0, Size: 8x8"),
    ("nbsp_and_ideographic_space", "p\nSteps:\u00a020, Sampler:\u3000Euler, Seed: 2, Size: 8x8"),
    ("invalid_typed_values", "p\nSteps: many, Seed: 1.5, CFG scale: nan, Size: big, Tiling: maybe, Clip skip: 2"),
    ("int_forms", "p\nSteps: +20, Seed: -1, ENSD: 3_1337, Clip skip:  2 , Size: 08x016"),
    ("float_forms", "p\nSteps: 1, CFG scale: 1e1, Denoising strength: .5, Eta: inf, Seed: 1"),
    ("duplicate_keys", "p\nSteps: 1, Steps: 2, Seed: 3, ADetailer model: a, ADetailer model: b"),
    ("one_char_key", "p\nSteps: 1, a: b, Seed: 2, Size: 8x8"),
    ("colon_in_key_run", "p\nSteps: 1, a:b: c, Seed: 2, Size: 8x8"),
    ("trailing_comma", "p\nSteps: 1, Seed: 2, Size: 8x8,"),
    ("trailing_comma_space", "p\nSteps: 1, Seed: 2, Size: 8x8, "),
    ("double_comma", "p\nSteps: 1,, Seed: 2, Size: 8x8"),
    ("leading_space_line", "p\n   Steps: 1, Seed: 2, Size: 8x8"),
    ("crlf_lines", "p\r\nNegative prompt: n\r\nSteps: 1, Seed: 2, Size: 8x8\r\n"),
    ("cr_inside_line", "p\nSteps: 1, Model: a\rb, Seed: 2, Size: 8x8"),
    ("negative_prompt_last", "p\nNegative prompt: a: 1, b: 2, c: 3"),
    ("two_pairs_only", "p\nSteps: 1, Seed: 2"),
    ("three_pairs_late", "p\nzzz, Steps: 1, Seed: 2, Size: 8x8"),
    ("single_line", "Steps: 1, Seed: 2, Size: 8x8"),
    ("empty", ""),
    # a tried bulk split of plain items (dropped: slower than one match per item) took "no ', ' before
    # the first quote" as a one-character segment, losing the first character of JSON texts
    ("json_text_as_infotext", '{"a": 1, "b": 2, "c": 3}'),
    ("json_value_first", 'Workflow: {"id": 1, "n": [2]}, x: 2, yy: 3, zz: 4'),
    ("plain_then_quoted_then_plain", 'p\nSteps: 1, Seed: 2, Lora hashes: "a: 1, b: 2", Version: v1, ADetailer model: f.pt'),
    ("comma_inside_value", "p\nSteps: 1, Seed: 2, Model: a,b, Size: 8x8, Clip skip: 2"),
    ("two_spaces_after_comma", "p\nSteps: 1, Seed: 2,  Model: a, Size: 8x8"),
    ("unknown_key_with_dot", "p\nSteps: 1, Seed: 2, k.ey: v, Size: 8x8"),
    ("quote_inside_plain_value", 'p\nSteps: 1, Seed: 2, Model: a"b, Size: 8x8, x,,,,y"z, Clip skip: 2'),
    ("only_whitespace", " \n\t\n "),
    ("lora_hashes_real", 'x\nSteps: 28, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 6.5, Seed: 1, '
     'Size: 832x1216, Lora hashes: "add_detail: 7c6bad76eb54, more_details: 3b8aa1d351ef", Version: v1.10.1'),
]


@pytest.mark.parametrize("text", [c[1] for c in ODD_CASES], ids=[c[0] for c in ODD_CASES])
def test_odd_cases(text):
    assert_same_parse(text)


def test_parsed_params_are_built_without_init():
    assert P._BUILD.direct  # the fast construction is in use (tests/test_frozen.py proves it equal)
    p = parse_infotext("p\nSteps: 3, Seed: 4, Size: 8x16")[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.steps = 4  # still frozen
    assert hash(p) == hash(GenerationParams(prompt="p", steps=3, seed=4, width=8, height=16))


# --- fuzzing -------------------------------------------------------------------------------------

_KEYS = st.sampled_from([key for key, _, _ in P._INFOTEXT_KEYS] + [
    "ADetailer model", "ADetailer confidence", "Module 1", "x-y/z", "采样器", "a", "Lora hashes", "TI hashes"])
_VALUE = st.one_of(
    st.sampled_from(["20", "-1", "7.5", "nan", "1e400", "512x768", "08x016", "True", "False", "DPM++ 2M", "Euler a",
                     "", " ", "many", "a: b", "v1.10.1", "モデル", "\u00a0x", "x\u3000", '"q, w"', '"a: 1, b: 2"',
                     '"esc \\" q"', '"\\u00e9"', '"bad\tjson"', '""', '"unclosed', '{"model": "abc", "vae": "d"}',
                     "[1, 2]", "{broken", '"x" tail', "1.5 ", "f: g: h", "a,b", "\r"]),
    st.text(alphabet=st.sampled_from(list('ab :,"{}[]\\ \t-/1xé\u00a0')), max_size=10),
)
_SEP_KV = st.sampled_from([": ", ":", ":  ", " : ", ":\t", ":\u00a0"])
_ITEM = st.one_of(st.tuples(_KEYS, _SEP_KV, _VALUE).map("".join), st.sampled_from(["flag", "", " ", "Tiling", "a"]))
_SEP = st.sampled_from([", ", ",", " ,  ", ",\t", ", ", ", "])
_MESSY_LINE = st.tuples(st.lists(_ITEM, max_size=12), _SEP, st.sampled_from(["", ",", ", ", " ", "\r"])).map(
    lambda t: t[1].join(t[0]) + t[2])
# As front ends write them (most fuzzed lines should take the one-pass split, not only the loop).
_QUOTED = st.lists(st.sampled_from(list('ab :,1é猫\t') + ['\\"', "\\u00e9", "\\n", ", ", ": "]), min_size=1,
                   max_size=8).map(lambda v: '"' + "".join(v) + '"')
_WRITTEN_VALUE = st.one_of(_VALUE.filter(lambda v: "," not in v and not v.startswith(('"', "{", "["))), _QUOTED)
_WRITTEN_LINE = st.lists(st.tuples(_KEYS, st.just(": "), _WRITTEN_VALUE).map("".join), min_size=3, max_size=14).map(
    ", ".join)
_PARAM_LINE = st.one_of(_WRITTEN_LINE, _MESSY_LINE)
_PROMPT_PIECE = st.sampled_from(["masterpiece", "1girl", "(smile:1.2)", "<lora:x:0.6>", "Steps: 20", "a: b", ", ", ",",
                                 " ", "\t", "\u3000", "猫", "テスト", '"q"', "Negative prompt:", "\r", "{x|y}", "[a:b:3]"])
_PROMPT_LINES = st.lists(st.lists(_PROMPT_PIECE, max_size=8).map("".join), max_size=4).map("\n".join)


@settings(max_examples=500, deadline=None)
@given(_PROMPT_LINES, st.one_of(st.just(None), _PROMPT_LINES), _PARAM_LINE)
def test_fuzzed_infotexts(prompt, negative, line):
    text = prompt + (f"\nNegative prompt: {negative}" if negative is not None else "") + "\n" + line
    assert_same_parse(text)


@settings(max_examples=500, deadline=None)
@given(_PARAM_LINE)
def test_fuzzed_parameter_lines(line):
    assert P._scan_parameter_line(line) == scan_parameter_line_reference(line)
    assert P._is_parameter_line(line) == (P._a1111_param_count(line) >= 3)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(list('ab :,"{}[]\\ \t\r-/x1é_') + ["Steps", "K-/k", ": ", ", "]), max_size=40)
       .map("".join))
def test_fuzzed_raw_lines(line):
    assert P._scan_parameter_line(line) == scan_parameter_line_reference(line)
    assert P._is_parameter_line(line) == (P._a1111_param_count(line) >= 3)


def test_split_is_linear_on_huge_lines():
    # neither the anchored check nor the item loop may backtrack quadratically
    line = "Steps: 1, Seed: 2, Size: 8x8, " + "x" * (4 * 2**20) + ", ab: c"
    assert P._is_parameter_line(line)
    assert P._scan_parameter_line(line)[-1] == ("ab", "c")
    assert not P._is_parameter_line("x" * (4 * 2**20) + ", ab: c")

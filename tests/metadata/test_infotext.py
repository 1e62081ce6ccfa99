"""GenerationParams.from_infotext / to_infotext: A1111's rules, round trips, JSON values."""

from __future__ import annotations

import json
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from promptlab.params import GenerationParams, parse_infotext, quote

FIELD_FOR_KEY = {
    "Steps": "steps", "Sampler": "sampler", "CFG scale": "cfg_scale", "Seed": "seed",
    "Model hash": "model_hash", "Model": "model", "Denoising strength": "denoising_strength",
    "Hires upscale": "hires_upscale", "Hires upscaler": "hires_upscaler", "TI hashes": "ti_hashes",
    "Version": "version", "VAE hash": "vae_hash", "VAE": "vae",
}


def _text_cases(shared_dir):
    data = json.loads((shared_dir / "fixtures/metadata/infotext_text_cases.json").read_text())
    return [case for source in data["sources"] for case in source["cases"]]


def test_shared_infotext_cases(shared_dir):
    for case in _text_cases(shared_dir):
        text = case["input"] if "input" in case else case["input_parameter_line"]
        params = GenerationParams.from_infotext(text)
        exp = case.get("expected", {})
        if "prompt" in exp:
            assert params.prompt == exp["prompt"], case["label"]
        if exp.get("negative_prompt") is not None:
            assert params.negative_prompt == exp["negative_prompt"], case["label"]
        flat = dict(exp.get("parameters", {}))
        flat.update({k: v for k, v in exp.items() if k not in ("prompt", "negative_prompt", "parameters")})
        flat.update(case.get("expected_fields", {}))
        extras = params.extra_dict()
        for key, value in flat.items():
            if key == "Size":
                size = value.split("x") if isinstance(value, str) else value
                assert (params.width, params.height) == tuple(int(v) for v in size)
            elif key in FIELD_FOR_KEY or key in FIELD_FOR_KEY.values() or key in ("width", "height"):
                got = getattr(params, FIELD_FOR_KEY.get(key, key))
                assert _same(got, value), (case["label"], key, got, value)
            else:
                assert extras[key] == value, (case["label"], key)
        # every key A1111 itself finds is found (typed or in extra)
        ref = case["a1111_reference_parse_without_defaults"]
        for key in ref:
            if key in ("Prompt", "Negative prompt") or key.endswith(("-1", "-2")):
                continue
            assert key in FIELD_FOR_KEY or key in extras, (case["label"], key)
        assert GenerationParams.from_infotext(params.to_infotext()) == params


def _same(got, value) -> bool:
    if isinstance(got, (int, float)) and not isinstance(value, (int, float)):
        return got == float(value)
    return got == value


A1111_TEXT = (
    "masterpiece, best quality, \n1girl, (smile:1.2), テスト\n"
    "Negative prompt: lowres, bad anatomy,\nworst quality\n"
    "Steps: 28, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 6.5, Seed: 4294967297, "
    "Size: 832x1216, Model hash: 45a21ea00a, Model: waiIllustriousSDXL_v160, "
    "Denoising strength: 0.35, Clip skip: 2, ENSD: 31337, Hires upscale: 1.5, Hires resize: 1248x1824, "
    "Hires steps: 10, Hires upscaler: R-ESRGAN 4x+ Anime6B, Hires prompt: \"a, b\", "
    "ADetailer model: face_yolov8n.pt, Lora hashes: \"add_detail: 7c6bad76eb54, x: 1\", "
    "TI hashes: \"easynegative: c74b4e810b03\", "
    'Hashes: {"vae": "c6a580b13a", "model": "45a21ea00a", "lora:add_detail": "7c6bad76eb"}, '
    "Version: v1.10.1"
)


def test_full_a1111_text_fields():
    p = GenerationParams.from_infotext(A1111_TEXT)
    assert p.prompt == "masterpiece, best quality,\n1girl, (smile:1.2), テスト"  # lines stripped, as A1111
    assert p.negative_prompt == "lowres, bad anatomy,\nworst quality"
    assert (p.steps, p.sampler, p.schedule_type, p.cfg_scale) == (28, "DPM++ 2M", "Karras", 6.5)
    assert p.seed == 4294967297
    assert (p.width, p.height, p.clip_skip, p.ensd) == (832, 1216, 2, 31337)
    assert (p.hires_upscale, p.hires_resize_x, p.hires_resize_y, p.hires_steps) == (1.5, 1248, 1824, 10)
    assert p.hires_prompt == "a, b"
    assert p.lora_hashes == "add_detail: 7c6bad76eb54, x: 1"
    assert json.loads(p.hashes) == {"vae": "c6a580b13a", "model": "45a21ea00a", "lora:add_detail": "7c6bad76eb"}
    assert p.extra == (("ADetailer model", "face_yolov8n.pt"),)
    assert p.version == "v1.10.1"


def test_written_text_is_byte_identical_after_parse():
    # identical except the trailing space of the first prompt line, which A1111's reader strips too
    expected = A1111_TEXT.replace("best quality, \n", "best quality,\n")
    assert GenerationParams.from_infotext(A1111_TEXT).to_infotext() == expected
    assert GenerationParams.from_infotext(expected).to_infotext() == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("a cat\nSteps: 20, Sampler: Euler, CFG scale: 7, Seed: 1, Size: 512x512", {"clip_skip": 1}),
        ("a cat\nSteps: 20, Sampler: Euler, Seed: 1, Clip skip: 2", {"clip_skip": 2}),
        ("artist:a, artist:b, artist:c", {"prompt": "", "extra": (("artist", "a"), ("artist", "b"), ("artist", "c"))}),
        ("a\nNegative prompt: x: 1, y: 2, z: 3", {"prompt": "a", "negative_prompt": "x: 1, y: 2, z: 3"}),
        ("Steps: 5, Sampler: Euler, Seed: 3", {"prompt": "", "steps": 5, "seed": 3}),
        ("", {"prompt": "", "negative_prompt": ""}),
        ("p\nSteps: 5, Sampler: Euler, Seed: 3, Tiling: True", {"tiling": True}),
        ("p\nSteps: 5, Sampler: Euler, Seed: 3, Variation seed: 9, Variation seed strength: 0.2",
         {"subseed": 9, "subseed_strength": 0.2}),
        ("p\r\nSteps: 5, Sampler: Euler, Seed: 3\r\n", {"prompt": "p", "steps": 5}),
        ('p\nSteps: 5, Sampler: "Euler, a", Seed: 3', {"sampler": "Euler, a"}),
        ('p\nSteps: 5, Sampler: Euler, Seed: 3, Empty: ""', {"extra": (("Empty", ""),)}),
        ("p\nSteps: 5, Sampler: Euler, Seed: 3, Bare flag", {"extra": (("Bare flag", "Bare flag"),)}),
        ('p\nSteps: 5, Sampler: Euler, Seed: 3, Civitai resources: [{"a": 1, "b": 2}], Next: y',
         {"extra": (("Civitai resources", '[{"a": 1, "b": 2}]'), ("Next", "y"))}),
        ('p\nSteps: 5, Sampler: Euler, Seed: 3, Bad: "unterminated, Next: y',
         {"extra": (("Bad", '"unterminated'), ("Next", "y"))}),
    ],
    ids=["clip-skip-missing-is-1", "clip-skip-2", "three-pairs-last-line-is-parameters-as-a1111", "negative-last-line",
         "params-only", "empty", "tiling", "variation-seed", "crlf", "quoted-comma", "empty-quoted",
         "bare-item", "json-array-not-cut", "unterminated-quote"],
)
def test_parse_rules(text, expected):
    p = GenerationParams.from_infotext(text)
    for name, value in expected.items():
        assert getattr(p, name) == value, name
    assert GenerationParams.from_infotext(p.to_infotext()) == p


def test_bad_typed_value_kept_in_extra_with_warning():
    p, warnings = parse_infotext("p\nSteps: many, Sampler: Euler, Seed: 3, Size: big")
    assert p.steps == 20 and ("Steps", "many") in p.extra and ("Size", "big") in p.extra
    assert len(warnings) == 2 and "Steps" in warnings[0]
    assert GenerationParams.from_infotext(p.to_infotext()) == p
    assert "Steps: many" in p.to_infotext() and "Steps: 20" not in p.to_infotext()


@pytest.mark.parametrize(
    "value, written",
    [("plain", "plain"), ("a, b", '"a, b"'), ("k: v", '"k: v"'), ('"q"', '"\\"q\\""'),
     (" pad", '" pad"'), ('{"a": 1, "b": 2}', '{"a": 1, "b": 2}'), ("two\nlines", '"two\\nlines"')],
    ids=["plain", "comma", "colon", "quote", "leading-space", "json", "newline"],
)
def test_quote(value, written):
    assert quote(value) == written


_safe_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\u2028\u2029\x85")
    | st.sampled_from(list(",:\"'()[]{}<>\\\n ")),
    max_size=40,
)


def _prompt_ok(text: str) -> bool:
    # A1111 strips every line it reads and drops blank lines before the first text, so only prompts
    # without line padding or leading blank lines survive a round trip
    return not text.startswith("\n") and all(
        line == line.strip() and not line.startswith("Negative prompt:") for line in text.split("\n"))


_key = st.text(alphabet=string.ascii_letters + " -/", min_size=1, max_size=12).map(lambda s: "K" + s.strip() + "k")
_opt_float = st.none() | st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)


@settings(max_examples=150, deadline=None)
@given(
    prompt=_safe_text.filter(_prompt_ok), negative=_safe_text.filter(_prompt_ok),
    steps=st.integers(1, 150), sampler=_safe_text.filter(lambda s: s == s.strip()),
    cfg=st.floats(min_value=0, max_value=30, allow_nan=False), seed=st.integers(-1, 2**64),
    size=st.tuples(st.integers(8, 8192), st.integers(8, 8192)), clip_skip=st.integers(1, 12),
    model=st.none() | _safe_text, denoise=_opt_float, hires_prompt=st.none() | _safe_text,
    hires=st.none() | st.tuples(st.integers(8, 9000), st.integers(8, 9000)),
    extra=st.lists(st.tuples(_key, _safe_text), max_size=4), tiling=st.booleans(),
)
def test_round_trip_property(prompt, negative, steps, sampler, cfg, seed, size, clip_skip, model,
                             denoise, hires_prompt, hires, extra, tiling):
    known = {key for key, _, _ in __import__("promptlab.params", fromlist=["x"])._INFOTEXT_KEYS}
    extra = [(k, v) for k, v in extra if k not in known]
    p = GenerationParams(
        prompt=prompt, negative_prompt=negative, steps=steps, sampler=sampler, cfg_scale=cfg, seed=seed,
        width=size[0], height=size[1], clip_skip=clip_skip, model=model, denoising_strength=denoise,
        hires_prompt=hires_prompt, hires_resize_x=hires and hires[0], hires_resize_y=hires and hires[1],
        extra=tuple(extra), tiling=tiling,
    )
    assert GenerationParams.from_infotext(p.to_infotext()) == p


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(list('abc:,"{}[]\\ \n\r-/xX0123456789') + ["Steps", "Size", "Negative prompt:"]),
                max_size=60).map("".join))
def test_parser_never_raises_and_round_trips(text):
    params, warnings = parse_infotext(text)
    assert isinstance(warnings, tuple)
    again = GenerationParams.from_infotext(params.to_infotext())
    # texts built from odd keys may not survive (keys must look like A1111 keys); values always do
    if all(_KEYLIKE.fullmatch(k) for k, _ in params.extra):
        assert again == params


_KEYLIKE = __import__("re").compile(r"\w[\w \-/]*\w")


def test_hash_helpers():
    p = GenerationParams.from_infotext(A1111_TEXT)
    assert p.lora_hash_map() == {"add_detail": "7c6bad76eb54", "x": "1"}
    assert p.ti_hash_map() == {"easynegative": "c74b4e810b03"}
    assert p.hashes_map()["lora:add_detail"] == "7c6bad76eb"
    assert GenerationParams().hashes_map() == {} and GenerationParams(hashes="{broken").hashes_map() == {}


def test_field_names_leave_out_bookkeeping():
    names = GenerationParams.field_names()
    assert "infotext_order" not in names and names[:3] == ("prompt", "negative_prompt", "steps") and "extra" in names


# --- differential: A1111's parse_generation_parameters (modules/infotext_utils.py), re-implemented
# plainly from its documented behaviour: prompt/negative line handling and the key: value scan.
_A1111_PARAM = __import__("re").compile(r'\s*(\w[\w \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)')
_A1111_SIZE = __import__("re").compile(r"^(\d+)x(\d+)$")


def a1111_parse_generation_parameters(x: str) -> dict[str, str]:
    res: dict[str, str] = {}
    prompt = negative = ""
    done_with_prompt = False
    *lines, lastline = x.strip().split("\n")
    if len(_A1111_PARAM.findall(lastline)) < 3:
        lines.append(lastline)
        lastline = ""
    for line in lines:
        line = line.strip()
        if line.startswith("Negative prompt:"):
            done_with_prompt = True
            line = line[16:].strip()
        if done_with_prompt:
            negative += ("" if negative == "" else "\n") + line
        else:
            prompt += ("" if prompt == "" else "\n") + line
    for k, v in _A1111_PARAM.findall(lastline):
        try:
            if v[0] == '"' and v[-1] == '"':
                try:
                    v = json.loads(v)
                except ValueError:
                    pass
            m = _A1111_SIZE.match(v)
            if m is not None:
                res[f"{k}-1"], res[f"{k}-2"] = m.group(1), m.group(2)
            else:
                res[k] = v
        except IndexError:  # an empty value: A1111 prints an error and skips the key
            pass
    res["Prompt"] = prompt
    res["Negative prompt"] = negative
    return res


def _ours_as_a1111(text: str) -> dict[str, str]:
    """promptlab's reading in the shape of A1111's dict (raw values, WxH split, bare items left out)."""
    from promptlab.params import _A1111_PARAM as ours_param, _scan_parameter_line

    *_, last = text.strip().split("\n")
    res: dict[str, str] = {}
    params = GenerationParams.from_infotext(text)
    if len(ours_param.findall(last)) >= 3 and not last.lstrip().startswith("Negative prompt:"):
        for k, v in _scan_parameter_line(last.rstrip("\r")) or ():
            if k == v and ":" not in last.split(k, 1)[1][:1]:
                continue  # a bare item (A1111 skips it; promptlab keeps it in extra)
            if v == "":
                continue  # an empty value (A1111 skips it; promptlab keeps it)
            m = _A1111_SIZE.match(v)
            if m is not None:
                res[f"{k}-1"], res[f"{k}-2"] = m.group(1), m.group(2)
            else:
                res[k] = v
    res["Prompt"] = params.prompt
    res["Negative prompt"] = params.negative_prompt
    return res


INFOTEXT_DIFF = [
    ("issue14_blank_line_kept", "amazing quality, \n1girl\n\nNegative prompt: bad\nSteps: 20, Sampler: Euler, Seed: 1"),
    ("inner_trailing_space_stripped", "a, \n b \nSteps: 20, Sampler: Euler, Seed: 1"),
    ("multiline_negative", "p\nNegative prompt: a,\n  b\n\nc\nSteps: 20, Sampler: Euler, Seed: 1"),
    ("negative_on_next_line", "p\nNegative prompt:\nlowres\nSteps: 20, Sampler: Euler, Seed: 1"),
    ("second_negative_marker", "p\nNegative prompt: a\nNegative prompt: b\nSteps: 20, Sampler: Euler, Seed: 1"),
    ("leading_blank_lines", "\n\n  \np\nSteps: 20, Sampler: Euler, Seed: 1"),
    ("blank_first_prompt_line", " \t\nx\nSteps: 20, Sampler: Euler, Seed: 1"),
    ("two_pairs_is_prompt", "p\nSteps: 20, Sampler: Euler"),
    ("colon_tags_are_parameters", "a\nartist:a, artist:b, artist:c"),
    ("quoted_values", 'p\nSteps: 20, Sampler: "Euler, a", Lora hashes: "x: 1, y: 2", Seed: 1'),
    ("size_split", "p\nSteps: 20, Size: 512x768, Hires resize: 1024x1536, Seed: 1"),
    ("crlf", "p \r\nNegative prompt: n \r\nSteps: 20, Sampler: Euler, Seed: 1\r\n"),
    ("only_parameters", "Steps: 20, Sampler: Euler, Seed: 1"),
    ("cjk_prompt", "1girl，笑顔 \n\n夜\nSteps: 20, Sampler: Euler a, Seed: 1"),
]


@pytest.mark.parametrize("text", [c[1] for c in INFOTEXT_DIFF], ids=[c[0] for c in INFOTEXT_DIFF])
def test_reads_infotext_as_a1111(text):
    assert _ours_as_a1111(text) == a1111_parse_generation_parameters(text)


def test_issue14_blank_line_and_trailing_space():
    p = GenerationParams.from_infotext("amazing quality, \n1girl\n\nNegative prompt: bad\nSteps: 20, Seed: 1, Size: 8x8")
    assert p.prompt == "amazing quality,\n1girl\n" and p.negative_prompt == "bad"


def test_unquoted_json_hashes_stay_whole_unlike_a1111():
    text = 'p\nSteps: 20, Sampler: Euler, Hashes: {"model": "abc", "vae": "def"}, Seed: 1'
    assert GenerationParams.from_infotext(text).hashes_map() == {"model": "abc", "vae": "def"}
    assert a1111_parse_generation_parameters(text)["Hashes"] == '{"model": "abc"'  # A1111 cuts it


def test_negative_prompt_last_line_kept_unlike_a1111():
    text = "a\nNegative prompt: foo: 1, bar: 2, baz: 3"
    assert GenerationParams.from_infotext(text).negative_prompt == "foo: 1, bar: 2, baz: 3"
    assert a1111_parse_generation_parameters(text)["Negative prompt"] == ""  # A1111 loses it


_line_piece = st.sampled_from(["a", "1girl", " ", "  ", ",", ", ", "\t", "笑顔", "Negative prompt:", ":", "k: v",
                               "Steps: 20", '"q, r"', "x"])
_infotext = st.lists(st.lists(_line_piece, max_size=6).map("".join), min_size=1, max_size=6).map("\n".join)


@settings(max_examples=300, deadline=None)
@given(_infotext, st.sampled_from(["", "\nSteps: 20, Sampler: Euler, Seed: 1", "\nSteps: 20, Seed: 1"]))
def test_reads_random_infotext_as_a1111(body, params_line):
    text = body + params_line
    last = text.strip().split("\n")[-1]
    if last.lstrip().startswith("Negative prompt:"):
        return  # the documented difference above
    assert _ours_as_a1111(text) == a1111_parse_generation_parameters(text)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(list('ab :,"\\-/\t\rx1é、') + ["Steps", "K-/k"]), max_size=30).map("".join))
def test_parameter_line_count_matches_a1111_regex(line):
    from promptlab.params import _a1111_param_count

    assert _a1111_param_count(line) == min(3, len(_A1111_PARAM.findall(line)))


def test_parameter_line_count_is_linear_on_huge_lines():
    from promptlab.params import _a1111_param_count

    # the regex backtracks quadratically here (minutes for 8 MiB); the counter must not
    assert _a1111_param_count("x" * (8 * 2**20) + ", a: b") == 0

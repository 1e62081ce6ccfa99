"""GridSpec parsing: every axis type, aliases, bad input with the valid choices in the message."""

import pytest

from promptlab.errors import InvalidInputError
from promptlab.grid import AxisType, Choices, GridSpec, make_plan
from promptlab.params import GenerationParams

CHOICES = Choices(samplers=("Euler a", "Euler", "DPM++ 2M", "DDIM"), schedule_types=("Karras", "Exponential"))
BASE = {"prompt": "a cat, (sky:1.2), <lora:styleA:0.8>, red hair", "negative_prompt": "lowres", "seed": 42}


def spec_with(axis, **base):
    return GridSpec.from_dict({"base": {**BASE, **base}, "x": axis}, choices=CHOICES)


def cell_params(axis, **base):
    return [c.params for c in make_plan(spec_with(axis, **base)).cells]


@pytest.mark.parametrize(("axis", "field", "expected"), [
    ({"type": "checkpoint", "values": ["modelA.safetensors", "/p/modelB"]}, "model", ["modelA.safetensors", "/p/modelB"]),
    ({"type": "vae", "values": "Automatic, kl-f8.safetensors"}, "vae", [None, "kl-f8.safetensors"]),
    ({"type": "sampler", "values": "euler a, DDIM"}, "sampler", ["Euler a", "DDIM"]),
    ({"type": "sampler", "values": "dpm++ 2m karras"}, "sampler", ["DPM++ 2M Karras"]),
    ({"type": "schedule_type", "values": "Automatic, karras"}, "schedule_type", [None, "Karras"]),
    ({"type": "steps", "values": "10-30 (+10)"}, "steps", [10, 20, 30]),
    ({"type": "cfg", "values": "3-7 [3]"}, "cfg_scale", [3.0, 5.0, 7.0]),
    ({"type": "seed", "values": [1, 2]}, "seed", [1, 2]),
    ({"type": "clip_skip", "values": "1-2"}, "clip_skip", [1, 2]),
    ({"type": "emphasis", "values": "Original, no norm"}, "emphasis", ["Original", "No norm"]),
    ({"type": "denoising_strength", "values": "0.25-0.75 (+0.25)"}, "denoising_strength", [0.25, 0.5, 0.75]),
    ({"type": "CFG Scale", "values": "7"}, "cfg_scale", [7.0]),
    ({"type": "Prompt S/R", "values": "cat, dog"}, "prompt", ["a cat, (sky:1.2), <lora:styleA:0.8>, red hair",
                                                              "a dog, (sky:1.2), <lora:styleA:0.8>, red hair"]),
], ids=["checkpoint", "vae", "sampler-case", "sampler-old-karras-name", "schedule", "steps", "cfg-count", "seed", "clip-skip", "emphasis",
        "denoise", "a1111-name", "sr-alias"])
def test_field_axes(axis, field, expected):
    assert [getattr(p, field) for p in cell_params(axis)] == expected


def test_size_axis():
    got = [(p.width, p.height) for p in cell_params({"type": "size", "values": "512x768, 640*640, 1024"})]
    assert got == [(512, 768), (640, 640), (1024, 1024)]


def test_prompt_sr_replaces_in_negative_too():
    params = cell_params({"type": "prompt_sr", "values": ["lowres", "blurry"]})
    assert [p.negative_prompt for p in params] == ["lowres", "blurry"]


def test_prompt_order_makes_every_permutation():
    params = cell_params({"type": "prompt_order", "values": "a cat, red hair"})
    assert [p.prompt for p in params] == [
        "a cat, (sky:1.2), <lora:styleA:0.8>, red hair",
        "red hair, (sky:1.2), <lora:styleA:0.8>, a cat",
    ]


@pytest.mark.parametrize(("prompt", "lora", "expected"), [
    ("x <lora:a:0.8> <lora:b:1>", None, "x <lora:a:0.5> <lora:b:0.5>"),
    ("x <lora:a:0.8> <lora:b:1>", "b", "x <lora:a:0.8> <lora:b:0.5>"),
    ("x <lora:a>", None, "x <lora:a:0.5>"),
    ("x <lora:a:1:0.7>", None, "x <lora:a:0.5:0.5>"),
    ("x <lora:a:1:lbw=OUTD>", None, "x <lora:a:0.5:lbw=OUTD>"),
    ("x <hypernet:a:1>", None, None),
], ids=["all", "named", "no-weight", "te-unet", "keyword-kept", "hypernet-untouched"])
def test_lora_weight_axis(prompt, lora, expected):
    axis = {"type": "lora_weight", "values": [0.5], **({"lora": lora} if lora else {})}
    if expected is None:
        with pytest.raises(InvalidInputError, match="has no any <lora"):
            cell_params(axis, prompt=prompt)
    else:
        assert cell_params(axis, prompt=prompt)[0].prompt == expected


def test_lora_name_times_weight_combines():
    spec = GridSpec.from_dict({
        "base": {"prompt": "a cat, <lora:styleA:0.8>"},
        "x": {"type": "prompt_sr", "values": ["styleA", "styleB"]},
        "y": {"type": "lora_weight", "values": "0.5, 1", "lora": "styleA"},
    }, choices=CHOICES)
    prompts = [c.params.prompt for c in make_plan(spec).cells]
    assert prompts == ["a cat, <lora:styleA:0.5>", "a cat, <lora:styleB:0.5>",
                       "a cat, <lora:styleA:1>", "a cat, <lora:styleB:1>"]


def test_two_sr_axes_combine():
    spec = GridSpec.from_dict({
        "base": {"prompt": "a cat on a sofa"},
        "x": {"type": "prompt_sr", "values": "cat, dog"},
        "y": {"type": "prompt_sr", "values": "sofa, bed"},
    }, choices=CHOICES)
    assert [c.params.prompt for c in make_plan(spec).cells] == [
        "a cat on a sofa", "a dog on a sofa", "a cat on a bed", "a dog on a bed"]


def test_variant_axis_whole_prompt_and_replace():
    assert [p.prompt for p in cell_params({"type": "variant", "values": ["one", "two"]})] == ["one", "two"]
    got = cell_params({"type": "variant", "values": ["blue hair", "猫耳"], "replace": "red hair"})
    assert [p.prompt.split(", ")[-1] for p in got] == ["blue hair", "猫耳"]


def test_variant_template_and_wildcard_axis(tmp_path):
    (tmp_path / "colour.txt").write_text("red\ngreen\n# comment\nblue\n", encoding="utf-8")
    got = cell_params({"type": "variant", "template": "a {red|blue} cat"})
    assert [p.prompt for p in got] == ["a red cat", "a blue cat"]
    got = cell_params({"type": "wildcard", "wildcard": "colour", "wildcards_dir": str(tmp_path)},
                      prompt="__colour__ hair", negative_prompt="")
    assert sorted(p.prompt for p in got) == ["blue hair", "green hair", "red hair"]   # order: the wildcard engine's


@pytest.mark.parametrize(("axis", "message"), [
    ({"type": "bogus", "values": [1]}, "Unknown axis type 'bogus'. Valid axis types: checkpoint, vae, sampler"),
    ({"type": "sampler", "values": ["Euler b"]}, "Unknown sampler 'Euler b'. Valid samplers: Euler a, Euler, DPM"),
    ({"type": "schedule_type", "values": ["Fast"]}, "Valid schedule types: Karras, Exponential"),
    ({"type": "emphasis", "values": ["strong"]}, "Valid emphasis modes: Original, No norm, None, comfy"),
    ({"type": "steps", "values": "0-3"}, "out of range"),
    ({"type": "steps", "values": "many"}, "not a whole number"),
    ({"type": "size", "values": "500x500"}, "multiples of 8"),
    ({"type": "size", "values": "big"}, "WIDTHxHEIGHT"),
    ({"type": "denoising_strength", "values": "1.5"}, "between 0 and 1"),
    ({"type": "prompt_sr", "values": "zebra, horse"}, "'zebra' .* is not in the prompt"),
    ({"type": "prompt_order", "values": "a cat, zebra"}, "'zebra' is not in the prompt"),
    ({"type": "wildcard"}, "give the wildcard file's name"),
    ({"type": "sampler"}, "give at least one value"),
    ({"type": "sampler", "values": ["Euler"], "colour": 1}, "unknown key 'colour'"),
    ("sampler", "expected a mapping"),
], ids=["unknown-type", "sampler", "schedule", "emphasis", "steps-range", "steps-text", "size-8", "size-text",
        "denoise", "sr-missing", "order-missing", "wildcard-name", "no-values", "unknown-key", "not-mapping"])
def test_bad_axes(axis, message):
    with pytest.raises(InvalidInputError, match=message):
        make_plan(spec_with(axis))


@pytest.mark.parametrize(("data", "message"), [
    ({"base": {"steps": "x"}, "x": {"type": "steps", "values": [1]}}, "steps must be int"),
    ({"base": {"stepz": 3}, "x": {"type": "steps", "values": [1]}}, "unknown parameter 'stepz'"),
    ({"base": {}}, "at least one axis"),
    ({"base": {}, "x": {"type": "checkpoint", "values": ["a"]}, "y": {"type": "model", "values": ["b"]}}, "only one checkpoint"),
    ({"base": {"batch_size": 2}, "x": {"type": "seed", "values": [1]}}, "one image per cell"),
    ({"base": {}, "w": {}}, "unknown key 'w'"),
    ([], "is a mapping"),
], ids=["base-type", "base-key", "no-axis", "two-checkpoint-axes", "batch", "spec-key", "not-mapping"])
def test_bad_specs(data, message):
    with pytest.raises(InvalidInputError, match=message):
        GridSpec.from_dict(data, choices=CHOICES)


def test_yaml_round_trip_and_issue_example(tmp_path):
    text = """
base: {prompt: "a cat, (sky:1.2)", negative_prompt: lowres, steps: 20, cfg_scale: 7, seed: 42, width: 512, height: 512}
x: {type: sampler, values: ["Euler a", "DPM++ 2M", "DDIM"]}
y: {type: checkpoint, values: [modelA.safetensors, /path/to/modelB]}
z: {type: prompt_sr, values: ["cat", "dog", "fox"]}
"""
    path = tmp_path / "grid.yaml"
    path.write_text(text, encoding="utf-8")
    spec = GridSpec.load(path, choices=CHOICES)
    assert spec.shape == (3, 2, 3)
    assert spec.y.labels == ("modelA", "modelB")
    assert spec.base == GenerationParams(prompt="a cat, (sky:1.2)", negative_prompt="lowres", steps=20, cfg_scale=7.0, seed=42)
    again = GridSpec.from_dict(spec.to_dict(), choices=CHOICES)
    assert again == spec
    assert GridSpec.from_json(__import__("json").dumps(spec.to_dict()), choices=CHOICES) == spec


def test_invalid_yaml_is_a_clear_error():
    with pytest.raises(InvalidInputError, match="not valid YAML"):
        GridSpec.from_yaml("x: [unclosed\n")


def test_random_seed_fixed_once_for_the_whole_grid():
    import random

    spec = GridSpec.from_dict({"base": {"seed": -1}, "x": {"type": "seed", "values": [-1, 5]}}, choices=CHOICES)
    fixed = spec.with_fixed_seeds(random.Random(0))
    assert fixed.base.seed != -1
    assert fixed.x.values[0].value != -1 and fixed.x.values[1].value == 5
    assert fixed.x.type is AxisType.SEED

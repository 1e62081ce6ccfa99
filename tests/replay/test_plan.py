"""The replay plan: every setting accounted for, mapped or explained (real fixtures and hand-made params)."""

from __future__ import annotations

import pytest

from promptlab.backend.models import ModelRoots
from promptlab.metadata import read
from promptlab.metadata.model import ImageMetadata
from promptlab.params import GenerationParams
from promptlab.replay import Status, build_plan

FIX = "fixtures/metadata/sd-metadata"


def _meta(params: GenerationParams, generator: str = "sd-webui", **kw) -> ImageMetadata:
    return ImageMetadata("test.png", generator, params, format=kw.pop("format", "a1111-infotext"),
                         params_list=(params,), **kw)


def _from_text(text: str) -> ImageMetadata:
    return _meta(GenerationParams.from_infotext(text))


@pytest.fixture
def empty_models(tmp_path):
    return ModelRoots(tmp_path / "models")


def test_regression_comfyui_seed_above_2_32_kept_not_minus_one(shared_dir, empty_models):
    plan = build_plan(read(shared_dir / FIX / "png/comfyui.png"), roots=empty_models)
    assert plan.params.seed == 422847914351919
    assert plan.item("Seed").status is Status.EXACT and "2³²" in plan.item("Seed").explain()


def test_regression_comfyui_karras_is_not_automatic(shared_dir, empty_models):
    plan = build_plan(read(shared_dir / FIX / "png/comfyui.png"), roots=empty_models)
    assert (plan.params.sampler, plan.params.schedule_type) == ("Euler a", "Karras")
    assert plan.item("Sampler").status is Status.MAPPED and plan.item("Sampler").original == "euler_ancestral"


def test_comfyui_missing_model_named_in_plan(shared_dir, empty_models):
    plan = build_plan(read(shared_dir / FIX / "png/comfyui.png"), roots=empty_models)
    item = plan.item("Model")
    assert item.status is Status.NOT_REPRODUCIBLE and "waiIllustriousSDXL_v160" in item.explain()
    assert plan.params.model is None and not plan.exact


def test_comfyui_nodes_without_a1111_equivalent_listed(shared_dir, empty_models):
    plan = build_plan(read(shared_dir / FIX / "png/comfyui-anima.png"), roots=empty_models)
    nodes = {i.original for i in plan.items if i.key.startswith("ComfyUI node")}
    assert {"ModelSamplingAuraFlow", "CFGGuider", "SamplerCustomAdvanced"} <= nodes


def test_comfyui_post_upscale_nodes_listed(shared_dir, empty_models):
    plan = build_plan(read(shared_dir / FIX / "png/comfyui-upscale.png"), roots=empty_models)
    keys = {i.key for i in plan.by_status(Status.NOT_REPRODUCIBLE)}
    assert {"Postprocess upscaler", "Postprocess upscale by"} <= keys
    assert not any(i.original == "ImageUpscaleWithModel" for i in plan.items)   # listed once, as the upscale


def test_novelai_v4_characters_are_separate_fields(shared_dir, empty_models):
    meta = read(shared_dir / FIX / "png/novelai-full-3char.png")
    plan = build_plan(meta, roots=empty_models)
    assert [c.center for c in plan.characters] == [(0.5, 0.3), (0.7, 0.7), (0.3, 0.7)]
    assert [c.prompt for c in plan.characters][1] == "girl, kagamine rin, hand up"
    assert plan.params.prompt.count("\nBREAK\n") == 3 and " AND " not in plan.params.prompt
    char = plan.item("Character 2")
    assert char.status is Status.APPROXIMATED and "x=0.7, y=0.7" in char.explain()
    assert "位置" in char.explain("zh")
    assert plan.item("Model").note == "novelai_model" and plan.params.sampler == "Euler a"
    assert plan.to_json()["characters"][0]["center"] == {"x": 0.5, "y": 0.3}


def test_regression_novelai_sampler_gets_a1111_name(shared_dir):
    plan = build_plan(read(shared_dir / FIX / "png/novelai-full.png"), backend="a1111")
    text = plan.params.to_infotext()
    assert "Sampler: Euler a" in text and "k_euler" not in text


@pytest.mark.parametrize("backend", ["local", "a1111", "comfyui"])
def test_nothing_dropped_silently(backend, empty_models):
    text = ("a cat <lora:style:0.7>\nNegative prompt: lowres\nSteps: 12, Sampler: DPM++ 2M SDE, CFG scale: 6, "
            "Seed: 5, Size: 512x768, Model hash: 0123456789, Model: nothere, Variation seed: 9, "
            "Variation seed strength: 0.3, Denoising strength: 0.4, Clip skip: 2, ENSD: 31337, RNG: CPU, "
            "Tiling: True, Eta: 0.9, Token merging ratio: 0.3, Face restoration: CodeFormer, Hires upscale: 2, "
            "Hires steps: 5, Hires upscaler: Latent, Hires prompt: \"a dog\", Hires checkpoint: other, "
            "Refiner: xl_refiner, Refiner switch at: 0.8, Lora hashes: \"style: abcdefabcdef\", "
            "ADetailer model: face_yolov8n.pt, Version: v1.10.1")
    meta = _from_text(text)
    plan = build_plan(meta, backend=backend, roots=empty_models)
    keys = {i.key for i in plan.items}
    written = set(meta.params.infotext_order) - {"Lora hashes", "Model hash"}
    assert written <= keys | {"Size"}, written - keys
    assert "LoRA style" in keys and "ADetailer model" in keys
    assert plan.item("ADetailer model").status is Status.NOT_REPRODUCIBLE
    cannot = {i.key for i in plan.by_status(Status.NOT_REPRODUCIBLE)}
    if backend == "comfyui":
        assert {"Hires prompt", "ENSD", "Eta", "Tiling", "Variation seed"} <= cannot
    if backend == "local":
        assert {"Tiling", "Variation seed", "Refiner", "Hires checkpoint", "Face restoration"} <= cannot
        assert "<lora:style" not in plan.params.prompt   # missing here: left out of what runs, said in the plan
    assert all(i.explain() for i in plan.items if i.status is not Status.EXACT)


@pytest.mark.parametrize(
    ("resize", "size", "expected"),
    [("1024x0", (512, 768), (1024, 1536)), ("0x1024", (512, 768), (682, 1024)), ("1000x0", (768, 512), (1000, 666))],
    ids=["free-height", "free-width", "integer-division"],
)
def test_hires_resize_free_side(resize, size, expected, empty_models):
    text = f"x\nSteps: 4, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: {size[0]}x{size[1]}, Hires resize: {resize}"
    plan = build_plan(_from_text(text), roots=empty_models)
    assert (plan.params.hires_resize_x, plan.params.hires_resize_y) == expected
    item = plan.item("Hires resize")
    assert item.status is Status.MAPPED and item.value == f"{expected[0]}x{expected[1]}"
    assert plan.params.denoising_strength == 0.7 and plan.item("Denoising strength").note == "hires_denoise_default"


@pytest.mark.parametrize(
    ("sampler", "schedule", "version", "expected"),
    [("DPM++ 2M", None, "v1.10.1", "Karras"), ("DPM++ 2M SDE", "Automatic", None, "Exponential"),
     ("Euler a", None, None, "Uniform"), ("DPM++ 2M", None, "v1.7.0", "Uniform")],
    ids=["2m-karras", "sde-exponential", "euler-a-uniform", "old-webui"],
)
def test_automatic_resolved_before_any_backend(sampler, schedule, version, expected, empty_models):
    params = GenerationParams(prompt="x", sampler=sampler, schedule_type=schedule, version=version)
    for backend in ("local", "comfyui", "a1111"):
        plan = build_plan(_meta(params), backend=backend, roots=empty_models)
        assert plan.params.schedule_type == expected


def test_unknown_backend_is_a_clear_error():
    from promptlab.errors import InvalidInputError

    with pytest.raises(InvalidInputError, match="Unknown backend 'nope'"):
        build_plan(_meta(GenerationParams()), backend="nope")


def test_image_without_settings_is_a_clear_error():
    from promptlab.errors import InvalidInputError

    with pytest.raises(InvalidInputError, match="no generation parameters"):
        build_plan(ImageMetadata("plain.png"))


def test_hires_sampler_keys_are_a1111s(empty_models):
    text = ("x\nSteps: 4, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 64x64, Hires upscale: 2, "
            "Hires sampler: dpmpp_2m, Hires schedule type: karras")
    plan = build_plan(_from_text(text), roots=empty_models)
    assert plan.item("Hires sampler").value == "DPM++ 2M" and plan.item("Hires schedule type").value == "Karras"
    assert (plan.params.hires_sampler, plan.params.hires_schedule_type) == ("DPM++ 2M", "Karras")

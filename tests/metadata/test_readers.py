"""Hand-made edge cases per container and per reader."""

from __future__ import annotations

import copy
import json

import pytest

from _metadata_build import (COMFY_GRAPH, chunk, comfy_png, itxt, jpeg_with_app1, png, stealth_png, text, tiff,
                    webp_with_exif, ztxt)
from promptlab.metadata import read
from promptlab.metadata.exif import decode_user_comment

INFOTEXT = "a cat, テスト\nNegative prompt: dog\nSteps: 20, Sampler: Euler, CFG scale: 7, Seed: 1, Size: 512x768"


@pytest.mark.parametrize("raw, order", [
    (b"UNICODE\x00" + "héllo テスト".encode("utf-16-be"), ">"),
    (b"UNICODE\x00" + "héllo テスト".encode("utf-16-le"), ">"),   # byte order not following the TIFF's
    (b"UNICODE\x00" + "héllo テスト".encode("utf-16-le"), "<"),
    (b"UNICODE\x00" + "héllo テスト".encode("utf-16-be"), "<"),
    (b"ASCII\x00\x00\x00" + "héllo テスト".encode("utf-8"), ">"),
    (b"\x00" * 8 + "héllo テスト".encode("utf-8"), ">"),
    ("héllo テスト".encode("utf-8"), ">"),                           # no charset prefix at all
    ("héllo テスト".encode("utf-16-le"), "<"),                       # no prefix, UTF-16
    (b"JIS\x00\x00\x00\x00\x00" + "héllo テスト".encode("shift_jis", "replace").replace(b"?", b"e"), ">"),
], ids=["be-in-mm", "le-in-mm", "le-in-ii", "be-in-ii", "ascii-prefix", "undefined-prefix", "no-prefix-utf8",
        "no-prefix-utf16", "jis"])
def test_user_comment_decoding(raw, order):
    decoded = decode_user_comment(raw + b"\x00\x00", order)
    assert decoded.endswith("テスト") and decoded.startswith("h")


@pytest.mark.parametrize("build, location", [
    (lambda: png([text("parameters", "x")]), None),
    (lambda: png([], [ztxt("parameters", INFOTEXT.encode("utf-8").decode("latin-1"))]), None),
    (lambda: png([itxt("parameters", INFOTEXT)]), "png:iTXt[parameters]"),
    (lambda: png([], [itxt("parameters", INFOTEXT, compressed=True)]), "png:iTXt[parameters]"),
    (lambda: png([chunk(b"tEXt", b"parameters\x00" + INFOTEXT.encode("utf-8"))]), "png:tEXt[parameters]"),
    (lambda: jpeg_with_app1(b"Exif\x00\x00" + tiff([], [(0x9286, 7, b"UNICODE\x00" + INFOTEXT.encode("utf-16-be"))])),
     "exif:UserComment(ExifIFD)"),
    (lambda: jpeg_with_app1(b"Exif\x00\x00" + tiff([(0x9286, 7, INFOTEXT.encode("utf-8"))], order="<")),
     "exif:UserComment(IFD0)"),
    (lambda: webp_with_exif(tiff([], [(0x9286, 7, b"UNICODE\x00" + INFOTEXT.encode("utf-16-le"))], order="<")),
     "exif:UserComment(ExifIFD)"),
], ids=["no-param-line-in-parameters", "ztxt-after-idat-utf8", "itxt", "itxt-compressed-after-idat",
        "text-holding-utf8", "jpeg-exif-ifd", "jpeg-ifd0-no-prefix", "webp-le"])
def test_a1111_locations(build, location):
    meta = read(build())
    if location is None and meta.params.prompt == "x":
        assert meta.params.steps == 20 and meta.generator == "sd-webui"
        return
    assert meta.params.prompt == "a cat, テスト" and meta.params.height == 768
    if location:
        assert meta.locations == (location,)


def test_comment_segment_and_unclaimed_text_come_back_in_raw():
    meta = read(jpeg_with_app1(b"Exif\x00\x00" + tiff([(0x0131, 2, b"GIMP 2.10\x00")]), com=b"made by hand"))
    assert meta.generator is None
    assert meta.raw == {"exif:Software": "GIMP 2.10", "jpeg:COM": "made by hand"}
    assert set(meta.unclaimed) == {"exif:Software", "jpeg:COM"}


def test_unclaimed_png_chunks_beside_parameters():
    meta = read(png([itxt("parameters", INFOTEXT), text("date:create", "2024-01-01")]))
    assert meta.unclaimed == ("date:create",) and meta.to_json()["unclaimed"] == {"date:create": "2024-01-01"}


@pytest.mark.parametrize("compressed", [True, False], ids=["pngcomp", "pnginfo"])
def test_stealth_alpha_a1111(compressed):
    meta = read(stealth_png(INFOTEXT, compressed=compressed))
    assert meta.params.prompt == "a cat, テスト"
    assert meta.format == "a1111-infotext+stealth"
    assert meta.locations[0].startswith("alpha-LSB:stealth_png")


def test_stealth_novelai_json():
    comment = json.dumps({"prompt": "{{1girl}}, [blush]", "uc": "lowres", "steps": 28, "scale": 5.0,
                          "seed": 42, "sampler": "k_euler_ancestral", "width": 832, "height": 1216})
    payload = json.dumps({"Software": "NovelAI", "Source": "NovelAI Diffusion V3 7BCCAA2C", "Comment": comment,
                          "Description": "{{1girl}}, [blush]"})
    meta = read(stealth_png(payload))
    assert meta.generator == "novelai" and meta.params.prompt == "{{1girl}}, [blush]"
    assert (meta.params.width, meta.params.height, meta.params.seed) == (832, 1216, 42)
    assert meta.params.model == "NovelAI Diffusion V3" and meta.params.model_hash == "7BCCAA2C"


def test_stealth_rgb_only_when_asked():
    data = stealth_png(INFOTEXT, rgb=True)
    assert read(data).params is None
    assert read(data, stealth="always").params.prompt == "a cat, テスト"


def test_no_pixel_decode_when_text_metadata_exists(monkeypatch):
    import promptlab.metadata.stealth as stealth

    def boom(*args, **kwargs):
        raise AssertionError("pixels decoded although the image has metadata")

    monkeypatch.setattr(stealth, "read_stealth", boom)
    assert read(png([itxt("parameters", INFOTEXT)], colour=6)).params.prompt == "a cat, テスト"
    assert read(stealth_png(INFOTEXT), stealth="never").params is None


def test_comfyui_trace_with_lora_clip_skip_and_hires():
    meta = read(comfy_png(COMFY_GRAPH))
    p = meta.params
    assert meta.generator == "comfyui" and len(meta.params_list) == 1
    assert (p.prompt, p.negative_prompt, p.model) == ("1girl, solo", "lowres", "base.safetensors")
    assert (p.steps, p.cfg_scale, p.seed, p.sampler, p.schedule_type) == (28, 6.5, 123456789012, "dpmpp_2m", "karras")
    assert (p.width, p.height, p.clip_skip) == (832, 1216, 2)
    assert (p.hires_upscale, p.hires_steps, p.hires_upscaler, p.denoising_strength) == (
        1.5, 12, "Latent (nearest-exact)", 0.45)
    assert meta.details["loras"] == [{"name": "detail.safetensors", "strength_model": 0.7, "strength_clip": 0.6}]
    assert json.loads(p.extra_dict()["Loras"])[0]["name"] == "detail.safetensors"


def test_comfyui_two_samplers_two_param_sets():
    graph = copy.deepcopy(COMFY_GRAPH)
    graph["13"]["inputs"]["latent_image"] = ["5", 0]          # an independent second generation
    graph["13"]["inputs"]["positive"] = ["20", 0]
    graph["20"] = {"class_type": "CLIPTextEncode", "inputs": {"text": "1boy", "clip": ["11", 0]}}
    graph["14"] = {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}}
    graph["15"] = {"class_type": "SaveImage", "inputs": {"images": ["14", 0]}}
    meta = read(comfy_png(graph))
    assert len(meta.params_list) == 2
    assert {p.prompt for p in meta.params_list} == {"1girl, solo", "1boy"}
    assert all(p.hires_upscale is None for p in meta.params_list)


def test_comfyui_sampler_custom_advanced_with_links_to_primitives():
    graph = {
        "1": {"class_type": "UNETLoader", "inputs": {"unet_name": "flux1-dev.safetensors"}},
        "2": {"class_type": "CLIPTextEncode", "inputs": {"text": ["9", 0], "clip": ["8", 0]}},
        "8": {"class_type": "DualCLIPLoader", "inputs": {"clip_name1": "t5", "clip_name2": "l"}},
        "9": {"class_type": "PrimitiveString", "inputs": {"value": "a fox in snow"}},
        "3": {"class_type": "BasicGuider", "inputs": {"model": ["1", 0], "conditioning": ["2", 0]}},
        "4": {"class_type": "KSamplerSelect", "inputs": {"sampler_name": "euler"}},
        "5": {"class_type": "BasicScheduler", "inputs": {"scheduler": "simple", "steps": 20, "denoise": 1.0, "model": ["1", 0]}},
        "6": {"class_type": "RandomNoise", "inputs": {"noise_seed": ["10", 0]}},
        "10": {"class_type": "Seed (rgthree)", "inputs": {"seed": 777}},
        "7": {"class_type": "EmptySD3LatentImage", "inputs": {"width": 1024, "height": 768, "batch_size": 1}},
        "11": {"class_type": "SamplerCustomAdvanced", "inputs": {"noise": ["6", 0], "guider": ["3", 0], "sampler": ["4", 0],
                                                                 "sigmas": ["5", 0], "latent_image": ["7", 0]}},
        "12": {"class_type": "VAEDecode", "inputs": {"samples": ["11", 0], "vae": ["1", 0]}},
        "13": {"class_type": "SaveImage", "inputs": {"images": ["12", 0]}},
    }
    p = read(comfy_png(graph)).params
    assert (p.prompt, p.model, p.seed, p.steps, p.sampler, p.schedule_type) == (
        "a fox in snow", "flux1-dev.safetensors", 777, 20, "euler", "simple")
    assert (p.width, p.height) == (1024, 768)


def test_comfyui_workflow_only():
    workflow = {
        "nodes": [
            {"id": 4, "type": "CheckpointLoaderSimple", "widgets_values": ["m.safetensors"], "inputs": []},
            {"id": 5, "type": "EmptyLatentImage", "widgets_values": [640, 960, 1], "inputs": []},
            {"id": 6, "type": "CLIPTextEncode", "widgets_values": ["a red fox"], "inputs": [{"name": "clip", "link": 1}]},
            {"id": 7, "type": "CLIPTextEncode", "widgets_values": ["blurry"], "inputs": [{"name": "clip", "link": 2}]},
            {"id": 3, "type": "KSampler", "widgets_values": [99, "fixed", 25, 7.5, "euler", "normal", 1.0],
             "inputs": [{"name": "model", "link": 3}, {"name": "positive", "link": 4},
                        {"name": "negative", "link": 5}, {"name": "latent_image", "link": 6}]},
            {"id": 9, "type": "SaveImage", "widgets_values": ["x"], "inputs": [{"name": "images", "link": 7}]},
        ],
        "links": [[1, 4, 1, 6, 0, "CLIP"], [2, 4, 1, 7, 0, "CLIP"], [3, 4, 0, 3, 0, "MODEL"], [4, 6, 0, 3, 1, "CONDITIONING"],
                  [5, 7, 0, 3, 2, "CONDITIONING"], [6, 5, 0, 3, 3, "LATENT"], [7, 3, 0, 9, 0, "LATENT"]],
    }
    meta = read(png([text("workflow", json.dumps(workflow))]))
    p = meta.params
    assert (p.prompt, p.negative_prompt, p.model, p.seed, p.steps, p.width) == (
        "a red fox", "blurry", "m.safetensors", 99, 25, 640)
    assert any("only the ComfyUI UI workflow" in w for w in meta.warnings)


def test_comfyui_parameters_text_loses_to_the_graph():
    wrong = "unknown\nSteps: 20, Sampler: euler_simple, CFG scale: 8, Seed: 0, Size: 512x512, Version: ComfyUI"
    meta = read(png([text("parameters", wrong), text("prompt", json.dumps(COMFY_GRAPH))]))
    assert meta.params.seed == 123456789012 and "parameters" in meta.unclaimed


def test_invokeai_dream_line():
    dream = '"a castle [fog, blurry]" -s 30 -S 42 -W 640 -H 512 -C 7.5 -A k_euler_a'
    p = read(png([text("Dream", dream)])).params
    assert (p.prompt, p.negative_prompt, p.steps, p.seed, p.width, p.cfg_scale, p.sampler) == (
        "a castle", "fog, blurry", 30, 42, 640, 7.5, "k_euler_a")


def test_easydiffusion_chunks():
    chunks = [text(k, v) for k, v in {"prompt": "a lake", "negative_prompt": "people", "seed": "7",
                                      "use_stable_diffusion_model": "sd-v1-5", "num_inference_steps": "25",
                                      "guidance_scale": "7.5", "width": "512", "height": "640",
                                      "sampler_name": "euler_a", "clip_skip": "True"}.items()]
    meta = read(png(chunks))
    p = meta.params
    assert meta.generator == "easydiffusion"
    assert (p.prompt, p.model, p.steps, p.height, p.clip_skip, p.seed) == ("a lake", "sd-v1-5", 25, 640, 2, 7)


def test_drawthings_xmp():
    data = json.dumps({"c": "a boat", "uc": "rain", "seed": 3, "steps": 30, "scale": 4.5, "sampler": "DPM++ 2M Karras",
                       "model": "sd_xl_base_1.0_f16.ckpt", "size": "1024x1024"})
    xmp = ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description xmp:CreatorTool="Draw Things">'
           '<exif:UserComment><rdf:Alt><rdf:li xml:lang="x-default">' + data.replace('"', "&quot;") +
           '</rdf:li></rdf:Alt></exif:UserComment></rdf:Description></rdf:RDF></x:xmpmeta>')
    meta = read(png([itxt("XML:com.adobe.xmp", xmp)]))
    assert meta.raw["xmp"].startswith("<x:xmpmeta")  # PNG's XMP chunk is keyed like JPEG/WebP XMP
    assert meta.generator == "drawthings"
    assert (meta.params.prompt, meta.params.seed, meta.params.width) == ("a boat", 3, 1024)


def test_convert_nai_keeps_the_original():
    comment = json.dumps({"prompt": "{masterpiece}, [blush]", "uc": "lowres", "steps": 28, "scale": 5,
                          "seed": 1, "sampler": "k_euler"})
    data = png([text("Software", "NovelAI"), text("Source", "NovelAI Diffusion V3 7BCCAA2C"), text("Comment", comment)])
    plain = read(data)
    converted = read(data, convert_nai=True)
    assert plain.params.prompt == "{masterpiece}, [blush]"
    from promptlab.metadata.readers.novelai import _converter

    if _converter() is None:
        assert any("not available" in w for w in converted.warnings)
        return
    assert converted.details["original_prompt"] == "{masterpiece}, [blush]"
    assert converted.params.prompt != plain.params.prompt and "{" not in converted.params.prompt


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("optimize", [False, True], ids=["default", "optimize"])
def test_column0_signature_check_agrees_with_full_decode(seed, optimize):
    """The cheap column-0 check must never miss a payload that the full decode finds, whatever
    PNG row filters (Sub/Up/Average/Paeth) the encoder picked."""
    import io
    import zlib

    import numpy as np
    from PIL import Image

    from promptlab.metadata.stealth import _png_signature_absent, encode_stealth_bits

    rng = np.random.default_rng(seed)
    arr = rng.integers(0, 256, (160, 40, 4), dtype=np.uint8)
    arr[:, :, 3] = np.clip(arr[:, :, 3], 200, 255)

    def encode(a):
        buf = io.BytesIO()
        Image.fromarray(a, "RGBA").save(buf, format="PNG", optimize=optimize)
        return buf.getvalue()

    plain = encode(arr)
    bits = np.unpackbits(np.frombuffer(encode_stealth_bits(INFOTEXT), dtype=np.uint8))
    alpha = arr[:, :, 3].T.copy().reshape(-1)
    alpha[: bits.size] = (alpha[: bits.size] & 0xFE) | bits
    arr[:, :, 3] = alpha.reshape(40, 160).T
    hidden = encode(arr)
    raw = zlib.decompress(hidden[hidden.index(b"IDAT") + 4: hidden.index(b"IEND") - 8])
    assert len({raw[i * (1 + 40 * 4)] for i in range(160)}) >= 3  # several filter types in play
    assert _png_signature_absent(io.BytesIO(plain)) is True
    assert _png_signature_absent(io.BytesIO(hidden)) is False
    assert read(hidden).params.prompt == "a cat, テスト"
    assert read(plain).params is None


def test_rgba_without_metadata_is_not_decoded(monkeypatch):
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGBA", (200, 200), (1, 2, 3, 128)).save(buf, format="PNG")
    import PIL.Image

    def no_open(*a, **k):
        raise AssertionError("decoded a plain RGBA image")

    monkeypatch.setattr(PIL.Image, "open", no_open)
    meta = read(buf.getvalue())
    assert meta.params is None and meta.error is None


@pytest.mark.parametrize("name", ["sd-metadata/png/forge.png", "sd-metadata/png/novelai-full.png",
                                  "sd-metadata/png/novelai-full-3char.png",
                                  "sd-parsers/parsers/AUTOMATIC1111/automatic1111_stealth.png"])
def test_fast_column_read_equals_full_decode_on_real_images(shared_dir, name):
    """Differential: the few-columns PNG reader and Pillow's full decode find the same payload."""
    import io

    import numpy as np
    from PIL import Image

    from promptlab.metadata.stealth import _ALPHA_SIGNATURES, _decode, _png_stealth_fast

    data = (shared_dir / "fixtures/metadata" / name).read_bytes()
    fast = _png_stealth_fast(io.BytesIO(data), [])
    with Image.open(io.BytesIO(data)) as img:
        alpha = np.asarray(img.getchannel("A"))
    full = _decode((alpha.T & 1).ravel(), _ALPHA_SIGNATURES, [])
    assert fast is not None and fast is not False and full is not None
    assert fast == full and len(fast.text) > 50


def test_comfyui_efficiency_nodes():
    graph = {
        "1": {"class_type": "Efficient Loader", "inputs": {
            "ckpt_name": "anything.safetensors", "vae_name": "Baked VAE", "clip_skip": -2, "lora_name": "None",
            "positive": "1girl, smile", "negative": "lowres", "empty_latent_width": 640, "empty_latent_height": 960,
            "batch_size": 1}},
        "2": {"class_type": "KSampler (Efficient)", "inputs": {
            "seed": 31, "steps": 22, "cfg": 7.0, "sampler_name": "euler_ancestral", "scheduler": "normal", "denoise": 1.0,
            "model": ["1", 0], "positive": ["1", 1], "negative": ["1", 2], "latent_image": ["1", 3]}},
        "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 5]}},
    }
    p = read(comfy_png(graph)).params
    assert (p.prompt, p.negative_prompt, p.model, p.clip_skip) == ("1girl, smile", "lowres", "anything.safetensors", 2)
    assert (p.width, p.height, p.seed, p.steps) == (640, 960, 31, 22)


def test_comfyui_controlnet_keeps_polarity():
    graph = copy.deepcopy(COMFY_GRAPH)
    graph["30"] = {"class_type": "ControlNetApplyAdvanced", "inputs": {
        "strength": 1.0, "positive": ["6", 0], "negative": ["7", 0], "control_net": ["31", 0], "image": ["32", 0]}}
    graph["3"]["inputs"]["positive"] = ["30", 0]
    graph["3"]["inputs"]["negative"] = ["30", 1]
    p = read(comfy_png(graph)).params
    assert (p.prompt, p.negative_prompt) == ("1girl, solo", "lowres")


def test_convert_nai_path_with_a_stub_converter(monkeypatch):
    """The wiring to promptlab.syntax.convert (the converter itself is tested by the syntax area)."""
    from dataclasses import dataclass

    import promptlab.syntax

    @dataclass(frozen=True)
    class Conversion:
        text: str
        losses: tuple = ()
        warnings: tuple = ()

    calls = []

    def convert(text, *, src, dst):
        calls.append((src, dst))
        return Conversion(text.replace("{", "(").replace("}", ")"), warnings=("w",) if "{" in text else ())

    monkeypatch.setattr(promptlab.syntax, "convert", convert, raising=False)
    comment = json.dumps({"prompt": "{smile}", "uc": "lowres", "steps": 28, "scale": 5, "seed": 1, "sampler": "k_euler",
                          "v4_prompt": {"caption": {"base_caption": "{smile}", "char_captions": [
                              {"char_caption": "{girl}", "centers": [{"x": 0.5, "y": 0.5}]}]}}})
    data = png([text("Software", "NovelAI"), text("Source", "NovelAI Diffusion V4.5 4BDE2A90"), text("Comment", comment)])
    meta = read(data, convert_nai=True)
    assert meta.params.prompt == "(smile)" and meta.details["original_prompt"] == "{smile}"
    assert meta.details["character_prompts"][0] == {"prompt": "(girl)", "center": {"x": 0.5, "y": 0.5},
                                                    "original_prompt": "{girl}"}
    assert set(calls) == {("nai4", "a1111")}
    assert any("prompt conversion: w" in w for w in meta.warnings)


def test_old_a1111_first_pass_size():
    old = "a cat\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 1024x1024, Denoising strength: 0.7, " \
          "First pass size: 512x512"
    p = read(png([text("parameters", old)])).params
    assert (p.width, p.height, p.hires_resize_x, p.hires_resize_y) == (512, 512, 1024, 1024)
    assert "First pass size" not in p.extra_dict()
    again = read(png([text("parameters", p.to_infotext())])).params
    assert again == p


def test_comfyui_prompt_styler_and_wildcard_encode():
    graph = copy.deepcopy(COMFY_GRAPH)
    graph["40"] = {"class_type": "SDXLPromptStyler", "inputs": {"text_positive": "a house", "text_negative": "ugly",
                                                                "style": "base"}}
    graph["6"]["inputs"]["text"] = ["40", 0]
    graph["7"] = {"class_type": "ImpactWildcardEncode", "inputs": {"wildcard_text": "__neg__", "populated_text": "blurry",
                                                                   "model": ["4", 0], "clip": ["11", 0]}}
    p = read(comfy_png(graph)).params
    assert (p.prompt, p.negative_prompt) == ("a house", "blurry")
    meta = read(comfy_png(graph))
    assert meta.details["param_sets"][0]["sampler_node"] == "3"
    assert meta.details["param_sets"][0]["hires_sampler_node"] == "13"


def test_unknown_json_is_mapped_by_key_names():
    data = json.dumps({"Prompt": "a lighthouse", "Negative Prompt": "fog", "Seed": "12", "CFG": 4.5,
                       "Size": "768x512", "my_setting": True})
    meta = read(png([text("parameters", data)]))
    p = meta.params
    assert meta.generator == "unknown" and meta.format == "generic-json"
    assert (p.prompt, p.negative_prompt, p.seed, p.cfg_scale, p.width, p.height) == ("a lighthouse", "fog", 12, 4.5, 768, 512)
    assert p.extra_dict() == {"my_setting": "true"} and "unknown tool" in meta.warnings[0]


@pytest.mark.parametrize("prompt", ["{masterpiece}, 1girl", "[sketch], 1boy", "{", "{\"not\": json"])
def test_a1111_prompt_starting_with_a_bracket_is_not_taken_for_json(prompt):
    """Regression: infotexts whose prompt starts with { or [ were skipped as if they were JSON."""
    infotext = f"{prompt}\nSteps: 20, Sampler: Euler, CFG scale: 7, Seed: 1, Size: 512x512"
    for data in (png([text("parameters", infotext)]),
                 jpeg_with_app1(b"Exif\x00\x00" + tiff([], [(0x9286, 7, b"UNICODE\x00" + infotext.encode("utf-16-be"))]))):
        meta = read(data)
        assert meta.generator == "sd-webui" and meta.params.prompt == prompt

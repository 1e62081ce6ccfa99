"""Read page -> "Send to img2img": the image and its parameters reach the Generate page's img2img mode."""

from __future__ import annotations

import pytest

from promptlab.params import GenerationParams

PARAMS = GenerationParams(prompt="1girl, smile", negative_prompt="lowres", steps=28, seed=1234, width=512, height=768,
                          denoising_strength=0.4)


@pytest.fixture
def png_bytes(tmp_path):
    from PIL import Image

    from promptlab.metadata import write

    path = tmp_path / "x.png"
    write(Image.new("RGB", (96, 64), "white"), PARAMS, path)
    return path.read_bytes()


def test_send_to_img2img_hands_over_image_and_parameters(app_test, png_bytes):
    at = app_test("app_pages/read.py").run()
    at.file_uploader(key="read.files").set_value(("a.png", png_bytes, "image/png"))
    at.run()
    at.button(key="read.to_img2img.0").click().run()   # then switch_page (not resolvable in a lone AppTest)
    assert at.session_state["img2img.pending"] == {"data": png_bytes, "name": "a.png"}
    sent = at.session_state["generate.pending"]
    assert (sent.prompt, sent.seed, sent.height, sent.init_image) == (PARAMS.prompt, 1234, 768, None)


def test_send_to_img2img_is_translated(app_test, png_bytes):
    at = app_test("app_pages/read.py")
    at.session_state["ui.lang"] = "zh"
    at.run()
    at.file_uploader(key="read.files").set_value(("a.png", png_bytes, "image/png"))
    at.run()
    assert at.button(key="read.to_img2img.0").label == "发送到图生图"

"""Read page (AppTest): images in, metadata table and prompt out, hand-offs, bad uploads."""

from __future__ import annotations

import html
import io
import re
from types import SimpleNamespace

import pytest
from app_helpers import texts

from promptlab.params import GenerationParams


PARAMS = GenerationParams(prompt="1girl, (smile:1.2), <lora:detail:0.5>", negative_prompt="lowres", steps=28,
                          sampler="DPM++ 2M", cfg_scale=6.5, seed=1234, width=512, height=768)


@pytest.fixture
def png_bytes(tmp_path):
    from PIL import Image

    from promptlab.metadata import write

    path = tmp_path / "x.png"
    write(Image.new("RGB", (16, 16), "white"), PARAMS, path)
    return path.read_bytes()


def test_reads_images_into_a_table_and_sends_to_build(app_test, png_bytes):
    at = app_test("app_pages/read.py").run()
    at.file_uploader(key="read.files").set_value([("a.png", png_bytes, "image/png"), ("b.png", png_bytes, "image/png")])
    at.run()
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["File"]) == ["a.png", "b.png"]
    assert table["Prompt"][0] == PARAMS.prompt and str(table["Seed"][0]) == "1234"
    assert any("smile" in m.value and "1.2" in m.value for m in at.markdown)
    at.button(key="read.build.0").click().run()
    assert at.session_state["build.pending"] == {"prompt": PARAMS.prompt, "negative_prompt": "lowres"}


def test_send_to_generate_keeps_the_settings(app_test, png_bytes):
    at = app_test("app_pages/read.py").run()
    at.file_uploader(key="read.files").set_value(("a.png", png_bytes, "image/png"))
    at.run()
    at.button(key="read.gen.0").click().run()
    sent = at.session_state["generate.pending"]
    assert (sent.prompt, sent.steps, sent.seed, sent.height) == (PARAMS.prompt, 28, 1234, 768)


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [("notes.txt", b"hello, not an image", "is not an image"), ("broken.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 50, "is not an image")],
    ids=["text-file", "truncated-png"],
)
def test_bad_upload_gets_a_message_and_others_still_read(app_test, png_bytes, name, content, expected):
    at = app_test("app_pages/read.py").run()
    at.file_uploader(key="read.files").set_value([(name, content, "application/octet-stream"), ("ok.png", png_bytes, "image/png")])
    at.run()
    assert not at.exception
    assert expected in at.error[0].value and name in at.error[0].value
    assert list(at.dataframe[0].value["File"]) == ["ok.png"]


def test_oversized_upload_is_refused_before_reading():
    from app_pages.components.read_view import MAX_IMAGE_MB, read_upload

    def boom():
        raise AssertionError("a too-big file must not be read")

    upload = SimpleNamespace(name="huge.png", size=100 * 1024 * 1024, getvalue=boom)
    message = read_upload(upload, "en").message
    assert "100 MB" in message and f"{MAX_IMAGE_MB} MB" in message


def test_upload_limit_matches_server_config():
    import tomllib

    from app_pages.components.read_view import MAX_IMAGE_MB
    from pathlib import Path

    REPO = Path(__file__).resolve().parents[2]

    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] == MAX_IMAGE_MB


def test_image_without_metadata(app_test):
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buf, "PNG")
    at = app_test("app_pages/read.py").run()
    at.file_uploader(key="read.files").set_value(("plain.png", buf.getvalue(), "image/png"))
    at.run()
    assert not at.exception
    assert "No generation settings" in texts(at)


def _novelai_png() -> bytes:
    import json

    from PIL import Image, PngImagePlugin

    prompt = "{smile}, [[blush]], 1girl"
    info = PngImagePlugin.PngInfo()
    info.add_text("Software", "NovelAI")
    info.add_text("Description", prompt)
    info.add_text("Comment", json.dumps({"prompt": prompt, "uc": "{lowres}", "steps": 28, "scale": 5.0,
                                         "seed": 42, "sampler": "k_euler", "width": 512, "height": 768}))
    buf = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buf, "PNG", pnginfo=info)
    return buf.getvalue()


def test_novelai_conversion_on_request(app_test):
    from promptlab.syntax.convert import convert

    at = app_test("app_pages/read.py").run()
    at.file_uploader(key="read.files").set_value(("nai.png", _novelai_png(), "image/png"))
    at.run()
    assert not at.exception
    shown = re.sub(r"<[^>]+>", "", "\n".join(m.value for m in at.markdown))  # text of the highlighted prompt
    assert "{smile}, [[blush]], 1girl" in shown
    at.toggle(key="read.nai.0").set_value(True).run()
    assert not at.exception
    expected = convert("{smile}, [[blush]], 1girl", src="nai3", dst="a1111").text
    assert expected != "{smile}, [[blush]], 1girl"
    shown = re.sub(r"<[^>]+>", "", "\n".join(m.value for m in at.markdown))
    assert "{smile}" not in shown and html.escape(expected) in shown
    at.button(key="read.build.0").click().run()
    assert at.session_state["build.pending"]["prompt"] == expected


def test_chinese(app_test, png_bytes):
    at = app_test("app_pages/read.py", lang="zh").run()
    at.file_uploader(key="read.files").set_value(("a.png", png_bytes, "image/png"))
    at.run()
    assert "读取图片信息" in texts(at) and "文件" in at.dataframe[0].value.columns

"""Gallery page (AppTest): search box and filters, thumbnails grid, detail view and hand-offs, diff of
two images, indexing from the page, bad queries shown in the user's language."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
from _images import a1111, comfy

from promptlab import gallery

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


@pytest.fixture(scope="session")
def starter_db(tmp_path_factory) -> Path:
    import tagdb

    return tagdb.ensure_starter_db(tmp_path_factory.mktemp("starter") / "tags.sqlite")


@pytest.fixture
def page(monkeypatch, tmp_path, starter_db, _isolated_home):
    import shutil

    from streamlit.testing.v1 import AppTest

    monkeypatch.chdir(REPO)
    shutil.copy(starter_db, _isolated_home / "tags.sqlite")
    monkeypatch.setenv("PROMPTLAB_MODELS", str(tmp_path / "models"))

    def make(lang: str = "en"):
        at = AppTest.from_file(str(REPO / "app_pages/gallery.py"), default_timeout=60)
        at.session_state["ui.lang"] = lang
        return at

    return make


@pytest.fixture
def images(tmp_path):
    root = tmp_path / "outputs"
    root.mkdir()
    a1111(root / "a", seed=11, prompt="1girl, long hair, smile", model="ponyV6")
    a1111(root / "b", seed=12, prompt="1girl, short hair, smile", model="ponyV6", steps=40)
    comfy(root / "c", seed=13, prompt="1boy, long hair")
    gallery.index([root])
    return root


def _ids(at) -> dict[str, int]:
    conn = gallery.connect()
    try:
        return {Path(r[1]).name: r[0] for r in conn.execute("SELECT id, path FROM images")}
    finally:
        conn.close()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_empty_gallery_says_what_to_do(page, lang):
    at = page(lang).run()
    assert not at.exception
    expected = "No images match" if lang == "en" else "没有匹配的图片"
    assert any(expected in m.value for m in at.info)


def test_grid_shows_every_image_and_the_query_filters_it(page, images):
    at = page().run()
    assert not at.exception
    assert "3 images" in " ".join(c.value for c in at.caption)
    assert len([b for b in at.button if b.key and b.key.startswith("gallery.det.")]) == 3
    at.text_input(key="gallery.query").set_value('"long hair" -tool:comfyui').run()
    assert [b.key for b in at.button if b.key.startswith("gallery.det.")] == [f"gallery.det.{_ids(at)['a.png']}"]
    at.selectbox(key="gallery.tool").set_value("comfyui")
    at.text_input(key="gallery.query").set_value("").run()
    assert "1 images" in " ".join(c.value for c in at.caption)


@pytest.mark.parametrize(("lang", "expected"), [("en", "position 1"), ("zh", "第 1 个字符")])
def test_bad_query_is_an_error_in_the_users_language(page, images, lang, expected):
    at = page(lang).run()
    at.text_input(key="gallery.query").set_value("steps:lots").run()
    assert not at.exception
    assert expected in at.error[0].value


def test_chinese_word_finds_its_tags_through_the_tag_database(page, images):
    at = page().run()
    at.text_input(key="gallery.query").set_value("长发").run()
    assert not at.exception
    assert len([b for b in at.button if b.key.startswith("gallery.det.")]) == 2


@pytest.mark.slow  # two page sessions
def test_detail_view_and_send_to_build_and_generate(page, images):
    at = page().run()
    ids = _ids(at)
    at.button(key=f"gallery.det.{ids['b.png']}").click().run()
    assert not at.exception
    table = at.dataframe[0].value
    assert "40" in list(table.iloc[:, 1]) and "ponyV6" in list(table.iloc[:, 1])
    at.button(key="gallery.to_build").click().run()
    assert at.session_state["build.pending"] == {"prompt": "1girl, short hair, smile", "negative_prompt": "lowres, bad hands"}
    at = page().run()
    at.button(key=f"gallery.det.{ids['b.png']}").click().run()
    at.button(key="gallery.to_generate").click().run()
    sent = at.session_state["generate.pending"]
    assert (sent.seed, sent.steps, sent.model) == (12, 40, "ponyV6")


def test_send_to_img2img_carries_the_image(page, images):
    at = page().run()
    at.button(key=f"gallery.det.{_ids(at)['a.png']}").click().run()
    at.button(key="gallery.to_img2img").click().run()
    from app_pages.components.img2img_panel import PENDING

    sent = at.session_state["generate.pending"]
    assert sent.seed == 11 and sent.init_image is None      # the parameters go to the form ...
    image = at.session_state[PENDING]                       # ... the image to the img2img mode's hand-off
    assert image["data"] == (images / "a.png").read_bytes() and image["name"] == "a.png"


def test_send_to_replay_shows_the_plan(page, images):
    at = page().run()
    at.button(key=f"gallery.det.{_ids(at)['c.png']}").click().run()
    at.button(key="gallery.to_replay").click().run()
    assert not at.exception
    assert at.json and "Seed: 13" in at.json[0].value and '"generator": "comfyui"' in at.json[0].value


def test_diff_of_two_selected_images(page, images):
    at = page().run()
    ids = _ids(at)
    assert at.button(key="gallery.diff").disabled
    at.checkbox(key=f"gallery.sel.{ids['a.png']}").check().run()
    at.checkbox(key=f"gallery.sel.{ids['b.png']}").check().run()
    at.button(key="gallery.diff").click().run()
    assert not at.exception
    table = at.dataframe[0].value
    assert set(table.iloc[:, 0]) == {"seed", "steps"}
    shown = " ".join(m.value for m in at.markdown)
    assert "long hair" in shown and "short hair" in shown


def test_indexing_from_the_page_runs_in_the_background(page, tmp_path):
    root = tmp_path / "new"
    root.mkdir()
    a1111(root / "x", seed=5)
    at = page().run()
    at.text_area(key="gallery.folders").set_value(str(root))
    at.button(key="gallery.index").click().run()
    assert not at.exception
    at.session_state["gallery.scan"].join(30)
    at.run()
    assert any("Indexed 1 images" in s.value for s in at.success)
    assert "1 images" in " ".join(c.value for c in at.caption)


def test_indexing_a_missing_folder_is_an_error_not_a_thread(page, tmp_path):
    at = page("zh").run()
    at.text_area(key="gallery.folders").set_value(str(tmp_path / "nope"))
    at.button(key="gallery.index").click().run()
    assert not at.exception and "不是文件夹" in at.error[0].value
    assert "gallery.scan" not in at.session_state


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_unusable_index_file_is_an_error_on_the_page(page, _isolated_home, lang):
    (_isolated_home / "gallery.sqlite3").write_bytes(b"this is not a database, just some text " * 100)
    at = page(lang).run()
    assert not at.exception
    assert at.error and ("gallery.sqlite3" in at.error[0].value)

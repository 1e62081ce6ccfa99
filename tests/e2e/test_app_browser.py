"""The app in a real headless Chromium: search (English and Chinese), add tags, watch the prompt and
the token counter, read an image, switch the language. Screenshots go to test-artifacts/."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from appserver import REPO, browser_missing, launch_chromium, searchbox, start_app, suggestions  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ARTIFACTS = REPO / "test-artifacts"
SHARED = Path(os.environ.get("PROMPTLAB_SHARED", REPO.parent / "shared"))
FIXTURE = SHARED / "fixtures" / "metadata" / "sd-metadata" / "png" / "sd-webui.png"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    reason = browser_missing()
    if reason:
        pytest.skip(reason)
    home = tmp_path_factory.mktemp("e2e-home")
    models = tmp_path_factory.mktemp("e2e-models")
    server = start_app(home, models)
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="module")
def page(app):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(30_000)
            yield page
        finally:
            browser.close()


def _image_file(tmp_path: Path) -> Path:
    if FIXTURE.exists():
        return FIXTURE
    from PIL import Image

    from promptlab.metadata import write
    from promptlab.params import GenerationParams

    path = tmp_path / "made.png"
    write(Image.new("RGB", (64, 64), "white"), GenerationParams(prompt="1girl, solo, smile", negative_prompt="lowres",
                                                             steps=20, seed=1234), path)
    return path


def _pick(page, query: str, expected: str) -> None:
    box = searchbox(page)
    box.click()
    box.press_sequentially(query, delay=40)
    option = suggestions(page).filter(has_text=expected).first
    option.wait_for(state="visible")
    option.click()


def test_build_read_and_switch_language(page, app, tmp_path):
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(app.url)
    expect(page.get_by_role("heading", name="Build a prompt")).to_be_visible(timeout=60_000)
    prompt = page.get_by_role("textbox", name="Prompt", exact=True)

    # An English query, picked with one click: the prompt and the counter update.
    _pick(page, "1gir", "1girl")
    expect(prompt).to_have_value(re.compile(r"^1girl$"))
    expect(page.get_by_text(re.compile(r"Tokens: 2/75"))).to_be_visible()

    # A Chinese query finds the tag through its translation.
    _pick(page, "单人", "solo")
    expect(prompt).to_have_value("1girl, solo")
    expect(page.get_by_text(re.compile(r"Tokens: 4/75"))).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "build.png"), full_page=True)

    # Shift+Enter adds the text as typed (weights, LoRA), not the first suggestion.
    box = searchbox(page)
    box.press_sequentially("(masterpiece:1.2)", delay=20)
    suggestions(page).first.wait_for(state="visible")
    box.press("Shift+Enter")
    expect(prompt).to_have_value("1girl, solo, (masterpiece:1.2)")
    expect(box).to_have_value("")

    # Editing by hand updates the chips and counter; an unbalanced bracket is flagged.
    prompt.fill("1girl, solo, (smile:1.2")
    prompt.press("Control+Enter")
    expect(page.get_by_text(re.compile(r"Syntax, at character"))).to_be_visible()

    # Read: load an image, see its metadata.
    page.get_by_role("link", name="Read").click()
    expect(page.get_by_role("heading", name="Read images")).to_be_visible()
    page.locator("input[type=file]").first.set_input_files(str(_image_file(tmp_path)))
    expect(page.get_by_role("button", name="Send to Build").first).to_be_visible()
    expect(page.locator("[data-testid='stImage'] img").first).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "read.png"), full_page=True)

    # Switch the language: the page text changes.
    page.get_by_role("radio", name="简体中文").click()
    expect(page.get_by_role("heading", name="读取图片信息")).to_be_visible()
    expect(page.get_by_role("link", name="构建提示词")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "read-zh.png"), full_page=True)


def test_search_endpoint_answers_and_survives_bad_parameters(app):
    """The endpoint the box asks on every keystroke, over real HTTP on the server `make run` starts."""
    import json
    import urllib.parse
    import urllib.request

    def get(**params):
        with urllib.request.urlopen(f"{app.url}/api/tags/search?{urllib.parse.urlencode(params)}", timeout=30) as resp:
            assert resp.status == 200 and resp.headers["Content-Type"].startswith("application/json")
            return json.load(resp)

    answer = get(q="1gir")
    while answer["ready"] is False:  # the search index loads in the background after start-up
        answer = get(q="1gir")
    assert answer["items"][0]["name"] == "1girl" and answer["error"] is None
    assert get(q="单人", lang="zh")["items"][0]["name"] == "solo"
    odd = get(q="x" * 5000 + "(", lang="klingon", cats="1,,zz", limit="-7")
    assert odd["error"] is None and len(odd["query"]) == 200
    assert get(q="")["items"] == []


def test_search_box_without_the_endpoint_asks_through_streamlit(page, tmp_path):
    """`streamlit run app.py` (no endpoint): the box falls back to a fragment rerun per query."""
    from playwright.sync_api import expect

    home, models = tmp_path / "home", tmp_path / "models"
    home.mkdir()
    models.mkdir()
    server = start_app(home, models, script="app.py")
    plain = page.context.browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        plain.set_default_timeout(30_000)
        plain.goto(server.url)
        expect(plain.get_by_role("heading", name="Build a prompt")).to_be_visible(timeout=60_000)
        _pick(plain, "1gir", "1girl")
        expect(plain.get_by_role("textbox", name="Prompt", exact=True)).to_have_value("1girl")
    finally:
        plain.close()
        server.close()


def _lang(page, name: str) -> None:
    page.get_by_role("radio", name=name).click()


def test_new_user_walk_english_then_chinese_without_models(page, app):
    """A fresh home, no network (HF_HUB_OFFLINE), no models: search characters in English, Chinese and
    pinyin, add and reweight chips, open Generate and Compare and read why nothing can run yet, and
    switch the language mid-page without losing the page's state."""
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(app.url)
    expect(page.get_by_role("heading", name="Build a prompt")).to_be_visible(timeout=60_000)
    prompt = page.get_by_role("textbox", name="Prompt", exact=True)
    prompt.fill("")
    prompt.press("Control+Enter")
    # The starter set has characters (the tags engineer's data): English, Chinese and pinyin queries.
    # (tags are written with spaces by default, as A1111 users type them)
    _pick(page, "miku", "hatsune_miku")
    expect(prompt).to_have_value("hatsune miku")
    _pick(page, "luka", "megurine_luka")
    expect(prompt).to_have_value("hatsune miku, megurine luka")
    _pick(page, "changfa", "long_hair")
    expect(prompt).to_have_value("hatsune miku, megurine luka, long hair")
    # Reweight a chip: select it, press Stronger twice; the weight reads as A1111 writes it.
    page.get_by_role("button", name=re.compile(r"^long hair")).first.click()
    page.get_by_role("button", name="Stronger").click()
    expect(prompt).to_have_value("hatsune miku, megurine luka, (long hair:1.1)")
    page.get_by_role("button", name="Stronger").click()
    expect(prompt).to_have_value("hatsune miku, megurine luka, (long hair:1.2)")
    expect(page.get_by_role("button", name=re.compile(r"^long hair:1\.2"))).to_be_visible()
    expect(page.get_by_text("×")).to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / "walk-build-en.png"), full_page=True)
    # Many tags: the chip row wraps onto more lines, the last chip is on screen (not hidden off the row).
    many = ", ".join(["hatsune miku", "megurine luka", "(long hair:1.2)"] + [f"tag number {i}" for i in range(24)])
    prompt.fill(many)
    prompt.press("Control+Enter")
    first, last = (page.get_by_role("button", name=re.compile(name)).first for name in ("^hatsune miku", "^tag number 23"))
    expect(last).to_be_visible()
    first_box, last_box = first.bounding_box(), last.bounding_box()
    assert last_box["y"] > first_box["y"] + first_box["height"] / 2, (first_box, last_box)   # on a later line
    assert last_box["x"] + last_box["width"] <= 1400
    prompt.fill("hatsune miku, megurine luka, (long hair:1.2)")
    prompt.press("Control+Enter")

    # 中文 mid-page: the prompt stays, the page is Chinese, a Chinese query finds the character.
    _lang(page, "简体中文")
    expect(page.get_by_role("heading", name="构建提示词")).to_be_visible()
    expect(page.get_by_role("radio", name="正向提示词").first).to_be_checked()   # "Add to" kept across the switch
    expect(page.get_by_role("textbox", name="正向提示词", exact=True)).to_have_value(
        "hatsune miku, megurine luka, (long hair:1.2)")
    _pick(page, "初音", "hatsune_miku")   # already in the prompt: added once
    expect(page.get_by_role("textbox", name="正向提示词", exact=True)).to_have_value(
        "hatsune miku, megurine luka, (long hair:1.2)")
    page.screenshot(path=str(ARTIFACTS / "walk-build-zh.png"), full_page=True)

    # Generate without a model: the button is off and says why, the Refresh it mentions is there.
    page.get_by_role("link", name="生成").click()
    expect(page.get_by_text(re.compile("没有找到模型"))).to_be_visible()
    expect(page.get_by_text(re.compile("无法生成"))).to_be_visible()
    expect(page.get_by_role("button", name="刷新")).to_be_visible()
    expect(page.get_by_role("button", name="生成", exact=True)).to_be_disabled()
    expect(page.get_by_role("button", name="停止")).to_have_count(0)
    expect(page.get_by_text("Backend URL")).to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / "walk-generate-zh.png"), full_page=True)

    # Compare without a model: a grid is refused with what to fix.
    page.get_by_role("link", name="对比").click()
    expect(page.get_by_role("heading", name="对比")).to_be_visible()
    page.get_by_role("combobox", name="X 轴").click()
    page.get_by_role("option", name="步数", exact=True).click()
    page.get_by_role("textbox", name="X 取值").fill("10, 20")
    page.get_by_role("textbox", name="X 取值").press("Enter")
    expect(page.get_by_text(re.compile("未开始"))).to_be_visible()
    expect(page.get_by_role("button", name="开始生成")).to_be_disabled()
    expect(page.get_by_text("Choose an option")).to_have_count(0)   # Streamlit's placeholder, set in 中文
    page.screenshot(path=str(ARTIFACTS / "walk-compare-zh.png"), full_page=True)

    # Back to English on the same page: the axis chosen is kept.
    _lang(page, "English")
    expect(page.get_by_role("heading", name="Compare")).to_be_visible()
    expect(page.get_by_role("textbox", name="X values")).to_have_value("10, 20")
    expect(page.get_by_text(re.compile("Not started"))).to_be_visible()
    # Regression: after a switch a radio showed no option checked (the browser sent its old label back).
    page.get_by_role("link", name="Library").click()
    page.get_by_role("tab", name="Export / import").click()
    page.get_by_text("Add again", exact=True).click()
    expect(page.get_by_role("radio", name="Add again")).to_be_checked()
    _lang(page, "简体中文")
    expect(page.get_by_role("tab", name="导出 / 导入", selected=True)).to_be_visible()
    expect(page.get_by_role("radio", name="再次添加")).to_be_checked()

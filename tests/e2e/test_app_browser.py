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

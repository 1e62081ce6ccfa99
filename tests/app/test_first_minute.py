"""What a new user meets in the first minute: saving once, overwriting on purpose, history times, the
newest upload open, the settings table in 中文, state kept across a language switch, and no dead end
on Generate / Compare without a model."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from app_helpers import texts

from promptlab.library import Library, PromptExistsError
from promptlab.params import GenerationParams

BUILD, READ, LIBRARY = "app_pages/build.py", "app_pages/read.py", "app_pages/library.py"
GENERATE, COMPARE = "app_pages/generate.py", "app_pages/compare.py"
PARAMS = GenerationParams(prompt="1girl, (smile:1.2)", negative_prompt="lowres", steps=28, sampler="Euler a",
                          cfg_scale=7.0, seed=1234, width=512, height=768)


def _save_button(at):
    return next(b for b in at.button if b.label in ("Save", "保存"))


# -- library: save once, ask before overwriting --------------------------------------------------------
def test_same_name_and_text_saved_twice_is_one_prompt(tmp_path):
    """Regression: Enter in the name field and then the Save button saved the prompt twice."""
    lib = Library(tmp_path / "l.sqlite")
    first = lib.save_prompt("mine", "1girl", "lowres", if_exists="ask")
    assert lib.save_prompt("mine", "1girl", "lowres", if_exists="ask").id == first.id
    assert len(lib.prompts()) == 1


@pytest.mark.parametrize(("policy", "count", "texts_kept"), [
    ("add", 2, {"1girl", "2girls"}), ("overwrite", 1, {"2girls"}),
], ids=["add-keeps-both", "overwrite-replaces"])
def test_existing_name_with_other_text(tmp_path, policy, count, texts_kept):
    lib = Library(tmp_path / "l.sqlite")
    lib.save_prompt("mine", "1girl")
    lib.save_prompt("mine", "2girls", if_exists=policy)
    assert len(lib.prompts()) == count and {p.prompt for p in lib.prompts()} == texts_kept


def test_existing_name_asks(tmp_path):
    lib = Library(tmp_path / "l.sqlite")
    lib.save_prompt("mine", "1girl")
    with pytest.raises(PromptExistsError) as info:
        lib.save_prompt("mine", "2girls", if_exists="ask")
    assert info.value.existing.prompt == "1girl" and len(lib.prompts()) == 1


def test_build_page_saves_once_and_asks_before_overwriting(app_test):
    at = app_test(BUILD, build__prompt="1girl, solo").run()
    at.text_input(key="build.save_name").set_value("mine")
    _save_button(at).click().run()
    _save_button(at).click().run()          # the second submit of the same form (Enter, then the button)
    assert [p.name for p in Library().prompts()] == ["mine"]
    at.session_state["build.prompt"] = "2girls"
    _save_button(at).click().run()
    assert at.warning and "exists already" in at.warning[0].value
    assert Library().prompts()[0].prompt == "1girl, solo"   # nothing overwritten without asking
    at.button(key="build.save_overwrite").click().run()
    assert [p.prompt for p in Library().prompts()] == ["2girls"]
    assert "Saved" in at.success[0].value


def test_build_page_save_without_name_in_chinese(app_test):
    at = app_test(BUILD, lang="zh", build__prompt="1girl").run()
    _save_button(at).click().run()
    assert "命名" in at.error[0].value


def test_history_shows_when(app_test):
    lib = Library()
    lib.add_history("1girl", source="build")
    at = app_test(LIBRARY).run()
    assert not at.exception
    assert any(c.value.startswith("Build") and " · 20" in c.value for c in at.caption), [c.value for c in at.caption]


# -- Read: newest upload open, settings table in 中文 -------------------------------------------------------
@pytest.fixture
def png_bytes(tmp_path):
    from PIL import Image

    from promptlab.metadata import write

    path = tmp_path / "x.png"
    write(Image.new("RGB", (16, 16), "white"), PARAMS, path)
    return path.read_bytes()


def test_newest_upload_is_the_one_shown_open(app_test, png_bytes):
    at = app_test(READ).run()
    at.file_uploader(key="read.files").set_value([("old.png", png_bytes, "image/png"), ("new.png", png_bytes, "image/png")])
    at.run()
    assert not at.exception
    images = [e for e in at.expander if e.label.endswith(".png — a1111") or ".png" in e.label]
    assert [e.label.split(" ")[0] for e in images[:2]] == ["new.png", "old.png"]
    assert images[0].proto.expanded and not images[1].proto.expanded


def test_settings_table_rows_are_translated_values_kept(app_test, png_bytes):
    at = app_test(READ, lang="zh").run()
    at.file_uploader(key="read.files").set_value(("a.png", png_bytes, "image/png"))
    at.run()
    table = next(d.value for d in at.dataframe if "参数" in d.value.columns)
    rows = dict(zip(table["参数"], table["值"], strict=True))
    assert rows["步数"] == "28" and rows["采样器"] == "Euler a" and rows["CFG 强度"] == "7.0"
    assert "Steps" not in rows and "Sampler" not in rows


# -- language switch keeps the page's state -------------------------------------------------------------
def test_switching_language_keeps_selects_radios_and_the_open_tab(app_test):
    at = app_test("app.py").run()
    at.session_state["build.tab"] = "Convert"
    at.run()
    at.selectbox(key="build.convert.dst").set_value("comfy")
    at.button_group(key="build.convert.field").set_value("negative")
    at.run()
    at.session_state["ui.lang"] = "zh"
    at.run()
    assert not at.exception
    assert at.session_state["build.tab"] == "格式转换"
    assert at.selectbox(key="build.convert.dst").value == "comfy"
    assert at.button_group(key="build.convert.field").value == "negative"


# -- no dead ends without a model ----------------------------------------------------------------------
def test_generate_without_model_says_why_and_offers_refresh(app_test):
    at = app_test(GENERATE).run()
    assert not at.exception
    assert at.button(key="generate.run").disabled
    shown = texts(at)
    assert "Generate is off" in shown and at.button(key="generate.refresh")
    assert len([e for e in at.expander if e.label in ("Backend", "Backends")]) == 1   # ONE backends area
    assert not at.error   # no stale "Backend URL ''" error
    assert at.session_state["app.backends_in_use"] == []


@pytest.mark.parametrize("page", [GENERATE, COMPARE], ids=["generate", "compare"])
def test_sidebar_names_this_machine_as_not_ready_rather_than_none_chosen(app_test, page):
    """"this machine" ticked without a model showed "Backend in use: none chosen" in the sidebar."""
    at = app_test("app.py", lang="zh").run()
    at.switch_page(page).run()   # the frame draws the sidebar after the page: it shows this run's choice
    side = "\n".join(m.value for m in at.sidebar.markdown)
    assert "正在使用的后端：本机（未就绪" in side and "未选择" not in side
    at = app_test("app.py", lang="zh", generate__backends__local=False, compare__backends__local=False).run()
    at.switch_page(page).run()
    assert "正在使用的后端：未选择" in "\n".join(m.value for m in at.sidebar.markdown)


def test_generate_with_nothing_chosen_says_how_to_choose(app_test):
    at = app_test(GENERATE, lang="zh", generate__backends__local=False).run()
    assert at.button(key="generate.run").disabled
    assert "未选择后端" in texts(at)


def test_compare_refuses_a_grid_whose_cells_cannot_run(app_test):
    at = app_test(COMPARE).run()
    at.selectbox(key="compare.X.type").set_value("steps").run()
    at.text_input(key="compare.X.values").set_value("10, 20").run()
    assert not at.exception
    start = at.button(key="compare.start")
    assert start.disabled
    assert any("Not started" in w.value for w in at.warning)


def test_compare_refuses_an_unreachable_server(app_test):
    from app_pages.components.backends_panel import RemoteSpec

    at = app_test(COMPARE)
    at.session_state["backends.remote"] = [RemoteSpec("a1111", "http://127.0.0.1:9")]
    at.session_state["backends.state"] = {"http://127.0.0.1:9": "down:Cannot reach"}
    at.session_state["compare.backends.local"] = False
    at.run()
    at.selectbox(key="compare.X.type").set_value("steps").run()
    at.text_input(key="compare.X.values").set_value("10, 20").run()
    assert at.button(key="compare.start").disabled
    assert any("http://127.0.0.1:9" in w.value and "cannot be reached" in w.value for w in at.warning)


def test_grid_with_failed_cells_is_never_a_green_done(app_test):
    import time

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from grid.helpers import DrawBackend   # the grid tests' real tiny backend

    at = app_test(COMPARE, compare__backend=DrawBackend(fail_prompts={"boom"})).run()
    at.text_area(key="compare.prompt").set_value("boom")
    at.selectbox(key="compare.X.type").set_value("steps").run()
    at.text_input(key="compare.X.values").set_value("1, 2").run()
    at.button(key="compare.start").click().run()
    job = at.session_state["compare.job"]
    deadline = time.monotonic() + 30
    while not job.done and time.monotonic() < deadline:
        time.sleep(0.05)
    at.run()
    assert job.done and job.error is None and not at.success
    assert any("2 failed" in e.value for e in at.error)

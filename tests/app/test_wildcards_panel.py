"""The Build page's variants panel, driven through Streamlit's AppTest."""

from pathlib import Path

import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

REPO = Path(__file__).resolve().parents[2]


def make_app(prompt, negative="", lang="en"):
    source = (
        "import sys\n"
        f"sys.path.insert(0, {str(REPO)!r})\n"
        "from app_pages.components import wildcards_panel\n"
        f"wildcards_panel.render({lang!r}, {prompt!r}, {negative!r})\n"
    )
    return AppTest.from_string(source, default_timeout=30)


@pytest.fixture(autouse=True)
def models_dir(tmp_path, monkeypatch):
    folder = tmp_path / "models" / "wildcards"
    folder.mkdir(parents=True)
    (folder / "color.txt").write_text("red\nblue\n", encoding="utf-8")
    monkeypatch.setenv("PROMPTLAB_MODELS", str(tmp_path / "models"))
    return folder


def test_preview_shows_expansions_with_seeds():
    at = make_app("a {cat|dog} with __color__ eyes").run()
    assert not at.exception
    at.number_input(key="build.wildcards.seed").set_value(7).run()
    frame = at.dataframe[0].value
    assert list(frame["Seed"]) == [7, 8, 9, 10, 11]
    assert all(p.startswith("a ") and p.endswith(" eyes") for p in frame["Prompt"])
    assert any("4 combinations" in c.value for c in at.caption)


def test_ambiguous_braces_warn_and_explicit_mode_resolves():
    at = make_app("{{masterpiece}}, {cat|dog}").run()
    assert any("mixes both readings" in w.value for w in at.warning)
    assert any("Cannot expand" in e.value for e in at.error)
    at.radio(key="build.wildcards.mode").set_value(at.radio(key="build.wildcards.mode").options[2]).run()
    assert not at.error
    assert any("NovelAI" in c.value for c in at.caption)


def test_missing_wildcard_is_reported_in_page():
    at = make_app("__nothere__").run()
    assert any("__nothere__ not found" in e.value for e in at.error)


def test_edit_and_save_wildcard_file(models_dir):
    at = make_app("x").run()
    at.selectbox(key="build.wildcards.file").set_value("color.txt").run()
    area = at.text_area[0]
    assert area.value == "red\nblue\n"
    area.set_value("red\nblue\ngreen\n").run()
    at.button(key="build.wildcards.save").click().run()
    assert (models_dir / "color.txt").read_text(encoding="utf-8") == "red\nblue\ngreen\n"


def test_chinese_labels():
    at = make_app("a {cat|dog}", lang="zh").run()
    assert any("种子" in str(col) for col in at.dataframe[0].value.columns)

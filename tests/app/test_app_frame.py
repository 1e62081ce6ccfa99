"""The app frame (AppTest over app.py): navigation, sidebar, language switch, every page in both
languages, nothing heavy at start-up, and complete translations."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from app_helpers import texts

from promptlab.i18n import catalog, missing_translations, t

REPO = Path(__file__).resolve().parents[2]
MY_FILES = ["app.py", "app_pages/common.py", "app_pages/build.py", "app_pages/read.py", "app_pages/tags.py",
            "app_pages/library.py", "app_pages/components/build_panels.py", "app_pages/components/tag_search.py",
            "app_pages/components/tag_table.py", "app_pages/components/read_view.py"]
PAGE_FILES = ["app_pages/build.py", "app_pages/read.py", "app_pages/generate.py", "app_pages/compare.py",
              "app_pages/tags.py", "app_pages/library.py"]
CJK = re.compile(r"[\u4e00-\u9fff]")


def test_no_missing_translation():
    assert missing_translations() == []


def test_every_key_used_by_the_app_exists():
    """Literal keys in t("...") calls, and the key families built with f-strings."""
    from app_pages.components.read_view import TABLE_FIELDS
    from app_pages.components.tag_search import FILTER_CATEGORIES
    from promptlab.library import ConflictPolicy, HistorySource

    import tagdb

    used = set()
    for name in MY_FILES:
        used |= set(re.findall(r"""\bt\(\s*["']([a-z0-9_.]+)["']""", (REPO / name).read_text(encoding="utf-8")))
    used |= {f"build.cat.{c}" for c in FILTER_CATEGORIES}
    used |= {f"build.field.{f}" for f in ("prompt", "negative")} | {f"build.{f}_ph" for f in ("prompt", "negative")}
    used |= {f"build.tpl.{s}" for s in ("subject", "details", "medium", "style", "lighting", "view")}
    used |= {f"build.tpl.{s}_ph" for s in ("subject", "details", "medium", "style", "lighting", "view")}
    used |= {f"build.preset.{k}" for k in ("quality", "negative", "style")}
    used |= {f"build.fmt.{f}" for f in ("a1111", "nai3", "nai4", "comfy")}
    used |= {f"tags.lang.{x}" for x in ("any", "zh", "no_zh")} | {f"tags.fmt.{f.value}" for f in tagdb.Format}
    used |= {f"tags.col.{c}" for c in ("name", "category", "post_count", "zh", "aliases", "deprecated")}
    used |= {f"library.source.{s.value}" for s in HistorySource} | {f"library.conflict.{p.value}" for p in ConflictPolicy}
    used |= {f"read.col.{f}" for f in TABLE_FIELDS}
    used |= {f"app.page.{slug}" for slug in ("build", "read", "generate", "compare", "tags", "library")}
    assert len(used) > 150
    assert sorted(k for k in used if k not in catalog()) == []


def test_chinese_catalogs_are_translated():
    """Every zh text differs from the English one, except names and prompt examples."""
    same = sorted(k for k in catalog() if k.split(".")[0] in ("app", "build", "read", "tags", "library")
                  and t(k, "zh") == t(k, "en"))
    assert all(k.startswith(("build.fmt.", "build.tpl.", "build.prompt_ph", "build.negative_ph", "tags.fmt.wd14",
                             "read.col.cfg"))
               for k in same), same


def test_frame_runs_the_build_page_with_sidebar_status(app_test):
    at = app_test("app.py").run()
    assert not at.exception
    assert at.title[0].value == "Build a prompt"
    at.run()  # the tag count is computed in the background: the first paint never waits for it
    side = "\n".join(m.value for m in at.sidebar.markdown)
    assert re.search(r"Tag database: \*\*[\d,]{3,}\*\* tags", side)
    assert "Models: 0 checkpoints" in side
    # what is missing comes with the command that fixes it
    assert any("Stable-diffusion" in c.value for c in at.sidebar.code)


@pytest.mark.parametrize("page", PAGE_FILES, ids=[Path(p).stem for p in PAGE_FILES])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_page_runs_in_both_languages(app_test, page, lang):
    at = app_test("app.py", lang=lang).run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    if lang == "zh" and Path(page).stem in ("build", "read", "tags", "library"):
        assert CJK.search(texts(at))


@pytest.mark.parametrize("page", ["app_pages/build.py", "app_pages/read.py", "app_pages/tags.py", "app_pages/library.py"])
def test_switching_language_changes_the_page(app_test, page):
    at = app_test("app.py").run()
    at.switch_page(page).run()
    english = texts(at)
    at.button_group(key="ui.lang").set_value("zh").run()
    assert at.session_state["ui.lang"] == "zh"
    chinese = texts(at)
    assert english != chinese and CJK.search(chinese) and not CJK.search(english.replace("简体中文", ""))


def test_broken_tag_database_keeps_the_app_working(app_test, _isolated_home):
    at = app_test("app.py")
    (_isolated_home / "tags.sqlite").write_bytes(b"definitely not sqlite" * 200)
    at.run()
    assert not at.exception
    assert any("cannot be used" in e.value for e in at.error)
    at.text_area(key="build.prompt").set_value("1girl, solo").run()
    assert not at.exception
    assert any("Tokens: 4/75" in c.value for c in at.caption)


def test_no_torch_at_start_up_nor_on_the_generate_page(tmp_path):
    code = f"""
import sys, json, os
sys.path.insert(0, {str(REPO)!r})
os.chdir({str(REPO)!r})
os.environ["PROMPTLAB_HOME"] = {str(tmp_path)!r}
from streamlit.testing.v1 import AppTest
at = AppTest.from_file("app.py", default_timeout=120).run()
seen = {{"start": "torch" in sys.modules}}
at.switch_page("app_pages/generate.py").run()
seen["generate"] = "torch" in sys.modules
seen["errors"] = [str(e.value) for e in at.exception]
print(json.dumps(seen))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen == {"start": False, "generate": False, "errors": []}

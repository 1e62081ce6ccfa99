"""In the Chinese UI every message is Chinese: each page and its main states are rendered with AppTest in
中文, all rendered text is collected, and no English-only catalogue string may appear in it."""

from __future__ import annotations

import re

import pytest
from app_helpers import texts

from app_pages.common import PAGES
from promptlab.i18n import catalog

PLACEHOLDER = re.compile(r"\{[^}]*\}")


def _english_only_fragments() -> dict[str, str]:
    """Literal pieces (>= 12 chars, with a word) of each English catalogue text whose Chinese differs."""
    fragments: dict[str, str] = {}
    for key, texts_ in catalog().items():
        en, zh = texts_.get("en", ""), texts_.get("zh", "")
        if not en or en == zh:
            continue
        for piece in PLACEHOLDER.split(en):
            piece = piece.strip(" .:,;()—-·*`'\"")
            if len(piece) >= 12 and re.search(r"[A-Za-z]{3}", piece) and piece not in zh:
                fragments.setdefault(piece, key)
    return fragments


def _widget_texts(at) -> list[str]:
    parts = texts(at).split("\n")
    for kind in ("selectbox", "multiselect", "radio"):
        for widget in getattr(at, kind):
            parts += [str(o) for o in widget.options]
            parts.append(str(widget.help or ""))
    for kind in ("button", "text_input", "text_area", "checkbox", "number_input", "toggle"):
        parts += [str(getattr(w, "help", "") or "") for w in getattr(at, kind)]
    parts += [str(tab.label) for tab in at.tabs]
    return parts


def leaks(at) -> list[str]:
    rendered = _widget_texts(at)
    fragments = _english_only_fragments()
    found = []
    for text in rendered:
        for piece, key in fragments.items():
            if piece in text:
                found.append(f"{key}: {piece!r} in {text[:120]!r}")
    return found


def _page(slug: str) -> str:
    return next(path for s, path, _k, _i in PAGES if s == slug)


# (id, page file, session state) — every page plus the states a new user meets first
STATES = [
    ("frame", "app.py", {}),
    *[(slug, path, {}) for slug, path, _k, _i in PAGES],
    ("generate-no-backend", _page("generate"), {"generate.backends.local": False}),
    ("compare-axis", _page("compare"), {"compare.X.type": "steps", "compare.X.values": "10, 20"}),
]


@pytest.mark.parametrize(("page", "state"), [(p, s) for _i, p, s in STATES], ids=[i for i, _p, _s in STATES])
def test_page_in_chinese_shows_no_english_catalogue_text(app_test, page, state):
    at = app_test(page, lang="zh", **{k.replace(".", "__"): v for k, v in state.items()})
    at.run()
    assert not at.exception, at.exception
    assert leaks(at) == []


def test_the_checker_finds_an_english_leak(app_test):
    """The test above can fail: the same page in English is full of catalogue text."""
    at = app_test(_page("generate"), lang="en").run()
    assert leaks(at)


def test_no_page_asks_the_catalogue_for_english_by_name():
    """A `t(key, "en")` in a page would show English in the Chinese UI whatever the switch says."""
    import pathlib

    root = pathlib.Path(__file__).resolve().parents[2] / "app_pages"
    pattern = re.compile(r"""\bt\([^()]*,\s*["']en["']""")
    offenders = [f"{path.relative_to(root)}:{n}" for path in sorted(root.rglob("*.py"))
                 for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if pattern.search(line)]
    assert offenders == []


def test_an_error_in_chinese_is_a_chinese_sentence_with_the_english_detail_below(app_test, _isolated_home):
    (_isolated_home / "library.sqlite").write_bytes(b"not a database" * 500)
    at = app_test("app_pages/library.py", lang="zh").run()
    assert not at.exception
    assert "收藏库文件已损坏" in at.error[0].value
    assert any("LibraryCorruptError" in c.value for c in at.code)   # the English detail, in the expander
    assert leaks(at) == []

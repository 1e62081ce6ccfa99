"""Build page (AppTest): full-width IME punctuation is flagged, translated, and fixed in one click."""

from __future__ import annotations

import pytest
from app_helpers import texts

from promptlab.i18n import t

PAGE = "app_pages/build.py"

CASES = [
    ("en", "（smile：1.2）, 1girl，【red】", "(smile:1.2), 1girl,[red]"),
    ("zh", "1girl, （blue eyes）", "1girl, (blue eyes)"),
]


@pytest.mark.parametrize(("lang", "typed", "fixed"), CASES, ids=["en_weight_and_brackets", "zh_emphasis"])
def test_fullwidth_warning_and_fix_button(app_test, lang, typed, fixed):
    at = app_test(PAGE, lang=lang, build__prompt=typed).run()
    assert not at.exception
    label = t("syntax.fullwidth.fix", lang)
    assert t("syntax.fullwidth.warning", lang, examples="").split("（")[0].split("(")[0] in texts(at)
    shown = [w.value for w in at.warning]
    assert sum("Full-width" in w or "全角" in w for w in shown) == 1  # once, not again as a syntax warning
    button = next(b for b in at.button if b.label == label)
    button.click().run()
    assert not at.exception
    assert at.text_area(key="build.prompt").value == fixed
    assert all(b.label != label for b in at.button)  # nothing left to fix


def test_plain_colon_text_is_not_flagged(app_test):
    at = app_test(PAGE, build__prompt="re：zero, 1girl").run()  # a top-level colon is text for A1111 too
    assert not at.exception
    assert all(b.label != t("syntax.fullwidth.fix", "en") for b in at.button)

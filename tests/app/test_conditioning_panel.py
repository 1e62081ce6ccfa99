"""The Build page's OpenCLIP token note (SD2 / SDXL's second encoder unescape HTML entities)."""

from __future__ import annotations

import pytest

from promptlab.i18n import t


@pytest.mark.parametrize(("text", "lang", "counter"), [
    ("&amp pepper", "en", "2/75"), ("&amp pepper", "zh", "2/75"),
    ("salt & pepper", "en", None), ("a cat, masterpiece", "en", None), ("salt &amp; pepper", "en", None),
], ids=["entity-en", "entity-zh", "bare-ampersand", "plain", "ftfy-unescapes-too"])
def test_openclip_note_only_when_encoders_differ(text, lang, counter):
    from app_pages.components.conditioning_panel import openclip_token_note

    note = openclip_token_note(text, lang)
    assert note == (None if counter is None else t("cond.tokens.encoders_differ", lang, counter=counter))


@pytest.mark.parametrize("lang", ["en", "zh"], ids=["en", "zh"])
def test_hypernet_warning_is_shown_in_the_ui_language(lang):
    from app_pages.components.conditioning_panel import localized_warning
    from promptlab.backend.hypernetworks import hypernetwork_warning

    english = hypernetwork_warning(("anime", "style two"))
    assert localized_warning(english, lang) == hypernetwork_warning(("anime", "style two"), lang)
    assert localized_warning("something else", lang) == "something else"


@pytest.mark.parametrize(("key", "fmt"), [
    ("cond.warn.clip_skip_sdxl", {}),
    ("cond.warn.clip_skip_sd2", {}),
    ("cond.warn.sdxl_windows", {"text": "'&amp &amp &amp'"}),
    ("cond.warn.embedding_skipped", {"name": "'wide'", "dims": "{'clip': 768}", "want": "clip=32"}),
    ("cond.warn.and_first_part", {"part": "'a cat'", "n": "2"}),
    ("cond.warn.trailing_weight", {"weight": "1.5"}),
], ids=["clip-skip-sdxl", "clip-skip-sd2", "sdxl-windows", "embedding", "and", "trailing-weight"])
def test_conditioning_warnings_are_translated(key, fmt):
    from app_pages.components.conditioning_panel import localized_warning

    assert localized_warning(t(key, "en", **fmt), "zh") == t(key, "zh", **fmt)
    assert localized_warning(t(key, "en", **fmt), "en") == t(key, "en", **fmt)


def test_real_sdxl_clip_skip_warning_is_translated(tmp_path_factory):
    from app_pages.components.conditioning_panel import localized_warning
    from promptlab.backend.conditioning import build_conditioning
    from tests.backend.test_conditioning import make_pipe

    cond = build_conditioning(make_pipe("sdxl", tmp_path_factory), "a cat", "", steps=4, clip_skip=2)
    assert [localized_warning(w, "zh") for w in cond.warnings] == [t("cond.warn.clip_skip_sdxl", "zh")]

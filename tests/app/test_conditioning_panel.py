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

"""Warning and one-click Fix for full-width IME punctuation in a prompt field (Build page)."""

from __future__ import annotations

import streamlit as st

from promptlab.i18n import t
from promptlab.syntax.fullwidth import fix_fullwidth, fullwidth_spans


def fullwidth_fix(key: str, lang: str) -> None:
    """When the text in ``st.session_state[key]`` holds full-width syntax, warn and offer Fix."""
    text = st.session_state.get(key, "")
    if text.isascii():
        return
    spans = fullwidth_spans(text)
    if not spans:
        return
    examples = ", ".join(f"{text[s.start:s.end]} → {s.replacement}" for s in spans[:3])
    if len(spans) > 3:
        examples += ", …"
    st.warning(t("syntax.fullwidth.warning", lang, examples=examples), icon=":material/keyboard:")
    st.button(t("syntax.fullwidth.fix", lang), key=f"{key}.fix_fullwidth", on_click=_fix, args=(key, lang))


def _fix(key: str, lang: str) -> None:
    # a callback runs before the widgets are drawn again, so the text area may be rewritten here
    st.session_state[key] = fix_fullwidth(st.session_state.get(key, ""))
    st.toast(t("syntax.fullwidth.fixed", lang))

"""Build page: save the prompt to the library. Enter in a field and then the Save button submit the
form twice; the library returns the first save for the second (same name, same text), so it saves once.
A name that exists with another text asks before overwriting."""

from __future__ import annotations

import streamlit as st

from app_pages.common import library, show_error
from promptlab.errors import PromptlabError
from promptlab.i18n import t
from promptlab.library import PromptExistsError

CONFLICT = "build.save_conflict"   # the name that exists, while the overwrite question is open


def _save(lang: str, if_exists: str) -> None:
    state = st.session_state
    name = (state.get("build.save_name") or "").strip()
    if not name:
        st.error(t("build.save_need_name", lang))
        return
    try:
        lib = library()
        saved = lib.save_prompt(name, state["build.prompt"], state["build.negative"],
                                labels=(state.get("build.save_labels") or "").split(","),
                                favorite=bool(state.get("build.save_fav")), if_exists=if_exists)
        lib.add_history(saved.prompt, saved.negative_prompt, source="build")
    except PromptExistsError:
        state[CONFLICT] = name
        return
    except PromptlabError as exc:
        show_error(exc, lang)
        return
    state.pop(CONFLICT, None)
    st.success(t("build.saved", lang, name=saved.name))


def render(lang: str) -> None:
    with st.form("build.save_form", border=False):
        st.text_input(t("build.save_name", lang), key="build.save_name")
        st.text_input(t("build.save_labels", lang), key="build.save_labels", help=t("library.labels_help", lang))
        st.checkbox(t("build.save_favorite", lang), key="build.save_fav")
        submitted = st.form_submit_button(t("build.save_go", lang))
    if submitted:
        st.session_state.pop(CONFLICT, None)
        _save(lang, "ask")
    conflict = st.session_state.get(CONFLICT)
    if conflict and conflict == (st.session_state.get("build.save_name") or "").strip():
        st.warning(t("build.save_exists", lang, name=conflict))
        if st.button(t("build.save_overwrite", lang), key="build.save_overwrite", type="primary"):
            _save(lang, "overwrite")

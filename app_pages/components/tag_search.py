"""Search-as-you-type over the tag database, confined to an ``st.fragment`` so a keystroke reruns
only the search box (the full page reruns once, when a tag is picked)."""

from __future__ import annotations

from functools import partial
from typing import Any

import streamlit as st

from app_pages.components.prompt_tools import CATEGORY_DOT, hit_label
from promptlab.i18n import t

SEARCH_KEY = "build.search"
CATEGORIES_KEY = "build.cats"
TO_ADD_KEY = "build.to_add"          # list of (field, tag name) applied at the top of the next run
TARGET_KEY = "build.target"          # "prompt" | "negative"
SUGGESTIONS = 12
FILTER_CATEGORIES = (0, 1, 3, 4, 5)


def suggest(db: Any, lang: str, term: str, categories: list[int] | None = None) -> list[tuple[str, str]]:
    """(label, tag name) suggestions for the search box."""
    term = term.strip()
    if not term or db is None:
        return []
    hits = db.search(term, limit=SUGGESTIONS, categories=categories or None)
    return [(hit_label(hit, lang), hit.tag.name) for hit in hits]


def queue_tag(name: str, field: str | None = None) -> None:
    """Ask the page to add a tag to the prompt (or negative) at the top of the next run."""
    target = field or st.session_state.get(TARGET_KEY, "prompt")
    st.session_state.setdefault(TO_ADD_KEY, []).append((target, name))


def _picked(name: Any) -> None:
    if not name:
        return
    queue_tag(str(name))
    st.session_state.pop(SEARCH_KEY, None)  # a fresh, empty box after the pick
    st.rerun(scope="app")


def _search_in(db: Any, lang: str, term: str) -> list[tuple[str, str]]:
    from app_pages.common import tag_index_ready

    # Never block typing on the first build of the search index (seconds on 150k tags): a long
    # fragment run makes the browser rebuild the box and lose what is being typed.
    if db is not None and term.strip() and not tag_index_ready(db, wait=0.2):
        st.session_state["build.search_note"] = t("build.indexing", lang)
        return []
    try:
        return suggest(db, lang, term, st.session_state.get(CATEGORIES_KEY))
    except Exception as exc:  # a damaged database must not break typing; say why in the page
        st.session_state["build.search_error"] = f"{type(exc).__name__}: {exc}"
        return []


@st.fragment
def search_box(db: Any, lang: str) -> None:
    from streamlit_searchbox import st_searchbox

    c1, c2 = st.columns([5, 2], vertical_alignment="bottom")
    with c1:
        st_searchbox(
            partial(_search_in, db, lang),
            placeholder=t("build.search_ph", lang),
            label=t("build.search", lang),
            key=SEARCH_KEY,
            rerun_scope="fragment",
            submit_function=_picked,
            debounce=60,
            style_overrides={"searchbox": {"optionEmpty": "hidden"}},
        )
    with c2:
        st.radio(t("build.add_to", lang), options=["prompt", "negative"], key=TARGET_KEY, horizontal=True,
                 format_func=lambda f: t(f"build.field.{f}", lang))
    st.pills(t("build.categories", lang), options=list(FILTER_CATEGORIES), selection_mode="multi",
             key=CATEGORIES_KEY, format_func=lambda c: f"{CATEGORY_DOT[c]} {t(f'build.cat.{c}', lang)}")
    if st.session_state.get("build.search_note"):
        st.caption(st.session_state.pop("build.search_note"))
    if st.session_state.get("build.search_error"):
        st.error(t("build.search_failed", lang, error=st.session_state.pop("build.search_error")))

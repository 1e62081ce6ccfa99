"""Search-as-you-type over the tag database.

The box is our own small Streamlit v2 component (``tag_search.js``, drawn in the page, no iframe).
Typing asks the app server's search endpoint directly (``app_pages/search_api.py``, mounted by
``app_server.py``, which ``make run`` serves): no script rerun per keystroke. Where that endpoint is
not served (a plain ``streamlit run app.py``) the box sends its query as component state and this
fragment answers it — slower, but the same suggestions. Picking a tag reruns the whole page once.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import streamlit as st

from app_pages.components.prompt_tools import CATEGORY_DOT, hit_label
from promptlab.i18n import t

SEARCH_KEY = "build.search"
CATEGORIES_KEY = "build.cats"
TO_ADD_KEY = "build.to_add"          # list of (field, text, kind) applied at the top of the next run
TARGET_KEY = "build.target"          # "prompt" | "negative"
SUGGESTIONS = 12
MAX_SUGGESTIONS = 50
MAX_QUERY_CHARS = 200
STATE_MODE_INDEX_WAIT_S = 15.0   # a full 150k list builds in ~5 s; the starter set in under a second
FILTER_CATEGORIES = (0, 1, 3, 4, 5, 8)  # 8: SD vocabulary (tagdb.Category.SD)
HERE = Path(__file__).resolve().parent


def suggest(db: Any, lang: str, term: str, categories: list[int] | None = None,
            limit: int = SUGGESTIONS) -> list[tuple[str, str]]:
    """(label, tag name) suggestions for the search box."""
    term = term.strip()
    if not term or db is None:
        return []
    hits = db.search(term, limit=limit, categories=categories or None)
    return [(hit_label(hit, lang), hit.tag.name) for hit in hits]


def answer(term: str, lang: str, categories: list[int] | None = None, limit: int = SUGGESTIONS, *,
           wait: float = 0.2) -> dict:
    """What the box shows for ``term``: {"query", "items": [{"label", "name"}], "ready", "error"}.

    Safe outside a script run (the search endpoint calls it): it touches no session state. Never
    blocks on the first build of the search index (seconds on 150k tags) for more than ``wait`` seconds:
    ``ready`` is False then, and the box (endpoint mode) asks again."""
    from app_pages.common import shared_tag_db, tag_index_ready

    term = term.strip()[:MAX_QUERY_CHARS]
    out: dict[str, Any] = {"query": term, "items": [], "ready": True, "error": None}
    if not term:
        return out
    try:
        db = shared_tag_db()
        if not tag_index_ready(db, wait=wait):
            out["ready"] = False
            return out
        limit = max(1, min(int(limit), MAX_SUGGESTIONS))
        out["items"] = [{"label": label, "name": name} for label, name in suggest(db, lang, term, categories, limit)]
    except Exception as exc:  # a damaged database must not break typing; say why under the box
        out["error"] = t("build.search_failed", lang, error=f"{type(exc).__name__}: {exc}")
    return out


def queue_tag(name: str, field: str | None = None, *, kind: str = "tag") -> None:
    """Ask the page to add a tag to the prompt (or negative) at the top of the next run.

    ``kind="tag"``: a tag name, written the prompt's way (spaces, escaped brackets); ``kind="text"``:
    what the user typed and entered without picking a suggestion, added as it is."""
    target = field or st.session_state.get(TARGET_KEY, "prompt")
    st.session_state.setdefault(TO_ADD_KEY, []).append((target, name, kind))


@cache
def _component() -> Any:
    """The box, registered once per process (registering again would replace it for every session)."""
    return st.components.v2.component(
        "promptlab.tag_search",
        js=(HERE / "tag_search.js").read_text(encoding="utf-8"),
        css=(HERE / "tag_search.css").read_text(encoding="utf-8"),
    )


def _pending_query() -> str:
    """The query the box sent as state (only where the search endpoint is not served)."""
    state = st.session_state.get(SEARCH_KEY)
    query = state.get("query") if hasattr(state, "get") else None
    return query if isinstance(query, str) else ""


@st.fragment
def search_box(lang: str) -> None:
    from app_pages.search_api import endpoint_path

    categories = [int(c) for c in st.session_state.get(CATEGORIES_KEY) or []]
    data: dict[str, Any] = {
        "endpoint": endpoint_path(), "lang": lang, "categories": categories, "limit": SUGGESTIONS,
        "label": t("build.search", lang), "placeholder": t("build.search_ph", lang),
        "indexingText": t("build.indexing", lang), "results": None,
    }
    query = _pending_query()
    if query:
        # without the endpoint the box cannot ask again by itself (the same query is no new state):
        # this fragment rerun waits for a first index build instead of answering "not ready"
        data["results"] = answer(query, lang, categories, wait=STATE_MODE_INDEX_WAIT_S)

    c1, c2 = st.columns([5, 2], vertical_alignment="bottom")
    with c1:
        # data goes as a one-item list: Streamlit scans a dict's values for dataframes, which
        # imports pandas (~0.7 s of the first page after every server start)
        result = _component()(key=SEARCH_KEY, data=[data], on_query_change=lambda: None,
                              on_picked_change=lambda: None, on_typed_change=lambda: None)
    with c2:
        # a segmented control, not st.radio: Streamlit's radio drew no option checked after a language
        # switch (same key, new option labels), though its value was kept
        st.session_state.setdefault(TARGET_KEY, "prompt")
        st.segmented_control(t("build.add_to", lang), options=["prompt", "negative"], key=TARGET_KEY, required=True,
                             format_func=lambda f: t(f"build.field.{f}", lang))
    st.pills(t("build.categories", lang), options=list(FILTER_CATEGORIES), selection_mode="multi",
             key=CATEGORIES_KEY, format_func=lambda c: f"{CATEGORY_DOT[c]} {t(f'build.cat.{c}', lang)}")
    for kind, value in (("tag", getattr(result, "picked", None)), ("text", getattr(result, "typed", None))):
        if isinstance(value, str) and value.strip():
            queue_tag(value.strip()[:MAX_QUERY_CHARS], kind=kind)
            st.rerun(scope="app")

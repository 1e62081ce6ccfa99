"""Build page: search and browse tags, edit the prompt as text or chips, count tokens, save, send on."""

from __future__ import annotations

import streamlit as st

from app_pages.common import PAGES, lang, library, show_error, tag_db, tag_db_error, tag_db_usable, tag_index_ready
from app_pages.components import build_panels as panels
from app_pages.components import save_panel
from app_pages.components.fullwidth_fix import fullwidth_fix
from app_pages.components.prompt_tools import add_to_prompt, tag_to_prompt
from app_pages.components.tag_search import TO_ADD_KEY, search_box
from promptlab.errors import PromptlabError
from promptlab.i18n import t
from promptlab.params import GenerationParams

L = lang()
FIELDS = {"prompt": "build.prompt", "negative": "build.negative"}
CHIPS_INDEX_WAIT_S = 2.0
PAGE = dict((slug, path) for slug, path, _k, _i in PAGES)

# 1. hand-offs from other pages and queued edits, applied before any widget is drawn
pending = st.session_state.pop("build.pending", None)
if pending:
    st.session_state["build.prompt"] = pending.get("prompt", "")
    st.session_state["build.negative"] = pending.get("negative_prompt", "")
    st.toast(t("build.received", L))
for field, key in FIELDS.items():
    st.session_state.setdefault(key, "")
for field, name, *kind in st.session_state.pop(TO_ADD_KEY, []):
    key = FIELDS.get(field, "build.prompt")
    text = name if kind == ["text"] else tag_to_prompt(name, underscores=st.session_state.get("build.underscores", False))
    new_text, added = add_to_prompt(st.session_state[key], text)
    st.session_state[key] = new_text
    if not added:
        st.toast(t("build.already_there", L, tag=name))

st.title(t("build.title", L))
# Messages go into a slot that always exists: the elements above the search box must not change
# from one run to the next, or the browser remounts the box and loses what is being typed.
notice = st.container()

# 2. the tag database (the page still works without it: text editing, tokens, conversion)
db = tag_db()
if db is None or not tag_db_usable(db):
    notice.error(t("app.tagdb.unavailable", L, path="tags.sqlite", error=tag_db_error()))
    db = None
# chip colours and tag checks need the search index; with no chips to show, do not wait for it. With chips,
# wait for a small database's build (the starter set's takes ~0.4 s, more on a busy machine); a full list
# takes seconds and shows the "indexing" note instead
has_chips = any(st.session_state[key].strip() for key in FIELDS.values())
indexed = db if db is not None and tag_index_ready(db, wait=CHIPS_INDEX_WAIT_S if has_chips else 0.0) else None
if db is not None and indexed is None and has_chips:
    notice.caption(t("build.indexing", L))
search_box(L)

left, right = st.columns([3, 2], gap="large")
with left:
    for field, key in FIELDS.items():
        st.text_area(t(f"build.field.{field}", L), key=key, height=110 if field == "prompt" else 80,
                     on_change=panels.clear_selection, args=(field,), placeholder=t(f"build.{field}_ph", L))
        panels.chips(field, key, indexed, L)
        panels.token_counter(st.session_state[key], L, positive=field == "prompt")
        panels.syntax_warnings(st.session_state[key], L)
        fullwidth_fix(key, L)  # full-width （：） typed with an IME: warning + one-click Fix
    panels.tag_warnings(indexed, L)

    a1, a2, a3 = st.columns(3)
    with a1.popover(t("build.copy", L), icon=":material/content_copy:"):
        st.caption(t("build.copy_help", L))
        st.code(st.session_state["build.prompt"] or " ", language=None, wrap_lines=True)
        st.code(st.session_state["build.negative"] or " ", language=None, wrap_lines=True)
    with a2.popover(t("build.save", L), icon=":material/bookmark_add:"):
        save_panel.render(L)   # saves once per submit; asks before overwriting a name that exists
    if a3.button(t("build.to_generate", L), icon=":material/send:", key="build.to_generate", type="primary"):
        prompt, negative = st.session_state["build.prompt"], st.session_state["build.negative"]
        try:
            library().add_history(prompt, negative, source="build")
        except PromptlabError as exc:  # history is a convenience: a broken library must not block generating
            show_error(exc, L, warning=True)
        previous = st.session_state.get("generate.pending")
        base = previous if isinstance(previous, GenerationParams) else GenerationParams()
        st.session_state["generate.pending"] = base.with_(prompt=prompt, negative_prompt=negative)
        st.switch_page(PAGE["generate"])

with right:
    # Lazy tabs: only the open one is computed (the wildcards panel and taxonomy cost time).
    panes = (("browse", lambda: panels.taxonomy(db, L)), ("templates", lambda: panels.templates(L)),
             ("presets", lambda: panels.presets(db, L)), ("convert", lambda: panels.convert(L)),
             ("variants", lambda: panels.variants(L)))
    tabs = st.tabs([t(f"build.tab.{name}", L) for name, _ in panes], key="build.tab", on_change="rerun")
    for tab, (_name, render) in zip(tabs, panes):
        if tab.open:
            with tab:
                render()
    st.toggle(t("build.underscores", L), key="build.underscores", help=t("build.underscores_help", L))

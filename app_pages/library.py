"""Library page: saved prompts, favorites, history and generations; export and import as JSON."""

from __future__ import annotations

import time

import streamlit as st

from app_pages.common import LIBRARY_PATH_KEY, PAGES, lang, library, show_error
from promptlab.errors import PromptlabError
from promptlab.i18n import t
from promptlab.library import LibraryCorruptError, default_library_path, quarantine
from promptlab.params import GenerationParams

L = lang()
PAGE = dict((slug, path) for slug, path, _k, _i in PAGES)
st.title(t("library.title", L))

with st.expander(t("library.settings", L)):
    path_value = st.text_input(t("library.path", L), value=st.session_state.get(LIBRARY_PATH_KEY) or str(default_library_path()),
                               key="library.path_input", help=t("library.path_help", L))
    if st.button(t("library.path_apply", L), key="library.path_apply"):
        st.session_state[LIBRARY_PATH_KEY] = path_value.strip()
        st.rerun()

lib = library()
st.caption(t("library.file", L, path=lib.path))


def _send_to_build(prompt: str, negative: str) -> None:
    st.session_state["build.pending"] = {"prompt": prompt, "negative_prompt": negative}
    st.switch_page(PAGE["build"])


def _send_to_generate(prompt: str, negative: str, params: str | None) -> None:
    base = GenerationParams.from_infotext(params) if params and hasattr(GenerationParams, "from_infotext") else GenerationParams()
    st.session_state["generate.pending"] = base.with_(prompt=prompt, negative_prompt=negative)
    st.switch_page(PAGE["generate"])


# A damaged or locked library: say so and draw nothing else (no st.stop: app.py draws the sidebar
# after the page).
usable = True
try:
    lib.labels()
except LibraryCorruptError as exc:
    usable = False
    show_error(exc, L)
    if st.button(t("library.quarantine", L), key="library.quarantine", type="primary"):
        moved = quarantine(lib.path)
        st.success(t("library.quarantined", L, path=moved))
except PromptlabError as exc:
    usable = False
    show_error(exc, L)



def _render() -> None:
    tab_saved, tab_history, tab_gens, tab_io = st.tabs(
        [t("library.tab.saved", L), t("library.tab.history", L), t("library.tab.generations", L), t("library.tab.io", L)],
        key="library.tab", on_change="rerun",   # the open tab survives a language switch (common.TAB_KEYS)
    )

    with tab_saved:
        c1, c2, c3 = st.columns([3, 2, 1], vertical_alignment="bottom")
        query = c1.text_input(t("library.search", L), key="library.query", placeholder=t("library.search_ph", L))
        labels = lib.labels()
        label = c2.selectbox(t("library.label_filter", L), options=["", *labels], key="library.label",
                             format_func=lambda x: x or t("library.all_labels", L))
        favorites_only = c3.toggle(t("library.favorites_only", L), key="library.favs")
        rows = lib.prompts(query, label=label or None, favorites_only=favorites_only)
        if not rows:
            st.info(t("library.empty", L))
        for row in rows:
            star = "★ " if row.favorite else ""
            with st.expander(f"{star}{row.name}" + (f"  ·  {', '.join(row.labels)}" if row.labels else "")):
                st.code(row.prompt or " ", language=None, wrap_lines=True)
                if row.negative_prompt:
                    st.caption(t("library.negative", L))
                    st.code(row.negative_prompt, language=None, wrap_lines=True)
                with st.form(f"library.edit.{row.id}", border=False):
                    e1, e2 = st.columns(2)
                    new_name = e1.text_input(t("library.name", L), value=row.name, key=f"library.name.{row.id}")
                    new_labels = e2.text_input(t("library.labels", L), value=", ".join(row.labels), key=f"library.labels.{row.id}",
                                               help=t("library.labels_help", L))
                    if st.form_submit_button(t("library.save_changes", L)):
                        try:
                            lib.update(row.id, name=new_name, labels=[x for x in new_labels.split(",")])
                            st.rerun()
                        except PromptlabError as exc:
                            show_error(exc, L)
                b1, b2, b3, b4 = st.columns(4)
                if b1.button(t("library.unfavorite", L) if row.favorite else t("library.favorite", L), key=f"library.fav.{row.id}"):
                    lib.set_favorite(row.id, not row.favorite)
                    st.rerun()
                if b2.button(t("library.to_build", L), key=f"library.build.{row.id}"):
                    _send_to_build(row.prompt, row.negative_prompt)
                if b3.button(t("library.to_generate", L), key=f"library.gen.{row.id}"):
                    _send_to_generate(row.prompt, row.negative_prompt, row.params)
                with b4.popover(t("library.delete", L)):
                    st.write(t("library.delete_confirm", L, name=row.name))
                    if st.button(t("library.delete_yes", L), key=f"library.del.{row.id}", type="primary"):
                        lib.delete(row.id)
                        st.rerun()

    with tab_history:
        h_query = st.text_input(t("library.search", L), key="library.h_query")
        entries = lib.history(h_query)
        if not entries:
            st.info(t("library.history_empty", L))
        for entry in entries:
            c1, c2, c3 = st.columns([8, 1, 1], vertical_alignment="center")
            c1.code(entry.prompt + (f"\n-- {entry.negative_prompt}" if entry.negative_prompt else ""), language=None, wrap_lines=True)
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(entry.created))
            c2.caption(f"{t(f'library.source.{entry.source}', L)} · {when}")
            if c3.button(t("library.to_build", L), key=f"library.hbuild.{entry.id}"):
                _send_to_build(entry.prompt, entry.negative_prompt)
        if entries and st.button(t("library.clear_history", L), key="library.clear_history"):
            lib.clear_history()
            st.rerun()

    with tab_gens:
        gens = lib.generations()
        if not gens:
            st.info(t("library.generations_empty", L))
        for gen in gens:
            c1, c2 = st.columns([1, 3])
            if gen.image_path:
                try:
                    c1.image(gen.image_path, width=160)
                except (OSError, ValueError, st.errors.StreamlitAPIException):
                    c1.caption(t("library.image_missing", L, path=gen.image_path))
            c2.code(gen.params, language=None, wrap_lines=True)

    with tab_io:
        st.download_button(t("library.export", L), data=lib.export_json(), file_name="promptlab-library.json",
                           mime="application/json", key="library.export")
        upload = st.file_uploader(t("library.import", L), type=["json"], key="library.import_file")
        policy = st.radio(t("library.on_conflict", L), options=["skip", "duplicate"], horizontal=True,
                          format_func=lambda p: t(f"library.conflict.{p}", L), key="library.policy")
        if upload is not None and st.button(t("library.import_go", L), key="library.import_go"):
            try:
                report = lib.import_json(upload.getvalue(), on_conflict=policy)
                st.success(t("library.imported", L, added=report.added, skipped=report.skipped,
                             history=report.history_added, gens=report.generations_added))
            except PromptlabError as exc:
                show_error(exc, L)


try:
    if usable:
        _render()
except PromptlabError as exc:  # locked or damaged mid-session: say so; the file is left as it was
    show_error(exc, L)

"""Read page: drop images, see their generation metadata, send the prompt on."""

from __future__ import annotations

import importlib.util

import streamlit as st

from app_pages.common import PAGES, lang, library, show_error
from app_pages.components import img2img_panel
from app_pages.components.read_view import (
    MAX_IMAGE_MB, UploadProblem, metadata_table, read_upload, show_image, show_problem,
)
from promptlab.errors import PromptlabError
from promptlab.i18n import t

L = lang()
PAGE = dict((slug, path) for slug, path, _k, _i in PAGES)
st.title(t("read.title", L))

uploads = st.file_uploader(t("read.upload", L, mb=MAX_IMAGE_MB), accept_multiple_files=True, key="read.files",
                           help=t("read.upload_help", L))
results = []
for upload in uploads or []:
    outcome = read_upload(upload, L)
    if isinstance(outcome, UploadProblem):
        show_problem(outcome, L)
    else:
        results.append(outcome)

if results:
    st.dataframe(metadata_table(results, L), hide_index=True, width="stretch")
    # newest upload first, and the one shown open (the uploader lists files in upload order)
    for i, (name, data, meta) in reversed(list(enumerate(results))):
        action = show_image(i, name, data, meta, L, expanded=i == len(results) - 1)
        if img2img_panel.send_button(L, data, name, key=f"read.to_img2img.{i}", params=meta.params):
            st.switch_page(PAGE["generate"])
        if action is None:
            continue
        kind, prompt, negative, params = action
        try:
            library().add_history(prompt, negative, source="read")
        except PromptlabError as exc:  # history is a convenience; never block the hand-off
            show_error(exc, L, warning=True)
        if kind == "build":
            st.session_state["build.pending"] = {"prompt": prompt, "negative_prompt": negative}
            st.switch_page(PAGE["build"])
        else:
            st.session_state["generate.pending"] = params.with_(prompt=prompt, negative_prompt=negative)
            st.switch_page(PAGE["generate"])
elif not uploads:
    st.info(t("read.empty", L))

from app_pages.components import upscale_panel  # noqa: E402

upscale_panel.render(L, [(name, data) for name, data, _meta in results])

if importlib.util.find_spec("app_pages.components.interrogate_panel") is not None:
    from app_pages.components import interrogate_panel

    st.divider()
    interrogate_panel.render(L)

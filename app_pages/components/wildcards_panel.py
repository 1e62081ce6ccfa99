"""Build page panel: preview N expansions of the prompt with their seeds; browse and edit wildcard files."""

from __future__ import annotations

import streamlit as st

from app_pages.common import show_error
from promptlab.errors import PromptlabError
from promptlab.i18n import t
from promptlab.wildcards import (
    BraceMode,
    WildcardSource,
    count_combinations,
    default_wildcard_folder,
    detect_brace_mode,
    expand,
    list_wildcard_files,
    read_wildcard_file,
    write_wildcard_file,
)

_MODES = (BraceMode.AUTO, BraceMode.VARIANTS, BraceMode.NOVELAI)


def brace_mode(lang: str, prompt: str, key: str = "build.wildcards.mode") -> BraceMode:
    """The reading of {…} chosen for this prompt, with the active reading shown (never silent)."""
    mode = st.radio(
        t("wildcards.mode", lang),
        _MODES,
        format_func=lambda m: t(f"wildcards.mode.{m.value}", lang),
        horizontal=True,
        key=key,
    )
    detection = detect_brace_mode(prompt)
    if mode is BraceMode.AUTO and detection.ambiguous:
        st.warning(t("wildcards.ambiguous", lang, reason=detection.reason))
    elif detection.groups:
        active = mode if mode is not BraceMode.AUTO else detection.mode
        st.caption(t("wildcards.active", lang, mode=t(f"wildcards.mode.{active.value}", lang), reason=detection.reason))
    return mode


def render(lang: str, prompt: str, negative_prompt: str = "") -> None:
    with st.expander(t("wildcards.title", lang), expanded=False):
        folder = default_wildcard_folder()
        mode = brace_mode(lang, prompt)
        _preview(lang, prompt, negative_prompt, mode)
        _files(lang, folder)


def _preview(lang: str, prompt: str, negative: str, mode: BraceMode) -> None:
    cols = st.columns(3)
    count = cols[0].number_input(t("wildcards.count", lang), 1, 100, 5, key="build.wildcards.count")
    seed = cols[1].number_input(t("wildcards.seed", lang), -1, 2**32 - 1, -1, key="build.wildcards.seed")
    combinatorial = cols[2].toggle(t("wildcards.combinatorial", lang), key="build.wildcards.all")
    try:
        source = WildcardSource.from_paths(None)   # models/wildcards, read once for count and expand
        total = count_combinations(prompt, mode=mode, wildcards=source)
        st.caption(t("wildcards.combinations", lang, count=f"{total:,}"))
        if total <= 1 and "__" not in prompt and not negative:
            st.caption(t("wildcards.none", lang))
            return
        if combinatorial:
            rows = expand(prompt, negative=negative, mode=mode, combinatorial=True, max_count=10_000,
                          wildcards=source)[: int(count)]
        else:
            rows = expand(prompt, negative=negative, mode=mode, count=int(count), seed=int(seed), wildcards=source)
    except PromptlabError as exc:
        show_error(exc, lang, sentence=t("wildcards.error", lang))
        return
    st.dataframe(
        [
            {
                t("wildcards.col.seed", lang): "" if e.seed is None else e.seed,
                t("wildcards.col.prompt", lang): e.prompt,
                **({t("wildcards.col.negative", lang): e.negative_prompt} if negative else {}),
            }
            for e in rows
        ],
        hide_index=True,
        width="stretch",
    )


def _files(lang: str, folder) -> None:
    st.markdown(f"**{t('wildcards.files', lang)}** — {t('wildcards.folder', lang, path=folder)}")
    files = list_wildcard_files(folder)
    names = [f.path.relative_to(folder).as_posix() for f in files]
    if not names:
        st.caption(t("wildcards.no_files", lang, path=folder))
    choice = st.selectbox(t("wildcards.pick", lang), ["", *names], key="build.wildcards.file")
    name = choice or st.text_input(t("wildcards.new_name", lang), key="build.wildcards.new")
    if not name:
        return
    try:
        current = read_wildcard_file(folder, name) if choice else ""
    except PromptlabError as exc:
        show_error(exc, lang)
        return
    text = st.text_area(t("wildcards.content", lang), current, height=160, key=f"build.wildcards.text.{name}")
    if st.button(t("wildcards.save", lang), key="build.wildcards.save"):
        try:
            write_wildcard_file(folder, name, text)
            st.success(t("wildcards.saved", lang, name=name))
        except PromptlabError as exc:
            show_error(exc, lang)

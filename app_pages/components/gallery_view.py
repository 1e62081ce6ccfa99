"""Gallery page pieces: the thumbnail grid, the detail view with its hand-offs, and the diff."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

from promptlab.gallery import ImageRecord, diff
from promptlab.gallery.thumbs import thumbnails
from promptlab.i18n import t

S = st.session_state
SELECTED = "gallery.selected"
DETAIL = "gallery.detail"
COLUMNS = 6
DETAIL_FIELDS = ("generator", "model", "model_hash", "sampler", "schedule_type", "steps", "cfg_scale", "seed",
                 "width", "height", "clip_skip", "denoising_strength", "hires_upscale", "hires_steps",
                 "hires_upscaler", "format")


def grid(records: tuple[ImageRecord, ...], lang: str) -> None:
    """Thumbnails of one page, made in a thread pool the first time and cached on disk after."""
    thumbs = thumbnails([(r.path, r.mtime_ns) for r in records])
    selected: list[int] = S.setdefault(SELECTED, [])
    for start in range(0, len(records), COLUMNS):
        cols = st.columns(COLUMNS)
        for col, rec, thumb in zip(cols, records[start:start + COLUMNS], thumbs[start:start + COLUMNS]):
            with col:
                if thumb is not None:
                    st.image(str(thumb), width="stretch")
                else:
                    st.caption(t("gallery.no_thumb", lang))
                st.caption(f"{rec.file_name} · {rec.seed if rec.seed is not None else '-'}")
                st.checkbox(t("gallery.select", lang), value=rec.id in selected, key=f"gallery.sel.{rec.id}",
                            on_change=_toggle, args=(rec.id,))
                st.button(t("gallery.details", lang), key=f"gallery.det.{rec.id}", on_click=_open, args=(rec.id,))


# Callbacks run before the next script run, so the detail view and the diff button (drawn above the
# grid) already see the click.
def _toggle(row_id: int) -> None:
    selected: list[int] = S.setdefault(SELECTED, [])
    if S.get(f"gallery.sel.{row_id}"):
        if row_id not in selected:
            selected.append(row_id)
    elif row_id in selected:
        selected.remove(row_id)


def _open(row_id: int) -> None:
    S[DETAIL] = row_id
    S.pop("gallery.replay_for", None)


def detail(rec: ImageRecord, lang: str, pages: dict[str, str]) -> None:
    st.subheader(t("gallery.detail_title", lang))
    info = rec.params
    left, right = st.columns([1, 2])
    with left:
        thumb = thumbnails([(rec.path, rec.mtime_ns)])[0]
        if thumb is not None:
            st.image(str(thumb))
        st.caption(rec.path)
    with right:
        if rec.error:
            st.error(t("gallery.read_error", lang, error=rec.error))
        st.markdown(f"**{t('gallery.prompt', lang)}**")
        st.code(rec.prompt or " ", language=None, wrap_lines=True)
        st.markdown(f"**{t('gallery.negative', lang)}**")
        st.code(rec.negative or " ", language=None, wrap_lines=True)
    rows = [(name, _show(info.get(name))) for name in DETAIL_FIELDS if info.get(name) not in (None, "")]
    rows += [("LoRA", ", ".join(f"{n}:{w}" if w is not None else n for n, w in rec.loras))] if rec.loras else []
    rows += [(key, _show(value)) for key, value in (info.get("extra") or {}).items()]
    st.markdown(f"**{t('gallery.parameters', lang)}**")
    st.dataframe({t("gallery.diff_field", lang): [r[0] for r in rows], "": [r[1] for r in rows]}, hide_index=True,
                 width="stretch")
    handoff(rec, lang, pages)


def _show(value: Any) -> str:
    return "" if value is None else str(value)


def _params(rec: ImageRecord):
    from promptlab.metadata import read

    meta = read(rec.path)
    return meta, meta.params


def handoff(rec: ImageRecord, lang: str, pages: dict[str, str]) -> None:
    """Send to Build / Generate / img2img / Replay: the keys those pages read (build.pending,
    generate.pending with GenerationParams; img2img rides generate.pending's init_image)."""
    cols = st.columns(4)
    if cols[0].button(t("gallery.send_build", lang), key="gallery.to_build"):
        S["build.pending"] = {"prompt": rec.prompt, "negative_prompt": rec.negative}
        st.switch_page(pages["build"])
    if cols[1].button(t("gallery.send_generate", lang), key="gallery.to_generate"):
        _meta, p = _params(rec)
        if p is not None:
            S["generate.pending"] = p
            st.switch_page(pages["generate"])
    if cols[2].button(t("gallery.send_img2img", lang), key="gallery.to_img2img"):
        from app_pages.common import show_error
        from app_pages.components import img2img_panel
        from promptlab.errors import PromptlabError
        from promptlab.init_image import InitImage

        _meta, p = _params(rec)
        try:
            init = InitImage.from_path(rec.path)   # checks the file (an image, not too large) before sending
        except PromptlabError as exc:
            show_error(exc, lang)
        else:
            # the Generate page's img2img mode takes the image through its own hand-off key
            img2img_panel.send(S, init.data, Path(rec.path).name, p)
            st.switch_page(pages["generate"])
    if cols[3].button(t("gallery.send_replay", lang), key="gallery.to_replay"):
        S["gallery.replay_for"] = rec.id
    if S.get("gallery.replay_for") == rec.id:
        replay(rec, lang, pages)


def replay(rec: ImageRecord, lang: str, pages: dict[str, str]) -> None:
    """The replay plan (promptlab.replay): what each setting becomes here; Generate runs plan.params."""
    from promptlab.errors import PromptlabError
    from promptlab.replay import build_plan

    meta, _p = _params(rec)
    try:
        plan = build_plan(meta, backend="local")
    except PromptlabError as exc:
        st.error(str(exc))
        return
    st.json(plan.to_json(lang), expanded=False)
    if st.button(t("gallery.send_generate", lang), key="gallery.replay_generate"):
        S["generate.pending"] = plan.params
        st.switch_page(pages["generate"])


def show_diff(a: ImageRecord, b: ImageRecord, lang: str) -> None:
    """Side by side, changed fields first and marked, prompts compared tag by tag."""
    result = diff(a, b)
    st.subheader(t("gallery.diff_title", lang))
    thumbs = thumbnails([(a.path, a.mtime_ns), (b.path, b.mtime_ns)])
    for col, rec, thumb, label in zip(st.columns(2), (a, b), thumbs, "AB"):
        with col:
            if thumb is not None:
                st.image(str(thumb))
            st.caption(f"{label}: {rec.file_name}")
    changed = result.changed
    st.dataframe({t("gallery.diff_field", lang): [f.name for f in changed], "A": [_show(f.a) for f in changed],
                  "B": [_show(f.b) for f in changed]}, hide_index=True, width="stretch")
    st.caption(t("gallery.diff_same", lang, n=len(result.fields) - len(changed)))
    for key, tags in (("gallery.diff_prompt", result.prompt), ("gallery.diff_negative", result.negative)):
        st.markdown(f"**{t(key, lang)}**")
        same = ", ".join(tags.common)
        only_a = ", ".join(f":red[{_md(x)}]" for x in tags.only_a)
        only_b = ", ".join(f":green[{_md(x)}]" for x in tags.only_b)
        st.markdown(f"{_md(same)}\n\n{t('gallery.diff_only_a', lang)}: {only_a or '-'}\n\n"
                    f"{t('gallery.diff_only_b', lang)}: {only_b or '-'}")


def _md(text: str) -> str:
    """Prompt text shown literally in markdown (brackets and stars are prompt syntax here)."""
    return "".join("\\" + c if c in "\\`*_[]()<>#+-.!{}|~:$" else c for c in text)

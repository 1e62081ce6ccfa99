"""Read page pieces: checking an upload, the metadata table, one image's details and actions."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st
from PIL import Image

from app_pages.common import english_details
from app_pages.components import replay_view
from app_pages.components.prompt_tools import convert_prompt, highlight_prompt, md_escape
from app_pages.components.translated_notes import note_text, warning_text
from promptlab.i18n import t
from promptlab.params import GenerationParams

MAX_IMAGE_MB = 64  # the same limit as server.maxUploadSize in .streamlit/config.toml
TABLE_FIELDS = ("steps", "sampler", "schedule_type", "cfg_scale", "seed", "model", "clip_skip", "denoising_strength")


@dataclass(frozen=True)
class UploadProblem:
    """Why an upload is not read: a sentence in the UI language, and the reader's English reason (an expander)."""
    message: str
    detail: str = ""


def read_upload(upload: Any, lang: str) -> UploadProblem | tuple[str, bytes, Any]:
    """(name, bytes, ImageMetadata), or what is wrong with the upload (show it with show_problem)."""
    from promptlab.metadata import read

    size_mb = upload.size / (1024 * 1024)
    if size_mb > MAX_IMAGE_MB:
        return UploadProblem(t("read.too_big", lang, name=upload.name, mb=f"{size_mb:.0f}", limit=MAX_IMAGE_MB))
    data = upload.getvalue()
    meta = read(data)
    if meta.error:
        return UploadProblem(t("firsthour.read.not_image", lang, name=upload.name), str(meta.error))
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.verify()
    except (OSError, SyntaxError, ValueError) as exc:  # PIL reports broken files with these
        return UploadProblem(t("firsthour.read.not_image", lang, name=upload.name), f"{type(exc).__name__}: {exc}")
    return upload.name, data, meta


def _metadata_warnings(warnings: Any, lang: str) -> None:
    """What the readers skipped in a damaged file. Their notes are precise English (chunk names, offsets):
    in English each is shown as it is; in another language one translated sentence, the notes in an expander."""
    if not warnings:
        return
    if lang == "en":
        for warning in warnings:
            st.warning(warning)
        return
    st.warning(t("firsthour.read.metadata_warnings", lang, n=len(warnings)))
    english_details("\n".join(str(w) for w in warnings), lang)


def show_problem(problem: UploadProblem, lang: str) -> None:
    st.error(problem.message)
    if problem.detail:
        english_details(problem.detail, lang)


def _nai_source(meta: Any) -> str:
    return str(meta.details.get("nai_version", "nai3"))


def metadata_table(results: list[tuple[str, bytes, Any]], lang: str) -> pd.DataFrame:
    rows = []
    for name, _data, meta in results:
        p = meta.params
        row = {
            t("read.col.file", lang): name,
            t("read.col.generator", lang): meta.generator or t("read.none", lang),
            t("read.col.prompt", lang): p.prompt if p else "",
            t("read.col.negative", lang): p.negative_prompt if p else "",
            t("read.col.size", lang): f"{p.width}x{p.height}" if p else f"{meta.image_width}x{meta.image_height}",
        }
        for field in TABLE_FIELDS:
            row[t(f"read.col.{field}", lang)] = getattr(p, field, None) if p else None
        row[t("read.col.warnings", lang)] = len(meta.warnings)
        rows.append(row)
    frame = pd.DataFrame(rows)
    return frame.astype({c: "string" for c in frame.columns if frame[c].dtype == object})


def _params_rows(p: GenerationParams, lang: str) -> pd.DataFrame:
    defaults = GenerationParams()
    rows = [(name, getattr(p, name)) for name in GenerationParams.field_names()
            if name not in ("prompt", "negative_prompt", "extra") and getattr(p, name) is not None
            and (getattr(p, name) != getattr(defaults, name) or name in ("steps", "sampler", "cfg_scale", "seed", "width", "height"))]
    rows = [(_field_label(name, lang), value) for name, value in rows] + list(p.extra)
    return pd.DataFrame([{t("read.key", lang): k, t("read.value", lang): str(v)} for k, v in rows])


def _field_label(field: str, lang: str) -> str:
    """The settings table's row label in the UI language (A1111's English spelling where none is written)."""
    from promptlab.i18n import catalog

    for key in (f"read.field.{field}", f"read.col.{field}"):
        if key in catalog():
            return t(key, lang)
    return _label(field)


def _label(field: str) -> str:
    """A1111's spelling of a settings field ("cfg_scale" -> "CFG scale")."""
    text = field.replace("_", " ").capitalize()
    return re.sub(r"\b(Cfg|cfg)\b", "CFG", text).replace("Vae", "VAE").replace("Ensd", "ENSD").replace("Ti ", "TI ")


def show_image(i: int, name: str, data: bytes, meta: Any, lang: str, *, expanded: bool | None = None,
               ) -> tuple[str, str, str, GenerationParams] | None:
    """One image's expander (open: ``expanded``, by default the first); returns ("build"|"generate",
    prompt, negative, params) when a button was pressed."""
    from promptlab.syntax import parse

    with st.expander(f"{name} — {meta.generator or t('read.none', lang)}", expanded=i == 0 if expanded is None else expanded):
        c_img, c_meta = st.columns([1, 2])
        try:
            c_img.image(data, width="stretch")
        except (OSError, ValueError) as exc:  # pixels damaged though the header and metadata read
            c_img.warning(t("read.no_preview", lang, error=exc))
        c_img.caption(f"{meta.container or ''} {meta.image_width}x{meta.image_height}")
        p = meta.params
        with c_meta:
            _metadata_warnings(meta.warnings, lang)
            if p is None:
                st.info(t("read.no_metadata", lang))
                if meta.raw:
                    st.json(meta.raw, expanded=False)
                return None
            prompt, negative = p.prompt, p.negative_prompt
            if meta.generator == "novelai":
                src = _nai_source(meta)
                if st.toggle(t("read.convert_nai", lang), key=f"read.nai.{i}", help=t("read.convert_nai_help", lang)):
                    converted = convert_prompt(prompt, src=src, dst="a1111")
                    converted_neg = convert_prompt(negative, src=src, dst="a1111")
                    prompt, negative = converted.text, converted_neg.text
                    for note in (*converted.notes, *converted_neg.notes):
                        st.caption(f"⚠ {md_escape(note_text(note, lang))}")
            st.caption(t("read.col.prompt", lang))
            st.markdown(highlight_prompt(prompt), unsafe_allow_html=True)
            for w in parse(prompt).warnings:
                st.caption(f"⚠ {md_escape(warning_text(w, prompt, lang))} ({w.start + 1}–{w.end})")
            if negative:
                st.caption(t("read.col.negative", lang))
                st.markdown(highlight_prompt(negative), unsafe_allow_html=True)
            replay_view.show_characters(meta, lang)
            b1, b2, b3 = st.columns(3)
            to_build = b1.button(t("read.to_build", lang), key=f"read.build.{i}", icon=":material/construction:")
            to_generate = b2.button(t("read.to_generate", lang), key=f"read.gen.{i}", icon=":material/send:")
            replay = b3.toggle(t("replay.button", lang), key=f"read.replay.{i}", help=t("replay.button_help", lang))
            # every hand-off goes through the replay mapping (A1111 names, NovelAI characters, LoRA loaders)
            keep_nai = meta.generator == "novelai" and not st.session_state.get(f"read.nai.{i}", False)
            prompt, negative, mapped = replay_view.handoff(meta, prompt, negative, as_shown=keep_nai)
            tab_params, tab_info, tab_raw = st.tabs([t("read.params", lang), t("read.infotext", lang), t("read.raw", lang)])
            tab_info.code(mapped.to_infotext(), language=None, wrap_lines=True)
            tab_params.dataframe(_params_rows(p, lang), hide_index=True, width="stretch")
            if len(meta.params_list) > 1:
                tab_params.caption(t("read.more_params", lang, n=len(meta.params_list)))
            tab_raw.json(meta.raw, expanded=False)
            if replay:
                planned = replay_view.show_plan(i, meta, lang)
                if planned is not None:
                    return "generate", planned.prompt, planned.negative_prompt, planned
            if to_build:
                return "build", prompt, negative, mapped
            if to_generate:
                return "generate", prompt, negative, replay_view.for_generate(meta, mapped)
    return None

"""Interrogation on the Read page: tag uploaded images (ONNX taggers or CLIP) and caption a folder.

Loaded taggers/interrogators are immutable and shared through ``st.cache_resource``; results live
in ``st.session_state`` under ``interrogate.*``. onnxruntime/torch load only when a button is pressed.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path
from typing import Any

import streamlit as st

from app_pages.common import english_details, show_error
from app_pages.components.ray_option import caption_on_ray, ray_choice
from app_pages.components.translated_notes import tag_issue_text
from promptlab.errors import PromptlabError
from promptlab.i18n import t

K = "interrogate."


@st.cache_resource(show_spinner=False, max_entries=3)
def _tagger(folder: str, name: str | None) -> tuple[Any, str | None]:
    from promptlab.interrogate.sources import open_folder

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)
        tagger = open_folder(Path(folder), name=name)
    return tagger, "; ".join(str(w.message) for w in caught) or None


@st.cache_resource(show_spinner=False, max_entries=1)
def _clip(family: str, caption_model: str) -> Any:
    from promptlab.interrogate.clip import ClipSettings, load_interrogator

    return load_interrogator(ClipSettings.for_family(family, caption_model=caption_model))


def _tagger_choice(lang: str, key: str) -> Any | None:
    """The picked tagger, loaded; hub models load only after the user asks (they download GBs)."""
    from promptlab.interrogate import DEFAULT_TAGGER, KNOWN_TAGGERS, local_taggers

    local = local_taggers()
    options = local + [n for n in KNOWN_TAGGERS if n not in local]
    if not local:
        st.info(t("interrogate.no_tagger", lang))
    picked = st.selectbox(t("interrogate.tagger", lang), options, key=K + key + ".tagger",
                          index=0 if local else options.index(DEFAULT_TAGGER), help=t("interrogate.tagger_help", lang))
    path = st.text_input(t("interrogate.tagger_path", lang), key=K + key + ".tagger_path").strip()
    name = path or picked
    asked = K + "hub." + picked   # the user asked for this hub tagger (shared by both tabs)
    if not path and picked not in local and not st.session_state.get(asked):
        from promptlab.backend.download import hub_endpoint

        st.caption(t("firsthour.tagger.mirror", lang, endpoint=hub_endpoint()))
        if not st.button(t("interrogate.download", lang, name=KNOWN_TAGGERS[picked]), key=K + key + ".download"):
            return None
        st.session_state[asked] = True
    tagger = _load(name, lang)
    if tagger is None:   # a failed download is not retried on every rerun: the button comes back
        st.session_state.pop(asked, None)
    return tagger


def _tag_options(lang: str, key: str, tagger) -> Any:
    c1, c2 = st.columns(2)
    base = tagger.default_options()
    general = c1.slider(t("interrogate.threshold", lang), 0.0, 1.0, base.general_threshold, 0.01, key=K + key + ".thr")
    character = c2.slider(t("interrogate.char_threshold", lang), 0.0, 1.0, base.character_threshold, 0.01,
                          key=K + key + ".cthr")
    mcut = c1.checkbox(t("interrogate.mcut", lang), key=K + key + ".mcut")
    char_mcut = c2.checkbox(t("interrogate.char_mcut", lang), key=K + key + ".cmcut")
    weights = c1.checkbox(t("interrogate.weights", lang), key=K + key + ".weights")
    chars = c2.checkbox(t("interrogate.characters", lang), value=True, key=K + key + ".chars")
    exclude = st.text_input(t("interrogate.exclude", lang), key=K + key + ".exclude")
    from promptlab.interrogate import OutputFormat

    return tagger.default_options(
        general_threshold=general, character_threshold=character, general_mcut=mcut, character_mcut=char_mcut,
        exclude=frozenset(x.strip() for x in exclude.split(",") if x.strip()), include_characters=chars,
        output=OutputFormat.WEIGHTED if weights else OutputFormat.TEXT,
    )


def _load(name: str, lang: str):
    from promptlab.interrogate.sources import resolve_tagger

    bar = []   # the progress bar, drawn on the first chunk: only a download shows one

    def shown(p) -> None:
        if not bar:
            bar.append(st.progress(0.0, text=t("firsthour.tagger.downloading", lang, name=name)))
        bar[0].progress(p.fraction, text=p.text())

    try:  # outside the cached loader: a download draws its progress bar in this run
        folder, label = resolve_tagger(name, progress=shown)
        tagger, warning = _tagger(str(folder), label)
    except PromptlabError as exc:
        show_error(exc, lang)
        return None
    finally:
        if bar:
            bar[0].empty()
    if bar:   # say where the files went: the user's A1111 models folder, reused by A1111's own tagger extension
        st.success(t("firsthour.tagger.downloaded", lang, name=label or folder.name, folder=folder))
    if warning:   # onnxruntime fell back to another provider (e.g. CUDA libraries missing)
        if lang == "en":
            st.warning(warning)
        else:
            st.warning(t("firsthour.tagger.provider_fallback", lang, provider=tagger.providers.provider))
            english_details(warning, lang)
    return tagger


def _validate(names: list[str]) -> list:
    from app_pages.common import tag_db

    db = tag_db()
    if db is None or not hasattr(db, "validate"):
        return []
    try:
        return list(db.validate(names))
    except Exception as exc:  # a damaged DB must not hide the tags; show why instead
        return [f"{type(exc).__name__}: {exc}"]


def _show_result(i: int, name: str, data: bytes, entry: dict, lang: str) -> None:
    import pandas as pd

    st.markdown(f"**{name}**")
    if "error" in entry:  # unreadable bytes: no preview either
        error = entry["error"]
        if isinstance(error, BaseException):
            show_error(error, lang, sentence=f"{name}:")
        else:
            st.error(t("interrogate.failed", lang, name=name, error=error))
        return
    left, right = st.columns([1, 3])
    left.image(data, width=160)
    right.code(entry["prompt"], language=None, wrap_lines=True)
    if "rating" in entry:
        right.markdown(t("interrogate.rating", lang, rating=entry["rating"]))
        rows = [(tag, conf, t("interrogate.kind_character", lang)) for tag, conf in entry["characters"].items()]
        rows += [(tag, conf, t("interrogate.kind_general", lang)) for tag, conf in entry["general"].items()]
        right.dataframe(pd.DataFrame(rows, columns=[t("interrogate.col_tag", lang), t("interrogate.col_conf", lang),
                                                    t("interrogate.col_kind", lang)]), hide_index=True)
    for issue in entry.get("issues", ()):
        right.caption(f"{t('interrogate.tagdb_issues', lang)}: {tag_issue_text(issue, lang)}")
    if right.button(t("interrogate.send_build", lang), key=f"{K}build.{i}"):
        st.session_state["build.pending"] = {"prompt": entry["prompt"], "negative_prompt": ""}
        from app_pages.common import PAGES

        st.switch_page(dict((s, p) for s, p, _k, _i in PAGES)["build"])


def _images_tab(lang: str) -> None:
    uploads = st.session_state.get("read.files") or []
    if uploads:
        st.caption(t("interrogate.using_read_uploads", lang, n=len(uploads)))
    else:
        uploads = st.file_uploader(t("interrogate.upload", lang), accept_multiple_files=True, key=K + "files") or []
    engine = st.radio(t("interrogate.engine", lang), ("tagger", "clip"), horizontal=True, key=K + "engine",
                      format_func=lambda e: t(f"interrogate.engine_{e}", lang))
    if engine == "tagger":
        tagger = _tagger_choice(lang, "img")
        if tagger is None:
            return
        st.caption(t("interrogate.provider", lang, tagger=tagger.name, provider=tagger.providers.provider))
        options = _tag_options(lang, "img", tagger)
    else:
        from promptlab.interrogate.clip import CAPTION_MODELS, CLIP_FOR_FAMILY, ClipMode

        c1, c2, c3 = st.columns(3)
        mode = c1.selectbox(t("interrogate.clip_mode", lang), [m.value for m in ClipMode], key=K + "clip.mode")
        family = c2.selectbox(t("interrogate.clip_family", lang), list(CLIP_FOR_FAMILY), key=K + "clip.family",
                              format_func=lambda f: f"{f} — {CLIP_FOR_FAMILY[f]}")
        caption_model = c3.selectbox(t("interrogate.caption_model", lang), CAPTION_MODELS, index=1,
                                     key=K + "clip.caption")
        from promptlab.backend.download import hub_endpoint

        st.caption(t("interrogate.clip_note", lang) + " " + t("firsthour.tagger.mirror", lang, endpoint=hub_endpoint()))
    if st.button(t("interrogate.run", lang), key=K + "run", type="primary"):
        if not uploads:
            st.warning(t("interrogate.no_images", lang))
            return
        results = []
        with st.spinner("…"):
            if engine == "tagger":
                for up in uploads:
                    try:
                        r = tagger.tag([io.BytesIO(up.getvalue())], options)[0]
                        results.append((up.name, up.getvalue(), {**r.to_dict(),
                                        "issues": _validate([tg.name for tg in r.tags])}))
                    except PromptlabError as exc:
                        results.append((up.name, up.getvalue(), {"error": exc}))   # shown translated
            else:
                try:
                    prompts = _clip(family, caption_model).interrogate(
                        [io.BytesIO(up.getvalue()) for up in uploads], mode)
                    results = [(up.name, up.getvalue(), {"prompt": p}) for up, p in zip(uploads, prompts)]
                except PromptlabError as exc:
                    show_error(exc, lang)
        st.session_state[K + "results"] = results
    for i, (name, data, entry) in enumerate(st.session_state.get(K + "results", [])):
        _show_result(i, name, data, entry, lang)


def _folder_tab(lang: str) -> None:
    from promptlab.interrogate import CaptionOptions, ExistingPolicy, caption_folder
    from promptlab.interrogate.caption import parse_replacements

    folder = st.text_input(t("interrogate.folder", lang), key=K + "folder").strip()
    tagger = _tagger_choice(lang, "dir")
    if tagger is None:
        return
    tag_options = _tag_options(lang, "dir", tagger)
    c1, c2, c3 = st.columns(3)
    prepend = c1.text_input(t("interrogate.prepend", lang), key=K + "prepend")
    append = c2.text_input(t("interrogate.append", lang), key=K + "append")
    ext = c3.text_input(t("interrogate.ext", lang), ".txt", key=K + "ext")
    replace = st.text_area(t("interrogate.replace", lang), key=K + "replace", height=80)
    c1, c2, c3 = st.columns(3)
    existing = c1.selectbox(t("interrogate.existing", lang), [p.value for p in ExistingPolicy], key=K + "existing",
                            format_func=lambda p: t(f"interrogate.existing_{p}", lang))
    batch = c2.selectbox(t("interrogate.batch_size", lang), ["auto", 1, 2, 4, 8, 16, 32], key=K + "batch",
                         format_func=lambda b: t("interrogate.batch_auto", lang) if b == "auto" else str(b),
                         help=t("interrogate.batch_help", lang))
    recursive = c3.checkbox(t("interrogate.recursive", lang), key=K + "recursive")
    use_ray, ray_address = ray_choice(lang)
    if not st.button(t("interrogate.caption_run", lang), key=K + "caption", type="primary", disabled=not folder):
        report = st.session_state.get(K + "report")
    else:
        try:
            options = CaptionOptions(recursive=recursive, prepend=prepend, append=append, ext=ext.strip(),
                                     replace=parse_replacements(x for x in replace.splitlines() if x.strip()),
                                     existing=ExistingPolicy(existing), batch_size=batch)
            bar = st.progress(0.0)

            def progress(done: int, total: int, _path: Path) -> None:
                bar.progress(done / max(total, 1), text=t("interrogate.progress", lang, done=done, total=total))

            if use_ray:
                report = caption_on_ray(folder, tagger, tag_options, options, ray_address, bar, lang)
            else:
                report = caption_folder(Path(folder).expanduser(), tagger, tag_options, options, progress=progress)
        except PromptlabError as exc:
            show_error(exc, lang)
            return
        st.session_state[K + "report"] = report
    if report is None:
        return
    st.success(t("interrogate.report", lang, written=len(report.written), skipped=len(report.skipped_existing),
                 resumed=len(report.resumed), failed=len(report.failed), total=report.total,
                 seconds=report.seconds, provider=report.provider))
    st.caption(_batch_text(report, lang))
    if report.failed:
        with st.expander(t("interrogate.failed_list", lang), expanded=True):
            if lang == "en":
                for path, why in report.failed:
                    st.markdown(f"- `{path}` — {why}")
            else:   # the reasons are the readers' English: below the list, as the details of an error are
                st.markdown("\n".join(f"- `{path}`" for path, _why in report.failed))
                st.caption(t("app.error.details", lang))
                st.code("\n".join(f"{path}: {why}" for path, why in report.failed), language=None, wrap_lines=True)


def _batch_text(report, lang: str) -> str:
    """CaptionReport.batch_summary() in the UI language ("batch 1 (auto: s/image 1.21 at 1, 1.4 at 2)")."""
    if lang == "en":
        return report.batch_summary()
    if not report.batch_auto:
        return t("firsthour.caption.batch", lang, size=report.batch_size)
    if not report.batch_timings:   # too few images to time: the size chosen without measuring
        return t("firsthour.caption.batch_auto_untimed", lang, size=report.batch_size)
    timings = ", ".join(f"{seconds:.3g} @ {n}" for n, seconds in report.batch_timings)
    return t("firsthour.caption.batch_auto", lang, size=report.batch_size, timings=timings)


def render(lang: str) -> None:
    st.subheader(t("interrogate.title", lang))
    tab_images, tab_folder = st.tabs([t("interrogate.tab_images", lang), t("interrogate.tab_folder", lang)])
    with tab_images:
        _images_tab(lang)
    with tab_folder:
        _folder_tab(lang)

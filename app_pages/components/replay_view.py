"""Read page: the replay plan of one image (what runs for each setting here, and why) and the
A1111 view of its settings that Build / Generate / "As A1111 text" use.

The plan is built by ``promptlab.replay.build_plan`` (no generation); this module only shows it.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from promptlab.errors import PromptlabError
from promptlab.i18n import t
from promptlab.params import GenerationParams

NOTICE_KEY = "replay.notice"   # what Read -> Generate could not carry over, shown once by the Generate page
_ICONS = {"exact": "✅", "mapped": "🔁", "approximated": "≈", "not_reproducible": "⛔"}


def local_plan(meta: Any):
    """The replay plan on this machine's models (``models_root()``), or None for an image without settings."""
    from promptlab.backend.models import ModelRoots
    from promptlab.paths import models_root
    from promptlab.replay import build_plan

    if meta.params is None:
        return None
    # a click must not hash a whole models folder: only cached hashes and the file matching by name
    return build_plan(meta, backend="local", roots=ModelRoots.from_args(models_root()), hash_new=False)


_MAPPED_FIELDS = ("prompt", "negative_prompt", "sampler", "schedule_type", "hires_sampler", "hires_schedule_type",
                  "denoising_strength", "hires_upscaler")


def a1111_params(meta: Any) -> GenerationParams:
    """The image's settings in A1111's names — sampler and schedule type mapped ("Automatic" resolved),
    NovelAI syntax rewritten and its characters added after BREAK, ComfyUI LoRA loaders as tags, the
    hires denoise A1111 would use — everything else as the image holds it (model, hashes, seed, extras)."""
    from promptlab.replay import build_plan

    source = meta.params
    plan = build_plan(meta, backend="a1111")
    changes = {name: getattr(plan.params, name) for name in _MAPPED_FIELDS}
    extra = tuple((k, v) for k, v in source.extra if k != "Loras")   # the loaders are tags in the prompt now
    return source.with_(**changes, extra=extra)


def handoff(meta: Any, prompt: str, negative: str, *, as_shown: bool) -> tuple[str, str, GenerationParams]:
    """(prompt, negative, A1111 params) that Build, Generate and "As A1111 text" get from the Read page.

    ``as_shown``: the prompt the page shows is passed on (a NovelAI prompt the user chose to keep in
    NovelAI syntax), with the NovelAI characters still added after BREAK; else the mapped one."""
    try:
        mapped = a1111_params(meta)
    except PromptlabError as exc:   # settings no backend can run (a 0x0 hires size): said, and passed on as read
        from app_pages.common import LANG_KEY, show_error

        show_error(exc, st.session_state.get(LANG_KEY, "en"), warning=True)
        mapped = meta.params.with_(prompt=prompt, negative_prompt=negative)
    if not as_shown:
        return mapped.prompt, mapped.negative_prompt, mapped
    chars = meta.details.get("character_prompts") or []
    extra = [str(c.get("prompt", "")).strip().rstrip(",") for c in chars if isinstance(c, dict) and c.get("prompt")]
    if extra:
        prompt = "\nBREAK\n".join([prompt.strip().rstrip(",")] + extra)
    return prompt, negative, mapped.with_(prompt=prompt, negative_prompt=negative)


def plan_frame(plan: Any, lang: str) -> pd.DataFrame:
    rows = [{
        t("replay.col.status", lang): f"{_ICONS[i.status.value]} {t(f'replay.status.{i.status.value}', lang)}",
        t("replay.col.key", lang): i.key,
        t("replay.col.original", lang): i.original,
        t("replay.col.value", lang): "—" if i.value is None else i.value,
        t("replay.col.note", lang): i.explain(lang),
    } for i in plan.items]
    return pd.DataFrame(rows).astype("string")


def show_plan(i: int, meta: Any, lang: str) -> GenerationParams | None:
    """The plan of image ``i``; returns the params to run when "Send the plan to Generate" is pressed."""
    try:
        plan = local_plan(meta)
    except PromptlabError as exc:
        from app_pages.common import show_error

        show_error(exc, lang)
        return None
    if plan is None:
        st.info(t("read.no_metadata", lang))
        return None
    st.subheader(t("replay.title", lang))
    counts = {s: len([x for x in plan.items if x.status.value == s]) for s in _ICONS}
    (st.success if plan.exact else st.warning)(t("replay.summary", lang, **counts))
    st.dataframe(plan_frame(plan, lang), hide_index=True, width="stretch")
    if plan.characters:
        st.caption(t("replay.characters", lang))
        st.dataframe(pd.DataFrame([{"#": n, "prompt": c.prompt, "negative": c.negative,
                                    "x": None if c.center is None else c.center[0],
                                    "y": None if c.center is None else c.center[1]}
                                   for n, c in enumerate(plan.characters, 1)]), hide_index=True, width="stretch")
    with st.expander(t("replay.as_json", lang)):
        st.json(plan.to_json(lang), expanded=False)
    if st.button(t("replay.run", lang), key=f"read.replay.run.{i}", icon=":material/play_arrow:"):
        return plan.params
    return None


def for_generate(meta: Any, mapped: GenerationParams) -> GenerationParams:
    """What Read -> Generate fills the form with: the mapped settings, the checkpoint found here by hash
    or name (the image's name when none is found, so the Generate page says it is missing)."""
    try:
        plan = local_plan(meta)
    except PromptlabError:
        plan = None   # the Generate page checks the settings again and says what is wrong
    if plan is not None:
        from app_pages.common import LANG_KEY

        lang = st.session_state.get(LANG_KEY, "en")
        differs = [f"{i.key}: {i.explain(lang)}" for i in plan.items
                   if i.status.value in ("approximated", "not_reproducible")]
        if differs:   # shown on the Generate page: what will not be as in the image, and why
            st.session_state[NOTICE_KEY] = t("replay.notice", lang, items="\n- ".join([""] + differs))
    model = plan.params.model if plan is not None and plan.params.model else mapped.model
    return mapped.with_(model=model, sampler=plan.params.sampler if plan else mapped.sampler,
                        schedule_type=plan.params.schedule_type if plan else mapped.schedule_type)


def show_characters(meta: Any, lang: str) -> None:
    """NovelAI v4 character prompts (and their negatives and positions) under the prompt."""
    chars = meta.details.get("character_prompts") or []
    if not chars:
        return
    negatives = meta.details.get("character_negative_prompts") or []
    st.caption(t("replay.characters", lang))
    for n, ch in enumerate(chars, 1):
        center = ch.get("center") if isinstance(ch, dict) else None
        where = f"x={center['x']:g}, y={center['y']:g}" if isinstance(center, dict) and "x" in center else "—"
        negative = negatives[n - 1] if n - 1 < len(negatives) else ""
        st.markdown(t("replay.character_line", lang, n=n, where=where))
        st.code(str(ch.get("prompt", "")) + (f"\n{t('read.col.negative', lang)}: {negative}" if negative else ""),
                language=None, wrap_lines=True)
    st.caption(t("replay.characters_help", lang))

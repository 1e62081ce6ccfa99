"""The Build page's panels: chips, token counter, warnings, taxonomy, templates, presets,
conversion and variants. Every edit goes through a callback that rewrites the text field before
the next run draws it (the text is the single source of truth; chips are derived from it)."""

from __future__ import annotations

import html
import re
from typing import Any

import streamlit as st

from app_pages.common import show_error
from app_pages.components.prompt_tools import (
    ChipOp,
    apply_chip_op,
    chip_core,
    chip_label,
    combined_items,
    convert_prompt,
    md_escape,
    tag_to_prompt,
    token_view,
)
from app_pages.components.tag_search import queue_tag
from promptlab.errors import PromptlabError
from promptlab.i18n import t

CHUNK_COLORS = ("#dbeafe", "#dcfce7", "#fef9c3", "#fce7f3", "#ede9fe")
TEMPLATE_SLOTS = ("subject", "details", "medium", "style", "lighting", "view")
CONVERT_FORMATS = ("a1111", "nai3", "nai4", "comfy")
_PLAIN_TAG = re.compile(r"^[^\[\]<>{}|:()]+$")


def _sel_key(field: str) -> str:
    return f"build.chips.{field}"


def clear_selection(field: str) -> None:
    st.session_state[_sel_key(field)] = []


def _off_key(field: str) -> str:
    return f"build.off.{field}"


def _chip_action(field: str, key: str, op: str) -> None:
    text, selection, off = apply_chip_op(st.session_state[key], st.session_state.get(_sel_key(field)) or [], op,
                                         tuple(st.session_state.get(_off_key(field), ())))
    st.session_state[key] = text
    st.session_state[_sel_key(field)] = selection
    st.session_state[_off_key(field)] = off


def category_of(db: Any, name: str) -> int | None:
    if db is None:
        return None
    tag = db.get(name.strip().replace(" ", "_"))
    return tag.category if tag is not None else None


def chips(field: str, key: str, db: Any, lang: str) -> None:
    from promptlab.syntax.items import unescape_tag

    items = combined_items(st.session_state[key], tuple(st.session_state.get(_off_key(field), ())))
    if not items:
        return
    selection = [i for i in st.session_state.get(_sel_key(field)) or [] if i < len(items)]
    st.session_state[_sel_key(field)] = selection
    cats = [category_of(db, unescape_tag(chip_core(it))) if _PLAIN_TAG.match(chip_core(it)) else None for it in items]
    st.pills(t("build.chips", lang), options=list(range(len(items))), selection_mode="multi", key=_sel_key(field),
             format_func=lambda i: chip_label(items[i], cats[i]), label_visibility="collapsed",
             wrap=True)   # Streamlit's default here was one scrolling row that hid half the tags
    buttons = ((ChipOp.DOWN, ":material/remove:", "build.chip.down"), (ChipOp.UP, ":material/add:", "build.chip.up"),
               (ChipOp.TOGGLE, ":material/visibility_off:", "build.chip.toggle"),
               (ChipOp.LEFT, ":material/arrow_back:", "build.chip.left"),
               (ChipOp.RIGHT, ":material/arrow_forward:", "build.chip.right"),
               (ChipOp.DELETE, ":material/delete:", "build.chip.delete"))
    with st.container(horizontal=True, gap="small"):
        for op, icon, label_key in buttons:
            st.button(t(label_key, lang), icon=icon, key=f"build.chipop.{field}.{op}", disabled=not selection,
                      on_click=_chip_action, args=(field, key, op), type="tertiary")


def token_counter(text: str, lang: str, *, positive: bool) -> None:
    from app_pages.components.conditioning_panel import openclip_token_note

    try:
        view = token_view(text, positive=positive)
    except PromptlabError as exc:
        show_error(exc, lang, warning=True)
        return
    over = len(view.chunks) > 1
    parts = [t("build.tokens", lang, counter=view.counter)]
    if over:
        parts.append(t("build.chunks", lang, n=len(view.chunks)))
    st.caption(" · ".join(parts))
    openclip = openclip_token_note(text, lang, positive=positive)   # SD2 / SDXL-G unescape &entities
    if openclip:
        st.caption(openclip)
    if text.strip():
        spans = []
        for i, (count, decoded) in enumerate(view.chunks):
            color = CHUNK_COLORS[i % len(CHUNK_COLORS)]
            spans.append(f'<span style="background:{color};padding:1px 4px;border-radius:4px" title="chunk {i + 1}">'
                         f'<b>[{i + 1}: {count}/75]</b> {html.escape(decoded)}</span>')
        st.markdown(f'<div data-testid="pl-chunks" style="font-size:0.8em;line-height:1.9">{" ‖ ".join(spans)}</div>',
                    unsafe_allow_html=True)


def syntax_warnings(text: str, lang: str) -> None:
    from app_pages.components.translated_notes import warning_text
    from promptlab.syntax import parse

    for w in parse(text).warnings:
        if w.code == "fullwidth_punct":
            continue  # shown translated, with its Fix button, by components/fullwidth_fix.py
        start, end = max(0, w.start), max(w.start, w.end)
        snippet = f"{text[max(0, start - 20):start]}»{text[start:end] or ' '}«{text[end:end + 20]}"
        message = warning_text(w, text, lang)   # the parser's English, translated by its code
        st.warning(t("build.syntax_warning", lang, start=start + 1, message=md_escape(message), snippet=snippet))


def _prompt_tag_names() -> list[str]:
    from promptlab.syntax.items import split_items, unescape_tag

    names = []
    for item in split_items(st.session_state.get("build.prompt", "")) + split_items(st.session_state.get("build.negative", "")):
        core = chip_core(item)
        if item.enabled and _PLAIN_TAG.match(core) and core.strip().upper() != "BREAK":
            names.append(unescape_tag(core).strip().replace(" ", "_"))
    return names


def _replace_tag(old: str, new: str) -> None:
    for key in ("build.prompt", "build.negative"):
        text = st.session_state.get(key, "")
        for form in (old, old.replace("_", " ")):
            text = re.sub(rf"(?<![\w]){re.escape(form)}(?![\w])", tag_to_prompt(new, underscores="_" in form), text)
        st.session_state[key] = text


def tag_warnings(db: Any, lang: str) -> None:
    if db is None:
        return
    names = _prompt_tag_names()
    if not names:
        return
    from app_pages.components.translated_notes import tag_issue_text

    for issue in db.validate(names):
        kind = getattr(issue.kind, "value", issue.kind)
        text = tag_issue_text(issue, lang)
        if kind == "alias" and issue.canonical:
            c1, c2 = st.columns([4, 1], vertical_alignment="center")
            c1.warning(text)
            c2.button(t("build.use_canonical", lang), key=f"build.fix.{issue.tag}", on_click=_replace_tag,
                      args=(issue.tag, issue.canonical))
        elif kind == "deprecated":
            st.warning(text)
        else:
            st.info(text)


# -- right-hand tabs ---------------------------------------------------------------------------
def _taxonomy_picked() -> None:
    for name in st.session_state.get("build.tax.pick") or []:
        queue_tag(name)
    st.session_state["build.tax.pick"] = []


def taxonomy(db: Any, lang: str) -> None:
    if db is None:
        st.info(t("build.no_db", lang))
        return
    from app_pages.common import tag_taxonomy

    cats = tag_taxonomy(db, lang)
    if not cats:
        st.info(t("build.no_taxonomy", lang))
        return
    cat = st.selectbox(t("build.tax.category", lang), options=range(len(cats)), format_func=lambda i: cats[i].label,
                       key="build.tax.cat")
    groups = cats[cat].groups
    if not groups:
        return
    g = st.selectbox(t("build.tax.group", lang), options=range(len(groups)), format_func=lambda i: groups[i].label,
                     key=f"build.tax.group.{cats[cat].key}")
    tags = groups[g].tags
    st.caption(t("build.tax.hint", lang, n=len(tags)))
    labels = dict(tags)
    st.pills(t("build.tax.tags", lang), options=[name for name, _ in tags[:300]], selection_mode="multi",
             key="build.tax.pick", on_change=_taxonomy_picked, label_visibility="collapsed",
             format_func=lambda n: f"{n.replace('_', ' ')} · {labels[n]}" if labels.get(n) else n.replace("_", " "))


def _compose(mode: str) -> None:
    parts = [st.session_state.get(f"build.tpl.{slot}", "").strip().strip(",") for slot in TEMPLATE_SLOTS]
    composed = ", ".join(p for p in parts if p)
    if mode == "replace" or not st.session_state["build.prompt"].strip():
        st.session_state["build.prompt"] = composed
    else:
        st.session_state["build.prompt"] = st.session_state["build.prompt"].rstrip().rstrip(",") + ", " + composed


def templates(lang: str) -> None:
    st.caption(t("build.tpl.help", lang))
    for slot in TEMPLATE_SLOTS:
        st.text_input(t(f"build.tpl.{slot}", lang), key=f"build.tpl.{slot}", placeholder=t(f"build.tpl.{slot}_ph", lang))
    c1, c2 = st.columns(2)
    c1.button(t("build.tpl.replace", lang), key="build.tpl.replace", on_click=_compose, args=("replace",))
    c2.button(t("build.tpl.append", lang), key="build.tpl.append", on_click=_compose, args=("append",))


def apply_preset_text(text: str, addition: str, *, prepend: bool) -> str:
    """Add a preset to a prompt. A1111 styles with ``{prompt}`` wrap the prompt (the placeholder is
    replaced by it); otherwise the preset's tags not already present go first (quality) or last."""
    from promptlab.syntax.items import join_items, split_items

    if not addition.strip():
        return text
    if "{prompt}" in addition:
        body = text.strip().strip(",").strip()
        merged = addition.replace("{prompt}", body)
        return re.sub(r"(,\s*)+,", ",", merged).strip().strip(",").strip() if not body else merged
    if not text.strip():
        return addition
    existing = {chip_core(i).lower() for i in split_items(text)}
    new = tuple(i for i in split_items(addition) if chip_core(i).lower() not in existing)
    if not new:
        return text
    if prepend:
        return join_items(new) + ", " + text.lstrip()
    return text.rstrip().rstrip(",") + ", " + join_items(new)


def _add_preset(prompt: str, negative: str, prepend: bool) -> None:
    st.session_state["build.prompt"] = apply_preset_text(st.session_state["build.prompt"], prompt, prepend=prepend)
    st.session_state["build.negative"] = apply_preset_text(st.session_state["build.negative"], negative, prepend=False)


def presets(db: Any, lang: str) -> None:
    if db is None:
        st.info(t("build.no_db", lang))
        return
    from app_pages.common import tag_presets

    all_presets = tag_presets(db)
    if not all_presets:
        st.info(t("build.no_presets", lang))
        return
    kinds = sorted({p.kind for p in all_presets}, key=lambda k: ("quality", "negative", "style").index(k) if k in ("quality", "negative", "style") else 9)
    for kind in kinds:
        group = [p for p in all_presets if p.kind == kind]
        c1, c2 = st.columns([4, 1], vertical_alignment="bottom")
        i = c1.selectbox(t(f"build.preset.{kind}", lang) if kind in ("quality", "negative", "style") else kind,
                         options=range(len(group)), format_func=lambda j, g=group: g[j].label(lang), key=f"build.preset.{kind}")
        chosen = group[i]
        # negative presets keep their text in ``prompt``: it goes to the negative field
        pos, neg = ("", chosen.prompt or chosen.negative_prompt) if kind == "negative" else (chosen.prompt, chosen.negative_prompt)
        c2.button(t("build.preset.add", lang), key=f"build.preset.add.{kind}", on_click=_add_preset,
                  args=(pos, neg, kind == "quality"))
        st.caption(" / ".join(x for x in (chosen.prompt, chosen.negative_prompt) if x))


def _use_converted(key: str) -> None:
    st.session_state[key] = st.session_state.get("build.convert.result", "")


def convert(lang: str) -> None:
    # two columns, not three: in the side panel three cut "NovelAI V4" / "A1111 / Forge" off
    c1, c2 = st.columns(2)
    src = c1.selectbox(t("build.convert.from", lang), CONVERT_FORMATS, key="build.convert.src",
                       format_func=lambda f: t(f"build.fmt.{f}", lang))
    dst = c2.selectbox(t("build.convert.to", lang), CONVERT_FORMATS, index=1, key="build.convert.dst",
                       format_func=lambda f: t(f"build.fmt.{f}", lang))
    st.session_state.setdefault("build.convert.field", "prompt")   # (not st.radio: see tag_search.py)
    field = st.segmented_control(t("build.convert.field", lang), ("prompt", "negative"), key="build.convert.field",
                                 format_func=lambda f: t(f"build.field.{f}", lang), required=True)
    key = "build.prompt" if field == "prompt" else "build.negative"
    if st.button(t("build.convert.go", lang), key="build.convert.go"):
        try:
            result = convert_prompt(st.session_state[key], src=src, dst=dst)
        except PromptlabError as exc:
            show_error(exc, lang)
            return
        st.session_state["build.convert.result"] = result.text
        # the notes by code and values (shown in the UI language), or English text from an older converter
        st.session_state["build.convert.notes"] = list(getattr(result, "notes", ()) or
                                                       (*result.losses, *result.warnings))
    if "build.convert.result" in st.session_state:
        from app_pages.components.translated_notes import note_text

        st.code(st.session_state["build.convert.result"], language=None, wrap_lines=True)
        for note in st.session_state.get("build.convert.notes", []):
            # the converter's notes quote prompt text: escaped, so <lora:x:1> is not turned into a link
            st.caption(":material/warning: " + md_escape(note if isinstance(note, str) else note_text(note, lang)))
        st.button(t("build.convert.use", lang), key="build.convert.use", on_click=_use_converted, args=(key,))


def variants(lang: str) -> None:
    from app_pages.components import wildcards_panel

    wildcards_panel.render(lang, st.session_state.get("build.prompt", ""), st.session_state.get("build.negative", ""))

"""A1111-compatibility widgets: ENSD and the NovelAI preset (Generate page), the OpenCLIP token note (Build).

The page keeps its form in ``st.session_state`` under ``generate.*``; this module owns ``generate.ensd``
and changes ``generate.clip_skip`` only when the user presses the NovelAI preset.
"""

from __future__ import annotations

import streamlit as st

from promptlab.i18n import t

ENSD_KEY = "generate.ensd"
NOVELAI_ENSD = 31337
NOVELAI_CLIP_SKIP = 2


def _novelai(clip_skip_key: str) -> None:
    st.session_state[clip_skip_key] = NOVELAI_CLIP_SKIP
    st.session_state[ENSD_KEY] = NOVELAI_ENSD


def a1111_expander(lang: str, *, clip_skip_key: str = "generate.clip_skip") -> None:
    """A small expander: the ENSD field and the "NovelAI emulation" preset (Clip skip 2, ENSD 31337)."""
    st.session_state.setdefault(ENSD_KEY, 0)
    with st.expander(t("cond.expander", lang)):
        st.number_input(t("cond.ensd", lang), 0, 2**32 - 1, key=ENSD_KEY, help=t("cond.ensd.help", lang))
        st.button(t("cond.preset.novelai", lang), key="generate.preset.novelai", on_click=_novelai,
                  args=(clip_skip_key,), help=t("cond.preset.novelai.help", lang))


def ensd_value() -> int | None:
    """The form's ENSD as GenerationParams wants it (0 = off = None)."""
    return int(st.session_state.get(ENSD_KEY, 0) or 0) or None


def load_ensd(ensd: int | None) -> None:
    """"Send to Generate" / "Reuse": put an image's ENSD into the form."""
    st.session_state[ENSD_KEY] = int(ensd or 0)


def openclip_token_note(text: str, lang: str, *, positive: bool = True) -> str | None:
    """A caption when OpenCLIP (SD2, SDXL's second encoder) counts other tokens than CLIP-L (only HTML
    entities can make them differ, so texts without ``&`` cost nothing)."""
    if "&" not in text:
        return None
    from promptlab.tokens import count_tokens_per_encoder, encoders_agree

    per_encoder = count_tokens_per_encoder(text, model_type="sdxl", negative=not positive)
    if encoders_agree(per_encoder):
        return None
    return t("cond.tokens.encoders_differ", lang, counter=per_encoder[1].tokens.counter)


def localized_warning(message: str, lang: str) -> str:
    """A backend warning in the UI language where the conditioning area knows it (the library speaks English,
    for the CLI and logs): every ``cond.warn.*`` template and the hypernetwork warning. Other messages are
    returned as they are."""
    from promptlab.i18n import catalog

    for key, texts in catalog().items():
        if key.startswith("cond.warn."):
            match = _template_regex(texts["en"]).fullmatch(message)
            if match:
                return t(key, lang, **match.groupdict())
    return _localized_hypernet_warning(message, lang)


def _template_regex(english: str):
    """``"Embedding {name} does not fit"`` -> a regex with one named group per placeholder."""
    import re
    import string

    pattern = ""
    for literal, field, _spec, _conversion in string.Formatter().parse(english):
        pattern += re.escape(literal)
        if field is not None:
            pattern += f"(?P<{field}>.+?)"
    return re.compile(pattern, re.DOTALL)


def _localized_hypernet_warning(message: str, lang: str) -> str:
    import re

    from promptlab.backend.hypernetworks import hypernetwork_warning

    head, _, tail = hypernetwork_warning(("\0",)).partition("<hypernet:\0>")
    match = re.fullmatch(re.escape(head) + r"(.+?)" + re.escape(tail), message)
    if match is None:
        return message
    names = tuple(re.findall(r"<hypernet:([^>]*)>", match[1]))
    return hypernetwork_warning(names, lang) if names else message

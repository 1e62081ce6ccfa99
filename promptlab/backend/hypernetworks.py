"""``<hypernet:name:w>``: refused clearly by the local backend (never silently skipped).

A1111 applies hypernetworks (small MLPs on the cross-attention keys and values); promptlab's local
backend does not implement them. The tag is removed from the prompt like every extra network, and the
run reports it: a warning per call (CLI stderr, the Generate page), ``GeneratedImage.warnings``, and the
infotext key ``Hypernet not applied`` so a replay elsewhere knows the image was made without it.
"""

from __future__ import annotations

from promptlab.params import GenerationParams

HYPERNET_KINDS = ("hypernet",)
INFOTEXT_KEY = "Hypernet not applied"


def skipped_hypernetworks(params: GenerationParams) -> tuple[str, ...]:
    """Names of the hypernetworks in the prompt and the hires prompt (in order, no duplicates)."""
    from promptlab.syntax.a1111 import extra_networks

    names: dict[str, None] = {}
    for text in (params.prompt, params.hires_prompt or ""):
        for net in extra_networks(text)[1]:
            if net.kind in HYPERNET_KINDS:
                names.setdefault(net.name, None)
    return tuple(names)


def hypernetwork_warning(names: tuple[str, ...], lang: str = "en") -> str:
    from promptlab.i18n import t

    return t("cond.hypernet.skipped", lang, names=", ".join(f"<hypernet:{n}>" for n in names))


def with_hypernet_note(params: GenerationParams, names: tuple[str, ...]) -> GenerationParams:
    """``params`` with the ``Hypernet not applied`` infotext entry (kept in ``extra``; replaced if present)."""
    if not names:
        return params
    extra = tuple((k, v) for k, v in params.extra if k != INFOTEXT_KEY) + ((INFOTEXT_KEY, ", ".join(names)),)
    return params.with_(extra=extra)

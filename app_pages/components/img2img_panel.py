"""The Generate page's "Image to image" mode and the "Send to img2img" buttons (Generate gallery, Read page).

Session keys (all ``img2img.*``): ``img2img.mode`` (txt2img / img2img radio), ``img2img.upload`` (the
file uploader), ``img2img.sent`` ({"data", "name"}: an image sent from a gallery or the Read page),
``img2img.denoise``, ``img2img.resize_mode``, ``img2img.exact_steps``. A sender sets
``img2img.pending`` (and ``generate.pending`` for the parameters, as A1111's "Send to img2img" copies
them); ``render`` turns it into the mode and the image before any widget is drawn.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from promptlab.i18n import t
from promptlab.init_image import DEFAULT_DENOISE, RESIZE_SLUGS, Img2ImgError, InitImage, size_from_image

TXT2IMG, IMG2IMG = "txt2img", "img2img"
PENDING = "img2img.pending"
DEFAULTS = {"img2img.mode": TXT2IMG, "img2img.denoise": DEFAULT_DENOISE, "img2img.resize_mode": RESIZE_SLUGS[0],
            "img2img.exact_steps": False}


@dataclass(frozen=True)
class Img2ImgChoice:
    init: InitImage | None = None         # None: text to image
    denoise: float | None = None
    blockers: tuple[str, ...] = field(default_factory=tuple)   # why Generate is off, in the UI language


def send(state: Any, data: bytes, name: str, params: Any = None) -> None:
    """Hand an image (and its parameters, when it has some) to the Generate page's img2img mode."""
    state[PENDING] = {"data": bytes(data), "name": name}
    if params is not None:
        state["generate.pending"] = params.with_(init_image=None)


def send_button(lang: str, data: bytes, name: str, *, key: str, params: Any = None) -> bool:
    """A "Send to img2img" button; True when it was pressed (the caller then switches page or reruns)."""
    if st.button(t("img2img.send", lang), key=key, icon=":material/photo_library:"):
        send(st.session_state, data, name, params)
        return True
    return False


def render(lang: str, backends: list | None = None) -> Img2ImgChoice:
    """Mode radio; in img2img mode the image (upload or sent), denoise, resize mode and exact steps."""
    S = st.session_state
    pending = S.pop(PENDING, None)
    if pending is not None:   # before the widgets exist, so their state may still be set
        S["img2img.sent"], S["img2img.mode"] = pending, IMG2IMG
    for key, value in DEFAULTS.items():
        S.setdefault(key, value)
    mode = st.radio(t("img2img.mode", lang), [TXT2IMG, IMG2IMG], key="img2img.mode", horizontal=True,
                    format_func=lambda m: t(f"img2img.mode.{m}", lang))
    if mode == TXT2IMG:
        return Img2ImgChoice()
    upload = st.file_uploader(t("img2img.upload", lang), type=["png", "jpg", "jpeg", "webp", "bmp"],
                              key="img2img.upload")
    sent = S.get("img2img.sent")
    if upload is not None:
        data, name = upload.getvalue(), upload.name
    elif sent:
        data, name = sent["data"], sent["name"]
    else:
        return Img2ImgChoice(blockers=(t("img2img.err.no_image", lang),))
    c1, c2 = st.columns([1, 2])
    c2.slider(t("img2img.denoise", lang), 0.0, 1.0, step=0.01, key="img2img.denoise",
              help=t("img2img.denoise_help", lang))
    c2.selectbox(t("img2img.resize_mode", lang), list(RESIZE_SLUGS), key="img2img.resize_mode",
                 format_func=lambda slug: t(f"img2img.resize.{slug}", lang))
    c2.checkbox(t("img2img.exact_steps", lang), key="img2img.exact_steps", help=t("img2img.exact_steps_help", lang))
    try:
        init = InitImage.from_bytes(data, name=name, resize_mode=S["img2img.resize_mode"],
                                    exact_steps=bool(S["img2img.exact_steps"]))
    except Img2ImgError as exc:
        st.error(exc.message(lang))
        return Img2ImgChoice(blockers=(exc.message(lang),))
    c1.image(data, caption=t("img2img.sent", lang, name=name, width=init.width, height=init.height), width=200)
    if upload is None and c1.button(t("img2img.clear", lang), key="img2img.clear"):
        S.pop("img2img.sent", None)
        st.rerun()
    width, height = size_from_image(init.width, init.height)
    c2.button(t("img2img.use_size", lang, width=width, height=height), key="img2img.use_size",
              on_click=_use_size, args=(width, height))
    return Img2ImgChoice(init, float(S["img2img.denoise"]), _blockers(lang, backends))


def _use_size(width: int, height: int) -> None:
    # a callback: it runs before the page's widgets are drawn again, so their values may change
    st.session_state["generate.width"], st.session_state["generate.height"] = width, height


def _blockers(lang: str, backends: list | None) -> tuple[str, ...]:
    from promptlab.init_image import supports_img2img

    reasons = []
    if st.session_state.get("generate.hires"):
        reasons.append(t("img2img.err.hires", lang))
    unable = [getattr(b, "name", "?") for b in backends or [] if not supports_img2img(b)]
    if backends and len(unable) == len(backends):
        reasons.append(t("img2img.err.unsupported", lang, backend=", ".join(unable)))
    return tuple(reasons)


def apply(params: Any, choice: Img2ImgChoice) -> Any:
    """``params`` with the chosen init image and denoising strength (unchanged in text-to-image mode)."""
    if choice.init is None:
        return params
    return params.with_(init_image=choice.init, denoising_strength=choice.denoise)

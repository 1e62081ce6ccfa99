"""An "Upscale (Extras)" panel: upscale the images on the page with a model, Lanczos or Nearest.

The result keeps the input's metadata plus A1111's postprocessing chunks, exactly as
`promptlab upscale` writes it; it is offered as a download, nothing is written on the server.
"""

from __future__ import annotations

import streamlit as st

from app_pages.common import show_error
from promptlab.errors import PromptlabError
from promptlab.i18n import t
from promptlab.paths import models_root


@st.cache_data(ttl=15, show_spinner=False)
def image_upscalers(root: str) -> list[str]:
    from promptlab.backend.models import ModelRoots
    from promptlab.upscale import list_upscalers

    return [u.name for u in list_upscalers(ModelRoots.from_args(root), include_latent=False)]


def render(lang: str, images: list[tuple[str, bytes]]) -> None:
    """``images``: (name, file bytes) of the images shown on the page."""
    if not images:
        return
    root = str(models_root())
    names = image_upscalers(root)
    with st.expander(t("upscale.ui_title", lang)):
        c1, c2 = st.columns(2)
        default = next((i for i, n in enumerate(names) if n not in ("None", "Lanczos", "Nearest")), 1)
        c1.selectbox(t("upscale.ui_upscaler", lang), names, index=default, key="upscale.name",
                     help=t("upscale.hires_model_help", lang))
        c2.slider(t("upscale.ui_scale", lang), 1.0, 8.0, 2.0, step=0.5, key="upscale.scale")
        if not st.button(t("upscale.ui_run", lang), key="upscale.run"):
            return
        _run(lang, root, images)


def _run(lang: str, root: str, images: list[tuple[str, bytes]]) -> None:
    from promptlab.backend.models import ModelRoots
    from promptlab.upscale import UpscaleError
    from promptlab.upscale.extras import Extras, open_source

    try:
        extras = Extras(st.session_state["upscale.name"], ModelRoots.from_args(root),
                        scale=float(st.session_state["upscale.scale"]))
        for i, (name, data) in enumerate(images):
            source = open_source(data, name=name)
            with st.spinner(f"{name} …"):
                image = extras.run(source)
            png = extras.png_bytes(source, image)
            st.image(png, caption=f"{name} → {image.width}x{image.height} · {extras.infotext()}")
            stem = name.rsplit(".", 1)[0]
            st.download_button(t("upscale.ui_download", lang), png, file_name=f"{stem}-upscaled.png",
                               mime="image/png", key=f"upscale.download.{i}")
    except UpscaleError as exc:  # carries its own translation
        st.error(exc.message(lang))
    except PromptlabError as exc:
        show_error(exc, lang)

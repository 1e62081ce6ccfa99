"""The hires-fix upscaler choice: A1111's fixed names plus the model upscalers found on disk."""

from __future__ import annotations

import streamlit as st


@st.cache_data(ttl=15, show_spinner=False)
def hires_upscalers(root: str) -> list[str]:
    """Latent modes, None/Lanczos/Nearest, then models under models/ESRGAN, RealESRGAN, SwinIR, DAT."""
    from promptlab.backend.models import ModelRoots
    from promptlab.upscale import list_upscalers

    return [u.name for u in list_upscalers(ModelRoots.from_args(root))]

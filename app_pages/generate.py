"""Generate page: pick a checkpoint, set A1111 parameters, generate with live progress."""

from __future__ import annotations

import streamlit as st

from app_pages.common import lang
from promptlab.i18n import t
from promptlab.paths import model_dir

language = lang()
st.title(t("generate.title", language))
st.caption(t("generate.intro", language))
folder = model_dir("Stable-diffusion")
found = sorted(p.name for p in folder.glob("**/*.safetensors")) if folder.is_dir() else []
if not found:
    st.info(t("generate.no_checkpoint", language, folder=str(folder)))
else:
    st.selectbox("Checkpoint", found, key="generate.model")

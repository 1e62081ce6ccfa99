"""Generate page: ONE "Backends" area (this machine and/or servers), the checkpoint row, and why the
Generate button is disabled when it is.

Without a model nothing is a dead end: the page says what is missing, the Refresh it mentions is
there, the download (online) shows size and speed, and offline it says which file goes in which folder.
The backends actually chosen are noted in the session for the sidebar.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st

from app_pages.common import BACKENDS_IN_USE, LOCAL_UNREADY, installed, show_error
from app_pages.components import backends_panel
from promptlab.errors import PromptlabError
from promptlab.i18n import t

USE_LOCAL = "generate.backends.local"   # the panel's "Use this machine" checkbox


@dataclass(frozen=True)
class Choice:
    backends: tuple
    model: str | None
    blockers: tuple[str, ...]   # translated reasons the Generate button is disabled (empty: ready)


def _local_settings(lang: str, root: str) -> None:
    st.selectbox(t("generate.device", lang), ["auto", "cuda", "mps", "cpu"], key="generate.device")
    st.checkbox(t("generate.allow_pickle", lang), key="generate.allow_pickle", help=t("generate.allow_pickle_help", lang))
    st.caption(t("generate.models_folder", lang, folder=root))


def _refresh_button(lang: str, refresh: Callable[[], None], column=None) -> None:
    if (column or st).button(t("generate.refresh", lang), key="generate.refresh", icon=":material/refresh:"):
        refresh()
        st.rerun()


def _download(lang: str, folder, refresh: Callable[[], None]) -> None:
    from promptlab.backend.download import DEFAULT_CHECKPOINT, download_checkpoint, hub_endpoint, is_online

    with st.expander(t("generate.download", lang)):
        st.caption(t("generate.download_help", lang, file=DEFAULT_CHECKPOINT.filename, folder=folder,
                     size=f"{DEFAULT_CHECKPOINT.size / 2**30:.1f} GiB"))
        st.caption(t("generate.mirror", lang, endpoint=hub_endpoint()))
        st.code("promptlab models download", language="bash")
        if not st.button(t("generate.download_now", lang), key="generate.download_now"):
            return
        if not is_online():
            st.warning(t("generate.offline", lang, file=DEFAULT_CHECKPOINT.filename, folder=folder,
                         endpoint=hub_endpoint()))
            return
        bar = st.progress(0.0, text=DEFAULT_CHECKPOINT.filename)

        def shown(rate) -> None:
            bar.progress(min(1.0, rate.done / max(1, rate.total)), text=f"{DEFAULT_CHECKPOINT.filename} · {rate.text()}")

        try:
            download_checkpoint(folder, rate=shown)
        except PromptlabError as exc:
            show_error(exc, lang)
            return
        refresh()
        st.rerun()


def choose(lang: str, root: str, models: dict, make_local: Callable[[str], object],
           refresh: Callable[[], None]) -> Choice:
    """Draw the Backends area and the checkpoint row; return what the Generate button will use."""
    from promptlab.backend.models import ModelRoots
    from promptlab.doctor import install_command, checkout_root, shell_name

    state = st.session_state
    state.setdefault("generate.device", "auto")
    state.setdefault("generate.allow_pickle", False)
    has_diffusers = installed("diffusers") and installed("torch")
    ready = has_diffusers and bool(models["checkpoint"])
    servers = backends_panel.render(lang, "generate", include_local=True, expanded=not ready,
                                    local_settings=lambda: _local_settings(lang, root))
    use_local = bool(state.get(USE_LOCAL, True))
    backends, model, local_problem = list(servers), None, None
    if use_local and not has_diffusers:
        local_problem = t("generate.blocked.no_diffusers", lang)
        st.warning(t("app.sidebar.no_diffusers", lang))
        st.code(install_command("diffusion", checkout=checkout_root()), language=shell_name())
    elif use_local and not models["checkpoint"]:
        folder = ModelRoots.from_args(root).folder("checkpoint")
        local_problem = t("generate.blocked.no_checkpoint", lang)
        info, button = st.columns([5, 1], vertical_alignment="center")
        info.info(t("generate.no_checkpoint", lang, folder=str(folder)))
        _refresh_button(lang, refresh, button)
        _download(lang, folder, refresh)
    elif use_local:
        col_model, col_refresh = st.columns([5, 1], vertical_alignment="bottom")
        model = col_model.selectbox(t("generate.model", lang), models["checkpoint"], key="generate.model")
        _refresh_button(lang, refresh, col_refresh)
        try:
            backends.insert(0, make_local(model))
        except PromptlabError as exc:
            show_error(exc, lang)
    blockers = () if backends else (local_problem or t("generate.blocked.no_backend", lang),)
    state[BACKENDS_IN_USE] = [getattr(b, "name", type(b).__name__) for b in backends]
    state[LOCAL_UNREADY] = bool(local_problem)
    return Choice(tuple(backends), model, blockers)

"""Choose where images are made: this machine and/or servers added by URL, with their state.

Shared by the Generate and Compare pages. The list lives in ``st.session_state["backends.remote"]``
(per user; credentials never go into a shared cache). One client per server is kept in the session, so
reruns do not open a new connection pool each time.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from app_pages.common import show_error
from promptlab.errors import PromptlabError
from promptlab.i18n import t

KINDS = ("a1111", "serve", "comfyui", "ray")


@dataclass(frozen=True)
class RemoteSpec:
    kind: str
    url: str
    auth: str = ""


def make_client(spec: RemoteSpec):
    if spec.kind == "ray":   # a Ray cluster (address: empty/local, auto, ray://host:port): one backend per actor
        from promptlab.cluster.generate import ray_pool
        from promptlab.paths import models_root

        return ray_pool(spec.url or None, models=str(models_root()))   # the app's models folder, on every node
    if spec.kind == "comfyui":
        from promptlab.backend.comfyui import ComfyUIBackend

        return ComfyUIBackend(spec.url, retries=1, connect_timeout=3)
    from promptlab.backend.remote_a1111 import RemoteA1111Backend

    return RemoteA1111Backend(spec.url, auth=spec.auth or None, retries=1, connect_timeout=3)


def check(spec: RemoteSpec) -> str:
    if spec.kind == "ray":   # reachable and installed; the actors start when the page first uses them
        from promptlab.cluster.runtime import check_reachable, parse_address, require_ray

        try:
            require_ray()
            address = parse_address(spec.url)
            if address not in (None, "auto"):
                check_reachable(address)
        except PromptlabError as exc:
            return f"down:{exc}"
        return "ray:"
    try:
        client = make_client(spec)
        try:
            return f"ok:{len(client.list_models())}"
        finally:
            client.close()
    except PromptlabError as exc:
        return f"down:{exc}"


def _state_text(lang: str, state: str | None) -> str:
    if not state:
        return t("backends.state.unknown", lang)
    kind, _, detail = state.partition(":")
    if kind == "ray":
        return t("backends.state.ray", lang)
    return t("backends.state.ok", lang, models=detail) if kind == "ok" else t("backends.state.down", lang, error=detail)


def render(lang: str, key: str, local_factory=None, *, include_local: bool = True, expanded: bool | None = None,
           local_settings=None) -> list:
    """Draw the panel; return the Backend objects chosen (local first).

    ``include_local=False`` when the page chooses its main backend itself and the panel only adds servers.
    ``local_settings()`` draws this machine's options under its checkbox (device, ...). ``expanded``:
    open the panel (default: when servers are listed).
    """
    remotes: list[RemoteSpec] = st.session_state.setdefault("backends.remote", [])
    states: dict[str, str] = st.session_state.setdefault("backends.state", {})
    clients: dict[RemoteSpec, object] = st.session_state.setdefault("backends.clients", {})
    backends = []
    with st.expander(t("backends.title", lang), expanded=bool(remotes) if expanded is None else expanded,
                     icon=":material/dns:"):
        use_local = include_local and st.checkbox(t("backends.use_local", lang), value=True, key=f"{key}.backends.local")
        if use_local and local_settings is not None:
            local_settings()
        for i, spec in enumerate(list(remotes)):
            cols = st.columns([5, 4, 1, 1])
            cols[0].markdown(f"**{t(f'backends.kind.{spec.kind}', lang)}** `{spec.url}`")
            cols[1].caption(_state_text(lang, states.get(spec.url)))
            if cols[2].button(t("backends.check", lang), key=f"{key}.backends.check.{i}"):
                states[spec.url] = check(spec)
                st.rerun()
            if cols[3].button(t("backends.remove", lang), key=f"{key}.backends.remove.{i}"):
                remotes.remove(spec)
                states.pop(spec.url, None)
                client = clients.pop(spec, None)
                if client is not None:
                    client.close()
                st.rerun()
        with st.form(f"{key}.backends.form", clear_on_submit=True, border=False):
            cols = st.columns([2, 4, 3])
            kind = cols[0].selectbox(t("backends.kind", lang), KINDS, format_func=lambda k: t(f"backends.kind.{k}", lang),
                                     key=f"{key}.backends.kind")
            url = cols[1].text_input(t("backends.url", lang), placeholder="http://127.0.0.1:7860", key=f"{key}.backends.url")
            auth = cols[2].text_input(t("backends.auth", lang), type="password", key=f"{key}.backends.auth")
            if st.form_submit_button(t("backends.add", lang)) and _add(
                lang, remotes, states, RemoteSpec(kind, url.strip().rstrip("/"), auth.strip())
            ):
                st.rerun()
    if use_local and local_factory is not None:
        try:
            backends.append(local_factory())
        except PromptlabError as exc:
            show_error(exc, lang)
    for spec in remotes:
        try:
            if spec not in clients:
                clients[spec] = make_client(spec)
            client = clients[spec]
            # a Ray pool's actors are scheduled one by one (checkpoint groups stay on one actor)
            backends.extend(client.backends) if spec.kind == "ray" else backends.append(client)
        except PromptlabError as exc:
            show_error(exc, lang, sentence=t("backends.invalid", lang))
    if not backends and include_local and not use_local:
        st.info(t("backends.none", lang))
    elif len(backends) > 1:
        st.caption(t("backends.spread", lang, count=len(backends)))
    return backends


def _add(lang: str, remotes: list[RemoteSpec], states: dict[str, str], spec: RemoteSpec) -> bool:
    if any(r.url == spec.url for r in remotes):
        st.warning(t("backends.duplicate", lang, url=spec.url))
        return False
    try:
        if spec.kind == "ray":
            from promptlab.cluster.runtime import parse_address

            parse_address(spec.url)
        else:
            make_client(spec).close()   # validates the URL and credentials format
    except PromptlabError as exc:
        show_error(exc, lang, sentence=t("backends.invalid", lang))
        return False
    remotes.append(spec)
    states[spec.url] = check(spec)
    return True

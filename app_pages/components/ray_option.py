"""The "Run on Ray" option of the Read page's folder captioning (promptlab.cluster, imported on use)."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from promptlab.i18n import t

K = "read.ray."


def ray_choice(lang: str) -> tuple[bool, str]:
    """(use Ray, address) as the user chose them."""
    c1, c2 = st.columns([1, 2])
    use = c1.checkbox(t("cluster.use_ray", lang), key=K + "use", help=t("cluster.use_ray_help", lang))
    address = c2.text_input(t("cluster.address", lang), key=K + "address", disabled=not use,
                            help=t("cluster.address_help", lang), placeholder="auto / ray://host:10001")
    return use, address.strip()


def caption_on_ray(folder: str, tagger, tag_options, options, address: str, bar, lang: str):
    """Caption ``folder`` on Ray with the tagger loaded here (its folder is what the workers load)."""
    from promptlab.cluster.caption import MANIFEST_NAME, caption_folder_ray

    def progress(p) -> None:
        eta = f"{p.eta_seconds:.0f} s" if p.eta_seconds is not None else t("cluster.eta_unknown", lang)
        bar.progress(p.done / max(p.total, 1),
                     text=t("cluster.progress", lang, done=p.done, total=p.total, rate=p.images_per_second, eta=eta))

    root = Path(folder).expanduser()
    report = caption_folder_ray(root, tagger.model_path.parent, tag_options, options, address=address or None,
                                progress=progress)
    st.caption(t("cluster.manifest", lang, path=root / MANIFEST_NAME))
    return report

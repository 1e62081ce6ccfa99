"""The app's frame, one body for every entry script.

``app.py`` (a checkout: ``streamlit run app.py``) and ``promptlab_app.py`` (what an installed
``promptlab app`` serves: it sits beside the installed ``app_pages`` package) both call ``run_app()``,
so the two ways of starting the app can never drift apart. Page paths in ``PAGES`` are relative to the
folder holding ``app_pages/``, which is the entry script's own folder in both layouts.
"""

from __future__ import annotations

from pathlib import Path

# The folder that holds app_pages/ and the entry scripts (the checkout, or site-packages when installed).
APP_ROOT = Path(__file__).resolve().parents[1]


def run_app() -> None:
    import streamlit as st

    from app_pages.common import PAGES, language_switch, render_sidebar
    from promptlab.i18n import t

    st.set_page_config(page_title="promptlab", page_icon=":material/science:", layout="wide")
    language = language_switch()
    navigation = st.navigation(
        [st.Page(path, title=t(key, language), icon=icon, url_path=slug, default=slug == "build")
         for slug, path, key, icon in PAGES]
    )
    navigation.run()
    render_sidebar(language)  # after the page: the page reaches the browser first


"""Streamlit entry point: navigation over app_pages/, the language switch and the sidebar status."""

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

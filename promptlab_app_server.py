"""The installed twin of app_server.py: the app (promptlab_app.py, beside this file) plus the
tag-search endpoint on one port. Started by `promptlab app`; only Streamlit runs it, as a script.
``app = st.App(...)`` stays literally here: Streamlit finds it by reading the source (AST)."""

from pathlib import Path

import streamlit as st

from app_pages.search_api import routes
from app_pages.startup import skip_component_scan

skip_component_scan()
app = st.App(str(Path(__file__).resolve().with_name("promptlab_app.py")), routes=routes())

"""What `make run` and `promptlab app` (in a checkout) serve: the Streamlit app (app.py) plus the
tag-search endpoint that the Build page's search box asks on every keystroke (app_pages/search_api.py),
on one port.

    streamlit run app_server.py [--server.port 8501 ...]

Streamlit finds ``app`` below and serves app.py through it. A plain ``streamlit run app.py`` also
works; its search box then asks through Streamlit instead (a script rerun per keystroke, slower).
``app = st.App(...)`` must stay literally in this file: Streamlit finds it by reading the source (AST).
promptlab_app_server.py is the installed twin of this file.
"""

import streamlit as st

from app_pages.search_api import routes
from app_pages.startup import skip_component_scan

skip_component_scan()
app = st.App("app.py", routes=routes())

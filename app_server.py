"""What `make run` serves: the Streamlit app (app.py) plus the tag-search endpoint that the Build
page's search box asks on every keystroke (app_pages/search_api.py), on one port.

    streamlit run app_server.py [--server.port 8501 ...]

Streamlit finds ``app`` below and serves app.py through it. At start-up a background thread
(app_pages/warmup.py) imports the Build page's modules, opens the tag database, loads its search
index and the CLIP tokenizer, so that neither the first page nor the first keystroke waits for them.
A plain ``streamlit run app.py`` also works; its search box asks through Streamlit instead (slower).
"""

import streamlit as st

from app_pages.search_api import routes
from app_pages.warmup import lifespan, skip_component_scan

skip_component_scan()
app = st.App("app.py", routes=routes(), lifespan=lifespan)

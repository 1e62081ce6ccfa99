"""Streamlit entry point: navigation over app_pages/, the language switch and the sidebar status.

    streamlit run app.py        (from a checkout; `promptlab app` / `make run` serve app_server.py)

The body lives in app_pages/shell.py, shared with promptlab_app.py (the installed twin of this file).
"""

from app_pages.shell import run_app

run_app()

"""The installed twin of app.py: `pip install "promptlab[app]"` puts this file beside the app_pages
package (site-packages), where the page paths resolve. `promptlab app` serves it through
promptlab_app_server.py. Importing it draws the app: only Streamlit runs it, as a script."""

from app_pages.shell import run_app

run_app()

"""The Generate/Compare backends panel (AppTest) against a real `promptlab serve` on 127.0.0.1."""

from pathlib import Path

import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

REPO = Path(__file__).resolve().parents[2]

SCRIPT = f"""
import sys
sys.path.insert(0, {str(REPO)!r})
import streamlit as st
from app_pages.components import backends_panel
chosen = backends_panel.render("en", "gen")
st.session_state["chosen"] = [b.name for b in chosen]
"""


def add_button(at):
    return next(b for b in at.button if b.label == "Add backend")


def test_add_check_and_remove_a_server(serve):
    server = serve()
    at = AppTest.from_string(SCRIPT, default_timeout=30).run()
    at.checkbox(key="gen.backends.local").uncheck().run()
    assert at.session_state["chosen"] == []
    assert any("No backend selected" in i.value for i in at.info)
    at.text_input(key="gen.backends.url").set_value(server.url)
    at.selectbox(key="gen.backends.kind").set_value("serve")
    add_button(at).click().run()
    assert at.session_state["chosen"] == [server.url]
    assert any("online — 2 models" in c.value for c in at.caption)
    client = at.session_state["backends.clients"][at.session_state["backends.remote"][0]]
    at.run()
    assert at.session_state["backends.clients"][at.session_state["backends.remote"][0]] is client  # reused
    at.button(key="gen.backends.remove.0").click().run()
    assert at.session_state["chosen"] == []


def test_bad_url_is_refused_in_page():
    at = AppTest.from_string(SCRIPT, default_timeout=30).run()
    at.text_input(key="gen.backends.url").set_value("gpu-box:7860")
    add_button(at).click().run()
    assert any("must start with http" in e.value for e in at.error)

"""Streamlit entry point: navigation over app_pages/, nothing else."""

import streamlit as st

st.set_page_config(page_title="promptlab", layout="wide")
st.title("promptlab")

"""Compare page: X/Y/Z grids (work in progress; the full page lands with promptlab.grid)."""

import streamlit as st

st.title("Compare")
st.info("The comparison grid page is being built.")

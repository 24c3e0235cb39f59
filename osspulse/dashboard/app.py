"""OSS Pulse dashboard (placeholder until the dashboard issue lands)."""

import streamlit as st

st.set_page_config(page_title="OSS Pulse", layout="wide")
st.title("OSS Pulse")
st.write("The dashboard reads the gold layer through Trino.")

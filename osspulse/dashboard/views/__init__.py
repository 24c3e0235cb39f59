"""The dashboard's pages; each module has a ``render()`` that app.py hands to ``st.Page``."""

"""The Streamlit dashboard on the gold layer.

``app.py`` is the entry point (``streamlit run osspulse/dashboard/app.py``); the pages are in
``views/``. Data flows ``views`` -> ``data`` (Streamlit cache, readable errors) -> ``gold`` (one Trino
connection as the read-only dashboard user, qmark parameters, a fixed allow-list of tables); the SQL of
every chart is built by ``queries`` (pure functions) and drawn by ``charts``.
"""

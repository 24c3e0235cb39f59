"""Every page shows a readable message, not a traceback, when Trino cannot answer (no services needed)."""

from __future__ import annotations

import socket

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from osspulse.dashboard.app import PAGES
from osspulse.settings import get_settings


def _page(name: str) -> None:
    from osspulse.dashboard.app import main

    main(name)


@pytest.fixture
def trino_down(monkeypatch, tmp_path):
    """Settings whose Trino port nobody listens on (with a certificate to trust, as after any `stack up`);
    the dashboard's caches start empty."""
    from osspulse.stack.security import ensure_tls

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("OSSPULSE_TRINO_PORT", str(port))
    monkeypatch.setenv("OSSPULSE_TRINO_TLS_CA_FILE", str(ensure_tls(tmp_path, ["127.0.0.1"]).certificate))
    get_settings.cache_clear()
    st.cache_data.clear()
    st.cache_resource.clear()
    yield port
    get_settings.cache_clear()
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.mark.parametrize("page", list(PAGES))
def test_a_page_says_trino_is_unreachable(trino_down, page):
    at = AppTest.from_function(_page, args=(page,), default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == PAGES[page][1]
    messages = [e.value for e in at.error]
    assert messages, "no error shown"
    for message in messages:
        assert message.startswith("Could not load "), message
        assert f"Trino at https://127.0.0.1:{trino_down} is not reachable (connection refused)" in message
        assert "osspulse stack status" in message
        assert "Traceback" not in message


def test_importing_the_dashboard_runs_no_query(monkeypatch):
    import importlib

    import osspulse.dashboard.app as app
    from osspulse.dashboard import data, gold

    def no_query(*args, **kwargs):
        raise AssertionError("a query ran at import time")

    monkeypatch.setattr(gold.GoldReader, "run", no_query)
    monkeypatch.setattr(gold.GoldReader, "connection", no_query)
    importlib.reload(data)
    importlib.reload(app)  # app.py runs main() only as the script Streamlit executes

"""Trino connections for the pipeline, tests, tools and the dashboard: one login per role.

Every connection logs in with its role's password (``OSSPULSE_TRINO_<ROLE>_PASSWORD``) over HTTPS,
trusting the stack's certificate (``Settings.trino_ca_path``). Nothing else in the code base opens a Trino
connection: dbt gets the same from its profile (:mod:`osspulse.transform.dbt`), the Trino CLI from
:mod:`osspulse.workbench.sql`.
"""

from __future__ import annotations

from contextlib import closing
from typing import Any

from osspulse.settings import Settings


def trino_auth(s: Settings, user: str, password: str | None = None) -> Any:
    """HTTP basic authentication of ``user`` with its role's password (or ``password``)."""
    from trino.auth import BasicAuthentication

    return BasicAuthentication(user, s.trino_password(user) if password is None else password)


def connect(
    s: Settings,
    *,
    user: str | None = None,
    catalog: str | None = None,
    password: str | None = None,
    **options: Any,
) -> Any:
    """A DB-API connection to Trino as ``user`` (default: the ETL user), logged in with its password.

    Args:
        password: another password than the role's (tests of refused logins).
        options: further ``trino.dbapi.connect`` arguments (schema, source, session properties ...).
    """
    import trino

    user = user or s.trino_etl_user
    options.setdefault("request_timeout", 300)
    return trino.dbapi.connect(
        host=s.trino_host,
        port=s.trino_port,
        user=user,
        auth=trino_auth(s, user, password),
        catalog=catalog or s.catalog_name,
        http_scheme="https",
        http_session=_tls_session(s),
        **options,
    )


def _tls_session(s: Settings) -> Any:
    """A ``requests`` session trusting the stack's certificate, and only it.

    ``trust_env`` is off: requests lets ``REQUESTS_CA_BUNDLE`` / ``CURL_CA_BUNDLE`` override a session's
    own ``verify`` (psf/requests#3829), which would make the certificate check fail, or trust the system
    bundle instead of ours.
    """
    import requests

    if not s.trino_ca_path.is_file():
        raise FileNotFoundError(
            f"Trino's TLS certificate {s.trino_ca_path} does not exist: `osspulse stack up` creates it "
            "(or set OSSPULSE_TRINO_TLS_CA_FILE to the certificate of the Trino you use)"
        )
    session = requests.Session()
    session.trust_env = False
    session.verify = str(s.trino_ca_path)
    return session


def trino_connection(
    s: Settings, *, user: str | None = None, catalog: str | None = None, **options: Any
) -> closing[Any]:
    """:func:`connect`, closed at the end of a ``with`` block."""
    return closing(connect(s, user=user, catalog=catalog, **options))


def http_session(s: Settings, user: str | None = None) -> Any:
    """A ``requests`` session for Trino's REST API (``/v1/query`` ...) as ``user``, TLS verified."""
    user = user or s.trino_etl_user
    session = _tls_session(s)
    session.auth = (user, s.trino_password(user))
    session.headers["X-Trino-User"] = user
    return session

"""Trino's security files, shared by the native stack and the Docker Compose deployment.

* the password file: one ``user:bcrypt-hash`` line per role (``etl``, ``analyst``, ``dashboard``), from the
  passwords in ``.env``; a hash is kept while it still matches its password, so rewriting is idempotent;
* the TLS certificate clients verify (self-signed, generated once, renewed when the host names it must
  carry change or it nears expiry) and the PEM keystore (key + certificate) Trino serves it from;
* the authentication lines of ``config.properties`` (password authentication over HTTPS, the internal
  shared secret of coordinator <-> workers).

Why TLS and not ``http-server.authentication.allow-insecure-over-http``: with that switch Trino authenticates
plain-HTTP requests with its *insecure* authenticator, which takes the user name from the request and
checks no password at all (``AuthenticationFilter``), so it cannot make the roles mean anything.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
from dataclasses import dataclass
from pathlib import Path

from osspulse.settings import Settings
from osspulse.stack import fs

#: bcrypt cost of the password file (Trino accepts 8 or more).
BCRYPT_COST = 10
#: a certificate is renewed when it expires sooner than this
RENEW_BEFORE = dt.timedelta(days=30)
CERT_LIFETIME = dt.timedelta(days=825)


# --- users and passwords -----------------------------------------------------------------------------


def trino_users(s: Settings) -> dict[str, str]:
    """role user -> password, for every Trino role."""
    return {
        s.trino_etl_user: s.trino_etl_password.get_secret_value(),
        s.trino_analyst_user: s.trino_analyst_password.get_secret_value(),
        s.trino_dashboard_user: s.trino_dashboard_password.get_secret_value(),
    }


def trino_password_file(s: Settings, previous: str = "") -> str:
    """The password file (``user:bcrypt``), keeping every hash of ``previous`` that still matches."""
    import bcrypt

    kept: dict[str, str] = {}
    for line in previous.splitlines():
        user, sep, hashed = line.partition(":")
        if sep:
            kept[user] = hashed
    lines = []
    for user, password in trino_users(s).items():
        if not password or password == "change-me":
            raise ValueError(
                f"no password for the Trino user {user!r}: run `make setup`, which adds the missing "
                "OSSPULSE_TRINO_*_PASSWORD settings to .env"
            )
        hashed = kept.get(user, "")
        if not (hashed and bcrypt.checkpw(password.encode(), hashed.encode())):
            hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(BCRYPT_COST, prefix=b"2b")).decode()
        lines.append(f"{user}:{hashed}")
    return "\n".join(lines) + "\n"


def trino_password_authenticator_properties(password_file: Path) -> str:
    return (
        "password-authenticator.name=file\n"
        f"file.password-file={password_file}\n"
        "file.refresh-period=10s\n"
        "file.auth-token-cache.max-size=100\n"
    )


# --- TLS ------------------------------------------------------------------------------------------------

_ANY = {"0.0.0.0", "::", ""}  # noqa: S104 - addresses meaning "every interface"


def trino_tls_hostnames(s: Settings, *extra: str) -> list[str]:
    """The names and addresses Trino's certificate must carry: every way a client may reach it."""
    names = ["localhost", "127.0.0.1", "::1", s.trino_host, *extra]
    if s.trino_bind_host not in _ANY:
        names.append(s.trino_bind_host)
    else:  # shared on every interface: the machine's own names
        names += [socket.gethostname(), socket.getfqdn()]
    unique: list[str] = []
    for name in names:
        if name and name not in unique:
            unique.append(name)
    return unique


@dataclass(frozen=True)
class TlsFiles:
    """``keystore``: key + certificate (PEM, mode 600), for Trino; ``certificate``: what clients trust."""

    keystore: Path
    certificate: Path


def tls_files(directory: Path) -> TlsFiles:
    return TlsFiles(directory / "trino-keystore.pem", directory / "trino-cert.pem")


def ensure_tls(directory: Path, hostnames: list[str], *, now: dt.datetime | None = None) -> TlsFiles:
    """A self-signed certificate for ``hostnames`` in ``directory`` (created, or renewed when needed)."""
    files = tls_files(directory)
    now = now or dt.datetime.now(dt.UTC)
    if _certificate_fits(files, hostnames, now):
        return files
    key_pem, cert_pem = _self_signed(hostnames, now)
    fs.write_file(files.keystore, key_pem + cert_pem, mode=0o600)
    fs.write_file(files.certificate, cert_pem, mode=0o644)
    return files


def _certificate_fits(files: TlsFiles, hostnames: list[str], now: dt.datetime) -> bool:
    from cryptography import x509

    try:
        cert = x509.load_pem_x509_certificate(files.certificate.read_bytes())
        files.keystore.stat()
    except (OSError, ValueError):
        return False
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return False
    carried = {str(n) for n in san.get_values_for_type(x509.DNSName)}
    carried |= {str(ip) for ip in san.get_values_for_type(x509.IPAddress)}
    return set(_normalised(hostnames)) <= carried and cert.not_valid_after_utc - now > RENEW_BEFORE


def _normalised(hostnames: list[str]) -> list[str]:
    out = []
    for name in hostnames:
        try:
            out.append(str(ipaddress.ip_address(name)))
        except ValueError:
            out.append(name.lower())
    return out


def _self_signed(hostnames: list[str], now: dt.datetime) -> tuple[bytes, bytes]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    alt_names: list[x509.GeneralName] = []
    for name in _normalised(hostnames):
        try:
            alt_names.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            alt_names.append(x509.DNSName(name))
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "osspulse-trino")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + CERT_LIFETIME)
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return key_pem, cert.public_bytes(serialization.Encoding.PEM)


# --- config.properties ----------------------------------------------------------------------------------


def trino_auth_properties(
    s: Settings, *, role: str, keystore: Path | None, truststore: Path | None, internal_https: bool
) -> list[str]:
    """The security lines of a node's ``config.properties``.

    Args:
        role: ``single`` | ``coordinator`` | ``worker``.
        keystore: the PEM keystore clients are served (coordinators; None for a worker over HTTP).
        truststore: the certificate internal HTTPS trusts (with ``internal_https``).
        internal_https: nodes talk to each other over HTTPS on the client port (the native single node,
            which then needs no HTTP port at all); otherwise over HTTP, authenticated by the shared secret
            (a compose network; the HTTP port refuses every client login).
    """
    lines = ["internal-communication.shared-secret=${ENV:OSSPULSE_TRINO_SHARED_SECRET}"]
    if role != "worker":
        lines += [
            "http-server.authentication.type=PASSWORD",
            "http-server.authentication.allow-insecure-over-http=false",
        ]
    if keystore is not None:
        lines += [
            "http-server.https.enabled=true",
            f"http-server.https.port={s.trino_port}",
            f"http-server.https.keystore.path={keystore}",
        ]
    if internal_https:
        lines += [
            "http-server.http.enabled=false",
            "internal-communication.https.required=true",
        ]
        if truststore is not None:
            lines.append(f"internal-communication.https.truststore.path={truststore}")
    return lines

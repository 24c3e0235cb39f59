"""A local alert sink: an SMTP server (aiosmtpd) and a webhook receiver that keep what they receive.

The stack runs it (``osspulse alert-sink serve``, service ``alert-sink``) while no real SMTP server or
webhook is configured, so ``make demo`` shows the alerts it raised; tests start one in-process
(:class:`AlertSink`). Every message is a file in ``DIR``: ``mail-<n>.eml`` (the raw message) and
``webhook-<n>.json`` (path, headers that are not secrets, body). HTTP:

* ``POST /<any path>``: a webhook delivery (JSON body) -> 200, or the injected failure;
* ``GET /``: an inbox page listing what arrived, newest first; ``GET /messages.json``: the same as JSON;
* ``POST /_sink/fail?count=N&status=503[&containing=TEXT]``: answer the next N webhook deliveries (whose
  body contains TEXT) with that status (a receiver that is down or failing), ``GET /_sink/health``.
"""

from __future__ import annotations

import email
import email.policy
import html
import json
import logging
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

log = logging.getLogger(__name__)


@dataclass
class Inbox:
    """The directory of received messages (thread-safe numbering)."""

    root: Path
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)

    def _next(self, prefix: str, suffix: str) -> Path:
        with self._lock:
            n = len(list(self.root.glob(f"{prefix}-*{suffix}"))) + 1
            path = self.root / f"{prefix}-{n:05d}{suffix}"
            path.touch()
            return path

    def add_mail(self, raw: bytes, mail_from: str, rcpt_tos: list[str]) -> Path:
        path = self._next("mail", ".eml")
        path.write_bytes(raw)
        log.info("mail from %s to %s -> %s", mail_from, ", ".join(rcpt_tos), path.name)
        return path

    def add_webhook(self, path_: str, headers: dict[str, str], body: bytes) -> Path:
        path = self._next("webhook", ".json")
        try:
            payload: Any = json.loads(body)
        except ValueError:
            payload = body.decode("utf-8", "replace")
        record = {
            "received_at": datetime.now(UTC).isoformat(),
            "path_length": len(path_),  # the path of a real webhook is its secret: not kept
            "content_type": headers.get("Content-Type", ""),
            "body": payload,
        }
        path.write_text(json.dumps(record, indent=2))
        log.info("webhook post (%d bytes) -> %s", len(body), path.name)
        return path

    def mails(self) -> list[EmailMessage]:
        return [
            email.message_from_bytes(p.read_bytes(), policy=email.policy.default)  # type: ignore[misc]
            for p in sorted(self.root.glob("mail-*.eml"))
        ]

    def webhooks(self) -> list[dict[str, Any]]:
        return [json.loads(p.read_text()) for p in sorted(self.root.glob("webhook-*.json"))]

    def summary(self) -> list[dict[str, Any]]:
        rows = []
        for p in sorted(self.root.glob("mail-*.eml")):
            msg = email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
            rows.append({"file": p.name, "kind": "email", "to": msg["To"], "subject": msg["Subject"]})
        for p in sorted(self.root.glob("webhook-*.json")):
            body = json.loads(p.read_text()).get("body")
            text = body.get("text", "") if isinstance(body, dict) else str(body)
            rows.append({"file": p.name, "kind": "webhook", "to": "webhook", "subject": text.split("\n")[0]})
        return sorted(rows, key=lambda r: r["file"], reverse=True)


class _Faults:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.fail_next = 0
        self.status = 503
        self.containing = b""

    def take(self, body: bytes = b"") -> int | None:
        with self.lock:
            if self.fail_next > 0 and self.containing in body:
                self.fail_next -= 1
                return self.status
        return None


def _http_handler(inbox: Inbox, faults: _Faults) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, fmt: str, *args: Any) -> None:  # the request line holds the secret path
            return

        def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            url = urlsplit(self.path)
            if url.path == "/_sink/health":
                self._send(200, b'{"ok": true}')
            elif url.path == "/messages.json":
                self._send(200, json.dumps(inbox.summary()).encode())
            elif url.path == "/":
                self._send(200, _inbox_page(inbox).encode(), "text/html; charset=utf-8")
            else:
                self._send(404, b'{"error": "not found"}')

        def do_POST(self) -> None:  # noqa: N802
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if url.path == "/_sink/fail":
                query = parse_qs(url.query)
                with faults.lock:
                    faults.fail_next = int(query.get("count", ["1"])[0])
                    faults.status = int(query.get("status", ["503"])[0])
                    faults.containing = query.get("containing", [""])[0].encode()
                self._send(200, json.dumps({"fail_next": faults.fail_next, "status": faults.status}).encode())
                return
            status = faults.take(body)
            if status is not None:
                log.info("webhook post refused with %d (injected)", status)
                self._send(status, b'{"error": "injected failure"}')
                return
            inbox.add_webhook(url.path, dict(self.headers), body)
            self._send(200, b"ok", "text/plain")

    return Handler


def _inbox_page(inbox: Inbox) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(r['file'])}</td><td>{r['kind']}</td><td>{html.escape(str(r['to']))}</td>"
        f"<td>{html.escape(str(r['subject']))}</td></tr>"
        for r in inbox.summary()
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>OSS Pulse alert sink</title></head><body>"
        f"<h1>OSS Pulse alert sink</h1><p>Messages in {html.escape(str(inbox.root))}, newest first.</p>"
        "<table border='1' cellpadding='4'><tr><th>file</th><th>kind</th><th>to</th><th>subject</th></tr>"
        f"{rows}</table></body></html>"
    )


class _SmtpHandler:
    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd
        self.inbox.add_mail(
            envelope.original_content or envelope.content, envelope.mail_from, envelope.rcpt_tos
        )
        return "250 Message accepted for delivery"


class AlertSink:
    """The SMTP server and the webhook receiver, started in threads (``with AlertSink(...) as sink``)."""

    def __init__(self, directory: Path, host: str = "127.0.0.1", smtp_port: int = 0, http_port: int = 0):
        self.inbox = Inbox(Path(directory))
        self.host = host
        self._smtp_port = smtp_port
        self._http_port = http_port
        self._faults = _Faults()
        self._http: ThreadingHTTPServer | None = None
        self._controller: Any = None

    def start(self) -> AlertSink:
        from aiosmtpd.controller import Controller

        self._http = ThreadingHTTPServer(
            (self.host, self._http_port), _http_handler(self.inbox, self._faults)
        )
        threading.Thread(target=self._http.serve_forever, name="alert-sink-http", daemon=True).start()
        port = self._smtp_port or _free_port(self.host)
        self._controller = Controller(_SmtpHandler(self.inbox), hostname=self.host, port=port)
        self._controller.start()
        log.info("alert sink: SMTP %s:%d, webhook and inbox %s", self.host, port, self.url)
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()

    def __enter__(self) -> AlertSink:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def smtp_port(self) -> int:
        return int(self._controller.port)

    @property
    def http_port(self) -> int:
        assert self._http is not None
        return int(self._http.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.http_port}"

    def fail_next(self, count: int, status: int = 503, containing: str = "") -> None:
        """Refuse the next ``count`` webhook posts (whose body contains ``containing``) with ``status``."""
        with self._faults.lock:
            self._faults.fail_next, self._faults.status = count, status
            self._faults.containing = containing.encode()


def _free_port(host: str) -> int:
    import socket

    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def serve(directory: Path, host: str, smtp_port: int, http_port: int) -> None:
    """Run the sink until interrupted (the stack's ``alert-sink`` service)."""
    import time

    with AlertSink(directory, host, smtp_port, http_port):
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


def _serve_command(args: Any) -> int:
    from osspulse.settings import get_settings

    s = get_settings()
    directory = Path(args.dir) if args.dir else s.state_dir / "alert-sink"
    serve(directory, args.host or s.bind_host, args.smtp_port or s.alert_sink_smtp_port,
          args.http_port or s.alert_sink_http_port)  # fmt: skip
    return 0


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("alert-sink", help="a local SMTP server and webhook receiver for alerts")
    sub = p.add_subparsers(dest="action", required=True)
    serve_p = sub.add_parser("serve", help="receive alert e-mails and webhook posts into a directory")
    serve_p.add_argument("--dir", help="where messages are kept (default: <state dir>/alert-sink)")
    serve_p.add_argument("--host", help="default: OSSPULSE_BIND_HOST")
    serve_p.add_argument("--smtp-port", type=int, help="default: OSSPULSE_ALERT_SINK_SMTP_PORT (8025)")
    serve_p.add_argument("--http-port", type=int, help="default: OSSPULSE_ALERT_SINK_HTTP_PORT (8026)")
    serve_p.set_defaults(func=_serve_command)

"""``osspulse docs``: the dbt documentation site (every model, column and metric definition, lineage).

    osspulse docs generate     # dbt docs generate against the lake, published to <state>/dbt-docs
    osspulse docs serve        # serve <state>/dbt-docs on OSSPULSE_DOCS_PORT (the stack's `docs` service)
    osspulse docs              # generate, then serve in the foreground

``transform_dbt`` regenerates the site after every run, so the served docs follow the models.
"""

from __future__ import annotations

import argparse
import functools
import logging
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from osspulse.settings import Settings
from osspulse.transform.docs import generate, site_dir

log = logging.getLogger(__name__)

PLACEHOLDER = """<!doctype html><html><head><title>OSS Pulse dbt docs</title></head><body>
<h1>OSS Pulse dbt docs</h1><p>No documentation generated yet. It appears after the first
<code>transform_dbt</code> run, or run <code>osspulse docs generate</code>.</p></body></html>
"""


def serve(s: Settings) -> None:
    site = site_dir(s)
    site.mkdir(parents=True, exist_ok=True)
    if not (site / "index.html").exists():
        (site / "index.html").write_text(PLACEHOLDER)
    # serve the directory by path each request, so a regenerated site (a renamed directory) is picked up
    handler = functools.partial(_Handler, site=site)
    server = ThreadingHTTPServer((s.docs_bind_host, s.docs_port), handler)
    log.info("dbt docs on %s (from %s)", s.docs_url, site)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


class _Handler(SimpleHTTPRequestHandler):
    def __init__(self, *args, site: Path, **kwargs) -> None:
        super().__init__(*args, directory=str(site), **kwargs)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        log.debug("docs: " + format, *args)


def _docs(args: argparse.Namespace) -> int:
    from osspulse.settings import get_settings

    s = get_settings()
    if args.action in ("generate", None):
        generate(s)
    if args.action in ("serve", None):
        serve(s)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    docs = sub.add_parser("docs", help="the dbt docs site: generate and/or serve it")
    docs.add_argument(
        "action", nargs="?", choices=["generate", "serve"], help="default: generate, then serve"
    )
    docs.set_defaults(func=_docs)

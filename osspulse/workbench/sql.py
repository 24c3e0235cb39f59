"""``osspulse sql``: the Trino CLI (installed by ``make setup``) against catalog ``lake`` as the analyst.

osspulse sql                                   # interactive
osspulse sql -e "select * from gold.repo_activity_monthly limit 5"
osspulse sql -e "..." --format csv|json|table
"""

from __future__ import annotations

import argparse
import os
import subprocess
from pathlib import Path

from osspulse.settings import Settings

CLI_JAR = "trino-cli-476.jar"
FORMATS = {"table": "ALIGNED", "csv": "CSV_HEADER", "json": "JSON", "tsv": "TSV_HEADER"}


def cli_command(
    s: Settings, *, execute: str | None, fmt: str, user: str | None, catalog: str | None
) -> list[str]:
    jar = s.cache_dir / "bin" / CLI_JAR
    if not jar.exists():
        raise FileNotFoundError(f"the Trino CLI is not installed ({jar}): run `make setup`")
    java = Path(s.resolve_trino_java_home()) / "bin" / "java"
    cmd = [
        # quiet JVM: no native-access warning, no java.util.logging notice about a dumb terminal
        str(java), "--enable-native-access=ALL-UNNAMED", "-Djava.util.logging.config.file=/dev/null",
        "-jar", str(jar),
        "--server", s.trino_url,
        "--truststore-path", str(s.trino_ca_path),
        "--user", user or s.trino_analyst_user,
        # the password comes from TRINO_PASSWORD in the CLI's environment (cli_env), never the command line
        "--password",
        "--catalog", catalog or s.catalog_name,
        "--schema", "gold",
    ]  # fmt: skip
    if execute is not None:
        cmd += ["--execute", execute, "--output-format", FORMATS[fmt]]
    return cmd


def cli_env(s: Settings, user: str | None) -> dict[str, str]:
    """The CLI's environment: the role's password as ``TRINO_PASSWORD`` (what ``--password`` reads)."""
    return {**os.environ, "TZ": "UTC", "TRINO_PASSWORD": s.trino_password(user or s.trino_analyst_user)}


def _sql(args: argparse.Namespace) -> int:
    from osspulse.settings import get_settings

    s = get_settings()
    cmd = cli_command(s, execute=args.execute, fmt=args.format, user=args.user, catalog=args.catalog)
    env = cli_env(s, args.user)
    if args.execute is None:
        os.execvpe(cmd[0], cmd, env)  # noqa: S606 - interactive: hand the terminal to the CLI
    return subprocess.call(cmd, env=env)  # noqa: S603


def register(sub: argparse._SubParsersAction) -> None:
    sql = sub.add_parser("sql", help="the Trino CLI on catalog lake as the analyst user")
    sql.add_argument("-e", "--execute", help="run one statement, print the result and exit")
    sql.add_argument("--format", choices=sorted(FORMATS), default="table", help="output of --execute")
    sql.add_argument("--user", help="Trino user (default: OSSPULSE_TRINO_ANALYST_USER)")
    sql.add_argument("--catalog", help="catalog (default: lake; `staging` reads the raw API payloads)")
    sql.set_defaults(func=_sql)

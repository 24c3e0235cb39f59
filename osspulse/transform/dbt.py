"""Run dbt on the project in ``dbt_project/`` with a profile derived from :class:`Settings`.

``dbt_project/profiles.yml`` reads host, port, user and catalog from environment variables that carry
the same names as the settings (``OSSPULSE_TRINO_HOST`` ...); :func:`dbt_env` fills them from a
``Settings`` object, so values from ``.env`` or a test's ``settings.model_copy`` reach dbt too.

A :class:`DbtTarget` says where a run reads and writes: ``schema_prefix`` turns ``lake.bronze`` /
``silver`` / ``gold`` into ``lake.<prefix>bronze`` ... (dev and test builds), ``raw_schema`` names the
raw source schema (``ops_schema`` the schema of the pipeline's own records), and ``workdir`` keeps a
run's seeds, target/ and logs apart from other runs of the same checkout.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from osspulse.settings import REPO_ROOT, Settings

log = logging.getLogger(__name__)

PROJECT_DIR = REPO_ROOT / "dbt_project"
LAYERS = ("bronze", "silver", "gold")
_PREFIX_RE = re.compile(r"^([a-z][a-z0-9_]*_)?$")
_SCHEMA_RE = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class DbtTarget:
    """Where a dbt run reads (``raw_schema``) and writes (``<schema_prefix>bronze|silver|gold``)."""

    schema_prefix: str = ""
    raw_schema: str = "raw"
    #: schema of the pipeline's own records (lake.ops: dbt test results, DAG runs), a dbt source
    ops_schema: str = "ops"
    #: seeds, target/ and logs of this run; None = dbt_project/seeds, dbt_project/target, dbt_project/logs
    workdir: Path | None = None
    #: a Trino client tag on every query of the run (benchmarks find their queries by it)
    run_tag: str = "manual"
    #: models and tests at once; None = the dbt_threads setting
    threads: int | None = None
    extra_env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not _PREFIX_RE.match(self.schema_prefix):
            raise ValueError(
                f"schema prefix {self.schema_prefix!r} must be empty or lower-case letters, digits and _ "
                "ending in _ (e.g. t_ab12_)"
            )
        for kind, schema in (("raw", self.raw_schema), ("ops", self.ops_schema)):
            if not _SCHEMA_RE.match(schema):
                raise ValueError(f"{kind} schema {schema!r} must be lower-case letters, digits and _")

    def schema(self, layer: str) -> str:
        """The schema a layer (bronze | silver | gold) is written to."""
        return f"{self.schema_prefix}{layer}"

    @property
    def seed_dir(self) -> Path:
        return (self.workdir / "seeds") if self.workdir else PROJECT_DIR / "seeds"


@dataclass(frozen=True)
class DbtResult:
    args: tuple[str, ...]
    returncode: int
    seconds: float
    output: str = ""

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def dbt_executable() -> str:
    """The dbt of this Python environment (the venv's ``bin/dbt``), else the one on PATH."""
    candidate = Path(sys.executable).with_name("dbt")
    if candidate.exists():
        return str(candidate)
    found = shutil.which("dbt")
    if not found:
        raise RuntimeError("dbt is not installed in this environment: run `make setup`")
    return found


def dbt_secret_env(settings: Settings) -> dict[str, str]:
    """The profile's password, kept apart from :func:`dbt_env` (whose values Airflow shows as an XCom):
    ``run_dbt`` adds it to dbt's environment; Airflow's task processes have it in theirs
    (:func:`osspulse.stack.configs.airflow_env`)."""
    return {"OSSPULSE_TRINO_ETL_PASSWORD": settings.trino_etl_password.get_secret_value()}


def dbt_env(settings: Settings, target: DbtTarget) -> dict[str, str]:
    """The environment variables the project's profiles.yml and dbt_project.yml read (no secret)."""
    env = {
        "OSSPULSE_TRINO_HOST": settings.trino_host,
        "OSSPULSE_TRINO_PORT": str(settings.trino_port),
        "OSSPULSE_TRINO_ETL_USER": settings.trino_etl_user,
        "OSSPULSE_TRINO_TLS_CA_FILE": str(settings.trino_ca_path),
        # requests (under dbt-trino) lets these override the profile's `cert` (psf/requests#3829); dbt
        # talks to Trino only, so they name Trino's certificate too
        "REQUESTS_CA_BUNDLE": str(settings.trino_ca_path),
        "CURL_CA_BUNDLE": str(settings.trino_ca_path),
        "OSSPULSE_CATALOG_NAME": settings.catalog_name,
        "OSSPULSE_BOT_LOGINS": settings.bot_logins,
        "OSSPULSE_DBT_SCHEMA_PREFIX": target.schema_prefix,
        "OSSPULSE_DBT_RAW_SCHEMA": target.raw_schema,
        "OSSPULSE_DBT_OPS_SCHEMA": target.ops_schema,
        "OSSPULSE_DBT_SEED_DIR": str(target.seed_dir),
        "OSSPULSE_DBT_RUN_TAG": target.run_tag,
        "OSSPULSE_DBT_THREADS": str(target.threads or settings.dbt_threads),
        "DBT_PROFILES_DIR": str(PROJECT_DIR),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
        "DBT_PARTIAL_PARSE": "True",
        "TZ": "UTC",
    }
    if target.workdir:
        env["DBT_TARGET_PATH"] = str(target.workdir / "target")
        env["DBT_LOG_PATH"] = str(target.workdir / "logs")
    env.update(target.extra_env)
    return env


def prepare(settings: Settings, target: DbtTarget) -> None:
    """Write the tracked-set seeds and the alert rules seed for this run (see
    :mod:`osspulse.transform.seeds`, :mod:`osspulse.alerts.rules`): a mistake in alerts.yml stops the run
    here, naming its line."""
    from osspulse.alerts.rules import load_alerts, write_seed
    from osspulse.tracked import tracked_from_settings
    from osspulse.transform.seeds import write_seeds

    tracked = tracked_from_settings(settings)
    write_seeds(tracked, target.seed_dir)
    write_seed(load_alerts(settings.tracked, settings.alert_rules, tracked), target.seed_dir)


def run_dbt(
    settings: Settings,
    args: list[str] | tuple[str, ...],
    target: DbtTarget | None = None,
    *,
    capture: bool = False,
    check: bool = False,
) -> DbtResult:
    """Run ``dbt <args>`` in dbt_project/ against ``target``; returns the exit code and wall time.

    With ``capture`` the output is returned (and logged at debug level) instead of streamed.
    With ``check`` a failing run raises :class:`RuntimeError` naming the command and its last lines.
    """
    target = target or DbtTarget()
    prepare(settings, target)
    cmd = [dbt_executable(), *args]
    env = {**os.environ, **dbt_env(settings, target), **dbt_secret_env(settings)}
    log.info("dbt %s (schemas %s*, raw %s)", " ".join(args), target.schema_prefix or "", target.raw_schema)
    started = time.perf_counter()
    proc = subprocess.run(  # noqa: S603 - our own dbt with our own arguments
        cmd,
        cwd=PROJECT_DIR,
        env=env,
        text=True,
        stdout=subprocess.PIPE if capture else None,
        stderr=subprocess.STDOUT if capture else None,
        check=False,
    )
    result = DbtResult(tuple(args), proc.returncode, time.perf_counter() - started, proc.stdout or "")
    if capture:
        log.debug("dbt output:\n%s", result.output)
    if check and not result.ok:
        tail = "\n".join(result.output.splitlines()[-40:])
        raise RuntimeError(f"`dbt {' '.join(args)}` failed with exit code {result.returncode}:\n{tail}")
    return result


def ensure_dbt_manifest(s: Settings) -> bool:
    """``dbt parse`` when the project's manifest (and the partial-parse state the transform's build
    starts from) is missing or stale."""
    manifest = PROJECT_DIR / "target" / "manifest.json"
    prepare(s, DbtTarget())
    sources = [PROJECT_DIR / "dbt_project.yml", *PROJECT_DIR.glob("*/**/*.*")]
    newest = max(p.stat().st_mtime for p in sources if p.is_file() and "target" not in p.parts)
    if manifest.exists() and manifest.stat().st_mtime >= newest:
        return False
    log.info("dbt parse: the manifest of transform_dbt is missing or older than the project")
    run_dbt(s, ["parse"], DbtTarget(), capture=True, check=True)
    return True

"""Bodies of the Airflow tasks. Each works on the interval or asset events it was given, never on now()."""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

from osspulse.settings import Settings, get_settings

log = logging.getLogger(__name__)


def current_settings() -> Settings:
    """Settings read afresh: Airflow's worker processes outlive a change of ``.env`` or of the
    demo's ``sources.env``, and a cached copy would send a task to yesterday's configuration."""
    get_settings.cache_clear()
    return get_settings()


# --- the run's load date ------------------------------------------------------------------------


def load_date_for(context: dict[str, Any]) -> date:
    """The UTC load date of an ingest run: ``params.load_date`` if given, else the data interval's start
    (Airflow's ``ds``; backfills and reruns of a day therefore write the same partition), else the
    day the run was requested (a manual run without a logical date)."""
    given = (context.get("params") or {}).get("load_date")
    if given:
        return date.fromisoformat(str(given))
    for key in ("data_interval_start", "logical_date"):
        value = context.get(key)
        if value is not None:
            return value.date()
    return context["dag_run"].run_after.date()


def plan_ingest(context: dict[str, Any]) -> dict[str, Any]:
    """The batch of an ``ingest`` run: its load date and the repositories and packages to ingest.

    ``params.repos``/``params.packages`` when given, else the tracked set's; ``params.sources`` limits the
    batch to GitHub or PyPI. A tracked set with only one side is fine; nothing at all is a clear failure
    (no retry: retrying cannot fix the configuration).
    """
    from airflow.sdk.exceptions import AirflowFailException

    from osspulse.tracked import TrackedError, load_tracked

    s = current_settings()
    params = context.get("params") or {}
    sources = list(params.get("sources") or ("github", "pypi"))
    try:
        tracked_set = load_tracked(s.tracked)
    except (TrackedError, OSError) as exc:
        raise AirflowFailException(f"the tracked set cannot be read: {exc}") from None
    repos = list(dict.fromkeys(params.get("repos") or tracked_set.repos)) if "github" in sources else []
    packages = (
        list(dict.fromkeys(params.get("packages") or tracked_set.packages)) if "pypi" in sources else []
    )
    if not repos and not packages:
        raise AirflowFailException(
            f"nothing to ingest: the tracked set {s.tracked} lists no repositories and no packages for "
            f"sources {sources}; add some (docs/ingest.md, 'The tracked set') or pass params"
        )
    batch = {"load_date": load_date_for(context).isoformat(), "repos": repos, "packages": packages}
    log.info("ingest batch: %s", batch)
    return batch


# --- ingest -----------------------------------------------------------------------------------------


def _github_token() -> str | None:
    """The token of the ``github_api`` Airflow connection (its password), else GITHUB_TOKEN."""
    try:
        from airflow.sdk import BaseHook

        return BaseHook.get_connection("github_api").password or None
    except Exception:  # no such connection: the settings' GITHUB_TOKEN (possibly empty) is used
        return None


def ingest_repo(repo: str, load_date: date) -> dict[str, Any]:
    """Ingest one repo; an unknown repo fails at once (no retry), other errors are retried by Airflow."""
    from airflow.sdk.exceptions import AirflowFailException

    from osspulse.ingest.github import ingest_repo as run
    from osspulse.ingest.report import NotFoundError

    try:
        report = run(current_settings(), repo, load_date, token=_github_token())
    except NotFoundError as exc:
        raise AirflowFailException(
            f"{exc} — check the spelling in the tracked set (OSSPULSE_TRACKED) or remove it; "
            "the other repos were ingested"
        ) from None
    except ValueError as exc:
        raise AirflowFailException(str(exc)) from None
    return report.to_dict()


def ingest_package(package: str, load_date: date) -> dict[str, Any]:
    from airflow.sdk.exceptions import AirflowFailException

    from osspulse.ingest.pypi import ingest_package as run
    from osspulse.ingest.report import NotFoundError

    try:
        report = run(current_settings(), package, load_date)
    except NotFoundError as exc:
        raise AirflowFailException(
            f"{exc} — check the spelling in the tracked set (OSSPULSE_TRACKED) or remove it; "
            "the other packages were ingested"
        ) from None
    return report.to_dict()


def batch_extra(batch: dict[str, Any], reports: list[dict[str, Any]] | None) -> dict[str, Any]:
    """The extra of a ``staging`` batch event: the load date and the entities the load should pick up."""
    from osspulse.orchestration.assets import entities_of

    done = [r for r in (reports or []) if r]
    sources = [src for src, items in (("github", batch["repos"]), ("pypi", batch["packages"])) if items]
    return {
        "load_date": batch["load_date"],
        "sources": sources,
        "entities": [name for src in sources for name in entities_of(src)],
        "targets_ok": sorted(r["target"] for r in done if r.get("ok")),
    }


# --- load -------------------------------------------------------------------------------------------


def plan_load(context: dict[str, Any]) -> dict[str, Any]:
    """Entities and load-date window of a ``load_iceberg`` run.

    Asset-triggered: the union of the ``staging`` batch events that triggered the run (window = their
    load dates; several events when batches queued up while a load ran). Manual:
    ``params.start``/``end``/``entities``.
    """
    from osspulse.lake.spark import jar_paths
    from osspulse.orchestration.assets import STAGING_BATCH

    s = current_settings()
    params = context.get("params") or {}
    entities: set[str] = set()
    dates: list[date] = []
    events = context.get("triggering_asset_events") or {}
    for event in _events_for(events, STAGING_BATCH):
        extra = event.extra or {}
        entities.update(extra.get("entities", []))
        if extra.get("load_date"):
            dates.append(date.fromisoformat(extra["load_date"]))
    if params.get("start"):
        start = date.fromisoformat(params["start"])
        end = date.fromisoformat(params["end"]) if params.get("end") else start + timedelta(days=1)
        entities = set(params.get("entities") or []) or _all_entities()
    elif dates:
        start, end = min(dates), max(dates) + timedelta(days=1)
    else:
        start = load_date_for(context)
        end = start + timedelta(days=1)
        entities = set(params.get("entities") or []) or _all_entities()
    plan = {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "entities": sorted(entities),
        "jars": ",".join(jar_paths(s)),
        "driver_memory": s.spark_driver_memory,
    }
    log.info("load plan: %s", {k: v for k, v in plan.items() if k != "jars"})
    return plan


def _events_for(events: Any, asset: Any) -> list[Any]:
    try:
        return list(events[asset])
    except (KeyError, TypeError):
        return []


def _all_entities() -> set[str]:
    from osspulse.entities import ENTITIES

    return {e.name for e in ENTITIES}


def raw_batch_extra(plan: dict[str, Any]) -> dict[str, Any]:
    return {"start": plan["start"], "end": plan["end"], "entities": plan["entities"]}


def spark_submit_env() -> dict[str, str]:
    """Environment of spark-submit: Java 17, the venv's Python for the driver, loopback binding."""
    import os
    import sys

    s = current_settings()
    return {
        **os.environ,
        "JAVA_HOME": str(s.resolve_spark_java_home()),
        "PYSPARK_PYTHON": sys.executable,
        "PYSPARK_DRIVER_PYTHON": sys.executable,
        "SPARK_LOCAL_IP": s.bind_host,
        "TZ": "UTC",
    }


# --- transform ------------------------------------------------------------------------------------


def dbt_build(run_id: str) -> dict[str, int]:
    """The ``dbt_build`` task: source freshness, then one ``dbt build`` (:mod:`osspulse.transform.build`);
    fails naming what failed or was stale, after building everything it could."""
    from airflow.sdk.exceptions import AirflowFailException

    from osspulse.orchestration.health import artifacts_dir
    from osspulse.transform.build import build

    s = current_settings()
    report = build(s, artifacts_dir(s, run_id))
    try:
        report.raise_for_problems()
    except RuntimeError as exc:
        if report.settled:  # a stale source or a failing test: the same again on a retry
            raise AirflowFailException(str(exc)) from None
        raise  # a model that errored (Trino restarting, say): the task's retry builds it
    return {"held_back": len(report.held_back), "failed": len(report.failed)}


def record_health(run_id: str) -> None:
    """dbt results and DAG runs into ``lake.ops``, the docs site regenerated; every step is tried, then
    failures are raised."""
    from osspulse.orchestration import health
    from osspulse.transform import docs

    s = current_settings()
    steps = {
        "dbt results": lambda: health.record_dbt_results(s, run_id),
        "pipeline runs": lambda: health.record_pipeline_runs(s),
        "dbt docs": lambda: docs.generate(s),
    }
    failures = []
    for name, step in steps.items():
        try:
            step()
        except Exception as exc:  # record what can be recorded, then fail naming the rest
            log.exception("recording %s failed", name)
            failures.append(f"{name}: {exc}")
    if failures:
        raise RuntimeError("; ".join(failures))


def deliver_alerts(run_id: str) -> dict[str, int]:
    """The ``deliver_alerts`` task: send the new alert events; fail (to be retried) if any send failed."""
    from osspulse.alerts.delivery import deliver_events
    from osspulse.alerts.rules import alerts_from_settings

    s = current_settings()
    report = deliver_events(s, alerts_from_settings(s), run_id)
    report.raise_for_failures()
    return report.sent


def deliver_weekly_digest(run_after: Any, run_id: str) -> dict[str, int]:
    """The ``alert_digest`` task: the digest of the ISO week before ``run_after`` (a Monday, UTC)."""
    from osspulse.alerts.delivery import deliver_digest, digest_week
    from osspulse.alerts.rules import alerts_from_settings

    s = current_settings()
    report = deliver_digest(s, alerts_from_settings(s), digest_week(run_after), run_id)
    report.raise_for_failures()
    return report.sent

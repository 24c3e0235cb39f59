"""``make test-compose``: the compose deployment for real, on the demo dataset, through Airflow.

1. The native stack's gold for the demo dataset (scale 1, load date 2026-11-20): from
   ``artifacts/native-gold.json`` when it was saved for the same dataset and the same code, else a native
   run now, on the tests' own native stack (tests/conftest.py), stopped afterwards to free its memory.
2. The compose deployment with the demo override (the simulator as the sources), from the images of
   ``make images``, with ``OSSPULSE_COMPOSE_WORKERS`` (2) Spark and Trino workers, in its own project
   (``osspulse-test``, its volumes deleted before and after), started with ``up --wait``.
   Host-side clients use ``.env`` as it is: its ports are the ones compose publishes.
3. One pipeline pass through the published Airflow API while a watcher records which Trino nodes served
   splits and the machine's memory; then every gold table must equal the native run's, row by row, every
   Spark and Trino worker must have worked, the Spark jobs ran on the cluster, only the user-facing ports
   are published, each container holds only its own secrets, and the data survives ``down`` + ``up``.

Figures (up to healthy, trigger to fresh gold per stage, peak memory): ``artifacts/compose-figures.json``.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest

from osspulse import pipeline
from osspulse.deploy.project import DEMO_FILE, ComposeProject, host_settings
from osspulse.lake.trino import trino_connection
from osspulse.orchestration.airflow_api import AirflowClient
from osspulse.settings import REPO_ROOT, Settings
from tests.e2e.test_pipeline import gold_fingerprint

pytestmark = [pytest.mark.compose]

ARTIFACTS = REPO_ROOT / "artifacts"
#: the load date of the demo's tests (the e2e tests use the same)
DEMO_LOAD_DATE = date(2026, 11, 20)
WORKERS = int(os.environ.get("OSSPULSE_COMPOSE_WORKERS", "2"))
PROJECT = "osspulse-test"
KEEP = os.environ.get("OSSPULSE_COMPOSE_KEEP") == "1"  # leave the deployment running afterwards
NATIVE_GOLD = ARTIFACTS / "native-gold.json"
FIGURES = ARTIFACTS / "compose-figures.json"
#: what decides gold besides the dataset: a change here means the saved native hashes are stale
CODE = ("osspulse", "dbt_project", "spark_jobs", "dags", "simulator", "config", "requirements.lock")
#: the machine is shared: a 2+2-worker deployment needs this much available memory to start
NEEDED_GIB = 12


def digest(paths: list[Path], root: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(p for p in paths if p.is_file()):
        if {"__pycache__", "target", "logs", "seeds", "dbt_packages"} & set(path.parts):
            continue
        h.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


#: code that does not decide gold (the deployment's own): changing it keeps the saved native hashes
NOT_GOLD = ("osspulse/deploy/",)


def code_digest() -> str:
    files = [p for name in CODE for p in ([REPO_ROOT / name] + list((REPO_ROOT / name).rglob("*")))]
    files = [p for p in files if not p.relative_to(REPO_ROOT).as_posix().startswith(NOT_GOLD)]
    return digest(files, REPO_ROOT)


def memory_used_gib() -> float:
    info = dict(line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines())
    kib = int(info["MemTotal"].split()[0]) - int(info["MemAvailable"].split()[0])
    return kib / 2**20


def available_gib() -> float:
    info = dict(line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines())
    return int(info["MemAvailable"].split()[0]) / 2**20


# --- 1. the native run's gold ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    from osspulse_sim.generate import generate

    path = tmp_path_factory.mktemp("demo-data")
    generate(path, scale=1)
    return path


@pytest.fixture(scope="module")
def native_gold(settings: Settings, dataset: Path) -> dict[str, str]:
    key = {
        "dataset": digest(list(dataset.rglob("*")), dataset),
        "code": code_digest(),
        "load_date": DEMO_LOAD_DATE.isoformat(),
    }
    if NATIVE_GOLD.exists():
        saved = json.loads(NATIVE_GOLD.read_text())
        if saved.get("key") == key:
            return saved["tables"]
    from osspulse.settings import sources_overlay
    from osspulse.stack import runner
    from osspulse_sim import demo

    overlay = sources_overlay(settings.state_dir)
    previous = overlay.read_text() if overlay.exists() else None
    s = demo.use_simulator(settings, dataset)
    try:
        runner.up(s)
        pipeline.reset_pipeline_data(s)
        times = pipeline.run_pipeline(s, load_date=DEMO_LOAD_DATE)
        tables = gold_fingerprint(s)
    finally:
        if previous is None:
            overlay.unlink(missing_ok=True)
        else:
            overlay.write_text(previous)
        runner.down(s)  # compose publishes the same ports
    ARTIFACTS.mkdir(exist_ok=True)
    NATIVE_GOLD.write_text(
        json.dumps({"key": key, "tables": tables, "native_total_s": round(times.total_s)}, indent=2)
    )
    return tables


def test_the_native_run_gave_every_gold_table(native_gold: dict[str, str]):
    """Alone (``-k native_run``) it only makes or checks the native reference (artifacts/native-gold.json),
    so the native and the compose runs can be done at different times on a shared machine."""
    assert set(native_gold) == set(pipeline.GOLD_TABLES)


# --- 2. the deployment ------------------------------------------------------------------------------------


@dataclass
class Deployment:
    project: ComposeProject
    settings: Settings
    figures: dict = field(default_factory=dict)


@pytest.fixture(scope="module")
def deployment(native_gold: dict[str, str]) -> Deployment:
    """Started after the native run (same ports); its volumes are deleted before and after."""
    project = ComposeProject(files=(REPO_ROOT / "docker-compose.yml", DEMO_FILE), name=PROJECT)
    project.down(volumes=True)
    free = available_gib()
    assert free >= NEEDED_GIB, (
        f"only {free:.1f} GiB of memory available, a {WORKERS}+{WORKERS}-worker deployment needs "
        f"{NEEDED_GIB}: wait for the other stacks on this machine, or set OSSPULSE_COMPOSE_WORKERS=1"
    )
    scale = {"spark-worker": WORKERS, "trino-worker": WORKERS}
    up_s = project.up(scale)
    figures = {
        "workers": WORKERS,
        "compose_up_s": round(up_s, 1),
        "used_gib_idle": round(memory_used_gib(), 2),
    }
    # .env as compose reads it (the tests' settings point at their own native stack's ports)
    yield Deployment(project, host_settings(Settings(_env_file=REPO_ROOT / ".env"), project), figures)
    ARTIFACTS.mkdir(exist_ok=True)
    FIGURES.write_text(json.dumps(figures, indent=2))
    if not KEEP:
        project.down(volumes=True)


class Watcher(threading.Thread):
    """Every few seconds: the machine's used memory, and the splits each Trino node completed."""

    def __init__(self, s: Settings, every: float = 3.0) -> None:
        super().__init__(daemon=True)
        self.s, self.every = s, every
        self.stop = threading.Event()
        self.peak_gib = 0.0
        self.splits: dict[str, int] = {}
        self.errors: list[str] = []

    def run(self) -> None:
        while not self.stop.is_set():
            self.peak_gib = max(self.peak_gib, memory_used_gib())
            try:
                with trino_connection(self.s) as conn:
                    cur = conn.cursor()
                    cur.execute(
                        "select node_id, max(completed_splits) from system.runtime.tasks "
                        "where completed_splits > 0 group by node_id, task_id"
                    )
                    seen: dict[str, int] = {}
                    for node, splits in cur.fetchall():
                        seen[node] = seen.get(node, 0) + splits
                for node, splits in seen.items():  # tasks expire with their queries: keep the maximum
                    self.splits[node] = max(self.splits.get(node, 0), splits)
            except Exception as exc:  # the coordinator is busy or restarting: try again
                self.errors.append(str(exc)[:200])
            self.stop.wait(self.every)


@dataclass
class Run:
    times: pipeline.StageTimes
    watcher: Watcher
    workers: list[str]


@pytest.fixture(scope="module")
def pipeline_run(deployment: Deployment) -> Run:
    s = deployment.settings
    with trino_connection(s) as conn:
        cur = conn.cursor()
        cur.execute("select node_id from system.runtime.nodes where not coordinator and state = 'active'")
        workers = sorted(r[0] for r in cur.fetchall())
    watcher = Watcher(s)
    watcher.start()
    try:
        times = pipeline.run_pipeline(s, load_date=DEMO_LOAD_DATE)
    finally:
        watcher.stop.set()
        watcher.join(30)
    deployment.figures.update(
        pipeline_s={
            "ingest": round(times.ingest_s),
            "load": round(times.load_s),
            "transform": round(times.transform_s),
            "total": round(times.total_s),
        },
        peak_used_gib=round(watcher.peak_gib, 2),
        trino_splits=watcher.splits,
    )
    return Run(times, watcher, workers)


# --- 3. what must hold ------------------------------------------------------------------------------------


def test_the_deployment_runs_the_requested_workers(deployment: Deployment, pipeline_run: Run):
    for service in ("spark-worker", "trino-worker"):
        running = [c for c in deployment.project.containers(service) if c["State"] == "running"]
        assert len(running) == WORKERS, service
    assert len(pipeline_run.workers) == WORKERS, pipeline_run.workers


def test_every_gold_table_equals_the_native_runs(
    deployment: Deployment, pipeline_run: Run, native_gold: dict[str, str]
):
    compose_gold = gold_fingerprint(deployment.settings)
    assert set(compose_gold) == set(pipeline.GOLD_TABLES)
    differ = {t: (native_gold.get(t), h) for t, h in compose_gold.items() if native_gold.get(t) != h}
    assert not differ, f"gold tables that differ from the native run: {sorted(differ)}"


def test_every_trino_worker_served_splits(deployment: Deployment, pipeline_run: Run):
    served = {node: n for node, n in pipeline_run.watcher.splits.items() if node in pipeline_run.workers}
    assert set(served) == set(pipeline_run.workers), (pipeline_run.watcher.splits, pipeline_run.workers)
    # The coordinator completes splits of its own (system tables -- the watcher's query itself --,
    # information_schema, metadata: those live on the coordinator only), but it scans no table of the
    # lake: every task of a gold table's scan ran on a worker.
    s = deployment.settings
    with trino_connection(s) as conn:
        cur = conn.cursor()
        cur.execute(f"select count(*) from {s.catalog_name}.gold.repo_activity_daily where repo_id >= 0")  # noqa: S608
        assert cur.fetchone()[0] > 0
        scan = cur.query_id
        cur.execute(
            "select node_id, sum(completed_splits) from system.runtime.tasks where query_id = ? "
            "group by node_id",
            (scan,),
        )
        nodes = dict(cur.fetchall())
    assert nodes and set(nodes) <= set(pipeline_run.workers), (nodes, pipeline_run.workers)
    assert sum(nodes.values()) > 0


def test_the_spark_jobs_ran_on_the_cluster_and_every_worker_ran_tasks(
    deployment: Deployment, pipeline_run: Run
):
    project = deployment.project
    apps = json.loads(
        project.exec(
            "spark-master",
            "python3",
            "-c",
            "import urllib.request; print(urllib.request.urlopen('http://spark-master:8080/json/').read().decode())",
        )
    )
    loads = [a for a in apps["completedapps"] if a["name"].startswith("load_raw")]
    assert loads, f"no load job ran on the cluster: {[a['name'] for a in apps['completedapps']]}"
    assert len(apps["workers"]) == WORKERS
    for index in range(1, WORKERS + 1):
        tasks = project.exec(
            "spark-worker",
            "bash",
            "-c",
            "cat /tmp/spark-work/app-*/*/stderr 2>/dev/null | grep -c 'Running task' || true",
            index=index,
        )
        assert int(tasks.strip() or 0) > 0, f"spark-worker #{index} ran no task"


def test_record_health_reached_the_api_server(deployment: Deployment, pipeline_run: Run):
    s = deployment.settings
    with AirflowClient(s) as api:
        runs = api.runs("transform_dbt")
        assert runs, "transform_dbt never ran"
        latest = max(runs, key=lambda r: r.run_after)
        states = {ti["task_id"]: ti.get("state") for ti in api.task_instances("transform_dbt", latest.run_id)}
    # it calls Airflow's REST API from the scheduler's container: at the api-server, not at itself
    assert states.get("record_health") == "success", states


def test_only_the_user_facing_ports_are_published_on_loopback(deployment: Deployment):
    published = {}
    for row in deployment.project.containers():
        for pub in row.get("Publishers") or []:
            if pub.get("PublishedPort"):
                published.setdefault(row["Service"], set()).add((pub["URL"], pub["PublishedPort"]))
    s = deployment.settings
    assert published == {
        "airflow-api-server": {("127.0.0.1", s.airflow_port)},
        "streamlit": {("127.0.0.1", s.streamlit_port)},
        "trino": {("127.0.0.1", s.trino_port)},
    }


def test_each_container_holds_only_its_own_secrets(deployment: Deployment):
    """No secret in a container that does not need it (environment), none on any command line."""
    settings = deployment.settings
    secrets = {
        "pg": settings.pg_password.get_secret_value(),
        "s3": settings.s3_secret_key.get_secret_value(),
        "spark": settings.spark_auth_secret.get_secret_value(),
        "admin": settings.airflow_admin_password.get_secret_value(),
        "etl": settings.trino_etl_password.get_secret_value(),
        "dashboard": settings.trino_dashboard_password.get_secret_value(),
        "trino-shared": settings.trino_shared_secret.get_secret_value(),
        "jwt": settings.airflow_jwt_secret.get_secret_value(),
    }
    allowed = {
        "pg": {"postgres", "db-init", "trino", "trino-worker", *(f"airflow-{c}" for c in
               ("init", "api-server", "scheduler", "dag-processor", "triggerer"))},
        "s3": {"minio", "minio-init", "trino", "trino-worker", "airflow-scheduler"},
        "spark": {"spark-master", "spark-worker", "airflow-scheduler"},
        "admin": {"airflow-api-server", "airflow-scheduler"},
        "etl": {"config-init", "airflow-scheduler"},
        "dashboard": {"config-init", "streamlit"},
        "trino-shared": {"trino", "trino-worker"},
        "jwt": {*(f"airflow-{c}" for c in ("init", "api-server", "scheduler", "dag-processor", "triggerer"))},
    }  # fmt: skip
    project = deployment.project
    for row in project.containers():
        env = "\n".join(project.inspect(row["Name"])["Config"]["Env"] or [])
        for name, value in secrets.items():
            if row["Service"] not in allowed[name]:
                assert value not in env, f"{row['Service']} holds the {name} secret"
        if row["State"] == "running":
            cmdlines = project.exec(
                row["Service"],
                "bash",
                "-c",
                "cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\\0' ' '",
                index=int(row["Name"].rsplit("-", 1)[-1]),
            )
            for name, value in secrets.items():
                assert value not in cmdlines, f"the {name} secret is on a command line in {row['Service']}"


def test_the_data_survives_down_and_up(deployment: Deployment, pipeline_run: Run):
    before = gold_fingerprint(deployment.settings)
    project = deployment.project
    project.down()  # not --volumes
    scale = {"spark-worker": WORKERS, "trino-worker": WORKERS}
    deployment.figures["compose_up_again_s"] = round(project.up(scale), 1)
    assert gold_fingerprint(deployment.settings) == before
    with AirflowClient(deployment.settings) as api:
        assert api.runs("transform_dbt"), "Airflow's history is gone"


def test_trino_serves_password_logins_over_https_only(deployment: Deployment, pipeline_run: Run):
    """The published port: HTTPS with the certificate config-init made, each role's password, its rules;
    the nodes' internal HTTP port is not published and refuses client logins."""
    import requests

    s = deployment.settings
    with trino_connection(s, user=s.trino_dashboard_user) as conn:
        cur = conn.cursor()
        cur.execute(f"select count(*) from {s.catalog_name}.gold.{pipeline.GOLD_TABLES[0]}")
        assert cur.fetchall()[0][0] >= 0
        with pytest.raises(Exception, match="Access Denied"):
            cur.execute(f"show tables from {s.catalog_name}.silver")
            cur.fetchall()
    session = requests.Session()
    session.trust_env, session.verify = False, str(s.trino_ca_path)
    anonymous = session.post(f"{s.trino_url}/v1/statement", data="select 1", headers={"X-Trino-User": "etl"})
    assert anonymous.status_code == 401
    wrong = session.post(
        f"{s.trino_url}/v1/statement", data="select 1", auth=(s.trino_etl_user, "not-the-password")
    )
    assert wrong.status_code == 401
    # inside the network, the coordinator's internal HTTP port does not take a user name as a login
    answer = deployment.project.exec(
        "airflow-scheduler",
        "python3",
        "-c",
        "import urllib.request, urllib.error\n"
        "r = urllib.request.Request('http://trino:8080/v1/statement', data=b'select 1', "
        "headers={'X-Trino-User': 'etl'})\n"
        "try:\n    print(urllib.request.urlopen(r, timeout=10).status)\n"
        "except urllib.error.HTTPError as e:\n    print(e.code)\n",
    )
    assert answer.strip() in ("401", "403"), answer

"""What the containers run is what the native renderers produce for the container addresses."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from pydantic import SecretStr

from osspulse import cli
from osspulse.deploy import compose
from osspulse.lake import spark
from osspulse.settings import REPO_ROOT, Settings
from osspulse.stack import configs, services
from tests.deploy import composefile as cf

SECRETS = {
    "pg_password": "pg-secret",
    "pg_reader_password": "reader-secret",
    "s3_access_key": "s3-key",
    "s3_secret_key": "s3-secret",
    "airflow_admin_password": "admin-secret",
    "spark_auth_secret": "spark-secret",
    "trino_etl_password": "etl-secret",
    "trino_analyst_password": "analyst-secret",
    "trino_dashboard_password": "dashboard-secret",
    "trino_shared_secret": "trino-shared-secret",
}


@pytest.fixture
def native() -> Settings:
    return Settings(_env_file=None, spark_java_home="/jdk", **SECRETS)


@pytest.fixture
def container(monkeypatch) -> dict[str, Settings]:
    """Settings of each app service, from the compose file's environment (the template .env + secrets)."""
    env = {**cf.dotenv(), **{cf.env_name(k): v for k, v in SECRETS.items()}}
    project = cf.resolved(env)
    return {
        name: cf.settings_for(svc["environment"], monkeypatch)
        for name, svc in cf.app_services(project).items()
    }


# --- the native stack: its defaults, and the files it writes equal the containers' --------------------------


def test_native_airflow_env_defaults_to_one_machine(native):
    env = configs.airflow_env(native, airflow_home=Path("/st/airflow"))
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://127.0.0.1:8080/execution/"
    assert env["AIRFLOW__API__BASE_URL"] == "http://127.0.0.1:8080"
    assert env["AIRFLOW__API__HOST"] == "127.0.0.1"


def test_native_trino_writes_what_the_shared_renderers_produce(native, tmp_path, monkeypatch):
    """services.Trino.prepare() (native) and the container files agree, file by file."""
    s = native.model_copy(update={"state_dir": tmp_path / "state", "cache_dir": tmp_path / "cache"})
    (s.trino_install_dir / "lib").mkdir(parents=True)
    (s.trino_install_dir / "plugin" / "password-authenticators").mkdir(parents=True)
    trino = services.Trino(s)
    trino.prepare()
    etc = trino.etc_dir
    docker = compose.trino_etc(
        s, "coordinator", etc_dir=etc, plugin_dir=s.trino_install_dir / "plugin", tls_dir=s.trino_tls_dir
    )
    for rel in ("catalog/lake.properties", "catalog/staging.properties", "password-authenticator.properties"):
        assert (etc / rel).read_text() == docker[rel], rel
    assert (etc / "access-control.properties").read_text() == configs.trino_access_control_properties(
        configs.TRINO_RULES
    )
    native_lines = set((etc / "config.properties").read_text().splitlines())
    docker_lines = set(docker["config.properties"].splitlines())
    # The only differences: one node vs a coordinator with workers, the addresses a container detects, and
    # how nodes talk to each other (natively HTTPS to itself; in a container network HTTP + shared secret).
    assert native_lines - docker_lines == {
        "node-scheduler.include-coordinator=true",
        "node.bind-ip=127.0.0.1",
        "node.internal-address=127.0.0.1",
        "node.environment=osspulse",
        "node.id=osspulse-coordinator",
        f"discovery.uri=https://127.0.0.1:{s.trino_port}",
        "http-server.http.enabled=false",
        "internal-communication.https.required=true",
        f"internal-communication.https.truststore.path={s.trino_tls_dir / 'trino-cert.pem'}",
    }
    assert docker_lines - native_lines == {
        "node-scheduler.include-coordinator=false",
        "node.bind-ip=0.0.0.0",
        f"http-server.http.port={configs.TRINO_INTERNAL_HTTP_PORT}",
        f"discovery.uri=http://{s.trino_host}:{configs.TRINO_INTERNAL_HTTP_PORT}",
    }
    for line in (
        "http-server.authentication.type=PASSWORD",
        "http-server.https.enabled=true",
        f"http-server.https.port={s.trino_port}",
        "internal-communication.shared-secret=${ENV:OSSPULSE_TRINO_SHARED_SECRET}",
    ):
        assert line in native_lines & docker_lines, line
    assert (etc / "password.db").stat().st_mode & 0o777 == 0o600
    assert "node.environment=osspulse" in docker["node.properties"].splitlines()


# --- the containers' Trino --------------------------------------------------------------------------------


def props(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#"))


def test_container_trino_files_come_from_the_renderers(container):
    s = container["config-init"]
    coordinator, worker = (compose.trino_etc(s, role) for role in compose.TRINO_ROLES)
    for files in (coordinator, worker):
        assert files["catalog/lake.properties"] == configs.trino_lake_catalog(s)
        assert files["catalog/staging.properties"] == configs.trino_staging_catalog(s)
        assert files["jvm.config"].splitlines() == configs.trino_jvm_options(s)
        assert files["rules.json"] == configs.TRINO_RULES.read_text()
        assert props(files["access-control.properties"])["security.config-file"] == "/etc/trino/rules.json"
        config = props(files["config.properties"])
        # nodes talk over HTTP inside the network (shared secret); clients use HTTPS on the published port
        assert config["discovery.uri"] == f"http://trino:{configs.TRINO_INTERNAL_HTTP_PORT}"
        assert config["http-server.http.port"] == str(configs.TRINO_INTERNAL_HTTP_PORT)
        assert config["internal-communication.shared-secret"] == "${ENV:OSSPULSE_TRINO_SHARED_SECRET}"
        assert config["catalog.config-dir"] == "/etc/trino/catalog"
        assert config["plugin.dir"] == "/usr/lib/trino/plugin"
        assert "node.id" not in config and "node.internal-address" not in config  # each replica its own
        assert props(files["node.properties"]) == {
            "node.environment": "osspulse",
            "node.data-dir": "/data/trino",
        }
    assert props(coordinator["config.properties"])["coordinator"] == "true"
    assert props(coordinator["config.properties"])["http-server.https.port"] == str(s.trino_port)
    assert props(coordinator["config.properties"])["http-server.authentication.type"] == "PASSWORD"
    assert [line.split(":")[0] for line in coordinator["password.db"].splitlines()] == [
        "etl",
        "analyst",
        "dashboard",
    ]
    assert "password.db" not in worker
    assert props(coordinator["config.properties"])["node-scheduler.include-coordinator"] == "false"
    assert props(worker["config.properties"])["coordinator"] == "false"
    lake = props(coordinator["catalog/lake.properties"])
    assert (
        lake["iceberg.jdbc-catalog.connection-url"]
        == f"jdbc:postgresql://postgres:{s.pg_port}/iceberg_catalog"
    )
    assert lake["s3.endpoint"] == f"http://minio:{s.minio_port}"
    assert lake["iceberg.jdbc-catalog.catalog-name"] == s.catalog_name == "lake"
    staging = props(coordinator["catalog/staging.properties"])
    assert staging["connection-url"] == f"jdbc:postgresql://postgres:{s.pg_port}/{s.pg_staging_db}"
    every_text = "".join(coordinator.values()) + "".join(worker.values())
    for secret in SECRETS.values():
        assert secret not in every_text


def test_render_writes_both_roles_and_removes_stale_files(container, tmp_path):
    s = container["config-init"]
    stale = tmp_path / "coordinator" / "catalog" / "old.properties"
    stale.parent.mkdir(parents=True)
    stale.write_text("connector.name=memory\n")
    written = compose.render(s, tmp_path)
    assert not stale.exists()
    assert {p.relative_to(tmp_path).as_posix() for p in written} == {
        p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()
    }
    for role in compose.TRINO_ROLES:
        for rel, text in compose.trino_etc(s, role).items():
            path = tmp_path / role / rel
            if rel == configs.TRINO_PASSWORD_FILE:  # bcrypt salts differ between renders: check the logins
                assert_password_file(path.read_text(), s)
            else:
                assert path.read_text() == text
            # the trino user of the image reads them; only it reads the roles' hashes
            private = rel == configs.TRINO_PASSWORD_FILE
            assert path.stat().st_mode & 0o777 == (0o600 if private else 0o644), rel
    assert configs.TRINO_PASSWORD_FILE in compose.PRIVATE_FILES
    keystore, cert = tmp_path / "tls" / "trino-keystore.pem", tmp_path / "tls" / "trino-cert.pem"
    assert keystore.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "ca" / compose.TRINO_CA_FILE.name).read_text() == cert.read_text()
    assert "PRIVATE KEY" not in cert.read_text() and "PRIVATE KEY" in keystore.read_text()
    if os.geteuid() == 0:  # config-init runs as root and hands everything to the Trino image's user
        assert {p.stat().st_uid for p in tmp_path.rglob("*")} == {compose.TRINO_UID}
    first = cert.read_text()
    compose.render(s, tmp_path)  # again (a second `up`): the certificate is kept, not renewed
    assert cert.read_text() == first == (tmp_path / "ca" / compose.TRINO_CA_FILE.name).read_text()


def assert_password_file(text: str, s: Settings) -> None:
    import bcrypt

    hashes = dict(line.split(":", 1) for line in text.splitlines())
    assert set(hashes) == {s.trino_etl_user, s.trino_analyst_user, s.trino_dashboard_user}
    for user, hashed in hashes.items():
        assert bcrypt.checkpw(s.trino_password(user).encode(), hashed.encode()), user


def test_render_cli(container, tmp_path, monkeypatch, capsys):
    from osspulse.settings import get_settings

    get_settings.cache_clear()
    try:
        assert cli.main(["compose", "render", "--out", str(tmp_path)]) == 0
        assert (tmp_path / "worker" / "catalog" / "lake.properties").exists()
        assert cli.main(["compose", "render"]) == 0
        assert "# --- coordinator/config.properties" in capsys.readouterr().out
        monkeypatch.setenv("OSSPULSE_PG_HOST", "127.0.0.1")
        get_settings.cache_clear()
        assert cli.main(["compose", "render", "--out", str(tmp_path)]) == 1  # names the setting, see below
    finally:
        get_settings.cache_clear()
    with pytest.raises(compose.ComposeError, match=r"OSSPULSE_PG_HOST='127.0.0.1'.*name other containers"):
        compose.render(container["config-init"].model_copy(update={"pg_host": "127.0.0.1"}), tmp_path)


# --- the containers' processes ----------------------------------------------------------------------------


def test_airflow_components_run_the_native_command_and_environment(container):
    for component in compose.AIRFLOW_COMPONENTS:
        name = f"airflow-{component}"
        s = container[name]
        argv, env = compose.service_process(s, name, {"HOME": "/home/osspulse"})
        native = services.Airflow(s, component=component)
        assert argv == native.command()
        rendered = configs.airflow_env(s, airflow_home=native.home)
        differs = {k for k in rendered if env.get(k) != rendered[k]}
        connections = {k for k in rendered if k.startswith(compose.TASK_ONLY)}
        # connections (and dbt's Trino password) are for tasks, which run in the scheduler's container only
        expected = {"AIRFLOW__CORE__EXECUTION_API_SERVER_URL", "AIRFLOW__API__BASE_URL"}
        assert differs - connections <= expected, name
        assert (differs & connections) == (set() if component == "scheduler" else connections), name
        assert not any(k.startswith(compose.TASK_ONLY) for k in env) or component == "scheduler"
        assert (
            env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"]
            == f"http://airflow-api-server:{s.airflow_port}/execution/"
        )
        assert env["AIRFLOW__API__BASE_URL"] == f"http://localhost:{s.airflow_port}"
        assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].endswith(f"@postgres:{s.pg_port}/airflow")
        assert env["AIRFLOW_HOME"] == "/var/lib/osspulse/airflow"
        assert env["AIRFLOW__LOGGING__BASE_LOG_FOLDER"] == "/var/lib/osspulse/airflow/logs"
        assert env["TZ"] == "UTC" and env["HOME"] == "/home/osspulse"
    api_argv, _ = compose.service_process(container["airflow-api-server"], "airflow-api-server", {})
    assert api_argv[-4:] == ["--host", "airflow-api-server", "--port", "8080"]
    scheduler = container["airflow-scheduler"]
    _, env = compose.service_process(
        scheduler, "airflow-scheduler", {"AIRFLOW__API__BASE_URL": "http://localhost:12080"}
    )
    assert env["SPARK_LOCAL_IP"] == "airflow-scheduler"  # executors connect back to the driver here
    assert env["AIRFLOW_CONN_OSSPULSE_TRINO"] == (
        f"trino://etl:etl-secret@trino:{scheduler.trino_port}/lake?protocol=https"
        "&verify=%2Fetc%2Fosspulse-trino-ca%2Ftrino-cert.pem"
    )
    assert env["OSSPULSE_TRINO_ETL_PASSWORD"] == "etl-secret"  # dbt's profile
    assert env["AIRFLOW_CONN_OSSPULSE_SPARK"] == "spark://spark-master:7077?deploy-mode=client"
    assert env["AIRFLOW__API__BASE_URL"] == "http://localhost:12080"  # the published port


def test_spark_jobs_in_the_scheduler_get_the_cluster_and_the_stores(container, monkeypatch):
    """A task's spark_conf() (osspulse/lake/spark.py) in the scheduler's container."""
    monkeypatch.setattr(spark, "jar_paths", lambda s: [str(s.jars_dir / name) for name in spark.JARS])
    s = container["airflow-scheduler"]
    conf = spark.spark_conf(s)
    assert s.spark_master == "spark://spark-master:7077"
    assert conf["spark.driver.host"] == conf["spark.driver.bindAddress"] == "airflow-scheduler"
    assert conf["spark.jars"].split(",") == [f"/opt/osspulse-cache/jars/{name}" for name in spark.JARS]
    assert conf["spark.sql.catalog.lake.uri"] == f"jdbc:postgresql://postgres:{s.pg_port}/iceberg_catalog"
    assert conf["spark.sql.catalog.lake.s3.endpoint"] == f"http://minio:{s.minio_port}"


def test_streamlit_runs_the_native_command(container):
    s = container["streamlit"]
    argv, env = compose.service_process(s, "streamlit", {"OSSPULSE_TRINO_HOST": "trino"})
    assert argv == services.Streamlit(s).command()
    assert argv[argv.index("--server.address") + 1] == "streamlit"
    assert env["OSSPULSE_TRINO_HOST"] == "trino"  # the dashboard reads its settings from the environment


def test_spark_master_and_worker_commands(container):
    master, env = compose.service_process(container["spark-master"], "spark-master", {})
    assert Path(master[0]).name == "spark-class"
    assert master[1:] == [
        "org.apache.spark.deploy.master.Master", "--host", "spark-master", "--port", "7077",
        "--webui-port", "8080",
    ]  # fmt: skip
    assert Path(env["SPARK_HOME"], "jars").is_dir()  # pyspark's Spark: the cluster runs pyspark's version
    assert "-Duser.timezone=UTC" in env["SPARK_DAEMON_JAVA_OPTS"]
    assert env["SPARK_CONF_DIR"] == "/var/lib/osspulse/spark-conf"
    worker, env = compose.service_process(
        container["spark-worker"], "spark-worker", {"SPARK_WORKER_DIR": "/w"}
    )
    assert worker[1:] == [
        "org.apache.spark.deploy.worker.Worker", "spark://spark-master:7077", "--work-dir", "/w",
        "--webui-port", "8081",
    ]  # fmt: skip
    assert env["SPARK_CONF_DIR"] == "/var/lib/osspulse/spark-conf"
    _, env = compose.service_process(container["airflow-scheduler"], "airflow-scheduler", {})
    assert env["SPARK_CONF_DIR"] == "/var/lib/osspulse/spark-conf"  # the load tasks' drivers


def test_the_cluster_authenticates_with_a_secret_off_every_command_line(container, tmp_path):
    s = container["spark-worker"].model_copy(update={"state_dir": tmp_path})
    path = compose.write_spark_conf(s)
    props = dict(line.split(" ", 1) for line in path.read_text().splitlines())
    assert props["spark.authenticate"] == "true" and props["spark.ui.killEnabled"] == "false"
    assert props["spark.network.crypto.enabled"] == "true"
    assert props["spark.authenticate.secret"] == SECRETS["spark_auth_secret"]
    assert path.stat().st_mode & 0o777 == 0o600 and path.parent.stat().st_mode & 0o777 == 0o700
    argv, env = compose.service_process(s, "spark-worker", {})
    assert SECRETS["spark_auth_secret"] not in " ".join(argv) + " ".join(
        v for k, v in env.items() if k.startswith("SPARK")
    )
    with pytest.raises(compose.ComposeError, match="OSSPULSE_SPARK_AUTH_SECRET"):
        compose.spark_defaults(s.model_copy(update={"spark_auth_secret": SecretStr("change-me")}))


def test_the_simulator_serves_the_demo_dataset(container):
    s = container["streamlit"].model_copy(update={"bind_host": "fake-api"})
    argv, _ = compose.service_process(s, "fake-api", {})
    assert argv == [
        "osspulse", "fake-api", "serve", "--data", str(compose.DEMO_DATA), "--host", "fake-api",
        "--port", str(s.fake_api_port),
    ]  # fmt: skip


def test_unknown_services_and_jobs_are_refused(container):
    s = container["airflow-scheduler"]
    with pytest.raises(compose.ComposeError, match="unknown service"):
        compose.service_process(s, "airflow-webserver", {})
    with pytest.raises(compose.ComposeError, match="no healthcheck"):
        compose.health(s, "postgres")
    with pytest.raises(compose.ComposeError, match="unknown init job"):
        compose.init(s, "everything")


def test_airflow_pools_are_the_native_pools(container):
    from osspulse.stack.configs import airflow_pools

    s = container["airflow-init"]
    pools = airflow_pools(s)
    assert set(pools) == {"github_api", "pypi_api", "spark"}
    assert pools["github_api"]["slots"] == pools["pypi_api"]["slots"] == s.airflow_api_pool_slots
    assert pools["spark"]["slots"] == s.spark_concurrency
    json.dumps(pools)  # the format of `airflow pools import`


def test_the_image_bakes_exactly_the_jars_spark_uses():
    from osspulse.install import ARTIFACTS

    baked = {Path(a.dest).name for a in ARTIFACTS if a.dest.startswith("jars/")}
    assert baked == set(spark.JARS)
    dockerfile = (REPO_ROOT / "docker" / "osspulse" / "Dockerfile").read_text()
    assert "python3 fetch_jars.py /cache" in dockerfile
    assert "COPY --from=jars /opt/osspulse-cache/jars /opt/osspulse-cache/jars" in dockerfile
    env = cf.load()["x-settings"]
    assert env["OSSPULSE_CACHE_DIR"] == "/opt/osspulse-cache"  # spark.jar_paths() looks in CACHE_DIR/jars
    for path in (REPO_ROOT / "docker-compose.yml", REPO_ROOT / "docker" / "osspulse" / "Dockerfile"):
        assert not re.search(r"spark\.jars\.packages|--packages", path.read_text()), path


def test_config_init_hands_trinos_files_to_the_trino_images_user():
    dockerfile = (REPO_ROOT / "docker" / "trino" / "Dockerfile").read_text()
    assert f"--uid {compose.TRINO_UID} " in dockerfile
    assert f"USER {compose.TRINO_UID}:" in dockerfile
    assert cf.load()["services"]["config-init"]["user"] == "0:0"  # the job chowns, so it runs as root

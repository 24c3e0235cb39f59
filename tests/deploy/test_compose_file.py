"""docker-compose.yml: pins, healthchecks, ordering, volumes, credentials, and the same settings as native."""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from urllib.parse import urlsplit

import jsonschema
import pytest
from pydantic import SecretStr

import osspulse
from osspulse import install
from osspulse.deploy import compose
from osspulse.settings import Settings
from osspulse.stack import configs, services
from tests.deploy import composefile as cf

SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|ACCESS_KEY|FERNET_KEY")
#: secrets a deployment may leave empty (the GitHub token: 60 requests an hour without one)
OPTIONAL_SECRETS = {"GITHUB_TOKEN"}
#: the images of docker-compose.yml, all built here (make images), by service
BUILT = {
    "postgres": ("osspulse/postgres:15", "docker/postgres/Dockerfile"),
    "minio": (f"osspulse/minio:{install.MINIO_VERSION}", "docker/minio/Dockerfile"),
    "trino": (f"osspulse/trino:{install.TRINO_VERSION}", "docker/trino/Dockerfile"),
}


@pytest.fixture(scope="module")
def raw():
    return cf.load()


@pytest.fixture(scope="module")
def project():
    return cf.resolved()


def services_of(document):
    return document["services"]


def test_the_file_is_valid_against_the_compose_specification(project):
    jsonschema.Draft202012Validator(cf.schema()).validate(project)


def test_every_image_is_pinned_and_built_here(project):
    for name, svc in services_of(project).items():
        image = svc.get("image")
        assert image, f"{name}: name the image (built ones too), so that it carries a version"
        repo, _, tag = image.partition("@")[0].rpartition(":")
        assert repo and tag, f"{name}: {image} has no tag"
        assert "@sha256:" in image or re.search(r"\d", tag), f"{name}: {image} is not pinned to a version"
        assert tag != "latest", f"{name}: {image}"
        assert repo.startswith("osspulse/"), f"{name}: {image} is not built by make images (no registry here)"
    images = {name: svc["image"] for name, svc in services_of(project).items()}
    assert images["trino"] == images["trino-worker"]
    for name, (image, dockerfile) in BUILT.items():
        assert images[name] == image, name
        assert services_of(project)[name]["build"] == {"context": ".", "dockerfile": dockerfile} | (
            {"args": {"MINIO_VERSION": install.MINIO_VERSION}} if name == "minio" else {}
        ), name
    for name in cf.app_services(project):
        assert images[name] == f"osspulse/app:{osspulse.__version__}", name


def test_compose_builds_the_images_make_images_builds(project):
    from osspulse.deploy import images

    built = {
        svc["image"]: svc["build"]["dockerfile"] for svc in services_of(project).values() if "build" in svc
    }
    assert built == {i.name: i.dockerfile.relative_to(cf.REPO_ROOT).as_posix() for i in images.IMAGES}


def test_minio_is_built_at_the_native_stacks_version(project):
    minio = services_of(project)["minio"]
    assert minio["build"]["args"]["MINIO_VERSION"] == install.MINIO_VERSION
    dockerfile = (cf.REPO_ROOT / minio["build"]["dockerfile"]).read_text()
    assert f"ARG MINIO_VERSION={install.MINIO_VERSION}" in dockerfile
    assert f"{install.MINIO_MODULE}@${{MINIO_VERSION}}" in dockerfile


def test_every_long_running_service_has_a_healthcheck(project):
    for name, svc in services_of(project).items():
        if cf.is_one_shot(svc):
            assert "ports" not in svc and "healthcheck" not in svc, f"{name} is a one-shot job"
            continue
        assert svc.get("restart") == "unless-stopped", f"{name}: restart policy"
        check = svc.get("healthcheck")
        assert check and check.get("test") and not check.get("disable"), f"{name} has no healthcheck"
        assert check["test"][0] in ("CMD", "CMD-SHELL"), name
        for key in ("interval", "timeout", "retries"):
            assert key in check, f"{name}: healthcheck {key}"


def test_app_healthchecks_and_commands_name_their_own_service(project):
    for name, svc in cf.app_services(project).items():
        assert svc.get("init") is True, f"{name}: an init process reaps Airflow's and Spark's children"
        command = svc["command"]
        assert command[:2] == ["osspulse", "compose"], name
        if command[2] == "serve":
            assert command[3] == name and name in compose.SERVED
            assert svc["healthcheck"]["test"] == ["CMD", "osspulse", "compose", "health", name]
        else:
            assert cf.is_one_shot(svc) and command[2] in ("render", "init"), name


def test_depends_on_waits_for_health_or_completion(project):
    every = services_of(project)
    for name, svc in every.items():
        for target, dep in svc.get("depends_on", {}).items():
            assert target in every, f"{name} depends on unknown {target}"
            expected = (
                "service_completed_successfully" if cf.is_one_shot(every[target]) else "service_healthy"
            )
            assert isinstance(dep, dict) and dep.get("condition") == expected, f"{name} -> {target}: {dep}"


def _depends(every, name, seen=None):
    seen = set() if seen is None else seen
    for target in every[name].get("depends_on", {}):
        if target not in seen:
            seen.add(target)
            _depends(every, target, seen)
    return seen


def test_start_order_covers_what_each_service_needs(project):
    every = services_of(project)
    needs = {
        "trino": {"config-init", "db-init", "minio-init", "postgres", "minio"},
        "trino-worker": {"config-init", "trino"},
        "airflow-api-server": {"airflow-init", "db-init", "postgres"},
        "airflow-scheduler": {"airflow-api-server", "trino", "trino-worker", "spark-master", "minio-init"},
        "airflow-dag-processor": {"airflow-init", "airflow-api-server"},
        "airflow-triggerer": {"airflow-init", "airflow-api-server"},
        "spark-worker": {"spark-master"},
        "streamlit": {"trino", "trino-worker"},
    }
    for name, wanted in needs.items():
        missing = wanted - _depends(every, name)
        assert not missing, f"{name} starts without waiting for {missing}"


def test_state_lives_in_named_volumes(raw, project):
    declared = set(raw["volumes"])
    used = set()
    for name, svc in services_of(project).items():
        for mount in svc.get("volumes", []):
            assert isinstance(mount, str), f"{name}: use the short volume syntax"
            source, target = mount.split(":")[:2]
            assert source in declared, f"{name}: {source} is a bind mount or undeclared; use a named volume"
            assert PurePosixPath(target).is_absolute()
            used.add(source)
    assert used == declared, f"declared but unused volumes: {declared - used}"

    def mounts(name):
        return {m.split(":")[1]: m.split(":")[0] for m in services_of(project)[name].get("volumes", [])}

    assert mounts("postgres")["/var/lib/postgresql/data"] == "postgres-data"
    assert mounts("minio")["/data"] == "minio-data"
    s = Settings(_env_file=None, state_dir="/var/lib/osspulse")
    logs = str(services.Airflow(s).home / "logs")
    for name in ("airflow-init", *(f"airflow-{c}" for c in compose.AIRFLOW_COMPONENTS)):
        assert mounts(name)[logs] == "airflow-logs", f"{name} must share the task logs"


def test_no_credential_is_written_in_the_file(raw):
    text = "\n".join(
        line for line in cf.COMPOSE_FILE.read_text().splitlines() if not line.strip().startswith("#")
    )
    template = cf.dotenv()
    for key, value in template.items():
        if re.search(r"PASSWORD|SECRET|TOKEN", key) and value:
            assert value not in text, f"{key}'s template value is written in docker-compose.yml"

    def walk(name, env):
        for key, value in env.items():
            if not SECRET_NAME.search(key):
                continue
            refs = cf.variables(value)
            assert refs and value.startswith("${"), f"{name}: {key}={value!r} is not from .env"
            for var, op, arg in refs:
                if var in OPTIONAL_SECRETS:
                    assert (op, arg) == (":-", ""), f"{name}: {key} defaults to nothing"
                else:
                    assert op == ":?" and ".env" in arg, (
                        f"{name}: {key} must fail clearly when {var} is unset"
                    )

    for name in [k for k in raw if k.startswith("x-") and isinstance(raw[k], dict)]:
        if all(isinstance(v, str) for v in raw[name].values()):
            walk(name, raw[name])
    for name, svc in services_of(raw).items():
        env = svc.get("environment", {})
        assert isinstance(env, dict), f"{name}: environment as a mapping"
        walk(name, env)
    assert "env_file" not in text, "every service names the settings it gets: no env_file"


#: Airflow's own keys, which every Airflow component needs
AIRFLOW_KEYS = (
    "OSSPULSE_AIRFLOW_FERNET_KEY",
    "OSSPULSE_AIRFLOW_JWT_SECRET",
    "OSSPULSE_AIRFLOW_API_SECRET_KEY",
)
#: the secrets (environment variables of the containers) each service may have: nothing else
SECRETS_OF = {
    "postgres": {"POSTGRES_PASSWORD"},
    "minio": {"MINIO_ROOT_PASSWORD", "MINIO_ROOT_USER"},
    # the coordinator's password.db: the roles' bcrypt hashes
    "config-init": {
        "OSSPULSE_TRINO_ETL_PASSWORD", "OSSPULSE_TRINO_ANALYST_PASSWORD", "OSSPULSE_TRINO_DASHBOARD_PASSWORD",
    },
    "db-init": {"OSSPULSE_PG_PASSWORD", "OSSPULSE_PG_READER_PASSWORD"},
    "minio-init": {"OSSPULSE_S3_ACCESS_KEY", "OSSPULSE_S3_SECRET_KEY"},
    "airflow-init": {"OSSPULSE_PG_PASSWORD", *AIRFLOW_KEYS},
    "trino": {
        "OSSPULSE_PG_PASSWORD", "OSSPULSE_PG_READER_PASSWORD",
        "OSSPULSE_S3_ACCESS_KEY", "OSSPULSE_S3_SECRET_KEY", "OSSPULSE_TRINO_SHARED_SECRET",
    },
    "spark-master": {"OSSPULSE_SPARK_AUTH_SECRET"},
    "spark-worker": {"OSSPULSE_SPARK_AUTH_SECRET"},
    "airflow-api-server": {"OSSPULSE_PG_PASSWORD", "OSSPULSE_AIRFLOW_ADMIN_PASSWORD", *AIRFLOW_KEYS},
    "airflow-scheduler": {
        "OSSPULSE_PG_PASSWORD", "OSSPULSE_S3_ACCESS_KEY", "OSSPULSE_S3_SECRET_KEY",
        "OSSPULSE_AIRFLOW_ADMIN_PASSWORD", "OSSPULSE_SPARK_AUTH_SECRET", "GITHUB_TOKEN",
        "OSSPULSE_TRINO_ETL_PASSWORD", *AIRFLOW_KEYS,
    },
    "airflow-dag-processor": {"OSSPULSE_PG_PASSWORD", *AIRFLOW_KEYS},
    "airflow-triggerer": {"OSSPULSE_PG_PASSWORD", *AIRFLOW_KEYS},
    # the dashboard logs in to Trino as `dashboard` (reads gold only)
    "streamlit": {"OSSPULSE_TRINO_DASHBOARD_PASSWORD"},
}  # fmt: skip


def test_each_service_gets_only_the_secrets_it_needs(raw):
    every = services_of(raw)
    SECRETS_OF["trino-worker"] = SECRETS_OF["trino"]
    assert set(SECRETS_OF) == set(every)
    for name, svc in every.items():
        secrets = {
            key for key, value in svc.get("environment", {}).items()
            if SECRET_NAME.search(key) or key in ("MINIO_ROOT_USER",)
        }  # fmt: skip
        assert secrets == SECRETS_OF[name], name


@pytest.mark.parametrize(
    "variable", ["OSSPULSE_PG_PASSWORD", "OSSPULSE_S3_SECRET_KEY", "OSSPULSE_AIRFLOW_ADMIN_PASSWORD"]
)
def test_a_missing_credential_stops_compose_with_a_message(variable):
    env = {k: v for k, v in cf.dotenv().items() if k != variable}
    with pytest.raises(cf.MissingVariable, match=f"{variable}.*set {variable} in .env"):
        cf.resolved(env)
    with pytest.raises(cf.MissingVariable, match=variable):
        cf.resolved({**env, variable: ""})


def test_every_variable_is_a_setting_and_every_default_is_the_settings_default(raw):
    fields = {cf.env_name(f): f for f in Settings.model_fields}
    for path in (cf.COMPOSE_FILE, cf.EXTERNAL_FILE, cf.DEMO_FILE):
        for var, op, arg in cf.variables(cf.load(path)):
            assert var in fields, f"{path.name}: ${{{var}}} is not a setting (add it to osspulse/settings.py)"
            if op in (":-", "-"):
                value = Settings.model_fields[fields[var]].default
                value = value.get_secret_value() if isinstance(value, SecretStr) else value
                assert arg == str(value), f"{path.name}: default of {var} is {arg}, the setting's is {value}"


def test_only_what_a_user_needs_is_published_per_exposure(project, raw):
    """Airflow, the dashboard and Trino, each on its exposure's bind address (127.0.0.1 unless .env opens
    it, docs/security.md), at the native ports; the stores, Spark and the simulator stay inside."""
    expected = {
        "trino": ("trino_bind_host", "trino_port"),
        "airflow-api-server": ("airflow_bind_host", "airflow_port"),
        "streamlit": ("dashboard_bind_host", "streamlit_port"),
    }
    defaults = Settings.model_construct()  # the fields' own defaults, whatever the environment holds
    published = {name: svc["ports"] for name, svc in services_of(project).items() if "ports" in svc}
    assert set(published) == set(expected)
    for name, (bind, field) in expected.items():
        port = getattr(defaults, field)
        # the container listens on the native default port; the host address and port are .env settings
        assert published[name] == [f"127.0.0.1:{port}:{port}"], name
        (spec,) = services_of(raw)[name]["ports"]
        assert [v for v, _, _ in cf.variables(spec)] == [cf.env_name(bind), cf.env_name(field)], name
        assert getattr(defaults, bind) == "127.0.0.1", name
    assert (defaults.airflow_port, defaults.trino_port, defaults.streamlit_port) == (8080, 1080, 8501)
    opened = cf.resolved({**cf.dotenv(), "OSSPULSE_DASHBOARD_BIND_HOST": "0.0.0.0"})  # noqa: S104
    ports = {name: svc.get("ports") for name, svc in services_of(opened).items() if svc.get("ports")}
    assert ports["streamlit"] == ["0.0.0.0:8501:8501"]  # noqa: S104 - the one exposure opened
    assert ports["trino"] == ["127.0.0.1:1080:1080"]
    assert ports["airflow-api-server"] == ["127.0.0.1:8080:8080"]


def test_the_container_addresses_name_compose_services(project, monkeypatch):
    every = services_of(project)
    apps = cf.app_services(project)
    assert set(apps) >= set(compose.SERVED) - {compose.FAKE_API}  # the simulator is the demo's
    for name in (compose.POSTGRES, compose.MINIO, compose.TRINO_COORDINATOR, compose.TRINO_WORKER):
        assert name in every
    assert every[compose.TRINO_COORDINATOR]["hostname"] == compose.TRINO_COORDINATOR
    assert every[compose.SPARK_MASTER]["hostname"] == compose.SPARK_MASTER
    assert every[compose.AIRFLOW_API_SERVER]["hostname"] == compose.AIRFLOW_API_SERVER
    for name, svc in apps.items():
        s = cf.settings_for(svc["environment"], monkeypatch)
        compose.check_container_settings(s)  # nothing points at the container itself
        assert s.pg_host == compose.POSTGRES
        assert s.trino_host == compose.TRINO_COORDINATOR
        endpoint = urlsplit(s.s3_endpoint)
        assert (endpoint.hostname, endpoint.port) == (compose.MINIO, s.minio_port)
        assert f":{s.minio_port}" in every["minio"]["command"]
        assert compose.spark_master_address(s) == (compose.SPARK_MASTER, 7077)
        assert s.state_dir.as_posix() == "/var/lib/osspulse"
        assert s.cache_dir.as_posix() == "/opt/osspulse-cache"
        if "hostname" in svc:  # where others reach this service (the Spark driver, the api-server...)
            assert s.bind_host == svc["hostname"] == name, name
        elif name not in (compose.SPARK_WORKER, *[n for n, v in apps.items() if cf.is_one_shot(v)]):
            pytest.fail(f"{name} needs a hostname and OSSPULSE_BIND_HOST (only scaled services may lack one)")
    for scaled in (compose.TRINO_WORKER, compose.SPARK_WORKER):
        assert "hostname" not in every[scaled] and "container_name" not in every[scaled], scaled
        assert "ports" not in every[scaled], f"{scaled} is scaled: it cannot publish fixed ports"


def test_the_native_settings_would_not_pass_the_container_check():
    with pytest.raises(compose.ComposeError, match="OSSPULSE_PG_HOST"):
        compose.check_container_settings(Settings(_env_file=None))


def test_trino_gets_the_credentials_its_catalogs_reference(project, monkeypatch):
    logins = {f"OSSPULSE_TRINO_{r}_PASSWORD": f"{r}-secret" for r in ("ETL", "ANALYST", "DASHBOARD")}
    s = cf.settings_for({**services_of(project)["config-init"]["environment"], **logins}, monkeypatch)
    referenced = set()
    for role in compose.TRINO_ROLES:
        for text in compose.trino_etc(s, role).values():
            referenced |= set(re.findall(r"\$\{ENV:([A-Z0-9_]+)\}", text))
    assert referenced == set(configs.trino_secret_env(s))
    for name in (compose.TRINO_COORDINATOR, compose.TRINO_WORKER):
        env = services_of(project)[name]["environment"]
        assert set(env) - {"TZ"} == referenced, name
        assert {k: env[k] for k in referenced} == configs.trino_secret_env(s)


def test_trino_nodes_mount_what_config_init_renders(project):
    every = services_of(project)
    init = every["config-init"]
    assert init["command"][:4] == ["osspulse", "compose", "render", "--out"]
    assert init["user"] == "0:0"  # hands the files to the Trino image's user
    out = PurePosixPath(init["command"][4])
    rendered = {m.split(":")[0]: PurePosixPath(m.split(":")[1]) for m in init["volumes"]}
    mounts = {
        compose.TRINO_COORDINATOR: {
            (rendered["trino-coordinator-etc"], str(compose.TRINO_ETC)),
            (rendered["trino-tls"], str(compose.TRINO_TLS_DIR)),  # its key and certificate
        },
        compose.TRINO_WORKER: {(rendered["trino-worker-etc"], str(compose.TRINO_ETC))},  # HTTP inside
    }
    assert rendered["trino-coordinator-etc"] == out / "coordinator"
    assert rendered["trino-worker-etc"] == out / "worker"
    assert rendered["trino-tls"] == out / "tls"
    assert rendered["trino-ca"] == out / "ca"
    for name, expected in mounts.items():
        seen = set()
        for mount in every[name]["volumes"]:
            volume, target, mode = mount.split(":")
            assert mode == "ro", mount
            seen.add((rendered[volume], target))
        assert seen == expected, name
        assert every[name]["depends_on"]["config-init"]["condition"] == "service_completed_successfully"


def test_trino_clients_get_the_certificate_and_not_the_key(project, monkeypatch):
    """Airflow's tasks and the dashboard trust Trino's certificate (volume trino-ca); no app gets the key."""
    every = services_of(project)
    ca_mount = f"trino-ca:{compose.TRINO_CA_FILE.parent}:ro"
    for name, svc in cf.app_services(project).items():
        mounts = svc.get("volumes", [])
        assert not any(m.startswith("trino-tls:") for m in mounts) or name == "config-init", name
        s = cf.settings_for(svc["environment"], monkeypatch)
        assert s.trino_ca_path == compose.TRINO_CA_FILE, name
        assert s.trino_url == f"https://{compose.TRINO_COORDINATOR}:{s.trino_port}", name
    for name in ("airflow-scheduler", compose.STREAMLIT):
        assert ca_mount in every[name]["volumes"], name
    for name in ("airflow-scheduler", compose.STREAMLIT):
        for dep in ("trino", "trino-worker"):
            assert every[name]["depends_on"][dep]["condition"] == "service_healthy", name


def test_postgres_runs_with_the_native_options(project, monkeypatch):
    pg = services_of(project)["postgres"]
    s = Settings(_env_file=None)
    native = services.Postgres(s).command()
    container_specific = ("listen_addresses", "port", "unix_socket_directories")
    native_options = [v for k, v in zip(native, native[1:], strict=False) if k == "-c"]
    native_options = [o for o in native_options if o.split("=")[0] not in container_specific]
    command = pg["command"]
    assert command[0] == "postgres"
    options = [v for k, v in zip(command, command[1:], strict=False) if k == "-c"]
    assert options == [f"port={s.pg_port}", *native_options]
    env = pg["environment"]
    assert (env["POSTGRES_USER"], env["POSTGRES_PASSWORD"]) == (s.pg_user, s.pg_password.get_secret_value())
    assert pg["healthcheck"]["test"] == ["CMD", "pg_isready", "-h", "127.0.0.1", "-p", str(s.pg_port)]


def test_minio_runs_with_the_native_options(project, monkeypatch):
    minio = services_of(project)["minio"]
    s = Settings(_env_file=None)
    monkeypatch.setattr(Settings, "minio_binary", property(lambda self: cf.COMPOSE_FILE))  # exists
    native = services.Minio(s)
    argv = native.command()[1:]
    argv[1] = "/data"
    argv[3] = f":{s.minio_port}"
    argv[5] = f":{s.minio_console_port}"
    assert minio["command"] == argv
    native_env = native.env()
    env = minio["environment"]
    for key in (
        "MINIO_ROOT_USER",
        "MINIO_ROOT_PASSWORD",
        "MINIO_UPDATE",
        "MINIO_BROWSER_REDIRECT",
        "GOMEMLIMIT",
    ):
        assert env[key] == native_env[key], key


def test_spark_workers_fit_the_driver_defaults(project):
    env = services_of(project)[compose.SPARK_WORKER]["environment"]
    assert int(env["SPARK_WORKER_CORES"]) >= 1
    assert re.fullmatch(r"\d+[gm]", env["SPARK_WORKER_MEMORY"])


def test_the_external_stores_override_drops_the_bundled_ones(monkeypatch):
    env = {
        **cf.dotenv(),
        "OSSPULSE_PG_HOST": "db.example.com",
        "OSSPULSE_S3_ENDPOINT": "https://s3.example.com",
    }
    project = cf.resolved(env, cf.COMPOSE_FILE, cf.EXTERNAL_FILE)
    every = services_of(project)
    assert every["postgres"]["profiles"] == every["minio"]["profiles"] == ["bundled-stores"]
    for name, svc in every.items():
        if "profiles" in svc:
            continue
        assert not set(svc.get("depends_on", {})) & {"postgres", "minio"}, f"{name} still waits for a store"
    for name, svc in cf.app_services(project).items():
        s = cf.settings_for(svc["environment"], monkeypatch)
        assert (s.pg_host, s.s3_endpoint) == ("db.example.com", "https://s3.example.com"), name
    with pytest.raises(cf.MissingVariable, match="OSSPULSE_PG_HOST"):
        cf.resolved({**env, "OSSPULSE_PG_HOST": ""}, cf.COMPOSE_FILE, cf.EXTERNAL_FILE)

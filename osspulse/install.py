"""``make setup``: install everything OSS Pulse needs, idempotently, caching outside the repository.

Runs with the system ``python3`` and the standard library only (the virtualenv does not exist yet):

    python3 -m osspulse.install            # everything
    python3 -m osspulse.install --print-venv

Every step prints progress and skips itself when its output is already in the cache
(``OSSPULSE_CACHE_DIR``, default ``~/.cache/osspulse``), so a second run takes seconds.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import secrets
import shutil
import subprocess
import sys
import tarfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
MAVEN_URL = os.environ.get("OSSPULSE_MAVEN_URL", "https://repo1.maven.org/maven2").rstrip("/")
UV_VERSION = "0.13.8"
# MinIO publishes no semver tags for Go; this is the pseudo-version `@latest` resolved to (2026-02-12).
MINIO_MODULE = "github.com/minio/minio"
MINIO_VERSION = "v0.0.0-20260212201848-7aac2a2c5b7c"
TRINO_VERSION = "476"
# Plugins we load; the full server tarball carries ~60, loading fewer keeps start-up and memory down.
# geospatial registers the Geometry type the postgresql connector maps PostGIS columns to.
TRINO_PLUGINS = ("iceberg", "postgresql", "geospatial")
DEBIAN_PACKAGES = {
    # package: a file whose presence means it is installed
    "postgresql-15": "/usr/lib/postgresql/15/bin/postgres",
    "openjdk-17-jdk-headless": "/usr/lib/jvm/java-17-openjdk-amd64/bin/java",
    "chromium": "/usr/bin/chromium",
    "chromium-driver": "/usr/bin/chromedriver",
}


@dataclass(frozen=True)
class Artifact:
    """A Maven Central file, pinned by its SHA-1 (as published beside it on Central)."""

    path: str
    sha1: str
    dest: str  # relative to the cache dir

    @property
    def url(self) -> str:
        return f"{MAVEN_URL}/{self.path}"


ARTIFACTS = (
    # trino-postgresql 476 is not published on Maven Central as a plugin zip, so the full server
    # tarball is fetched once and only the core plus the iceberg and postgresql plugins are kept.
    Artifact(
        "io/trino/trino-server/476/trino-server-476.tar.gz",
        "c9b38be4017ebd2f7095455aaac772fb40247ebe",
        "downloads/trino-server-476.tar.gz",
    ),
    Artifact(
        "io/trino/trino-cli/476/trino-cli-476-executable.jar",
        "c835824e01842036d4e0c071b5e2b7e1d28ba299",
        "bin/trino-cli-476.jar",
    ),
    Artifact(
        "org/apache/iceberg/iceberg-spark-runtime-4.1_2.13/1.12.0/iceberg-spark-runtime-4.1_2.13-1.12.0.jar",
        "9e395e373a9a99643bf413ca1f74fa0c034887b4",
        "jars/iceberg-spark-runtime-4.1_2.13-1.12.0.jar",
    ),
    Artifact(
        "org/apache/iceberg/iceberg-aws-bundle/1.12.0/iceberg-aws-bundle-1.12.0.jar",
        "64d5012217035a60924feb633636b744d318eb0a",
        "jars/iceberg-aws-bundle-1.12.0.jar",
    ),
    Artifact(
        "org/postgresql/postgresql/42.7.14/postgresql-42.7.14.jar",
        "0e7c94ce80cb1dd9875ff44ffe6a40a8aaa3eefd",
        "jars/postgresql-42.7.14.jar",
    ),
)


def log(msg: str) -> None:
    print(f"[setup] {msg}", flush=True)


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines of a dotenv file (comments and blanks ignored, no interpolation)."""
    values: dict[str, str] = {}
    if not path.exists():
        return values
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        values[key.strip()] = value.strip().strip("'\"")
    return values


def cache_dir() -> Path:
    env_file = Path(os.environ.get("OSSPULSE_ENV_FILE", REPO_ROOT / ".env"))
    raw = os.environ.get("OSSPULSE_CACHE_DIR") or read_env_file(env_file).get("OSSPULSE_CACHE_DIR")
    return Path(raw).expanduser() if raw else Path.home() / ".cache" / "osspulse"


def venv_dir(cache: Path) -> Path:
    """The virtualenv is keyed by the lock file and the checkout.

    A changed lock gets a fresh venv; each checkout gets its own, because the package is installed
    editable into it (a venv shared by two clones would import whichever ran setup last). The wheels
    themselves come from uv's cache, so a second checkout's venv costs seconds.
    """
    lock = (REPO_ROOT / "requirements.lock").read_bytes()
    key = hashlib.sha256(lock + sys.version.encode() + str(REPO_ROOT).encode()).hexdigest()[:12]
    return cache / "venvs" / f"py{sys.version_info.major}{sys.version_info.minor}-{key}"


def run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=True, **kwargs)


# --- steps ----------------------------------------------------------------------------------------


def step_env_file(cache: Path) -> str:
    """Create ``.env`` from ``.env.template`` once, with a random value for every placeholder secret."""
    env, template = REPO_ROOT / ".env", REPO_ROOT / ".env.template"
    if env.exists():
        return ".env exists, left as is"
    lines = []
    for line in template.read_text().splitlines():
        key, sep, value = line.partition("=")
        if sep and not line.lstrip().startswith("#") and value.strip() == "change-me":
            line = f"{key}={secrets.token_urlsafe(18)}"
        lines.append(line)
    env.write_text("\n".join(lines) + "\n")
    env.chmod(0o600)
    return "wrote .env with generated secrets (mode 600, git-ignored)"


def step_debian(cache: Path) -> str:
    missing = [pkg for pkg, marker in DEBIAN_PACKAGES.items() if not Path(marker).exists()]
    if not missing:
        return "all present: " + ", ".join(DEBIAN_PACKAGES)
    if not shutil.which("apt-get"):
        raise SystemExit(f"missing Debian packages {missing} and no apt-get: install them by hand")
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    # Debian's postgresql package would create and start a system cluster on 5432; we run our own.
    conf = Path("/etc/postgresql-common/createcluster.conf")
    if "postgresql-15" in missing and not conf.exists():
        run([*sudo, "mkdir", "-p", str(conf.parent)])
        run([*sudo, "sh", "-c", f"echo 'create_main_cluster = false' > {conf}"])
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    log(f"apt-get install {' '.join(missing)}")
    run([*sudo, "apt-get", "update", "-q"], env=env)
    run([*sudo, "apt-get", "install", "-y", "-q", "--no-install-recommends", *missing], env=env)
    return "installed " + ", ".join(missing)


#: The project's own distributions, by folder: the runtime (``osspulse``), the API simulator
#: (``osspulse-sim``: fake-api, demo) and the development tools (``osspulse-dev``: benchmarks ...).
LOCAL_PACKAGES = (".", "simulator", "devtools")


def step_venv(cache: Path) -> str:
    venv = venv_dir(cache)
    stamp = venv / ".osspulse-synced"
    tools = cache / "tools" / f"uv-{UV_VERSION}"
    uv = tools / "bin" / "uv"
    if not uv.exists():
        log(f"bootstrapping uv {UV_VERSION}")
        run([sys.executable, "-m", "venv", str(tools)])
        run([str(tools / "bin" / "pip"), "install", "-q", f"uv=={UV_VERSION}"])
    env = {**os.environ, "UV_CACHE_DIR": str(cache / "uv"), "VIRTUAL_ENV": str(venv)}
    env.pop("PYTHONPATH", None)
    did = "up to date"
    if not stamp.exists():
        log(f"creating virtualenv {venv} from requirements.lock (about a minute the first time)")
        if venv.exists():
            shutil.rmtree(venv)
        run([str(uv), "venv", "-q", "-p", sys.executable, str(venv)], env=env)
        run([str(uv), "pip", "sync", "-q", str(REPO_ROOT / "requirements.lock")], env=env)
        stamp.touch()
        (venv / ".osspulse-checkout").write_text(str(REPO_ROOT))
        did = "created"
    pruned = prune_venvs(cache, keep=venv)
    # The runtime package, the API simulator and the development tools, editable, pointing at this
    # checkout (cheap; re-run every time in case the package metadata changed). Images install only
    # the parts they run (docker/osspulse/Dockerfile).
    editable = [arg for part in LOCAL_PACKAGES for arg in ("-e", str(REPO_ROOT / part))]
    run([str(uv), "pip", "install", "-q", "--no-deps", *editable], env=env)
    link = REPO_ROOT / ".venv"
    if link.is_symlink() or link.exists():
        if link.resolve() != venv.resolve():
            link.unlink()
    if not link.exists():
        link.symlink_to(venv)
    return f"{did}: {venv} (linked as .venv)" + (f"; removed {pruned} of gone checkouts" if pruned else "")


def prune_venvs(cache: Path, keep: Path) -> int:
    """Delete the cached venvs of checkouts that no longer exist (CI clones, say).

    A venv of an older lock of an existing checkout is kept: services started from it may still run.
    """
    removed = 0
    for venv in (cache / "venvs").glob("py*-*"):
        marker = venv / ".osspulse-checkout"
        if venv == keep or not marker.exists():
            continue
        if not (Path(marker.read_text().strip()) / "pyproject.toml").exists():
            shutil.rmtree(venv, ignore_errors=True)
            removed += 1
    return removed


def _sha1(path: Path) -> str:
    digest = hashlib.sha1()  # noqa: S324 - Maven Central publishes SHA-1 checksums
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def download(artifact: Artifact, cache: Path) -> Path:
    dest = cache / artifact.dest
    if dest.exists():
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_suffix(dest.suffix + ".part")
    log(f"downloading {artifact.url}")
    started = time.monotonic()
    with urllib.request.urlopen(artifact.url, timeout=120) as resp, part.open("wb") as out:  # noqa: S310
        total = int(resp.headers.get("content-length") or 0)
        done, last = 0, 0.0
        while chunk := resp.read(1 << 20):
            out.write(chunk)
            done += len(chunk)
            if total and time.monotonic() - last > 5:
                last = time.monotonic()
                log(f"  {dest.name}: {done >> 20} / {total >> 20} MiB")
    actual = _sha1(part)
    if actual != artifact.sha1:
        part.unlink()
        raise SystemExit(f"checksum mismatch for {artifact.url}: expected {artifact.sha1}, got {actual}")
    part.rename(dest)
    log(f"  {dest.name}: {dest.stat().st_size >> 20} MiB in {time.monotonic() - started:.0f}s, sha1 ok")
    return dest


def step_jars(cache: Path) -> str:
    for artifact in ARTIFACTS[1:]:
        download(artifact, cache)
    return "Iceberg Spark runtime, Iceberg AWS bundle, PostgreSQL JDBC, Trino CLI"


def step_trino(cache: Path) -> str:
    target = cache / f"trino-server-{TRINO_VERSION}"
    stamp = target / ".osspulse-extracted"
    wanted = ",".join(TRINO_PLUGINS)
    if stamp.exists() and stamp.read_text() == wanted:
        return f"present: {target}"
    tarball = download(ARTIFACTS[0], cache)
    log(f"extracting Trino core + plugins {', '.join(TRINO_PLUGINS)}")
    if target.exists():
        shutil.rmtree(target)
    tmp = target.with_name(target.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    prefix = f"trino-server-{TRINO_VERSION}/"
    keep = ("lib/", "bin/", *(f"plugin/{p}/" for p in TRINO_PLUGINS))
    with tarfile.open(tarball) as tar:
        members = [m for m in tar.getmembers() if m.name.removeprefix(prefix).startswith(keep)]
        tar.extractall(tmp, members=members, filter="tar")
    (tmp / prefix).rename(target)
    shutil.rmtree(tmp)
    stamp.write_text(wanted)
    tarball.unlink()  # the extracted tree is what we keep; saves 800 MiB of cache
    return f"extracted to {target}"


def step_minio(cache: Path) -> str:
    binary = cache / "bin" / "minio"
    stamp = cache / "bin" / f".minio-{MINIO_VERSION}"
    if binary.exists() and stamp.exists():
        return f"present: {binary} ({MINIO_VERSION})"
    go = shutil.which("go")
    if not go:
        raise SystemExit("Go >= 1.24 is needed to build MinIO from source: install Go and rerun make setup")
    log(f"building MinIO {MINIO_VERSION} from source with go install (about 3 minutes on 2 cores)")
    env = {**os.environ, "GOBIN": str(binary.parent), "CGO_ENABLED": "0"}
    run([go, "install", f"{MINIO_MODULE}@{MINIO_VERSION}"], env=env)
    for old in binary.parent.glob(".minio-*"):
        old.unlink()
    stamp.touch()
    return f"built {binary}"


STEPS: tuple[tuple[str, Callable[[Path], str]], ...] = (
    ("settings file", step_env_file),
    ("Debian packages", step_debian),
    ("Python virtualenv", step_venv),
    ("jars and Trino CLI", step_jars),
    ("Trino server", step_trino),
    ("MinIO server", step_minio),
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m osspulse.install", description=__doc__)
    parser.add_argument("--print-venv", action="store_true", help="print the venv path and exit")
    args = parser.parse_args(argv)
    cache = cache_dir()
    if args.print_venv:
        print(venv_dir(cache))
        return 0
    cache.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    for index, (name, step) in enumerate(STEPS, start=1):
        t0 = time.monotonic()
        log(f"{index}/{len(STEPS)} {name} ...")
        outcome = step(cache)
        log(f"{index}/{len(STEPS)} {name}: {outcome} ({time.monotonic() - t0:.1f}s)")
    log(f"done in {time.monotonic() - started:.1f}s; cache {cache}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

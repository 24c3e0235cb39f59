"""``make setup``: install everything OSS Pulse needs, idempotently, caching outside the repository.

Runs with the system ``python3`` and the standard library only (the virtualenv does not exist yet):

    python3 -m osspulse.install            # everything
    python3 -m osspulse.install --print-venv

Every step prints progress and skips itself when its output is already in the cache
(``OSSPULSE_CACHE_DIR``, default ``~/.cache/osspulse``), so a second run takes seconds.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
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
#: SHA-256 of every file PyPI publishes for uv 0.13.8 (pip installs it with --require-hashes)
UV_SHA256 = (
    "0ec33661a14e38dea8dfb18167d2a4a5c7fe3d476c62dd8eb6acf5f378727201",
    "b7124ca1956ec2e476a1003ea5715a15f0266afaec37f4dc9c6972ba8183e6d1",
    "62b6943c7fd64fac6854f780bea6e0359e5a5bc3241f83ee357bb38276afac49",
    "0b3e8b1a4f5e405e31e2ff33de8af4744831e9f7338539671efbd8c3c94e791d",
    "9cf0b7b12f13da6ab1c85694ab618d97a2bbd0c904cdea7f0172fb1dd768b9d5",
    "86f1319f851e645bc295bb921e6be19beae7e69216c75ae809010ca7817393aa",
    "5ace7ec339798aca31be51a75fa7c1544fe84e02fadd17a9fa3324813bbaf237",
    "6999618363d03a0a085a9491db319e00b461dbda205db06ef1fd55dfcbf6472b",
    "13050c64530a1ccfc223af0306a8152d41c0d36ea63bc19161221ca65dfe480a",
    "e18a57b8b352eb7c8feb317b9f6f533c8f0ad9673fd6cf34bbe3cf1a9f6a8984",
    "5337c30bb893b4f9ce0ceb921ba2da0d13f649da644f40ad3bef84083bef0203",
    "bfcaada3989c7716ad4b58673cd1413fad4fdc6b2e446f9553db0ef18da20850",
    "b26fe533dc6153787e40443b7d9428ed41349127bff36a954ec82c48be01ded9",
    "63d807451e63c8d21b1b33c945af16438ac9d8ffddc59b31ce69c692135891f5",
    "29451c60f5e8b07403e0a175d5229efc36b0289b34143ff4aaa499a5dd52553a",
    "87614f62b09e3571593ffe01bf2e1dccb8df928a8423324dba80c6d0e33060eb",
    "cfbc13020a64cdf2f116d2936824c38edbf41e5c07f1ea291baf02e31ebf3ed0",
    "b4184029b1b7c54409b9cd4372c73a36ef9c2d1d7cf3b0aca59c8b1932f041dc",
    "55c0b405e75dea1d1c53efc9a8e0725f4031be0e219ec2a08b15d78ece9a616a",
)
# MinIO publishes no semver tags for Go; this is the pseudo-version `@latest` resolved to (2026-02-12).
MINIO_MODULE = "github.com/minio/minio"
MINIO_VERSION = "v0.0.0-20260212201848-7aac2a2c5b7c"
TRINO_VERSION = "476"
# Plugins we load; the full server tarball carries ~60, loading fewer keeps start-up and memory down.
# geospatial registers the Geometry type the postgresql connector maps PostGIS columns to;
# password-authenticators holds the password file authenticator (the roles' logins).
TRINO_PLUGINS = ("iceberg", "postgresql", "geospatial", "password-authenticators")
#: the plugins of the first installs (their stamp); later plugins are added beside them, one stamp each,
#: so checkouts of either age share one extracted server without re-extracting it
TRINO_BASE_PLUGINS = ("iceberg", "postgresql", "geospatial")
DEBIAN_PACKAGES = {
    # package: a file whose presence means it is installed
    "postgresql-15": "/usr/lib/postgresql/15/bin/postgres",
    "openjdk-17-jdk-headless": "/usr/lib/jvm/java-17-openjdk-amd64/bin/java",
    "chromium": "/usr/bin/chromium",
    "chromium-driver": "/usr/bin/chromedriver",
}


@dataclass(frozen=True)
class Artifact:
    """A Maven Central file, pinned by its SHA-256 (Central publishes only SHA-1 and MD5 beside these,
    so the pins were computed from the files whose published SHA-1 matched)."""

    path: str
    sha256: str
    dest: str  # relative to the cache dir

    @property
    def url(self) -> str:
        return f"{MAVEN_URL}/{self.path}"


ARTIFACTS = (
    # trino-postgresql 476 is not published on Maven Central as a plugin zip, so the full server
    # tarball is fetched once and only the core plus the iceberg and postgresql plugins are kept.
    Artifact(
        "io/trino/trino-server/476/trino-server-476.tar.gz",
        "cfd5accde17e8ebd251eeeb78aed1f490e77bb3a164d95a0f454bf8a7c1cbd3f",
        "downloads/trino-server-476.tar.gz",
    ),
    Artifact(
        "io/trino/trino-cli/476/trino-cli-476-executable.jar",
        "fe4e9c7fb569cd67673afa1622945f6308e1e59bdb825419352b80887661757b",
        "bin/trino-cli-476.jar",
    ),
    Artifact(
        "org/apache/iceberg/iceberg-spark-runtime-4.1_2.13/1.12.0/iceberg-spark-runtime-4.1_2.13-1.12.0.jar",
        "3123c3798af642dd537230923548e013ef41cc28b6626e5225808cf5670a0f82",
        "jars/iceberg-spark-runtime-4.1_2.13-1.12.0.jar",
    ),
    Artifact(
        "org/apache/iceberg/iceberg-aws-bundle/1.12.0/iceberg-aws-bundle-1.12.0.jar",
        "dd7e49ffa4ac9b215bed846581991259e3aec9bb2fa08d6cec029c46cd66d957",
        "jars/iceberg-aws-bundle-1.12.0.jar",
    ),
    Artifact(
        "org/postgresql/postgresql/42.7.14/postgresql-42.7.14.jar",
        "73914527305a40cce504b0d3d90b23caf565136912d607ae8ae7c5895512332c",
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


#: settings whose generated value has a format of its own (a Fernet key is 32 url-safe base64 bytes)
SECRET_FORMATS: dict[str, Callable[[], str]] = {
    "OSSPULSE_AIRFLOW_FERNET_KEY": lambda: base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
    "OSSPULSE_TRINO_SHARED_SECRET": lambda: secrets.token_urlsafe(48),
}


def new_secret(key: str) -> str:
    return SECRET_FORMATS.get(key, lambda: secrets.token_urlsafe(18))()


def legacy_fernet_key(pg_password: str) -> str:
    """The Fernet key installs before independent secrets derived from the Postgres password."""
    digest = hmac.new(pg_password.encode(), b"airflow-fernet", hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()


def write_private(path: Path, text: str) -> None:
    """Write ``path`` with mode 600 from its first byte (a fresh file, renamed over the old one)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    os.replace(tmp, path)


def template_secrets() -> list[str]:
    """The settings ``.env.template`` leaves as ``change-me`` (setup generates each)."""
    keys = []
    for line in (REPO_ROOT / ".env.template").read_text().splitlines():
        key, sep, value = line.partition("=")
        if sep and not line.lstrip().startswith("#") and value.strip() == "change-me":
            keys.append(key.strip())
    return keys


def step_env_file(cache: Path) -> str:
    """Create ``.env`` from ``.env.template`` with a random value for every placeholder secret; give an
    existing ``.env`` the secrets it lacks (new settings), keeping every value it has."""
    env, template = REPO_ROOT / ".env", REPO_ROOT / ".env.template"
    if not env.exists():
        lines = []
        for line in template.read_text().splitlines():
            key, sep, value = line.partition("=")
            if sep and not line.lstrip().startswith("#") and value.strip() == "change-me":
                line = f"{key}={new_secret(key.strip())}"
            lines.append(line)
        write_private(env, "\n".join(lines) + "\n")
        return "wrote .env with generated secrets (mode 600, git-ignored)"
    current = read_env_file(env)
    missing = [key for key in template_secrets() if current.get(key, "change-me") == "change-me"]
    loose = env.stat().st_mode & 0o077
    if not missing:
        if loose:
            env.chmod(0o600)
            return ".env exists; its mode was loosened, set back to 600"
        return ".env exists, left as is"
    added = []
    for key in missing:
        value = new_secret(key)
        if key == "OSSPULSE_AIRFLOW_FERNET_KEY" and current.get("OSSPULSE_PG_PASSWORD"):
            # keep what older versions encrypted readable until `stack up` rotates it to the new key
            value += "," + legacy_fernet_key(current["OSSPULSE_PG_PASSWORD"])
        added.append(f"{key}={value}")
    text = env.read_text()
    if text and not text.endswith("\n"):
        text += "\n"
    text += "# --- secrets added by `make setup` (settings new in .env.template) ---\n"
    text += "\n".join(added) + "\n"
    write_private(env, text)
    return f"added {len(added)} new secrets to .env ({', '.join(missing)}); every other value kept"


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
    if not (tools / ".sha256-checked").exists():
        install_uv(tools)
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


def install_uv(tools: Path) -> None:
    """uv from PyPI, its wheel checked against the pinned SHA-256 sums (``pip --require-hashes``).

    Built beside and then renamed into place, so a checkout's uv is never half-installed; an uv installed
    by an older setup (no hash check) is replaced once.
    """
    log(f"bootstrapping uv {UV_VERSION} (SHA-256 checked)")
    fresh = tools.with_name(tools.name + f".new-{os.getpid()}")
    shutil.rmtree(fresh, ignore_errors=True)
    run([sys.executable, "-m", "venv", str(fresh)])
    pins = fresh / "uv-requirements.txt"
    pins.write_text(f"uv=={UV_VERSION} " + " ".join(f"--hash=sha256:{h}" for h in UV_SHA256) + "\n")
    run([str(fresh / "bin" / "pip"), "install", "-q", "--require-hashes", "--no-deps", "-r", str(pins)])
    (fresh / ".sha256-checked").touch()
    old = tools.with_name(tools.name + f".old-{os.getpid()}")
    if tools.exists():
        tools.rename(old)
    fresh.rename(tools)
    shutil.rmtree(old, ignore_errors=True)  # bin/uv is a static binary: it runs from the new place


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


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def download(artifact: Artifact, cache: Path) -> Path:
    """``artifact`` in the cache, downloaded if missing; either way checked against its SHA-256."""
    dest = cache / artifact.dest
    if dest.exists():
        actual = sha256_of(dest)
        if actual != artifact.sha256:
            raise SystemExit(
                f"{dest} does not match its pinned SHA-256 ({actual} != {artifact.sha256}): it was changed "
                "after download. Delete it and run `make setup` again"
            )
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
    actual = sha256_of(part)
    if actual != artifact.sha256:
        part.unlink()
        raise SystemExit(
            f"checksum mismatch for {artifact.url}: expected SHA-256 {artifact.sha256}, got {actual}"
        )
    part.rename(dest)
    log(f"  {dest.name}: {dest.stat().st_size >> 20} MiB in {time.monotonic() - started:.0f}s, sha256 ok")
    return dest


def step_jars(cache: Path) -> str:
    for artifact in ARTIFACTS[1:]:
        download(artifact, cache)
    return "Iceberg Spark runtime, Iceberg AWS bundle, PostgreSQL JDBC, Trino CLI"


def step_trino(cache: Path) -> str:
    target = cache / f"trino-server-{TRINO_VERSION}"
    stamp = target / ".osspulse-extracted"
    base = ",".join(TRINO_BASE_PLUGINS)
    if stamp.exists() and stamp.read_text() == base:
        added = [p for p in TRINO_PLUGINS if p not in TRINO_BASE_PLUGINS]
        missing = [p for p in added if not (target / ".osspulse-plugins" / p).exists()]
        if not missing:
            return f"present: {target}"
        tarball = download(ARTIFACTS[0], cache)
        log(f"adding Trino plugins {', '.join(missing)}")
        tmp = _extract(
            tarball, target.with_name(target.name + ".plugins-tmp"), [f"plugin/{p}/" for p in missing]
        )
        for plugin in missing:
            shutil.rmtree(target / "plugin" / plugin, ignore_errors=True)  # a half-added one
            (tmp / "plugin" / plugin).rename(target / "plugin" / plugin)
        shutil.rmtree(tmp.parent)
        _mark_plugins(target, missing)
        tarball.unlink()
        return f"added plugins {', '.join(missing)} to {target}"
    tarball = download(ARTIFACTS[0], cache)
    log(f"extracting Trino core + plugins {', '.join(TRINO_PLUGINS)}")
    if target.exists():
        shutil.rmtree(target)
    tmp = _extract(
        tarball,
        target.with_name(target.name + ".tmp"),
        ["lib/", "bin/", *(f"plugin/{p}/" for p in TRINO_PLUGINS)],
    )
    _mark_plugins(tmp, list(TRINO_PLUGINS))
    (tmp / ".osspulse-extracted").write_text(base)
    tmp.rename(target)
    shutil.rmtree(tmp.parent)
    tarball.unlink()  # the extracted tree is what we keep; saves 800 MiB of cache
    return f"extracted to {target}"


def _extract(tarball: Path, into: Path, keep: list[str]) -> Path:
    """The members of the server tarball under ``keep`` (paths inside the server) into the fresh directory
    ``into``; returns the extracted server directory (``into/trino-server-<version>``). Names are kept as
    they are so that hard links between plugins resolve."""
    if into.exists():
        shutil.rmtree(into)
    prefix = f"trino-server-{TRINO_VERSION}/"
    wanted = tuple(prefix + k for k in keep)
    with tarfile.open(tarball) as tar:
        members = [m for m in tar.getmembers() if m.name.startswith(wanted)]
        tar.extractall(into, members=members, filter="tar")
    return into / prefix.rstrip("/")


def _mark_plugins(target: Path, plugins: list[str]) -> None:
    marks = target / ".osspulse-plugins"
    marks.mkdir(exist_ok=True)
    for plugin in plugins:
        (marks / plugin).touch()


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

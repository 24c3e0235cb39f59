"""The images of the Docker Compose deployment, built on this machine (``make images``).

    osspulse images build [--only app trino minio postgres] [--ca-bundle FILE|none] [--no-cache]
    osspulse images list                   # the images, their base and size
    osspulse images bench                  # build time cold, after a one-line change (make bench-images)

Each Dockerfile names a public Debian base image (``ARG BASE_IMAGE=debian:12.15-slim``, Trino's
``ARG TRINO_BASE_IMAGE=debian:13.8-slim``). The base is, in this order: the one given at build time (the
environment variables ``BASE_IMAGE`` / ``TRINO_BASE_IMAGE``, e.g. a company registry's copy), the public
image if it is present or can be pulled, else a local Debian image made from Debian's own packages with
``debootstrap --variant=minbase`` and ``docker import`` (once; about a minute) — for machines that reach
Debian's mirror but no container registry.

Builds use BuildKit through ``docker buildx``: the Dockerfiles need its cache mounts (wheels, jars, the
Trino tarball, the Go module and build caches survive layer changes) and its build secrets (an extra CA
bundle for TLS-intercepting proxies, ``ca_bundle``; by default the host's own bundle, never in a layer).
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import osspulse
from osspulse import install
from osspulse.settings import REPO_ROOT
from osspulse.stack.process import StackError

log = logging.getLogger(__name__)

HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
DEBIAN_MIRROR = os.environ.get("OSSPULSE_DEBIAN_MIRROR", "http://deb.debian.org/debian")
PULL_TIMEOUT_S = 60


class ImageError(StackError):
    """An image could not be built; the message says what failed and what to do."""


@dataclass(frozen=True)
class Base:
    """A Debian base image: the Dockerfile's public default, or a local debootstrap image of the release."""

    codename: str  # bookworm, trixie
    arg: str  # the Dockerfile's build argument

    @property
    def local(self) -> str:
        return f"osspulse/debian:{self.codename}-minbase"


BOOKWORM = Base("bookworm", "BASE_IMAGE")
TRIXIE = Base("trixie", "TRINO_BASE_IMAGE")


@dataclass(frozen=True)
class Image:
    """One image of docker-compose.yml."""

    key: str  # app, trino, minio
    name: str
    dockerfile: Path
    base: Base

    @property
    def public_base(self) -> str:
        """The default of the base argument in the Dockerfile (the only place it is written)."""
        match = re.search(rf"^ARG {self.base.arg}=(\S+)$", self.dockerfile.read_text(), re.MULTILINE)
        if not match:
            raise ImageError(f"{self.dockerfile} declares no `ARG {self.base.arg}=IMAGE`")
        return match[1]


IMAGES = (
    Image("postgres", "osspulse/postgres:15", REPO_ROOT / "docker/postgres/Dockerfile", BOOKWORM),
    Image(
        "minio", f"osspulse/minio:{install.MINIO_VERSION}", REPO_ROOT / "docker/minio/Dockerfile", BOOKWORM
    ),
    Image("trino", f"osspulse/trino:{install.TRINO_VERSION}", REPO_ROOT / "docker/trino/Dockerfile", TRIXIE),
    Image("app", f"osspulse/app:{osspulse.__version__}", REPO_ROOT / "docker/osspulse/Dockerfile", BOOKWORM),
)


# --- docker -----------------------------------------------------------------------------------------------


def docker(*args: str, check: bool = True, capture: bool = True, timeout: float | None = None, **kwargs):
    return subprocess.run(  # noqa: S603
        ["docker", *args], check=check, capture_output=capture, text=True, timeout=timeout, **kwargs
    )


def check_docker() -> None:
    if not shutil.which("docker"):
        raise ImageError("no docker client: install Docker Engine (Debian: apt-get install docker.io)")
    if docker("info", check=False).returncode != 0:
        raise ImageError("the Docker daemon does not answer (`docker info` fails): start dockerd")
    if docker("buildx", "version", check=False).returncode != 0:
        raise ImageError(
            "`docker buildx` is missing: the images need BuildKit (cache mounts, build secrets); "
            "docker/build-docker-plugins.sh builds the buildx and compose plugins from the Go module proxy"
        )


def image_exists(name: str) -> bool:
    return docker("image", "inspect", name, check=False).returncode == 0


def image_size(name: str) -> int:
    return int(docker("image", "inspect", "-f", "{{.Size}}", name).stdout.strip())


def pull(name: str) -> bool:
    """``docker pull`` with a deadline: False when no registry serves the image."""
    try:
        done = docker("pull", "-q", name, check=False, timeout=PULL_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return False
    return done.returncode == 0


# --- the Debian bases -------------------------------------------------------------------------------------


def resolve_base(image: Image, environ: dict[str, str] | None = None) -> str:
    """The base image to build ``image`` from (see the module docstring for the order)."""
    environ = os.environ if environ is None else environ
    given = environ.get(image.base.arg, "").strip()
    if given:
        if not image_exists(given) and not pull(given):
            raise ImageError(f"{image.base.arg}={given}: no such image here and no registry serves it")
        return given
    public = image.public_base
    if image_exists(public):
        return public
    log.info("pulling %s ...", public)
    if pull(public):
        return public
    if not image_exists(image.base.local):
        log.info("no registry serves %s: building %s from Debian's packages", public, image.base.local)
        build_local_base(image.base)
    return image.base.local


def debian_sources(codename: str, mirror: str = DEBIAN_MIRROR) -> str:
    """The apt sources of a local base: the release, its updates and its security updates."""
    security = mirror.rsplit("/", 1)[0] + "/debian-security"
    return (
        f"Types: deb\nURIs: {mirror}\nSuites: {codename} {codename}-updates\nComponents: main\n"
        "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n"
        f"Types: deb\nURIs: {security}\nSuites: {codename}-security\nComponents: main\n"
        "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"
    )


def build_local_base(base: Base) -> None:
    """``debootstrap --variant=minbase`` the release into a directory and ``docker import`` it."""
    debootstrap = shutil.which("debootstrap") or "/usr/sbin/debootstrap"
    if not Path(debootstrap).exists():
        raise ImageError("debootstrap is missing (Debian: apt-get install debootstrap)")
    if os.geteuid() != 0:
        raise ImageError("debootstrap needs root: run `make images` as root (or with sudo)")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=f"osspulse-{base.codename}-") as tmp:
        root = Path(tmp) / "root"
        done = subprocess.run(  # noqa: S603
            [debootstrap, "--variant=minbase", base.codename, str(root), DEBIAN_MIRROR],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            output = (done.stdout + done.stderr)[-3000:]
            raise ImageError(f"debootstrap {base.codename} failed:\n{output}")
        (root / "etc/apt/sources.list").unlink(missing_ok=True)
        (root / "etc/apt/sources.list.d/debian.sources").write_text(debian_sources(base.codename))
        for leftover in ("var/cache/apt/archives", "var/lib/apt/lists"):
            for path in (root / leftover).glob("*"):
                if path.is_file():
                    path.unlink()
        version = (root / "etc/debian_version").read_text().strip()
        tar = subprocess.Popen(["tar", "-C", str(root), "-c", "."], stdout=subprocess.PIPE)  # noqa: S607
        imported = subprocess.run(  # noqa: S603
            [
                "docker",
                "import",
                "--change",
                "ENV LANG=C.UTF-8",
                "--change",
                'CMD ["bash"]',
                "--change",
                f"LABEL org.opencontainers.image.version={version}",
                "--message",
                f"debootstrap --variant=minbase {base.codename} {DEBIAN_MIRROR}",
                "-",
                base.local,
            ],  # fmt: skip
            stdin=tar.stdout,
            capture_output=True,
            text=True,
        )
        tar.wait()
        if imported.returncode != 0 or tar.returncode != 0:
            raise ImageError(f"docker import of {base.local} failed: {imported.stderr[-2000:]}")
    log.info("built %s (Debian %s) in %.0fs", base.local, version, time.monotonic() - started)


# --- building ---------------------------------------------------------------------------------------------


@dataclass
class Built:
    image: Image
    base: str
    seconds: float
    size: int


def build_command(image: Image, base: str, ca_bundle: Path | None, *, no_cache: bool = False) -> list[str]:
    cmd = [
        "docker", "buildx", "build", "--progress=plain",
        "-f", str(image.dockerfile.relative_to(REPO_ROOT)),
        "-t", image.name,
        "--build-arg", f"{image.base.arg}={base}",
    ]  # fmt: skip
    if ca_bundle is not None:
        cmd += ["--secret", f"id=ca_bundle,src={ca_bundle}"]
    if no_cache:
        cmd.append("--no-cache")
    return [*cmd, "."]


def build(
    image: Image, ca_bundle: Path | None, log_dir: Path, *, no_cache: bool = False, environ=None
) -> Built:
    base = resolve_base(image, environ)
    cmd = build_command(image, base, ca_bundle, no_cache=no_cache)
    log_file = log_dir / f"image-{image.key}.log"
    log_dir.mkdir(parents=True, exist_ok=True)
    log.info("building %s from %s (log: %s)", image.name, base, log_file)
    started = time.monotonic()
    with log_file.open("w") as out:
        done = subprocess.run(cmd, cwd=REPO_ROOT, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603
    seconds = time.monotonic() - started
    if done.returncode != 0:
        tail = "\n".join(log_file.read_text(errors="replace").splitlines()[-30:])
        raise ImageError(f"building {image.name} failed after {seconds:.0f}s; {log_file} ends:\n{tail}")
    built = Built(image, base, seconds, image_size(image.name))
    log.info("built %s in %.1fs (%s)", image.name, seconds, human(built.size))
    return built


def default_ca_bundle() -> Path | None:
    return HOST_CA_BUNDLE if HOST_CA_BUNDLE.is_file() else None


def human(size: int) -> str:
    return f"{size / 2**30:.2f} GiB" if size >= 2**30 else f"{size / 2**20:.0f} MiB"


def build_all(
    keys: list[str] | None, ca_bundle: Path | None, log_dir: Path, *, no_cache: bool = False
) -> list[Built]:
    check_docker()
    chosen = [image for image in IMAGES if not keys or image.key in keys]
    return [build(image, ca_bundle, log_dir, no_cache=no_cache) for image in chosen]


# --- CLI --------------------------------------------------------------------------------------------------


def _build(args: argparse.Namespace) -> int:
    from osspulse.settings import get_settings

    if args.ca_bundle == "none":
        ca_bundle = None
    elif args.ca_bundle:
        ca_bundle = Path(args.ca_bundle)
        if not ca_bundle.is_file():
            raise ImageError(f"--ca-bundle {ca_bundle}: no such file")
    else:
        ca_bundle = default_ca_bundle()
    started = time.monotonic()
    built = build_all(args.only, ca_bundle, get_settings().state_dir / "logs", no_cache=args.no_cache)
    for b in built:
        print(f"{b.image.name:<55} {b.seconds:7.1f}s  {human(b.size):>9}  from {b.base}")
    print(f"{'total':<55} {time.monotonic() - started:7.1f}s")
    return 0


#: the file the benchmark changes by one line (and restores): code of the app image
BENCH_FILE = REPO_ROOT / "osspulse" / "deploy" / "__init__.py"


def bench(ca_bundle: Path | None, log_dir: Path) -> dict[str, object]:
    """Build every image cold (BuildKit's cache and our images deleted, the Debian bases kept), then again
    after a one-line change of the app's code; returns the seconds of each build and the image sizes."""
    check_docker()
    for image in IMAGES:
        docker("image", "rm", "-f", image.name, check=False)
    docker("builder", "prune", "--all", "--force")
    started = time.monotonic()
    cold = build_all(None, ca_bundle, log_dir)
    cold_s = time.monotonic() - started
    original = BENCH_FILE.read_text()
    try:
        BENCH_FILE.write_text(original + f"# benchmark {time.time()}\n")
        started = time.monotonic()
        build_all(None, ca_bundle, log_dir)
        changed_s = time.monotonic() - started
    finally:
        BENCH_FILE.write_text(original)
    return {
        "cold_s": round(cold_s, 1),
        "cold_per_image_s": {b.image.key: round(b.seconds, 1) for b in cold},
        "after_one_line_change_s": round(changed_s, 1),
        "sizes_mib": {b.image.key: round(b.size / 2**20) for b in cold},
    }


def _bench(args: argparse.Namespace) -> int:
    import json

    from osspulse.settings import get_settings

    figures = bench(default_ca_bundle(), get_settings().state_dir / "logs")
    print(json.dumps(figures, indent=2))
    return 0


def _list(args: argparse.Namespace) -> int:
    for image in IMAGES:
        size = human(image_size(image.name)) if image_exists(image.name) else "not built"
        print(f"{image.name:<55} {size:>9}  ({image.dockerfile.relative_to(REPO_ROOT)})")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    images = sub.add_parser("images", help="build the Docker images of the compose deployment (make images)")
    actions = images.add_subparsers(dest="images_command", required=True)
    build_cmd = actions.add_parser("build", help="build the images (the base image as the docstring says)")
    build_cmd.add_argument("--only", nargs="+", choices=[i.key for i in IMAGES], help="only these images")
    build_cmd.add_argument(
        "--ca-bundle",
        help=f"extra CA bundle for TLS inside the build (default {HOST_CA_BUNDLE}; `none` for none)",
    )
    build_cmd.add_argument("--no-cache", action="store_true", help="rebuild every layer")
    build_cmd.set_defaults(func=_build)
    list_cmd = actions.add_parser("list", help="the images and their sizes")
    list_cmd.set_defaults(func=_list)
    bench_cmd = actions.add_parser(
        "bench", help="build time cold (BuildKit's cache deleted) and after a one-line code change"
    )
    bench_cmd.set_defaults(func=_bench)

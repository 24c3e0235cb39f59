"""Repository and package profiles: the sizes and the look of each generated project."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import date

log = logging.getLogger(__name__)


DEFAULT_END_DATE = date(2026, 11, 1)
DEFAULT_SEED = 42
GITHUB_DAYS = 420
DOWNLOAD_DAYS = 200
API = "https://api.github.com"
WEB = "https://github.com"


# --- profiles ----------------------------------------------------------------------------------------


APACHE = ("apache-2.0", "Apache License 2.0", "Apache-2.0")


@dataclass(frozen=True)
class RepoProfile:
    """Sizes at scale 1 and the look of a repository."""

    commits: int
    issues: int  # issues and PRs
    releases: int
    language: str = "Java"
    stars: int = 1000
    forks: int = 300
    subscribers: int = 50
    default_branch: str = "main"
    created_at: str = "2020-03-01T10:00:00Z"
    first_number: int = 100  # the number of the first issue/PR in the window
    version: tuple[int, int] = (0, 1)  # (major, minor) of the first release in the window
    tag_prefix: str = "v"
    description: str = ""
    license: tuple[str, str, str] = APACHE  # key, name, spdx
    topics: tuple[str, ...] = ()
    areas: tuple[str, ...] = ("core", "docs", "build")  # labels and title words
    merge_style: str = "squash"  # squash | merge (PR branches merged with merge commits)


REPO_PROFILES: dict[str, RepoProfile] = {
    "apache/iceberg": RepoProfile(
        commits=560,
        issues=330,
        releases=14,
        stars=7400,
        forks=2600,
        subscribers=190,
        created_at="2018-11-19T19:31:16Z",
        first_number=11200,
        version=(1, 6),
        tag_prefix="apache-iceberg-",
        description="Apache Iceberg",
        topics=("iceberg", "apache", "big-data", "sql"),
        areas=("core", "spark", "flink", "api", "docs", "aws"),
    ),
    "apache/hudi": RepoProfile(
        commits=430,
        issues=270,
        releases=12,
        stars=5600,
        forks=2400,
        subscribers=1200,
        default_branch="master",
        created_at="2016-12-14T00:15:13Z",
        first_number=11900,
        version=(0, 15),
        tag_prefix="release-",
        description="Upserts, Deletes And Incremental Processing on Big Data.",
        topics=("hudi", "apache", "data-lake", "stream-processing"),
        areas=("writer", "spark", "flink", "table-service"),
    ),
    "delta-io/delta": RepoProfile(
        merge_style="merge",
        commits=380,
        issues=220,
        releases=10,
        language="Scala",
        stars=8100,
        forks=1800,
        subscribers=150,
        default_branch="master",
        created_at="2019-04-22T18:56:51Z",
        first_number=3600,
        version=(3, 2),
        description="An open-source storage framework that enables building a Lakehouse architecture",
        topics=("delta-lake", "spark", "big-data"),
        areas=("spark", "kernel", "sharing", "uniform"),
    ),
    "apache/iceberg-python": RepoProfile(
        commits=240,
        issues=180,
        releases=12,
        language="Python",
        stars=800,
        forks=300,
        subscribers=30,
        created_at="2023-09-26T08:13:17Z",
        first_number=1400,
        version=(0, 7),
        tag_prefix="pyiceberg-",
        description="PyIceberg",
        topics=("iceberg", "python", "pyarrow"),
        areas=("io", "catalog", "table", "expressions", "docs"),
    ),
}


@dataclass(frozen=True)
class PackageProfile:
    daily: int  # typical daily downloads (without mirrors) at the end of the window
    versions: int  # at scale 1
    binary: bool  # platform wheels (else one pure-Python wheel)
    version: tuple[int, int]  # (major, minor) of the first version
    summary: str
    license: str = "Apache-2.0"
    repo_url: str = ""


PACKAGE_PROFILES: dict[str, PackageProfile] = {
    "pyiceberg": PackageProfile(
        1_400_000,
        22,
        True,
        (0, 4),
        "Apache Iceberg is an open table format for huge analytic datasets",
        repo_url="https://github.com/apache/iceberg-python",
    ),
    "delta-spark": PackageProfile(
        650_000,
        18,
        False,
        (2, 3),
        "Python APIs for using Delta Lake with Apache Spark",
        repo_url="https://github.com/delta-io/delta",
    ),
    "hudi": PackageProfile(
        1_800,
        8,
        False,
        (0, 1),
        "Python bindings for Apache Hudi",
        repo_url="https://github.com/apache/hudi-rs",
    ),
    "deltalake": PackageProfile(
        900_000,
        30,
        True,
        (0, 15),
        "Native Delta Lake Python binding based on delta-rs with Pandas integration",
        repo_url="https://github.com/delta-io/delta-rs",
    ),
}


def _hash_int(*parts: object) -> int:
    return int(hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()[:15], 16)


def repo_profile(repo: str) -> RepoProfile:
    """The profile of a default repo, or a plausible one derived from the name of any other."""
    if repo in REPO_PROFILES:
        return REPO_PROFILES[repo]
    h = _hash_int("profile", repo)
    return RepoProfile(
        commits=150 + h % 250,
        issues=80 + h % 150,
        releases=6 + h % 8,
        language=("Python", "Java", "Rust", "Go")[h % 4],
        stars=200 + h % 5000,
        forks=50 + h % 900,
        subscribers=20 + h % 200,
        first_number=100 + h % 3000,
        version=(0, 1 + h % 9),
        description=f"The {repo.split('/')[1]} project",
        topics=("open-source",),
    )


def package_profile(package: str) -> PackageProfile:
    if package in PACKAGE_PROFILES:
        return PACKAGE_PROFILES[package]
    h = _hash_int("profile", package)
    return PackageProfile(
        500 + h % 200_000,
        6 + h % 15,
        bool(h % 2),
        (0, 1 + h % 5),
        f"The {package} package",
        "MIT",
        f"https://github.com/example/{package}",
    )

"""The staged entities: one declarative spec per entity, shared by every layer.

* Ingest writes ``staging.<name>`` in Postgres: the key columns, ``payload jsonb`` (the API object,
  untouched), ``load_date`` and ``fetched_at``. Writes are upserts on the key; an unchanged payload
  keeps its original ``load_date``.
* Spark loads ``lake.raw.<name>`` (Iceberg, partitioned by ``load_date``): the key columns, the typed
  ``columns`` below extracted from the payload, the payload itself, ``load_date``, ``fetched_at`` and
  ``loaded_at`` (when the load that wrote the row ran, the same for every row of one load; a rerun or
  backfill of a past load date stamps its rows anew, which is how dbt finds what changed).
* dbt's bronze layer reads ``lake.raw.<name>`` as a source (``lake.bronze.<name>``: the latest version
  of each key, read incrementally by ``loaded_at``).

A column path is a JSONPath into the payload as understood by Spark's ``get_json_object``. A column
marked ``required`` must parse when present: a value that cannot be cast sends the row to
``lake.raw._rejects`` with the reason, instead of silently becoming null.

Records that vanish at the source (a commit no longer reachable after a force-push, a deleted or
transferred issue, a deleted release or PyPI version) are never deleted from staging: the ingest
upserts a *tombstone*, the last payload it holds plus a top-level ``_osspulse`` object
``{"deleted_at": "<ISO 8601 UTC>", "reason": "..."}``. Every layer reads it as the ``deleted_at``
column (``TOMBSTONE``) and drops deleted records from silver on; a record that reappears is upserted
without ``_osspulse`` and is live again.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Types are Spark SQL / Iceberg type names; STAGING_TYPES maps key types to Postgres.
STAGING_TYPES = {"string": "text", "bigint": "bigint", "int": "integer", "date": "date"}
TRINO_TYPES = {
    "string": "varchar",
    "bigint": "bigint",
    "int": "integer",
    "date": "date",
    "boolean": "boolean",
    "double": "double",
    # Spark's timestamp is Iceberg's timestamptz, which Trino reads as timestamp(6) with time zone
    "timestamp": "timestamp(6) with time zone",
}


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    path: str
    required: bool = False
    description: str = ""
    exists: bool = False  # the column is "the path is present and not null" rather than its value


@dataclass(frozen=True)
class Entity:
    name: str
    source: str  # github | pypistats | pypi
    key: tuple[tuple[str, str], ...]  # (column, type) of the natural key, in staging and raw
    columns: tuple[Column, ...] = field(default_factory=tuple)
    description: str = ""

    @property
    def key_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.key)

    @property
    def staging_table(self) -> str:
        return f"staging.{self.name}"

    def raw_columns(self) -> list[tuple[str, str]]:
        """(name, Spark type) of ``lake.raw.<name>``, in table order."""
        return [
            *self.key,
            *((c.name, c.type) for c in self.columns),
            ("payload", "string"),
            ("load_date", "date"),
            ("fetched_at", "timestamp"),
            ("loaded_at", "timestamp"),
        ]

    def raw_ddl(self, catalog: str, dialect: str = "spark", schema: str = "raw") -> str:
        """CREATE TABLE IF NOT EXISTS for ``<catalog>.<schema>.<name>`` in Spark or Trino SQL."""
        table = f"{catalog}.{schema}.{self.name}"
        if dialect == "spark":
            cols = ", ".join(f"{n} {t}" for n, t in self.raw_columns())
            return (
                f"create table if not exists {table} ({cols}) using iceberg partitioned by (load_date) "
                "tblproperties ('format-version'='2', 'write.parquet.compression-codec'='zstd')"
            )
        if dialect == "trino":
            cols = ", ".join(f"{n} {TRINO_TYPES[t]}" for n, t in self.raw_columns())
            return (
                f"create table if not exists {table} ({cols}) "
                "with (format = 'PARQUET', format_version = 2, partitioning = ARRAY['load_date'])"
            )
        raise ValueError(f"unknown dialect {dialect!r}")

    def staging_ddl(self) -> str:
        keys = ",\n    ".join(f"{name} {STAGING_TYPES[typ]} not null" for name, typ in self.key)
        return (
            f"create table if not exists {self.staging_table} (\n"
            f"    {keys},\n"
            "    payload jsonb not null,\n"
            "    load_date date not null,\n"
            "    fetched_at timestamptz not null,\n"
            f"    primary key ({', '.join(self.key_names)})\n"
            ");\n"
            f"create index if not exists {self.name}_load_date_idx on {self.staging_table} (load_date);"
        )


C = Column

#: The column of a record the source no longer has (see the module docstring); null while it is live.
TOMBSTONE = C(
    "deleted_at",
    "timestamp",
    "$._osspulse.deleted_at",
    True,
    "When the ingest found the record gone at the source (tombstone); null while it exists",
)

ENTITIES: tuple[Entity, ...] = (
    Entity(
        "github_repos",
        "github",
        (("repo", "string"), ("snapshot_date", "date")),
        (
            C("repo_id", "bigint", "$.id", True),
            C("full_name", "string", "$.full_name"),
            C("default_branch", "string", "$.default_branch"),
            C("stargazers_count", "bigint", "$.stargazers_count", True),
            C("forks_count", "bigint", "$.forks_count", True),
            C("watchers_count", "bigint", "$.watchers_count", True),
            C("subscribers_count", "bigint", "$.subscribers_count", True),
            C("open_issues_count", "bigint", "$.open_issues_count", True),
            C("language", "string", "$.language"),
            C("license_spdx", "string", "$.license.spdx_id"),
            C("archived", "boolean", "$.archived"),
            C("created_at", "timestamp", "$.created_at", True),
            C("pushed_at", "timestamp", "$.pushed_at", True),
        ),
        "Daily snapshot of GET /repos/{owner}/{repo}; one row per repo and UTC snapshot date.",
    ),
    Entity(
        "github_commits",
        "github",
        (("repo", "string"), ("sha", "string")),
        (
            C("author_login", "string", "$.author.login"),
            C("author_name", "string", "$.commit.author.name"),
            C("author_email", "string", "$.commit.author.email"),
            C("author_date", "timestamp", "$.commit.author.date", True),
            C("committer_login", "string", "$.committer.login"),
            C("committer_date", "timestamp", "$.commit.committer.date", True),
            C("message", "string", "$.commit.message"),
            TOMBSTONE,
        ),
        "Commits on the default branch (GET /repos/{owner}/{repo}/commits).",
    ),
    Entity(
        "github_issues",
        "github",
        (("repo", "string"), ("number", "bigint")),
        (
            C("issue_id", "bigint", "$.id", True),
            C("title", "string", "$.title"),
            C("state", "string", "$.state"),
            C("state_reason", "string", "$.state_reason"),
            C("user_login", "string", "$.user.login"),
            C("user_type", "string", "$.user.type"),
            C("author_association", "string", "$.author_association"),
            C("is_pull_request", "boolean", "$.pull_request", exists=True),
            C("merged_at", "timestamp", "$.pull_request.merged_at", True),
            C("comments", "bigint", "$.comments"),
            C("created_at", "timestamp", "$.created_at", True),
            C("updated_at", "timestamp", "$.updated_at", True),
            C("closed_at", "timestamp", "$.closed_at", True),
            TOMBSTONE,
        ),
        "Issues and pull requests (GET /repos/{owner}/{repo}/issues?state=all); PRs carry pull_request.",
    ),
    Entity(
        "github_issue_comments",
        "github",
        (("repo", "string"), ("comment_id", "bigint")),
        (
            C("issue_url", "string", "$.issue_url"),
            C("user_login", "string", "$.user.login"),
            C("user_type", "string", "$.user.type"),
            C("author_association", "string", "$.author_association"),
            C("created_at", "timestamp", "$.created_at", True),
            C("updated_at", "timestamp", "$.updated_at", True),
            TOMBSTONE,
        ),
        "Repository-wide issue and PR conversation comments (GET /repos/{owner}/{repo}/issues/comments).",
    ),
    Entity(
        "github_releases",
        "github",
        (("repo", "string"), ("release_id", "bigint")),
        (
            C("tag_name", "string", "$.tag_name"),
            C("name", "string", "$.name"),
            C("draft", "boolean", "$.draft"),
            C("prerelease", "boolean", "$.prerelease"),
            C("author_login", "string", "$.author.login"),
            C("created_at", "timestamp", "$.created_at", True),
            C("published_at", "timestamp", "$.published_at", True),
            TOMBSTONE,
        ),
        "Releases (GET /repos/{owner}/{repo}/releases).",
    ),
    Entity(
        "github_pull_reviews",
        "github",
        (("repo", "string"), ("review_id", "bigint")),
        (
            C("pull_request_url", "string", "$.pull_request_url"),
            C("user_login", "string", "$.user.login"),
            C("user_id", "bigint", "$.user.id"),
            C("user_type", "string", "$.user.type"),
            C("author_association", "string", "$.author_association"),
            C("state", "string", "$.state"),
            C("submitted_at", "timestamp", "$.submitted_at", True),
        ),
        "Pull request reviews (GET /repos/{owner}/{repo}/pulls/{number}/reviews, for each PR updated "
        "since the last run); the PR number is the last segment of pull_request_url.",
    ),
    Entity(
        "github_pull_review_comments",
        "github",
        (("repo", "string"), ("comment_id", "bigint")),
        (
            C("pull_request_url", "string", "$.pull_request_url"),
            C("pull_request_review_id", "bigint", "$.pull_request_review_id"),
            C("in_reply_to_id", "bigint", "$.in_reply_to_id"),
            C("user_login", "string", "$.user.login"),
            C("user_id", "bigint", "$.user.id"),
            C("user_type", "string", "$.user.type"),
            C("author_association", "string", "$.author_association"),
            C("created_at", "timestamp", "$.created_at", True),
            C("updated_at", "timestamp", "$.updated_at", True),
            TOMBSTONE,
        ),
        "Repository-wide pull request review comments (GET /repos/{owner}/{repo}/pulls/comments).",
    ),
    Entity(
        "pypi_downloads",
        "pypistats",
        (("package", "string"), ("metric", "string"), ("category", "string"), ("download_date", "date")),
        (C("downloads", "bigint", "$.downloads", True),),
        "pypistats daily rows; metric is overall | python_minor | system, category as pypistats names it.",
    ),
    Entity(
        "pypi_releases",
        "pypi",
        (("package", "string"), ("version", "string")),
        (
            C("first_upload_at", "timestamp", "$.first_upload_at", True),
            C("yanked", "boolean", "$.yanked"),
            C("requires_python", "string", "$.requires_python"),
            C("file_count", "int", "$.file_count"),
            C("total_size", "bigint", "$.total_size"),
            TOMBSTONE,
        ),
        "One row per released version from GET /pypi/{package}/json: the version's files summarised "
        "(first_upload_at = earliest upload_time_iso_8601, yanked = every file yanked) plus the files.",
    ),
    Entity(
        "pypi_projects",
        "pypi",
        (("package", "string"), ("snapshot_date", "date")),
        (
            C("latest_version", "string", "$.info.version"),
            C("requires_python", "string", "$.info.requires_python"),
            C("summary", "string", "$.info.summary"),
            C("license", "string", "$.info.license"),
        ),
        "Daily snapshot of the `info` object of GET /pypi/{package}/json.",
    ),
)

BY_NAME = {e.name: e for e in ENTITIES}


def entity(name: str) -> Entity:
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown entity {name!r}; entities are: {', '.join(BY_NAME)}") from None

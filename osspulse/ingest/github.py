"""GitHub REST -> ``staging.github_*``: one repository (:func:`ingest_repo`) or many (:func:`ingest_github`).

Per repository, in order: the repository snapshot, commits (:mod:`osspulse.ingest.commits`), issues and
pull requests (or, with issues disabled, PRs from ``/pulls``), issue comments, PR review comments,
releases, the reviews of PRs updated since the last run, and every ``reconcile_every_days`` the full
listings that turn deleted records into tombstones (:mod:`osspulse.ingest.listings`). Every page is
written with the state that covers it in one transaction, so a crash loses nothing and the next run
resumes.

A renamed or transferred repository answers 301 to ``/repositories/{id}``: the client follows, rows
keep the tracked key, the new name is noted in the report and used for the run's requests.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import date
from typing import Any

from osspulse.entities import entity
from osspulse.ingest import staging
from osspulse.ingest.commits import EMPTY_REPO_NOTE, sync_commits
from osspulse.ingest.errors import CredentialsError
from osspulse.ingest.http import ApiClient, ApiError, github_client
from osspulse.ingest.listings import (
    IssuesDisabled,
    reconcile,
    reconcile_due,
    sync_pulls,
    sync_releases,
    sync_reviews,
    sync_updated_asc,
)
from osspulse.ingest.report import (
    CredentialsRejected,
    IngestError,
    IngestReport,
    NotFoundError,
    raise_for_failures,
    snapshot_allowed,
    utc_today,
)
from osspulse.ingest.run import RepoRun
from osspulse.ingest.staging import StreamState
from osspulse.ingest.streams import (
    COMMITS,
    GITHUB_STREAMS,
    ISSUE_COMMENTS,
    ISSUES,
    RELEASES,
    REPOSITORY,
    REVIEW_COMMENTS,
    REVIEWS,
    GitHubStream,
)
from osspulse.settings import Settings
from osspulse.tracked import REPO_RE, load_tracked

log = logging.getLogger(__name__)

__all__ = ["EMPTY_REPO_NOTE", "ingest_github", "ingest_repo", "snapshot_allowed"]


# --- no token ------------------------------------------------------------------------------------------

#: a daily run asks at least this many URLs per repository (snapshot, commits, issues, comments, review
#: comments, releases): 304s included, since without a token GitHub counts them too
REQUESTS_PER_REPO_RUN = 6
ANONYMOUS_PER_HOUR = 60


def warn_without_token(settings: Settings, token: str | None, repos: int) -> str | None:
    """A warning (logged and returned) when the real GitHub would be asked without a token."""
    if token or "api.github.com" not in settings.github_api_url:
        return None
    least = REQUESTS_PER_REPO_RUN * repos
    message = (
        f"no GITHUB_TOKEN: GitHub allows {ANONYMOUS_PER_HOUR} requests an hour without one, and counts 304s "
        f"too; {repos} {'repository needs' if repos == 1 else 'repositories need'} at least {least} "
        "requests a day "
        f"(about {least / ANONYMOUS_PER_HOUR:.1f} hours of quota), a first backfill one per 100 commits, "
        "issues and comments plus one per pull request: hours to days. Set GITHUB_TOKEN (5,000 requests "
        "an hour)."
    )
    log.warning("%s", message)
    return message


# --- the repository snapshot ---------------------------------------------------------------------------


def check_repository(body: Any) -> str:
    return "" if isinstance(body.get("full_name"), str) else "the repository object has no full_name"


def _sync_repository(run: RepoRun) -> bool:
    """The daily repository snapshot; True when the repository object changed (not a 304)."""
    repos = entity(REPOSITORY.entity)
    state = staging.read_state(run.conn, REPOSITORY.name, run.repo)
    moved_to = (state.cursor or {}).get("full_name")
    if moved_to:
        run.path_repo = moved_to
    url = run.client.url(f"/repos/{run.path_repo}")
    last = staging.latest_snapshot(run.conn, repos, "repo", run.repo)
    etag = state.etag_for(url) if last else None  # without a stored snapshot a 304 would tell us nothing
    resp = run.get(url, etag=etag, expect=dict, allow=(404,), check=check_repository)
    if resp.status == 404:
        raise NotFoundError(
            f"GitHub has no repository {run.repo} (404 on GET /repos/{run.path_repo}): check its name in the "
            "tracked set, or that the token can see it"
        )
    if not snapshot_allowed(run.load_date, resp.fetch_day, run.settings.snapshot_max_lag_days):
        run.note(
            f"no repository snapshot for {run.load_date}: fetched on {resp.fetch_day}, and today's stars "
            "are not that day's (a past snapshot is only written by the run of its day)"
        )
        return not resp.not_modified
    if resp.not_modified:
        assert last is not None
        with staging.transaction(run.conn):
            counts = staging.upsert(
                run.conn,
                repos,
                [((run.repo, run.load_date), last[1])],
                load_date=run.load_date,
                fetched_at=resp.fetched_at,
            )
        run.report.count(repos.name, counts)
        return False
    body: dict[str, Any] = resp.body
    full_name = str(body.get("full_name") or run.repo)
    cursor = None
    if full_name.lower() != run.repo.lower():
        run.report.renamed_to = full_name
        run.note(f"repository answers as {full_name} (renamed or transferred); rows keep the key {run.repo}")
        run.path_repo = full_name
        cursor = {"full_name": full_name}
        url = run.client.url(f"/repos/{full_name}")
    with staging.transaction(run.conn):
        counts = staging.upsert(
            run.conn,
            repos,
            [((run.repo, run.load_date), body)],
            load_date=run.load_date,
            fetched_at=resp.fetched_at,
        )
        run.report.count(repos.name, counts)
        staging.write_state(
            run.conn, StreamState(REPOSITORY.name, run.repo, etag=resp.etag, etag_url=url, cursor=cursor)
        )
    return True


# --- one repository ----------------------------------------------------------------------------------


def _streams(run: RepoRun, changed: bool) -> list[tuple[str, Callable[[], None]]]:
    """(name, step) of the repository's streams after the snapshot, in order."""

    def issues() -> None:
        try:
            sync_updated_asc(run, ISSUES)
        except IssuesDisabled as exc:
            run.note(f"issues are disabled ({exc}): pull requests come from /pulls")
            sync_pulls(run)

    steps: list[tuple[str, Callable[[], None]]] = [
        (COMMITS.name, lambda: sync_commits(run, repository_changed=changed)),
        (ISSUES.name, issues),
        (ISSUE_COMMENTS.name, lambda: sync_updated_asc(run, ISSUE_COMMENTS)),
        (REVIEW_COMMENTS.name, lambda: sync_updated_asc(run, REVIEW_COMMENTS)),
        (RELEASES.name, lambda: sync_releases(run)),
        (REVIEWS.name, lambda: sync_reviews(run)),
    ]
    for stream, params in RECONCILED:
        steps.append((f"reconcile {stream.name}", lambda s=stream, p=params: _reconcile(run, s, p)))
    return steps


def _reconcile(run: RepoRun, stream: GitHubStream, params: tuple[tuple[str, str], ...]) -> None:
    if reconcile_due(run, stream):
        reconcile(run, stream, params)


#: the full listings of reconciliation, each in an order that new records do not disturb
RECONCILED = (
    (RELEASES, ()),
    (ISSUES, (("state", "all"), ("sort", "created"), ("direction", "asc"))),
    (ISSUE_COMMENTS, (("sort", "created"), ("direction", "asc"))),
)


def ingest_repo(
    settings: Settings,
    repo: str,
    load_date: date,
    *,
    token: str | None = None,
    client: ApiClient | None = None,
    full_refresh: bool = False,
) -> IngestReport:
    """Ingest one GitHub repository into staging.

    Args:
        settings: the settings (staging database, GitHub URL, retries ...).
        repo: ``owner/name``; rows are keyed by this spelling.
        load_date: the UTC date of the data interval (snapshot date, ``load_date`` of changed rows).
        token: a GitHub token; defaults to ``GITHUB_TOKEN``. Ignored when ``client`` is given.
        client: a GitHub :class:`ApiClient` to share (its rate-limit view is shared too).
        full_refresh: forget bookmarks, ETags and cursors first (rows stay; unchanged ones stay untouched).

    Returns:
        The run's :class:`IngestReport`.

    Raises:
        NotFoundError: the repository does not exist (404).
        IngestError: a stream failed for good; the others were still ingested (``exc.reports``).
    """
    if not REPO_RE.match(repo):
        raise ValueError(f"{repo!r} is not a GitHub repository name (owner/name, e.g. apache/iceberg)")
    report = IngestReport("github", repo, load_date)
    own_client = client is None
    if own_client:  # an Airflow task: one repository per process
        warn_without_token(
            settings, token if token is not None else settings.github_token.get_secret_value(), 1
        )
    client = client or github_client(settings, token)
    log.info("%s: ingesting (load_date %s)", repo, load_date)
    try:
        with staging.connect(settings) as conn:
            staging.ensure_staging(conn)
            staging.check_source(conn, settings)
            if full_refresh:
                staging.reset_state(conn, repo, [s.name for s in GITHUB_STREAMS])
            run = RepoRun(settings, client, conn, repo, load_date, report, full_refresh)
            try:
                changed = _sync_repository(run)
            except NotFoundError as exc:
                report.failures.append(str(exc))
                log.error("%s: %s", repo, exc)
                raise NotFoundError(
                    f"{repo}: {exc}", reports=[report.finish()], failures={repo: str(exc)}
                ) from None
            except CredentialsError:
                raise
            except ApiError as exc:
                report.failures.append(f"{REPOSITORY.name}: {exc}")
                log.error("%s: %s", repo, exc)
                changed = True
            for name, step in _streams(run, changed):
                try:
                    step()
                except CredentialsError:
                    raise
                except ApiError as exc:  # the other streams still run; the repo ends failed
                    report.failures.append(f"{name}: {exc}")
                    log.error("%s: %s failed: %s", repo, name, exc)
    except CredentialsError as exc:  # no retry loop, no other stream: nothing would be let through
        report.failures.append(str(exc))
        log.error("%s: %s", repo, exc)
        raise CredentialsRejected(str(exc), reports=[report.finish()], failures={repo: str(exc)}) from None
    finally:
        if own_client:
            client.close()
    report.finish()
    log.info("%s", report.summary())
    if report.failures:
        reason = "; ".join(report.failures)
        raise IngestError(f"{repo}: {reason}", reports=[report], failures={repo: reason})
    return report


def ingest_github(
    settings: Settings,
    repos: Iterable[str] | None,
    load_date: date | None,
    *,
    token: str | None = None,
    full_refresh: bool = False,
) -> list[IngestReport]:
    """Ingest many repositories, ``ingest_concurrency`` at a time, past failures.

    Args:
        repos: ``owner/name`` list; None means the ``repos`` of the tracked set (``OSSPULSE_TRACKED``).
        load_date: the UTC date of the data interval; None means today (UTC).

    Raises:
        IngestError: naming every failed repository and why, after all were tried (``exc.reports``).
    """
    repo_list = list(dict.fromkeys(repos if repos is not None else load_tracked(settings.tracked).repos))
    bad = [r for r in repo_list if not REPO_RE.match(r)]
    if bad:
        raise ValueError(f"not GitHub repository names (owner/name): {', '.join(map(repr, bad))}")
    load_date = load_date or utc_today()
    reports: dict[str, IngestReport] = {}
    failures: dict[str, str] = {}
    if not repo_list:
        return []
    warn_without_token(
        settings, token if token is not None else settings.github_token.get_secret_value(), len(repo_list)
    )
    with staging.connect(settings) as conn:
        staging.ensure_staging(conn)
        staging.check_source(conn, settings)  # before any request: demo and real data never mix
    workers = max(1, min(settings.ingest_concurrency, len(repo_list)))
    with (
        github_client(settings, token) as client,
        ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ingest-github") as pool,
    ):
        futures = {
            pool.submit(
                ingest_repo, settings, repo, load_date, client=client, full_refresh=full_refresh
            ): repo
            for repo in repo_list
        }
        for future in as_completed(futures):
            repo = futures[future]
            if future.cancelled():
                continue
            try:
                reports[repo] = future.result()
            except CredentialsRejected as exc:
                failures[repo] = str(exc)
                reports[repo] = exc.reports[0]
                for other in futures:  # the token is bad for every repository: stop here
                    other.cancel()
            except IngestError as exc:
                failures[repo] = exc.failures.get(repo, str(exc))
                reports[repo] = exc.reports[0] if exc.reports else IngestReport("github", repo, load_date)
            except Exception as exc:  # a database or programming error: still try the other repos
                log.exception("%s: ingest failed", repo)
                failures[repo] = f"{type(exc).__name__}: {exc}"
                reports[repo] = IngestReport("github", repo, load_date, failures=[failures[repo]]).finish()
    for repo in repo_list:  # not tried after a 401
        if repo not in reports:
            failures[repo] = "not tried: GitHub rejected the credentials (401); check GITHUB_TOKEN"
            reports[repo] = IngestReport("github", repo, load_date, failures=[failures[repo]]).finish()
    ordered = [reports[r] for r in repo_list]
    raise_for_failures("GitHub", ordered, {r: failures[r] for r in repo_list if r in failures})
    return ordered

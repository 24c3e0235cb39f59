"""Synthetic raw tables for dbt development, tests and benchmarks, generated inside Trino.

``generate`` creates ``lake.<schema>.<entity>`` exactly as the Spark loader would (``Entity.raw_ddl``)
and fills them with a deterministic, plausible history: ``repos`` repositories and ``packages``
packages (default ``2 x scale`` each), ``days`` days from ``start``. Every load day writes what a daily
ingest would stage that day: new commits (merge commits, bots -- dependabot[bot] and GitHub Actions'
``GitHub Action <action@github.com>`` -- authors linked to a GitHub account or known by e-mail only),
new issues and pull requests (some opened by dependabot[bot]) plus new *versions* of older ones
(closed, reopened, re-closed, commented), comments (some edited later), pull request reviews and
review comments, releases, daily repository and PyPI snapshots, and pypistats rows for the previous day
(some revised a day later; one small package skips days and has zeros). Every row is stamped with
``loaded_at`` = the time of the insert (what the Spark load does), and ``lake.ops.load_audit`` records
one load per entity and load day with ``namespace`` = the schema (as the Spark load does for the
namespace it loads; ``drop_schemas`` deletes those rows).

All rows are computed by ``INSERT ... SELECT`` over ``unnest(sequence(...))`` with hash-based
pseudo-randomness, so a year at scale 10 (~0.5 M raw rows) takes seconds and needs no data files.
``first_load_day`` restricts the insert to load days ``>= first_load_day``: generating days ``[0, N)``
and then ``first_load_day=N, days=N+1`` yields exactly the rows of a ``days=N+1`` run, one day later.

The API simulator (``osspulse fake-api``) is the realistic source of test data; this module exists so
the dbt project can be built and benchmarked without it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging

from osspulse.entities import ENTITIES
from osspulse.lake import ops
from osspulse.lake.trino import trino_connection
from osspulse.settings import Settings
from osspulse.tracked import Project, Tracked

log = logging.getLogger(__name__)

LOAD_DAYS_PER_INSERT = 90
MAX_COMMITS_PER_DAY = 30
MAX_ITEMS_PER_DAY = 8
MAX_COMMENTS_PER_ITEM = 6
PYTHON_MINORS = (("3.8", 0.04), ("3.9", 0.09), ("3.10", 0.2), ("3.11", 0.3), ("3.12", 0.24), ("3.13", 0.08))
SYSTEMS = (("Linux", 0.72), ("Windows", 0.14), ("Darwin", 0.1), ("other", 0.0))


def parse_date(value: str) -> dt.date:
    return dt.date.fromisoformat(value)


def _u(*parts: str) -> str:
    """SQL for a deterministic pseudo-random double in [0, 1) keyed by the SQL expressions ``parts``."""
    key = " || '|' || ".join(f"cast({p} as varchar)" for p in parts)
    return f"(abs(from_big_endian_64(xxhash64(to_utf8({key}))) % 1000003) / 1000003e0)"


def repo_name(i: int) -> str:
    return f"sample-org{i % 3}/project-{i}"


def package_name(i: int) -> str:
    return f"sample-package-{i}"


def tracked_for(scale: int, repos: int | None = None, packages: int | None = None) -> Tracked:
    """The tracked set matching the generated data: project-i joins repo i and package i."""
    n_repos, n_packages = repos or 2 * scale, packages or 2 * scale
    repo_names = tuple(repo_name(i) for i in range(n_repos))
    package_names = tuple(package_name(i) for i in range(n_packages))
    projects = {
        f"project-{i}": Project(
            f"project-{i}",
            repo_names[i] if i < n_repos else None,
            package_names[i] if i < n_packages else None,
        )
        for i in range(max(n_repos, n_packages))
    }
    # one-sided projects exercise the outer join of the comparison
    projects["repo-only"] = Project("repo-only", repo_names[0], None)
    projects["package-only"] = Project("package-only", None, package_names[-1])
    n = max(n_repos, n_packages)
    groups = {f"group-{g}": tuple(f"project-{i}" for i in range(n) if i % 3 == g) for g in range(3)}
    return Tracked(repo_names, package_names, projects, {k: v for k, v in groups.items() if v})


def _day(start: dt.date, expr: str) -> str:
    return f"date_add('day', {expr}, date '{start.isoformat()}')"


def _ts(date_expr: str, seconds_expr: str) -> str:
    midnight = f"with_timezone(cast({date_expr} as timestamp(6)), 'UTC')"
    return f"date_add('second', cast({seconds_expr} as bigint), {midnight})"


def _statements(
    schema: str,
    catalog: str,
    start: dt.date,
    n_repos: int,
    n_packages: int,
    lo: int,
    hi: int,
    realtime: bool,
) -> dict[str, str]:
    """INSERT statements for the rows of load days ``lo..hi`` (inclusive) of every raw table."""
    t = f"{catalog}.{schema}"
    repo = "'sample-org' || cast(r % 3 as varchar) || '/project-' || cast(r as varchar)"
    package = "'sample-package-' || cast(p as varchar)"
    repos_days = f"unnest(sequence(0, {n_repos - 1})) as rr(r) cross join unnest(sequence(0, {hi})) as dd(d)"
    pk_days = f"unnest(sequence(0, {n_packages - 1})) as pp(p) cross join unnest(sequence(0, {hi})) as dd(d)"

    # The Spark load stamps every row with the time of the load (loaded_at). A history written at once
    # is stamped as if each load day had been loaded on its own, the next day at 00:30 UTC (so an
    # incremental run after it reads one day, as in production); later days get the insert's time.
    def loaded(load_day: str) -> str:
        return "current_timestamp" if realtime else _ts(_day(start, f"{load_day} + 1"), "1800")

    review_day = f"date_diff('day', date '{start.isoformat()}', {utc_day('submitted_at')})"

    stmts: dict[str, str] = {}

    stmts["github_repos"] = f"""
insert into {t}.github_repos
select
    {repo}, {_day(start, "d")}, 1000 + r, {repo}, 'main',
    100 * (r + 1) + d * (r + 1) / 2 + cast({_u("r", "d", "'s'")} * 5 as bigint),
    10 * (r + 1) + d / 7, 100 * (r + 1) + d * (r + 1) / 2, 5 + r + d / 30,
    20 + cast({_u("r", "d", "'o'")} * 15 as bigint),
    'Python', 'Apache-2.0', false,
    timestamp '2019-05-01 10:00:00 UTC', {_ts(_day(start, "d"), "3600 * 20")},
    '{{"fork": false, "id": ' || cast(1000 + r as varchar) || '}}',
    {_day(start, "d")}, {_ts(_day(start, "d"), "3600 * 23 + 60 * r")}, {loaded("d")}
from {repos_days}
where d >= {lo}
"""

    # commits: ~15 a day per repo; skewed authorship; bots (dependabot[bot], and GitHub Actions'
    # `GitHub Action <action@github.com>` without an account); developers linked to their account
    # (login and id), some of them committing now and then with an e-mail GitHub did not link
    # (mapped to them through the e-mail), and noreply-address authors; one commit in nine is a merge
    # commit; author dates up to a few days before the load day, 2 % rebased from up to 90 days earlier
    author_u = _u("r", "d", "i", "'a'")
    author = f"cast(floor(power({author_u}, 2.5) * 40) as integer)"
    stmts["github_commits"] = f"""
insert into {t}.github_commits
with commits as (
    select
        r, d, i,
        case
            when {_u("r", "d", "i", "'bot'")} < 0.03 then 'dependabot'
            when {_u("r", "d", "i", "'bot'")} < 0.06 then 'actions'
        end as bot,
        (({author}) + r * 13) % 200 as dev,
        {_u("r", "d", "i", "'link'")} < 0.5 as unlinked,
        case
            when {_u("r", "d", "i", "'old'")} < 0.02 then cast({_u("r", "d", "i", "'lag'")} * 90 as integer)
            else cast(floor(power({_u("r", "d", "i", "'lag'")}, 4) * 4) as integer)
        end as lag_days,
        cast({_u("r", "d", "i", "'t'")} * 86399 as integer) as secs
    from {repos_days}
    cross join unnest(sequence(0, {MAX_COMMITS_PER_DAY - 1})) as ii(i)
    where d >= {lo} and i < cast({_u("r", "d", "'n'")} * {MAX_COMMITS_PER_DAY} as integer)
),
shaped as (
    select
        *,
        case
            when bot = 'dependabot' then 'dependabot[bot]'
            when bot = 'actions' then null
            when dev % 11 = 5 or (dev % 7 = 6 and unlinked) then null
            else 'dev' || cast(dev as varchar)
        end as login
    from commits
)
select
    {repo},
    lower(to_hex(sha1(to_utf8(
        'c|' || cast(r as varchar) || '|' || cast(d as varchar) || '|' || cast(i as varchar)
    )))),
    login,
    case
        when bot = 'dependabot' then 'dependabot[bot]'
        when bot = 'actions' then 'GitHub Action'
        else 'Developer ' || cast(dev as varchar)
    end,
    case
        when bot = 'dependabot' then '49699333+dependabot[bot]@users.noreply.github.com'
        when bot = 'actions' then 'action@github.com'
        when dev % 11 = 5
            then cast(100000 + dev as varchar) || '+dev' || cast(dev as varchar)
                || '@users.noreply.github.com'
        else 'Dev' || cast(dev as varchar) || '@Example.org'
    end,
    {_ts(_day(start, "d - lag_days"), "secs")},
    case when bot is not null then 'web-flow' else 'dev' || cast(dev as varchar) end,
    {_ts(_day(start, "d"), "secs")},
    'Change ' || cast(i as varchar) || chr(10) || chr(10) || 'Details.',
    null,
    '{{"author": '
        || case
            when login is null then 'null'
            else '{{"login": "' || login || '", "id": '
                || case when bot = 'dependabot' then '49699333' else cast(1000 + dev as varchar) end
                || ', "type": "' || case when bot = 'dependabot' then 'Bot' else 'User' end || '"}}'
        end
        || ', "parents": [{{"sha": "p"}}'
        || case when i % 9 = 8 then ', {{"sha": "q"}}' else '' end || ']}}',
    {_day(start, "d")}, {_ts(_day(start, "d"), "3600 * 23 + 60 * r")}, {loaded("d")}
from shaped
"""

    items = f"""
items as (
    select
        r, d, i,
        d * 10 + i + 1 as number,
        {_u("r", "d", "i", "'pr'")} < 0.45 as is_pr,
        {_u("r", "d", "i", "'bot'")} < 0.2 as by_bot,
        cast({_u("r", "d", "i", "'t'")} * 80000 as integer) as secs,
        {_u("r", "d", "i", "'c'")} < 0.85 as closes,
        cast(floor(power({_u("r", "d", "i", "'cl'")}, 3) * 120) as integer) as close_lag,
        {_u("r", "d", "i", "'m'")} < 0.75 as merge_if_pr,
        {_u("r", "d", "i", "'ro'")} < 0.06 as reopens,
        cast({_u("r", "d", "i", "'rl'")} * 20 as integer) + 1 as reopen_lag,
        {_u("r", "d", "i", "'rc'")} < 0.5 as recloses,
        cast({_u("r", "d", "i", "'rcl'")} * 30 as integer) + 1 as reclose_lag,
        (cast(floor(power({_u("r", "d", "i", "'au'")}, 2) * 60) as integer) + r * 7) % 250 as author,
        {_u("r", "d", "i", "'rv'")} as review_u,
        cast(floor(power({_u("r", "d", "i", "'rvl'")}, 2) * 72 * 3600) as integer) as review_secs
    from {repos_days}
    cross join unnest(sequence(0, {MAX_ITEMS_PER_DAY - 1})) as ii(i)
    where i < cast({_u("r", "d", "'ni'")} * {MAX_ITEMS_PER_DAY} as integer)
),
lifecycle as (
    select
        *,
        is_pr and by_bot as bot_pr,
        is_pr and closes and merge_if_pr as merged,
        case when closes then d + close_lag end as close_day,
        case
            when closes and not (is_pr and merge_if_pr) and reopens then d + close_lag + reopen_lag
        end as reopen_day,
        case
            when closes and not (is_pr and merge_if_pr) and reopens and recloses
                then d + close_lag + reopen_lag + reclose_lag
        end as reclose_day
    from items
),
comments as (
    select
        l.r, l.d, l.i, l.number, l.author, j,
        l.d + cast(floor(power({_u("l.r", "l.d", "l.i", "j", "'cd'")}, 2) * 40) as integer) as comment_day,
        cast({_u("l.r", "l.d", "l.i", "j", "'cs'")} * 86000 as integer) as comment_secs,
        {_u("l.r", "l.d", "l.i", "j", "'cu'")} as who,
        {_u("l.r", "l.d", "l.i", "j", "'ed'")} < 0.1 as edited
    from lifecycle as l
    cross join unnest(sequence(0, {MAX_COMMENTS_PER_ITEM - 1})) as jj(j)
    where j < cast(floor(power({_u("l.r", "l.d", "l.i", "'nc'")}, 1.5) * {MAX_COMMENTS_PER_ITEM}) as integer)
),
reviews as (
    -- a maintainer reviews 70 % of the pull requests, a few hours to days after they were opened
    select
        l.*,
        'dev' || cast((l.author * 7 + l.r * 13) % 200 as varchar) as reviewer,
        1000 + (l.author * 7 + l.r * 13) % 200 as reviewer_id,
        date_add('second', l.review_secs, {_ts(_day(start, "l.d"), "l.secs")}) as submitted_at
    from lifecycle as l
    where l.is_pr and l.review_u < 0.7
)"""

    stmts["github_issues"] = f"""
insert into {t}.github_issues
with {items},
events as (
    select r, number, d as e from lifecycle
    union select r, number, close_day from lifecycle where close_day is not null
    union select r, number, reopen_day from lifecycle where reopen_day is not null
    union select r, number, reclose_day from lifecycle where reclose_day is not null
    union select r, number, comment_day from comments
),
versions as (
    select
        l.*,
        ev.e,
        (select count(*) from comments as c where c.r = l.r and c.number = l.number and c.comment_day <= ev.e)
            as comment_count
    from events as ev
    inner join lifecycle as l on l.r = ev.r and l.number = ev.number
    where ev.e between {lo} and {hi}
),
shaped as (
    select
        *,
        {_ts(_day(start, "d"), "secs")} as created_at,
        case
            when reclose_day <= e then {_ts(_day(start, "reclose_day"), "secs + 600")}
            when reopen_day <= e then null
            when close_day <= e then {_ts(_day(start, "close_day"), "secs + 300")}
        end as closed_at,
        case when bot_pr then 'dependabot[bot]' else 'user' || cast(author as varchar) end as login,
        case when bot_pr then 49699333 else 20000 + author end as user_id
    from versions
)
select
    {repo}, number, r * 10000000 + number,
    'Item ' || cast(number as varchar),
    case when closed_at is null then 'open' else 'closed' end,
    case
        when closed_at is not null then 'completed'
        when reopen_day <= e then 'reopened'
    end,
    login, case when bot_pr then 'Bot' else 'User' end, 'CONTRIBUTOR',
    is_pr,
    case when merged and close_day <= e then closed_at end,
    comment_count,
    created_at,
    greatest(created_at, {_ts(_day(start, "e"), "3600 * 22")}),
    closed_at,
    null,
    '{{"user": {{"id": ' || cast(user_id as varchar) || '}}'
        || case when is_pr then ', "pull_request": {{"merged_at": null}}' else '' end
        || ', "draft": false}}',
    {_day(start, "e")}, {_ts(_day(start, "e"), "3600 * 23 + 60 * r + 1")}, {loaded("e")}
from shaped
"""

    stmts["github_issue_comments"] = f"""
insert into {t}.github_issue_comments
with {items},
comment_versions as (
    select *, comment_day as e, false as is_edit from comments
    union all
    select *, comment_day + 3 as e, true as is_edit from comments where edited
),
shaped as (
    select
        cv.*,
        greatest(
            {_ts(_day(start, "cv.comment_day"), "cv.comment_secs")},
            date_add('second', 60 + cv.j, {_ts(_day(start, "cv.d"), "l.secs")})
        ) as created_at,
        case
            when cv.j = 0 and cv.who < 0.3 then 'github-actions[bot]'
            when cv.who < 0.5 then 'user' || cast(cv.author as varchar)
            else 'dev' || cast((cast(cv.who * 100 as integer) + cv.r * 13) % 200 as varchar)
        end as login
    from comment_versions as cv
    inner join lifecycle as l on l.r = cv.r and l.number = cv.number
    where cv.e between {lo} and {hi}
)
select
    {repo},
    r * 1000000000 + number * 10 + j,
    'https://api.github.com/repos/' || {repo} || '/issues/' || cast(number as varchar),
    login,
    case when login like '%[bot]' then 'Bot' else 'User' end,
    case when login like 'dev%' then 'MEMBER' else 'NONE' end,
    created_at,
    case when is_edit then {_ts(_day(start, "e"), "3600")} else created_at end,
    null,
    '{{"user": {{"id": '
        || case
            when login = 'github-actions[bot]' then '41898282'
            when login like 'user%' then cast(20000 + author as varchar)
            else cast(1000 + cast(substr(login, 4) as integer) as varchar)
        end || '}}, "body": "comment"}}',
    {_day(start, "e")}, {_ts(_day(start, "e"), "3600 * 23 + 60 * r + 2")}, {loaded("e")}
from shaped
"""

    stmts["github_pull_reviews"] = f"""
insert into {t}.github_pull_reviews
with {items}
select
    {repo},
    r * 1000000000 + number,
    'https://api.github.com/repos/' || {repo} || '/pulls/' || cast(number as varchar),
    reviewer, reviewer_id, 'User', 'MEMBER',
    case when merged then 'APPROVED' else 'COMMENTED' end,
    submitted_at,
    '{{"body": "review"}}',
    {utc_day("submitted_at")}, date_add('hour', 1, submitted_at), {loaded(review_day)}
from reviews
where date_diff('day', date '{start.isoformat()}', {utc_day("submitted_at")}) between {lo} and {hi}
"""

    stmts["github_pull_review_comments"] = f"""
insert into {t}.github_pull_review_comments
with {items}
select
    {repo},
    r * 1000000000 + number * 10 + 7,
    'https://api.github.com/repos/' || {repo} || '/pulls/' || cast(number as varchar),
    r * 1000000000 + number, null,
    reviewer, reviewer_id, 'User', 'MEMBER',
    greatest(date_add('minute', -30, submitted_at), date_add('second', 60, {_ts(_day(start, "d"), "secs")})),
    greatest(date_add('minute', -30, submitted_at), date_add('second', 60, {_ts(_day(start, "d"), "secs")})),
    null,
    '{{"body": "nit"}}',
    {utc_day("submitted_at")}, date_add('hour', 1, submitted_at), {loaded(review_day)}
from reviews
where review_u < 0.3
    and date_diff('day', date '{start.isoformat()}', {utc_day("submitted_at")}) between {lo} and {hi}
"""

    stmts["github_releases"] = f"""
insert into {t}.github_releases
select
    {repo}, r * 100000 + d, 'v' || cast(r as varchar) || '.' || cast(d as varchar),
    'Release ' || cast(d as varchar), false, {_u("r", "d", "'pre'")} < 0.2,
    'dev' || cast(r * 13 % 200 as varchar),
    {_ts(_day(start, "d"), "3600 * 10")}, {_ts(_day(start, "d"), "3600 * 11")},
    null,
    '{{"assets": []}}',
    {_day(start, "d")}, {_ts(_day(start, "d"), "3600 * 23 + 60 * r + 3")}, {loaded("d")}
from {repos_days}
where d >= {lo} and {_u("r", "d", "'rel'")} < 0.07
"""

    # pypistats: the load of day L brings download day L-1; 5 % of days are revised in the next load;
    # the last package is small: it skips 8 % of the days and often has zero downloads in a category
    small = n_packages - 1
    python_rows = ", ".join(f"('{c}', {s})" for c, s in PYTHON_MINORS)
    system_rows = ", ".join(f"('{c}', {s})" for c, s in SYSTEMS)
    stmts["pypi_downloads"] = f"""
insert into {t}.pypi_downloads
with days as (
    select
        p, d,
        cast(
            case when p = {small} then 3 else 800 * power(p + 1, 1.5) end
            * (1 + d / 365e0)
            * case when day_of_week({_day(start, "d")}) in (6, 7) then 0.6 else 1.0 end
            * (0.85 + 0.3 * {_u("p", "d", "'v'")})
        as bigint) as total
    from {pk_days}
    where not (p = {small} and {_u("p", "d", "'gap'")} < 0.08)
),
categories as (
    select 'overall' as metric, 'without_mirrors' as category, 1.0 as share
    union all select 'overall', 'with_mirrors', 1.12
    union all select 'python_minor', c, s from (values {python_rows}) as v (c, s)
    union all select 'python_minor', 'null', 0.05
    union all select 'system', c, s from (values {system_rows}) as v (c, s)
    union all select 'system', 'null', 0.04
),
rows_ as (
    select
        days.p, days.d, c.metric, c.category,
        cast(
            days.total * c.share * (0.9 + 0.2 * {_u("days.p", "days.d", "c.category", "'cv'")}) as bigint
        ) as downloads
    from days cross join categories as c
),
versions as (
    select *, d + 1 as load_day, 0 as revision from rows_
    union all
    select *, d + 2 as load_day, 1 as revision from rows_
    where {_u("p", "d", "'rev'")} < 0.05
)
select
    {package}, metric, category, {_day(start, "d")},
    downloads + revision * (downloads / 30 + 1),
    '{{"category": "' || category || '"}}',
    {_day(start, "load_day")}, {_ts(_day(start, "load_day"), "3600 * 4 + 60 * p")}, {loaded("load_day")}
from versions
where load_day between {lo} and {hi}
"""

    stmts["pypi_releases"] = f"""
insert into {t}.pypi_releases
with releases as (
    select p, d, {_u("p", "d", "'y'")} < 0.03 as yanked_later
    from {pk_days}
    where {_u("p", "d", "'pr'")} < 0.05
),
versions as (
    select p, d, d as load_day, false as yanked from releases
    union all
    select p, d, d + 5, true from releases where yanked_later
)
select
    {package}, '1.' || cast(d / 30 as varchar) || '.' || cast(d % 30 as varchar),
    {_ts(_day(start, "d"), "3600 * 15")}, yanked, '>=3.9', 3, 1000000 + p * 1000 + d,
    null,
    '{{"files": []}}',
    {_day(start, "load_day")}, {_ts(_day(start, "load_day"), "3600 * 4 + 60 * p + 1")}, {loaded("load_day")}
from versions
where load_day between {lo} and {hi}
"""

    stmts["pypi_projects"] = f"""
insert into {t}.pypi_projects
select
    {package}, {_day(start, "d")}, '1.' || cast(d / 30 as varchar), '>=3.9', 'Sample package', 'Apache-2.0',
    '{{"info": {{"home_page": "https://example.org"}}}}',
    {_day(start, "d")}, {_ts(_day(start, "d"), "3600 * 4 + 60 * p + 2")}, {loaded("d")}
from {pk_days}
where d >= {lo}
"""

    entities = ", ".join(f"('{e.name}')" for e in ENTITIES)
    stmts[ops.LOAD_AUDIT.name] = f"""
insert into {catalog}.{ops.NAMESPACE}.{ops.LOAD_AUDIT.name}
select
    'sample', '{schema}', entity, {_day(start, "d")}, {_day(start, "d + 1")}, 0, 0, 0, null, 0.0, 'loaded',
    {loaded("d")}
from (values {entities}) as e (entity)
cross join unnest(sequence({lo}, {hi})) as dd(d)
"""
    return stmts


def utc_day(column: str) -> str:
    return f"cast({column} at time zone 'UTC' as date)"


def create_raw_tables(settings: Settings, schema: str) -> None:
    """Create ``lake.<schema>`` and every raw entity table in it, exactly as the loader defines them."""
    if schema == "raw":
        raise ValueError("refusing to write synthetic data into the real raw schema")
    catalog = settings.catalog_name
    with trino_connection(settings) as conn:
        cur = conn.cursor()
        cur.execute(f"create schema if not exists {catalog}.{schema}")
        cur.fetchall()
        for entity in ENTITIES:
            cur.execute(entity.raw_ddl(catalog, "trino", schema=schema))
            cur.fetchall()
        # the load audit (lake.ops, osspulse.lake.ops): normally created at ``stack up``
        for sql in (
            f"create schema if not exists {catalog}.{ops.NAMESPACE}",
            ops.LOAD_AUDIT.trino_ddl(ops.NAMESPACE, catalog),
        ):
            cur.execute(sql)
            cur.fetchall()


def generate(
    settings: Settings,
    *,
    schema: str,
    start: dt.date,
    days: int,
    scale: int = 1,
    first_load_day: int = 0,
    repos: int | None = None,
    packages: int | None = None,
) -> dict[str, int]:
    """Create the raw tables in ``lake.<schema>`` and insert load days ``[first_load_day, days)`` of
    ``repos`` repositories and ``packages`` packages (default ``2 x scale`` each).

    Returns the number of rows inserted per table.
    """
    n_repos, n_packages = repos or 2 * scale, packages or 2 * scale
    if days < 1 or scale < 1 or n_repos < 1 or n_packages < 1 or not 0 <= first_load_day < days:
        raise ValueError("need days >= 1, scale >= 1, repos and packages >= 1 and 0 <= first_load_day < days")
    create_raw_tables(settings, schema)
    counts: dict[str, int] = {}
    with trino_connection(settings) as conn:
        cur = conn.cursor()
        # Iceberg writes at most 100 partitions (load dates) per statement: insert in chunks
        for lo in range(first_load_day, days, LOAD_DAYS_PER_INSERT):
            hi = min(lo + LOAD_DAYS_PER_INSERT, days) - 1
            statements = _statements(
                schema, settings.catalog_name, start, n_repos, n_packages, lo, hi, realtime=first_load_day > 0
            )
            for table, sql in statements.items():
                cur.execute(sql)
                counts[table] = counts.get(table, 0) + int(cur.fetchall()[0][0])
    log.debug("%s: %s", schema, counts)
    return counts


def drop_schemas(settings: Settings, schemas: list[str]) -> None:
    """Drop the given lake schemas with every table and view in them (scratch clean-up)."""
    catalog = settings.catalog_name
    with trino_connection(settings) as conn:
        cur = conn.cursor()
        for schema in schemas:
            if schema in ("raw", "bronze", "silver", "gold"):
                raise ValueError(f"refusing to drop the production schema {schema!r}")
            cur.execute(
                f"select table_name, table_type from {catalog}.information_schema.tables "
                f"where table_schema = '{schema}'"
            )
            for name, kind in cur.fetchall():
                cur.execute(
                    f'drop {"view" if kind == "VIEW" else "table"} if exists {catalog}.{schema}."{name}"'
                )
                cur.fetchall()
            cur.execute(f"drop schema if exists {catalog}.{schema}")
            cur.fetchall()
            _forget_loads(cur, catalog, schema)


def _forget_loads(cur, catalog: str, schema: str) -> None:  # noqa: ANN001
    """Delete the rows of ``lake.ops``'s load tables about the (scratch) namespace ``schema``."""
    cur.execute(
        f"select table_name from {catalog}.information_schema.tables where table_schema = '{ops.NAMESPACE}' "
        f"and table_name in ('{ops.LOAD_AUDIT.name}', '{ops.LOAD_REJECTS.name}')"
    )
    for (name,) in cur.fetchall():
        cur.execute(f"delete from {catalog}.{ops.NAMESPACE}.{name} where namespace = '{schema}'")
        cur.fetchall()


def _literal(value: object, trino_type: str) -> str:
    if value is None:
        return f"cast(null as {trino_type})"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return f"cast({value} as {trino_type})"
    if isinstance(value, dict | list):
        value = json.dumps(value)
    text = str(value).replace("'", "''")
    return f"cast('{text}' as {trino_type})"


def insert_rows(settings: Settings, schema: str, entity_name: str, rows: list[dict[str, object]]) -> int:
    """Insert hand-made rows into ``lake.<schema>.<entity>`` (missing columns are null; ``payload``
    defaults to ``{}``; ``loaded_at`` to the time of the insert, as a load would stamp it; timestamps as
    text such as ``2024-01-31 23:30:00 -05:00``)."""
    from osspulse.entities import TRINO_TYPES, entity

    if not rows:
        return 0
    columns = entity(entity_name).raw_columns()
    values = []
    for row in rows:
        unknown = set(row) - {name for name, _ in columns}
        if unknown:
            raise ValueError(f"{entity_name} has no column(s) {sorted(unknown)}")
        row = {"payload": "{}", **row}
        literals = (
            "current_timestamp"
            if name == "loaded_at" and row.get(name) is None
            else _literal(row.get(name), TRINO_TYPES[typ])
            for name, typ in columns
        )
        values.append("(" + ", ".join(literals) + ")")
    with trino_connection(settings) as conn:
        cur = conn.cursor()
        cur.execute(f"insert into {settings.catalog_name}.{schema}.{entity_name} values {', '.join(values)}")
        return int(cur.fetchall()[0][0])

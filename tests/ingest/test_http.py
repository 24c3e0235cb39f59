"""The HTTP client's decisions and behaviour, on handmade answers (httpx.MockTransport, no network)."""

from __future__ import annotations

import random
import time

import httpx
import pytest

from osspulse.ingest.http import (
    ApiClient,
    ApiError,
    GitHubRateLimit,
    RateLimitExhausted,
    RequestCounts,
    RetryPolicy,
    build_url,
    decide,
    display_url,
    github_client,
    parse_link,
)
from osspulse.ingest.limits import PauseGate, PyPIStatsLimiter, pypistats_rates
from osspulse.settings import Settings

TOKEN = "ghp_unitTESTtoken000000000000000000000"
POLICY = RetryPolicy(
    max_retries=3, backoff_base_s=1.0, backoff_max_s=8.0, secondary_wait_s=60.0, max_wait_s=600
)


class Recorder:
    """A MockTransport handler that answers from a list and records the requests."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


def client(recorder: Recorder, **kwargs) -> tuple[ApiClient, list[float]]:
    slept: list[float] = []
    settings = Settings(_env_file=None, http_max_retries=3, http_backoff_base_s=0.01, http_backoff_max_s=0.05)
    c = ApiClient(
        settings,
        source="GitHub",
        base_url="https://api.example.test",
        token=kwargs.pop("token", None),
        transport=httpx.MockTransport(recorder),
        sleep=slept.append,
        rng=random.Random(1),
        **kwargs,
    )
    return c, slept


def ok(body, **headers) -> httpx.Response:
    return httpx.Response(200, json=body, headers=headers)


# --- pure helpers ------------------------------------------------------------------------------------


def test_parse_link():
    header = (
        '<https://api.github.com/repositories/1/issues?page=2>; rel="next", '
        '<https://api.github.com/repositories/1/issues?page=5>; rel="last"'
    )
    assert parse_link(header) == {
        "next": "https://api.github.com/repositories/1/issues?page=2",
        "last": "https://api.github.com/repositories/1/issues?page=5",
    }
    assert parse_link(None) == {} and parse_link("") == {}


def test_urls_are_spelled_one_way():
    url = build_url(
        "", "/repos/a/b/issues", [("per_page", 100), ("since", "2026-01-01T00:00:00Z"), ("page", None)]
    )
    assert url == "/repos/a/b/issues?per_page=100&since=2026-01-01T00%3A00%3A00Z"
    assert display_url("https://api.github.com/repos/a/b?x=1") == "/repos/a/b?x=1"


def test_backoff_grows_with_jitter_and_a_cap():
    rng = random.Random(3)
    for attempt, (low, high) in enumerate([(0.5, 1), (1, 2), (2, 4), (4, 8), (4, 8)]):
        for _ in range(20):
            assert low <= POLICY.backoff(attempt, rng) <= high


@pytest.mark.parametrize(
    ("status", "headers", "body", "action", "wait"),
    [
        (200, {}, "", "return", 0),
        (304, {}, "", "return", 0),
        (None, {}, "", "retry", None),  # timeout / broken connection: backoff
        (502, {}, "", "retry", None),
        (404, {}, "", "fail", 0),
        (401, {}, "", "fail", 0),
        (403, {}, '{"message": "Resource not accessible by integration"}', "fail", 0),
        (403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1030"}, "", "retry", 31),  # primary
        (429, {"retry-after": "7"}, "", "retry", 7),  # secondary with a hint
        (403, {"retry-after": "2"}, "", "retry", 2),
        (403, {}, '{"message": "You have exceeded a secondary rate limit"}', "retry", 60),
        (429, {}, "", "retry", 60),
    ],
)
def test_decide(status, headers, body, action, wait):
    d = decide(POLICY, status, headers, body=body, now=1000.0, attempt=0, rng=random.Random(0))
    assert d.action == action
    if wait is not None:
        assert d.wait_s == pytest.approx(wait)


def test_decide_returns_allowed_statuses():
    assert decide(POLICY, 409, {}, now=0, attempt=0, allow=(409,)).action == "return"
    assert decide(POLICY, 409, {}, now=0, attempt=0).action == "fail"


# --- rate limiters -----------------------------------------------------------------------------------


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_pypistats_budget_allows_5_a_second_and_n_per_window():
    from pyrate_limiter import Duration, InMemoryBucket, Rate

    settings = Settings(_env_file=None, pypistats_requests_per_minute=8, pypistats_window_s=2.0)
    rates = [Rate(5, Duration.SECOND), Rate(8, 2000)]
    limiter = PyPIStatsLimiter(settings, bucket=InMemoryBucket(rates))
    started = time.monotonic()
    sent = []
    for _ in range(9):
        limiter.acquire()
        sent.append(time.monotonic() - started)
    assert sent[4] < 0.5 <= sent[5]  # the 6th waits for the next second
    assert sent[8] >= 1.9  # the 9th waits for the first to leave the 2 s window
    assert pypistats_rates(settings)[1].interval == 2000 * 1.05 + 250  # with a margin for slow sends


def test_secondary_limits_back_off_exponentially_and_pause_every_worker():
    assert [POLICY.rate_limit_wait(403, {}, "secondary rate limit", 0, 0, k) for k in range(3)] == [
        60,
        120,
        240,
    ]
    clock = FakeClock(1000.0)
    gate = PauseGate("GitHub", clock=clock, sleep=clock.sleep)
    gate.wait()
    assert clock.sleeps == []
    gate.pause(30)
    gate.wait()  # another worker, before its next request
    assert clock.sleeps == [pytest.approx(30)]


def test_github_rate_limit_sleeps_until_the_reset_at_the_reserve():
    clock = FakeClock(1000.0)
    limit = GitHubRateLimit(reserve=2, max_wait_s=600, clock=clock, sleep=clock.sleep)
    limit.acquire()  # nothing known yet: go
    limit.release({"x-ratelimit-remaining": "3", "x-ratelimit-reset": "1050"})
    limit.acquire()  # 3 left > reserve 2
    limit.release({"x-ratelimit-remaining": "2", "x-ratelimit-reset": "1050"})
    limit.release({"x-ratelimit-remaining": "5", "x-ratelimit-reset": "1050"})  # a stale answer: ignored
    assert limit.remaining == 2
    limit.acquire()  # at the reserve: sleep until the reset (+1 s)
    assert clock.sleeps == [pytest.approx(51.0)]
    limit.release({"x-ratelimit-remaining": "4999", "x-ratelimit-reset": "4651"})
    assert limit.remaining == 4999


def test_github_rate_limit_counts_requests_in_flight():
    clock = FakeClock(1000.0)
    limit = GitHubRateLimit(reserve=0, max_wait_s=600, clock=clock, sleep=clock.sleep)
    limit.acquire()
    limit.release({"x-ratelimit-remaining": "2", "x-ratelimit-reset": "1100"})
    limit.acquire()
    limit.acquire()  # two in flight use up the two left
    assert clock.sleeps == []
    limit.acquire()  # a third waits for the reset
    assert clock.sleeps == [pytest.approx(101.0)]


def test_github_rate_limit_too_far_away_fails_instead_of_sleeping():
    clock = FakeClock(1000.0)
    limit = GitHubRateLimit(reserve=0, max_wait_s=10, clock=clock, sleep=clock.sleep)
    limit.acquire()
    limit.release({"x-ratelimit-remaining": "0", "x-ratelimit-reset": "4600"})
    with pytest.raises(RateLimitExhausted, match="0 requests left until"):
        limit.acquire()
    assert clock.sleeps == []


# --- the client --------------------------------------------------------------------------------------


def test_etag_is_sent_and_a_304_is_counted_apart():
    rec = Recorder(httpx.Response(304, headers={"etag": '"abc"'}))
    c, _ = client(rec)
    counts = RequestCounts()
    resp = c.get("/repos/a/b", etag='"abc"', counts=counts)
    assert resp.not_modified and resp.body is None and resp.etag == '"abc"'
    assert rec.requests[0].headers["if-none-match"] == '"abc"'
    assert (counts.counted, counts.not_modified) == (0, 1)


def test_5xx_and_broken_connections_are_retried_with_backoff():
    rec = Recorder(
        httpx.Response(502, text="bad gateway"),
        httpx.ReadTimeout("slow"),
        httpx.RemoteProtocolError("peer closed connection without sending complete message body"),
        ok([{"id": 1}], etag='"e1"', link='<https://api.example.test/x?page=2>; rel="next"'),
    )
    c, slept = client(rec)
    counts = RequestCounts()
    resp = c.get("/x", expect=list, counts=counts)
    assert resp.body == [{"id": 1}] and resp.etag == '"e1"' and resp.next_url == "/x?page=2"
    assert len(slept) == 3 and counts.retries == 3 and counts.counted == 2  # 2 answers; 2 never came


def test_malformed_json_is_retried_then_fails_naming_the_request():
    rec = Recorder(httpx.Response(200, text='[{"id": 1}, {"id"'))
    c, slept = client(rec)
    with pytest.raises(
        ApiError, match=r"GET /repos/a/b/issues\?per_page=100 failed after 4 attempts \(malformed JSON"
    ):
        c.get("/repos/a/b/issues?per_page=100", expect=list)
    assert len(rec.requests) == 4 and len(slept) == 3


def test_wrong_shape_and_failed_checks_count_as_malformed():
    rec = Recorder(ok({"message": "not a list"}), ok([{"no": "key"}]), ok([{"id": 2}]))
    c, _ = client(rec)
    resp = c.get("/x", expect=list, check=lambda body: "" if all("id" in r for r in body) else "no id")
    assert resp.body == [{"id": 2}] and len(rec.requests) == 3


def test_rate_limited_answers_wait_as_told():
    rec = Recorder(
        httpx.Response(429, headers={"retry-after": "3"}),
        httpx.Response(
            403, headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(time.time()) + 5)}
        ),
        ok({"full_name": "a/b"}),
    )
    c, slept = client(rec)
    assert c.get("/repos/a/b").body == {"full_name": "a/b"}
    assert slept[0] == pytest.approx(3, abs=0.1) and 4 <= slept[1] <= 7


def test_a_too_long_rate_limit_wait_fails_with_advice():
    reset = str(int(time.time()) + 7200)
    rec = Recorder(httpx.Response(403, headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": reset}))
    slept: list[float] = []
    settings = Settings(_env_file=None, http_max_wait_s=60)
    c = ApiClient(
        settings,
        source="GitHub",
        base_url="https://x.test",
        transport=httpx.MockTransport(rec),
        sleep=slept.append,
    )
    with pytest.raises(RateLimitExhausted, match="OSSPULSE_HTTP_MAX_WAIT_S"):
        c.get("/repos/a/b")
    assert slept == []


def test_allowed_statuses_are_returned_and_others_fail_with_advice():
    rec = Recorder(httpx.Response(404, json={"message": "Not Found"}))
    c, _ = client(rec)
    assert c.get("/repos/a/b", allow=(404,)).status == 404
    with pytest.raises(
        ApiError, match=r"GitHub: GET /repos/a/b answered HTTP 404: Not Found; it does not exist"
    ):
        c.get("/repos/a/b")


def test_a_secondary_limit_without_retry_after_backs_off_and_pauses_the_others():
    body = {"message": "You have exceeded a secondary rate limit. Please wait a few minutes."}
    rec = Recorder(httpx.Response(403, json=body), httpx.Response(403, json=body), ok({"full_name": "a/b"}))
    c, slept = client(rec)
    assert c.get("/repos/a/b").body == {"full_name": "a/b"}
    assert slept == [pytest.approx(60.0, abs=0.1), pytest.approx(120.0, abs=0.1)]  # 60 s, then doubled
    assert c.pause._until > time.time() + 100  # every other worker of the client waits too


def test_a_bad_token_fails_at_once_without_retrying():
    rec = Recorder(httpx.Response(401, json={"message": "Bad credentials"}))
    c, slept = client(rec, token=TOKEN)
    with pytest.raises(ApiError, match="check GITHUB_TOKEN"):
        c.get("/repos/a/b")
    assert len(rec.requests) == 1 and slept == []


def test_the_token_goes_in_a_header_and_nowhere_else():
    rec = Recorder(httpx.Response(401, json={"message": "Bad credentials"}))
    c, _ = client(rec, token=TOKEN)
    with pytest.raises(ApiError) as info:
        c.get("/repos/a/b")
    assert rec.requests[0].headers["authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in str(rec.requests[0].url)
    assert "check GITHUB_TOKEN" in str(info.value)
    assert TOKEN not in str(info.value) and TOKEN not in repr(c) and TOKEN not in repr(info.value)


def test_github_client_headers():
    settings = Settings(_env_file=None, github_token=TOKEN, github_api_url="https://gh.test/")
    rec = Recorder(ok({"full_name": "a/b"}))
    c = github_client(settings, transport=httpx.MockTransport(rec))
    c.get(c.url("/repos/a/b"))
    sent = rec.requests[0]
    assert str(sent.url) == "https://gh.test/repos/a/b"
    assert sent.headers["accept"] == "application/vnd.github+json"
    assert sent.headers["x-github-api-version"] == "2022-11-28"
    assert sent.headers["authorization"] == f"Bearer {TOKEN}"
    assert sent.headers["user-agent"].startswith("osspulse/")
    assert c.relative("https://gh.test/repos/a/b?page=2") == "/repos/a/b?page=2"
    assert c.relative("https://elsewhere.test/x") == "https://elsewhere.test/x"

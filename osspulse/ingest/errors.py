"""How a request fails for good (shared by the HTTP client and the rate limiters)."""

from __future__ import annotations


class ApiError(RuntimeError):
    """A request failed for good; the message names the request, the answer and what to do."""

    def __init__(self, message: str, *, url: str = "", status: int | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.status = status


class RateLimitExhausted(ApiError):
    """The rate limit resets later than ``http_max_wait_s`` allows us to wait."""


class CredentialsError(ApiError):
    """The API rejected the credentials (401): every further request would too, so the run stops."""

"""Domain errors that views map onto form messages and HTTP status codes."""

from __future__ import annotations


class DomainError(Exception):
    """Base class of every error a service raises on purpose."""


class ValidationFailed(DomainError):
    """Input broke a business rule; `errors` maps form field names to messages."""

    def __init__(self, errors: dict[str, list[str]] | dict[str, str]) -> None:
        self.errors = {k: [v] if isinstance(v, str) else list(v) for k, v in errors.items()}
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in self.errors.items()))


class LimitReached(ValidationFailed):
    """A quota is used up for now (a daily cap): a ValidationFailed for the forms, a 429 with
    Retry-After (`retry_after`, seconds until it frees up) for the JSON API."""

    def __init__(self, errors: dict[str, list[str]] | dict[str, str], *, retry_after: int) -> None:
        super().__init__(errors)
        self.retry_after = max(1, int(retry_after))


class PermissionDenied(DomainError):
    """The actor may not do this."""


class NotFound(DomainError):
    """The object does not exist, or the actor may not know that it exists."""


class InvalidTransition(DomainError):
    """The object is not in a state that allows this action (HTTP 409)."""

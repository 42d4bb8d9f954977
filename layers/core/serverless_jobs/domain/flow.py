"""Flow control's rules that need no storage: a concurrency key comes with its limit (DESIGN §9)."""

from __future__ import annotations

from serverless_jobs.domain.errors import InvalidInput


def check_concurrency(key: str | None, limit: int | None) -> None:
    """A concurrency key comes with its limit, and a limit with its key (the job as created or updated)."""
    if key is not None and limit is None:
        raise InvalidInput("concurrencyLimit", "is required with concurrencyKey")
    if limit is not None and key is None:
        raise InvalidInput("concurrencyKey", "is required with concurrencyLimit")

"""How a target's failure is recorded: its text, and whether another attempt may mend it."""

from __future__ import annotations

import json
from typing import Any

from serverless_jobs.adapters.aws_errors import is_transient
from serverless_jobs.domain.outcome import Outcome

Delivered = tuple[Outcome, Any]


def aws_failure(error: Exception) -> Delivered:
    """A call to a target's AWS service that failed: retried when AWS was throttling, failing or out of
    reach (a later attempt may well succeed); failed for good when AWS refused it (no such queue, access
    denied, a payload too large), which the same call would meet again."""
    return Outcome(False, f"{type(error).__name__}: {error}", retryable=is_transient(error)), None


def text_or_json(payload: bytes) -> Any:
    """A reply's payload as JSON when it is JSON, else as text."""
    text = payload.decode(errors="replace")
    try:
        return json.loads(text)
    except ValueError:
        return text

"""The secret webhooks are signed with: an SSM SecureString parameter, read on first use and kept a while."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_ssm import SSMClient

# A rotated secret is used within this long; meanwhile no run pays for a GetParameter.
SECRET_TTL_SECONDS = 300.0


class WebhookSecret:
    """`GetParameter` with decryption, made by the first webhook (never at a cold start) and cached."""

    def __init__(
        self, client: Callable[[], SSMClient], name: str, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._client = client
        self._name = name
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._cached: tuple[bytes, float] | None = None

    def value(self) -> bytes:
        """The secret; raises what SSM raised when it cannot be read (the run then fails, retried if transient)."""
        with self._lock:
            now = self._monotonic()
            if self._cached is None or now - self._cached[1] > SECRET_TTL_SECONDS:
                reply = self._client().get_parameter(Name=self._name, WithDecryption=True)
                self._cached = (reply["Parameter"]["Value"].encode(), now)
            return self._cached[0]

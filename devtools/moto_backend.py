"""moto, in-process, made safe for threads: one lock around every call botocore hands to moto.

moto is not thread-safe (two conditional writes on one item can both succeed under threads), and the local
stack serves requests, ticks and runs concurrently; serialising the calls keeps DynamoDB's guarantees.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_SESSION_TOKEN": "local",
    "AWS_DEFAULT_REGION": "us-east-1",
}

_lock = threading.Lock()


def use_fake_credentials() -> None:
    """Point every AWS client of this process at moto; nothing here may reach a real account."""
    os.environ.update(FAKE_CREDENTIALS)


def serialise_moto_calls() -> None:
    from moto.core.botocore_stubber import BotocoreStubber

    original: Callable[..., Any] = BotocoreStubber.__call__
    if getattr(original, "serialised", False):
        return

    def locked(self: BotocoreStubber, *args: Any, **kwargs: Any) -> Any:
        with _lock:
            return original(self, *args, **kwargs)

    locked.serialised = True  # type: ignore[attr-defined]
    BotocoreStubber.__call__ = locked  # type: ignore[method-assign]

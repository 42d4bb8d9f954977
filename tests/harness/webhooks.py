"""The docs' webhook verification recipe in Python (docs/targets.md), as a receiver copies it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from devtools.webhook_receiver import Received
from harness.docs import WEBHOOK_PYTHON


class Headers(dict[str, str]):
    """Request headers as a web framework gives them to Python: looked up by any case."""

    def __getitem__(self, name: str) -> str:
        return super().__getitem__(name.lower())


def python_recipe() -> Callable[..., bool]:
    """The docs' `verified(method, url, headers, body, secret)`."""
    namespace: dict[str, Any] = {}
    exec(WEBHOOK_PYTHON.text(), namespace)
    verified: Callable[..., bool] = namespace["verified"]
    return verified


def verified_by_readme(request: Received, url: str, secret: bytes) -> bool:
    """Whether the docs' Python recipe, checking against `url` (the receiver's own), accepts `request`."""
    return python_recipe()(request.method, url, Headers(request.headers), request.body, secret)

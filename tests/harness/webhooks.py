"""README's webhook verification recipe (Python), as a receiver copies it, for tests with real deliveries."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from devtools.webhook_receiver import Received
from harness.readme import readme_script

RECIPES = "**Webhooks** are signed"  # where README's recipes are, Python's then Node.js's


class Headers(dict[str, str]):
    """Request headers as a web framework gives them to Python: looked up by any case."""

    def __getitem__(self, name: str) -> str:
        return super().__getitem__(name.lower())


def python_recipe() -> Callable[..., bool]:
    """README's `verified(method, url, headers, body, secret)`."""
    namespace: dict[str, Any] = {}
    exec(readme_script(RECIPES, "python"), namespace)
    verified: Callable[..., bool] = namespace["verified"]
    return verified


def verified_by_readme(request: Received, url: str, secret: bytes) -> bool:
    """Whether README's Python recipe, checking against `url` (the receiver's own), accepts `request`."""
    return python_recipe()(request.method, url, Headers(request.headers), request.body, secret)

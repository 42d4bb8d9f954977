"""Powertools' REST resolver, made safe for concurrent requests in one process.

`ApiGatewayResolver.resolve` keeps the request it is resolving on its base class, not on the app:
`BaseRouter.current_event = ...` and `BaseRouter.lambda_context = ...`, which every app instance then reads.
On Lambda an execution environment serves one request at a time, so that is harmless there; the local
stack serves requests concurrently on threads (one API function instance each), and there a second
request would replace the first one's event and context mid-way (its body read by another route, its
deadline taken from a request that started later). `per_thread_requests` turns those two attributes into
per-thread values: each request's thread sees its own, however they are set or read.
"""

from __future__ import annotations

import threading
from typing import Any

_FIELDS = ("current_event", "lambda_context")
_values = threading.local()


class _PerThread:
    """A data descriptor whose value is the current thread's: on the base class (read through an app or a
    subclass) and on its metaclass (for `BaseRouter.current_event = ...` itself)."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __get__(self, owner: Any, kind: Any = None) -> Any:
        try:
            return getattr(_values, self._name)
        except AttributeError:
            raise AttributeError(self._name) from None

    def __set__(self, owner: Any, value: Any) -> None:
        setattr(_values, self._name, value)


def per_thread_requests() -> None:
    """Make Powertools' current event and Lambda context per thread, in this process (idempotent)."""
    from aws_lambda_powertools.event_handler.api_gateway import BaseRouter

    if getattr(type(BaseRouter), "per_thread", False):
        return
    for name in _FIELDS:  # in the class's own dict, before its metaclass would take the assignment
        type.__setattr__(BaseRouter, name, _PerThread(name))
    meta = type(
        "PerThreadRouterMeta",
        (type(BaseRouter),),
        {"per_thread": True, **{name: _PerThread(name) for name in _FIELDS}},
    )
    BaseRouter.__class__ = meta  # type: ignore[method-assign]  # a class may change its metaclass at runtime

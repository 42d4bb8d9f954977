"""The handler registry: the names the API accepts and the executor runs, from one table.

Handlers live outside the core: in `job_handlers` (the project's `handlers/` folder, deployed as
HandlersLayer) and in any package the template's `HandlerPackages` parameter adds. `@handler("name")`
only marks a function; the first lookup imports every module of those packages and collects the marked
functions, so the API and the executor can never disagree about which names exist, importing a handler
module has no side effect on the core, and the core never imports user code by name.
"""

from __future__ import annotations

import importlib
import pkgutil
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from types import ModuleType
from typing import Any

JsonValue = Any

# The handlers/ folder's package: always loaded, so the built-in example handlers are always registered.
BUILT_IN_HANDLERS = "job_handlers"


@dataclass(frozen=True)
class RunContext:
    """What a handler may know about the run it is part of."""

    job_id: str
    run_id: str
    attempt: int
    scheduled_at: datetime | None
    trigger: str
    remaining_seconds: Callable[[], float]


JobHandler = Callable[[dict[str, Any], RunContext], JsonValue]


class Registry:
    """Handlers by name, found by importing the handler packages once, on first use."""

    def __init__(self, packages: tuple[str, ...]) -> None:
        self._unloaded = list(packages)
        self._handlers: dict[str, JobHandler] = {}
        self._lock = threading.Lock()

    def include(self, packages: tuple[str, ...]) -> None:
        """Look in these packages too (a function's settings name them); they load on the next lookup."""
        with self._lock:
            self._unloaded.extend(packages)

    def add(self, name: str, fn: JobHandler) -> None:
        """Register `fn` under `name`; two functions under one name is a programming error."""
        if self._handlers.setdefault(name, fn) is not fn:
            raise ValueError(f"handler {name!r} is registered twice")

    def remove(self, name: str) -> None:
        del self._handlers[name]

    def handlers(self) -> Mapping[str, JobHandler]:
        with self._lock:  # the local stack's workers may look up their first handlers at once
            while self._unloaded:
                for module in _import_all(self._unloaded.pop(0)):
                    for name, fn in _marked_in(module):
                        self.add(name, fn)
        return self._handlers


_MARK = "__job_handler__"


def handler(name: str) -> Callable[[JobHandler], JobHandler]:
    """Decorator: run the function for jobs whose `handler` is `name` (it is found when its module loads)."""

    def mark(fn: JobHandler) -> JobHandler:
        setattr(fn, _MARK, name)
        return fn

    return mark


def _marked_in(module: ModuleType) -> Iterator[tuple[str, JobHandler]]:
    for value in vars(module).values():
        name = getattr(value, _MARK, None)
        if isinstance(name, str) and callable(value):
            yield name, value


def _import_all(name: str) -> Iterator[ModuleType]:
    """A module, or a package and every module under it."""
    module = importlib.import_module(name)
    yield module
    for found in pkgutil.walk_packages(getattr(module, "__path__", []), prefix=f"{name}."):
        yield importlib.import_module(found.name)


_registry = Registry((BUILT_IN_HANDLERS,))


def include_packages(packages: tuple[str, ...]) -> None:
    """Add the packages a function's settings name (HandlerPackages) to the built-in one."""
    _registry.include(packages)


@contextmanager
def registered_for_now(name: str, fn: JobHandler) -> Iterator[None]:
    """`fn` under `name` for the duration of the block only: a test's own handler leaks into no other test."""
    registered()  # load the packages first, so a clash with one of their names is caught here
    _registry.add(name, fn)
    try:
        yield
    finally:
        _registry.remove(name)


def registered() -> Mapping[str, JobHandler]:
    return _registry.handlers()


def is_registered(name: str) -> bool:
    return name in registered()

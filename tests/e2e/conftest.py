"""One local stack for the end-to-end tests of a module; tests that stop it start their own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devtools.local_http import LocalStack


@pytest.fixture(scope="module")
def local() -> Iterator[LocalStack]:
    stack = LocalStack.start()
    yield stack
    stack.stop()

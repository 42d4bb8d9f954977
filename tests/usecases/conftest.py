"""The fast tier: the use cases on the in-memory stores (harness/memory_app.py), no moto loaded."""

from __future__ import annotations

import pytest

from harness.memory_app import App


@pytest.fixture
def app() -> App:
    return App()

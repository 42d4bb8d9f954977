"""How hard the property and fuzz tests search: bounded in `make test`, many times more in `make fuzz`."""

from __future__ import annotations

import os


def fuzz_examples(in_make_test: int) -> int:
    """Examples per property: `in_make_test`, times FUZZ_SCALE (which `make fuzz` sets) when given."""
    return in_make_test * int(os.environ.get("FUZZ_SCALE", "1"))

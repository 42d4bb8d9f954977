"""Labels: a job's string map for grouping, and the `key=value` selector that finds a group.

The rules keep a label usable everywhere it goes: in a URL query (`?label=team=billing`) without escaping,
split unambiguously at its first `=`, and as part of a DynamoDB key (at most 192 bytes, far under 2 KB).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import NamedTuple

from serverless_jobs.domain.errors import InvalidInput

MAX_LABELS = 10
MAX_KEY_LENGTH = 63
MAX_VALUE_LENGTH = 128
# Keys: a letter or digit, then letters, digits, `.`, `_`, `-`, `/` (for prefixes like `app.io/tier`).
KEY_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._/-]{0,62}"
# Values: also `:` and `@` (ids, emails, ARNs-ish); never `=`, spaces, `+` or `&`, which queries would mangle.
VALUE_PATTERN = r"[A-Za-z0-9._:/@-]{1,128}"
_KEY = re.compile(KEY_PATTERN)
_VALUE = re.compile(VALUE_PATTERN)
KEY_RULE = f"1..{MAX_KEY_LENGTH} characters: letters, digits, '.', '_', '-', '/', starting with a letter or digit"
VALUE_RULE = f"1..{MAX_VALUE_LENGTH} characters: letters, digits, '.', '_', '-', ':', '/', '@'"


def _shown(text: str) -> str:
    """The offending text in a message, bounded and with anything unprintable escaped."""
    return repr(text if len(text) <= 64 else f"{text[:64]}...")


def check_labels(labels: Mapping[str, str], field: str = "labels") -> dict[str, str]:
    """`labels` if every pair follows the rules; InvalidInput naming `field` and the pair otherwise."""
    if len(labels) > MAX_LABELS:
        raise InvalidInput(field, f"has {len(labels)} pairs; at most {MAX_LABELS}")
    for key, value in labels.items():
        if not _KEY.fullmatch(key):
            raise InvalidInput(field, f"key {_shown(key)} is not a label key; keys are {KEY_RULE}")
        if not _VALUE.fullmatch(value):
            raise InvalidInput(f"{field}.{key}", f"{_shown(value)} is not a label value; values are {VALUE_RULE}")
    return dict(labels)


class Label(NamedTuple):
    """One label, as a selector names it."""

    key: str
    value: str

    def text(self) -> str:
        """`key=value`: the one spelling of a label, in queries and as the label index's partition."""
        return f"{self.key}={self.value}"

    def on(self, labels: Mapping[str, str]) -> bool:
        """Whether a job with `labels` carries this label."""
        return labels.get(self.key) == self.value


def parse_selector(text: str, field: str = "label") -> Label:
    """`team=billing` as a Label; InvalidInput naming `field` when it is not one label."""
    key, equals, value = text.partition("=")
    if not equals:
        raise InvalidInput(field, f"{_shown(text)} is not key=value (e.g. team=billing)")
    if not _KEY.fullmatch(key):
        raise InvalidInput(field, f"key {_shown(key)} is not a label key; keys are {KEY_RULE}")
    if not _VALUE.fullmatch(value):
        raise InvalidInput(field, f"value {_shown(value)} is not a label value; values are {VALUE_RULE}")
    return Label(key, value)

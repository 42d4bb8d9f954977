"""Job keys: a name the user chooses for a job, unique in the stack, so a file or a template can find it again.

A key may go into a URL query (`?key=reports/daily`) unescaped and into a DynamoDB key (the reservation's
partition, `#key/<key>`). It never holds `=`, so that partition can never equal a label's `key=value` text.
"""

from __future__ import annotations

import re

MAX_KEY_LENGTH = 128
KEY_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}"
KEY_RULE = f"1..{MAX_KEY_LENGTH} characters: letters, digits, '.', '_', '-', ':', '/', starting with a letter or digit"
_KEY = re.compile(KEY_PATTERN)


def is_key(text: str) -> bool:
    return _KEY.fullmatch(text) is not None

"""pydantic's validation errors as one sentence that names each offending field."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from serverless_jobs.domain.errors import InvalidInput
from serverless_jobs.domain.targets import TARGET_TYPES

_WORDING = {
    "extra_forbidden": "is not a known field",
    "missing": "is required",
    "json_invalid": "is not valid JSON",
    "union_tag_not_found": f"needs a type: one of {', '.join(TARGET_TYPES)}",
    "union_tag_invalid": f"type must be one of {', '.join(TARGET_TYPES)}",
}
_WHERE = ("body", "query", "path", "header")


def field_name(location: Sequence[Any]) -> str:
    """`("body", "data", "x")` -> `data.x`; a bare `("body",)` stays `body`."""
    parts = [str(part) for part in location]
    if len(parts) > 1 and parts[0] in _WHERE:
        parts = parts[1:]
    if len(parts) > 2 and parts[0] == "target" and parts[1] in TARGET_TYPES:
        parts.pop(1)  # pydantic names the union member (`target.http.url`); the field is `target.url`
    return ".".join(parts) or "body"


def describe_validation_errors(errors: Sequence[Mapping[str, Any]]) -> str:
    messages: list[str] = []
    for error in errors:
        cause = error.get("ctx", {}).get("error")
        if isinstance(cause, InvalidInput):
            message = str(cause)
        elif error.get("type") == "json_invalid":
            message = f"body: {_WORDING['json_invalid']}"
        else:
            wording = _WORDING.get(str(error.get("type")), str(error.get("msg", "is not valid")))
            message = f"{field_name(error.get('loc', ()))}: {wording}"
        if message not in messages:
            messages.append(message)
    return "; ".join(messages)

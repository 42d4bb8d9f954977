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
_TARGET_FIELDS = ("target", "onFailure", "onSuccess")


def field_name(location: Sequence[Any]) -> str:
    """`("body", "data", "x")` -> `data.x`; a bare `("body",)` stays `body`."""
    parts = [str(part) for part in location]
    if len(parts) > 1 and parts[0] in _WHERE:
        parts = parts[1:]
    tag = _union_tag(parts)
    if tag is not None:
        parts.pop(tag)  # pydantic names the union member (`target.http.url`); the field is `target.url`
    return ".".join(parts) or "body"


def _union_tag(parts: Sequence[str]) -> int | None:
    """Where pydantic put a target's type in a location (`target.http.url`, `notify.onFailure.sqs.arn`)."""
    for index, part in enumerate(parts[:-1]):
        if part in TARGET_TYPES and index > 0 and parts[index - 1] in _TARGET_FIELDS:
            return index
    return None


def _target_field(location: Sequence[Any]) -> str | None:
    """The field a location's target is (`notify.onFailure`), or None outside a target."""
    parts = [str(part) for part in location]
    parts = parts[1:] if parts[:1] and parts[0] in _WHERE else parts
    tag = _union_tag(parts)
    return None if tag is None else ".".join(parts[:tag])


def describe_validation_errors(errors: Sequence[Mapping[str, Any]]) -> str:
    messages: list[str] = []
    for error in errors:
        cause = error.get("ctx", {}).get("error")
        if isinstance(cause, InvalidInput):
            message = str(cause)
            # A target's checks name `target.*`; a notification target is named by where it is.
            where = _target_field(error.get("loc", ()))
            if where is not None and cause.field.startswith("target"):
                message = where + message.removeprefix("target")
        elif error.get("type") == "json_invalid":
            message = f"body: {_WORDING['json_invalid']}"
        else:
            wording = _WORDING.get(str(error.get("type")), str(error.get("msg", "is not valid")))
            message = f"{field_name(error.get('loc', ()))}: {wording}"
        if message not in messages:
            messages.append(message)
    return "; ".join(messages)

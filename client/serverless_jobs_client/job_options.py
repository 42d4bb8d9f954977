"""A job's fields as command-line options: one option per create field, named after it (`--max-attempts`).

`create` and `update` share them; `--file job.json` gives any of the fields as JSON and the options given
override it. Values are checked only for their syntax here (JSON, `k=v`): the API checks the rest and its
message names the field.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


class JsonValue(click.ParamType):
    name = "JSON"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except ValueError as error:
            self.fail(f"is not JSON: {error}", param, ctx)


class LabelPair(click.ParamType):
    """`key=value`, one label (the API checks the key's and the value's characters)."""

    name = "KEY=VALUE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, tuple):
            return value
        key, equals, text = str(value).partition("=")
        if not key or not equals:
            self.fail(f"{value!r} is not key=value", param, ctx)
        return key, text


@dataclass(frozen=True)
class FieldOption:
    field: str  # the API's name
    type: click.ParamType | type
    help: str

    @property
    def flag(self) -> str:
        return "--" + re.sub(r"(?<!^)(?=[A-Z])", "-", self.field).lower()

    @property
    def parameter(self) -> str:
        return self.flag[2:].replace("-", "_")


JSON = JsonValue()
FIELDS = (
    FieldOption("name", str, "the job's name (1..200 characters)"),
    FieldOption("handler", str, "a registered handler's name"),
    FieldOption("target", JSON, 'where runs go instead of a handler, e.g. \'{"type": "sqs", "arn": "..."}\''),
    FieldOption("notify", JSON, 'who hears how runs end, e.g. \'{"onFailure": {"type": "http", "url": "..."}}\''),
    FieldOption("data", JSON, "the JSON object the handler gets"),
    FieldOption("schedule", str, "an interval (30s, 5m), a cron, or rate()/cron()/at(); none: run once"),
    FieldOption("timezone", str, "IANA time zone of the schedule (default UTC)"),
    FieldOption("runAt", str, "ISO 8601 time with an offset: when a one-time job runs, or a schedule starts"),
    FieldOption("endAt", str, "ISO 8601 time with an offset: no run starts after it"),
    FieldOption("maxAttempts", int, "attempts per run, 1..25 (default 3)"),
    FieldOption("retryBackoffSeconds", int, "base delay of the retries' backoff (default 10)"),
    FieldOption("timeoutSeconds", int, "a run's time limit, 1..900 (default 300)"),
    FieldOption("jitterSeconds", int, "random delay of each scheduled start, 0..86400"),
    FieldOption("maxRuns", int, "complete the job after this many successful runs"),
    FieldOption("catchupWindowSeconds", int, "run missed occurrences up to this far back"),
    FieldOption(
        "overlap", click.Choice(("buffer", "skip")), "an occurrence due while a run runs: buffer (default) or skip"
    ),
    FieldOption("concurrencyKey", str, "jobs sharing this key run at most --concurrency-limit at once"),
    FieldOption("concurrencyLimit", int, "how many jobs of --concurrency-key may run at once"),
    FieldOption(
        "rateLimit",
        JSON,
        'at most limit starts per period for a key: \'{"key": "api", "limit": 5, "periodSeconds": 60}\'',
    ),
    FieldOption("key", str, "the job's own name, unique in the stack (e.g. reports/daily)"),
)
CLEARABLE = (
    "schedule",
    "runAt",
    "endAt",
    "notify",
    "maxRuns",
    "catchupWindowSeconds",
    "concurrencyKey",
    "concurrencyLimit",
    "rateLimit",
    "key",
)


def job_field_options(function: F) -> F:
    """The field options, `--label` (repeatable) and `--file`, on a command."""
    for option in reversed(FIELDS):
        function = click.option(option.flag, option.parameter, type=option.type, help=option.help)(function)
    function = click.option(
        "--label", "labels", type=LabelPair(), multiple=True, help="a label key=value (repeatable; replaces all)"
    )(function)
    return click.option(
        "--file",
        "job_file",
        type=click.File("r"),
        help="the fields as a JSON object ('-' reads stdin); options override it",
    )(function)


def job_fields(
    job_file: IO[str] | None, labels: tuple[tuple[str, str], ...], options: dict[str, Any]
) -> dict[str, Any]:
    """The request body: the file's fields, then each option given."""
    fields: dict[str, Any] = {}
    if job_file is not None:
        loaded = JsonValue().convert(job_file.read(), None, None)
        if not isinstance(loaded, dict):
            raise click.BadParameter("must hold a JSON object", param_hint="--file")
        fields.update(loaded)
    for option in FIELDS:
        value = options.get(option.parameter)
        if value is not None:
            fields[option.field] = value
    if labels:
        fields["labels"] = dict(labels)
    return fields

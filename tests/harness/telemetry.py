"""What the functions tell CloudWatch, captured in tests: EMF metric lines and structured log lines."""

from __future__ import annotations

import io
import json
from collections import defaultdict
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from aws_lambda_powertools import Logger

from devtools.functions import load_function_module


@dataclass(frozen=True)
class Series:
    """One CloudWatch metric: what an alarm or a dashboard names to read it."""

    namespace: str
    name: str
    dimensions: frozenset[tuple[str, str]]

    @classmethod
    def of(cls, namespace: str, name: str, **dimensions: str) -> Series:
        return cls(namespace, name, frozenset(dimensions.items()))


def emf_series(output: str) -> dict[Series, list[float]]:
    """Every value each series received from the EMF lines in `output`, extracted as CloudWatch does.

    A record names dimension sets; each set makes its own series of every metric in the record.
    """
    values: dict[Series, list[float]] = defaultdict(list)
    for line in output.splitlines():
        record = _json_object(line)
        if record is None or "_aws" not in record:
            continue
        for directive in record["_aws"]["CloudWatchMetrics"]:
            for names in directive["Dimensions"]:
                dimensions = frozenset((name, record[name]) for name in names)
                for metric in directive["Metrics"]:
                    value = record[metric["Name"]]
                    series = Series(directive["Namespace"], metric["Name"], dimensions)
                    values[series].extend(value if isinstance(value, list) else [value])
    return dict(values)


def _json_object(line: str) -> dict[str, Any] | None:
    if not line.startswith("{"):
        return None
    try:
        parsed = json.loads(line)
    except json.JSONDecodeError:
        return None
    return parsed if isinstance(parsed, dict) else None


def function_logger(logical_id: str) -> Logger:
    """The Powertools logger of a function's module (all of them write through one shared handler)."""
    logger: Logger = load_function_module(logical_id).logger
    return logger


class LogCapture:
    """The functions' Powertools log lines while open, parsed: they all share one handler, redirected here."""

    def __init__(self, logger: Logger) -> None:
        self._handler: Any = logger.registered_handler
        self._buffer = io.StringIO()
        self._previous: Any = None

    def __enter__(self) -> LogCapture:
        self._previous = self._handler.setStream(self._buffer)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._handler.setStream(self._previous)

    @property
    def text(self) -> str:
        return self._buffer.getvalue()

    @property
    def records(self) -> list[dict[str, Any]]:
        return [record for line in self.text.splitlines() if (record := _json_object(line)) is not None]

    def about(self, message: str) -> list[dict[str, Any]]:
        return [record for record in self.records if record["message"] == message]

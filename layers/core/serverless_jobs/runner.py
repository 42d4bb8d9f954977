"""The runner switch: the tick's EventBridge rule itself, enabled and disabled, so "stopped" costs nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_events import EventBridgeClient


class RunnerSwitch:
    def __init__(self, client: EventBridgeClient, rule_name: str) -> None:
        self._client = client
        self._rule_name = rule_name

    def is_running(self) -> bool:
        return self._client.describe_rule(Name=self._rule_name)["State"] == "ENABLED"

    def start(self) -> bool:
        self._client.enable_rule(Name=self._rule_name)
        return self.is_running()

    def stop(self) -> bool:
        self._client.disable_rule(Name=self._rule_name)
        return self.is_running()

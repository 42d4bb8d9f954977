"""The runner switch: the tick's EventBridge rule itself, enabled and disabled, so "stopped" costs nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from serverless_jobs.domain.errors import RunnerRuleMissing

if TYPE_CHECKING:
    from mypy_boto3_events import EventBridgeClient


class EventBridgeRunnerSwitch:
    def __init__(
        self, client: Callable[[], EventBridgeClient], rule_name: str, on_switch: Callable[[bool], None] | None = None
    ) -> None:
        """`on_switch` hears the rule's state after every start and stop (the heartbeat alarm follows it)."""
        self._client_of = client
        self._rule_name = rule_name
        self._on_switch = on_switch

    @property
    def _client(self) -> EventBridgeClient:
        """Made by the first call that needs it: a cold start pays for no client its first request leaves unused."""
        return self._client_of()

    def is_running(self) -> bool:
        """Whether the rule is enabled. A missing rule stopped nothing, so the tick keeps working without it."""
        try:
            return self._client.describe_rule(Name=self._rule_name)["State"] == "ENABLED"
        except self._client.exceptions.ResourceNotFoundException:
            return True

    def start(self) -> bool:
        return self._switch(self._client.enable_rule)

    def stop(self) -> bool:
        return self._switch(self._client.disable_rule)

    def _switch(self, change: Callable[..., object]) -> bool:
        try:
            change(Name=self._rule_name)
        except self._client.exceptions.ResourceNotFoundException:
            raise RunnerRuleMissing(self._rule_name) from None
        running = self.is_running()
        if self._on_switch is not None:
            self._on_switch(running)
        return running

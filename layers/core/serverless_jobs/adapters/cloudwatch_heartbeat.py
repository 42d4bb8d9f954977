"""The tick heartbeat alarm follows the runner switch: a runner stopped on purpose is not an outage to page about."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch import CloudWatchClient


class HeartbeatAlarm:
    def __init__(self, client: Callable[[], CloudWatchClient], alarm_name: str) -> None:
        self._client_of = client
        self._alarm_name = alarm_name

    @property
    def _client(self) -> CloudWatchClient:
        """Made by the first call that needs it: a cold start pays for no client its first request leaves unused."""
        return self._client_of()

    def follow(self, running: bool) -> None:
        """Notify on missing ticks only while the rule is enabled; the alarm still shows its state either way.

        CloudWatch ignores names of alarms that do not exist, so a stack without the alarm (the local one)
        switches the runner all the same.
        """
        if running:
            self._client.enable_alarm_actions(AlarmNames=[self._alarm_name])
        else:
            self._client.disable_alarm_actions(AlarmNames=[self._alarm_name])

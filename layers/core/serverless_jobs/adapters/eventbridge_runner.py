"""The runner switch: a record in the stack's state, which the tick's EventBridge rule follows.

Where its state lives, and why (decision "The runner switch's state outlives deploys"): the record in
`StateTable` is the truth. The rule is only how "stopped" costs nothing: the switch disables it, and a
tick that finds the record stopped disables it again, since CloudFormation re-applies the rule's
`State: ENABLED` on any update that touches the rule (or replaces it). A stack from before the record
existed has none until the switch is first used: its rule's state is the truth until then.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING

from serverless_jobs.adapters.dynamodb.state_store import RUNNER, StackState
from serverless_jobs.domain.errors import RunnerRuleMissing

if TYPE_CHECKING:
    from mypy_boto3_events import EventBridgeClient


class EventBridgeRunnerSwitch:
    def __init__(
        self,
        client: Callable[[], EventBridgeClient],
        rule_name: str,
        state: StackState | None = None,
        on_switch: Callable[[bool], None] | None = None,
    ) -> None:
        """`on_switch` hears the switch's state after every start and stop (the heartbeat alarm follows it);
        without `state` the rule alone holds it (a stack deployed without StateTable)."""
        self._client_of = client
        self._rule_name = rule_name
        self._state = state
        self._on_switch = on_switch

    @property
    def _client(self) -> EventBridgeClient:
        """Made by the first call that needs it: a cold start pays for no client its first request leaves unused."""
        return self._client_of()

    def is_running(self) -> bool:
        """The switch's record; without one, whether the rule is enabled (a missing rule stopped nothing)."""
        if self._state is not None:
            record = self._state.get(RUNNER)
            if record is not None and isinstance(record.get("running"), bool):
                return bool(record["running"])
        try:
            return self._client.describe_rule(Name=self._rule_name)["State"] == "ENABLED"
        except self._client.exceptions.ResourceNotFoundException:
            return True

    def start(self) -> bool:
        return self._switch(running=True)

    def stop(self) -> bool:
        return self._switch(running=False)

    def hold_stopped(self) -> None:
        """For a tick that found the switch stopped, though its rule fired: a deploy enabled the rule again.
        Disables it once more, so a stopped runner goes on costing nothing. (The heartbeat alarm the stop
        muted stays muted: a deploy resets it only when it updates the alarm, which the upgrade check flags.)"""
        with contextlib.suppress(self._client.exceptions.ResourceNotFoundException):
            self._client.disable_rule(Name=self._rule_name)

    def _switch(self, *, running: bool) -> bool:
        """A start writes the record before it enables the rule, and a stop after it disables the rule, so
        a tick reading the record never undoes a start and a stop refused for a missing rule stops nothing.
        A switch that fails half way is repeated by the caller with the same outcome."""
        if running:
            self._record(running)
        change = self._client.enable_rule if running else self._client.disable_rule
        try:
            change(Name=self._rule_name)
        except self._client.exceptions.ResourceNotFoundException:
            raise RunnerRuleMissing(self._rule_name) from None
        if not running:
            self._record(running)
        if self._on_switch is not None:
            self._on_switch(running)
        return running if self._state is not None else self.is_running()

    def _record(self, running: bool) -> None:
        if self._state is not None:
            self._state.put(RUNNER, {"running": running})

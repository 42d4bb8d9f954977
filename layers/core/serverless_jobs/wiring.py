"""How the functions are put together: AWS clients, the DynamoDB stores and the use cases' dependencies.

Each function's `build(settings, clients, clock)` calls these at Lambda's init phase; the local stack and
the tests call the same `build` with their own clock, sleeper, randomness or dispatcher.
"""

from __future__ import annotations

import os
import random
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, cast

import botocore.session

from serverless_jobs.adapters.client_tuning import API_CLIENTS, ClientTuning
from serverless_jobs.adapters.cloudwatch_heartbeat import HeartbeatAlarm
from serverless_jobs.adapters.dynamodb.history_store import DynamoHistoryStore
from serverless_jobs.adapters.dynamodb.job_store import DynamoJobStore
from serverless_jobs.adapters.dynamodb.state_store import PAGE_TOKEN_KEY, StackState
from serverless_jobs.adapters.eventbridge_runner import EventBridgeRunnerSwitch
from serverless_jobs.adapters.lambda_dispatcher import (
    LambdaDispatcher,
    LambdaNotificationHandOff,
    LambdaShardDispatcher,
)
from serverless_jobs.adapters.lambda_waker import LambdaWaker
from serverless_jobs.adapters.sqs_timer import SqsTimer
from serverless_jobs.ports import Clock, Dispatcher, NotificationHandOff, ShardDispatcher, Timer, Waker
from serverless_jobs.registry import include_packages
from serverless_jobs.settings import Settings
from serverless_jobs.usecases.deps import Deps

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_ssm import SSMClient
    from mypy_boto3_stepfunctions import SFNClient

    from serverless_jobs.usecases.jobs import JobService


class AwsClients:
    """The botocore clients the functions call (the job and history tables are reached by pynamodb's models).

    Each is created on first use, by the request that first calls its service: a cold start pays only for
    the clients its first request calls (a GET none of these). Each has the function's timeouts and
    retries (`tuning`), but for `lambda_invoke`.
    botocore, not boto3 (whose import alone costs a cold start ~40 ms), and one session for all of them,
    so its service data and credentials are loaded once.
    """

    def __init__(self, tuning: ClientTuning = API_CLIENTS, invoke_tuning: ClientTuning | None = None) -> None:
        self.tuning = tuning
        self.invoke_tuning = invoke_tuning or tuning
        self._lock = threading.Lock()
        self._clients: dict[str, Any] = {}

    @cached_property
    def session(self) -> botocore.session.Session:
        """The botocore session every client of the function is made from, the tables' included."""
        return botocore.session.get_session()

    @property
    def lambda_invoke(self) -> LambdaClient:
        """Lambda with `invoke_tuning`, for the function's own kind of Invoke: the tick's and dispatch
        function's dispatches and hand-offs (DISPATCH_CLIENTS: 32 at once, adaptive), a lambda target's
        synchronous call in the executor (TARGET_INVOKE_CLIENTS: it waits 900 s); the API's tuning as it is."""
        return cast("LambdaClient", self._client("lambda", self.invoke_tuning))

    @property
    def lambda_async(self) -> LambdaClient:
        """Lambda with the function's own `tuning`, for a wake of the tick (async Invoke, which Lambda
        answers at once): a call that hangs is given up in seconds, never after a target's 900 s."""
        if self.invoke_tuning == self.tuning:
            return self.lambda_invoke
        return cast("LambdaClient", self._client("lambda", self.tuning, name="lambda-async"))

    @property
    def events(self) -> EventBridgeClient:
        return cast("EventBridgeClient", self._client("events", self.tuning))

    @property
    def cloudwatch(self) -> CloudWatchClient:
        return cast("CloudWatchClient", self._client("cloudwatch", self.tuning))

    @property
    def sqs(self) -> SQSClient:
        return cast("SQSClient", self._client("sqs", self.tuning))

    @property
    def stepfunctions(self) -> SFNClient:
        return cast("SFNClient", self._client("stepfunctions", self.tuning))

    @property
    def ssm(self) -> SSMClient:
        return cast("SSMClient", self._client("ssm", self.tuning))

    @property
    def dynamodb(self) -> DynamoDBClient:
        """For Powertools' idempotency records, which it reads and writes with this client."""
        return cast("DynamoDBClient", self._client("dynamodb", self.tuning))

    def _client(self, service: str, tuning: ClientTuning, name: str | None = None) -> Any:
        """One client per service (or `name`, for a second one of a service), made once even when many threads
        first need it at once (a tick's dispatches)."""
        name = name or service
        with self._lock:
            if name not in self._clients:
                self._clients[name] = self.session.create_client(service, config=tuning.botocore_config())
            return self._clients[name]


def deps_on_dynamodb(
    settings: Settings,
    clock: Clock,
    rng: random.Random | None = None,
    tuning: ClientTuning = API_CLIENTS,
    session: botocore.session.Session | None = None,
    waker: Waker | None = None,
    notifications: NotificationHandOff | None = None,
    timer: Timer | None = None,
) -> Deps:
    """The use cases' dependencies over the settings' tables, clients created now rather than mid-run;
    `waker` for the functions whose writes wake the tick (API, executor), `timer` for those that set alarms."""
    include_packages(settings.handler_packages)
    jobs = DynamoJobStore(settings.jobs_table, settings.history_table, tuning, settings.labels_table)
    history = DynamoHistoryStore(settings.history_table, tuning)
    session = session or botocore.session.get_session()
    jobs.connect(session)
    history.connect(session)
    return Deps(settings, jobs, history, clock, rng or random.Random(), waker, notifications, timer)


def job_service(
    settings: Settings,
    clients: AwsClients,
    clock: Clock,
    *,
    dispatcher: Dispatcher | None = None,
    waker: Waker | None = None,
    notifications: NotificationHandOff | None = None,
) -> tuple[JobService, Waker]:
    """The jobs service of the functions that change jobs on request (the API, the jobs resource), and the
    waker it wakes the tick with: immediate work dispatched (and a refused run's notification handed off)
    through Lambda unless given another dispatcher, hand-off and waker (the local stack's)."""
    invokes = lambda_invokes(settings, clients, dispatcher=dispatcher, waker=waker, notifications=notifications)
    deps = deps_on_dynamodb(
        settings,
        clock,
        tuning=clients.tuning,
        session=clients.session,
        waker=invokes.waker,
        notifications=invokes.notifications,
        timer=invokes.timer,
    )
    # imported here: only these two functions build one, so the tick's and executor's init go without it
    from serverless_jobs.usecases.jobs import JobService

    return JobService(deps, invokes.runs), invokes.waker


@dataclass(frozen=True)
class LambdaInvokes:
    """What one function hands another by async Invoke (the events: adapters/lambda_events.py): runs and
    closed runs' notifications to the executor, wakes to the tick, shards of a herd to the dispatch function
    (None: the stack has none, so the tick never fans out); and alarms to the dispatch function through
    the timer queue, by SendMessageBatch rather than Invoke."""

    runs: Dispatcher
    notifications: NotificationHandOff
    waker: Waker
    shards: ShardDispatcher | None
    timer: Timer | None = None  # alarms on the timer queue (adapters.sqs_timer); None without one


def lambda_invokes(
    settings: Settings,
    clients: AwsClients,
    *,
    dispatcher: Dispatcher | None = None,
    notifications: NotificationHandOff | None = None,
    waker: Waker | None = None,
    shards: ShardDispatcher | None = None,
) -> LambdaInvokes:
    """Every function's hand-offs, through Lambda unless given another (the local stack's, a test's); each
    client made by the first call that needs it, so a function pays only for those it uses."""
    invoke = lambda: clients.lambda_invoke  # noqa: E731
    if shards is None and settings.dispatch_function:
        shards = LambdaShardDispatcher(invoke, settings.dispatch_function)
    return LambdaInvokes(
        runs=dispatcher or LambdaDispatcher(invoke, settings.executor_function),
        notifications=notifications or LambdaNotificationHandOff(invoke, settings.executor_function),
        waker=waker or LambdaWaker(lambda: clients.lambda_async, settings.tick_function),
        shards=shards,
        timer=SqsTimer(lambda: clients.sqs, settings.timer_queue) if settings.timer_queue else None,
    )


def stack_state(settings: Settings, clients: AwsClients) -> StackState | None:
    """The stack's own records (StateTable), for the functions the template gives it to."""
    return StackState(lambda: clients.dynamodb, settings.state_table) if settings.state_table else None


def runner_switch(
    settings: Settings, clients: AwsClients, on_switch: Callable[[bool], None] | None = None
) -> EventBridgeRunnerSwitch:
    """The runner switch over the stack's record and the tick's rule; the heartbeat alarm follows every
    switch, and then `on_switch` hears it."""
    heartbeat = HeartbeatAlarm(lambda: clients.cloudwatch, settings.heartbeat_alarm)

    def switched(running: bool) -> None:
        heartbeat.follow(running)
        if on_switch is not None:
            on_switch(running)

    state = stack_state(settings, clients)
    return EventBridgeRunnerSwitch(lambda: clients.events, settings.runner_rule, state, switched)


# The page-token key's length: HMAC-SHA256's block is 64 bytes, its output 32; 32 random bytes are past guessing.
_PAGE_TOKEN_KEY_BYTES = 32


def page_token_key(settings: Settings, clients: AwsClients) -> Callable[[], bytes]:
    """Reads the stack's page-token key: 32 random bytes made by the first function that needs them and
    kept in StateTable (`put_if_absent`, so two first readers at once agree on the first one's). Without a
    state table (a bare test build), a key of this process's own: its tokens end with the process."""
    state = stack_state(settings, clients)
    if state is None:
        own = os.urandom(_PAGE_TOKEN_KEY_BYTES)
        return lambda: own

    def read() -> bytes:
        # Kept as hex text, not binary: every tool that dumps the tables as JSON reads it as it is.
        made = os.urandom(_PAGE_TOKEN_KEY_BYTES).hex()
        stored = state.get(PAGE_TOKEN_KEY) or state.put_if_absent(PAGE_TOKEN_KEY, {"key": made})
        text = stored.get("key")
        key = bytes.fromhex(text) if isinstance(text, str) and re.fullmatch("[0-9a-f]{64}", text) else b""
        if len(key) != _PAGE_TOKEN_KEY_BYTES:
            raise RuntimeError(f"StateTable's {PAGE_TOKEN_KEY!r} record holds no {_PAGE_TOKEN_KEY_BYTES}-byte key")
        return key

    return read

"""How the functions are put together: AWS clients, the DynamoDB stores and the use cases' dependencies.

Each function's `build(settings, clients, clock)` calls these at Lambda's init phase; the local stack and
the tests call the same `build` with their own clock, sleeper, randomness or dispatcher.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import TYPE_CHECKING

import boto3

from serverless_jobs.adapters.dynamodb.history_store import DynamoHistoryStore
from serverless_jobs.adapters.dynamodb.job_store import DynamoJobStore
from serverless_jobs.ports import Clock
from serverless_jobs.registry import include_packages
from serverless_jobs.settings import Settings
from serverless_jobs.usecases.deps import Deps

if TYPE_CHECKING:
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_lambda import LambdaClient


@dataclass(frozen=True)
class AwsClients:
    """The boto3 clients the functions call besides DynamoDB (which pynamodb's models reach)."""

    lambda_: LambdaClient
    events: EventBridgeClient

    @classmethod
    def create(cls) -> AwsClients:
        return cls(lambda_=boto3.client("lambda"), events=boto3.client("events"))


def deps_on_dynamodb(settings: Settings, clock: Clock, rng: random.Random | None = None) -> Deps:
    """The use cases' dependencies over the settings' tables, clients created now rather than mid-run."""
    include_packages(settings.handler_packages)
    jobs, history = DynamoJobStore(settings.jobs_table), DynamoHistoryStore(settings.history_table)
    jobs.connect()
    history.connect()
    return Deps(settings, jobs, history, clock, rng or random.Random())

"""Other people's vectors as our own tests: every one of croniter's test-suite calls and every schedule example
in AWS's EventBridge and EventBridge Scheduler documentation, asked of `POST /schedules/preview`.

Each vector names its source (repository, file and test, or the documentation's URL). A vector the API
answers differently lists the difference in the data, with the API's answer and the reason (a decision under
docs/decisions/, or a croniter option the API does not have); the test holds the API to that answer too, so a
difference cannot appear, or change, unnoticed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import moto
import pytest

from devtools.api import ApiClient
from devtools.clock import ManualClock
from devtools.functions import build_function
from devtools.resources import create_tables
from devtools.stack import START
from harness.peer_vectors import PreviewAsker, load
from serverless_jobs.settings import Settings
from serverless_jobs.wiring import AwsClients

CRONITER = load("croniter.json")
AWS = load("aws.json")


@pytest.fixture(scope="module")
def asker() -> Iterator[PreviewAsker]:
    """One API function for every vector: a preview reads and writes nothing, so nothing leaks between them."""
    with moto.mock_aws():
        create_tables()
        clock = ManualClock(START)
        yield PreviewAsker(
            ApiClient(build_function("ApiFunction", Settings.from_environment(), AwsClients(), clock)), clock
        )


def check(asker: PreviewAsker, vector: dict[str, Any]) -> None:
    difference = vector.get("difference")
    wanted = vector["expected"] if difference is None else difference["answer"]
    assert asker.answer(vector) == wanted, (vector["source"], difference and difference["reason"])


@pytest.mark.parametrize("vector", CRONITER, ids=[vector["id"] for vector in CRONITER])
def test_croniter_vector(asker: PreviewAsker, vector: dict[str, Any]) -> None:
    check(asker, vector)


@pytest.mark.parametrize("vector", AWS, ids=[vector["id"] for vector in AWS])
def test_aws_documented_example(asker: PreviewAsker, vector: dict[str, Any]) -> None:
    check(asker, vector)


@pytest.mark.parametrize("vectors", [CRONITER, AWS], ids=["croniter", "aws"])
def test_every_difference_says_why(vectors: list[dict[str, Any]]) -> None:
    for vector in vectors:
        difference = vector.get("difference")
        assert difference is None or (difference["reason"] and difference["answer"] != vector["expected"]), vector["id"]


def test_every_aws_example_is_answered_as_aws_documents() -> None:
    assert [vector["id"] for vector in AWS if "difference" in vector] == []

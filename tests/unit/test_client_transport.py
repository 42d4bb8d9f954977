"""The client waits and retries when the API says "later", gives up in the API's words otherwise, and never
repeats a request that is not harmless to repeat. A fake `send` answers; a fake `sleep` waits for nothing."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from urllib.parse import quote

import pytest

from serverless_jobs_client import Conflict, InvalidInput, JobsClient, NotFound, Throttled, Unreachable
from serverless_jobs_client.transport import Backoff, Reply, RetryNote, Transport

NOW = datetime(2026, 11, 28, 9, 45, 39, tzinfo=UTC)
JOB = {"id": "j1", "name": "n", "status": "pending"}


class Script:
    """Answers each request with the next scripted reply (or raises it); records what was sent."""

    def __init__(self, *replies: Reply | OSError) -> None:
        self.replies = list(replies)
        self.sent: list[tuple[str, str, dict[str, str], bytes | None]] = []

    def __call__(self, method: str, url: str, headers: Mapping[str, str], body: bytes | None, timeout: float) -> Reply:
        self.sent.append((method, url, dict(headers), body))
        reply = self.replies.pop(0)
        if isinstance(reply, OSError):
            raise reply
        return reply


def answer(status: int, headers: Mapping[str, str], body: object) -> Reply:
    """The API's answer as it comes over the wire: JSON bytes."""
    return Reply(status, headers, json.dumps(body).encode())


def client_over(script: Script, slept: list[float], retries: int = 5) -> JobsClient:
    # the jitter's draw is its upper bound, so the backoff's growth shows in what was slept
    backoff = Backoff(base_seconds=0.5, cap_seconds=4, now=lambda: NOW, uniform=lambda low, high: high)
    transport = Transport("http://127.0.0.1:3000", send=script, sleep=slept.append, backoff=backoff, retries=retries)
    return JobsClient("http://127.0.0.1:3000", transport=transport)


def throttled(status: int = 429, **headers: str) -> Reply:
    return answer(status, headers, {"message": "Too Many Requests"})


def test_throttling_and_unavailability_are_retried_with_growing_backoff() -> None:
    slept: list[float] = []
    script = Script(throttled(), throttled(503), throttled(), throttled(), answer(200, {}, JOB))

    job = client_over(script, slept).get("j1")

    assert job.id == "j1"
    assert slept == [0.5, 1.0, 2.0, 4.0]  # doubling, capped at 4
    assert len(script.sent) == 5


@pytest.mark.parametrize(
    ("retry_after", "wait"),
    [("3", 3.0), ("Sat, 28 Nov 2026 09:45:49 GMT", 10.0), ("Sat, 28 Nov 2026 09:00:00 GMT", 0.0), ("soon", 0.5)],
)
def test_retry_after_says_how_long_to_wait(retry_after: str, wait: float) -> None:
    slept: list[float] = []
    script = Script(throttled(503, **{"retry-after": retry_after}), answer(200, {}, JOB))

    client_over(script, slept).get("j1")

    assert slept == [wait]


def test_a_create_still_in_progress_is_sent_again_with_the_same_key_and_body() -> None:
    slept: list[float] = []
    in_progress = answer(409, {"Retry-After": "1"}, {"message": "Idempotency-Key 'k' is still being answered"})
    script = Script(throttled(), in_progress, answer(201, {}, JOB))

    job = client_over(script, slept).create(name="n", handler="echo", schedule=None)

    assert job.id == "j1"
    assert slept[1] == 1.0
    keys = {headers["Idempotency-Key"] for _, _, headers, _ in script.sent}
    bodies = {body for _, _, _, body in script.sent}
    assert len(keys) == 1
    assert [json.loads(body or b"") for body in bodies] == [{"name": "n", "handler": "echo"}]  # None: not sent


def test_throttled_to_the_end_raises_with_the_apis_message() -> None:
    slept: list[float] = []
    script = Script(*[throttled()] * 3)

    with pytest.raises(Throttled) as raised:
        client_over(script, slept, retries=2).list_page()

    assert (raised.value.status, raised.value.message) == (429, "Too Many Requests")
    assert len(slept) == 2


@pytest.mark.parametrize(
    ("reply", "kind"),
    [
        (answer(404, {}, {"message": "job 'x' not found"}), NotFound),
        (answer(400, {}, {"message": "schedule: '5 minutes' is not a schedule"}), InvalidInput),
        (answer(413, {}, {"message": "data: is too large"}), InvalidInput),
        (answer(409, {}, {"message": "job 'x' is running"}), Conflict),
    ],
)
def test_a_refusal_is_raised_at_once_with_its_status_and_message(reply: Reply, kind: type[Exception]) -> None:
    slept: list[float] = []

    with pytest.raises(kind) as raised:
        client_over(Script(reply), slept).trigger("x")

    assert str(raised.value) == f"{json.loads(reply.body)['message']} (HTTP {reply.status})"
    assert slept == []


def test_no_answer_is_retried_only_where_a_repeat_is_harmless() -> None:
    slept: list[float] = []
    refused = ConnectionRefusedError("connection refused")

    assert client_over(Script(refused, answer(200, {}, JOB)), slept).pause("j1").id == "j1"
    trigger = Script(refused, answer(202, {}, {"runId": "r1"}))
    with pytest.raises(Unreachable, match="connection refused"):
        client_over(trigger, slept).trigger("j1")  # the first may have run it: running it twice is not harmless

    assert len(trigger.sent) == 1


def test_each_retry_is_told_before_its_wait_and_giving_up_says_how_often_it_tried() -> None:
    slept: list[float] = []
    notes: list[RetryNote] = []
    refused = ConnectionRefusedError("connection refused")
    client = client_over(Script(refused, throttled(503), refused), slept, retries=2)
    client.transport.on_retry = notes.append

    with pytest.raises(Unreachable, match=r"connection refused.*gave up after 3 attempts"):
        client.list_page(status="failed")

    assert [(note.request, note.reason, note.attempt, note.delay) for note in notes] == [
        ("GET /jobs", "no answer (connection refused)", 2, 0.5),  # the query is not part of what is said
        ("GET /jobs", "HTTP 503", 3, 1.0),
    ]
    assert str(notes[0]) == "GET /jobs: no answer (connection refused); retrying (1 of 2) in 0.5s"
    assert slept == [note.delay for note in notes]


def test_a_trigger_without_an_answer_says_it_was_not_retried_and_why() -> None:
    notes: list[RetryNote] = []
    client = JobsClient(
        "http://127.0.0.1:3000",
        transport=Transport("http://127.0.0.1:3000", send=Script(ConnectionRefusedError("refused"))),
        on_retry=notes.append,
    )

    with pytest.raises(Unreachable) as raised:
        client.trigger("j1")

    assert str(raised.value).endswith("(refused); not retried: repeating it is not safe")
    assert notes == []


@pytest.mark.parametrize("job_id", ["bad/id", "a b", "ü?x"])
def test_a_missing_job_is_named_as_the_caller_wrote_it(job_id: str) -> None:
    sent_as = quote(job_id, safe="")
    script = Script(*[answer(404, {}, {"message": f"job '{sent_as}' not found"})] * 2)
    client = client_over(script, [])

    with pytest.raises(NotFound) as raised:
        client.get(job_id)
    with pytest.raises(NotFound) as in_history:
        client.history_page(job_id)

    assert str(raised.value) == str(in_history.value) == f"job '{job_id}' not found (HTTP 404)"
    assert script.sent[0][1] == f"http://127.0.0.1:3000/jobs/{sent_as}"  # sent encoded: one path segment

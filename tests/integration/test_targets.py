"""Jobs with a `target`: each type delivered at the executor's boundary, with the run protocol's outcomes.

The AWS targets are moto's (devtools.resources.create_targets), reached with the executor's role as SAM
deploys it for the test stack's TargetArnPatterns (tests/infrastructure/test_permissions.py checks each
call); webhooks go to a receiver on loopback.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from typing import Any

import boto3
import moto
import pytest

from devtools.clock import ManualClock
from devtools.lambda_target_service import RAISED, TIMED_OUT, LambdaTargetService
from devtools.stack import START, Stack
from devtools.template import ACCOUNT, LOCAL_WEBHOOK_SECRET, TARGET_ARNS, function_spec
from devtools.webhook_receiver import Received, WebhookReceiver
from serverless_jobs.adapters.client_tuning import EXECUTOR_CLIENTS, TARGET_INVOKE_CLIENTS
from serverless_jobs.wiring import AwsClients

pytestmark = pytest.mark.usefixtures("targets")
DATA = {"report": "daily", "n": 3}


@pytest.fixture
def local_stack(aws: list[str]) -> Any:
    """The stack as `make dev` builds it: plain http and loopback allowed, no Lambda service."""
    wired = Stack(ManualClock(START), local_stack=True)
    yield wired
    wired.close()


def run_once(stack: Stack, **target: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Create a one-time job with this target and data, deliver its run; the job and its run as the API shows."""
    job = stack.create(handler=None, target=target, data=DATA)
    stack.deliver()
    [run] = stack.history(job["id"])
    return stack.job(job["id"]), run


def test_an_sqs_target_gets_the_data_as_a_message_and_its_id_is_the_result(stack: Stack) -> None:
    job, run = run_once(stack, type="sqs", arn=TARGET_ARNS["sqs"])

    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName="jobs-target-queue")["QueueUrl"]
    [message] = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"])["Messages"]
    assert (job["status"], job["handler"], job["target"]) == (
        "completed",
        None,
        {"type": "sqs", "arn": TARGET_ARNS["sqs"]},
    )
    assert run["result"] == {"messageId": message["MessageId"]}
    assert json.loads(message["Body"]) == DATA
    assert message["MessageAttributes"]["runId"]["StringValue"] == run["id"]


def test_an_eventbridge_target_puts_one_event_and_its_id_is_the_result(stack: Stack) -> None:
    job, run = run_once(stack, type="eventbridge", busArn=TARGET_ARNS["eventbridge"], detailType="report.due")

    assert job["status"] == "completed"
    assert set(run["result"]) == {"eventId"}
    assert job["target"] == {"type": "eventbridge", "busArn": TARGET_ARNS["eventbridge"], "detailType": "report.due"}


def test_an_eventbridge_targets_event_reaches_a_rules_queue_with_the_data_as_its_detail(stack: Stack) -> None:
    """What a user wires behind the bus: a rule matching the scheduler's events, delivering them to a queue."""
    bus = TARGET_ARNS["eventbridge"].rsplit("/", 1)[1]
    sqs, events = boto3.client("sqs"), boto3.client("events")
    queue = sqs.create_queue(QueueName="bus-listener")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    pattern = {"source": ["serverless-jobs"], "detail-type": ["report.due"]}
    events.put_rule(Name="reports", EventBusName=bus, EventPattern=json.dumps(pattern))
    events.put_targets(Rule="reports", EventBusName=bus, Targets=[{"Id": "listener", "Arn": queue_arn}])

    job, run = run_once(stack, type="eventbridge", busArn=TARGET_ARNS["eventbridge"], detailType="report.due")

    [message] = sqs.receive_message(QueueUrl=queue)["Messages"]
    event = json.loads(message["Body"])
    assert (event["source"], event["detail-type"], event["detail"]) == ("serverless-jobs", "report.due", DATA)
    assert run["result"] == {"eventId": event["id"]}
    assert job["status"] == "completed"


def test_a_stepfunctions_target_starts_an_execution_named_by_the_run(stack: Stack) -> None:
    job, run = run_once(stack, type="stepfunctions", arn=TARGET_ARNS["stepfunctions"])

    [execution] = boto3.client("stepfunctions").list_executions(stateMachineArn=TARGET_ARNS["stepfunctions"])[
        "executions"
    ]
    assert job["status"] == "completed"
    assert run["result"] == {"executionArn": execution["executionArn"]}
    assert execution["name"] == run["id"]
    described = boto3.client("stepfunctions").describe_execution(executionArn=execution["executionArn"])
    assert json.loads(described["input"]) == DATA


def test_a_lambda_target_is_invoked_with_the_data_and_the_runs_ids_and_its_reply_is_the_result(stack: Stack) -> None:
    # moto without Docker answers an invoke with its payload: the result shows what the function was sent.
    with moto.mock_aws(config={"lambda": {"use_docker": False}}):
        role = boto3.client("iam").create_role(RoleName="jobs-target-function", AssumeRolePolicyDocument="{}")
        boto3.client("lambda").create_function(
            FunctionName="jobs-target-function",
            Runtime="python3.13",
            Role=role["Role"]["Arn"],
            Handler="index.handler",
            Code={"ZipFile": b"not run"},
        )
        job, run = run_once(stack, type="lambda", arn=TARGET_ARNS["lambda"])

    assert job["status"] == "completed"
    assert run["result"]["data"] == DATA
    assert (run["result"]["context"]["jobId"], run["result"]["context"]["runId"]) == (job["id"], run["id"])


@pytest.fixture
def lambda_service(aws: list[str], request: pytest.FixtureRequest) -> Iterator[tuple[Stack, LambdaTargetService]]:
    """A stack whose executor's Lambda client reaches a function answering as the test's parameter says."""
    service = LambdaTargetService(**request.param)
    clients = AwsClients(EXECUTOR_CLIENTS, invoke_tuning=TARGET_INVOKE_CLIENTS)  # as the executor makes them
    service.attach(clients.lambda_invoke)
    wired = Stack(ManualClock(START), executor_clients=clients)
    yield wired, service
    wired.close()


@pytest.mark.parametrize(
    ("lambda_service", "error"),
    [
        (
            {"payload": RAISED, "function_error": "Unhandled"},
            'FunctionError (Unhandled): {"errorMessage": "invoice 42 not found", "errorType": "KeyError"',
        ),
        (
            {"payload": TIMED_OUT, "function_error": "Unhandled"},
            'FunctionError (Unhandled): {"errorType": "Sandbox.Timedout", "errorMessage": "RequestId: 1f0c Error: '
            'Task timed out after 3.00 seconds"}',
        ),
        ({"no_answer": True}, "ReadTimeoutError: Read timeout on endpoint URL: "),
    ],
    ids=["function-raised", "function-timed-out", "no-answer"],
    indirect=["lambda_service"],
)
def test_a_lambda_target_whose_function_fails_or_never_answers_fails_the_run_with_its_error_and_retries(
    lambda_service: tuple[Stack, LambdaTargetService], error: str
) -> None:
    stack, service = lambda_service

    job, run = run_once(stack, type="lambda", arn=TARGET_ARNS["lambda"])

    [sent] = service.invoked
    assert (sent["data"], sent["context"]["runId"]) == (DATA, run["id"])
    assert (run["status"], run["result"]) == ("failed", None)
    assert run["error"].startswith(error), run["error"]
    assert (job["status"], job["attempts"], job["lastError"]) == ("pending", 1, run["error"])  # a retry is due


@pytest.mark.parametrize("lambda_service", [{"payload": {"rolledUp": 12}}], indirect=True)
def test_a_lambda_target_returning_is_the_runs_result(lambda_service: tuple[Stack, LambdaTargetService]) -> None:
    stack, _ = lambda_service

    job, run = run_once(stack, type="lambda", arn=TARGET_ARNS["lambda"])

    assert (job["status"], run["status"], run["result"]) == ("completed", "completed", {"rolledUp": 12})


def test_an_aws_target_that_refuses_for_good_fails_the_run_without_retries(stack: Stack) -> None:
    """A queue that does not exist (deleted after the job was made) is not mended by another attempt."""
    boto3.client("sqs").delete_queue(QueueUrl=f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/jobs-target-queue")

    job, run = run_once(stack, type="sqs", arn=TARGET_ARNS["sqs"])

    assert (job["status"], job["attempts"], run["status"]) == ("failed", 1, "failed")
    assert "QueueDoesNotExist" in run["error"] or "NonExistentQueue" in run["error"]


def signed_correctly(request: Received, url: str) -> bool:
    """The receiver's check, written from docs/targets.md: v2, HMAC-SHA256 over the delivery's lines and the body."""
    fields = dict(part.split("=", 1) for part in request.headers["x-serverless-jobs-signature"].split(","))
    ids = [request.headers[f"x-serverless-jobs-{name}"] for name in ("job-id", "run-id", "attempt")]
    signed = "\n".join(["v2", fields["t"], request.method, url, *ids, ""]).encode() + request.body
    expected = hmac.new(LOCAL_WEBHOOK_SECRET.encode(), signed, hashlib.sha256).hexdigest()
    return hmac.compare_digest(fields["v2"], expected)


def test_a_webhook_gets_the_data_signed_and_its_status_and_body_are_the_result(local_stack: Stack) -> None:
    with WebhookReceiver(200).running() as receiver:
        target = {"type": "http", "url": receiver.url, "method": "PUT", "headers": {"Authorization": "Bearer t"}}
        job, run = run_once(local_stack, **target)
        [request] = receiver.received()

    assert (request.method, json.loads(request.body)) == ("PUT", DATA)
    assert signed_correctly(request, receiver.url)
    assert int(request.headers["x-serverless-jobs-signature"].split(",")[0][2:]) == int(START.timestamp())
    assert (request.headers["authorization"], request.headers["x-serverless-jobs-run-id"]) == ("Bearer t", run["id"])
    assert (job["status"], run["result"]) == ("completed", {"status": 200, "body": '{"ok": true}'})


@pytest.mark.parametrize(
    ("status", "retried"), [(404, False), (400, False), (301, False), (408, True), (429, True), (503, True)]
)
def test_a_webhook_answering_408_429_or_5xx_is_retried_and_any_other_failure_is_not(
    local_stack: Stack, status: int, retried: bool
) -> None:
    with WebhookReceiver(status).running() as receiver:
        job, run = run_once(local_stack, type="http", url=receiver.url)

    assert run["status"] == "failed"
    assert run["result"]["status"] == status
    assert run["error"].startswith(f"HTTP {status}")
    assert (job["status"], job["attempts"]) == (("pending", 1) if retried else ("failed", 1))


@pytest.mark.parametrize(
    "url",
    [
        "https://169.254.169.254/latest/meta-data/",
        "https://localhost:9/hook",
        "https://10.1.2.3/hook",
        "https://[fec0::1]/",
    ],
)
def test_on_aws_a_webhook_to_metadata_loopback_or_a_private_network_fails_for_good_unsent(
    stack: Stack, url: str
) -> None:
    job, run = run_once(stack, type="http", url=url)

    assert (job["status"], job["attempts"], run["status"]) == ("failed", 1, "failed")
    assert "resolves to an address that is not public" in run["error"]
    assert run["result"] is None


def test_on_the_local_stack_a_lambda_target_fails_its_run_saying_it_needs_aws(local_stack: Stack) -> None:
    job, run = run_once(local_stack, type="lambda", arn=TARGET_ARNS["lambda"])

    assert (job["status"], job["attempts"]) == ("failed", 1)
    assert "needs AWS" in run["error"]


def test_a_job_switches_from_its_handler_to_a_target_and_back(stack: Stack) -> None:
    job = stack.create(data=DATA)
    sqs = {"type": "sqs", "arn": TARGET_ARNS["sqs"]}

    switched = stack.api.put(f"/jobs/{job['id']}", {"target": sqs}).body
    back = stack.api.put(f"/jobs/{job['id']}", {"handler": "echo"}).body

    assert (switched["handler"], switched["target"]) == (None, sqs)
    assert (back["handler"], back["target"]) == ("echo", None)


def test_a_switch_may_send_the_replaced_one_as_null_as_the_job_shows_it(stack: Stack) -> None:
    job = stack.create(data=DATA)
    sqs = {"type": "sqs", "arn": TARGET_ARNS["sqs"]}

    switched = stack.api.put(f"/jobs/{job['id']}", {"target": sqs, "handler": None})
    back = stack.api.put(f"/jobs/{job['id']}", {"handler": "echo", "target": None})

    assert (switched.status, switched.body["handler"], switched.body["target"]) == (200, None, sqs)
    assert (back.status, back.body["handler"], back.body["target"]) == (200, "echo", None)


OTHER_QUEUE = f"arn:aws:sqs:us-east-1:{ACCOUNT}:not-listed"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"target": {"type": "sqs", "arn": OTHER_QUEUE}},
            "target.arn: is outside the ARNs this stack may reach (TargetArnPatterns: ",
        ),
        ({"handler": "echo", "target": {"type": "sqs", "arn": TARGET_ARNS["sqs"]}}, "target: a job has either"),
        ({}, "handler: is required, unless the job has a target"),
        ({"target": {"type": "sqs", "arn": TARGET_ARNS["lambda"]}}, "target.arn: is not a sqs target's ARN"),
        ({"target": {"type": "ftp", "arn": "x"}}, "target: type must be one of lambda, http, sqs"),
        ({"target": {"arn": TARGET_ARNS["sqs"]}}, "target: needs a type"),
        ({"target": {"type": "http"}}, "target.url: is required"),
        ({"target": {"type": "http", "url": "http://example.com/"}}, "target.url: must be https://"),
        ({"target": {"type": "http", "url": "https://u:p@example.com/"}}, "target.url: must not carry credentials"),
        ({"target": {"type": "http", "url": "https://example.com", "method": "GET"}}, "target.method: "),
        (
            {"target": {"type": "http", "url": "https://example.com", "headers": {"Host": "x"}}},
            "target.headers.Host: is set by serverless-jobs",
        ),
        (
            {"target": {"type": "http", "url": "https://example.com", "headers": {"X-A": "1\r\nX-B: 2"}}},
            "target.headers.X-A: contains a line break",
        ),
        ({"target": {"type": "eventbridge", "busArn": TARGET_ARNS["eventbridge"]}}, "target.detailType: is required"),
        ({"target": {"type": "http", "url": "https://example.com/café"}}, "target.url: has a character outside ASCII"),
        ({"target": {"type": "http", "url": "https://bücher.example/"}}, "target.url: has a character outside ASCII"),
        (
            {"target": {"type": "http", "url": "https://example.com", "headers": {"X-A": "\u2603"}}},
            "target.headers.X-A: has a character outside Latin-1",
        ),
        (
            {"notify": {"onFailure": {"type": "http", "url": "https://example.com/café"}}},
            "notify.onFailure.url: has a character outside ASCII",
        ),
        (
            {"notify": {"onSuccess": {"type": "http", "url": "https://example.com", "headers": {"X-A": "a\nb"}}}},
            "notify.onSuccess.headers.X-A: contains a line break",
        ),
        (
            {
                "handler": "echo",
                "notify": {"onSuccess": {"type": "http", "url": "https://e.com", "headers": {"A": "\u2603"}}},
            },
            "notify.onSuccess.headers.A: has a character outside Latin-1",
        ),
    ],
)
def test_an_invalid_or_unreachable_target_is_a_400_naming_the_field_and_changes_nothing(
    stack: Stack, snapshot: Any, fields: dict[str, Any], message: str
) -> None:
    before = snapshot()

    reply = stack.api.post("/jobs", {"name": "job", **fields})

    assert reply.status == 400
    assert reply.body["message"].startswith(message), reply.body["message"]
    assert snapshot() == before


def test_an_update_to_an_unreachable_target_names_the_parameter_to_change(stack: Stack) -> None:
    job = stack.create()

    reply = stack.api.put(f"/jobs/{job['id']}", {"target": {"type": "stepfunctions", "arn": OTHER_QUEUE}})
    other_machine = TARGET_ARNS["stepfunctions"] + "-2"
    refused = stack.api.put(f"/jobs/{job['id']}", {"target": {"type": "stepfunctions", "arn": other_machine}})

    assert reply.status == 400  # not a state machine's ARN at all
    assert refused.status == 400
    assert refused.body["message"].endswith("add it to the TargetArnPatterns parameter and deploy")
    assert stack.job(job["id"])["handler"] == "echo"


@pytest.mark.parametrize("where", ["target", "notify.onSuccess"])
def test_a_webhooks_url_and_headers_read_back_as_given_and_reach_the_receiver_as_stored(
    local_stack: Stack, where: str
) -> None:
    """A percent-encoded path and query, and a Latin-1 header value, are stored, shown and sent unchanged,
    by a job's target and by its notification alike."""
    with WebhookReceiver(200).running() as receiver:
        url = receiver.url + "/caf%C3%A9?q=a%20b&x=%E2%98%83"
        webhook = {"type": "http", "url": url, "method": "POST", "headers": {"X-Place": "Café\tdu Nord"}}
        fields = {"target": webhook} if where == "target" else {"handler": "echo", "notify": {"onSuccess": webhook}}
        created = local_stack.create(data=DATA, **({"handler": None} | fields))
        local_stack.deliver()
        [request] = receiver.received()

    job = local_stack.job(created["id"])
    shown = job["target"] if where == "target" else job["notify"]["onSuccess"]
    assert shown == webhook
    assert (request.path, request.headers["x-place"]) == ("/hook/caf%C3%A9?q=a%20b&x=%E2%98%83", "Café\tdu Nord")
    assert signed_correctly(request, url)
    assert job["status"] == "completed"


def test_an_update_to_a_webhook_that_cannot_be_sent_is_a_400_and_changes_nothing(stack: Stack) -> None:
    job = stack.create()

    url = stack.api.put(f"/jobs/{job['id']}", {"target": {"type": "http", "url": "https://example.com/café"}})
    header = stack.api.put(
        f"/jobs/{job['id']}",
        {"target": {"type": "http", "url": "https://example.com/", "headers": {"X-Snow": "\u2603"}}},
    )

    assert (url.status, header.status) == (400, 400)
    assert url.body["message"].startswith("target.url: has a character outside ASCII ('é')")
    assert header.body["message"].startswith("target.headers.X-Snow: has a character outside Latin-1")
    assert (stack.job(job["id"])["handler"], stack.job(job["id"])["target"]) == ("echo", None)


@pytest.fixture
def broad_stack(aws: list[str]) -> Any:
    """A stack whose TargetArnPatterns allow every function and queue of the account, as a careless
    deployer's `arn:aws:lambda:*,arn:aws:sqs:*` would."""
    wired = Stack(ManualClock(START), target_arn_patterns=("arn:aws:lambda:*", "arn:aws:sqs:*"))
    yield wired
    wired.close()


def own_targets() -> dict[str, dict[str, str]]:
    """The stack's own functions and queue, named as the template deploys them on the test stack."""
    environment = function_spec("ApiFunction").environment
    tick, queue = environment["TICK_FUNCTION"], environment["DEAD_LETTER_QUEUE"].rsplit("/", 1)[1]
    lambda_arn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:"
    return {
        "executor": {"type": "lambda", "arn": lambda_arn + environment["EXECUTOR_FUNCTION"]},
        "executor-alias": {"type": "lambda", "arn": lambda_arn + environment["EXECUTOR_FUNCTION"] + ":live"},
        "dispatch": {"type": "lambda", "arn": lambda_arn + environment["DISPATCH_FUNCTION"]},
        "tick": {"type": "lambda", "arn": lambda_arn + tick},
        "dead-letter-queue": {"type": "sqs", "arn": f"arn:aws:sqs:us-east-1:{ACCOUNT}:{queue}"},
    }


@pytest.mark.parametrize("own", own_targets().values(), ids=own_targets().keys())
def test_the_stacks_own_functions_and_queue_are_never_targets_whatever_the_patterns_allow(
    broad_stack: Stack, own: dict[str, str]
) -> None:
    job = broad_stack.create(schedule="1h")

    created = broad_stack.api.post("/jobs", {"name": "job", "target": own})
    updated = broad_stack.api.put(f"/jobs/{job['id']}", {"target": own})
    notified = broad_stack.api.put(f"/jobs/{job['id']}", {"notify": {"onFailure": own}})

    assert (created.status, updated.status, notified.status) == (400, 400, 400)
    assert created.body["message"].startswith("target.arn: is one of this stack's own functions or queues")
    assert notified.body["message"].startswith("notify.onFailure.arn: is one of this stack's own")
    assert (broad_stack.job(job["id"])["target"], broad_stack.job(job["id"])["notify"]) == (None, None)
    assert broad_stack.api.get("/jobs").body["jobs"] == [broad_stack.job(job["id"])]  # nothing created


def test_the_api_refuses_itself_by_the_name_lambda_gives_it(aws: list[str]) -> None:
    """The API cannot name its own function in the template (a cycle): Lambda's runtime tells it."""
    wired = Stack(ManualClock(START), target_arn_patterns=("arn:aws:lambda:*",), function_name="jobs-ApiFunction-x1")
    try:
        itself = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:jobs-ApiFunction-x1"
        mine = wired.api.post("/jobs", {"name": "j", "target": {"type": "lambda", "arn": itself}})
        other = wired.api.post("/jobs", {"name": "j", "target": {"type": "lambda", "arn": TARGET_ARNS["lambda"]}})
    finally:
        wired.close()

    assert mine.status == 400, mine.body
    assert other.status == 201, other.body

"""Each function may make exactly the AWS calls it makes: proven on the roles SAM deploys, both ways.

tests/conftest.py records every call the functions make in every test (in this process and in each local
stack) and fails the test that made one its function's deployed role does not allow. These tests prove that
check can fail, and that no grant goes unused without a stated reason.
"""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

import pytest

from devtools.aws_calls import AwsCall, running_function
from devtools.call_log import CALLS
from devtools.clock import ManualClock
from devtools.stack import START, Stack
from devtools.template import ACCOUNT, REGION, TARGET_ARNS, WEBHOOK_SECRET_PARAMETER, Deployment, translated_template
from harness.call_log import incomplete_because
from harness.permissions import Permissions, deployed_permissions, unaccounted_grants
from serverless_jobs.domain.timefmt import iso_z
from serverless_jobs.registry import RunContext, registered_for_now

JOBS_TABLE = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/JobsTable"
JOBS_TABLE_ARN = {"Fn::GetAtt": ["JobsTable", "Arn"]}  # as the template writes it
EXECUTOR_FUNCTION = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:ExecutorFunction"
DISPATCH_FUNCTION = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:DispatchFunction"
DEAD_LETTER_QUEUE = f"arn:aws:sqs:{REGION}:{ACCOUNT}:DeadLetterQueue"
TIMER_QUEUE = f"arn:aws:sqs:{REGION}:{ACCOUNT}:TimerQueue"
SQS_MAPPING = (
    "TimerMapping, the event source mapping on TimerQueue: Lambda's pollers receive the alarms and delete what "
    "was delivered with DispatchFunction's role (the local stack plays it outside any function)"
)
LAMBDA_LOGS = "AWSLambdaBasicExecutionRole, which SAM attaches: the Lambda service writes the function's logs"
XRAY = "AWSXrayWriteOnlyAccess, which SAM attaches for `Tracing: Active`: Lambda sends the traces (off in tests)"
XRAY_SAMPLING = "AWSXrayWriteOnlyAccess, which SAM attaches for `Tracing: Active`; unused on Lambda, which samples"
BESIDE_0_2_0 = (
    "0.2.0 writes these items with PutItem; this release writes them with UpdateItem (so a later release's "
    "attributes survive), and keeps the grant for 0.2.0's code that runs beside it during an update"
)

# The one list of grants no test exercises, each with the reason it is granted.
UNEXERCISED_GRANTS = {
    ("logs:CreateLogGroup", "*"): LAMBDA_LOGS,
    ("logs:CreateLogStream", "*"): LAMBDA_LOGS,
    ("logs:PutLogEvents", "*"): LAMBDA_LOGS,
    ("xray:PutTraceSegments", "*"): XRAY,
    ("xray:PutTelemetryRecords", "*"): XRAY,
    ("xray:GetSamplingRules", "*"): XRAY_SAMPLING,
    ("xray:GetSamplingTargets", "*"): XRAY_SAMPLING,
    ("xray:GetSamplingStatisticSummaries", "*"): XRAY_SAMPLING,
    ("dynamodb:PutItem", f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/HistoryTable"): BESIDE_0_2_0,
    ("dynamodb:Scan", JOBS_TABLE): (
        "0.2.0's API lists jobs without a status by Scan (this release merges the byStatus index's queries); "
        "kept for 0.2.0's code that runs beside it during an update, and for a rollback to it"
    ),
    ("sqs:ReceiveMessage", TIMER_QUEUE): SQS_MAPPING,
    ("sqs:DeleteMessage", TIMER_QUEUE): SQS_MAPPING,
    ("sqs:GetQueueAttributes", TIMER_QUEUE): SQS_MAPPING,
    ("sqs:SendMessage", DEAD_LETTER_QUEUE): (
        "SAM's OnFailure destination policy: Lambda, with the executor's role, puts a dispatch event it "
        "could not deliver on the dead-letter queue"
    ),
}


def grant_statement(template: dict[str, Any], policy_name: str, resource: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """A copy of the translated template, and in it the statement of `policy_name` on `resource`, to edit."""
    changed = copy.deepcopy(template)
    for role in changed["Resources"].values():
        for policy in role.get("Properties", {}).get("Policies", []):
            for statement in policy["PolicyDocument"]["Statement"] if policy["PolicyName"] == policy_name else []:
                if statement["Resource"] == resource:
                    return changed, statement
    raise AssertionError(f"{policy_name} has no statement on {resource}")


def test_a_grant_taken_out_of_the_template_fails_the_test_naming_function_action_resource_and_test(
    stack: Stack, request: pytest.FixtureRequest
) -> None:
    mark = CALLS.mark()
    job = stack.create()  # one-time: dispatched at once, then run by the executor, which finishes it
    [result] = stack.deliver()
    assert (result["outcome"], stack.job(job["id"])["status"]) == ("completed", "completed")
    calls = CALLS.since(mark)
    template = translated_template()
    lacking, statement = grant_statement(template, "ExecutorFunctionRolePolicy0", JOBS_TABLE_ARN)
    statement["Action"].remove("dynamodb:UpdateItem")

    test = request.node.nodeid
    assert Permissions(Deployment(lacking)).denials(calls, test) == [
        f"ExecutorFunction may not dynamodb:UpdateItem on {JOBS_TABLE} (made in {test}): no statement allows it"
    ]
    assert Permissions(Deployment(template)).denials(calls, test) == []


def test_grants_of_the_template_name_their_resources_without_wildcards() -> None:
    own = [grant for grant in deployed_permissions().grants() if not grant.policy.aws_managed]
    assert own
    broad = [grant for grant in own if "*" in grant.resource or "?" in grant.resource]
    assert broad == []


def test_calls_made_in_the_dispatchers_threads_count_as_the_ticks(stack: Stack) -> None:
    due_at = iso_z(stack.clock.now() + timedelta(seconds=30))
    for _ in range(3):
        stack.create(runAt=due_at)
    stack.clock.advance(31)
    mark = CALLS.mark()

    assert stack.tick()["dispatched"] == 3  # three invokes at once, through the dispatcher's thread pool
    invokes = [call for call in CALLS.since(mark) if call.action == "lambda:InvokeFunction"]
    assert invokes == [AwsCall("TickFunction", "lambda:InvokeFunction", EXECUTOR_FUNCTION)] * 3


def test_a_herds_hand_offs_count_as_the_ticks_and_the_dispatch_invocations_calls_as_their_own(aws: list[str]) -> None:
    stack = Stack(ManualClock(START), fan_out_threshold=2, due_shards=1)
    try:
        due_at = iso_z(stack.clock.now() + timedelta(seconds=30))
        for _ in range(3):
            stack.create(runAt=due_at)
        stack.clock.advance(31)
        mark = CALLS.mark()

        assert stack.tick()["handed"] == 1
        calls = CALLS.since(mark)
    finally:
        stack.close()
    assert [call for call in calls if call.function == "TickFunction" and call.action == "lambda:InvokeFunction"] == [
        AwsCall("TickFunction", "lambda:InvokeFunction", DISPATCH_FUNCTION)
    ]
    assert [call for call in calls if call.action == "dynamodb:UpdateItem"] == [
        AwsCall("DispatchFunction", "dynamodb:UpdateItem", JOBS_TABLE)
    ] * 3
    assert [call for call in calls if call.resource == EXECUTOR_FUNCTION] == [
        AwsCall("DispatchFunction", "lambda:InvokeFunction", EXECUTOR_FUNCTION)
    ] * 3


def test_calls_a_job_handler_makes_count_as_the_executors(stack: Stack) -> None:
    """A handler runs with the executor's role on AWS, so its calls are checked against that role too."""

    def whose_calls(data: dict[str, Any], ctx: RunContext) -> str | None:
        return running_function.get()

    with registered_for_now("test-whose-calls", whose_calls):
        job = stack.create(handler="test-whose-calls")
        stack.deliver()

    assert stack.history(job["id"])[0]["result"] == "ExecutorFunction"


def test_a_grant_no_call_uses_is_reported_unless_a_reason_is_given() -> None:
    deployed = deployed_permissions().grants()
    # Every grant used, as a whole session uses them, except those with a reason.
    calls = [AwsCall(grant.function, grant.action, grant.resource) for grant in deployed]
    calls = [call for call in calls if (call.action, call.resource) not in UNEXERCISED_GRANTS]
    extra, statement = grant_statement(translated_template(), "ExecutorFunctionRolePolicy0", JOBS_TABLE_ARN)
    statement["Action"].append("dynamodb:DeleteItem")
    more = Permissions(Deployment(extra)).grants()

    assert unaccounted_grants(deployed, calls, UNEXERCISED_GRANTS) == []
    assert unaccounted_grants(more, calls, UNEXERCISED_GRANTS) == [
        f"ExecutorFunction dynamodb:DeleteItem on {JOBS_TABLE} (ExecutorFunctionRolePolicy0): "
        "granted, yet no test made such a call, and no reason is given"
    ]


@pytest.mark.after_all_tests
def test_every_grant_is_used_by_some_test_or_has_a_stated_reason(request: pytest.FixtureRequest) -> None:
    incomplete = incomplete_because(request.session)
    if incomplete is not None:
        pytest.skip(f"needs the calls of the whole integration suite and the operations template's; {incomplete}")
    failed = request.session.testsfailed
    note = f" ({failed} tests failed, so some of their calls may be missing)" if failed else ""

    problems = unaccounted_grants(deployed_permissions().grants(), list(CALLS.seen), UNEXERCISED_GRANTS)
    assert problems == [], f"least privilege{note}:\n" + "\n".join(problems)


def test_with_the_default_empty_target_parameters_the_executor_may_reach_no_target() -> None:
    """TargetArnPatterns and WebhookSecretParameter empty (their defaults): the conditional grants vanish."""
    defaults = Permissions(Deployment(translated_template(), parameters={})).grants()
    on_the_test_stack = deployed_permissions().grants()

    def targets(grants: list[Any]) -> set[tuple[str, str]]:
        services = ("lambda:", "sqs:", "events:", "states:", "ssm:")
        return {
            (g.action, g.resource) for g in grants if g.function == "ExecutorFunction" and g.action.startswith(services)
        }

    wake = {
        grant for grant in targets(defaults) if grant[1].split(":function:")[-1].startswith("serverless-jobs-tick-")
    }
    assert {action for action, _ in wake} == {"lambda:InvokeFunction"}  # the executor wakes the tick
    # and SAM's OnFailure destination, and the timer's alarms (decision 0075)
    always = {("sqs:SendMessage", DEAD_LETTER_QUEUE), ("sqs:SendMessage", TIMER_QUEUE)} | wake
    assert targets(defaults) == always
    assert targets(on_the_test_stack) == always | {
        (f"{service}:{action}", arn)
        for (service, action), arn in zip(
            [
                ("lambda", "InvokeFunction"),
                ("sqs", "SendMessage"),
                ("events", "PutEvents"),
                ("states", "StartExecution"),
            ],
            TARGET_ARNS.values(),
            strict=True,
        )
    } | {("ssm:GetParameter", f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter{WEBHOOK_SECRET_PARAMETER}")}

"""What the template promises: the tables, indexes, wiring and safety settings the product relies on."""

from __future__ import annotations

from typing import Any

import pytest

from devtools.template import Deployment, function_ids, function_spec, load_template, resolve, resources
from serverless_jobs.settings import Settings, SettingsError


def table(name: str) -> dict[str, Any]:
    properties: dict[str, Any] = resources("AWS::DynamoDB::Table")[name]["Properties"]
    return properties


def index(table_name: str, index_name: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [
        gsi for gsi in table(table_name)["GlobalSecondaryIndexes"] if gsi["IndexName"] == index_name
    ]
    assert len(found) == 1
    return found[0]


def test_due_index_is_sharded_by_due_shard_and_sorted_by_next_run() -> None:
    keys = index("JobsTable", "due")["KeySchema"]
    assert keys == [
        {"AttributeName": "dueShard", "KeyType": "HASH"},
        {"AttributeName": "nextRunAt", "KeyType": "RANGE"},
    ]
    types = {d["AttributeName"]: d["AttributeType"] for d in table("JobsTable")["AttributeDefinitions"]}
    assert (types["dueShard"], types["nextRunAt"]) == ("S", "N")


def test_listing_by_status_has_its_own_index() -> None:
    assert [key["AttributeName"] for key in index("JobsTable", "byStatus")["KeySchema"]] == [
        "status",
        "createdAt",
    ]


def test_history_is_one_query_per_job_with_ttl() -> None:
    history = table("HistoryTable")
    assert [key["AttributeName"] for key in history["KeySchema"]] == ["jobId", "runKey"]
    assert history["TimeToLiveSpecification"] == {"AttributeName": "expiresAt", "Enabled": True}


@pytest.mark.parametrize("name", ["JobsTable", "HistoryTable", "LabelsTable"])
def test_tables_are_durable(name: str) -> None:
    spec = resources("AWS::DynamoDB::Table")[name]
    assert spec["DeletionPolicy"] == spec["UpdateReplacePolicy"] == "Retain"
    assert spec["Properties"]["BillingMode"] == "PAY_PER_REQUEST"
    assert spec["Properties"]["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert spec["Properties"]["SSESpecification"]["SSEEnabled"] is True


def test_idempotency_records_are_kept_as_powertools_expects_and_expire() -> None:
    records = table("IdempotencyTable")
    assert records["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert records["TimeToLiveSpecification"] == {"AttributeName": "expiration", "Enabled": True}
    assert records["BillingMode"] == "PAY_PER_REQUEST"
    assert records["SSESpecification"]["SSEEnabled"] is True
    assert function_spec("ApiFunction").environment["IDEMPOTENCY_TABLE"] == "IdempotencyTable"


def test_executor_is_never_retried_by_lambda_and_undeliverable_events_reach_a_queue() -> None:
    config = resources("AWS::Serverless::Function")["ExecutorFunction"]["Properties"]["EventInvokeConfig"]
    assert config["MaximumRetryAttempts"] == 0
    on_failure = config["DestinationConfig"]["OnFailure"]
    assert on_failure["Type"] == "SQS"
    assert on_failure["Destination"] == {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]}


def test_tick_rule_fires_every_minute_and_is_the_one_the_runner_switches() -> None:
    [(_, rule)] = resources("AWS::Events::Rule").items()
    assert rule["Properties"]["ScheduleExpression"] == "rate(1 minute)"
    assert rule["Properties"]["Targets"][0]["Arn"] == {"Fn::GetAtt": ["TickFunction", "Arn"]}
    rule_name = function_spec("ApiFunction").environment["RUNNER_RULE"]
    assert function_spec("TickFunction").environment["RUNNER_RULE"] == rule_name
    assert rule_name == resolve({"Ref": "TickRule"})


def test_api_is_iam_authenticated_and_throttled() -> None:
    api = resources("AWS::Serverless::Api")["Api"]["Properties"]
    assert api["Auth"]["DefaultAuthorizer"] == "AWS_IAM"
    [method] = api["MethodSettings"]
    assert {"ThrottlingRateLimit", "ThrottlingBurstLimit"} <= set(method)


def test_runtime_and_architecture() -> None:
    template = load_template()
    assert template["Globals"]["Function"]["Runtime"] == "python3.13"
    assert template["Parameters"]["Architecture"]["Default"] == "arm64"
    assert template["Globals"]["Function"]["Architectures"] == [{"Ref": "Architecture"}]


@pytest.mark.parametrize("logical_id", function_ids())
def test_every_function_handler_exists_and_its_environment_configures_the_core(logical_id: str) -> None:
    spec = function_spec(logical_id)
    source = spec.code_dir / f"{spec.module}.py"
    assert source.is_file()
    known = {name.upper() for name in Settings.__dataclass_fields__}
    # Every variable the template sets for the core is one the core reads, and vice versa for the tables.
    core_variables = {key for key in spec.environment if not key.startswith("POWERTOOLS_")}
    assert core_variables <= known
    assert {"JOBS_TABLE", "HISTORY_TABLE", "DUE_SHARDS"} <= core_variables


def test_functions_that_dispatch_know_the_executor() -> None:
    for logical_id in ("ApiFunction", "TickFunction", "DispatchFunction"):
        assert function_spec(logical_id).environment["EXECUTOR_FUNCTION"] == "ExecutorFunction"


def test_the_tick_hands_herds_to_the_dispatch_function_beyond_the_threshold_parameter() -> None:
    environment = function_spec("TickFunction").environment
    assert environment["DISPATCH_FUNCTION"] == "DispatchFunction"
    assert environment["FAN_OUT_THRESHOLD"] == str(load_template()["Parameters"]["FanOutThreshold"]["Default"])
    assert Settings.from_environment(environment).fan_out_threshold == 200


@pytest.mark.parametrize("value", ["0", "-3", "many", "1.5"])
def test_a_fan_out_threshold_that_is_not_a_positive_whole_number_stops_the_function_naming_it(value: str) -> None:
    environment = {**function_spec("TickFunction").environment, "FAN_OUT_THRESHOLD": value}
    with pytest.raises(SettingsError, match="FAN_OUT_THRESHOLD"):
        Settings.from_environment(environment)


def test_a_hand_off_is_never_retried_nor_delivered_stale_by_lambda() -> None:
    """A failed hand-off loses nothing (its jobs stay due): Lambda's retries would only work the shard twice."""
    config = resources("AWS::Serverless::Function")["DispatchFunction"]["Properties"]["EventInvokeConfig"]
    assert (config["MaximumRetryAttempts"], config["MaximumEventAgeInSeconds"]) == (0, 60)


@pytest.mark.parametrize(("value", "reserved"), [("0", None), ("25", "25")])
def test_max_concurrent_runs_reserves_the_executors_concurrency_unless_zero(value: str, reserved: str | None) -> None:
    assert load_template()["Parameters"]["MaxConcurrentRuns"]["Default"] == 0
    executor = resources("AWS::Serverless::Function")["ExecutorFunction"]["Properties"]
    deployed = Deployment(load_template(), parameters={"MaxConcurrentRuns": value}).resolve(executor)
    assert deployed.get("ReservedConcurrentExecutions") == reserved

"""A cold function loads only what its first request needs (bench.cold_start measures what that saves).

Each function is loaded in a fresh interpreter as Lambda loads it, with tracing off, and serves its first
request against a local moto server; then the test looks at what that process imported.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from bench.cold_start import FIRST_REQUESTS, FUNCTION_PROCESS, function_command, moto_server

# After the reply, the process prints which of these it imported, and its garbage collector's state.
REPORT = """
import gc
print(json.dumps(sorted(name for name in sys.modules if name in {NAMES})))
print(json.dumps({"collecting": gc.isenabled(), "frozen": gc.get_freeze_count()}))
"""
# boto3 (botocore serves), the X-Ray SDK (tracing is off), Powertools' idempotency (no create with a key),
# Powertools' OpenAPI models and Swagger UI (only /swagger needs them), croniter (no cron is parsed).
NEVER_ON_A_FIRST_REQUEST = [
    "boto3",
    "aws_xray_sdk.core",
    "aws_lambda_powertools.utilities.idempotency",
    "aws_lambda_powertools.event_handler.openapi.models",
    "aws_lambda_powertools.event_handler.openapi.swagger_ui",
    "croniter",
]


@pytest.mark.parametrize("logical_id", sorted(FIRST_REQUESTS))
def test_a_cold_function_serves_its_first_request_without_what_it_does_not_need(logical_id: str) -> None:
    with moto_server():
        arguments, environment = function_command(logical_id)
        arguments[2] = FUNCTION_PROCESS + REPORT.replace("{NAMES}", repr(set(NEVER_ON_A_FIRST_REQUEST)))
        done = subprocess.run(arguments, env=environment, capture_output=True, text=True, check=False, timeout=60)

    assert done.returncode == 0, done.stderr
    *_, reply, imported, collector = done.stdout.strip().splitlines()
    assert json.loads(reply).get("error") is None
    assert json.loads(imported) == []
    # init ran without collection (serverless_jobs.init_phase); requests run with it, init's objects frozen
    assert json.loads(collector)["collecting"] is True
    assert json.loads(collector)["frozen"] > 10_000

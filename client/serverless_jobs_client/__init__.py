"""A Python client for the serverless-jobs API, and the `serverless-jobs` command built on it.

from serverless_jobs_client import JobsClient

jobs = JobsClient("http://127.0.0.1:3000")  # or the stack's ApiUrl, signed with your AWS credentials
job = jobs.create(name="nightly report", handler="echo", schedule="0 2 * * *", timezone="Europe/Paris")
"""

from serverless_jobs_client.client import BulkAction, JobsClient
from serverless_jobs_client.errors import (
    AccessDenied,
    ApiError,
    ClientError,
    Conflict,
    InvalidInput,
    NotFound,
    ServerError,
    Throttled,
    Unreachable,
)
from serverless_jobs_client.models import BulkResult, Job, Page, Run
from serverless_jobs_client.stacks import api_url_of_stack
from serverless_jobs_client.watch import WaitTimedOut, follow_history, wait_for_run

__all__ = [
    "AccessDenied",
    "ApiError",
    "BulkAction",
    "BulkResult",
    "ClientError",
    "Conflict",
    "InvalidInput",
    "Job",
    "JobsClient",
    "NotFound",
    "Page",
    "Run",
    "ServerError",
    "Throttled",
    "Unreachable",
    "WaitTimedOut",
    "api_url_of_stack",
    "follow_history",
    "wait_for_run",
]

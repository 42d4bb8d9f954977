"""Which AWS errors mean "try again later": throttling, a 5xx, a timeout or a lost connection.

botocore has already retried such a call (adapters/client_tuning.py) when one reaches the functions; the API
answers it 503 with `Retry-After` rather than 500, since the same request may well succeed in a moment.
"""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import PynamoDBException

# botocore's own throttling and transient codes (botocore.retries.standard), and DynamoDB's 5xx codes.
TRANSIENT_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "LimitExceededException",
        "RequestTimeout",
        "RequestTimeoutException",
        "PriorRequestNotComplete",
        "InternalServerError",
        "InternalFailure",
        "InternalException",
        "ServiceUnavailable",
        "ServiceException",
        "TransactionConflictException",
    }
)


def is_transient(error: BaseException) -> bool:
    """True for an AWS error that a later retry may not meet, however pynamodb or boto3 wrapped it."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, BotoCoreError):  # a timeout or a connection that failed or closed
            return True
        if isinstance(seen, ClientError):
            status = seen.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            return seen.response.get("Error", {}).get("Code") in TRANSIENT_CODES or status >= 500
        cause = seen.cause if isinstance(seen, PynamoDBException) else None
        seen = cause or seen.__cause__
    return False

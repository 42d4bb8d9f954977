"""The one idiom of a conditional write: a failed condition is an answer (another writer got there first,
or our own earlier try did), any other failure is raised."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from botocore.exceptions import ClientError
from pynamodb.exceptions import DeleteError, PutError, PynamoDBException, UpdateError


@dataclass
class Written:
    """Whether the write in a `conditional_write` block was made: False when its condition failed."""

    done: bool = True


@contextmanager
def conditional_write() -> Iterator[Written]:
    """`with conditional_write() as write: item.update(..., condition=...)`, then `write.done`.

    Only a put, update or delete failing its condition is taken; a transaction's failure (TransactWriteError:
    which of its items failed is the caller's to read) and every other error pass through.
    """
    written = Written()
    try:
        yield written
    except (PutError, UpdateError, DeleteError) as error:
        if not condition_failed(error):
            raise
        written.done = False


def condition_failed(error: PynamoDBException) -> bool:
    """Whether a write failed its condition.

    Not pynamodb's `cause_response_code`, which itself raises when the cause is a timeout (no response).
    """
    cause = error.cause
    code = cause.response.get("Error", {}).get("Code") if isinstance(cause, ClientError) else None
    return code == "ConditionalCheckFailedException"

"""Create at most once: `POST /jobs` with an `Idempotency-Key`, on Powertools' idempotency utility.

The first request with a key claims it in the idempotency table (a conditional PutItem) and stores its
answer there; a repeat within 24 h with the same body gets that answer back without creating anything, a
repeat with another body is refused, and one arriving while the first still runs is told to retry. A
request that is refused (400) releases its key, so fixing the body and sending it again with the same key
works. Keys are scoped to this API, not to the caller: every caller may read and change every job, so
per-caller keys would protect nothing, and a retry must converge even when the caller's credentials (and
so its IAM session) changed in between.
"""

from __future__ import annotations

import base64
import hashlib
import json
import zlib
from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Header
from pydantic import AfterValidator

from serverless_jobs.domain.errors import Conflict, InvalidInput
from serverless_jobs.settings import SettingsError

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig
    from aws_lambda_powertools.utilities.idempotency.serialization.base import BaseIdempotencySerializer
    from aws_lambda_powertools.utilities.typing import LambdaContext
    from mypy_boto3_dynamodb import DynamoDBClient

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
REPLAY_SECONDS = 24 * 60 * 60
# Seconds a client should wait before asking again about a key whose first request is still running.
IN_PROGRESS_RETRY_AFTER = 1
# Part of every stored key: a key sent before a deploy still matches after it, whatever the code is called.
_KEY_PREFIX = "POST /jobs"
# The one field of a stored answer kept compressed (`_compressed_answers`); a job view has no such field.
_COMPRESSED = "z"
# An answer stored as it is up to this size as Powertools writes it (ASCII-escaped JSON), leaving room for the
# record's other attributes (key, status, expiry, the body's hash) under DynamoDB's 400 KB item limit.
_PLAIN_ANSWER_LIMIT = 350_000


def _printable_key(value: str | None) -> str | None:
    if value is None:
        return None
    if not 0 < len(value) <= MAX_KEY_LENGTH:
        raise InvalidInput(HEADER, f"must be 1..{MAX_KEY_LENGTH} characters, not {len(value)}")
    if not all(" " <= character <= "~" for character in value):
        raise InvalidInput(HEADER, "must be printable ASCII (a UUID is a good key)")
    return value


IdempotencyKey = Annotated[
    str | None,
    Header(
        alias=HEADER,
        min_length=1,
        max_length=MAX_KEY_LENGTH,
        pattern="^[ -~]+$",
        description=(
            "Creates the job at most once: a repeat with this key and the same body within 24 h answers the "
            "first request's answer again; the same key with another body is a 409. 1..255 printable ASCII "
            "characters, e.g. a UUID."
        ),
    ),
    AfterValidator(_printable_key),
]


class KeyReused(Conflict):
    """The key was used within 24 h for a request with another body."""

    def __init__(self, key: str) -> None:
        super().__init__(
            f"{HEADER} '{key}' was used for a different request within the last 24 h; "
            "send a new key to create another job"
        )


class KeyInProgress(Conflict):
    """The first request with this key has not answered yet."""

    def __init__(self, key: str) -> None:
        super().__init__(f"{HEADER} '{key}': a request with this key is still in progress; send it again shortly")


class CreateOnce:
    """Runs a create at most once per key, replaying the stored answer to repeats.

    Powertools' idempotency utility (which imports boto3) and the table's client are loaded by the first
    create with a key, not at init: most requests never need them, and every cold start would pay ~60 ms.
    """

    def __init__(self, table_name: str, client: Callable[[], DynamoDBClient]) -> None:
        if not table_name:
            raise SettingsError("IDEMPOTENCY_TABLE is not set; template.yaml sets it for the API function")
        self._table_name = table_name
        self._client = client

    @cached_property
    def _once(self) -> tuple[IdempotencyConfig, Callable[..., dict[str, Any]]]:
        from aws_lambda_powertools.utilities.idempotency import (
            DynamoDBPersistenceLayer,
            IdempotencyConfig,
            idempotent_function,
        )

        config = IdempotencyConfig(
            event_key_jmespath="key",
            payload_validation_jmespath="body",
            raise_on_no_idempotency_key=True,
            expires_after_seconds=REPLAY_SECONDS,
        )
        store = DynamoDBPersistenceLayer(table_name=self._table_name, boto3_client=self._client())
        once = idempotent_function(
            _answer,
            data_keyword_argument="request",
            persistence_store=store,
            config=config,
            key_prefix=_KEY_PREFIX,
            output_serializer=_compressed_answers(),
        )
        return config, once

    def run(
        self, key: str, body: dict[str, Any], create: Callable[[], dict[str, Any]], context: LambdaContext
    ) -> dict[str, Any]:
        """`create()`'s answer, or the answer stored for `key` when the same `body` came with it before.

        The Lambda context bounds how long the key stays "in progress" if this invocation dies mid-create.
        """
        from aws_lambda_powertools.utilities.idempotency.exceptions import (
            IdempotencyAlreadyInProgressError,
            IdempotencyValidationError,
        )

        config, once = self._once
        config.register_lambda_context(context)
        try:
            answer: dict[str, Any] = once(request={"key": key, "body": body}, create=create)
        except IdempotencyValidationError:
            raise KeyReused(key) from None
        except IdempotencyAlreadyInProgressError:
            raise KeyInProgress(key) from None
        return answer


def job_id_for(key: str, body: dict[str, Any]) -> str:
    """The id a create with this key and body gives its job, the same on every retry.

    Powertools forgets a key whose request failed; if that request had stored the job before failing (a
    write whose answer was lost), the retry's insert finds this id taken and answers with that job instead
    of creating a second one. The body is part of it, so another body under the same key is another job.
    """
    document = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{_KEY_PREFIX}\n{key}\n{document}".encode()).hexdigest()[:32]


def _compressed_answers() -> BaseIdempotencySerializer:
    """Stores an answer too large as it is as UTF-8 JSON, zlib-compressed and base64-encoded (`{"z": ...}`).

    Powertools writes the stored answer as ASCII-escaped JSON (`é` as the 6 bytes `\\u00e9`), so a job
    whose `data` is within its 256 KB as UTF-8 could make a record over DynamoDB's 400 KB item limit, and
    its create answered 500. Compressed, a stored answer is at most about 4/3 of its UTF-8 size, and much
    less for repetitive data. An answer that fits as it is is stored as it is, as before: the previous
    release replays every record it could have written itself (after a rollback within 24 h of a create).
    """
    from aws_lambda_powertools.utilities.idempotency.serialization.base import BaseIdempotencySerializer

    class CompressedAnswers(BaseIdempotencySerializer):
        def to_dict(self, data: Any) -> dict[str, Any]:
            if len(json.dumps(data)) <= _PLAIN_ANSWER_LIMIT:
                return dict(data)
            text = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
            return {_COMPRESSED: base64.b64encode(zlib.compress(text, 9)).decode()}

        def from_dict(self, data: dict[str, Any]) -> Any:
            if data.keys() != {_COMPRESSED}:
                return data
            return json.loads(zlib.decompress(base64.b64decode(data[_COMPRESSED])))

    return CompressedAnswers()


def _answer(request: dict[str, Any], create: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """What Powertools runs once per key; `request` is only what it hashes and compares."""
    return create()

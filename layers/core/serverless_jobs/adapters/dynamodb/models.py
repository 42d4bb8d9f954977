"""The DynamoDB tables as pynamodb models, bound to their tables' names when a function is built.

The attribute names on the Python side are the domain's (`Job`, `Run`); `attr_name` gives the stored one.
"""

from __future__ import annotations

from functools import cache
from typing import Any, Self, TypeVar

from botocore.session import Session
from pynamodb.attributes import Attribute, JSONAttribute, MapAttribute, UnicodeAttribute, VersionAttribute
from pynamodb.constants import NUMBER
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, IncludeProjection
from pynamodb.models import Model

from serverless_jobs.adapters.client_tuning import API_CLIENTS, ClientTuning
from serverless_jobs.domain.jsonvalue import compact
from serverless_jobs.domain.notify import Notify
from serverless_jobs.domain.rate import RateLimit
from serverless_jobs.domain.targets import Target


class IntegerAttribute(Attribute[int]):
    """A DynamoDB number read back as `int` (pynamodb's NumberAttribute reads floats)."""

    attr_type = NUMBER

    def serialize(self, value: int) -> str:
        return str(int(value))

    def deserialize(self, value: str) -> int:
        return int(value)


class CompactJSONAttribute(JSONAttribute):
    """JSON stored compact and in UTF-8, the form whose size the API bounds (`data` 256 KB, `result` 64 KB).

    pynamodb's own writes `\\uXXXX` escapes and spaces: 256 KB of non-Latin text would take 768 KB, past
    DynamoDB's 400 KB item limit. Both forms read back alike.
    """

    def serialize(self, value: Any) -> str | None:
        return None if value is None else compact(value)


class TargetAttribute(CompactJSONAttribute):
    """A job's target, stored in the API's shape (`{"type": "sqs", "arn": ...}`)."""

    def serialize(self, value: Any) -> str | None:
        return super().serialize(value.to_api() if isinstance(value, Target) else value)

    def deserialize(self, value: str) -> Any:
        return Target.from_api(super().deserialize(value))


class NotifyAttribute(CompactJSONAttribute):
    """A job's `notify`, stored in the API's shape (`{"onFailure": {...}, "onEveryFailure": false}`)."""

    def serialize(self, value: Any) -> str | None:
        return super().serialize(value.to_api() if isinstance(value, Notify) else value)

    def deserialize(self, value: str) -> Any:
        return Notify.from_api(super().deserialize(value))


class RateLimitAttribute(CompactJSONAttribute):
    """A job's `rateLimit`, stored in the API's shape (`{"key": ..., "limit": 5, "periodSeconds": 60}`)."""

    def serialize(self, value: Any) -> str | None:
        return super().serialize(value.to_api() if isinstance(value, RateLimit) else value)

    def deserialize(self, value: str) -> Any:
        return RateLimit.from_api(super().deserialize(value))


class DueIndex(GlobalSecondaryIndex["JobItem"]):
    """Sparse: only jobs the tick must look at carry `dueShard`, so the tick never reads idle jobs."""

    class Meta:
        index_name = "due"
        projection = AllProjection()

    due_shard = UnicodeAttribute(hash_key=True, attr_name="dueShard")
    next_run_at = IntegerAttribute(range_key=True, attr_name="nextRunAt")


class StatusIndex(GlobalSecondaryIndex["JobItem"]):
    """Lists jobs by status, newest first, without a table Scan."""

    class Meta:
        index_name = "byStatus"
        projection = AllProjection()

    status = UnicodeAttribute(hash_key=True)
    created_at = IntegerAttribute(range_key=True, attr_name="createdAt")


class JobItem(Model):
    """A job as stored. Times are epoch milliseconds."""

    id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    handler = UnicodeAttribute(null=True)  # absent for a job with a target
    target = TargetAttribute(null=True)
    notify = NotifyAttribute(null=True)
    data = CompactJSONAttribute(default=dict)
    labels: MapAttribute[str, str] = MapAttribute(null=True)  # absent when the job has none
    schedule = UnicodeAttribute(null=True)
    timezone = UnicodeAttribute(default="UTC")
    run_at = IntegerAttribute(null=True, attr_name="runAt")
    end_at = IntegerAttribute(null=True, attr_name="endAt")
    status = UnicodeAttribute()
    attempts = IntegerAttribute(default=0)
    max_attempts = IntegerAttribute(attr_name="maxAttempts")
    retry_backoff_seconds = IntegerAttribute(attr_name="retryBackoffSeconds")
    timeout_seconds = IntegerAttribute(attr_name="timeoutSeconds")
    last_run_at = IntegerAttribute(null=True, attr_name="lastRunAt")
    next_run_at = IntegerAttribute(null=True, attr_name="nextRunAt")
    next_occurrence_at = IntegerAttribute(null=True, attr_name="nextOccurrenceAt")
    last_error = UnicodeAttribute(null=True, attr_name="lastError")
    created_at = IntegerAttribute(attr_name="createdAt")
    updated_at = IntegerAttribute(attr_name="updatedAt")
    due_shard = UnicodeAttribute(null=True, attr_name="dueShard")
    run_id = UnicodeAttribute(null=True, attr_name="runId")
    attempt = IntegerAttribute(null=True)
    scheduled_at = IntegerAttribute(null=True, attr_name="scheduledAt")
    trigger = UnicodeAttribute(null=True)
    run_started_at = IntegerAttribute(null=True, attr_name="runStartedAt")
    lease_until = IntegerAttribute(null=True, attr_name="leaseUntil")  # absent as 0.3.0 stores a job
    jitter_seconds = IntegerAttribute(default=0, attr_name="jitterSeconds")
    max_runs = IntegerAttribute(null=True, attr_name="maxRuns")
    successful_runs = IntegerAttribute(default=0, attr_name="successfulRuns")
    catchup_window_seconds = IntegerAttribute(null=True, attr_name="catchupWindowSeconds")
    overlap = UnicodeAttribute(default="buffer")
    concurrency_key = UnicodeAttribute(null=True, attr_name="concurrencyKey")
    concurrency_limit = IntegerAttribute(null=True, attr_name="concurrencyLimit")
    rate_limit = RateLimitAttribute(null=True, attr_name="rateLimit")
    key = UnicodeAttribute(null=True)  # absent for a job without one; its reservation is a KEY_PREFIX LabelItem
    version = VersionAttribute()

    due_index = DueIndex()
    status_index = StatusIndex()

    # The names the item held as stored (read items only): which attributes an older release never wrote.
    stored: frozenset[str] = frozenset()
    # Why this release cannot decode the item's values, when it cannot (a form a later release wrote).
    undecodable: str | None = None

    @classmethod
    def from_raw_data(cls, data: dict[str, Any]) -> Self:
        """The item as read; one whose values this release cannot decode comes back with only its id and
        the reason, so one such item never fails a whole page (the store leaves it out)."""
        try:
            item = super().from_raw_data(data)
        except (ValueError, TypeError, KeyError, AttributeError) as error:
            item = cls(str(data.get("id", {}).get("S", "")))
            item.undecodable = f"{type(error).__name__}: {error}"
        item.stored = frozenset(data)
        return item


def is_job_id(item_id: str) -> bool:
    """Whether an id in the Jobs table is a job's: a job's id never holds `#` (the API issues uuid4 hex and
    accepts `[A-Za-z0-9_-]`); every other kind of item there, of this release (`slot#`, `rate#`) or a later
    one, has an id `<kind>#...`, which each release leaves out of its answers and never writes."""
    return "#" not in item_id


SLOT_PREFIX = "slot#"


class SlotItem(Model):
    """A concurrency key's count of runs held, in the Jobs table under the id `slot#<key>`.

    In the Jobs table so that every function that claims or finishes a run already has its grant; it has no
    `status` nor `dueShard`, so neither index holds it, and the unfiltered listing's Scan filters it out.
    """

    id = UnicodeAttribute(hash_key=True)
    running = IntegerAttribute(default=0)
    # Epoch ms of the latest look that left a job of the key waiting for a slot; absent when none waits. A
    # claim by the API passes no waiter (it needs the mark absent); the tick's, in due order, ignores it.
    waiting = IntegerAttribute(null=True)

    @staticmethod
    def id_for(key: str) -> str:
        return SLOT_PREFIX + key


RATE_PREFIX = "rate#"


class RateItem(Model):
    """A rate-limit key's window, in the Jobs table under the id `rate#<key>` (the slot counters' reasons):
    attribute `p<n>` holds the epoch ms of the last start made on place n (domain/rate.py).

    The places are attributes of their own, not a map: a claim sets one with a condition on that one alone,
    and setting a map's entry fails while the map itself is absent (a key's first start). They are not
    declared here, so the store reads and writes them by name (`place`).
    """

    id = UnicodeAttribute(hash_key=True)

    @staticmethod
    def id_for(key: str) -> str:
        return RATE_PREFIX + key

    @staticmethod
    def place(number: int) -> str:
        return f"p{number}"


class LabelItem(Model):
    """A job's membership in one label's group: one item per (label, job), written with the job.

    The partition is the label as `key=value`, the sort key the job's creation time and id, so a group is
    one Query, newest first, read consistently (a table, not an index).
    """

    label = UnicodeAttribute(hash_key=True)
    job_key = UnicodeAttribute(range_key=True, attr_name="jobKey")
    job_id = UnicodeAttribute(attr_name="jobId")

    @staticmethod
    def key_for(created_at: int, job_id: str) -> str:
        return f"{created_at:015d}#{job_id}"

    @staticmethod
    def reservation_of(key: str) -> str:
        """The partition of a job key's reservation: never a label's text, which always holds `=`."""
        return KEY_PREFIX + key


# A job key's reservation is a LabelItem (partition KEY_PREFIX + key, sort key KEY_RESERVATION, `jobId` its
# holder): in the labels table, not the Jobs table, whose Scan the previous release reads item by item.
KEY_PREFIX = "#key/"
KEY_RESERVATION = "key"


OWED = "owed"


class OwedNotificationsIndex(GlobalSecondaryIndex["RunItem"]):
    """Sparse: only a run whose notification is owed carries `notifyOwed`, so one Query over a single
    partition finds those the tick must hand to the executor (`notifyAt` come); the keys and the count of
    hand-offs so far are all the tick needs to hand one off."""

    class Meta:
        index_name = "owedNotifications"
        projection = IncludeProjection(["notifyHandOffs"])

    notify_owed = UnicodeAttribute(hash_key=True, attr_name="notifyOwed")
    notify_at = IntegerAttribute(range_key=True, attr_name="notifyAt")


class RunItem(Model):
    """One run of a job. The sort key starts with the claim time, so one Query lists runs newest first."""

    job_id = UnicodeAttribute(hash_key=True, attr_name="jobId")
    run_key = UnicodeAttribute(range_key=True, attr_name="runKey")
    id = UnicodeAttribute()
    status = UnicodeAttribute()
    attempt = IntegerAttribute()
    trigger = UnicodeAttribute()
    scheduled_at = IntegerAttribute(null=True, attr_name="scheduledAt")
    started_at = IntegerAttribute(attr_name="startedAt")
    completed_at = IntegerAttribute(null=True, attr_name="completedAt")
    duration = IntegerAttribute(null=True)
    result = CompactJSONAttribute(null=True)
    result_truncated = IntegerAttribute(null=True, attr_name="resultTruncated")  # 1, or absent
    no_retry = IntegerAttribute(null=True, attr_name="noRetry")  # 1 for a failure not to retry, or absent
    error = UnicodeAttribute(null=True)
    notification = CompactJSONAttribute(null=True)  # absent unless a notification could not be sent
    expires_at = IntegerAttribute(attr_name="expiresAt")
    # Both set while the run's notification is owed (`OWED`, and when to hand it over again), else absent.
    notify_owed = UnicodeAttribute(null=True, attr_name="notifyOwed")
    notify_at = IntegerAttribute(null=True, attr_name="notifyAt")
    notify_hand_offs = IntegerAttribute(null=True, attr_name="notifyHandOffs")  # the tick's, absent before one

    owed_index = OwedNotificationsIndex()

    @staticmethod
    def key_for(claimed_at: int, run_id: str) -> str:
        return f"{claimed_at:015d}#{run_id}"

    @staticmethod
    def claimed_at_of(run_key: str) -> int:
        return int(run_key.split("#", 1)[0])

    @staticmethod
    def run_id_of(run_key: str) -> str:
        return run_key.split("#", 1)[1]


M = TypeVar("M", bound=Model)


@cache
def bound(model: type[M], table_name: str, tuning: ClientTuning = API_CLIENTS) -> type[M]:
    """`model` on the table `table_name`: a subclass per table and tuning, created once and reused (its
    connection too). pynamodb's client retries in botocore's standard mode; `tuning` sets its attempts and
    timeouts."""
    meta = type(
        "Meta",
        (),
        {
            "table_name": table_name,
            "connect_timeout_seconds": tuning.connect_timeout,
            "read_timeout_seconds": tuning.read_timeout,
            "max_retry_attempts": tuning.attempts - 1,
            "max_pool_connections": tuning.max_pool_connections,
        },
    )
    return type(f"{model.__name__}On{table_name}", (model,), {"Meta": meta, "__module__": __name__})


def share_session(model: type[Model], session: Session) -> None:
    """Have the model's client, when first needed, made from the function's botocore session (see `connect`)."""
    connection = model._get_connection().connection
    if getattr(connection._local, "session", None) is None:
        connection._local.session = session


def connect(model: type[Model], session: Session) -> None:
    """Create the model's DynamoDB client now, in Lambda's init phase (or the local stack's start).

    Created lazily, the first concurrent runs would each build a client of their own at once, which takes
    seconds of CPU and delays exactly the runs that are due. It is made from the given botocore session,
    shared with the function's other clients, rather than a session of its own: each session loads the
    endpoint and service data again (~30 ms of a cold start). pynamodb offers no public way to pass one.
    """
    share_session(model, session)
    model._get_connection().connection.client  # noqa: B018 - the property creates the client

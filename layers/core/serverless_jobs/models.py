"""The two DynamoDB tables as pynamodb models. Table names come from the environment template.yaml sets."""

from __future__ import annotations

from pynamodb.attributes import Attribute, JSONAttribute, UnicodeAttribute, VersionAttribute
from pynamodb.constants import NUMBER
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from serverless_jobs.config import settings
from serverless_jobs.schedules import Timing, parse_schedule, parse_zone
from serverless_jobs.timefmt import from_millis, from_millis_or_none


class IntegerAttribute(Attribute[int]):
    """A DynamoDB number read back as `int` (pynamodb's NumberAttribute reads floats)."""

    attr_type = NUMBER

    def serialize(self, value: int) -> str:
        return str(int(value))

    def deserialize(self, value: str) -> int:
        return int(value)


class DueIndex(GlobalSecondaryIndex["JobModel"]):
    """Sparse: only jobs the tick must look at carry `dueShard`, so the tick never reads idle jobs."""

    class Meta:
        index_name = "due"
        projection = AllProjection()

    due_shard = UnicodeAttribute(hash_key=True, attr_name="dueShard")
    next_run_at = IntegerAttribute(range_key=True, attr_name="nextRunAt")


class StatusIndex(GlobalSecondaryIndex["JobModel"]):
    """Lists jobs by status, newest first, without a table Scan."""

    class Meta:
        index_name = "byStatus"
        projection = AllProjection()

    status = UnicodeAttribute(hash_key=True)
    created_at = IntegerAttribute(range_key=True, attr_name="createdAt")


class JobModel(Model):
    """A job. Times are epoch milliseconds; `nextRunAt` is when the tick must next look at the job."""

    class Meta:
        table_name = settings.jobs_table

    id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    handler = UnicodeAttribute()
    data = JSONAttribute(default=dict)
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
    # The schedule's next occurrence while `nextRunAt` holds a running job's lease expiry.
    next_occurrence_at = IntegerAttribute(null=True, attr_name="nextOccurrenceAt")
    last_error = UnicodeAttribute(null=True, attr_name="lastError")
    created_at = IntegerAttribute(attr_name="createdAt")
    updated_at = IntegerAttribute(attr_name="updatedAt")
    due_shard = UnicodeAttribute(null=True, attr_name="dueShard")
    run_id = UnicodeAttribute(null=True, attr_name="runId")
    attempt = IntegerAttribute(null=True)
    scheduled_at = IntegerAttribute(null=True, attr_name="scheduledAt")
    trigger = UnicodeAttribute(null=True)
    # Set once by the executor that starts the claimed run: a duplicate delivery finds it set and stops.
    run_started_at = IntegerAttribute(null=True, attr_name="runStartedAt")
    version = VersionAttribute()

    due_index = DueIndex()
    status_index = StatusIndex()

    def timing(self) -> Timing:
        """The job's schedule, zone and window as the schedule rules take them."""
        return Timing(
            schedule=None if self.schedule is None else parse_schedule(self.schedule),
            zone=parse_zone(self.timezone),
            run_at=from_millis_or_none(self.run_at),
            end_at=from_millis_or_none(self.end_at),
            created_at=from_millis(self.created_at),
        )


class RunModel(Model):
    """One run of a job. The sort key starts with the start time, so one Query lists runs newest first."""

    class Meta:
        table_name = settings.history_table

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
    result = JSONAttribute(null=True)
    result_truncated = IntegerAttribute(null=True, attr_name="resultTruncated")
    error = UnicodeAttribute(null=True)
    expires_at = IntegerAttribute(attr_name="expiresAt")

    @staticmethod
    def key_for(started_at: int, run_id: str) -> str:
        return f"{started_at:015d}#{run_id}"

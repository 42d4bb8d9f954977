"""The one module that talks to DynamoDB. Every write that races another is a conditional write."""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pynamodb.exceptions import DeleteError, DoesNotExist, PutError, UpdateError
from pynamodb.expressions.condition import Condition

from serverless_jobs.config import settings
from serverless_jobs.models import JobModel, RunModel

T = TypeVar("T")

# The most `due` shards a deployment can have: template.yaml's DueShards MaxValue. Shards from the current
# count up to this may still hold jobs written before DueShards was lowered (the tick sweeps them).
MAX_DUE_SHARDS = 64
# Keys read per Query when deleting a job's history, so the time left is checked between small steps.
_HISTORY_PAGE = 100


class ConcurrentChange(Exception):
    """The item changed between read and write; read it again and retry."""


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    last_key: dict[str, Any] | None


def connect() -> None:
    """Create the DynamoDB clients now, in Lambda's init phase (or the local stack's start).

    Created lazily, the first concurrent runs would each build a client of their own at once, which takes
    seconds of CPU and delays exactly the runs that are due.
    """
    for model in (JobModel, RunModel):
        model._get_connection().connection.client  # noqa: B018 - the property creates the client


def shard_for(job_id: str, shards: int = settings.due_shards) -> str:
    """A stable shard of the `due` index among `shards`, so due jobs spread over several GSI partitions."""
    return str(zlib.crc32(job_id.encode()) % shards)


def _conditional_failure(error: PutError | UpdateError | DeleteError) -> bool:
    return error.cause_response_code == "ConditionalCheckFailedException"


@contextmanager
def _lost_race_is_concurrent_change(job_id: str) -> Iterator[None]:
    """A failed version condition means another writer got in between: ConcurrentChange, to be retried."""
    try:
        yield
    except (PutError, DeleteError) as error:
        if _conditional_failure(error):
            raise ConcurrentChange(job_id) from error
        raise


def get_job(job_id: str) -> JobModel | None:
    try:
        return JobModel.get(job_id, consistent_read=True)
    except DoesNotExist:
        return None


def insert_job(job: JobModel) -> None:
    job.save(condition=JobModel.id.does_not_exist())


def save_job(job: JobModel) -> None:
    """Write the whole job, conditioned on the version it was read at (pynamodb's VersionAttribute)."""
    with _lost_race_is_concurrent_change(job.id):
        job.save()


def update_job(job: JobModel, actions: list[Any], condition: Condition | None = None) -> bool:
    """One UpdateItem conditioned on `condition` and the version read; False when someone else won."""
    try:
        job.update(actions=actions, condition=condition)
    except UpdateError as error:
        if _conditional_failure(error):
            return False
        raise
    return True


def delete_job(job: JobModel, has_time: Callable[[], bool]) -> None:
    """Delete the job (conditioned on its version), then its history for as long as `has_time()`.

    A long history can take longer to delete than a request may last; what is left is unreachable (the job
    is gone) and expires with the history table's TTL.
    """
    with _lost_race_is_concurrent_change(job.id):
        job.delete()
    with RunModel.batch_write() as batch:
        for run in RunModel.query(job.id, attributes_to_get=["jobId", "runKey"], page_size=_HISTORY_PAGE):
            if not has_time():
                break
            batch.delete(run)


def list_jobs(status: str | None, limit: int, start_key: dict[str, Any] | None) -> Page[JobModel]:
    """A page of jobs; by status from the `byStatus` index (newest first), else a paged Scan of the table."""
    results = (
        JobModel.status_index.query(status, limit=limit, last_evaluated_key=start_key, scan_index_forward=False)
        if status
        else JobModel.scan(limit=limit, last_evaluated_key=start_key)
    )
    items = list(results)
    return Page(items, results.last_evaluated_key)


def list_runs(job_id: str, limit: int, start_key: dict[str, Any] | None) -> Page[RunModel]:
    results = RunModel.query(job_id, limit=limit, last_evaluated_key=start_key, scan_index_forward=False)
    items = list(results)
    return Page(items, results.last_evaluated_key)


def retry_on_conflict(attempts: int, operation: Callable[[], T]) -> T:
    """Run a read-modify-write `operation` again when another writer got in between."""
    for _ in range(attempts - 1):
        try:
            return operation()
        except ConcurrentChange:
            continue
    return operation()


def due_candidates(shard: str, now_millis: int) -> list[JobModel]:
    """Jobs of one shard whose `nextRunAt` has come, all pages. Eventually consistent: only candidates."""
    return list(JobModel.due_index.query(shard, JobModel.next_run_at <= now_millis))


def shard_head(shard: str, limit: int) -> list[JobModel]:
    """Up to `limit` jobs of one shard, soonest `nextRunAt` first, whether due or not."""
    return list(JobModel.due_index.query(shard, limit=limit))


def move_to_shard(job: JobModel, shard: str) -> bool:
    """Put `job` on `shard` if it is still as read; False when someone else changed it meanwhile."""
    return update_job(job, [JobModel.due_shard.set(shard)], JobModel.due_shard == job.due_shard)


def record_run(run: RunModel) -> None:
    """Write a history entry as it stands now; a later write for the same run replaces it."""
    run.save()

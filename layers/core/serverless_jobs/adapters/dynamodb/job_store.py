"""JobStore on DynamoDB: every write a conditional write, on the version read (pynamodb's VersionAttribute)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from pynamodb.exceptions import DeleteError, DoesNotExist, PutError, UpdateError
from pynamodb.expressions.condition import Condition

from serverless_jobs.adapters.client_tuning import API_CLIENTS, ClientTuning
from serverless_jobs.adapters.dynamodb.models import JobItem, bound, condition_failed, connect
from serverless_jobs.domain.job import Job, JobStatus
from serverless_jobs.ports import Page

_FIELDS = tuple(field.name for field in fields(Job))


class DynamoJobStore:
    def __init__(self, table_name: str, tuning: ClientTuning = API_CLIENTS) -> None:
        self._model = bound(JobItem, table_name, tuning)

    def connect(self) -> None:
        connect(self._model)

    def get(self, job_id: str) -> Job | None:
        try:
            return self._job(self._model.get(job_id, consistent_read=True))
        except DoesNotExist:
            return None

    def insert(self, job: Job) -> bool:
        item = self._item(job)
        try:
            item.save(condition=self._model.id.does_not_exist())
        except PutError as error:
            if condition_failed(error):
                return False
            raise
        job.version = item.version
        return True

    def update(self, before: Job, after: Job, expect: Mapping[str, object] | None = None) -> bool:
        actions = [
            _set_or_remove(getattr(self._model, name), getattr(after, name))
            for name in _FIELDS
            if name != "version" and getattr(after, name) != getattr(before, name)
        ]
        if not actions:  # nothing changed: still a conditional write, so a lost race is still seen
            actions = [self._model.updated_at.set(after.updated_at)]
        condition: Condition | None = None
        for name, value in (expect or {}).items():
            attribute = getattr(self._model, name)
            clause = attribute.does_not_exist() if value is None else attribute == value
            condition = clause if condition is None else condition & clause
        item = self._item(before)
        try:
            item.update(actions=actions, condition=condition)  # pynamodb adds the version condition
        except UpdateError as error:
            if condition_failed(error):
                return False
            raise
        after.version = item.version
        return True

    def delete(self, job: Job) -> bool:
        try:
            self._item(job).delete()
        except DeleteError as error:
            if condition_failed(error):
                return False
            raise
        return True

    def page(self, status: JobStatus | None, limit: int, start: dict[str, Any] | None) -> Page[Job]:
        results = (
            self._model.status_index.query(
                status.value, limit=limit, last_evaluated_key=start, scan_index_forward=False
            )
            if status
            else self._model.scan(limit=limit, last_evaluated_key=start)
        )
        items = [self._job(item) for item in results]
        return Page(items, results.last_evaluated_key)

    def soonest(self, shard: str, limit: int) -> list[Job]:
        return [self._job(item) for item in self._model.due_index.query(shard, limit=limit)]

    def due(self, shard: str, now_millis: int) -> list[Job]:
        return [self._job(item) for item in self._model.due_index.query(shard, self._model.next_run_at <= now_millis)]

    def _item(self, job: Job) -> JobItem:
        values = {name: getattr(job, name) for name in _FIELDS if name != "version" or job.version is not None}
        values["status"] = job.status.value
        item: JobItem = self._model(**values)
        return item

    @staticmethod
    def _job(item: JobItem) -> Job:
        values = {name: getattr(item, name) for name in _FIELDS}
        values["status"] = JobStatus(item.status)
        return Job(**values)


def _set_or_remove(attribute: Any, value: Any) -> Any:
    """An update action that stores `value`, or removes the attribute when it is None."""
    if value is None:
        return attribute.remove()
    return attribute.set(value.value if isinstance(value, JobStatus) else value)

"""HistoryStore on DynamoDB: one item per run, keyed by claim time so a job's runs are one Query.

An entry is written as an UpdateItem of every attribute this release knows (set, or removed when it has
none), never a PutItem: attributes a later release added to the entry survive this release closing it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import fields
from typing import Any

from botocore.session import Session
from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.operand import Path, Value

from serverless_jobs.adapters.client_tuning import API_CLIENTS, ClientTuning
from serverless_jobs.adapters.dynamodb.conditional import conditional_write
from serverless_jobs.adapters.dynamodb.models import OWED, RunItem, bound, connect
from serverless_jobs.domain.job import Run
from serverless_jobs.ports import OwedNotification, Page

# Who opened an entry (a token per `open` call): known to `open` only, kept by every later write.
OPENED_BY = "openedBy"
# Keys read per Query when deleting a job's history, so the time left is checked between small steps.
_HISTORY_PAGE = 100
_STORED = tuple(
    field.name for field in fields(Run) if field.name not in ("claimed_at", "result_truncated", "retryable")
)


class DynamoHistoryStore:
    def __init__(self, table_name: str, tuning: ClientTuning = API_CLIENTS) -> None:
        self._model = bound(RunItem, table_name, tuning)

    def connect(self, session: Session) -> None:
        connect(self._model, session)

    def get(self, job_id: str, claimed_at: int, run_id: str) -> Run | None:
        try:
            return self._run(self._model.get(job_id, RunItem.key_for(claimed_at, run_id), consistent_read=True))
        except DoesNotExist:
            return None

    def open(self, run: Run) -> bool:
        model = self._model
        entry = entry_item(model, run)
        # This call's own mark: botocore resending the write after a lost answer finds it and succeeds,
        # where a duplicate delivery (another call) finds an entry it did not open.
        opener, mine = Path(OPENED_BY), Value({"S": uuid.uuid4().hex})
        opened_here = (opener == mine) & (model.status == "running")
        with conditional_write() as write:
            entry.update(
                actions=[*entry_writes(entry), opener.set(mine)],
                condition=model.run_key.does_not_exist() | opened_here,
            )
        return write.done

    def record(self, run: Run) -> bool:
        entry = entry_item(self._model, run)
        with conditional_write() as write:
            entry.update(actions=entry_writes(entry), condition=still_open(self._model))
        return write.done

    def annotate(self, run: Run) -> bool:
        model = self._model
        closed_as_given = (model.status == run.status) & (model.completed_at == run.completed_at)
        entry = entry_item(model, run)
        with conditional_write() as write:
            entry.update(actions=entry_writes(entry), condition=closed_as_given)
        return write.done

    def owed(self, now_millis: int, limit: int) -> list[OwedNotification]:
        model = self._model
        items = model.owed_index.query(OWED, model.notify_at <= now_millis, limit=limit)
        return [self._owed(item) for item in items]

    def postpone(self, owed: OwedNotification, until: int) -> bool:
        model = self._model
        with conditional_write() as write:
            model._get_connection().update_item(
                owed.job_id,
                RunItem.key_for(owed.claimed_at, owed.run_id),
                actions=[model.notify_at.set(until), model.notify_hand_offs.add(1)],
                condition=model.notify_at == owed.notify_at,
            )
        return write.done

    def page(self, job_id: str, limit: int, start: dict[str, Any] | None) -> Page[Run]:
        results = self._model.query(job_id, limit=limit, last_evaluated_key=start, scan_index_forward=False)
        runs = [self._run(item) for item in results]
        return Page(runs, results.last_evaluated_key)

    def after(self, run: Run) -> dict[str, Any]:
        return {"jobId": {"S": run.job_id}, "runKey": {"S": RunItem.key_for(run.claimed_at, run.id)}}

    def delete_all(self, job_id: str, has_time: Callable[[], bool]) -> None:
        with self._model.batch_write() as batch:
            for item in self._model.query(job_id, attributes_to_get=["jobId", "runKey"], page_size=_HISTORY_PAGE):
                if not has_time():
                    break
                batch.delete(item)

    @staticmethod
    def _owed(item: RunItem) -> OwedNotification:
        """An item of the owed index (which every item there has `notifyAt`) as the tick takes it."""
        key, notify_at, hand_offs = item.run_key, int(item.notify_at or 0), int(item.notify_hand_offs or 0)
        return OwedNotification(item.job_id, RunItem.claimed_at_of(key), RunItem.run_id_of(key), notify_at, hand_offs)

    @staticmethod
    def _run(item: RunItem) -> Run:
        return Run(
            claimed_at=RunItem.claimed_at_of(item.run_key),
            result_truncated=bool(item.result_truncated),
            retryable=not item.no_retry,
            **{name: getattr(item, name) for name in _STORED},
        )


def entry_item(model: type[RunItem], run: Run) -> RunItem:
    """`run`'s history entry as an item of `model`'s table."""
    return model(
        run_key=RunItem.key_for(run.claimed_at, run.id),
        result_truncated=1 if run.result_truncated else None,
        no_retry=None if run.retryable else 1,
        notify_owed=None if run.notify_at is None else OWED,
        **{name: getattr(run, name) for name in _STORED},
    )


def entry_writes(entry: RunItem) -> list[Any]:
    """Update actions that write `entry` as a PutItem of it would, except for attributes this release does
    not know, which stay as stored."""
    actions = []
    for name, attribute in entry.get_attributes().items():
        if attribute.is_hash_key or attribute.is_range_key:
            continue
        value = getattr(entry, name)
        actions.append(attribute.remove() if value is None else attribute.set(value))
    return actions


def still_open(model: type[RunItem]) -> Condition:
    """An entry may be written while absent or running: the open entry, or this very write retried by
    botocore after a lost answer; never once closed (a run is closed once)."""
    condition: Condition = model.run_key.does_not_exist() | (model.status == "running")
    return condition

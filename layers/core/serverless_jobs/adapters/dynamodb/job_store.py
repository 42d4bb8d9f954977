"""JobStore on DynamoDB: every write a conditional write, on the version read (pynamodb's VersionAttribute).

A job's labels are mirrored by membership items in the labels table (`LabelItem`, one per pair), written in
the same transaction as the job whenever its labels change (create, update, delete), so a group never holds
a job that lacks its label or misses one that has it. Writes that leave the labels alone (the tick's, the
executor's, transitions) stay single conditional writes on the job.

A job with a `concurrency_key` holds one of its key's slots while it holds a run (`run_id` set): each write
that gives a job a run or takes it away moves the key's counter (`SlotItem`) in the same transaction. Taking
a slot is conditioned on the count being under the job's limit, so a claim past the limit is refused like a
lost race and the job stays due; letting go is unconditional, so no finish is ever refused for its slot. A
claim `after_waiters` (the API's) also needs the counter's `waiting` mark absent, so it never takes a slot
ahead of a job of the key already waiting for one (`mark_waiting`, `clear_waiting`).

A claim of a job with a `rate_limit` also writes its start into the key's window (`RateItem`, one place of
it, conditioned on that place being free: domain/rate.py) in the same transaction: a start past the limit
is refused like a lost race, and a run is never claimed without its start counted.

Releases side by side (decision "Stored data across releases"): every write of an existing job is an
UpdateItem of the attributes it changes, so attributes a later release added survive it; an item that is no
job this release can read (another kind of item, or a value a later release wrote) is left out of every
answer and never written. A job stored before `successfulRuns` existed gets it from its history, once.

A job with a `key` holds its key's reservation (key_reservations.py), claimed, moved and released in the
transaction that creates, updates or deletes the job.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import fields, replace
from typing import Any

from aws_lambda_powertools import Logger
from botocore.exceptions import ClientError
from botocore.session import Session
from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.operand import Path, Value
from pynamodb.transactions import TransactWrite

from serverless_jobs.adapters.client_tuning import API_CLIENTS, ClientTuning
from serverless_jobs.adapters.dynamodb.conditional import conditional_write
from serverless_jobs.adapters.dynamodb.history_store import entry_item, entry_writes, still_open
from serverless_jobs.adapters.dynamodb.key_reservations import KeyReservations
from serverless_jobs.adapters.dynamodb.models import (
    JobItem,
    LabelItem,
    RateItem,
    RunItem,
    SlotItem,
    bound,
    connect,
    is_job_id,
    share_session,
)
from serverless_jobs.domain.errors import Conflict
from serverless_jobs.domain.job import Job, JobStatus, Run, Upcoming
from serverless_jobs.domain.labels import Label
from serverless_jobs.domain.rate import Take, Window
from serverless_jobs.domain.targets import TARGET_TYPES
from serverless_jobs.ports import Page

logger = Logger(child=True)

_FIELDS = tuple(field.name for field in fields(Job))
_STATUSES = frozenset(status.value for status in JobStatus)
# Tries of a write that claims a key: as it is, then taking over a stale reservation found meanwhile.
_KEY_CLAIMS = 3


class DynamoJobStore:
    def __init__(
        self, table_name: str, history_table: str, tuning: ClientTuning = API_CLIENTS, labels_table: str = ""
    ) -> None:
        self._model = bound(JobItem, table_name, tuning)
        self._history = bound(RunItem, history_table, tuning)
        self._slots = bound(SlotItem, table_name, tuning)
        self._windows = bound(RateItem, table_name, tuning)  # items for transactions; it makes no call itself
        # Only the API changes labels; the tick and the executor have no labels table (and no grant on it).
        self._labels = bound(LabelItem, labels_table, tuning) if labels_table else None

    def connect(self, session: Session) -> None:
        connect(self._model, session)
        if self._labels is not None:
            share_session(self._labels, session)  # its client is made by the first request that lists a label
        share_session(self._slots, session)

    def get(self, job_id: str) -> Job | None:
        try:
            return self._read(self._model.get(job_id, consistent_read=True))
        except DoesNotExist:
            return None

    def insert(self, job: Job) -> bool:
        item = self._item(job)
        absent = self._model.id.does_not_exist()
        stale: str | None = None
        for _ in range(_KEY_CLAIMS):
            try:
                with conditional_write() as write:
                    if job.labels or job.key:
                        with self._transaction() as transaction:
                            transaction.save(item, condition=absent)
                            if job.key:
                                self._keys().claim(transaction, job.key, job.id, stale)
                            self._add_memberships(transaction, job, job.labels)
                    else:
                        item.save(condition=absent)
            except TransactWriteError as error:
                # A takeover's condition check comes first in the transaction, the job's put after it.
                if _first_condition_failed(error, at=0 if stale is None else 1):
                    return False
                if job.key and _cancelled(error):
                    stale = self._keys().stale_holder(job.key, job.id, self.get)
                    continue
                raise
            if not write.done:
                return False
            job.version = item.version
            return True
        raise Conflict(f"key: '{job.key}' kept changing hands while this job was created; send it again")

    def insert_many(self, jobs: Iterable[Job]) -> None:
        """Store jobs as they are, version included, 25 to a BatchWriteItem and unconditionally: for seeding a
        benchmark's herd of new jobs, where a conditional PutItem each would take minutes under moto."""
        with self._model.batch_write() as batch:
            for job in jobs:
                batch.save(self._item(job))

    def update(
        self,
        before: Job,
        after: Job,
        expect: Mapping[str, object] | None = None,
        take: Take | None = None,
        after_waiters: bool = False,
    ) -> bool:
        if after.labels != before.labels or _moves_slots(before, after) or take is not None or after.key != before.key:
            return self._update_in_transaction(before, after, expect, take, after_waiters)
        item = self._item(before)
        with conditional_write() as write:
            # pynamodb adds the version condition, and answers with the item as written (ALL_NEW)
            item.update(actions=self._changes(before, after), condition=self._expected(expect))
        if not write.done:
            return False
        after.version = item.version
        return True

    def _update_in_transaction(
        self, before: Job, after: Job, expect: Mapping[str, object] | None, take: Take | None, after_waiters: bool
    ) -> bool:
        """The job's update, its group memberships, its slot and its start moved along, in one transaction:
        all or none."""
        item = self._item(before)
        added = {key: value for key, value in after.labels.items() if before.labels.get(key) != value}
        removed = {key: value for key, value in before.labels.items() if after.labels.get(key) != value}

        stale: str | None = None

        def write(transaction: TransactWrite) -> None:
            transaction.update(item, actions=self._changes(before, after), condition=self._expected(expect))
            if added:
                self._add_memberships(transaction, after, added)
            if removed:
                self._remove_memberships(transaction, before, removed)
            self._move_slots(transaction, before, after, after_waiters)
            if take is not None:
                self._take_place(transaction, take)
            self._move_key(transaction, before, after, stale)

        if self._commit(write, item, after):
            return True
        if after.key is None or after.key == before.key:
            return False
        # Refused: maybe for the key (in use: KeyInUse; held stale: taken over now), else a lost race.
        stale = self._keys().stale_holder(after.key, after.id, self.get)
        return stale is not None and self._commit(write, item, after)

    def _move_key(self, transaction: TransactWrite, before: Job, after: Job, stale: str | None) -> None:
        """Add to `transaction` the key reservations' moves for `before` becoming `after` (none for most)."""
        if before.key == after.key:
            return
        if before.key is not None:
            self._keys().release(transaction, before.key, before.id)
        if after.key is not None:
            self._keys().claim(transaction, after.key, after.id, stale)

    def keyed(self, key: str) -> Job | None:
        """The job holding `key` (its reservation, then the job: two consistent reads), or None."""
        holder = self._keys().holder(key)
        job = None if holder is None else self.get(holder)
        return job if job is not None and job.key == key else None

    def _keys(self) -> KeyReservations:
        return KeyReservations(self._label_model(), self._model)

    def finish_run(self, before: Job, after: Job, *entries: Run) -> bool:
        item = self._item(before)

        def write(transaction: TransactWrite) -> None:
            transaction.update(item, actions=self._changes(before, after))  # on the version read
            for entry in entries:
                closed = entry_item(self._history, entry)
                transaction.update(closed, actions=entry_writes(closed), condition=still_open(self._history))
            self._move_slots(transaction, before, after)

        return self._commit(write, item, after)

    def slots_held(self, key: str) -> int:
        """How many runs hold a slot of `key` now (a consistent read): for tests and operators."""
        try:
            return int(self._slots.get(SlotItem.id_for(key), consistent_read=True).running)
        except DoesNotExist:
            return 0

    def mark_waiting(self, key: str, at: int) -> None:
        slots = self._slots
        # ADD 0: a key's first mark makes its counter, as a claim would
        slots(SlotItem.id_for(key)).update(actions=[slots.waiting.set(at), slots.running.add(0)])

    def clear_waiting(self, key: str, seen: int) -> None:
        slots = self._slots
        # not done: no mark, or one made since `seen`, which stays
        with conditional_write():
            slots(SlotItem.id_for(key)).update(actions=[slots.waiting.remove()], condition=slots.waiting < seen)

    def rate_window(self, key: str) -> Window:
        # on the jobs' own client (the same table), made in the function's init, as the transactions are
        read = self._model._get_connection().get_item(RateItem.id_for(key), consistent_read=True)
        return {
            int(name[1:]): int(value["N"])
            for name, value in read.get("Item", {}).items()
            if name[:1] == "p" and name[1:].isdigit() and "N" in value
        }

    def _take_place(self, transaction: TransactWrite, take: Take) -> None:
        """Add to `transaction` the start `take` writes on its place, if the place is still free then."""
        place = Path(RateItem.place(take.place))
        free = place.does_not_exist() | (place <= Value({"N": str(take.at - take.period_ms)}))
        window = self._windows(RateItem.id_for(take.key))
        transaction.update(window, actions=[place.set(Value({"N": str(take.at)}))], condition=free)

    def _move_slots(self, transaction: TransactWrite, before: Job, after: Job, after_waiters: bool = False) -> None:
        """Add to `transaction` the slot counters' moves for `before` becoming `after` (none for most writes)."""
        held, holds = _slot_of(before), _slot_of(after)
        if held == holds:
            return
        slots = self._slots
        if held is not None:
            transaction.update(slots(SlotItem.id_for(held)), actions=[slots.running.add(-1)])
        if holds is not None:
            # A new claim must find a free slot; a run already out (its job given a key, or moved to another
            # key) keeps running, so it takes its slot unchecked.
            limit = after.concurrency_limit or 0
            claims = before.run_id is None
            free = (slots.running.does_not_exist() | (slots.running < limit)) if claims else None
            if free is not None and after_waiters:
                free = free & slots.waiting.does_not_exist()
            transaction.update(slots(SlotItem.id_for(holds)), actions=[slots.running.add(1)], condition=free)

    def _changes(self, before: Job, after: Job) -> list[Any]:
        """Update actions for the fields where `after` differs from `before` (pynamodb adds the version)."""
        actions = [
            _set_or_remove(getattr(self._model, name), getattr(after, name))
            for name in _FIELDS
            if name != "version" and getattr(after, name) != getattr(before, name)
        ]
        # nothing changed: still a conditional write, so a lost race is still seen
        return actions or [self._model.updated_at.set(after.updated_at)]

    def _expected(self, expect: Mapping[str, object] | None) -> Condition | None:
        """The condition that each field of `expect` still holds its value (None: absent)."""
        condition: Condition | None = None
        for name, value in (expect or {}).items():
            attribute = getattr(self._model, name)
            clause = attribute.does_not_exist() if value is None else attribute == value
            condition = clause if condition is None else condition & clause
        return condition

    def delete(self, job: Job) -> bool:
        try:
            with conditional_write() as write:
                if job.labels or _slot_of(job) is not None or job.key:
                    with self._transaction() as transaction:
                        transaction.delete(self._item(job))  # on the version read, as the single delete
                        if job.labels:
                            self._remove_memberships(transaction, job, job.labels)
                        self._move_slots(transaction, job, replace(job, run_id=None))
                        self._move_key(transaction, job, replace(job, key=None), None)
                else:
                    self._item(job).delete()
        except TransactWriteError as error:
            if _cancelled(error):
                return False
            raise
        return write.done

    def labelled(self, label: Label, limit: int, start: dict[str, Any] | None) -> Page[Job]:
        groups = self._label_model()
        members = groups.query(
            label.text(), limit=limit, last_evaluated_key=start, scan_index_forward=False, consistent_read=True
        )
        ids = [member.job_id for member in members]
        found = {job.id: job for job in self._jobs(self._model.batch_get(ids, consistent_read=True))} if ids else {}
        # Both reads are consistent, but a job may change between them: only those still labelled are members.
        jobs = [found[job_id] for job_id in ids if job_id in found and label.on(found[job_id].labels)]
        return Page(jobs, members.last_evaluated_key)

    def after(self, label: Label | None, job: Job) -> dict[str, Any]:
        if label is None:  # the byStatus index's key, with the table's
            return {"status": {"S": job.status.value}, "createdAt": {"N": str(job.created_at)}, "id": {"S": job.id}}
        return {"label": {"S": label.text()}, "jobKey": {"S": LabelItem.key_for(job.created_at, job.id)}}

    def _label_model(self) -> type[LabelItem]:
        if self._labels is None:
            raise RuntimeError("this function has no labels table (LABELS_TABLE); only the API changes labels")
        return self._labels

    def _transaction(self) -> TransactWrite:
        """A transaction on the Jobs model's client (its tuning), committed as its block ends."""
        return TransactWrite(connection=self._model._get_connection().connection)

    def _commit(self, write: Callable[[TransactWrite], None], item: JobItem, after: Job) -> bool:
        """One transaction of what `write` adds, the job's `item` among it: all or nothing. False when
        DynamoDB cancelled it (a condition failed, or a concurrent write); else `after` takes the version
        written."""
        try:
            with self._transaction() as transaction:
                write(transaction)
        except TransactWriteError as error:
            if _cancelled(error):
                return False
            raise
        after.version = item.version
        return True

    def _add_memberships(self, transaction: TransactWrite, job: Job, labels: Mapping[str, str]) -> None:
        groups = self._label_model()
        for key, value in labels.items():
            member = groups(Label(key, value).text(), LabelItem.key_for(job.created_at, job.id), job_id=job.id)
            # an update, not a put: a later release's attributes on the membership survive
            transaction.update(member, actions=[groups.job_id.set(job.id)])

    def _remove_memberships(self, transaction: TransactWrite, job: Job, labels: Mapping[str, str]) -> None:
        groups = self._label_model()
        for key, value in labels.items():
            transaction.delete(groups(Label(key, value).text(), LabelItem.key_for(job.created_at, job.id)))

    def page(self, status: JobStatus, limit: int, start: dict[str, Any] | None) -> Page[Job]:
        results = self._model.status_index.query(
            status.value, limit=limit, last_evaluated_key=start, scan_index_forward=False
        )
        return Page(self._jobs(results), results.last_evaluated_key)

    def soonest(self, shard: str, limit: int) -> list[Job]:
        return self._jobs(self._model.due_index.query(shard, limit=limit))

    def due(self, shard: str, now_millis: int, limit: int | None = None) -> list[Job]:
        model = self._model
        # A claim leaves the key at its occurrence: runs still within their lease are read but not answered.
        lease = model.lease_until
        unleased = model.run_id.does_not_exist() | lease.does_not_exist() | (lease <= now_millis)
        due = model.due_index.query(shard, model.next_run_at <= now_millis, filter_condition=unleased, limit=limit)
        return self._jobs(due)

    def due_after(self, shard: str, after_millis: int, limit: int) -> list[Upcoming]:
        model = self._model
        # three attributes of each item, not all of them: the same read units, a fraction of the bytes to parse
        read = [model.next_run_at.attr_name, model.updated_at.attr_name, model.status.attr_name]
        later = model.due_index.query(shard, model.next_run_at > after_millis, limit=limit, attributes_to_get=read)
        return [
            Upcoming(item.next_run_at, item.updated_at or 0, item.status == JobStatus.PENDING.value)
            for item in later
            if item.next_run_at is not None
        ]

    def _item(self, job: Job) -> JobItem:
        values = {name: getattr(job, name) for name in _FIELDS if name != "version" or job.version is not None}
        values["status"] = job.status.value
        values["labels"] = job.labels or None
        item: JobItem = self._model(**values)
        return item

    def _jobs(self, items: Iterable[JobItem]) -> list[Job]:
        """The jobs among `items` this release can read, in order (`_read`)."""
        return [job for job in map(self._read, items) if job is not None]

    def _read(self, item: JobItem) -> Job | None:
        """`item` as a job; None when it is no job this release can read, which it then leaves alone: another
        kind of item sharing the table (an id with `#`: the counters, or a kind a later release adds), or a
        job holding a value a later release wrote (a new status or target type, a form that does not decode).
        """
        if not is_job_id(item.id):
            return None
        unreadable = item.undecodable or _unknown_value(item)
        if unreadable is not None:
            logger.warning(
                "item left out: not a job this release can read", extra={"jobId": item.id, "why": unreadable}
            )
            return None
        values = {name: getattr(item, name) for name in _FIELDS}
        values["status"] = JobStatus(item.status)
        values["labels"] = {} if item.labels is None else dict(item.labels.attribute_values)
        if self._model.successful_runs.attr_name not in item.stored:
            values["successful_runs"] = self._backfill_successes(item)
        return Job(**values)

    def _backfill_successes(self, item: JobItem) -> int:
        """The successful runs of a job stored before `successfulRuns` existed (0.1.0): its completed history
        entries, stored on the job by the first read that counts them (unless a write stored a count first,
        which then stands: a finish adds to the count its own read made)."""
        model = self._model
        count: int = self._history.count(
            item.id, filter_condition=self._history.status == "completed", consistent_read=True
        )
        with conditional_write():  # not done: a write stored a count first, which stands
            model._get_connection().update_item(
                item.id, actions=[model.successful_runs.set(count)], condition=model.successful_runs.does_not_exist()
            )
        return count


def _unknown_value(item: JobItem) -> str | None:
    """Which of `item`'s values this release does not know (a later release's), if any."""
    if item.status not in _STATUSES:
        return f"status {item.status!r}"
    if item.target is not None and item.target.type not in TARGET_TYPES:
        return f"target type {item.target.type!r}"
    if item.name is None or item.created_at is None:
        return "no name or createdAt"
    return None


def _cancelled(error: TransactWriteError) -> bool:
    """Whether DynamoDB cancelled the transaction (a condition failed, or a concurrent write): nothing
    was written. Not pynamodb's `cause_response_code`, which itself raises when the cause is a timeout."""
    cause = error.cause
    code = cause.response.get("Error", {}).get("Code") if isinstance(cause, ClientError) else None
    return code == "TransactionCanceledException"


def _first_condition_failed(error: TransactWriteError, at: int = 0) -> bool:
    """Whether the transaction's item `at` (the job) failed its condition, so nothing was written."""
    reasons = error.cancellation_reasons or []
    reason = reasons[at] if len(reasons) > at else None
    return reason is not None and reason.code == "ConditionalCheckFailed"


def _slot_of(job: Job) -> str | None:
    """The concurrency key whose slot `job` holds: its key while it holds a run, else None."""
    return job.concurrency_key if job.run_id is not None else None


def _moves_slots(before: Job, after: Job) -> bool:
    return _slot_of(before) != _slot_of(after)


def _set_or_remove(attribute: Any, value: Any) -> Any:
    """An update action that stores `value`, or removes the attribute when it is None (or no labels)."""
    if value is None or (attribute.attr_name == "labels" and not value):
        return attribute.remove()
    return attribute.set(value.value if isinstance(value, JobStatus) else value)

"""`serverless-jobs`: the jobs API from a terminal or a script.

Exit codes: 0 done, 1 the API (or AWS) refused or failed (the message says why; `trigger --wait` also
exits 1 when the run failed), 2 a usage error (click's own). Human tables by default; `--json` prints the
API's JSON as it came, for scripts.
"""

from __future__ import annotations

import itertools
import json
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import IO, TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

from serverless_jobs_client import manifest, tables
from serverless_jobs_client.client import JobsClient
from serverless_jobs_client.errors import ClientError
from serverless_jobs_client.job_options import CLEARABLE, job_field_options, job_fields
from serverless_jobs_client.models import BulkResult, Run, api_time
from serverless_jobs_client.stacks import api_url_of_stack
from serverless_jobs_client.version import __version__
from serverless_jobs_client.watch import follow_history, wait_for_run

if TYPE_CHECKING:
    from botocore.session import Session

    from serverless_jobs_client.transport import RetryNote

F = TypeVar("F", bound=Callable[..., Any])
JOB_STATUSES = ("pending", "running", "completed", "failed", "cancelled", "paused")
BULK_ACTIONS = ("pause", "resume", "cancel", "trigger", "delete")


@dataclass
class Target:
    """Where the commands go: `--api` URL, or the `ApiUrl` output of `--stack`, resolved on first use."""

    api: str | None
    stack: str | None
    profile: str | None
    region: str | None

    @cached_property
    def client(self) -> JobsClient:
        if self.api and self.stack:
            raise click.UsageError("give --api or --stack, not both")
        if self.stack:
            from botocore.session import Session

            session: Session | None = Session(profile=self.profile)  # one for both: one MFA or SSO prompt
            url = api_url_of_stack(self.stack, session, self.region)
        elif self.api:
            session, url = None, self.api
        else:
            raise click.UsageError("no API: pass --api URL (or set SERVERLESS_JOBS_API), or --stack NAME")
        return JobsClient(url, profile=self.profile, session=session, region=self.region, on_retry=_tell_retry)


def _tell_retry(note: RetryNote) -> None:
    """Each retry on stderr as it is about to wait: a slow answer is never a silent one."""
    click.echo(f"{note}", err=True)


class Commands(click.Group):
    """Turns the client's errors into one line on stderr and exit code 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ClientError as error:
            click.echo(f"Error: {error}", err=True)
            ctx.exit(1)


def json_option(function: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="print the API's JSON instead of a table")(function)


def emit(as_json: bool, body: Any, human: str) -> None:
    click.echo(json.dumps(body, ensure_ascii=False) if as_json else human)


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--api", envvar="SERVERLESS_JOBS_API", help="the API's URL (env SERVERLESS_JOBS_API)")
@click.option("--stack", envvar="SERVERLESS_JOBS_STACK", help="a deployed stack's name: its ApiUrl output is used")
@click.option("--profile", envvar="AWS_PROFILE", help="the AWS profile to sign with (default: botocore's chain)")
@click.option("--region", help="the stack's region (default: the API URL's, or your AWS configuration's)")
@click.version_option(version=__version__, prog_name="serverless-jobs")
@click.pass_context
def cli(ctx: click.Context, api: str | None, stack: str | None, profile: str | None, region: str | None) -> None:
    """Create, run and watch jobs of a serverless-jobs stack (or of `make dev` at http://127.0.0.1:3000)."""
    if stack and ctx.get_parameter_source("api") is click.core.ParameterSource.ENVIRONMENT:
        api = None  # --stack given says where, whatever SERVERLESS_JOBS_API says
    ctx.obj = Target(api, stack, profile, region)


pass_target = click.make_pass_decorator(Target)


# jobs


@cli.command()
@job_field_options
@click.option("--idempotency-key", help="create at most once per key (default: a new UUID, kept across retries)")
@click.option("--dry-run", is_flag=True, help="show the schedule's next occurrences; create nothing")
@click.option("--quiet", "-q", is_flag=True, help="print only the new job's id (for ID=$(...))")
@json_option
@pass_target
def create(
    target: Target,
    /,
    job_file: IO[str] | None,
    labels: tuple[tuple[str, str], ...],
    idempotency_key: str | None,
    dry_run: bool,
    quiet: bool,
    as_json: bool,
    **options: Any,
) -> None:
    """Create a job from the options (or --file) and print it."""
    fields = job_fields(job_file, labels, options)
    if dry_run:
        _dry_run(target.client, fields, as_json)
        return
    job = target.client.create(fields, idempotency_key=idempotency_key)
    emit(as_json, job.raw, job.id if quiet else tables.details(job))


def _dry_run(client: JobsClient, fields: dict[str, Any], as_json: bool) -> None:
    schedule = fields.get("schedule")
    if schedule is None:
        when = fields.get("runAt")
        occurrences = [when] if when else []
        human = f"a one-time job: runs once, {'at ' + when if when else 'as soon as it is created'}"
    else:
        zone = fields.get("timezone", "UTC")
        moments = client.preview(schedule, timezone=zone, run_at=fields.get("runAt"), end_at=fields.get("endAt"))
        occurrences = [api_time(moment) for moment in moments]
        human = f"next runs of {schedule!r} ({zone}):\n" + _occurrence_lines(moments, zone)
    emit(as_json, {"request": fields, "occurrences": occurrences}, human + "\nnothing created (--dry-run)")


@cli.command("list")
@click.option("--status", type=click.Choice(JOB_STATUSES), help="only jobs in this status")
@click.option("--label", help="only jobs carrying this label, key=value")
@click.option("--name", help="only jobs whose name contains this text (ignoring case)")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True, help="at most this many jobs")
@click.option("--all", "every", is_flag=True, help="every job, however many (follows every page; --limit ignored)")
@json_option
@pass_target
def list_jobs(
    target: Target, status: str | None, label: str | None, name: str | None, limit: int, every: bool, as_json: bool
) -> None:
    """List jobs, newest first (by creation), optionally by status, label or part of the name."""
    page_size = 100 if every else min(limit + 1, 100)
    found = target.client.list(status=status, label=label, name=name, page_size=page_size)
    jobs = list(found if every else itertools.islice(found, limit + 1))
    more = not every and len(jobs) > limit
    if more:
        jobs = jobs[:limit]
    emit(as_json, [job.raw for job in jobs], tables.job_table(jobs))
    if more and not as_json:
        click.echo(f"(more than {limit}: --limit N or --all for more)", err=True)


@cli.command()
@click.argument("job_id")
@json_option
@pass_target
def get(target: Target, job_id: str, as_json: bool) -> None:
    """Show a job: every field."""
    job = target.client.get(job_id)
    emit(as_json, job.raw, tables.details(job))


@cli.command()
@click.argument("job_id")
@job_field_options
@click.option(
    "--clear",
    "cleared",
    type=click.Choice(CLEARABLE),
    multiple=True,
    help="set this field to null (repeatable)",
)
@json_option
@pass_target
def update(
    target: Target,
    /,
    job_id: str,
    job_file: IO[str] | None,
    labels: tuple[tuple[str, str], ...],
    cleared: tuple[str, ...],
    as_json: bool,
    **options: Any,
) -> None:
    """Change a job's fields (only those given); a new schedule recomputes its next run."""
    changes: dict[str, Any] = {**job_fields(job_file, labels, options), **dict.fromkeys(cleared)}
    if not changes:
        raise click.UsageError("nothing to change: give a field option, --label, --clear or --file")
    job = target.client.update(job_id, changes)
    emit(as_json, job.raw, tables.details(job))


@cli.command()
@click.argument("job_id")
@pass_target
def delete(target: Target, job_id: str) -> None:
    """Delete a job and its history."""
    target.client.delete(job_id)
    click.echo(f"deleted {job_id}", err=True)


def _transition(name: str, doc: str) -> None:
    @cli.command(name, help=doc)
    @click.argument("job_id")
    @json_option
    @pass_target
    def command(target: Target, job_id: str, as_json: bool) -> None:
        job = getattr(target.client, name)(job_id)
        emit(as_json, job.raw, tables.job_table([job]))


_transition("pause", "Stop scheduling a job (a running run finishes).")
_transition("resume", "Schedule a paused job again, from now (missed occurrences are skipped).")
_transition("cancel", "End a job for good.")


# runs


@cli.command()
@click.argument("job_id")
@click.option("--wait", is_flag=True, help="follow the run until it ends; print its result or error")
@click.option("--timeout", type=click.FloatRange(min=0), help="with --wait: give up after this many seconds")
@click.option("--interval", type=click.FloatRange(min=0.05), default=0.5, show_default=True, help="poll interval")
@json_option
@pass_target
def trigger(target: Target, job_id: str, wait: bool, timeout: float | None, interval: float, as_json: bool) -> None:
    """Run a job now, out of schedule. With --wait, exit 1 if the run fails."""
    run_id = target.client.trigger(job_id)
    if not wait:
        emit(as_json, {"runId": run_id}, run_id)
        return
    spinner = Spinner(f"run {run_id}")
    try:
        run = wait_for_run(target.client, job_id, run_id, interval=interval, timeout=timeout, on_poll=spinner.show)
    finally:
        spinner.clear()
    emit(as_json, run.raw, _run_outcome(run))
    if run.failed:
        sys.exit(1)


def _run_outcome(run: Run) -> str:
    duration = "" if run.duration is None else f" in {run.duration}ms"
    line = f"run {run.id} {run.status}{duration} (attempt {run.attempt})"
    if run.error:
        return f"{line}\nerror: {run.error}"
    if run.status == "completed":
        return f"{line}\nresult: {json.dumps(run.result, ensure_ascii=False)}"
    return line


class Spinner:
    """A spinner on stderr while a run is followed, on a terminal only (a script's log stays clean)."""

    FRAMES = "|/-\\"

    def __init__(self, label: str) -> None:
        self.label = label
        self.active = sys.stderr.isatty()
        self.frames = itertools.cycle(self.FRAMES)

    def show(self, run: Run | None) -> None:
        if self.active:
            state = run.status if run is not None else "starting"
            click.echo(f"\r{next(self.frames)} {self.label} {state}   ", nl=False, err=True)

    def clear(self) -> None:
        if self.active:
            click.echo("\r\033[K", nl=False, err=True)


@cli.command()
@click.argument("job_id")
@click.option("--limit", type=click.IntRange(1, 100), default=20, show_default=True, help="how many runs")
@click.option("--follow", "-f", is_flag=True, help="then stream runs as they start and end, until Ctrl-C")
@click.option("--interval", type=click.FloatRange(min=0.1), default=0.5, show_default=True, help="--follow's poll")
@json_option
@pass_target
def history(target: Target, job_id: str, limit: int, follow: bool, interval: float, as_json: bool) -> None:
    """A job's runs, newest first; with --follow, oldest first and then as they happen."""
    if not follow:
        runs = list(itertools.islice(target.client.history(job_id, page_size=limit), limit))
        emit(as_json, [run.raw for run in runs], tables.run_table(runs))
        return
    try:
        for run in follow_history(target.client, job_id, interval=interval, backlog=limit):
            emit(as_json, run.raw, tables.run_line(run))  # --json: one JSON document per line
    except KeyboardInterrupt:
        return  # Ctrl-C is how a follow ends: not an error


@cli.command()
@click.argument("action", required=False, type=click.Choice(("start", "stop")))
@json_option
@pass_target
def runner(target: Target, action: str | None, as_json: bool) -> None:
    """Show whether jobs are being run; `start` or `stop` the runner (the tick's rule)."""
    client = target.client
    running = (
        client.start_runner() if action == "start" else client.stop_runner() if action == "stop" else client.runner()
    )
    emit(as_json, {"running": running}, "running" if running else "stopped")


@cli.command()
@click.argument("action", type=click.Choice(BULK_ACTIONS))
@click.option("--label", required=True, help="every job carrying this label, key=value")
@click.option("--status", type=click.Choice(JOB_STATUSES), help="only those in this status")
@click.option("--next-token", help="go on where an interrupted bulk stopped (the nextToken it printed)")
@json_option
@pass_target
def bulk(target: Target, action: Any, label: str, status: str | None, next_token: str | None, as_json: bool) -> None:
    """Pause, resume, cancel, trigger or delete every job carrying a label.

    Followed page by page to the end; stopped before it (an error, Ctrl-C), it prints what it did so far
    and the nextToken to go on from.
    """
    done: BulkResult | None = None
    try:
        for total in target.client.bulk_totals(action, label, status=status, next_token=next_token):
            done = total
    except (ClientError, KeyboardInterrupt):
        if done is not None and done.nextToken is not None:
            _bulk_report(action, done, as_json)
            click.echo(f"stopped before the end: go on with --next-token {done.nextToken}", err=True)
        raise
    if done is not None:
        _bulk_report(action, done, as_json)


def _bulk_report(action: str, done: BulkResult, as_json: bool) -> None:
    body = {
        "matched": done.matched,
        "changed": done.changed,
        "unchanged": done.unchanged,
        "conflicts": done.conflicts,
        "nextToken": done.nextToken,  # the API's answer's shape: null once every page is done
    }
    human = f"{action}: matched {done.matched}, changed {done.changed}, unchanged {done.unchanged}"
    if done.conflicts:
        human += "\n" + tables.table(("JOB", "CONFLICT"), [(item["id"], item["message"]) for item in done.conflicts])
    emit(as_json, body, human)


# schedules


@cli.command()
@click.argument("schedule")
@click.option("--timezone", default="UTC", show_default=True, help="IANA time zone the schedule is read in")
@click.option("--run-at", help="the window's start, ISO 8601 with an offset")
@click.option("--end-at", help="the window's end, ISO 8601 with an offset")
@click.option("--count", type=click.IntRange(1, 50), default=5, show_default=True, help="how many occurrences")
@json_option
@pass_target
def preview(
    target: Target, schedule: str, timezone: str, run_at: str | None, end_at: str | None, count: int, as_json: bool
) -> None:
    """The next occurrences of a schedule: an interval, a cron, or rate()/cron()/at()."""
    moments = target.client.preview(schedule, timezone=timezone, run_at=run_at, end_at=end_at, count=count)
    emit(as_json, {"occurrences": [api_time(moment) for moment in moments]}, _occurrence_lines(moments, timezone))


def _occurrence_lines(moments: list[datetime], zone: str) -> str:
    """Each time in UTC and, for another zone, in that zone's local time too."""
    try:
        local = None if zone == "UTC" else ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        local = None
    lines = []
    for moment in moments:
        text = tables.cell(moment)
        if local is not None:
            text += f"  ({moment.astimezone(local).strftime('%Y-%m-%d %H:%M:%S %Z')})"
        lines.append(text)
    return "\n".join(lines) or "(no occurrence)"


# the console


def _manifest_plan(target: Target, file: str, prune: bool) -> manifest.Plan:
    """The file's plan, or exit 1 with every problem of a file refused whole (nothing changed)."""
    try:
        return manifest.plan(target.client, manifest.load(file), prune=prune)
    except (manifest.ManifestError, OSError) as error:
        click.echo(f"Error: {file} refused, nothing changed:\n{error}", err=True)
        sys.exit(1)


_PRUNE_HELP = "also delete this file's jobs (label serverless-jobs/manifest) whose key it no longer lists"


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--prune", is_flag=True, help=_PRUNE_HELP)
@click.option("--json", "as_json", is_flag=True, help="print the plan as JSON instead of text")
@pass_target
def plan(target: Target, file: str, prune: bool, as_json: bool) -> None:
    """Show what `apply FILE` would create, change (drift too) and, with --prune, delete.

    Exit code 0: no change; 2: changes; 1: an error (a file refused names each job and field)."""
    planned = _manifest_plan(target, file, prune)
    emit(as_json, manifest.as_json(planned), manifest.describe(planned))
    sys.exit(2 if planned.changes else 0)


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--prune", is_flag=True, help=_PRUNE_HELP)
@click.option("--dry-run", is_flag=True, help="print the plan and change nothing (exit codes as `plan`)")
@click.option("--detailed-exitcode", is_flag=True, help="exit 2 when something changed (0: nothing to do)")
@pass_target
def apply(target: Target, file: str, prune: bool, dry_run: bool, detailed_exitcode: bool) -> None:
    """Make the stack's jobs what FILE says: create, change, import by key and, with --prune, delete.

    Idempotent: applying the same file again changes nothing. Exit code 0: done; 1: an error (a file
    refused changes nothing; a job refused midway stops the apply there, and applying again resumes)."""
    planned = _manifest_plan(target, file, prune)
    if dry_run:
        click.echo(manifest.describe(planned) + "\nnothing changed (--dry-run)")
        sys.exit(2 if planned.changes else 0)
    manifest.apply(
        target.client, planned, lambda change: click.echo("\n".join(manifest.change_lines(change, done=True)))
    )
    click.echo(manifest.summary(planned, done=True))
    sys.exit(2 if detailed_exitcode and planned.changes else 0)


@cli.command()
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True, help="0: any free port")
@click.option("--no-browser", is_flag=True, help="only print the console's URL; open no browser")
@pass_target
def ui(target: Target, port: int, no_browser: bool) -> None:
    """Serve the web console on 127.0.0.1, forwarding its API calls signed with your credentials; Ctrl-C ends it."""
    import webbrowser
    from pathlib import Path

    from serverless_jobs_client.console.forward import forward_through
    from serverless_jobs_client.console.server import launch_page, serve

    forward = forward_through(target.client.transport)  # the API is found (--stack) before anything is served
    launched: list[Path] = []

    def ready(url: str) -> None:
        click.echo(f"Console: {url} (for {target.client.url}; Ctrl-C to stop)")
        if not no_browser:  # on a page that holds the URL: a browser's command line is every user's to read
            launched.append(launch_page(url))
            webbrowser.open(launched[-1].as_uri())

    signal.signal(signal.SIGTERM, _interrupt)  # `kill` ends it as Ctrl-C does: cleanly, exit 0
    try:
        serve(forward, port, ready)
    finally:
        for page in launched:
            page.unlink(missing_ok=True)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> None:
    cli(prog_name="serverless-jobs")

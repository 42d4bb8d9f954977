"""Updating a stack of the last release to this version keeps what it holds, or says in the changelog why not.

The last release is the newest one CHANGELOG.md records under another version than serverless_jobs/version.py's;
its template is read from its commit (`git show`), and both are expanded by aws-sam-translator as `sam deploy`
would. devtools/upgrade.py names the rules. The checker itself is tried on pairs that each break one rule, and
on the 0.1.0 to 0.2.0 update, whose runner-switch loss its Upgrading note names.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

import pytest

from devtools.changelog import file_at, last_release, release_commit, releases, upgrading_notes
from devtools.template import translate, translated_template
from devtools.upgrade import Finding, compare, runtime_state, unexplained, update_and_rollback
from serverless_jobs.version import __version__


@cache
def template_of(version: str) -> dict[str, Any]:
    """A release's template as `sam deploy` sent it."""
    [release] = [release for release in releases() if release.version == version]
    return translate(file_at(release_commit(release), "template.yaml"))


@cache
def current() -> dict[str, Any]:
    return translated_template()


def found(findings: list[Finding]) -> set[tuple[str, str]]:
    return {(finding.rule, finding.names[0]) for finding in findings}


def test_the_update_from_the_last_release_and_its_rollback_keep_the_stack_whole_or_a_note_says_why() -> None:
    last = last_release(__version__)
    breaks = unexplained(update_and_rollback(template_of(last.version), current()), upgrading_notes(__version__))
    assert not breaks, (
        f"updating a stack of {last.version} to {__version__}, or rolling the update back, would break it:\n"
        + "\n".join(f"- {finding}" for finding in breaks)
        + "\nAvoid the change, or name it (the logical id or parameter) in an Upgrading note of your "
        "changelog.d/ fragment: what the update changes, what the deployer must do, whether rollback is safe."
    )


def test_the_last_release_is_the_newest_the_changelog_records_under_another_version() -> None:
    entries = {release.version: release for release in releases()}
    assert last_release("0.6.0") == entries["0.5.0"]
    assert last_release("0.5.0") == entries["0.4.0"]
    assert last_release("0.4.0") == entries["0.3.0"]
    assert last_release("0.3.0") == entries["0.2.0"]
    assert last_release("0.2.0") == entries["0.1.0"]
    assert release_commit(entries["0.5.0"]).startswith("e158531")
    assert release_commit(entries["0.4.0"]).startswith("ae57a96")
    assert release_commit(entries["0.3.0"]).startswith("f3fcb2b")
    assert release_commit(entries["0.1.0"]).startswith("4bd209d")
    assert release_commit(entries["0.2.0"]).startswith("dc2bede")
    assert all(release.commit for release in releases() if release.date is not None)


def test_the_check_flags_what_the_0_2_0_update_broke_and_its_upgrading_note_names() -> None:
    findings = compare(template_of("0.1.0"), template_of("0.2.0"))
    # the rule's new name replaced it: a stopped runner started again; the poll parameter went without notice
    assert found(findings) == {("state-replaced", "TickRule"), ("parameter-removed", "TickPollSeconds")}
    assert unexplained(findings, upgrading_notes("0.2.0")) == []
    assert unexplained(findings, upgrading_notes("0.1.0")) == findings


def test_rolling_0_2_0_back_loses_the_tables_it_created_which_its_note_names() -> None:
    findings = update_and_rollback(template_of("0.1.0"), template_of("0.2.0"))
    rollback = {(finding.rule, finding.names[0]) for finding in findings if "on rollback" in finding.message}
    # the heartbeat alarm 0.2.0 added goes with its feature; the replaced rule is found once
    assert rollback == {("state-removed", "LabelsTable"), ("state-removed", "IdempotencyTable")}
    assert unexplained(findings, upgrading_notes("0.2.0")) == []


def test_the_runtime_state_is_what_the_functions_reconfigure() -> None:
    assert set(runtime_state(template_of("0.1.0"))) == {"TickRule"}
    assert set(runtime_state(template_of("0.2.0"))) == {"TickRule", "TickHeartbeatAlarm"}


# --- the checker on synthetic updates, each breaking one rule -------------------------------------------------


def changed(edit: Any) -> dict[str, Any]:
    template = copy.deepcopy(current())
    edit(template["Resources"], template["Parameters"])
    return template


def table(resources: dict[str, Any], name: str) -> dict[str, Any]:
    properties: dict[str, Any] = resources[name]["Properties"]
    return properties


def index(resources: dict[str, Any], table_name: str, index_name: str) -> dict[str, Any]:
    indexes: list[dict[str, Any]] = table(resources, table_name)["GlobalSecondaryIndexes"]
    [found_index] = [i for i in indexes if i["IndexName"] == index_name]
    return found_index


def rename_index(resources: dict[str, Any], _: dict[str, Any]) -> None:
    index(resources, "JobsTable", "byStatus")["IndexName"] = "byStatus2"


def add_two_indexes(resources: dict[str, Any], _: dict[str, Any]) -> None:
    indexes = table(resources, "HistoryTable").setdefault("GlobalSecondaryIndexes", [])
    for name in ("first", "second"):
        indexes.append({"IndexName": name, "KeySchema": [{"AttributeName": "jobId", "KeyType": "HASH"}]})
        indexes[-1]["Projection"] = {"ProjectionType": "KEYS_ONLY"}


def retype_index_key(resources: dict[str, Any], _: dict[str, Any]) -> None:
    for attribute in table(resources, "JobsTable")["AttributeDefinitions"]:
        if attribute["AttributeName"] == "createdAt":
            attribute["AttributeType"] = "S"


def rename_heartbeat_alarm(resources: dict[str, Any], _: dict[str, Any]) -> None:
    resources["HeartbeatAlarm"] = resources.pop("TickHeartbeatAlarm")


BREAKS = {
    "table renamed": (
        lambda r, p: table(r, "JobsTable").update(TableName="jobs"),
        {("table-replaced", "JobsTable")},
    ),
    "table key changed": (
        lambda r, p: table(r, "HistoryTable")["KeySchema"].pop(),
        {("table-replaced", "HistoryTable")},
    ),
    "table key retyped": (
        lambda r, p: table(r, "LabelsTable")["AttributeDefinitions"][0].update(AttributeType="B"),
        {("table-replaced", "LabelsTable")},
    ),
    "index renamed: one deleted, one created": (rename_index, {("index-churn", "JobsTable")}),
    "two indexes created": (add_two_indexes, {("index-churn", "HistoryTable")}),
    "index projection changed": (
        lambda r, p: index(r, "JobsTable", "due").update(Projection={"ProjectionType": "KEYS_ONLY"}),
        {("index-changed", "JobsTable")},
    ),
    "index key retyped": (retype_index_key, {("index-changed", "JobsTable")}),
    "table removed": (lambda r, p: r.pop("LabelsTable"), {("state-removed", "LabelsTable")}),
    "queue removed": (lambda r, p: r.pop("DeadLetterQueue"), {("state-removed", "DeadLetterQueue")}),
    "muted alarm renamed (logical id)": (rename_heartbeat_alarm, {("state-removed", "TickHeartbeatAlarm")}),
    "muted alarm replaced (name)": (
        lambda r, p: r["TickHeartbeatAlarm"]["Properties"].update(AlarmName="jobs-heartbeat"),
        {("state-replaced", "TickHeartbeatAlarm")},
    ),
    "muted alarm updated": (
        lambda r, p: r["TickHeartbeatAlarm"]["Properties"].update(EvaluationPeriods=9),
        {("state-reset", "TickHeartbeatAlarm")},
    ),
    "parameter removed": (lambda r, p: p.pop("DueShards"), {("parameter-removed", "DueShards")}),
    "parameter added without a default": (
        lambda r, p: p.update(Owner={"Type": "String"}),
        {("parameter-required", "Owner")},
    ),
}


def test_a_table_added_is_a_table_a_rollback_removes() -> None:
    def add(resources: dict[str, Any], _: dict[str, Any]) -> None:
        resources["NewTable"] = copy.deepcopy(resources["LabelsTable"])

    new = changed(add)
    assert compare(current(), new) == []
    assert found(update_and_rollback(current(), new)) == {("state-removed", "NewTable")}


def test_an_unchanged_template_passes() -> None:
    assert compare(current(), copy.deepcopy(current())) == []


@pytest.mark.parametrize("name", BREAKS)
def test_each_break_is_flagged_and_passes_only_with_a_note_naming_it(name: str) -> None:
    edit, expected = BREAKS[name]
    findings = compare(current(), changed(edit))
    assert found(findings) == expected
    [(_, subject)] = expected
    assert unexplained(findings, f"- `{subject}` is replaced: stop the runner first.") == []
    assert unexplained(findings, f"- {subject}s and {subject}2 are new; nothing to do.") == findings
    assert unexplained(findings, "") == findings


def test_what_holds_nothing_may_change_freely() -> None:
    def edit(resources: dict[str, Any], parameters: dict[str, Any]) -> None:
        resources["ApiFunction"]["Properties"]["Timeout"] = 20  # a function is replaced or updated: no state
        resources["DeadLetterAlarm"]["Properties"]["EvaluationPeriods"] = 3  # an alarm nobody mutes
        resources.pop("OperationsDashboard")
        index(resources, "JobsTable", "due")["IndexName"] = "due"  # the same index
        parameters["Spare"] = {"Type": "String", "Default": ""}  # a new parameter with a default

    assert compare(current(), changed(edit)) == []


def test_a_parameter_deprecated_in_the_last_release_may_go() -> None:
    old = copy.deepcopy(current())
    old["Parameters"]["DueShards"]["Description"] = "Deprecated: ignored since 0.3.0; removed in 0.4.0."
    assert compare(old, changed(lambda r, p: p.pop("DueShards"))) == []


def test_state_kept_elsewhere_may_be_reset() -> None:
    old = copy.deepcopy(current())
    old["Resources"]["TickRule"]["Metadata"] = {"RuntimeStateKeptIn": "JobsTable"}
    assert "TickRule" not in runtime_state(old)
    assert compare(old, changed(lambda r, p: r["TickRule"]["Properties"].update(Description="the tick"))) == []


def test_a_wildcard_grant_reconfigures_too() -> None:
    old = copy.deepcopy(current())
    roles = [resource for resource in old["Resources"].values() if resource["Type"] == "AWS::IAM::Role"]
    statement = {"Effect": "Allow", "Action": "cloudwatch:*", "Resource": {"Fn::GetAtt": ["DeadLetterAlarm", "Arn"]}}
    roles[0]["Properties"]["Policies"].append({"PolicyName": "all", "PolicyDocument": {"Statement": [statement]}})
    assert runtime_state(old)["DeadLetterAlarm"] == "cloudwatch:*"


@pytest.mark.parametrize(
    "edit",
    [
        lambda r: r["TickRule"]["Properties"].update(Description="the tick"),
        lambda r: r["TickRule"]["Properties"].update(Name="jobs-tick"),
    ],
    ids=["updated", "replaced"],
)
def test_the_runner_rule_may_change_since_its_state_is_kept_in_state_table(edit: Any) -> None:
    """The switch's record restores the rule (a tick finding it stopped disables the rule again): the check
    knows it by the rule's `RuntimeStateKeptIn`, and without that mark flags the same change."""
    after = changed(lambda r, p: edit(r))
    assert not [finding for finding in compare(current(), after) if "TickRule" in finding.names]

    unmarked_before, unmarked_after = copy.deepcopy(current()), copy.deepcopy(after)
    for template in (unmarked_before, unmarked_after):
        template["Resources"]["TickRule"].pop("Metadata")
    assert [finding for finding in compare(unmarked_before, unmarked_after) if "TickRule" in finding.names]

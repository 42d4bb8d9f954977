"""The API's URL from a deployed stack: its CloudFormation output `ApiUrl` (template.yaml, Outputs)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from serverless_jobs_client.errors import ClientError

if TYPE_CHECKING:
    from botocore.session import Session

API_URL_OUTPUT = "ApiUrl"


def api_url_of_stack(name: str, session: Session | None = None, region: str | None = None) -> str:
    """DescribeStacks on `name` (needs cloudformation:DescribeStacks) and read its `ApiUrl` output."""
    from botocore.exceptions import BotoCoreError
    from botocore.exceptions import ClientError as AwsError
    from botocore.session import Session

    cloudformation: Any = (session or Session()).create_client("cloudformation", region_name=region)
    try:
        stacks = cloudformation.describe_stacks(StackName=name)["Stacks"]
    except (AwsError, BotoCoreError) as error:
        raise ClientError(f"cannot read stack {name!r}: {error}") from error
    for output in stacks[0].get("Outputs", []) if stacks else []:
        if output.get("OutputKey") == API_URL_OUTPUT:
            url: str = output["OutputValue"]
            return url
    raise ClientError(f"stack {name!r} has no {API_URL_OUTPUT} output: is it a serverless-jobs stack, fully deployed?")

"""The runnable blocks of README.md and the docs site's pages, as the tests that run them verbatim read them.

A block is found by its page, the heading of its section and its language: the first block of that language
between the heading and the next heading of the same or a higher level. The tests name their blocks here, so
that tests/unit/test_docs.py fails when one of them is moved or removed, even where the test running it is
skipped (no Node.js, no browser)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from devtools.template import ROOT

HEADING = re.compile(r"(#{1,6}) (.+)")


class BlockMissing(LookupError):
    """A page, heading or block a test names is not in the docs."""


def docs_script(page: str, heading: str, language: str = "sh") -> str:
    """The first `language` block (a shell block unless told) of the section under `heading` on `page`, a path
    from the repository's root (`README.md`, `docs/targets.md`); `heading` is the heading's text without #s."""
    path = ROOT / page
    if not path.is_file():
        raise BlockMissing(f"{page}: no such page")
    section = _section(path.read_text().splitlines(), heading, page)
    fence = f"```{language}"
    for index, line in enumerate(section):
        if line == fence:
            body = section[index + 1 :]
            end = body.index("```") if "```" in body else None
            if end is None:
                raise BlockMissing(f"{page}: the {language} block under {heading!r} is not closed")
            return "".join(f"{text}\n" for text in body[:end])
    raise BlockMissing(f"{page}: no {language} block under the heading {heading!r}")


def _section(lines: list[str], heading: str, page: str) -> list[str]:
    """The lines under `heading`, up to the next heading of its level or higher; `#` lines inside a fenced
    block are code (a shell comment), not headings."""
    level = 0
    start = 0
    fenced = False
    for index, line in enumerate(lines):
        if line.startswith("```"):
            fenced = not fenced
        found = None if fenced else HEADING.fullmatch(line)
        if found is None:
            continue
        if level and len(found.group(1)) <= level:
            return lines[start:index]
        if not level and found.group(2).strip() == heading:
            level, start = len(found.group(1)), index + 1
    if not level:
        raise BlockMissing(f"{page}: no heading {heading!r}")
    return lines[start:]


@dataclass(frozen=True)
class Block:
    """A block a test runs: where it is."""

    page: str
    heading: str
    language: str = "sh"

    def text(self) -> str:
        return docs_script(self.page, self.heading, self.language)


QUICKSTART = Block("README.md", "Try it")
CLI_QUICKSTART = Block("README.md", "The same with the `serverless-jobs` command")
LABELS = Block("docs/api.md", "Labels and bulk operations")
IDEMPOTENT_CREATE = Block("docs/api.md", "Idempotency")
PREVIEW = Block("docs/schedules.md", "Preview")
CONCURRENCY = Block("docs/flow-control.md", "Concurrency: `concurrencyKey`")
RATE_LIMIT = Block("docs/flow-control.md", "Rate limits: `rateLimit`")
MANIFEST = Block("docs/schedules-as-code.md", "The file", "yaml")
PYTHON_CLIENT = Block("docs/cli.md", "Client and CLI", "python")
WEBHOOK_PYTHON = Block("docs/targets.md", "Webhook signatures", "python")
WEBHOOK_NODE = Block("docs/targets.md", "Webhook signatures", "js")
LOGS_QUERY = Block("docs/operations.md", "A run's logs", "text")
LOGS_QUERY_SHELL = Block("docs/operations.md", "A run's logs", "sh")
NESTED_APPLICATION = Block("README.md", "Deploy", "yaml")

EXECUTED = (
    QUICKSTART,
    CLI_QUICKSTART,
    LABELS,
    IDEMPOTENT_CREATE,
    PREVIEW,
    CONCURRENCY,
    RATE_LIMIT,
    MANIFEST,
    PYTHON_CLIENT,
    WEBHOOK_PYTHON,
    WEBHOOK_NODE,
    LOGS_QUERY,
    LOGS_QUERY_SHELL,
    NESTED_APPLICATION,
)


def docs_table(page: str, heading: str) -> str:
    """The first markdown table of the section under `heading` on `page`, its lines as written."""
    path = ROOT / page
    if not path.is_file():
        raise BlockMissing(f"{page}: no such page")
    lines = _section(path.read_text().splitlines(), heading, page)
    start = next((index for index, line in enumerate(lines) if line.startswith("|")), None)
    if start is None:
        raise BlockMissing(f"{page}: no table under the heading {heading!r}")
    end = next((index for index, line in enumerate(lines[start:], start) if not line.startswith("|")), len(lines))
    return "".join(f"{line}\n" for line in lines[start:end])

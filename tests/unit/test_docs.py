"""The docs hold what the tests run and what a newcomer follows: every block a test runs is where the test
looks for it, README stays a ten-minute read that reaches every page of the site, and its links resolve
(`mkdocs build --strict`, in `make lint`, checks the site's own links and anchors; README is not a page)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from devtools.template import ROOT
from harness import docs
from harness.docs import EXECUTED, Block, BlockMissing, docs_script

README = ROOT / "README.md"
REPOSITORY = "https://github.com/serverless-jobs/serverless-jobs/"
LINK = re.compile(r"\]\(([^)\s]+)\)")


def nav_pages(entries: list[object]) -> list[str]:
    pages: list[str] = []
    for entry in entries:
        value = next(iter(entry.values())) if isinstance(entry, dict) else entry
        pages.extend(nav_pages(value) if isinstance(value, list) else [str(value)])
    return pages


def site_nav() -> list[str]:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    return nav_pages(config["nav"])


def headings(text: str) -> list[str]:
    """A page's headings, outside fenced blocks (a shell comment is no heading)."""
    found, fenced = [], False
    for line in text.splitlines():
        fenced ^= line.startswith("```")
        if not fenced and (match := re.fullmatch(r"#{1,6} (.+)", line)):
            found.append(match.group(1))
    return found


def slug(heading: str) -> str:
    """The anchor GitHub and MkDocs' toc give a heading."""
    return re.sub(r"\s+", "-", re.sub(r"[^\w\s-]", "", heading.strip().lower()))


@pytest.mark.parametrize("block", EXECUTED, ids=lambda block: f"{block.page}:{block.heading}:{block.language}")
def test_every_block_a_test_runs_is_where_it_looks(block: Block) -> None:
    assert block.text().strip()


def test_every_block_the_harness_names_is_checked_here() -> None:
    named = {value for value in vars(docs).values() if isinstance(value, Block)}
    assert named == set(EXECUTED)


def test_a_block_that_moved_is_a_clear_failure_not_another_block() -> None:
    with pytest.raises(BlockMissing, match="no heading 'Quick start'"):
        docs_script("README.md", "Quick start")
    with pytest.raises(BlockMissing, match="no python block"):
        docs_script("README.md", "Try it", "python")  # there is one further down, under another heading
    with pytest.raises(BlockMissing, match="no such page"):
        docs_script("docs/nowhere.md", "Try it")
    # A shell comment inside a block is not a heading.
    with pytest.raises(BlockMissing, match="no heading"):
        docs_script("README.md", "a job every 2 seconds; keep its id")


def test_readme_is_a_ten_minute_read_with_the_two_commands() -> None:
    text = README.read_text()
    assert len(text.splitlines()) <= 300
    assert "make dev" in docs_script("README.md", "The two commands")
    assert "make test" in docs_script("README.md", "The two commands")


def test_readme_reaches_every_page_of_the_site() -> None:
    """Every page at the top of docs/; a folder of pages (the decision records) is reached from DESIGN and its nav."""
    linked = {target.split("#")[0] for target in LINK.findall(README.read_text())}
    assert {f"docs/{page}" for page in site_nav() if page != "index.md" and "/" not in page} <= linked


def test_every_page_of_the_site_is_in_its_nav() -> None:
    pages = {path.name for path in (ROOT / "docs").glob("*.md")}
    assert pages <= set(site_nav())


@pytest.mark.parametrize("page", [README, *sorted((ROOT / "docs").glob("*.md"))], ids=lambda path: path.name)
def test_links_to_the_repository_name_files_that_exist(page: Path) -> None:
    """The site links files outside docs/ by the repository's URL, which mkdocs does not check."""
    for target in LINK.findall(page.read_text()):
        if target.startswith(REPOSITORY):
            path = re.sub(r"^(blob|tree)/main/", "", target.removeprefix(REPOSITORY)).split("#")[0]
            assert (ROOT / path).exists(), f"{page.name}: {target}"


def test_readmes_own_links_resolve() -> None:
    text = README.read_text()
    anchors = {slug(heading) for heading in headings(text)}
    for target in LINK.findall(text):
        if target.startswith(("http://", "https://")):
            continue
        path, _, anchor = target.partition("#")
        assert (ROOT / path).exists() if path else anchor in anchors, target

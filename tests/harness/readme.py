"""The README's shell examples, as the tests that run them verbatim read them."""

from __future__ import annotations

from devtools.template import ROOT


def readme_script(heading: str, language: str = "sh") -> str:
    """The first `language` block (a shell block unless told) of a README section."""
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index(heading) :]
    fence = f"```{language}\n"
    start = section.index(fence) + len(fence)
    return section[start : section.index("```", start)]

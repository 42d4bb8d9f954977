"""The console's files, served under /ui by `make dev` and by the console server: one lookup for both.

Only the files shipped in static/ are served (looked up by name, never joined into a path), so no request
can read anything else on the machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

PREFIX = "/ui"
_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}
# Everything from this origin, nothing inline, nothing from a CDN; the API is the same origin.
_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)


@dataclass(frozen=True)
class Asset:
    status: int
    headers: dict[str, str]
    body: bytes


def is_console_path(path: str) -> bool:
    """Whether a request path (without its query) is the console's, not the API's."""
    return path == PREFIX or path.startswith(PREFIX + "/")


def asset(path: str) -> Asset:
    """The answer to GET `path` under /ui: a page or file, a redirect to the page, or a plain 404."""
    if path == PREFIX:  # the pages' relative URLs need the trailing slash
        return Asset(308, {"Location": PREFIX + "/"}, b"")
    name = path.removeprefix(PREFIX + "/") or "index.html"
    files = {entry.name: entry for entry in resources.files(__package__).joinpath("static").iterdir()}
    suffix = name[name.rfind(".") :] if "." in name else ""
    entry = files.get(name)
    if entry is None or suffix not in _TYPES:
        return Asset(404, {"Content-Type": "text/plain; charset=utf-8"}, f"no console file {name!r}\n".encode())
    headers = {
        "Content-Type": _TYPES[suffix],
        "Content-Security-Policy": _POLICY,
        "X-Content-Type-Options": "nosniff",
        # A new version of the package must not meet yesterday's modules in the browser's cache.
        "Cache-Control": "no-cache",
    }
    return Asset(200, headers, entry.read_bytes())

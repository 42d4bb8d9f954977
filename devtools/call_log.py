"""The AWS calls the functions make: in this process, and in every local stack started with a call file.

The tests record this process's calls here and, after each test, check the ones made since the previous
test against the deployed roles; the least-privilege test reads what the whole session did.
"""

from __future__ import annotations

import threading
from pathlib import Path

from devtools.aws_calls import AwsCall


class CallLog:
    def __init__(self) -> None:
        self._pending: list[AwsCall] = []
        self._lock = threading.Lock()
        self._files: dict[Path, int] = {}  # a local stack's call file -> how far it has been read
        self.seen: dict[AwsCall, str] = {}  # every distinct call of the session -> the first test that made it

    def add(self, call: AwsCall) -> None:
        with self._lock:
            self._pending.append(call)

    def watch(self, path: Path) -> None:
        """Read the calls a local stack writes to `path` (devtools.aws_calls.CallFile) from now on."""
        self._files[path] = 0

    def forget(self, path: Path) -> None:
        """Read the last calls in `path` and stop watching it."""
        self.drain()
        del self._files[path]

    def drain(self) -> None:
        """Take the complete lines the local stacks have written since the last read."""
        for path, offset in self._files.items():
            with path.open("rb") as file:
                file.seek(offset)
                text = file.read()
            complete = text[: text.rfind(b"\n") + 1]
            self._files[path] = offset + len(complete)
            for line in complete.decode().splitlines():
                self.add(AwsCall.from_json(line))

    def take(self, test: str) -> list[AwsCall]:
        """The distinct calls made since the last take, now counted as `test`'s."""
        self.drain()
        with self._lock:
            taken, self._pending = list(dict.fromkeys(self._pending)), []
        for call in taken:
            self.seen.setdefault(call, test)
        return taken

    def mark(self) -> int:
        """A point in the calls not yet taken; `since` returns what came after it."""
        return len(self._pending)

    def since(self, mark: int) -> list[AwsCall]:
        return self._pending[mark:]


CALLS = CallLog()

"""`serverless-jobs ui` as a user starts it: the installed command in its own process, spoken to over HTTP."""

from __future__ import annotations

import json
import re
import select
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devtools.local_http import free_port
from serverless_jobs_client.console.server import CONSOLE_HEADER, SECRET_PARAMETER, cookie_name, launch_page

COMMAND = Path(sys.executable).parent / "serverless-jobs"
FROM_THE_PAGES = {CONSOLE_HEADER: "1"}
START_SECONDS = 15


@dataclass
class ConsoleUi:
    url: str  # the console's pages, as the command printed it: with this launch's secret
    banner: str  # the line it printed first
    process: subprocess.Popen[str]

    @classmethod
    def start(cls, api: str) -> ConsoleUi:
        """`serverless-jobs ui --api API --no-browser --port N`, once it has printed where it serves."""
        command = [str(COMMAND), "--api", api, "ui", "--no-browser", "--port", str(free_port())]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert process.stdout is not None
        if select.select([process.stdout], [], [], START_SECONDS)[0]:
            banner = process.stdout.readline()
            found = re.search(rf"http://127\.0\.0\.1:\d+/ui/\?{SECRET_PARAMETER}=[\w-]+", banner)
            if found:
                return cls(found.group(0), banner, process)
        process.kill()
        _, errors = process.communicate()
        raise RuntimeError(f"serverless-jobs ui did not start: {errors}")

    @property
    def pages(self) -> str:
        """The pages' URL without the secret, as the browser shows it once the secret is its cookie."""
        return self.url.split("?", 1)[0]

    @property
    def origin(self) -> str:
        return self.pages.removesuffix("/ui/")

    @property
    def secret(self) -> str:
        return self.url.split(f"?{SECRET_PARAMETER}=", 1)[1]

    @property
    def cookie(self) -> dict[str, str]:
        """The Cookie header the browser sends once it has opened `url`."""
        return {"Cookie": f"{cookie_name(int(self.origin.rsplit(':', 1)[1]))}={self.secret}"}

    def launch_page(self) -> Path:
        """The page `ui` opens a browser on (without --no-browser): a private file sending it on to `url`."""
        return launch_page(self.url)

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: Mapping[str, str] = FROM_THE_PAGES,
        *,
        with_secret: bool = True,
    ) -> tuple[int, Any]:
        """A call as the console's pages make it: with the secret's cookie unless `with_secret` is False, and
        CONSOLE_HEADER unless `headers` says otherwise."""
        data = None if body is None else json.dumps(body).encode()
        sent = {"Content-Type": "application/json", **(self.cookie if with_secret else {}), **headers}
        request = urllib.request.Request(self.origin + path, data, sent, method=method)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as error:
            with error:
                return error.code, json.loads(error.read())

    def interrupt(self, signum: int = signal.SIGINT) -> tuple[int, str, str]:
        """Ctrl-C (or `signum`): its exit code and everything it printed after its banner."""
        self.process.send_signal(signum)
        out, errors = self.process.communicate(timeout=10)
        return self.process.returncode, out, errors

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.communicate()

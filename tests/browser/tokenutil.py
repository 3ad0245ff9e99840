"""Helpers of the smail-token browser tests: Debian's chromium under Playwright, the command in a
child process (as a user runs it), and the user's part on oidc-provider's dev pages.

The browser never leaves loopback: --host-resolver-rules maps every other host to NOTFOUND and
a route aborts any request to a host that is not 127.0.0.1 or localhost.
"""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cli.util import hermetic_env

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
]
LOOPBACK_HOSTS = {"127.0.0.1", "localhost"}


@contextmanager
def chromium() -> Iterator[Any]:
    """A Playwright Browser on /usr/bin/chromium (never a downloaded one)."""
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).is_file(), "apt-get install chromium (Debian) is needed"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class BrowserSession:
    """A fresh context (no cookies) whose requests off loopback are aborted and recorded."""

    context: Any
    page: Any
    blocked: list[str] = field(default_factory=list)

    def shot(self, folder: Path, name: str) -> Path:
        path = folder / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@contextmanager
def session(browser: Any) -> Iterator[BrowserSession]:
    context = browser.new_context()
    blocked: list[str] = []

    def guard(route: Any) -> None:
        host = urlsplit(route.request.url).hostname or ""
        if host in LOOPBACK_HOSTS:
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        yield BrowserSession(context, page, blocked)
    finally:
        context.close()


def token_command() -> list[str]:
    folder = Path(sys.executable).parent
    for name in ("smail-token", "smail-token.exe"):
        if (folder / name).is_file():
            return [str(folder / name)]
    raise AssertionError("the smail-token console script is not installed (pip install -e .)")


def token_env(
    folder: Path, secret: str | None, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    env = hermetic_env(folder, extra)
    if secret:
        env["SMAIL_CLIENT_SECRET"] = secret
    return env


class TokenRun:
    """`smail-token ARGS` running in `cwd`; its stdout lines are collected as they come."""

    def __init__(self, args: Sequence[str], cwd: Path, env: Mapping[str, str]) -> None:
        self.proc = subprocess.Popen(
            [*token_command(), *args],
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._err: list[bytes] = []
        self._threads = [
            threading.Thread(target=self._pump, daemon=True),
            threading.Thread(target=self._pump_err, daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            self._queue.put(raw.decode("utf-8", "replace").rstrip("\r\n"))
        self._queue.put(None)

    def _pump_err(self) -> None:
        assert self.proc.stderr is not None
        self._err.append(self.proc.stderr.read())

    def wait_line(self, pattern: str, timeout: float = 20.0) -> str:
        """The first (new) stdout line matching `pattern`."""
        deadline = time.monotonic() + timeout
        while True:
            for line in self.lines:
                if re.search(pattern, line):
                    return line
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no line matching {pattern!r} in {self.lines}")
            try:
                item = self._queue.get(timeout=left)
            except queue.Empty:
                continue
            if item is None:
                raise AssertionError(f"exited ({self.proc.wait()}) before {pattern!r}: "
                                     f"{self.lines} / {self.stderr()}")  # fmt: skip
            self.lines.append(item)

    def send(self, text: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(text.encode())
        self.proc.stdin.flush()

    def finish(self, timeout: float = 30.0) -> tuple[int, str, str]:
        try:
            code = self.proc.wait(timeout=timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                item = self._queue.get(timeout=0.2)
            except queue.Empty:
                continue
            if item is None:
                break
            self.lines.append(item)
        for thread in self._threads:
            thread.join(timeout=5)
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()
        return code, "\n".join(self.lines), self.stderr()

    def stderr(self) -> str:
        return b"".join(self._err).decode("utf-8", "replace")


def authorize_url(run: TokenRun) -> str:
    return run.wait_line(r"^https?://\S+/auth\?").strip()


def sign_in(page: Any, user: str, *, consent: bool = True) -> None:
    """On oidc-provider's dev pages: log in as `user`, then Continue (or Cancel) on consent."""
    page.wait_for_selector("input[name=login]")
    page.fill("input[name=login]", user)
    page.fill("input[name=password]", "any")
    page.click("button[type=submit]")
    page.wait_for_selector("input[name=prompt][value=consent]", state="attached")
    if consent:
        page.click("button[type=submit]")
    else:
        page.click("text=[ Cancel ]")


def visible_text(page: Any) -> str:
    return " ".join(str(page.inner_text("body")).split())


def run_env_secret(env: Mapping[str, str]) -> str:
    return env.get("SMAIL_CLIENT_SECRET", "")


def os_path_private(path: Path) -> bool:
    return sys.platform == "win32" or (os.stat(path).st_mode & 0o077) == 0

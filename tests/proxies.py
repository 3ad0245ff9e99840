"""Real proxies for the tests: tinyproxy (HTTP CONNECT) and dante (SOCKS5), on loopback.

Each runs in the foreground as a child of the test session, on a free port, with its own
configuration file in a temporary folder, and is stopped (by its own pid) when the `with` ends.

dante checks SOCKS5 user names and passwords against the system's accounts only (its
`username` method uses getpwnam/crypt; PAM would need a module that Debian does not install).
So `socks_user()` creates a system account `pysmail-proxy` (no home, no login shell) once and
gives it a new random password every test session. That needs root, which the mail stack needs
too (docs/test-stack.md).
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SOCKS_USER = "pysmail-proxy"
START_TIMEOUT = 10.0


@dataclass(frozen=True)
class RunningProxy:
    """A proxy listening on 127.0.0.1:`port`; `log` is its output so far."""

    port: int
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.is_file() else ""


def free_port() -> int:
    """A loopback port that nobody listens on (bound and released at once)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _program(name: str, *extra: str) -> str:
    path = shutil.which(name) or next(
        (p for p in (f"{d}/{name}" for d in extra) if os.access(p, os.X_OK)), None
    )
    if path is None:
        raise AssertionError(f"{name} is not installed: run scripts/install-test-deps.sh")
    return path


@contextmanager
def _run(argv: Sequence[str], port: int, log_path: Path) -> Iterator[RunningProxy]:
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    text = log_path.read_text(errors="replace")
                    message = f"{argv[0]} did not start on port {port}:\n{text}"
                    raise AssertionError(message) from None
                time.sleep(0.05)
        yield RunningProxy(port, log_path)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@contextmanager
def tinyproxy(
    folder: Path,
    connect_ports: Sequence[int] = (),
    basic_auth: tuple[str, str] | None = None,
    allow: str = "127.0.0.1",
) -> Iterator[RunningProxy]:
    """tinyproxy on a free port. `connect_ports`: the only ports CONNECT may reach (others get
    403); empty: every port. `basic_auth`: (user, password) required (else 407)."""
    port = free_port()
    folder.mkdir(parents=True, exist_ok=True)
    lines = [
        f"Port {port}",
        "Listen 127.0.0.1",
        "Timeout 30",
        f"Allow {allow}",
        "MaxClients 50",
        "LogLevel Info",
        "User nobody",
        "Group nogroup",
        *(f"ConnectPort {p}" for p in connect_ports),
    ]
    if basic_auth is not None:
        lines.append(f"BasicAuth {basic_auth[0]} {basic_auth[1]}")
    conf = folder / f"tinyproxy-{port}.conf"
    conf.write_text("\n".join(lines) + "\n")
    argv = [_program("tinyproxy", "/usr/bin", "/usr/sbin"), "-d", "-c", str(conf)]
    with _run(argv, port, folder / f"tinyproxy-{port}.log") as running:
        yield running


def socks_user() -> tuple[str, str]:
    """The system account dante checks, with a fresh random password: (user, password)."""
    password = secrets.token_urlsafe(18)
    if subprocess.run(["id", SOCKS_USER], capture_output=True, check=False).returncode != 0:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SOCKS_USER],
            check=True,
            capture_output=True,
        )
    subprocess.run(
        ["chpasswd"], input=f"{SOCKS_USER}:{password}\n".encode(), check=True, capture_output=True
    )
    return SOCKS_USER, password


@contextmanager
def dante(folder: Path, username_auth: bool) -> Iterator[RunningProxy]:
    """danted on a free port: SOCKS5 with method "none", or "username" (system accounts)."""
    port = free_port()
    folder.mkdir(parents=True, exist_ok=True)
    method = "username" if username_auth else "none"
    conf = folder / f"danted-{port}.conf"
    conf.write_text(
        "logoutput: stderr\n"
        f"internal: 127.0.0.1 port = {port}\n"
        "external: 127.0.0.1\n"
        "clientmethod: none\n"
        f"socksmethod: {method}\n"
        "user.privileged: root\n"
        "user.unprivileged: nobody\n"
        "client pass { from: 127.0.0.1/32 to: 0.0.0.0/0 }\n"
        "socks pass {\n  from: 127.0.0.1/32 to: 0.0.0.0/0\n  command: connect\n"
        "  log: connect error\n}\n"
    )
    argv = [_program("danted", "/usr/sbin"), "-f", str(conf), "-p", str(folder / f"{port}.pid")]
    with _run(argv, port, folder / f"danted-{port}.log") as running:
        yield running

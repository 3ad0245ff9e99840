"""Ctrl+C at a chosen moment of a real `smail` child: a loopback SMTP server of the tests' own
that holds the connection (no real server does that on purpose), and the child interrupted
when it holds. A console Ctrl+C on Windows (untested there), SIGINT elsewhere."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from cli.util import LOOPBACK, hermetic_env, smail_command

WAIT = 30.0  # seconds for a moment that comes in milliseconds (a bound, not an assertion)


class HoldingServer:
    """One SMTP connection: the first `accept` messages are answered 250, then the server
    holds after the next message's final "." without an answer (`accept` None: it holds
    before its greeting, saying nothing). `reached` is set when it holds."""

    def __init__(self, accept: int | None) -> None:
        self.accept = accept
        self.reached = threading.Event()
        self.release = threading.Event()
        self.listener = socket.create_server((LOOPBACK, 0))
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        conn, _ = self.listener.accept()
        with conn:
            if self.accept is not None:
                self._dialogue(conn, self.accept)
            self.reached.set()
            self.release.wait(WAIT)

    @staticmethod
    def _dialogue(conn: socket.socket, accept: int) -> None:
        reader = conn.makefile("rb")
        conn.sendall(b"220 holding.test ESMTP\r\n")
        accepted = 0
        while line := reader.readline():
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                conn.sendall(b"250-holding.test\r\n250 8BITMIME\r\n")
            elif verb == b"DATA":
                conn.sendall(b"354 go ahead\r\n")
                while (line := reader.readline()) not in (b".\r\n", b""):
                    pass
                if accepted == accept:
                    return  # this message is here whole: hold its answer
                accepted += 1
                conn.sendall(f"250 2.0.0 queued as m{accepted}\r\n".encode())
            else:
                conn.sendall(b"250 OK\r\n")

    def close(self) -> None:
        self.release.set()
        self.thread.join(WAIT)
        self.listener.close()


def run_interrupted(folder: Path, server: HoldingServer, argv: Sequence[str]) -> tuple[int, str]:
    """The real `smail` child with `argv` in `folder`, interrupted when `server` holds: its
    exit code and what it printed (stdout, then stderr)."""
    proc = subprocess.Popen(
        [*smail_command(), *argv],
        cwd=folder,
        env=hermetic_env(folder),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        creationflags=getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0),
    )
    try:
        assert server.reached.wait(WAIT), "smail never reached the server"
        if sys.platform == "win32":  # pragma: no cover - untested on Windows: a console Ctrl+C
            proc.send_signal(signal.CTRL_C_EVENT)
        else:
            proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=WAIT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return proc.returncode, out.decode() + err.decode()

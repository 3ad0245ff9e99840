"""Client-side view of the real loopback mail stack started by scripts/stack.py.

`Stack.load(run_dir)` reads RUN/stack.json. Tests get a `Stack` from the session-scoped `stack`
fixture (tests/conftest.py) and use its attributes to connect:

    stack.host            "127.0.0.2" (Dovecot; clients come from 127.0.0.1, so AUTH needs TLS)
    stack.mismatch_host   "127.0.0.3" (same Dovecot; the certificate does NOT name it)
    stack.submission      STARTTLS port        stack.submissions   implicit-TLS port
    stack.pop3            STLS port            stack.pop3s         implicit-TLS port
    stack.relay           Postfix smtpd on stack.relay_host (127.0.0.1), plain SMTP, no auth
    stack.cafile          per-run CA certificate (str path)
    stack.users           {"alice@example.test": "alice-pw", "bob@example.test": "bob-pw"}

and read mail back with `stack.fetch(user, expect=n)` (POP3S, verified TLS, RETR + DELE).
"""

from __future__ import annotations

import json
import poplib
import ssl
import time
from dataclasses import dataclass, field
from pathlib import Path

# poplib refuses lines over 2048 bytes; a test message may legitimately carry longer ones.
_MAX_LINE = 1 << 20


class _POP3S(poplib.POP3_SSL):
    """POP3_SSL that accepts long lines (reading back raw test messages)."""

    def _getline(self) -> tuple[bytes, int]:
        line = self.file.readline(_MAX_LINE + 1)
        if len(line) > _MAX_LINE:
            raise poplib.error_proto("line too long")
        if not line:
            raise poplib.error_proto("-ERR EOF")
        octets = len(line)
        if line.endswith(b"\r\n"):
            return line[:-2], octets
        return line.rstrip(b"\n"), octets


def _summary(raw: bytes) -> str:
    """One line per message for assertion texts: its Subject (or first line) and size."""
    head = raw.split(b"\r\n\r\n", 1)[0]
    subject = next(
        (ln for ln in head.split(b"\r\n") if ln.lower().startswith(b"subject:")), head[:60]
    )
    return f"{subject.decode('utf-8', 'replace')!r} ({len(raw)} bytes)"


@dataclass(frozen=True)
class Stack:
    run_dir: Path
    host: str
    mismatch_host: str
    relay_host: str
    submission: int
    submissions: int
    pop3: int
    pop3s: int
    relay: int
    lmtp: int
    cafile: str
    users: dict[str, str] = field(default_factory=dict)
    pids: dict[str, int] = field(default_factory=dict)

    @classmethod
    def load(cls, run_dir: str | Path) -> Stack:
        run = Path(run_dir)
        info = json.loads((run / "stack.json").read_text())
        ports = info["ports"]
        return cls(
            run_dir=run,
            host=info["host"],
            mismatch_host=info["mismatch_host"],
            relay_host=info["relay_host"],
            submission=ports["submission"],
            submissions=ports["submissions"],
            pop3=ports["pop3"],
            pop3s=ports["pop3s"],
            relay=ports["relay"],
            lmtp=ports["lmtp"],
            cafile=info["cafile"],
            users=dict(info["users"]),
            pids=dict(info["pids"]),
        )

    def ssl_context(self) -> ssl.SSLContext:
        """A client context that trusts only this run's CA (hostname checking on)."""
        return ssl.create_default_context(cafile=self.cafile)

    def _drain(self, user: str, *, minimum: int) -> list[bytes] | None:
        """One POP3S session: if at least `minimum` messages are there, RETR + DELE them all."""
        pop = _POP3S(self.host, self.pop3s, context=self.ssl_context(), timeout=10)
        try:
            pop.user(user)
            pop.pass_(self.users[user])
            count, _size = pop.stat()
            if count < minimum:
                return None
            messages = []
            for number in range(1, count + 1):
                _resp, lines, _octets = pop.retr(number)
                messages.append(b"".join(line + b"\r\n" for line in lines))
                pop.dele(number)
            return messages
        finally:
            try:
                pop.quit()  # commits the DELEs
            except (OSError, poplib.error_proto):
                pop.close()

    def fetch(self, user: str, *, expect: int = 1, timeout: float = 10.0) -> list[bytes]:
        """Wait until `user` has at least `expect` messages; return them raw and delete them.

        Each message is returned as received over POP3 (CRLF line ends, dot-unstuffed), with
        the Return-Path, Delivered-To and Received headers added by the stack on top. With
        expect=0 it returns whatever is there now. On timeout it deletes what was found and
        raises AssertionError listing it.
        """
        deadline = time.monotonic() + timeout
        while True:
            got = self._drain(user, minimum=max(expect, 0))
            if got is not None:
                return got
            if time.monotonic() >= deadline:
                found = self._drain(user, minimum=0) or []
                listing = "; ".join(_summary(m) for m in found) or "nothing"
                raise AssertionError(
                    f"{user}: expected {expect} message(s) within {timeout} s, found "
                    f"{len(found)}: {listing}\n--- stack log tail ---\n{self.log_tail()}"
                )
            time.sleep(0.1)

    def clear(self, user: str) -> int:
        """Delete every message of `user`; return how many there were."""
        return len(self.fetch(user, expect=0))

    def log_text(self) -> str:
        """Dovecot and Postfix logs of this run (what they logged so far), for assertions."""
        parts = []
        for name in ("dovecot.log", "dovecot.out", "postfix.log", "postfix.out"):
            path = self.run_dir / "logs" / name
            if path.is_file():
                parts.append(f"=== {name} ===\n{path.read_text(errors='replace')}")
        return "\n".join(parts)

    def log_tail(self, lines: int = 40) -> str:
        """The last `lines` lines of each log, for failure messages."""
        parts = []
        for name in ("dovecot.log", "dovecot.out", "postfix.log", "postfix.out"):
            path = self.run_dir / "logs" / name
            if path.is_file():
                tail = path.read_text(errors="replace").splitlines()[-lines:]
                parts.append(f"=== {name} (tail) ===\n" + "\n".join(tail))
        return "\n".join(parts)

"""pysmail.logging.SMTPHandler against the real stack: a record delivered (OAuth, the stack's
oidc-provider); the server down (the fault proxy stopped) -> the application goes on, the record
waits in the outbox, and with the server up again the next flush sends it; a server that never
answers -> emit() has returned while the handler's thread still waits, and `smail --flush` of the
same outbox sends the record after the application is gone. Mail is read back over POP3.

The application is a child process (its own HOME and outbox) driven line by line on stdin:
`log TEXT` logs an error, `flush` calls handler.flush(); each answer is the outbox's files.
"""

from __future__ import annotations

import email
import email.policy
import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from cli.util import hermetic_env, marker, run_exe, write_ini
from faultproxy import FaultProxy
from stackutil import Stack

pytestmark = pytest.mark.stack

ALICE = "alice@example.test"
BOB = "bob@example.test"

APP = """
import json, logging, pathlib, sys
import pysmail
from pysmail.logging import SMTPHandler

where, to, mark, spool = sys.argv[1], sys.argv[2], sys.argv[3], pathlib.Path(sys.argv[4])
# a smail.ini path, or the name of an [account NAME] of the smail.ini in the current folder
account = pysmail.Account.from_file(where) if where.endswith(".ini") else where

class Handler(SMTPHandler):
    def getSubject(self, record):
        return f"{mark} {record.getMessage()}"

handler = Handler(account=account, toaddrs=[to])
handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
app = logging.getLogger("app")
app.addHandler(handler)
app.propagate = False
for line in sys.stdin:
    command, _, text = line.strip().partition(" ")
    if command == "log":
        app.error("%s", text)
    elif command == "flush":
        handler.flush()
    queued = sorted(p.name for p in spool.glob("*.msg")) if spool.is_dir() else []
    print(json.dumps([command, queued]), flush=True)
"""


class App:
    """The application: one child process, one command at a time."""

    def __init__(self, folder: Path, ini: Path | str, mark: str) -> None:
        self.spool = folder / "outbox"
        self.proc = subprocess.Popen(
            [sys.executable, "-c", APP, str(ini), BOB, mark, str(self.spool)],
            cwd=folder,
            env=hermetic_env(folder),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )

    def do(self, command: str) -> list[str]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(command.encode() + b"\n")
        self.proc.stdin.flush()
        done, queued = json.loads(self.proc.stdout.readline())
        assert done == command.partition(" ")[0]
        return list(queued)

    def end(self, *, kill: bool = False) -> str:
        """Stop it (stdin closed, or killed); its stdout and stderr."""
        if kill:
            self.proc.kill()
        out, err = self.proc.communicate(timeout=120)
        if not kill:
            assert self.proc.returncode == 0, err.decode()
        return out.decode() + err.decode()


@contextmanager
def _app(folder: Path, ini: Path | str, mark: str) -> Iterator[App]:
    app = App(folder, ini, mark)
    try:
        yield app
    finally:
        if app.proc.poll() is None:
            app.proc.kill()
            app.proc.communicate()


def _plain_ini(stack: Stack, folder: Path, host: str, port: int, extra: str = "") -> Path:
    """smail.ini as alice with her password, in clear to `host:port` (the fault proxy, which
    Dovecot trusts), the outbox in `folder`."""
    return write_ini(
        folder,
        f"[smail]\nserver = {host}\nport = {port}\ntls = none\nuser = {ALICE}\n"
        f"password = {stack.users[ALICE]}\nallow_plaintext_auth = yes\n"
        f"outbox_dir = {folder / 'outbox'}\n{extra}",
    )


def _bodies(stack: Stack, count: int) -> dict[str, str]:
    got = {}
    for raw in stack.fetch(BOB, expect=count, timeout=60):
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(parsed, email.message.EmailMessage)
        got[str(parsed["Subject"])] = parsed.get_content().strip()
    return got


def test_the_handler_delivers_a_record_with_oauth(stack: Stack, tmp_path: Path) -> None:
    """account="alerts": the [account alerts] of smail.ini (OAuth, its own token file) over
    [smail] (a password login that would be refused)."""
    stack.clear(BOB)
    path, tokens = stack.write_token_file(tmp_path, ALICE)
    path.rename(tmp_path / "smail_refreshtoken.alerts.ini")
    write_ini(
        tmp_path,
        f"[smail]\nserver = {stack.host}\nport = {stack.submission}\ntls = starttls\n"
        f"cafile = {stack.cafile}\nuser = {ALICE}\npassword = not-the-password\n"
        f"outbox_dir = {tmp_path / 'outbox'}\n\n"
        f"[account alerts]\nauth = OAUTH-XOAUTH2\nfrom = {ALICE}\n",
    )
    mark = marker("logging")
    with _app(tmp_path, "alerts", mark) as app:
        app.do("log 月次処理が失敗しました")
        assert app.do("flush") == []  # sent: nothing of this handler left in the outbox
        shown = app.end()
    assert _bodies(stack, 1) == {
        f"{mark} 月次処理が失敗しました": "ERROR app: 月次処理が失敗しました"
    }
    assert stack.token_request_count(grant_type="refresh_token") == 1
    assert tokens["refresh_token"] not in shown and tokens["access_token"] not in shown


def test_server_down_the_record_waits_and_the_next_flush_sends_it(
    stack: Stack, tmp_path: Path
) -> None:
    stack.clear(BOB)
    upstream = (stack.host, stack.submission)
    down = FaultProxy(upstream).start()
    port = down.port
    down.stop()  # nothing listens there now: connection refused
    ini = _plain_ini(stack, tmp_path, down.host, port)
    mark = marker("logging-down")
    with _app(tmp_path, ini, mark) as app:
        [queued] = app.do("log first")  # the application went on; the record is on disk
        assert app.do("flush") == [queued]  # still down: it stays
        with FaultProxy(upstream, port=port) as up:
            app.do("log second")
            assert app.do("flush") == []
            shown = app.end()
        assert up.connections >= 1
    assert _bodies(stack, 2) == {
        f"{mark} first": "ERROR app: first",
        f"{mark} second": "ERROR app: second",
    }
    assert stack.users[ALICE] not in shown


def test_a_silent_server_never_holds_the_application(stack: Stack, tmp_path: Path) -> None:
    """The server takes the connection and never says a word: emit() has returned while the
    handler's thread still waits for the greeting (its connection is open at the server). The
    application is killed; `smail --flush` of the same outbox sends the record."""
    stack.clear(BOB)
    mark = marker("logging-silent")
    with socket.create_server(("127.0.0.2", 0)) as silent:
        silent.settimeout(60)  # a guard against a hang, not a measure
        ini = _plain_ini(stack, tmp_path, "127.0.0.2", silent.getsockname()[1], "timeout = 120\n")
        with _app(tmp_path, ini, mark) as app:
            [queued] = app.do("log stuck")
            waiting, _ = silent.accept()  # the handler's connection, made after emit returned
            with waiting:
                waiting.setblocking(False)
                with pytest.raises(BlockingIOError):
                    waiting.recv(1)  # still open: the handler waits for the greeting
                app.end(kill=True)
    assert sorted(p.name for p in (tmp_path / "outbox").glob("*.msg")) == [queued]

    other = tmp_path / "cron"
    other.mkdir()
    write_ini(
        other,
        f"[smail]\nserver = {stack.host}\nport = {stack.submission}\ntls = starttls\n"
        f"cafile = {stack.cafile}\nuser = {ALICE}\npassword = {stack.users[ALICE]}\n"
        f"outbox_dir = {tmp_path / 'outbox'}\n",
    )
    flushed = run_exe(["--flush"], other)
    assert flushed.code == 0, flushed.out + flushed.err
    assert _bodies(stack, 1) == {f"{mark} stuck": "ERROR app: stuck"}
    assert list((tmp_path / "outbox").glob("*.msg")) == []


def test_a_refused_login_is_reported_without_the_password(stack: Stack, tmp_path: Path) -> None:
    """A 535 is no reason to try again: the record goes to the outbox's failed/ folder, and the
    one line the handler writes (to stderr, as logging's handleError) shows no password."""
    ini = write_ini(
        tmp_path,
        f"[smail]\nserver = {stack.host}\nport = {stack.submission}\ntls = starttls\n"
        f"cafile = {stack.cafile}\nuser = {ALICE}\npassword = wrong-{stack.users[ALICE]}\n"
        f"outbox_dir = {tmp_path / 'outbox'}\n",
    )
    with _app(tmp_path, ini, marker("logging-refused")) as app:
        app.do("log refused")
        assert app.do("flush") == []
        shown = app.end()
    assert len(list((tmp_path / "outbox" / "failed").glob("*.msg"))) == 1
    assert "ERR-0025" in shown
    assert f"wrong-{stack.users[ALICE]}" not in shown

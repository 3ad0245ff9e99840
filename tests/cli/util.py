"""Shared helpers of the end-to-end `smail` tests (tests/cli): run it, write its ini, read mail.

Every run is hermetic: LANG=C, HOME and XDG_CONFIG_HOME point into the test's own folder (so no
developer's smail.ini is found), and the current folder is the test's tmp_path.
"""

from __future__ import annotations

import base64
import email
import email.policy
import io
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any, cast

from pysmail.cli.smail_main import main
from pysmail.redact import base64_forms
from stackutil import Stack

ALICE = "alice@example.test"
BOB = "bob@example.test"
LOOPBACK = "127.0.0.1"


# -- running smail ----------------------------------------------------------------------------


def hermetic_env(folder: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of one run: English messages, no settings file but the test's own."""
    env = {
        "LANG": "C",
        "HOME": str(folder),
        "XDG_CONFIG_HOME": str(folder / "xdg"),
        "APPDATA": str(folder / "appdata"),
        "PATH": os.environ.get("PATH", ""),
    }
    if sys.platform == "win32":  # pragma: no cover - Windows needs these to start a process
        for name in ("SYSTEMROOT", "SYSTEMDRIVE", "TEMP", "TMP"):
            if name in os.environ:
                env[name] = os.environ[name]
    env.update(extra or {})
    return env


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str = ""

    def err_lines(self) -> list[str]:
        return [line for line in self.out.splitlines() if line.startswith("ERR-")]


def run_main(argv: Sequence[str], cwd: Path, env: Mapping[str, str] | None = None) -> Result:
    """smail in-process: main() with a StringIO as stdout (fast)."""
    buffer = io.StringIO()
    code = main(list(argv), stdout=buffer, environ=dict(env or hermetic_env(cwd)), cwd=cwd)
    return Result(code, buffer.getvalue())


def run_token(argv: Sequence[str], cwd: Path, secret: str | None = None) -> Result:
    """smail-token in-process, no terminal; `secret` as SMAIL_CLIENT_SECRET. Its stdout and
    stderr are apart (`out`, `err`)."""
    from pysmail.cli.token_main import main as token_main

    out, err = io.StringIO(), io.StringIO()
    env = hermetic_env(cwd, {"SMAIL_CLIENT_SECRET": secret} if secret else None)
    code = token_main(list(argv), stdout=out, stderr=err, stdin=io.StringIO(""), environ=env,
                      cwd=cwd, interactive=False)  # fmt: skip
    return Result(code, out.getvalue(), err.getvalue())


def smail_command() -> list[str]:
    """The installed console script `smail` (the one of this interpreter when there is one)."""
    folder = Path(sys.executable).parent
    for name in ("smail", "smail.exe"):
        if (folder / name).is_file():
            return [str(folder / name)]
    found = shutil.which("smail")
    assert found, "the `smail` command is not installed (pip install -e .)"
    return [found]


def run_exe(
    argv: Sequence[str], cwd: Path, env: Mapping[str, str] | None = None, timeout: float = 60
) -> Result:
    """The real `smail` executable in a child process; stdout and stderr kept apart (UTF-8)."""
    done = subprocess.run(
        [*smail_command(), *argv],
        cwd=cwd,
        env=dict(env or hermetic_env(cwd)),
        capture_output=True,
        stdin=subprocess.DEVNULL,
        timeout=timeout,
        check=False,
    )
    return Result(
        done.returncode,
        done.stdout.decode("utf-8", "backslashreplace"),
        done.stderr.decode("utf-8", "backslashreplace"),
    )


# -- settings files ---------------------------------------------------------------------------


def command_line(args: Sequence[str]) -> str:
    """`args` as one password_command string (POSIX shlex rules; CreateProcess on Windows)."""
    if sys.platform == "win32":  # pragma: no cover
        return subprocess.list2cmdline(list(args))
    return " ".join(shlex.quote(a) for a in args)


def printing(secret: str) -> str:
    """A password_command that prints `secret`."""
    return command_line([sys.executable, "-c", f"print({secret!r})"])


def write_ini(folder: Path, text: str, name: str = "smail.ini", mode: int = 0o600) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    os.chmod(path, mode)
    return path


def auth_ini(user: str = ALICE, password: str = "alice-pw", extra: str = "") -> str:
    """[smail] with the SMTP account and a password_command."""
    return f"[smail]\nuser = {user}\npassword_command = {printing(password)}\n{extra}"


def server_args(stack: Stack, tls: str = "starttls", host: str | None = None) -> list[str]:
    """-h/--port/--tls/--cafile for the stack's Dovecot submission."""
    port = {"starttls": stack.submission, "smtps": stack.submissions, "none": stack.submission}
    return ["-h" + (host or stack.host), "--port", str(port[tls]), "--tls", tls,
            "--cafile", stack.cafile]  # fmt: skip


def marker(label: str) -> str:
    """A subject that no other test uses."""
    return f"{label}-{uuid.uuid4().hex[:10]}"


# -- reading mail back ------------------------------------------------------------------------

# Messages read from a mailbox that belonged to no test asking at that time (kept, not lost).
_stray: dict[str, list[EmailMessage]] = {}


def parse(raw: bytes) -> EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)


def _subject(msg: EmailMessage) -> str:
    return str(msg.get("Subject", ""))


def fetch_marked(
    stack: Stack,
    user: str,
    mark: str,
    count: int = 1,
    timeout: float = 15.0,
    key: Callable[[EmailMessage], str] = _subject,
) -> list[EmailMessage]:
    """The `count` messages of `user` whose (decoded) Subject holds `mark`; deleted from the box.

    `key` picks another text to look for `mark` in. Other messages found on the way are kept
    aside for the test that asks for them.
    """
    found = [m for m in _stray.get(user, []) if mark in key(m)]
    _stray[user] = [m for m in _stray.get(user, []) if mark not in key(m)]
    deadline = time.monotonic() + timeout
    while len(found) < count:
        left = deadline - time.monotonic()
        assert left > 0, f"{user}: {len(found)} of {count} message(s) marked {mark!r} arrived"
        for raw in stack.fetch(user, expect=1, timeout=left):
            msg = parse(raw)
            (found if mark in key(msg) else _stray.setdefault(user, [])).append(msg)
    assert len(found) == count, [_subject(m) for m in found]
    return found


def fetch_one(stack: Stack, user: str, mark: str) -> EmailMessage:
    return fetch_marked(stack, user, mark, 1)[0]


def assert_not_delivered(stack: Stack, users: Sequence[str], marks: Sequence[str]) -> None:
    """No message marked with any of `marks` is in (or kept aside from) the users' boxes."""
    for user in users:
        msgs = [parse(raw) for raw in stack.fetch(user, expect=0)]
        msgs += _stray.pop(user, [])
        leaked = [_subject(m) for m in msgs if any(mk in _subject(m) for mk in marks)]
        _stray[user] = [m for m in msgs if not any(mk in _subject(m) for mk in marks)]
        assert not leaked, f"delivered although it should not have been: {leaked}"


def drain(stack: Stack, user: str) -> list[str]:
    """Empty `user`'s box (and what was kept aside); return the Subjects that were there."""
    msgs = [parse(raw) for raw in stack.fetch(user, expect=0)] + _stray.pop(user, [])
    return [_subject(m) for m in msgs]


def raw_header(msg: EmailMessage, name: str) -> str:
    """A header's value as it was on the wire (unfolded, not decoded)."""
    values = [v for k, v in msg.raw_items() if k.lower() == name.lower()]
    assert len(values) == 1, (name, values)
    return re.sub(r"\r?\n[ \t]", " ", str(values[0]))


def text_of(msg: EmailMessage) -> str:
    """The text/plain content of a message (the first one in a multipart), LF line ends."""
    return content_of(msg, "plain")


def content_of(msg: EmailMessage, subtype: str) -> str:
    """The decoded text of the first text/<subtype> body part, with LF line ends."""
    part = msg.get_body(preferencelist=(subtype,))
    assert part is not None, msg
    return cast(str, cast(EmailMessage, part).get_content()).replace("\r\n", "\n")


# -- servers the stack cannot play ------------------------------------------------------------


def free_port() -> int:
    """A loopback port with nothing listening (bound, then released)."""
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


class ScriptedHandler:
    """aiosmtpd handler: refuses RCPT with a fixed reply, or accepts everything (and records).

    XOAUTH2/OAUTHBEARER: what the client sent is kept in `auth` (to prove a token really went
    over the wire); any token is accepted, or with accept_bearer=False refused the way real
    servers do it (an error challenge, then 535).
    """

    def __init__(self, rcpt_reply: str | None = None, accept_bearer: bool = True) -> None:
        self.rcpt_reply = rcpt_reply
        self.accept_bearer = accept_bearer
        self.delivered: list[Any] = []
        self.auth: list[bytes] = []

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if self.rcpt_reply is not None:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.delivered.append(envelope)
        return "250 2.0.0 queued"

    async def auth_XOAUTH2(self, server: Any, args: list[str]) -> Any:  # noqa: N802
        return await self._bearer(server, args)

    async def auth_OAUTHBEARER(self, server: Any, args: list[str]) -> Any:  # noqa: N802
        return await self._bearer(server, args)

    async def _bearer(self, server: Any, args: list[str]) -> Any:
        import base64

        from aiosmtpd.smtp import AuthResult

        if len(args) > 1:
            data = base64.b64decode(args[1])
        else:
            answer = await server.challenge_auth("", log_client_response=False)
            if not isinstance(answer, bytes):
                return AuthResult(success=False, handled=False)
            data = answer
        self.auth.append(data)
        if self.accept_bearer:
            return AuthResult(success=True, auth_data=data)
        # Like Google/Microsoft/Dovecot: a JSON error challenge, then 535 after the client's "".
        error = base64.b64encode(b'{"status":"401","schemes":"bearer","scope":"mail"}')
        await server.challenge_auth(error, encode_to_b64=False, log_client_response=False)
        return AuthResult(success=False, handled=False)


@contextmanager
def smtpd(handler: ScriptedHandler) -> Iterator[int]:
    """An aiosmtpd server on 127.0.0.1 (no TLS; AUTH allowed in clear); yields its port."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    def authenticator(*_args: Any) -> AuthResult:
        return AuthResult(success=True)

    port = free_port()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # aiosmtpd warns about AUTH without TLS: on purpose
        controller = Controller(
            handler,
            hostname=LOOPBACK,
            port=port,
            auth_require_tls=False,
            authenticator=authenticator,
            ready_timeout=10,
        )
        controller.start()
    try:
        yield port
    finally:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            controller.stop()


# -- secret scanning ---------------------------------------------------------------------------

MIN_CORE = 4  # shorter base64 runs occur by chance in any text


def _b64(data: bytes) -> set[str]:
    std = base64.b64encode(data).decode("ascii")
    return {std, std.rstrip("="), std.replace("+", "-").replace("/", "_").rstrip("=")}


def _cores(secret: bytes) -> set[str]:
    """The base64 characters that depend on `secret` alone, at each alignment.

    Computed independently of pysmail.redact: encode the secret between different neighbour
    bytes and keep the characters that never change.
    """
    cores: set[str] = set()
    for shift in range(3):
        variants = [
            base64.b64encode(bytes([fill]) * shift + secret + bytes([fill2]) * 3).decode()
            for fill in (0x00, 0xFF)
            for fill2 in (0x00, 0xFF)
        ]
        stable = "".join(
            ch if all(v[i] == ch for v in variants) else "\0" for i, ch in enumerate(variants[0])
        )
        for run in stable.split("\0"):
            if len(run) >= MIN_CORE:
                cores.add(run)
                cores.add(run.replace("+", "-").replace("/", "_"))
    return cores


def forbidden(secret: str, user: str, host: str = "", port: int = 0) -> set[str]:
    """Every text that would show `secret`: itself, and its base64 forms alone and in SASL."""
    raw = secret.encode()
    forms = {secret} | _cores(raw)
    for blob in (
        raw,  # LOGIN, and any standalone encoding
        f"\0{user}\0{secret}".encode(),  # PLAIN
        f"{user}\0{user}\0{secret}".encode(),  # PLAIN with an authzid
        f"user={user}\x01auth=Bearer {secret}\x01\x01".encode(),  # XOAUTH2
        f"n,a={user},\x01host={host}\x01port={port}\x01auth=Bearer {secret}\x01\x01".encode(),
    ):
        forms |= _b64(blob)
    # pysmail's own list must be covered by ours (it is what its scrubber masks).
    assert base64_forms(secret) <= forms, base64_forms(secret) - forms
    return forms


def polite_stop(proc: subprocess.Popen[bytes]) -> None:
    """What a scheduler or Ctrl+C sends: SIGTERM, or Ctrl+Break on Windows (the child must have
    been started with CREATE_NEW_PROCESS_GROUP there, so that only it gets the event)."""
    if sys.platform == "win32":  # pragma: no cover - Windows only
        proc.send_signal(signal.CTRL_BREAK_EVENT)  # type: ignore[attr-defined]
    else:
        proc.send_signal(signal.SIGTERM)


# -- OAuth token cache ------------------------------------------------------------------------


def later_by(token_file: Path, seconds: float) -> str:
    """The token cache beside `token_file` as smail finds it `seconds` later (its times moved
    back: the test moves the clock, it does not wait for it); returns the cached access token."""
    from pysmail.oauth.store import read_cache, write_cache
    from pysmail.record import replace

    entry = read_cache(token_file)
    assert entry is not None and entry.expires_at is not None, "no cached access token"
    write_cache(
        token_file,
        replace(
            entry, obtained_at=entry.obtained_at - seconds, expires_at=entry.expires_at - seconds
        ),
    )
    return entry.access_token

"""What the start-up and streaming optimisations must never change.

- The DATA content streamed for a message (compose() blocks through DotStuffer, with base64
  attachment blocks passed through unscanned) is byte for byte the in-memory message
  (compose_bytes) dot-stuffed as one piece, and both equal an independent reference stuffing.
- base64_lines, format_date and the record classes behave as the code they replaced.
- A plain `smail --dry-run`, and a plain send, import none of the heavy modules: none of those
  docs/decisions.md D8 measures (dataclasses, typing, secrets, email, urllib.request, threading,
  ssl), and ssl only when the send uses TLS.
- The lazily looked-up system CA store trusts and refuses exactly as the eager one.
"""

from __future__ import annotations

import binascii
import dataclasses
import os
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pysmail.mime.layout as compose_module
from pysmail.config.model import AuthSettings, SecretSources, ServerSettings, TlsMode
from pysmail.mime.addresses import parse_address
from pysmail.mime.compose import MessageSpec, compose, compose_bytes
from pysmail.mime.headers import format_date
from pysmail.mime.parts import BASE64_BLOCK, Base64Block, base64_lines
from pysmail.net import tls as transport
from pysmail.net import transport as net_transport
from pysmail.record import FrozenInstanceError
from pysmail.smtp.content import DotStuffer, unstuff

SRC = Path(__file__).resolve().parents[2] / "src"
SENDER = parse_address("Sender <a@example.test>")
TO = (parse_address("b@example.test"),)


def _reference_stuff(message: bytes) -> bytes:
    """RFC 5321 4.5.2 written plainly: CRLF for every line end, "." doubled, CRLF . CRLF."""
    text = message.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    lines = text.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    out = b"".join((b"." + line if line.startswith(b".") else line) + b"\r\n" for line in lines)
    return out + b".\r\n"


def _stream(chunks: Iterator[bytes]) -> tuple[bytes, int]:
    stuffer = DotStuffer()
    out: list[bytes] = []
    safe = 0
    for chunk in chunks:
        safe += isinstance(chunk, Base64Block)
        out.append(stuffer.feed(chunk))
    out.append(stuffer.finish())
    return b"".join(out), safe


# sizes around the 57 KiB block and the 57-byte line
_SIZES = st.one_of(
    st.integers(0, 200),
    st.sampled_from([BASE64_BLOCK - 1, BASE64_BLOCK, BASE64_BLOCK + 1, 2 * BASE64_BLOCK]),
    st.integers(BASE64_BLOCK - 120, BASE64_BLOCK + 120),
)
# text with dot lines, bare CR, bare LF, CRLF and a final line without an end
_TEXT = st.lists(
    st.sampled_from(["", ".", "..", ".x", "a", "a.b", "\r", "\n", "\r\n", "\n.", "\r.", " ", "é"]),
    max_size=40,
).map("".join)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    sizes=st.lists(_SIZES, max_size=3),
    text=st.none() | _TEXT,
    html=st.none() | _TEXT,
    seed=st.integers(0, 2**32 - 1),
)
def test_streamed_data_equals_the_in_memory_message(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    sizes: list[int],
    text: str | None,
    html: str | None,
    seed: int,
) -> None:
    counter = iter(range(10**6))
    monkeypatch.setattr(compose_module, "random_hex", lambda n: f"{next(counter):0{2 * n}x}")
    paths = []
    for i, size in enumerate(sizes):
        path = tmp_path / f"att{i}.bin"
        path.write_bytes(binascii.crc32(str(seed + i).encode()).to_bytes(4) * (size // 4 + 1))
        with path.open("r+b") as f:
            f.truncate(size)
        paths.append(path)
    spec = MessageSpec(
        from_=SENDER, to=TO, subject="s", text=text, html=html, attachments=tuple(paths), date=0.0
    )
    counter = iter(range(10**6))
    streamed, safe_chunks = _stream(compose(spec))
    counter = iter(range(10**6))
    whole = compose_bytes(spec)
    assert type(whole) is bytes
    assert streamed == _stream(iter([whole]))[0] == _reference_stuff(whole)
    assert unstuff(streamed) == whole
    # every non-empty attachment went through the pass-through, one block per 57 KiB
    assert safe_chunks == sum(-(-size // BASE64_BLOCK) for size in sizes)


def test_base64_blocks_keep_their_promise() -> None:
    for size in (1, 56, 57, 58, 1000, BASE64_BLOCK - 1, BASE64_BLOCK):
        data = os.urandom(size)
        block = base64_lines(data)
        assert b"." not in block and block.endswith(b"\r\n")
        assert block.count(b"\r") == block.count(b"\n") == block.count(b"\r\n")
        assert all(len(line) <= 76 for line in block.split(b"\r\n"))
        assert binascii.a2b_base64(block.replace(b"\r\n", b"")) == data
        # the code it replaced
        encoded = binascii.b2a_base64(data, newline=False)
        old = b"".join(encoded[i : i + 76] + b"\r\n" for i in range(0, len(encoded), 76))
        assert block == old
    assert base64_lines(b"") == b""


def test_stuffer_scans_unmarked_chunks_and_passes_marked_ones() -> None:
    stuffer = DotStuffer()
    assert stuffer.feed(b"a\r") == b"a"  # the CR is held back
    # after a held CR a marked block is scanned like any other chunk
    assert stuffer.feed(Base64Block(b"QUJD\r\n")) == b"\r\nQUJD\r\n"
    marked = Base64Block(b"QUJD\r\nREVG\r\n")
    assert stuffer.feed(marked) is marked
    assert stuffer.feed(b".x\ny") == b"..x\r\ny"
    assert stuffer.finish() == b"\r\n.\r\n"
    assert stuffer.feed(Base64Block(b"")) == b""


def _old_format_date(when: float) -> str:
    days = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    months = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    moment = datetime.fromtimestamp(when, UTC).astimezone()
    offset = moment.utcoffset()
    minutes = int(offset.total_seconds()) // 60 if offset is not None else 0
    sign = "-" if minutes < 0 else "+"
    hours, mins = divmod(abs(minutes), 60)
    return (
        f"{days[moment.weekday()]}, {moment.day:02d} {months[moment.month - 1]} {moment.year} "
        f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d} {sign}{hours:02d}{mins:02d}"
    )


@pytest.mark.parametrize("zone", ["UTC", "Asia/Tokyo", "America/St_Johns", "Europe/Berlin"])
@settings(max_examples=200, deadline=None)
@given(
    when=st.floats(-2e9, 4e9, allow_nan=False)
    | st.integers(-(10**9), 4 * 10**9).map(lambda s: s + 0.9999995)
    | st.integers(-(10**9), 4 * 10**9).map(lambda s: s - 0.0000005)
)
def test_format_date_equals_the_datetime_version(zone: str, when: float) -> None:
    if not hasattr(time, "tzset"):  # pragma: no cover - Windows: the local zone only
        assert format_date(when) == _old_format_date(when)
        return
    old = os.environ.get("TZ")
    os.environ["TZ"] = zone
    time.tzset()
    try:
        assert format_date(when) == _old_format_date(when)
    finally:
        if old is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = old
        time.tzset()


def test_records_behave_like_frozen_dataclasses() -> None:
    a = ServerSettings("h", 25, TlsMode.NONE)
    b = ServerSettings(host="h", port=25, tls=TlsMode.NONE)
    assert a == b and hash(a) == hash(b) and a != ServerSettings("h", 26, TlsMode.NONE)
    assert repr(a) == (
        "ServerSettings(host='h', port=25, tls=<TlsMode.NONE: 'none'>, tls_verify=True, "
        "cafile=None, helo=None, timeout=60.0, proxy=None, chunking=True)"
    )
    with pytest.raises(FrozenInstanceError):
        a.host = "x"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del a.port  # type: ignore[misc]
    with pytest.raises(TypeError, match="missing"):
        ServerSettings("h", 25)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="unexpected keyword"):
        ServerSettings("h", 25, TlsMode.NONE, nope=1)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="multiple values"):
        ServerSettings("h", 25, TlsMode.NONE, host="x")  # type: ignore[misc]
    with pytest.raises(TypeError, match="positional"):
        ServerSettings("h", 25, TlsMode.NONE, True, None, None, 1.0, None, True, 9)  # type: ignore[call-arg]
    # default factories give each instance its own value; dataclasses' functions still work
    auth = AuthSettings()
    assert auth.secret == SecretSources() and auth.secret is not AuthSettings().secret
    assert dataclasses.is_dataclass(auth)
    assert [f.name for f in dataclasses.fields(auth)][:2] == ["mode", "user"]
    changed = dataclasses.replace(auth, user="u")
    assert type(changed) is AuthSettings and changed.user == "u" and changed.secret == auth.secret


# -- what start-up imports --------------------------------------------------------------------

# docs/decisions.md D8 measures what each of these costs at start-up; this test is where that
# reason is kept, so code needs no "costs N ms" comment. (urllib.parse comes with pathlib.)
START_UP_FREE_OF = {
    "dataclasses",
    "typing",
    "secrets",
    "email",
    "urllib.request",
    "http.client",
    "threading",
    "ssl",
}

# Never on a plain send: TLS, the email package, secrets and what it brings, configparser
# (smail.ini has its own reader, D42), dates, IDNA, subprocesses, JSON, the OAuth client, the
# Japanese codecs (an ASCII body file is read without them).
HEAVY = {
    "ssl",
    "_ssl",
    "email",
    "smtplib",
    "secrets",
    "hmac",
    "hashlib",
    "_hashlib",
    "random",
    "configparser",
    "datetime",
    "encodings.idna",
    "stringprep",
    "unicodedata",
    "subprocess",
    "json",
    "mimetypes",
    "locale",
    "pysmail.oauth",
    "pysmail.pop3",
    "pysmail.net.proxy",
    "pysmail.net.tunnel",
    "pysmail.smtp.trace",
    "encodings.cp932",
    "_codecs_jp",
    "_multibytecodec",
    "logging",
    "django",
    "pysmail.api",
    "pysmail.django",
    "pysmail.logging",
    *START_UP_FREE_OF,
}
# Not loaded by the modules below pysmail.cli.smail_main.
LIBRARY_FREE_OF = {"dataclasses", "inspect", "pathlib", "typing", "urllib", "pysmail.sasl", *HEAVY}
# Not loaded by a whole plain send without AUTH: no pathlib either (its paths are text,
# pysmail.fs.pathtext: docs/decisions.md D42). A send that succeeds shows no message, so it
# reads no catalogue (pysmail.messages looks a text up when one is shown).
PLAIN_SEND_FREE_OF = {
    "dataclasses",
    "inspect",
    "typing",
    "pathlib",
    "fnmatch",
    "ntpath",
    "urllib",
    "ipaddress",
    "pysmail.sasl",
    "pysmail.delivery.outbox",
    "pysmail.catalog",
    *HEAVY,
}
LIBRARY = [
    "pysmail.cli.smail_args",
    "pysmail.config.model",
    "pysmail.mime.addresses",
    "pysmail.mime.compose",
    "pysmail.smtp.session",
    "pysmail.redact",
]


def _child_modules(code: str, tmp_path: Path) -> set[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "SMAIL"))}
    env.update(HOME=str(tmp_path), LANG="C")
    script = f"import sys\n{code}\nprint('\\n'.join(sorted(sys.modules)))\n"
    run = subprocess.run(
        [
            sys.executable,
            "-I",
            "-S",
            "-c",
            f"import sys; sys.path.insert(0, {str(SRC)!r})\n{script}",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    return set(run.stdout.split())


def test_the_library_modules_of_a_plain_send_stay_light(tmp_path: Path) -> None:
    loaded = _child_modules("\n".join(f"import {name}" for name in LIBRARY), tmp_path)
    assert set(LIBRARY) <= loaded
    assert not loaded & LIBRARY_FREE_OF


def test_the_sasl_table_stays_light(tmp_path: Path) -> None:
    """AUTH on every password send loads pysmail.sasl: no dataclasses (7 ms), no typing."""
    loaded = _child_modules("import pysmail.sasl", tmp_path)
    assert "pysmail.sasl.mechanisms" in loaded
    assert not loaded & {"dataclasses", "inspect", "typing", *HEAVY}


def test_a_hidden_record_field_stays_out_of_repr() -> None:
    from pysmail.sasl import AuthRequest, Credentials

    creds = Credentials("u@x", "hunter2-secret", "h", 25)
    assert (
        "hunter2" not in repr(creds) and repr(creds) == "Credentials(user='u@x', host='h', port=25)"
    )
    assert creds.secret == "hunter2-secret" and creds == Credentials(
        "u@x", "hunter2-secret", "h", 25
    )
    auth = AuthRequest("PLAIN", "u", password=lambda: "hunter2")
    assert repr(auth) == (
        "AuthRequest(mechanism='PLAIN', user='u', allow_plaintext=False, "
        "token_initial_response=False)"
    )
    assert auth.token is None
    fields = {f.name: f.repr for f in dataclasses.fields(Credentials)}
    assert fields == {"user": True, "secret": False, "host": True, "port": True}


def test_dry_run_imports_nothing_heavy(tmp_path: Path) -> None:
    code = (
        "from pysmail.cli.smail_main import main\n"
        "import io\n"
        "rc = main(['-hh.test', '--dry-run', '-fa@x', '-sS', '-Tx', 'b@y'], stdout=io.StringIO())\n"
        "assert rc == 0, rc\n"
    )
    loaded = _child_modules(code, tmp_path)
    assert "pysmail.mime.compose" in loaded
    assert not loaded & HEAVY


class _TinySmtp(threading.Thread):
    """Just enough SMTP for one plain send (no PIPELINING, no AUTH), over implicit TLS when
    given a server context."""

    def __init__(self, context: ssl.SSLContext | None = None, *, auth: bool = False) -> None:
        super().__init__(daemon=True)
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.context = context
        self.auth = auth  # offer AUTH (PLAIN, XOAUTH2) and take any
        self.data = b""

    def run(self) -> None:
        with self.sock:
            conn, _ = self.sock.accept()
        if self.context is not None:
            conn = self.context.wrap_socket(conn, server_side=True)
        with conn, conn.makefile("rb") as rfile:
            conn.sendall(b"220 tiny\r\n")
            while line := rfile.readline():
                verb = line[:4].upper()
                if verb == b"EHLO":
                    offer = b"250-AUTH PLAIN XOAUTH2\r\n" if self.auth else b""
                    conn.sendall(b"250-tiny\r\n" + offer + b"250 8BITMIME\r\n")
                elif verb == b"AUTH":
                    conn.sendall(b"235 ok\r\n")
                elif verb == b"DATA":
                    conn.sendall(b"354 go\r\n")
                    while (part := rfile.readline()) not in (b".\r\n", b""):
                        self.data += part
                    conn.sendall(b"250 ok\r\n")
                elif verb == b"QUIT":
                    conn.sendall(b"221 bye\r\n")
                    return
                else:
                    conn.sendall(b"250 ok\r\n")


def _cached_token_file(folder: Path, user: str) -> Path:
    """smail_refreshtoken.ini in `folder` for `user`, with a valid access token in its cache."""
    import time

    from pysmail.oauth.store import CachedToken, fingerprint, write_cache

    token_file = folder / "smail_refreshtoken.ini"
    lines = ["[OAUTH2]", f"UserID={user}", "ClientID=c", "RefreshToken=rt-1",
             "TokenURI=https://login.example.test/token"]  # fmt: skip
    token_file.write_text("".join(f"{line}\r\n" for line in lines), newline="")
    token_file.chmod(0o600)
    now = time.time()
    write_cache(token_file, CachedToken("at-cached", now, now + 3600, fingerprint("rt-1")))
    return token_file


def test_a_cached_oauth_token_costs_no_http_side(tmp_path: Path) -> None:
    """With a valid access token in the cache, TokenSource loads neither the OAuth HTTP client
    nor the request builders, nor dataclasses, typing, datetime, nor json (the cache is read by
    text.flatjson, D47): OAuth adds (almost) nothing per message. (bench/RESULTS.md row (e)
    measures it beside the password send.)"""
    token_file = _cached_token_file(tmp_path, "u@example.test")
    code = (
        "from pysmail.oauth.provider import TokenSource\n"
        f"assert TokenSource({str(token_file)!r})() == 'at-cached'\n"
    )
    loaded = _child_modules(code, tmp_path)
    assert "pysmail.oauth.provider" in loaded
    unwanted = {"pysmail.oauth.flow", "pysmail.oauth.http", "pysmail.fs.lock", "urllib.request"}
    unwanted |= {"json", "urllib.parse", "ipaddress", "pysmail.oauth.keyref"}  # D47
    assert not loaded & (unwanted | {"dataclasses", "inspect", "typing", "datetime"})


def test_a_cached_oauth_token_reads_the_token_file_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The constructor's reading serves the first call (D47): the file is read and checked once
    a send (and a keyring reference fetched once); a later call reads it afresh."""
    import pysmail.oauth.provider as provider

    token_file = _cached_token_file(tmp_path, "u@example.test")
    reads: list[object] = []
    real = provider.read_token_file
    monkeypatch.setattr(provider, "read_token_file", lambda path: reads.append(path) or real(path))
    source = provider.TokenSource(token_file)
    assert source() == "at-cached" and len(reads) == 1
    source._current = None  # as after the server refused it, the cached token still good
    assert source() == "at-cached" and len(reads) == 2


def test_a_plain_send_imports_nothing_heavy(tmp_path: Path) -> None:
    server = _TinySmtp()
    server.start()
    code = (
        "from pysmail.cli.smail_main import main\n"
        f"rc = main(['-h127.0.0.1', '--port', '{server.port}', '-fa@x', '-sS', '-Tx', 'b@y'])\n"
        "assert rc == 0, rc\n"
    )
    loaded = _child_modules(code, tmp_path)
    server.join(10)
    assert b"Subject: S\r\n" in server.data
    assert "pysmail.smtp.session" in loaded
    assert not loaded & PLAIN_SEND_FREE_OF


# The enums a send builds (docs/decisions.md D42): ErrCode, Step and config.model's four; the
# reply codes and the option table's kinds are plain constants.
SEND_ENUMS = 6


def _send_from_ini(
    tmp_path: Path, keys: str = "", *, explicit: bool = False, then: str = ""
) -> set[str]:
    """The modules of one successful send reading smail.ini (`keys` added to [smail]; found in
    the current folder, or named with --config when `explicit`); `then`: code run after it,
    whose output is returned among the module names."""
    server = _TinySmtp(auth=True)
    server.start()
    ini = tmp_path / "smail.ini"
    ini.write_text(
        f"; a comment\n[smail]\nserver = 127.0.0.1\nPort: {server.port}\nfrom = a@x\n{keys}"
    )
    ini.chmod(0o600)
    config = f"'--config', {str(ini)!r}, " if explicit else ""
    code = (
        "from pysmail.cli.smail_main import main\n"
        f"rc = main([{config}'-sS', '-Tx', 'b@y'])\nassert rc == 0, rc\n{then}"
    )
    loaded = _child_modules(code, tmp_path)
    server.join(10)
    assert b"Subject: S\r\n" in server.data
    return loaded


def test_a_send_reading_smail_ini_loads_no_configparser_and_few_enums(tmp_path: Path) -> None:
    enums = (
        "import enum\n"
        "def subclasses(c):\n"
        "    return {c, *(s for d in c.__subclasses__() for s in subclasses(d))}\n"
        "ours = [c for c in subclasses(enum.Enum) if c.__module__.startswith('pysmail')]\n"
        "print(f'enums={len(ours)}')\n"
    )
    loaded = _send_from_ini(tmp_path, explicit=True, then=enums)
    assert "pysmail.config.ini" in loaded
    assert not loaded & PLAIN_SEND_FREE_OF
    assert f"enums={SEND_ENUMS}" in loaded  # printed by the child, beside its modules


# pathlib and what it imports on 3.11 (~17 M instructions, docs/decisions.md D42): the send
# path's paths are text shown as pathlib shows them (pysmail.fs.pathtext).
PATHLIB = {"pathlib", "fnmatch", "ntpath", "urllib", "urllib.parse", "ipaddress"}


def test_a_password_send_from_smail_ini_loads_no_pathlib(tmp_path: Path) -> None:
    keys = "user = a@x\npassword = pw\nallow_plaintext_auth = yes\n"
    loaded = _send_from_ini(tmp_path, keys)
    assert {"pysmail.config.ini", "pysmail.config.secrets", "pysmail.sasl"} <= loaded
    assert not loaded & PATHLIB


def test_an_oauth_send_from_smail_ini_loads_no_pathlib_nor_urllib(tmp_path: Path) -> None:
    _cached_token_file(tmp_path, "a@x")  # beside smail.ini, as SMAIL keeps it
    loaded = _send_from_ini(tmp_path, "auth = OAUTH-XOAUTH2\nallow_plaintext_auth = yes\n")
    assert {"pysmail.oauth.provider", "pysmail.oauth.store"} <= loaded
    # nor urllib.parse (with ipaddress): TokenURI's host is read by net.urlhost; nor json: the
    # token cache is read by text.flatjson (D47)
    assert not loaded & (PATHLIB | {"json"})


def test_a_one_message_send_from_the_console_makes_no_collection(tmp_path: Path) -> None:
    """The console script raises the cyclic collector's threshold (D47): an OAuth send from
    smail.ini runs from `main` to the exit without one collection."""
    server = _TinySmtp(auth=True)
    server.start()
    _cached_token_file(tmp_path, "a@x")
    ini = tmp_path / "smail.ini"
    ini.write_text(f"[smail]\nserver = 127.0.0.1\nport = {server.port}\nfrom = a@x\n"
                   "auth = OAUTH-XOAUTH2\nallow_plaintext_auth = yes\n")  # fmt: skip
    ini.chmod(0o600)
    code = (
        "import gc\nfrom pysmail.cli.guard import console_run\n"
        "from pysmail.cli.smail_main import main\n"
        "def counted(argv):\n"
        "    before = [s['collections'] for s in gc.get_stats()]\n"
        "    rc = main(argv)\n"
        "    after = [s['collections'] for s in gc.get_stats()]\n"
        "    print(f'rc={rc}', f'collections={[a - b for a, b in zip(after, before)]}')\n"
        "    return rc\n"
        "sys.argv = ['smail', '-sS', '-Tx', 'b@y']\nconsole_run(counted)\n"
    )
    printed = _child_modules(code, tmp_path)  # console_run leaves before the modules are listed
    server.join(10)
    assert b"Subject: S\r\n" in server.data
    assert printed == {"rc=0", "collections=[0,", "0,", "0]"}


def test_a_batch_on_one_connection_starts_no_thread_module(tmp_path: Path) -> None:
    """--batch without --parallel runs in the main thread: its locks come from _thread, and
    threading (and what it brings) stays out, as for a single send."""
    server = _TinySmtp()
    server.start()
    (tmp_path / "rows.csv").write_text("to\nb@y\nc@y\n")
    args = ["-h127.0.0.1", "--port", str(server.port), "-fa@x", "-sS", "-Tx", "--batch", "rows.csv"]
    code = (
        "import io\nfrom pysmail.cli.smail_main import main\n"
        f"rc = main({args!r}, stdout=io.StringIO())\nassert rc == 0, rc\n"
    )
    loaded = _child_modules(code, tmp_path)
    server.join(10)
    assert server.data.count(b"Subject: S\r\n") == 2
    assert "pysmail.delivery.batch.run" in loaded
    # a batch prints its summary: it reads the catalogue, and with it json (D41); its paths
    # are Path objects
    assert not loaded & (PLAIN_SEND_FREE_OF - {"pysmail.catalog", "json", *PATHLIB})


def test_a_tls_send_adds_ssl_and_nothing_else_heavy(tmp_path: Path, pki: Path) -> None:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki / "srv.pem", pki / "srv.key")
    server = _TinySmtp(context)
    server.start()
    args = ["-h127.0.0.1", "--port", str(server.port), "--tls", "smtps"]
    (tmp_path / "body.txt").write_text("An ASCII body file.\n" * 100)
    args += ["--cafile", str(pki / "ca.pem"), "-fa@x", "-sS", "-Fbody.txt", "b@y"]
    # and nothing for the teardown to do: the console script leaves at once (D40)
    code = (
        f"import atexit\nfrom pysmail.cli.smail_main import main\nrc = main({args!r})\n"
        "assert rc == 0, rc\nassert atexit._ncallbacks() == 0\n"
    )
    loaded = _child_modules(code, tmp_path)
    server.join(10)
    assert b"Subject: S\r\n" in server.data
    assert {"ssl", "_ssl", "pysmail.smtp.session"} <= loaded
    assert "threading" not in loaded
    assert not loaded & (PLAIN_SEND_FREE_OF - {"ssl", "_ssl"})


# -- the lazily looked-up CA store --------------------------------------------------------------


def test_hash_names() -> None:
    assert transport._is_hash_name("5ad8a5d6.0") and transport._is_hash_name("002c0b4f.12")
    for name in ("5ad8a5d6.r0", "ca-certificates.crt", "5AD8A5D6.0", "5ad8a5d.0", "5ad8a5d6."):
        assert not transport._is_hash_name(name)


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CA, a server certificate for 127.0.0.1 from it, and a hashed folder holding the CA."""
    work = tmp_path_factory.mktemp("pki")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    (work / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
    _openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-subj", "/CN=t", cwd=work)
    _openssl("req", *ec, "-keyout", "srv.key", "-out", "srv.csr", "-subj", "/CN=srv", cwd=work)
    _openssl(
        "x509", "-req", "-in", "srv.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "srv.pem", "-extfile", "ext.cnf", cwd=work,
    )  # fmt: skip
    (work / "certs").mkdir()
    shutil.copy(work / "ca.pem", work / "certs" / "test-ca.pem")
    _openssl("rehash", "certs", cwd=work)
    (work / "empty").mkdir()
    return work


def _handshake(context: ssl.SSLContext, pki: Path, name: str) -> str:
    """'ok' or the verification message of a TLS handshake with a server for 127.0.0.1."""
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(pki / "srv.pem", pki / "srv.key")
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        conn, _ = listener.accept()
        try:
            with server_ctx.wrap_socket(conn, server_side=True):
                pass
        except (ssl.SSLError, OSError):
            pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        with socket.create_connection(listener.getsockname(), timeout=10) as raw:
            try:
                with context.wrap_socket(raw, server_hostname=name):
                    return "ok"
            except ssl.SSLCertVerificationError as exc:
                return str(exc.verify_message)
    finally:
        thread.join(10)
        listener.close()


def test_lazy_store_trusts_and_refuses_like_the_eager_one(
    pki: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.setenv("SSL_CERT_DIR", str(pki / "certs"))
    if sys.platform in ("win32", "darwin"):  # pragma: no cover - eager there by design
        assert transport._lazy_capath() is None
        return
    assert transport._lazy_capath() == str(pki / "certs")
    lazy = transport.make_tls_context(None, True)
    eager = ssl.create_default_context()
    assert lazy.cert_store_stats()["x509_ca"] == 0  # nothing parsed up front
    for attr in ("verify_mode", "check_hostname", "options", "verify_flags", "protocol"):
        assert getattr(lazy, attr) == getattr(eager, attr), attr
    assert _handshake(lazy, pki, "127.0.0.1") == _handshake(eager, pki, "127.0.0.1") == "ok"
    mismatch = _handshake(lazy, pki, "127.0.0.9")
    assert mismatch == _handshake(eager, pki, "127.0.0.9") and "mismatch" in mismatch
    # an unhashed folder (the CA is not in the store): refused, and loaded eagerly
    monkeypatch.setenv("SSL_CERT_DIR", str(pki / "empty"))
    assert transport._lazy_capath() is None
    unknown = _handshake(transport.make_tls_context(None, True), pki, "127.0.0.1")
    assert unknown == _handshake(ssl.create_default_context(), pki, "127.0.0.1") != "ok"


def test_a_chosen_bundle_or_cafile_is_loaded_as_before(
    pki: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(pki / "ca.pem"))
    monkeypatch.setenv("SSL_CERT_DIR", str(pki / "certs"))
    assert transport._lazy_capath() is None
    context = transport.make_tls_context(None, True)
    assert context.cert_store_stats()["x509_ca"] == 1
    assert _handshake(context, pki, "127.0.0.1") == "ok"
    only = transport.make_tls_context(str(pki / "ca.pem"), True)
    assert only.cert_store_stats()["x509_ca"] == 1
    assert _handshake(only, pki, "127.0.0.1") == "ok"


def test_the_default_bundle_named_in_ssl_cert_file_is_looked_up_lazily(
    pki: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """SSL_CERT_FILE naming OpenSSL's own default file (directly or through a link) chooses no
    other store: the hashed folder is read lazily, as when it is unset; verification is the
    eager context's."""
    default = ssl.get_default_verify_paths().openssl_cafile
    link = tmp_path / "bundle.pem"
    link.symlink_to(default)
    monkeypatch.setenv("SSL_CERT_DIR", str(pki / "certs"))
    for named in (default, str(link)):
        monkeypatch.setenv("SSL_CERT_FILE", named)
        if sys.platform in ("win32", "darwin") or not os.path.isfile(default):  # pragma: no cover
            assert transport._lazy_capath() is None  # eager there, or no default file to name
            continue
        assert transport._lazy_capath() == str(pki / "certs")
        lazy = transport.make_tls_context(None, True)
        assert lazy.cert_store_stats()["x509_ca"] == 0
        eager = ssl.create_default_context()
        assert _handshake(lazy, pki, "127.0.0.1") == _handshake(eager, pki, "127.0.0.1") == "ok"
        mismatch = _handshake(lazy, pki, "127.0.0.9")
        assert mismatch == _handshake(eager, pki, "127.0.0.9") and "mismatch" in mismatch


def test_wire_host_is_what_the_idna_codec_returns() -> None:
    for host in ("127.0.0.1", "smtp.example.com", "example.com.", "", "::1", "a" * 63 + ".x"):
        assert net_transport._wire_host(host) == host.encode("idna")
    for host in ("a..b", "a" * 64 + ".x", "x." + "a" * 64, "bücher.example"):
        assert isinstance(net_transport._wire_host(host), str)  # the codec decides, as before

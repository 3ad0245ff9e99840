"""The setup page with only its key in a stranger's hands (issue 12): a kept password is never
sent to a server, port, TLS mode or CA file other than the one it was saved with unless it is
typed again (a trap SMTP server of the test's own records every byte it gets), and a password
with a line break never adds lines to smail.ini (a direct POST, as an attacker sends it)."""

from __future__ import annotations

import socketserver
import ssl
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from cli.util import forbidden
from pysmail.config.ini import read_ini
from stackutil import Stack
from unit.test_setup_server import ISSUER, SECRET, Running, serve

pytestmark = pytest.mark.stack  # only for its CA and 127.0.0.1 certificate: the traps are ours

STORED = "pw-STORED-7f3a"
USER = "alice@example.test"


class Trap:
    """A loopback SMTP server with the stack's certificate, implicit TLS (`smtps`) or STARTTLS,
    that says yes to everything (AUTH PLAIN/LOGIN included) and keeps every byte a client sent
    after TLS: what a stranger's server would get."""

    def __init__(self, stack: Stack, tls: str) -> None:
        self.received = bytearray()
        self.connections = 0
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls_dir = Path(stack.cafile).parent
        context.load_cert_chain(tls_dir / "server.crt", tls_dir / "server.key")
        owner = self

        class Handler(socketserver.StreamRequestHandler):
            def setup(self) -> None:
                owner.connections += 1
                if tls == "smtps":
                    self.request = context.wrap_socket(self.request, server_side=True)
                    self.connection = self.request
                super().setup()

            def finish(self) -> None:
                try:
                    super().finish()
                finally:
                    self.connection.close()  # the TLS socket (socketserver closes the plain one)

            def _starttls(self) -> None:
                self.wfile.write(b"220 2.0.0 go ahead\r\n")
                self.wfile.flush()
                self.connection = context.wrap_socket(self.connection, server_side=True)
                self.rfile = self.connection.makefile("rb")
                self.wfile = socketserver._SocketWriter(self.connection)  # type: ignore[attr-defined]

            def handle(self) -> None:
                self.wfile.write(b"220 trap ESMTP\r\n")
                in_data, secure = False, tls == "smtps"
                while line := self.rfile.readline():
                    if secure:
                        owner.received += line
                    if in_data:
                        if line in (b".\r\n", b".\n"):
                            in_data = False
                            self.wfile.write(b"250 2.0.0 queued\r\n")
                        continue
                    verb = line[:8].upper().strip()
                    if verb.startswith(b"EHLO"):
                        offer = b"" if secure else b"250-STARTTLS\r\n"
                        self.wfile.write(b"250-trap\r\n" + offer + b"250 AUTH PLAIN LOGIN\r\n")
                    elif verb == b"STARTTLS":
                        self._starttls()
                        secure = True
                    elif verb.startswith(b"AUTH"):
                        self.wfile.write(b"235 2.7.0 ok\r\n")
                    elif verb.startswith(b"DATA"):
                        in_data = True
                        self.wfile.write(b"354 go on\r\n")
                    elif verb.startswith(b"QUIT"):
                        self.wfile.write(b"221 bye\r\n")
                        return
                    else:
                        self.wfile.write(b"250 ok\r\n")

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = int(self.server.server_address[1])

    def got(self, secret: str) -> bool:
        seen = self.received.decode("latin-1")
        return any(form in seen for form in forbidden(secret, USER))


@pytest.fixture
def traps(stack: Stack) -> Iterator[dict[str, Trap]]:
    made = {name: Trap(stack, "smtps" if name != "starttls" else "starttls")
            for name in ("saved", "other", "starttls")}  # fmt: skip
    for t in made.values():
        threading.Thread(target=t.server.serve_forever, daemon=True).start()
    yield made
    for t in made.values():
        t.server.shutdown()
        t.server.server_close()


def _form(server: str, port: int, tls: str, cafile: str, **more: str) -> dict[str, str]:
    return {"provider": "generic", "user": USER, "server": server, "port": str(port),
            "tls": tls, "cafile": cafile, "auth": "plain", "charset": "auto", "test_to": USER,
            **more}  # fmt: skip


@pytest.fixture
def saved(tmp_path: Path, stack: Stack, traps: dict[str, Trap]) -> Iterator[Running]:
    """The page over a smail.ini whose password belongs to the "saved" trap (SMTPS, the CA)."""
    ini = tmp_path / "smail.ini"
    ini.write_text(
        f"[smail]\nserver = 127.0.0.1\nport = {traps['saved'].port}\ntls = smtps\n"
        f"cafile = {stack.cafile}\nauth = plain\nuser = {USER}\npassword = {STORED}\n"
    )
    if sys.platform != "win32":
        ini.chmod(0o600)
    yield from serve(tmp_path)


def _attack(kind: str, stack: Stack, traps: dict[str, Trap], tmp_path: Path) -> dict[str, str]:
    """The form a stranger holding the key posts: one thing moved off the saved destination."""
    ca, port = stack.cafile, traps["saved"].port
    if kind == "server":
        return _form("localhost", port, "smtps", ca)  # same socket, another name
    if kind == "port":
        return _form("127.0.0.1", traps["other"].port, "smtps", ca)
    if kind == "tls":
        return _form("127.0.0.1", traps["starttls"].port, "starttls", ca)
    copy = tmp_path / "their-ca.pem"  # the same bytes: only the file differs
    copy.write_bytes(Path(ca).read_bytes())
    return _form("127.0.0.1", port, "smtps", str(copy))


@pytest.mark.parametrize("kind", ["server", "port", "tls", "cafile"])
def test_a_stored_password_is_not_sent_to_another_server(
    saved: Running, traps: dict[str, Trap], stack: Stack, tmp_path: Path, kind: str
) -> None:
    assert saved.server.session.password == STORED  # read from smail.ini
    form = _attack(kind, stack, traps, tmp_path)
    saved.post({**form, "action": "test"})
    for name, trap in traps.items():
        assert not trap.got(STORED), f"the stored password reached the {name} trap"
    assert "The stored password belongs to another server" in saved.page()
    # Save is refused the same way: smail.ini keeps the password with its own server
    saved.post({**form, "folder": str(tmp_path), "action": "save"})
    assert "The stored password belongs to another server" in saved.page()
    ini = read_ini(tmp_path / "smail.ini")
    assert ini.port == traps["saved"].port and str(ini.cafile) == stack.cafile


def test_the_password_goes_where_it_was_saved_or_typed(
    saved: Running, traps: dict[str, Trap], stack: Stack
) -> None:
    """The controls: unchanged settings use the stored password; another server gets a typed
    one (so the traps would have caught a stored password sent there)."""
    saved.post({**_form("127.0.0.1", traps["saved"].port, "smtps", stack.cafile), "action": "test"})
    assert "was accepted by" in saved.page() and traps["saved"].got(STORED)
    typed = "pw-TYPED-91c2"
    form = _form("127.0.0.1", traps["starttls"].port, "starttls", stack.cafile, password=typed)
    saved.post({**form, "action": "test"})
    page = saved.page()
    assert "The stored password belongs" not in page and "was accepted by" in page
    assert traps["starttls"].got(typed) and not traps["starttls"].got(STORED)
    assert not traps["other"].connections


def test_a_password_with_a_line_break_adds_no_line_to_smail_ini(tmp_path: Path) -> None:
    """The reproduced attack: a direct POST whose password holds a newline and a
    `password_command` line (and a second [smail]) is refused by the one INI writer."""
    marker = tmp_path / "ran"
    evil = f"pw\npassword_command = touch {marker}\n[smail]\nserver = evil.example"
    for running in serve(tmp_path):
        form = {**_form("mail.example.test", 587, "starttls", ""), "password": evil}
        running.post({**form, "folder": str(tmp_path / "conf"), "action": "save"})
        page = running.page()
        assert "Line breaks and control characters are not allowed." in page
        assert evil not in page and running.server.session.password is None
    assert not (tmp_path / "conf" / "smail.ini").exists() and not marker.exists()


def test_a_stored_client_secret_is_not_sent_to_another_issuer(tmp_path: Path) -> None:
    """The same rule for the client secret of smail_refreshtoken.ini: "Get refresh token" with
    another issuer (whose token endpoint would get the secret) needs it typed again."""
    token = tmp_path / "smail_refreshtoken.ini"
    token.write_text(
        f"[OAUTH2]\nUserID={USER}\nClientID=mailcli\nClientSecret={SECRET}\n"
        f"RefreshToken=rt-1\nIssuer={ISSUER}\n"
    )
    if sys.platform != "win32":
        token.chmod(0o600)
    form = {"provider": "generic", "user": USER, "client_id": "mailcli", "auth": "oauth-xoauth2",
            "issuer": "https://elsewhere.example.test"}  # fmt: skip
    for running in serve(tmp_path):
        assert running.server.session.client_secret == SECRET
        status, headers, _ = running.post({**form, "action": "token"})
        assert status == 303 and "elsewhere" not in headers["location"]
        assert "The stored client secret belongs to another provider" in running.page()
        assert not running.provider.posts
        status, headers, _ = running.post({**form, "issuer": ISSUER, "action": "token"})
        assert status == 303 and headers["location"].startswith(ISSUER + "/auth?")

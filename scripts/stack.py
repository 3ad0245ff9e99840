#!/usr/bin/env python3
"""Start, stop or inspect the real loopback mail + OAuth stack used by the integration tests.

    python3 scripts/stack.py start  [--dir RUN] [--supervise]   # RUN: <tmp>/pysmail-stack-<uid>
    python3 scripts/stack.py status [--dir RUN]
    python3 scripts/stack.py stop   [--dir RUN]

The stack is Dovecot (submission, POP3, LMTP) and Postfix (relay to Dovecot LMTP), both started
from configuration generated under RUN, with a per-run CA and server certificate made by the
openssl CLI, and a TEST-ONLY OAuth 2.0 authorization server (oidc-provider under Node.js,
scripts/stack/oidc/server.mjs) whose opaque access tokens Dovecot's oauth2 passdb checks by
introspection (XOAUTH2, OAUTHBEARER). Everything listens on loopback only:

    Dovecot  127.0.0.2 (+ 127.0.0.3, not in the certificate): submission (STARTTLS),
             submissions (implicit TLS), pop3 (STLS), pop3s (implicit TLS)
    Dovecot  127.0.0.1: LMTP (Postfix delivers there)
    Postfix  127.0.0.1: relay (plain SMTP, no auth; Dovecot submission relays there)
    Node     127.0.0.1: oidc (issuer http://127.0.0.1:PORT; clients mailcli, mailcli-post,
             mailcli-short, mailcli-public, dovecot; secrets generated per run; and
             mailcli-jwt: app-only with private_key_jwt, its RSA key and self-signed
             certificate made per run in RUN/client-cert, the key mode 0600). App-only
             tokens act for the mailboxes APP_GRANTS gives their client (Dovecot's second
             oauth2 passdb, dovecot-oauth2-app.conf.ext), as Exchange Online's grant does

`start` writes RUN/stack.json (host, mismatch_host, ports, cafile, users, oidc issuer and client
secrets, pids; mode 0600) and returns once every service greets; it always starts afresh
(stopping a stack left running in RUN, emptying its mailboxes). With --supervise it stays in the
foreground instead, reaps every process of the stack, and stops the stack on Ctrl-C, SIGTERM,
SIGHUP or end of its stdin (the pytest fixture uses this, so an aborted test run never leaks
servers).

It needs root (Postfix refuses anything else), the Debian packages and the npm packages
(scripts/stack/oidc/node_modules) installed by scripts/install-test-deps.sh. Stdlib only. The
recipe and its pitfalls are in /work/shared/docs/test-stack.md (sections 3, 4, 5, 6).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
TEMPLATES = Path(__file__).resolve().parent / "stack"
# Not inside the repository: Dovecot's Unix sockets must fit in ~107 bytes, and the mail processes
# (Debian's `mail` and `postfix` users) must be able to enter every parent folder, which a clone
# under /root (mode 0700) does not allow. One short folder per user in the temporary directory.
_UID = os.getuid() if hasattr(os, "getuid") else 0
DEFAULT_RUN = Path(tempfile.gettempdir()) / f"pysmail-stack-{_UID}"

HOST = "127.0.0.2"
MISMATCH_HOST = "127.0.0.3"  # same Dovecot; deliberately NOT in the certificate
LOCAL_HOST = "127.0.0.1"  # LMTP and the Postfix relay
SAN = "DNS:localhost,IP:127.0.0.1,IP:127.0.0.2,DNS:mail.example.test"
USERS = {"alice@example.test": "alice-pw", "bob@example.test": "bob-pw"}
# A password short enough to occur in ordinary text (issue 12: masked where sent, not everywhere).
USERS["carol@example.test"] = "test"
PORT_NAMES = ("submission", "submissions", "pop3", "pop3s", "lmtp", "relay", "oidc")
OIDC_DIR = TEMPLATES / "oidc"
# OAuth clients of the test authorization server: True = confidential (a per-run secret).
OIDC_CLIENTS: dict[str, bool] = {
    "mailcli": True,  # client_secret_basic
    "mailcli-post": True,  # client_secret_post
    "mailcli-short": True,  # access tokens live SHORT_AT_TTL seconds
    "mailcli-public": False,  # token_endpoint_auth_method none, PKCE only
    "dovecot": True,  # the resource server: introspection only
}
SHORT_AT_TTL = 4
# private_key_jwt (RFC 7523 2.2), client credentials only: the server knows the public key of a
# per-run certificate (RUN/client-cert), as a Microsoft app registration holds a certificate.
JWT_CLIENT = "mailcli-jwt"
# App-only grants, as Exchange Online holds them for an application (SMTP.SendAsApp and the
# service principal's permission on each mailbox): the mailboxes a client's client-credentials
# tokens may act for. A client not listed (mailcli-post, mailcli-short) has no grant: Dovecot
# answers its token 454, as Exchange would refuse it.
APP_GRANTS: dict[str, tuple[str, ...]] = {
    "mailcli": ("alice@example.test",),
    JWT_CLIENT: ("alice@example.test", "carol@example.test"),
}
LOG_NAMES = ("dovecot.log", "dovecot.out", "postfix.log", "postfix.out", "oidc.out")
START_TIMEOUT = 20.0
STOP_TIMEOUT = 5.0
SBIN_DIRS = ("/usr/sbin", "/usr/local/sbin", "/opt/homebrew/sbin", "/sbin")


class StackError(Exception):
    """A start/stop step failed; the message is meant for a human."""


# --------------------------------------------------------------------------- helpers


def _which(name: str) -> str:
    path = shutil.which(name, path=os.pathsep.join([os.environ.get("PATH", ""), *SBIN_DIRS]))
    if path is None:
        raise StackError(f"{name} not found: run scripts/install-test-deps.sh (Debian/Ubuntu)")
    return path


def _run(cmd: list[str], cwd: Path | None = None) -> None:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise StackError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")


def _free_port(used: set[int]) -> int:
    """A port free on 127.0.0.1, 127.0.0.2 and 127.0.0.3 (the stack uses all three)."""
    for _ in range(200):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind((LOCAL_HOST, 0))
            port: int = s.getsockname()[1]
        if port in used:
            continue
        try:
            for addr in (HOST, MISMATCH_HOST):
                with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                    s.bind((addr, port))
        except OSError:
            continue
        used.add(port)
        return port
    raise StackError("no free loopback port found")


def _pick_ports() -> dict[str, int]:
    used: set[int] = set()
    return {name: _free_port(used) for name in PORT_NAMES}


def _alive(pid: int) -> bool:
    """True if pid runs (a zombie, left when nobody reaps an orphan, counts as dead)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] not in ("Z", "X")


def _cmdline(pid: int) -> str | None:
    try:
        return (
            Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        )
    except OSError:
        return None  # no /proc (macOS): cannot check, trust the pid file


def _read_pidfile(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def log_tail(run: Path, lines: int = 40) -> str:
    """The last lines of every log of the stack, for error messages."""
    parts = []
    for name in LOG_NAMES:
        text = _tail(run / "logs" / name, lines)
        if text:
            parts.append(f"--- {name} (tail) ---\n{text}")
    return "\n".join(parts) or "(no log written)"


# --------------------------------------------------------------------------- generation


def _make_tls(run: Path) -> None:
    """Per-run CA + server certificate (EC P-256, strict-X.509 friendly extensions)."""
    openssl = _which("openssl")
    tls = run / "tls"
    tls.mkdir(mode=0o755)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    _run(
        [openssl, "req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "2",
         "-subj", "/CN=pysmail test stack CA",
         "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign",
         "-addext", "subjectKeyIdentifier=hash"],
        cwd=tls,
    )  # fmt: skip
    _run(
        [openssl, "req", "-new", *ec, "-keyout", "server.key", "-out", "server.csr",
         "-subj", "/CN=mail.example.test"],
        cwd=tls,
    )  # fmt: skip
    (tls / "server.ext").write_text(
        "basicConstraints = critical, CA:FALSE\n"
        "keyUsage = critical, digitalSignature, keyEncipherment\n"
        "extendedKeyUsage = serverAuth\n"
        f"subjectAltName = {SAN}\n"
        "subjectKeyIdentifier = hash\n"
        "authorityKeyIdentifier = keyid:always\n"
    )
    _run(
        [openssl, "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
         "-CAcreateserial", "-days", "2", "-sha256", "-extfile", "server.ext",
         "-out", "server.crt"],
        cwd=tls,
    )  # fmt: skip
    os.chmod(tls / "ca.crt", 0o644)
    os.chmod(tls / "server.crt", 0o644)
    os.chmod(tls / "server.key", 0o600)  # read by the Dovecot master (root) only
    os.chmod(tls / "ca.key", 0o600)


def _make_client_cert(run: Path) -> dict[str, str]:
    """RUN/client-cert: an RSA-2048 key (client.key, 0600), its self-signed certificate
    (client.crt, 0644) and both in one PEM (client.pem, 0600) for the client mailcli-jwt."""
    openssl = _which("openssl")
    folder = run / "client-cert"
    folder.mkdir(mode=0o755)
    old = os.umask(0o077)  # the key is private from its first byte
    try:
        _run(
            [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "client.key",
             "-out", "client.crt", "-days", "2", "-subj", f"/CN=pysmail test app {JWT_CLIENT}"],
            cwd=folder,
        )  # fmt: skip
        pem = folder / "client.pem"
        with os.fdopen(os.open(pem, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
            out.write((folder / "client.crt").read_bytes() + (folder / "client.key").read_bytes())
    finally:
        os.umask(old)
    os.chmod(folder / "client.key", 0o600)
    os.chmod(folder / "client.crt", 0o644)
    return {
        "client_id": JWT_CLIENT,
        "certificate": str(folder / "client.crt"),
        "private_key": str(folder / "client.key"),
        "pem": str(pem),
    }


def _render(template: str, values: dict[str, str]) -> str:
    text = (TEMPLATES / template).read_text()
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", value)
    if "{{" in text:
        raise StackError(f"unfilled placeholder in {template}")
    return text


def _chown(path: Path, user: str, group: str) -> None:
    shutil.chown(path, user, group)


def _write_oidc_config(run: Path, port: int) -> dict[str, Any]:
    """RUN/oidc/config.json for server.mjs (0600: it holds the per-run client secrets)."""
    clients = {
        cid: (secrets.token_urlsafe(24) if confidential else None)
        for cid, confidential in OIDC_CLIENTS.items()
    }
    issuer = f"http://{LOCAL_HOST}:{port}"
    jwt_client = _make_client_cert(run)
    config = {
        "host": LOCAL_HOST,
        "port": port,
        "issuer": issuer,
        "short_at_ttl": SHORT_AT_TTL,
        "cookie_keys": [secrets.token_urlsafe(24)],
        "clients": {cid: secret for cid, secret in clients.items() if secret is not None},
        # only the certificate (public): the server never sees the key
        "jwt_clients": {JWT_CLIENT: {"certificate": jwt_client["certificate"]}},
        "app_grants": {cid: list(boxes) for cid, boxes in APP_GRANTS.items()},
    }
    folder = run / "oidc"
    folder.mkdir(mode=0o700)
    path = folder / "config.json"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(config, out, indent=2)
    return {
        "issuer": issuer,
        "port": port,
        "short_at_ttl": SHORT_AT_TTL,
        "clients": clients,
        "jwt_client": jwt_client,
        "app_grants": {cid: list(boxes) for cid, boxes in APP_GRANTS.items()},
        "config": str(path),
    }


def _spawn_oidc(run: Path, oidc: dict[str, Any]) -> subprocess.Popen[bytes]:
    node = _which("node")
    if not (OIDC_DIR / "node_modules" / "oidc-provider").is_dir():
        raise StackError(
            f"{OIDC_DIR}/node_modules is missing: run scripts/install-test-deps.sh "
            f"(or `npm ci` in {OIDC_DIR})"
        )
    return _spawn([node, str(OIDC_DIR / "server.mjs"), oidc["config"]], run / "logs" / "oidc.out")


def _write_configs(run: Path, ports: dict[str, int], oidc: dict[str, Any]) -> None:
    import grp
    import pwd

    mail_uid = pwd.getpwnam("mail").pw_uid
    dh = Path("/usr/share/dovecot/dh.pem")
    values = {
        "RUN": str(run),
        "STAMP": str(os.getpid()),
        "HOST": HOST,
        "MISMATCH_HOST": MISMATCH_HOST,
        "MAIL_UID": str(mail_uid),
        "SSL_DH": f"ssl_dh = <{dh}" if dh.is_file() else "",
        **{name.upper(): str(port) for name, port in ports.items()},
    }

    dove = run / "dovecot"
    for sub in (dove, dove / "state"):
        sub.mkdir(mode=0o755)
    conf = dove / "dovecot.conf"
    conf.write_text(_render("dovecot.conf.tmpl", values))
    os.chmod(conf, 0o644)
    passwd = dove / "users.passwd"
    passwd.write_text("".join(f"{u}:{{PLAIN}}{p}::::::\n" for u, p in USERS.items()))
    grp.getgrnam("dovecot")  # fail early with KeyError if Dovecot is not installed properly
    private_files = [passwd]
    for name in ("dovecot-oauth2.conf.ext", "dovecot-oauth2-app.conf.ext"):
        oauth2 = dove / name
        text = _render(
            f"{name}.tmpl", {**values, "DOVECOT_CLIENT_SECRET": oidc["clients"]["dovecot"]}
        )
        with os.fdopen(os.open(oauth2, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as out:
            out.write(text)  # never readable by others, not even for a moment
        private_files.append(oauth2)
    # Read by the Dovecot auth process (group dovecot); never world-readable (pitfall 13).
    for private in private_files:
        os.chmod(private, 0o640)
        _chown(private, "root", "dovecot")

    mail = run / "mail"
    mail.mkdir(mode=0o755)
    _chown(mail, "mail", "mail")  # Dovecot mail processes run as Debian's "mail" (pitfall 13)

    # etc/, spool/ and data/ side by side: a queue inside the config dir upsets Postfix (pitfall 5)
    pf = run / "postfix"
    for sub in (pf, pf / "etc", pf / "spool"):
        sub.mkdir(mode=0o755)
    (pf / "data").mkdir(mode=0o700)
    _chown(pf / "data", "postfix", "postfix")
    past = time.time() - 60
    for name in ("main.cf", "master.cf"):
        cf = pf / "etc" / name
        cf.write_text(_render(f"{name}.tmpl", values))
        # Postfix re-reads a config file every 300 ms until its mtime is over a second old
        # (a guard against half-written files): a fresh main.cf cost ~1.5 s of start time.
        os.utime(cf, (past, past))


# --------------------------------------------------------------------------- readiness


def _greets(host: str, port: int, prefix: bytes, tls: ssl.SSLContext | None) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2.0) as raw:
            sock: socket.socket = raw
            if tls is not None:
                sock = tls.wrap_socket(raw, server_hostname=host)
            try:
                data = sock.recv(512)
            finally:
                if sock is not raw:
                    sock.close()
    except (OSError, ssl.SSLError):
        return False
    return data.startswith(prefix)


def _oidc_ready(issuer: str) -> bool:
    """True once the authorization server answers its discovery document for `issuer`."""
    import urllib.request

    url = f"{issuer}/.well-known/openid-configuration"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy
    try:
        with opener.open(url, timeout=2.0) as resp:
            doc = json.loads(resp.read())
    except (OSError, ValueError):
        return False
    return isinstance(doc, dict) and doc.get("issuer") == issuer


def _wait_ready(
    run: Path, ports: dict[str, int], procs: dict[str, subprocess.Popen[bytes]]
) -> None:
    tls = ssl.create_default_context(cafile=str(run / "tls" / "ca.crt"))
    checks = [
        ("submission", HOST, b"220", None),
        ("submissions", HOST, b"220", tls),
        ("pop3", HOST, b"+OK", None),
        ("pop3s", HOST, b"+OK", tls),
        ("lmtp", LOCAL_HOST, b"220", None),
        ("relay", LOCAL_HOST, b"220", None),
        ("oidc", LOCAL_HOST, b"", None),
    ]
    deadline = time.monotonic() + START_TIMEOUT
    issuer = f"http://{LOCAL_HOST}:{ports['oidc']}"
    while checks:
        name, host, prefix, ctx = checks[0]
        ready = _oidc_ready(issuer) if name == "oidc" else _greets(host, ports[name], prefix, ctx)
        if ready:
            checks.pop(0)
            continue
        for pname, proc in procs.items():
            if proc.poll() is not None:
                raise StackError(f"{pname} exited with status {proc.returncode} during start")
        if time.monotonic() > deadline:
            raise StackError(f"{name} on {host}:{ports[name]} did not greet in {START_TIMEOUT} s")
        time.sleep(0.05)


# --------------------------------------------------------------------------- commands


def _spawn(cmd: list[str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "ab") as out:
        # Own process group: `stop` kills the whole group, whoever is the parent by then.
        return subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True, close_fds=True,
        )  # fmt: skip


RUN_ENTRIES = (
    "stack.json", "stack.json.tmp", "tls", "dovecot", "postfix", "mail", "logs", "oidc",
    "client-cert",
)  # fmt: skip


def _clean(run: Path) -> None:
    foreign = sorted(p.name for p in run.iterdir() if p.name not in RUN_ENTRIES)
    if foreign:  # never wipe a folder that is not ours (a mistyped --dir)
        raise StackError(f"{run} holds other files ({', '.join(foreign[:5])}): use an empty --dir")
    for name in RUN_ENTRIES:
        path = run / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def _start_once(run: Path) -> dict[str, Any]:
    _clean(run)
    (run / "logs").mkdir(mode=0o755)
    ports = _pick_ports()
    oidc = _write_oidc_config(run, ports["oidc"])
    procs: dict[str, subprocess.Popen[bytes]] = {}
    # Node first: its ~0.3 s start overlaps with the TLS material, Dovecot and Postfix.
    procs["oidc"] = _spawn_oidc(run, oidc)
    _make_tls(run)
    _write_configs(run, ports, oidc)
    procs["dovecot"] = _spawn(
        [_which("dovecot"), "-F", "-c", str(run / "dovecot" / "dovecot.conf")],
        run / "logs" / "dovecot.out",
    )
    procs["postfix"] = _spawn(
        [_which("postfix"), "-c", str(run / "postfix" / "etc"), "start-fg"],
        run / "logs" / "postfix.out",
    )
    info: dict[str, Any] = {
        "run_dir": str(run),
        "host": HOST,
        "mismatch_host": MISMATCH_HOST,
        "relay_host": LOCAL_HOST,
        "ports": ports,
        "cafile": str(run / "tls" / "ca.crt"),
        "users": USERS,
        "oidc": {k: v for k, v in oidc.items() if k != "config"},
        "pids": {name: proc.pid for name, proc in procs.items()},
        "logs": {
            "dovecot": str(run / "logs" / "dovecot.log"),
            "postfix": str(run / "logs" / "postfix.log"),
            "oidc": str(run / "logs" / "oidc.out"),
        },
    }
    # Written before waiting, so that `stop` can clean up after a failed start too.
    _write_json(run, info)
    _wait_ready(run, ports, procs)
    # postfix-script runs `master -s`, which calls setsid(): master has its own group (pitfall 4)
    master = _read_pidfile(run / "postfix" / "spool" / "pid" / "master.pid")
    if master is not None:
        info["pids"]["postfix_master"] = master
    _write_json(run, info)
    for proc in procs.values():
        proc.returncode = 0  # detached on purpose: silence Popen's "still running" warning
    return info


def _write_json(run: Path, info: dict[str, Any]) -> None:
    tmp = run / "stack.json.tmp"
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # it holds client secrets
    with os.fdopen(fd, "w") as out:
        out.write(json.dumps(info, indent=2) + "\n")
    os.replace(tmp, run / "stack.json")


def start(run: Path) -> dict[str, Any]:
    if sys.platform == "win32" or not hasattr(os, "geteuid"):
        raise StackError("the test stack needs Linux (or macOS) with Dovecot and Postfix")
    if os.geteuid() != 0:
        raise StackError("the test stack must be started as root (Postfix and Dovecot need it)")
    run.mkdir(parents=True, exist_ok=True)
    os.chmod(run, 0o755)  # Dovecot and Postfix drop privileges and must traverse it
    stop(run, quiet=True)  # leftovers of an earlier run in this folder
    for attempt in (1, 2):
        try:
            return _start_once(run)
        except StackError as exc:
            tail = log_tail(run)
            stop(run, quiet=True)
            # a port grabbed by someone else between pick and bind: try once more
            if attempt == 1 and "in use" in tail:
                continue
            raise StackError(f"{exc}\n{tail}") from None
    raise AssertionError("unreachable")


def _pids_to_stop(run: Path) -> list[tuple[int, str]]:
    """(pid, expected word in its command line) of every process-group leader of the stack."""
    found: list[tuple[int, str]] = []
    try:
        info = json.loads((run / "stack.json").read_text())
        pids = info.get("pids", {})
    except (OSError, ValueError):
        pids = {}
    expect = {
        "dovecot": "dovecot", "postfix": "postfix", "postfix_master": "master", "oidc": "node",
    }  # fmt: skip
    for name, word in expect.items():
        if isinstance(pids.get(name), int):
            found.append((pids[name], word))
    for pidfile, word in (
        (run / "dovecot" / "run" / "master.pid", "dovecot"),
        (run / "postfix" / "spool" / "pid" / "master.pid", "master"),
    ):
        pid = _read_pidfile(pidfile)
        if pid is not None and all(pid != p for p, _ in found):
            found.append((pid, word))
    return found


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)  # every leader was started with its own group (pgid == pid)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, sig)


def stop(run: Path, *, quiet: bool = False) -> None:
    if not hasattr(os, "killpg"):
        raise StackError("the test stack needs Linux (or macOS)")
    targets = []
    for pid, word in _pids_to_stop(run):
        cmd = _cmdline(pid)
        if _alive(pid) and (cmd is None or word in cmd):
            targets.append(pid)
    for pid in targets:
        _signal_group(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    while any(_alive(p) for p in targets) and time.monotonic() < deadline:
        time.sleep(0.05)
    for pid in targets:
        if _alive(pid):
            _signal_group(pid, signal.SIGKILL)
    with contextlib.suppress(FileNotFoundError):
        (run / "stack.json").unlink()
    if not quiet:
        print(f"stack stopped ({len(targets)} process group(s)) in {run}")


def status(run: Path) -> int:
    try:
        info = json.loads((run / "stack.json").read_text())
    except (OSError, ValueError):
        print(f"stack not running (no {run / 'stack.json'})")
        return 1
    ok = True
    for name, pid in info["pids"].items():
        alive = _alive(pid)
        ok = ok and alive
        print(f"{name:15} pid {pid:<8} {'running' if alive else 'DEAD'}")
    tls = ssl.create_default_context(cafile=info["cafile"])
    for name, port in info["ports"].items():
        host = info["relay_host"] if name in ("lmtp", "relay", "oidc") else info["host"]
        ctx = tls if name in ("submissions", "pop3s") else None
        prefix = b"+OK" if name.startswith("pop3") else b"220"
        if name == "oidc":
            up = _oidc_ready(info["oidc"]["issuer"])
        else:
            up = _greets(host, port, prefix, ctx)
        ok = ok and up
        print(f"{name:15} {host}:{port:<6} {'greets' if up else 'NO ANSWER'}")
    print(f"cafile          {info['cafile']}")
    print(f"users           {', '.join(f'{u} / {p}' for u, p in info['users'].items())}")
    clients = ", ".join(
        [*info["oidc"]["clients"], *([JWT_CLIENT] * ("jwt_client" in info["oidc"]))]
    )
    print(f"oidc issuer     {info['oidc']['issuer']} (clients: {clients})")
    return 0 if ok else 1


def _become_subreaper() -> None:
    """Orphans of the stack (Postfix daemons outliving master) get reparented to us, not to a
    PID 1 that may never reap them (containers without init)."""
    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def supervise(run: Path) -> None:
    """Block until Ctrl-C, SIGTERM, SIGHUP or EOF on stdin; then stop the stack."""
    import select

    stopping: list[int] = []

    def on_signal(signum: int, _frame: object) -> None:
        stopping.append(signum)

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, on_signal)
    stdin = sys.stdin.buffer
    try:
        while not stopping:
            _reap()
            ready, _, _ = select.select([stdin], [], [], 0.2)
            if ready and not os.read(stdin.fileno(), 4096):
                break  # EOF: whoever started us is gone or wants us to stop
    finally:
        stop(run)
        deadline = time.monotonic() + STOP_TIMEOUT
        while time.monotonic() < deadline:  # until every process of the stack is reaped
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                time.sleep(0.05)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("command", choices=("start", "stop", "status"))
    parser.add_argument(
        "--dir", type=Path, default=DEFAULT_RUN, help="run folder (<tmp>/pysmail-stack-<uid>)"
    )
    parser.add_argument(
        "--supervise",
        action="store_true",
        help="start: stay in the foreground; stop on Ctrl-C, SIGTERM, SIGHUP or EOF on stdin",
    )
    args = parser.parse_args(argv)
    run: Path = args.dir.resolve()
    try:
        if args.command == "start":
            t0 = time.monotonic()
            if args.supervise:
                _become_subreaper()
            info = start(run)
            ports = ", ".join(f"{k}={v}" for k, v in info["ports"].items())
            print(f"stack.json: {run / 'stack.json'}")
            print(
                f"stack started in {time.monotonic() - t0:.2f} s: {info['host']} {ports}",
                flush=True,
            )
            if args.supervise:
                supervise(run)
            return 0
        if args.command == "stop":
            stop(run)
            return 0
        return status(run)
    except (StackError, OSError, KeyError) as exc:
        print(f"stack {args.command} failed: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

"""Every way `smail` can be given bad input, through the real stack: exit code, ERR line, no trace.

One table. Each row runs smail (in-process, main() with a StringIO) and checks the exit code, the
`ERR-xxxx:` line, that no traceback appears, and, for the whole table, that nothing was
delivered: rows send to bob with good credentials wherever the row's own fault allows, so a row
whose check failed to stop the run WOULD deliver; the last test then sends one sentinel to bob
and finds it alone in his mailbox.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from cli.util import (
    ALICE,
    BOB,
    ScriptedHandler,
    auth_ini,
    drain,
    fetch_one,
    free_port,
    hermetic_env,
    marker,
    printing,
    run_exe,
    run_main,
    server_args,
    smail_command,
    smtpd,
    write_ini,
)
from pysmail.exitcodes import ErrCode
from pysmail.mime.bodyfile import MAX_BODY_FILE
from stackutil import Stack

pytestmark = pytest.mark.stack

DIR = b"<a directory>"  # in Row.files: make a folder of that name, not a file
FIFO = b"<a FIFO>"  # in Row.files: make a named pipe (nobody ever writes to it)
OVER_BODY_LIMIT = b"<a sparse file one byte over the body-file limit>"
GOOD = "<good ini>"  # Row.ini: the default, SMTP account alice with a working password_command
# What every stack row starts with (later options win; a row's own argv follows). No body:
# rows that need one add -T or -F.
BASE = [
    "-h{host}",
    "--port",
    "{sub}",
    "--tls",
    "starttls",
    "--cafile",
    "{ca}",
    "-f" + ALICE,
    "-s{mark}",
    BOB,
]
POP_GOOD = "[pop_before_smtp]\nenabled = yes\nport = {pop3}\ntls = stls\nuser = " + ALICE + "\n"


class Planted(bytes):
    """Row.files content written with this mode and, when `uid` is given, owned by that uid
    (a file someone else planted; the suite runs as root in CI, so chown is real)."""

    mode: int
    uid: int | None

    def __new__(cls, data: bytes, mode: int, uid: int | None = None) -> Planted:
        planted = super().__new__(cls, data)
        planted.mode, planted.uid = mode, uid
        return planted


@dataclass(frozen=True)
class Row:
    id: str
    argv: list[str]
    code: ErrCode
    ini: str | None = GOOD  # None: no settings file at all
    files: dict[str, bytes] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    base: bool = True  # prepend BASE to argv
    ini_mode: int = 0o600
    exe: bool = False  # also run through the real executable (subprocess)


def _bad_key(section: str, key: str, value: str) -> Row:
    """A settings file whose one key has a value of the wrong type: ERR-0027."""
    ini = (
        f"{GOOD}\n{key} = {value}\n"
        if section == "smail"
        else f"{GOOD}\n{POP_GOOD}{key} = {value}\n"
    )
    return Row(f"ini-{section}-{key}", [], ErrCode.CONFIG, ini=ini)


ROWS: list[Row] = [
    # -- the command line -----------------------------------------------------------------
    Row(
        "no-host-no-ini",
        ["-f" + ALICE, "-sx", BOB],
        ErrCode.NO_SERVER,
        ini=None,
        base=False,
        exe=True,
    ),
    Row("unknown-short-option", ["-x"], ErrCode.OPTION, exe=True),
    Row("unknown-long-option", ["--frobnicate"], ErrCode.OPTION),
    Row("abbreviated-long-option", ["--por", "25"], ErrCode.OPTION),
    Row("bundled-flags", ["-di"], ErrCode.OPTION),
    Row("flag-with-value", ["--dry-run=yes"], ErrCode.OPTION),
    Row("bare-f-before-address", ["-f", ALICE], ErrCode.OPTION),
    Row("missing-value-at-end", ["-h"], ErrCode.OPTION),
    Row("bad-port-zero", ["--port", "0"], ErrCode.OPTION),
    Row("bad-port-text", ["--port", "smtp"], ErrCode.OPTION),
    Row("bad-port-too-big", ["--port=65536"], ErrCode.OPTION),
    Row("bad-priority-0", ["-p0"], ErrCode.OPTION),
    Row("bad-priority-10", ["-p10"], ErrCode.OPTION),
    Row("bad-priority-x", ["-px"], ErrCode.OPTION),
    Row("bad-tls", ["--tls", "ssl"], ErrCode.OPTION),
    Row("bad-auth", ["--auth", "ntlm"], ErrCode.OPTION),
    Row("bad-charset", ["--charset", "latin-1"], ErrCode.OPTION),
    Row("bad-body-encoding", ["--body-encoding", "klingon"], ErrCode.OPTION),
    Row("bad-timeout", ["--timeout", "0"], ErrCode.OPTION),
    Row("bad-timeout-nan", ["--timeout", "nan"], ErrCode.OPTION),
    Row("bad-lang", ["--lang", "fr"], ErrCode.OPTION),
    Row("header-with-newline", ["--header", "X-Test: a\nBcc: eve@example.test"], ErrCode.OPTION),
    Row("header-reserved", ["--header", "Bcc: eve@example.test"], ErrCode.OPTION),
    Row("header-bad-name", ["--header", "Bad Name: x"], ErrCode.OPTION),
    Row("bad-message-id", ["-ma b"], ErrCode.OPTION),
    Row("subject-crlf", ["-sx\r\nBcc: eve@example.test"], ErrCode.OPTION),
    Row("subject-lf", ["-sx\nBcc: eve@example.test"], ErrCode.OPTION),
    Row("from-crlf", ["-f" + ALICE + "\r\nBcc: eve@example.test"], ErrCode.OPTION),
    Row("from-invalid", ["-fnot an address"], ErrCode.OPTION),
    Row("from-no-domain", ["-falice@"], ErrCode.OPTION),
    Row("reply-to-invalid", ["--reply-to", "nobody"], ErrCode.OPTION),
    Row("no-sender", ["-h{host}", "-sx", BOB], ErrCode.OPTION, ini=None, base=False),
    Row("recipient-invalid", ["bob"], ErrCode.RECIPIENT),
    Row("recipient-double-at", ["bob@@example.test"], ErrCode.RECIPIENT),
    Row("recipient-crlf", ["bob@example.test\r\nRCPT TO:<eve@example.test>"], ErrCode.RECIPIENT),
    Row("cc-invalid", ["CC:carol"], ErrCode.RECIPIENT),
    Row("no-recipient", ["-h{host}", "-f" + ALICE, "-sx"], ErrCode.RECIPIENT, base=False, exe=True),
    Row(
        "only-empty-recipients",
        ["-h{host}", "-f" + ALICE, "-sx", ",", " "],
        ErrCode.RECIPIENT,
        base=False,
    ),
    Row("auth-needs-user", ["--auth", "plain"], ErrCode.CONFIG, ini=None),
    # -- texts and files --------------------------------------------------------------------
    Row(
        "subject-too-long", ["-s" + "x" * 41], ErrCode.TOO_LONG, ini=GOOD + "max_text_length = 40\n"
    ),
    Row("text-too-long", ["-T" + "本" * 41], ErrCode.TOO_LONG, ini=GOOD + "max_text_length = 40\n"),
    Row(
        "text-at-limit-but-subject-over",
        ["-T" + "本" * 40, "-s" + "件" * 41],
        ErrCode.TOO_LONG,
        ini=GOOD + "max_text_length = 40\n",
    ),
    Row("body-file-missing", ["-Fnope.txt"], ErrCode.BODY_FILE, exe=True),
    Row("body-file-is-directory", ["-Fbody"], ErrCode.BODY_FILE, files={"body": DIR}),
    Row("html-file-missing", ["-Tx", "--html", "nope.html"], ErrCode.BODY_FILE),
    Row("body-file-binary", ["-Fbody.bin"], ErrCode.ENCODING, files={"body.bin": b"ab\0cd\xff"}),
    Row(
        "body-file-undetectable",
        ["-Fbody.txt"],
        ErrCode.ENCODING,
        files={"body.txt": b"abc \x80\x81\xff"},
    ),
    Row(
        "body-file-not-utf8",
        ["-Fbody.txt", "--body-encoding", "utf-8"],
        ErrCode.ENCODING,
        files={"body.txt": "本文".encode("cp932")},
    ),
    Row(
        "body-not-in-charset-jis",
        ["-Fbody.txt", "--charset", "iso-2022-jp"],
        ErrCode.ENCODING,
        files={"body.txt": "絵文字 😀".encode()},
    ),
    Row(
        "body-not-in-charset-ascii",
        ["-Fbody.txt", "--charset", "us-ascii"],
        ErrCode.ENCODING,
        files={"body.txt": "本文".encode()},
    ),
    Row("subject-not-in-charset-sjis", ["-s①😀", "--charset", "shift_jis"], ErrCode.ENCODING),
    Row("attachment-missing", ["-anope.bin"], ErrCode.ATTACHMENT, exe=True),
    Row(
        "attachment-second-missing",
        ["-aok.txt,nope.bin"],
        ErrCode.ATTACHMENT,
        files={"ok.txt": b"ok"},
    ),
    Row("attachment-is-directory", ["-afolder"], ErrCode.ATTACHMENT, files={"folder": DIR}),
    # -- the network ------------------------------------------------------------------------
    Row("connection-refused", ["--port", "{refused}"], ErrCode.CONNECT, exe=True),
    Row("unknown-host", ["-hno-such-host.invalid"], ErrCode.HOST_LOOKUP),
    Row("tls-name-mismatch-starttls", ["-h{mismatch}"], ErrCode.TLS, exe=True),
    Row(
        "tls-name-mismatch-smtps",
        ["-h{mismatch}", "--port", "{subs}", "--tls", "smtps"],
        ErrCode.TLS,
    ),
    Row(
        "unknown-ca-smtps",
        ["-h{host}", "--port", "{subs}", "--tls", "smtps", "-f" + ALICE, "-s{mark}", BOB],
        ErrCode.TLS,
        base=False,
    ),
    Row(
        "unknown-ca-starttls",
        ["-h{host}", "--port", "{sub}", "--tls", "starttls", "-f" + ALICE, "-s{mark}", BOB],
        ErrCode.TLS,
        base=False,
    ),
    Row("cafile-missing", ["--cafile", "nope.pem"], ErrCode.TLS),
    Row("smtps-on-starttls-port", ["--tls", "smtps", "--timeout", "5"], ErrCode.TLS),
    Row(
        "starttls-not-offered", ["-h{relay_host}", "--port", "{relay}"], ErrCode.STARTTLS, exe=True
    ),
    Row(
        "wrong-password-auto", [], ErrCode.AUTH_FAILED, ini=auth_ini(password="wrong-pw"), exe=True
    ),
    Row(
        "wrong-password-login",
        ["--auth", "login"],
        ErrCode.AUTH_FAILED,
        ini=auth_ini(password="wrong-pw"),
    ),
    Row(
        "wrong-password-cram-md5",
        ["--auth", "cram-md5"],
        ErrCode.AUTH_FAILED,
        ini=auth_ini(password="wrong-pw"),
    ),
    Row("wrong-user", ["--user", "mallory@example.test"], ErrCode.AUTH_FAILED),
    Row(
        "plain-over-cleartext-refused",
        ["--tls", "none", "--auth", "plain"],
        ErrCode.AUTH_UNAVAILABLE,
    ),
    Row(
        "plain-over-cleartext-server-refuses",
        ["--tls", "none", "--auth", "plain", "--allow-plaintext-auth"],
        ErrCode.AUTH_UNAVAILABLE,
    ),
    # Dovecot offers only CRAM-MD5 before STARTTLS; LOGIN is allowed in clear by us here
    Row(
        "mechanism-not-offered",
        ["--tls", "none", "--auth", "login", "--allow-plaintext-auth"],
        ErrCode.AUTH_UNAVAILABLE,
    ),
    Row(
        "no-auth-at-server",
        ["-h{relay_host}", "--port", "{relay}", "--tls", "none", "--auth", "cram-md5"],
        ErrCode.AUTH_UNAVAILABLE,
    ),
    Row(
        "rcpt-5xx",
        ["-h{smtpd_host}", "--port", "{rcpt550}", "--tls", "none", "-Tx"],
        ErrCode.HANDLING,
        ini=None,
        exe=True,
    ),
    Row(
        "rcpt-4xx",
        ["-h{smtpd_host}", "--port", "{rcpt451}", "--tls", "none", "-Tx"],
        ErrCode.TEMPORARY,
        ini=None,
    ),
    # -- passwords --------------------------------------------------------------------------
    Row(
        "password-command-fails",
        [],
        ErrCode.AUTH_UNAVAILABLE,
        ini=f'[smail]\nuser = {ALICE}\npassword_command = {{py}} -c "raise SystemExit(3)"\n',
    ),
    Row(
        "password-command-prints-nothing",
        [],
        ErrCode.AUTH_UNAVAILABLE,
        ini=f'[smail]\nuser = {ALICE}\npassword_command = {{py}} -c "pass"\n',
    ),
    Row(
        "password-command-not-found",
        [],
        ErrCode.AUTH_UNAVAILABLE,
        ini=f"[smail]\nuser = {ALICE}\npassword_command = /nonexistent/pw-helper\n",
    ),
    Row(
        "password-command-unbalanced-quote",
        [],
        ErrCode.CONFIG,
        ini=f"[smail]\nuser = {ALICE}\npassword_command = pass 'show\n",
    ),
    Row(
        "password-in-public-ini",
        [],
        ErrCode.CONFIG,
        ini_mode=0o644,
        ini=f"[smail]\nuser = {ALICE}\npassword = alice-pw\n",
    ),
    Row(
        "password-in-group-readable-ini",
        [],
        ErrCode.CONFIG,
        ini_mode=0o640,
        ini=f"[smail]\nuser = {ALICE}\npassword = alice-pw\n",
    ),
    # -- settings files ---------------------------------------------------------------------
    Row("config-option-missing-file", ["--config", "nope.ini"], ErrCode.CONFIG, ini=None),
    Row("config-env-missing-file", [], ErrCode.CONFIG, ini=None, env={"SMAIL_CONFIG": "nope.ini"}),
    Row(  # `~name` of no such user stays as written, as in a shell: a file that is not there
        "config-env-no-such-user",
        [],
        ErrCode.CONFIG,
        ini=None,
        env={"SMAIL_CONFIG": "~no-such-user-pysmail/smail.ini"},
    ),
    Row(
        "config-option-no-such-user",
        ["--config", "~no-such-user-pysmail/smail.ini"],
        ErrCode.CONFIG,
        ini=None,
    ),
    Row("ini-syntax-error", [], ErrCode.CONFIG, ini=GOOD + "this line has no equals sign\n"),
    Row("ini-key-before-section", [], ErrCode.CONFIG, ini="server = x\n" + GOOD),
    Row(
        "ini-from-invalid",
        ["-h{host}", "--port", "{sub}", "--tls", "starttls", "--cafile", "{ca}", "-s{mark}", BOB],
        ErrCode.OPTION,
        base=False,
        ini=GOOD + "from = alice at example\n",
    ),
    Row("oauth-xoauth2-without-token", ["--auth", "oauth-xoauth2"], ErrCode.NO_ACCESS_TOKEN),
    _bad_key("smail", "port", "0"),
    _bad_key("smail", "tls", "ssl"),
    _bad_key("smail", "tls_verify", "maybe"),
    _bad_key("smail", "auth", "ntlm"),
    _bad_key("smail", "charset", "latin-1"),
    _bad_key("smail", "body_encoding", "klingon"),
    _bad_key("smail", "timeout", "-5"),
    _bad_key("smail", "allow_plaintext_auth", "perhaps"),
    _bad_key("smail", "max_text_length", "0"),
    _bad_key("smail", "password_keyring", "sometimes"),
    _bad_key("pop_before_smtp", "enabled", "maybe"),
    _bad_key("pop_before_smtp", "port", "99999"),
    _bad_key("pop_before_smtp", "tls", "ssl"),
    _bad_key("pop_before_smtp", "apop", "x"),
    _bad_key("pop_before_smtp", "wait_ms", "-1"),
    _bad_key("pop_before_smtp", "timeout", "soon"),
    _bad_key("pop_before_smtp", "password_keyring", "2"),
    # -- POP before SMTP --------------------------------------------------------------------
    Row(
        "pop-wrong-password",
        [],
        ErrCode.POP3_LOGIN,
        ini=GOOD + POP_GOOD + "password_command = {pw_wrong}\n",
        exe=True,
    ),
    Row(
        "pop-apop-wrong-password",
        [],
        ErrCode.POP3_LOGIN,
        ini=GOOD + POP_GOOD + "apop = yes\npassword_command = {pw_wrong}\n",
    ),
    Row(
        "pop-no-account",
        [],
        ErrCode.POP3_ACCOUNT,
        ini=GOOD + "[pop_before_smtp]\nenabled = yes\ntls = stls\nport = {pop3}\n",
    ),
    Row(
        "pop-refused-port",
        [],
        ErrCode.POP3_CONNECT,
        ini=GOOD + POP_GOOD + "port = {refused}\npassword_command = {pw_alice}\n",
    ),
    Row(
        "pop-unknown-ca",
        ["-h{host}", "--port", "{sub}", "-f" + ALICE, "-s{mark}", BOB],
        ErrCode.POP3_CONNECT,
        base=False,
        ini=f"{GOOD}{POP_GOOD}tls = pop3s\nport = {{pop3s}}\npassword_command = {{pw_alice}}\n",
    ),
    Row(
        "pop-cleartext-user-pass-refused",
        [],
        ErrCode.POP3_LOGIN,
        ini=GOOD + POP_GOOD + "tls = none\npassword_command = {pw_alice}\n",
    ),
    # issue 12 — batch: --batch attachments stay in their folder; pacing overrides are typed
    Row(
        "batch-attachment-dotdot",
        ["-Tx", "--batch", "rows.csv"],
        ErrCode.ATTACHMENT,
        files={"rows.csv": b"to,attachments\nbob@example.test," + b"../" * 12 + b"etc/passwd\n"},
    ),
    Row(
        "batch-attachment-absolute",
        ["-Tx", "--batch", "rows.csv"],
        ErrCode.ATTACHMENT,
        files={"rows.csv": b"to,attachments\nbob@example.test,/etc/passwd\n"},
    ),
    Row(
        "batch-attachment-outside-attach-dir",
        ["-Tx", "--batch", "rows.csv", "--attach-dir", "sub"],
        ErrCode.ATTACHMENT,
        files={
            "sub": DIR,
            "ok.txt": b"ok",
            "rows.csv": b"to,attachments\nbob@example.test,../ok.txt\n",
        },
    ),
    _bad_key("smail", "pacing_per_minute", "fast"),
    _bad_key("smail", "pacing_recipients_per_message", "-1"),
    # issue 12 — addr: the one strict address parser (CVE-2023-27043 shapes), line limits
    Row("recipient-cve-2023-27043", [f"{BOB})<{ALICE}>"], ErrCode.RECIPIENT, exe=True),
    Row("cc-cve-2023-27043", [f"CC:{BOB})<{ALICE}>"], ErrCode.RECIPIENT),
    Row("recipient-quoted-local-part", [f'"{BOB}"@example.test'], ErrCode.RECIPIENT),
    Row("recipient-open-comment", [f"{BOB} (x (y)"], ErrCode.RECIPIENT),
    Row("recipient-unquoted-at-in-name", [f"{ALICE} <{BOB}>"], ErrCode.RECIPIENT),
    Row("from-cve-2023-27043", [f"-f{ALICE})<{BOB}>"], ErrCode.OPTION),
    Row(
        "ini-from-cve-2023-27043",
        ["-h{host}", "--port", "{sub}", "--tls", "starttls", "--cafile", "{ca}", "-s{mark}", BOB],
        ErrCode.OPTION,
        base=False,
        ini=GOOD + f"from = {ALICE})<{BOB}>\n",
    ),
    Row(
        "batch-to-cve-2023-27043",
        ["-Tx", "--batch", "list.csv"],
        ErrCode.RECIPIENT,
        files={"list.csv": f'to\n"{BOB})<{ALICE}>"\n'.encode()},
    ),
    Row(
        "eml-to-cve-2023-27043",
        ["-h{host}", "--port", "{sub}", "--tls", "starttls", "--cafile", "{ca}", "--eml", "m.eml"],
        ErrCode.RECIPIENT,
        base=False,
        files={"m.eml": f"From: {ALICE}\r\nTo: {BOB})<{ALICE}>\r\n\r\nx\r\n".encode()},
    ),
    Row("message-id-over-998", ["-m" + "x" * 1000], ErrCode.OPTION),
    Row("header-name-over-998", ["--header", "X" * 1000 + ": v"], ErrCode.OPTION),
    Row("recipient-local-part-1500", ["x" * 1500 + "@example.test"], ErrCode.RECIPIENT, exe=True),
    Row("from-local-part-1500", ["-f" + "x" * 1500 + "@example.test"], ErrCode.OPTION),
    Row(
        "eml-nul-byte",
        ["-h{host}", "--port", "{sub}", "--tls", "starttls", "--cafile", "{ca}", "--eml", "m.eml"],
        ErrCode.BODY_FILE,
        base=False,
        files={"m.eml": f"From: {ALICE}\r\nTo: {BOB}\r\n\r\na\0b\r\n".encode()},
    ),
    Row(
        "eml-body-line-2000",
        ["-h{host}", "--port", "{sub}", "--tls", "starttls", "--cafile", "{ca}", "--eml", "m.eml"],
        ErrCode.BODY_FILE,
        base=False,
        files={"m.eml": f"From: {ALICE}\r\nTo: {BOB}\r\n\r\n{'y' * 2000}\r\n".encode()},
    ),
    Row(
        "eml-header-line-2000",
        ["-h{host}", "--port", "{sub}", "--tls", "starttls", "--cafile", "{ca}", "--eml", "m.eml"],
        ErrCode.BODY_FILE,
        base=False,
        files={
            "m.eml": f"From: {ALICE}\r\nTo: {BOB}\r\nX-Long: {'z' * 2000}\r\n\r\nx\r\n".encode()
        },
    ),
    # issue 12 — print: the EHLO name is a domain or an address literal (RFC 5321 4.1.2, 4.1.3)
    Row("helo-with-spaces", ["--helo", "foo bar evil"], ErrCode.OPTION, exe=True),
    Row("helo-crlf", ["--helo", "x.example\r\nRCPT TO:<eve@example.test>"], ErrCode.OPTION),
    Row("helo-over-255", ["--helo", ("a" * 60 + ".") * 5 + "example"], ErrCode.OPTION),
    Row("helo-label-over-63", ["--helo", "a" * 64 + ".example.test"], ErrCode.OPTION),
    Row("helo-bad-literal", ["--helo", "[300.1.2.3]"], ErrCode.OPTION),
    Row("helo-ipv6-without-tag", ["--helo", "[::1]"], ErrCode.OPTION),
    Row("helo-control-char", ["--helo", "mail\x1b[2J.example"], ErrCode.OPTION),
    Row("ini-helo-spaces", [], ErrCode.CONFIG, ini=GOOD + "helo = foo bar evil\n"),
    Row("ini-helo-2mb", [], ErrCode.CONFIG, ini=GOOD + "helo = " + "a" * 2_000_000 + "\n"),
    # issue 12 — trust: settings and token files only you can change (fs.trust); a planted
    # file's password_command would send as alice, so a row whose check failed WOULD deliver
    Row(
        "trust-cwd-ini-of-another-user",
        [],
        ErrCode.CONFIG,
        ini=None,
        files={"smail.ini": Planted(auth_ini().encode(), 0o644, 65534)},
        exe=True,
    ),
    Row(
        "trust-cwd-ini-others-may-change",
        [],
        ErrCode.CONFIG,
        ini=None,
        files={"smail.ini": Planted(auth_ini().encode(), 0o666)},
    ),
    Row(
        "trust-smail-config-others-may-change",
        [],
        ErrCode.CONFIG,
        ini=None,
        files={"planted.ini": Planted(auth_ini().encode(), 0o666)},
        env={"SMAIL_CONFIG": "planted.ini"},
    ),
    Row("trust-config-option-command-others-may-change", [], ErrCode.CONFIG, ini_mode=0o666),
    Row(
        "trust-token-file-readable-by-others",
        ["--auth", "oauth-xoauth2"],
        ErrCode.CONFIG,
        files={
            "smail_refreshtoken.ini": Planted(
                b"[OAUTH2]\r\nUserID=" + ALICE.encode() + b"\r\nClientID=mailcli\r\n"
                b"ClientSecret=cs-row\r\nRefreshToken=rt-row\r\nTokenURI=http://127.0.0.1:9/t\r\n",
                0o644,
            )
        },
    ),
    # issue 12 — inputs: invalid UTF-8 in argv, non-charset encodings, special and huge files
    Row("not-utf8-subject", ["-sab\udcff\udcfe"], ErrCode.OPTION, exe=True),
    Row("not-utf8-text", ["-T\udce6\udc97"], ErrCode.OPTION, exe=True),
    Row("not-utf8-header", ["--header", "X-A: \udcff"], ErrCode.OPTION),
    Row("not-utf8-host", ["-h\udcff"], ErrCode.OPTION),
    Row("not-utf8-helo", ["--helo", "\udcff", "-Tx"], ErrCode.OPTION),
    *(
        Row(
            f"body-encoding-{name}",
            ["-Fbody.txt", "--body-encoding", name],
            ErrCode.OPTION,
            files={"body.txt": b"C:\\new\\table"},
        )
        for name in ("punycode", "undefined", "unicode_escape")
    ),
    Row(
        "ini-body-encoding-unicode-escape",
        ["-Tx"],
        ErrCode.CONFIG,
        ini=GOOD + "\nbody_encoding = unicode_escape\n",
    ),
    Row("body-file-dev-zero", ["-F/dev/zero"], ErrCode.BODY_FILE, exe=True),
    Row("html-file-dev-zero", ["-Tx", "--html", "/dev/zero"], ErrCode.BODY_FILE),
    Row("attachment-dev-zero", ["-Tx", "-a/dev/zero"], ErrCode.ATTACHMENT, exe=True),
    Row("body-file-fifo", ["-Fpipe"], ErrCode.BODY_FILE, files={"pipe": FIFO}, exe=True),
    Row("html-file-fifo", ["-Tx", "--html", "pipe"], ErrCode.BODY_FILE, files={"pipe": FIFO}),
    Row("attachment-fifo", ["-Tx", "-apipe"], ErrCode.ATTACHMENT, files={"pipe": FIFO}, exe=True),
    Row(
        "body-file-over-limit",
        ["-Fbig.txt"],
        ErrCode.BODY_FILE,
        files={"big.txt": OVER_BODY_LIMIT},
    ),
    Row("batch-file-dev-zero", ["--batch", "/dev/zero"], ErrCode.OPTION),
    Row("batch-file-fifo", ["--batch", "pipe"], ErrCode.OPTION, files={"pipe": FIFO}),
    Row("eml-file-fifo", ["--eml", "pipe"], ErrCode.BODY_FILE, files={"pipe": FIFO}),
    Row(
        "html-file-over-limit",
        ["-Tx", "--html", "big.html"],
        ErrCode.BODY_FILE,
        files={"big.html": OVER_BODY_LIMIT},
    ),
    # issue 12 — deadline: smail_refreshtoken.ini values no token request may be made with
    *[
        Row(
            f"token-file-{name}",
            ["--auth", "oauth-xoauth2"],
            ErrCode.NO_ACCESS_TOKEN,
            files={
                "smail_refreshtoken.ini": Planted(
                    f"[OAUTH2]\r\nUserID={ALICE}\r\nClientID=client-1\r\n"
                    f"RefreshToken=rt-bad-input\r\nTokenURI={uri}\r\nOAUTH2_TIME_OUT={seconds}\r\n".encode(),
                    0o600,
                )
            },
            exe=name == "timeout-1e308",
        )
        for name, uri, seconds in (
            ("token-uri-space", "http://127.0.0.1:9/to ken", "5"),
            ("token-uri-control", "http://127.0.0.1:9/to\x0bken", "5"),
            ("token-uri-tab", "http://127.0.0.1:9/to\tken", "5"),
            ("timeout-1e308", "http://127.0.0.1:9/token", "1e308"),
            ("timeout-inf", "http://127.0.0.1:9/token", "inf"),
        )
    ],
    Row(
        "token-file-utf8-bom-then-not-utf8",
        ["--auth", "oauth-xoauth2"],
        ErrCode.NO_ACCESS_TOKEN,
        files={
            "smail_refreshtoken.ini": Planted(
                b"\xef\xbb\xbf[OAUTH2]\r\nUserID=\x82\xa0\xff\r\nClientID=client-1\r\n", 0o600
            )
        },
    ),
]


@pytest.fixture(scope="module")
def ctx(stack: Stack) -> Iterator[dict[str, str]]:
    """The placeholders of the table: stack ports, aiosmtpd servers, a refused port."""
    with (
        smtpd(ScriptedHandler("550 5.1.1 <bob@example.test>: Recipient address rejected")) as p550,
        smtpd(ScriptedHandler("451 4.3.0 Mailbox temporarily unavailable, try later")) as p451,
    ):
        drain(stack, BOB)  # from here on, bob's box must only ever receive the sentinel
        yield {
            "host": stack.host,
            "mismatch": stack.mismatch_host,
            "sub": str(stack.submission),
            "subs": str(stack.submissions),
            "pop3": str(stack.pop3),
            "pop3s": str(stack.pop3s),
            "relay": str(stack.relay),
            "relay_host": stack.relay_host,
            "ca": stack.cafile,
            "refused": str(free_port()),
            "smtpd_host": "127.0.0.1",
            "rcpt550": str(p550),
            "rcpt451": str(p451),
            "py": printing("x").split(" -c ")[0],
            "pw_alice": printing("alice-pw"),
            "pw_wrong": printing("wrong-pw"),
        }


def _prepare(row: Row, folder: Path, ctx: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    values = {**ctx, "mark": f"badrow-{row.id}"}
    argv = [a.format(**values) for a in ((BASE if row.base else []) + row.argv)]
    if row.ini is not None:
        text = row.ini.replace(GOOD, auth_ini(), 1) if row.ini.startswith(GOOD) else row.ini
        write_ini(folder, text.format(**values), mode=row.ini_mode)
        argv += ["--config", "smail.ini"]
    for name, data in row.files.items():
        if data == DIR:
            (folder / name).mkdir()
        elif data == FIFO:
            os.mkfifo(folder / name)
        elif data == OVER_BODY_LIMIT:
            with (folder / name).open("wb") as big:
                big.truncate(MAX_BODY_FILE + 1)  # sparse: no 32 MiB written
        else:
            (folder / name).write_bytes(data)
        if isinstance(data, Planted):
            os.chmod(folder / name, data.mode)
            if data.uid is not None:
                os.chown(folder / name, data.uid, -1)
    return argv, hermetic_env(folder, row.env)


def _check(row: Row, code: int, out: str) -> None:
    assert "Traceback" not in out, out
    errs = [line for line in out.splitlines() if line.startswith("ERR-")]
    assert errs, out
    assert errs[0].startswith(f"ERR-{int(row.code):04d}:"), out
    assert code == row.code, f"exit {code}, expected {int(row.code)}:\n{out}"


def _no_config_row(row: Row) -> bool:
    return (
        row.ini is None
        and "--config" not in row.argv
        and not row.env
        and "smail.ini" not in row.files
    )


def test_table_is_big_enough() -> None:
    assert len(ROWS) >= 45
    assert len({r.id for r in ROWS}) == len(ROWS)
    assert {r.code for r in ROWS} >= {
        ErrCode.RECIPIENT,
        ErrCode.BODY_FILE,
        ErrCode.ATTACHMENT,
        ErrCode.HOST_LOOKUP,
        ErrCode.CONNECT,
        ErrCode.HANDLING,
        ErrCode.NO_SERVER,
        ErrCode.ENCODING,
        ErrCode.OPTION,
        ErrCode.TOO_LONG,
        ErrCode.POP3_CONNECT,
        ErrCode.POP3_ACCOUNT,
        ErrCode.POP3_LOGIN,
        ErrCode.TLS,
        ErrCode.STARTTLS,
        ErrCode.AUTH_FAILED,
        ErrCode.AUTH_UNAVAILABLE,
        ErrCode.CONFIG,
        ErrCode.TEMPORARY,
    }


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_bad_input(row: Row, ctx: dict[str, str], tmp_path: Path) -> None:
    argv, env = _prepare(row, tmp_path, ctx)
    if _no_config_row(row):
        assert not (tmp_path / "smail.ini").exists()
    result = run_main(argv, tmp_path, env)
    _check(row, result.code, result.out)


EXE_ROWS = [r for r in ROWS if r.exe]


@pytest.mark.parametrize("row", EXE_ROWS, ids=[r.id for r in EXE_ROWS])
def test_bad_input_real_executable(row: Row, ctx: dict[str, str], tmp_path: Path) -> None:
    """The installed `smail`: nothing on stderr, the ERR line on stdout, the exit status."""
    argv, env = _prepare(row, tmp_path, ctx)
    result = run_exe(argv, tmp_path, env)
    assert result.err == "", result.err
    _check(row, result.code, result.out)


def test_silent_keeps_exit_code_and_prints_nothing(ctx: dict[str, str], tmp_path: Path) -> None:
    row = next(r for r in ROWS if r.id == "connection-refused")
    argv, env = _prepare(row, tmp_path, ctx)
    result = run_exe([*argv, "-S"], tmp_path, env)
    assert (result.code, result.out, result.err) == (ErrCode.CONNECT, "", "")


def test_errors_in_japanese(ctx: dict[str, str], tmp_path: Path) -> None:
    row = next(r for r in ROWS if r.id == "body-file-missing")
    argv, env = _prepare(row, tmp_path, ctx)
    result = run_main([*argv, "--lang", "ja"], tmp_path, env)
    _check(row, result.code, result.out)
    assert result.err_lines()[0] != "ERR-0002:Body file error."
    assert any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in result.out)


@pytest.mark.parametrize(
    "extra", [["--help"], ["-hlocalhost", "-fa@b.test", "--dry-run", "c@d.test"]]
)
def test_closed_stdout_gives_no_traceback(tmp_path: Path, extra: list[str]) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # like `| head` that has already quit: every write gets EPIPE
    try:
        done = subprocess.run(
            [*smail_command(), *extra],
            stdout=write_end,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            env=hermetic_env(tmp_path),
            cwd=tmp_path,
            timeout=60,
            check=False,
        )
    finally:
        os.close(write_end)
    assert b"Traceback" not in done.stderr, done.stderr.decode(errors="replace")
    assert b"BrokenPipeError" not in done.stderr
    assert done.stderr == b"" and done.returncode == 0


@pytest.mark.parametrize("stream", ["1", "2"])
def test_a_closed_standard_stream_gives_no_traceback(tmp_path: Path, stream: str) -> None:
    """`smail ... >&-` (or `2>&-`): the stream is not there at all; the send goes on, and the
    exit code tells the truth."""
    argv = ["-hlocalhost", "-fa@b.test", "--dry-run", "c@d.test"]
    done = subprocess.run(
        ["sh", "-c", f'exec "$@" {stream}>&-', "sh", *smail_command(), *argv],
        capture_output=True,
        stdin=subprocess.DEVNULL,
        env=hermetic_env(tmp_path),
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert b"Traceback" not in done.stderr + done.stdout, done.stderr.decode(errors="replace")
    assert done.returncode == 0


def test_zz_no_bad_row_was_delivered(stack: Stack, ctx: dict[str, str], tmp_path: Path) -> None:
    """After the whole table, bob's mailbox holds the sentinel and nothing else."""
    write_ini(tmp_path, auth_ini())
    mark = marker("sentinel")
    argv = [*server_args(stack), "--config", "smail.ini", "-f" + ALICE, "-s" + mark, "-Tok", BOB]
    result = run_main(argv, tmp_path)
    assert result.code == 0, result.out
    fetch_one(stack, BOB, mark)
    time.sleep(1.0)  # a late delivery of a bad row would show up now
    assert drain(stack, BOB) == []

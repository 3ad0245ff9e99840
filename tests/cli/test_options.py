"""Every `smail` option through the real stack: send, read the mail back over POP3, parse it.

Most runs call main() in-process (fast); a few run the installed `smail` executable to prove
that nothing reaches stderr. Each test fetches only its own mail (a unique subject marker).
"""

from __future__ import annotations

import base64
import email.utils
import os
import re
import shutil
from collections.abc import Sequence
from email.message import EmailMessage
from pathlib import Path

import pytest

from cli.util import (
    ALICE,
    BOB,
    Result,
    assert_not_delivered,
    auth_ini,
    content_of,
    fetch_marked,
    fetch_one,
    hermetic_env,
    marker,
    parse,
    printing,
    raw_header,
    run_exe,
    run_main,
    server_args,
    text_of,
    write_ini,
)
from stackutil import Stack

pytestmark = pytest.mark.stack

JA_TEXT = "日本語の本文です。\n二行目：全角スペース　と半角カナ以外。\n"


def smail(
    stack: Stack,
    folder: Path,
    *args: str,
    tls: str = "starttls",
    ini: str | None = None,
    exe: bool = False,
    env: dict[str, str] | None = None,
) -> Result:
    """Run smail against the stack's submission service, alice's account from a private ini."""
    write_ini(folder, ini if ini is not None else auth_ini())
    argv = [*server_args(stack, tls), "--config", "smail.ini", *args]
    environ = hermetic_env(folder, env)
    return run_exe(argv, folder, environ) if exe else run_main(argv, folder, environ)


def ok(result: Result) -> Result:
    assert result.code == 0, result.out + result.err
    assert "ERR-" not in result.out and "Traceback" not in result.out + result.err, result.out
    assert result.err == ""
    return result


def send_one(stack: Stack, folder: Path, *args: str, to: str = BOB, **kw: object) -> EmailMessage:
    """Send a message whose subject is a fresh marker (plus `args`); return bob's copy."""
    mark = marker("opt")
    ok(smail(stack, folder, "-f" + ALICE, "-s" + mark, *args, to, **kw))  # type: ignore[arg-type]
    return fetch_one(stack, to.split(",")[0], mark)


def addrs(msg: EmailMessage, name: str) -> list[str]:
    return [a.addr_spec for a in msg[name].addresses] if msg[name] else []


def charset_of(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain", "html"))
    assert part is not None
    return str(part.get_content_charset())


# -- -h -f -s -T ------------------------------------------------------------------------------


def test_plain_sender_subject_and_text_via_real_executable(stack: Stack, tmp_path: Path) -> None:
    mark = marker("exe")
    ok(smail(stack, tmp_path, "-f" + ALICE, "-s" + mark, "-THello Bob.", BOB, exe=True))
    msg = fetch_one(stack, BOB, mark)
    assert msg["Subject"] == mark
    assert addrs(msg, "From") == [ALICE] and msg["From"].addresses[0].display_name == ""
    assert addrs(msg, "To") == [BOB] and msg["Cc"] is None and msg["Bcc"] is None
    assert text_of(msg).rstrip("\n") == "Hello Bob."
    assert msg["Date"] is not None and msg["X-Mailer"].startswith("pysmail")
    # always a Message-ID (a decision: SMAIL wrote one only with -m; Gmail refuses mail without)
    assert re.fullmatch(r"<[0-9]+\.[0-9a-f]{16}@example\.test>", msg["Message-ID"])
    assert msg["X-Priority"] is None  # only with -p


@pytest.mark.parametrize("name", ["Alice Example", "山田 太郎", "Doe, Jane (QA)"])
def test_from_with_display_name(stack: Stack, tmp_path: Path, name: str) -> None:
    mark = marker("from")
    quoted = f'"{name}"' if "," in name else name
    ok(smail(stack, tmp_path, f"-f{quoted} <{ALICE}>", "-s" + mark, "-Tx", BOB))
    msg = fetch_one(stack, BOB, mark)
    (sender,) = msg["From"].addresses
    assert (sender.display_name, sender.addr_spec) == (name, ALICE)
    assert msg["Return-Path"] == f"<{ALICE}>"  # the envelope sender is the bare address


def test_japanese_subject_is_iso_2022_jp(stack: Stack, tmp_path: Path) -> None:
    mark = marker("件名")
    subject = f"日本語の件名 {mark}"
    ok(smail(stack, tmp_path, "-f" + ALICE, "-s" + subject, "-T" + JA_TEXT, BOB))
    msg = fetch_one(stack, BOB, mark)
    assert msg["Subject"] == subject
    assert raw_header(msg, "Subject").startswith("=?ISO-2022-JP?B?")
    assert charset_of(msg) == "iso-2022-jp" and text_of(msg) == JA_TEXT


def test_text_wins_over_body_file(stack: Stack, tmp_path: Path) -> None:
    (tmp_path / "body.txt").write_text("from the file\n", encoding="utf-8")
    msg = send_one(stack, tmp_path, "-Fbody.txt", "-Tfrom -T")
    assert text_of(msg).rstrip("\n") == "from -T"


def test_empty_subject_and_no_body(stack: Stack, tmp_path: Path) -> None:
    """SMAIL sends subject-only mail; a bare -s (Windows' -s"") is an empty subject."""
    mark = marker("nobody")
    ok(smail(stack, tmp_path, "-f" + ALICE, "-s" + mark, BOB))
    assert text_of(fetch_one(stack, BOB, mark)).strip() == ""
    ok(smail(stack, tmp_path, "-f" + ALICE, "-s", "-T" + mark, BOB))
    (msg,) = fetch_marked(stack, BOB, mark, key=text_of)
    assert msg["Subject"] == ""


# -- -F and the body's encodings ----------------------------------------------------------------

BODY_FILES = [
    ("utf-8", JA_TEXT, "iso-2022-jp"),
    ("utf-8-sig", JA_TEXT, "iso-2022-jp"),
    ("cp932", JA_TEXT + "機種依存文字: ①㈱\n", "utf-8"),
    ("iso-2022-jp", JA_TEXT, "iso-2022-jp"),
    ("utf-16", JA_TEXT, "iso-2022-jp"),
    ("euc-jp", "EUC の本文\n", "iso-2022-jp"),
]


@pytest.mark.parametrize(
    ("encoding", "text", "charset"), BODY_FILES, ids=[b[0] for b in BODY_FILES]
)
def test_body_file_encodings(
    stack: Stack, tmp_path: Path, encoding: str, text: str, charset: str
) -> None:
    (tmp_path / "body.txt").write_bytes(text.replace("\n", "\r\n").encode(encoding))
    extra = ["--body-encoding", "euc-jp"] if encoding == "euc-jp" else []  # not auto-detected
    msg = send_one(stack, tmp_path, "-Fbody.txt", *extra)
    assert text_of(msg) == text
    assert charset_of(msg) == charset


def test_body_encoding_from_ini(stack: Stack, tmp_path: Path) -> None:
    text = "EUC で書いた本文\n"
    (tmp_path / "body.txt").write_bytes(text.encode("euc-jp"))
    msg = send_one(stack, tmp_path, "-Fbody.txt", ini=auth_ini(extra="body_encoding = euc-jp\n"))
    assert text_of(msg) == text


# -- charsets ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "charset"),
    [("plain ASCII", "us-ascii"), ("普通の日本語", "iso-2022-jp"), ("丸数字①と㈱", "utf-8")],
    ids=["ascii", "japanese", "cp932-only"],
)
def test_charset_auto(stack: Stack, tmp_path: Path, text: str, charset: str) -> None:
    mark = marker("cs")
    ok(smail(stack, tmp_path, "-f" + ALICE, f"-s{text} {mark}", "-T" + text, BOB))
    msg = fetch_one(stack, BOB, mark)
    assert charset_of(msg) == charset
    assert msg["Subject"] == f"{text} {mark}" and text_of(msg).rstrip("\n") == text


def test_charset_utf8_forced(stack: Stack, tmp_path: Path) -> None:
    mark = marker("utf8")
    ok(smail(stack, tmp_path, "--charset", "utf-8", "-f" + ALICE, f"-s件名 {mark}", "-T本文", BOB))
    msg = fetch_one(stack, BOB, mark)
    assert charset_of(msg) == "utf-8" and text_of(msg).rstrip("\n") == "本文"
    assert msg["Subject"] == f"件名 {mark}"
    assert raw_header(msg, "Subject").upper().startswith("=?UTF-8?B?")


@pytest.mark.parametrize("charset", ["shift_jis", "euc-jp", "iso-2022-jp"])
def test_charset_forced_japanese(stack: Stack, tmp_path: Path, charset: str) -> None:
    msg = send_one(stack, tmp_path, "--charset", charset, "-T" + JA_TEXT)
    assert charset_of(msg) == charset and text_of(msg) == JA_TEXT


# -- attachments ------------------------------------------------------------------------------


def test_attachments_several_japanese_names_binary_exact(stack: Stack, tmp_path: Path) -> None:
    files = {
        "報告書 2024年.pdf": bytes(range(256)) * 300,  # 76 800 bytes: several base64 blocks
        "データ.bin": b"\0\r\n.\r\n..\r\nFrom x\n\xff" * 1000,  # SMTP-hostile bytes
        "plain.txt": b"line one\nline two\n",
        "empty.dat": b"",
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    msg = send_one(
        stack,
        tmp_path,
        "-T本文と添付",
        "-a報告書 2024年.pdf,データ.bin",
        "-aplain.txt",
        "-aempty.dat",
    )
    assert msg.get_content_type() == "multipart/mixed"
    got = {str(p.get_filename()): p.get_payload(decode=True) for p in msg.iter_attachments()}
    assert got == files
    assert text_of(msg).rstrip("\n") == "本文と添付"


def test_attachment_only_no_text(stack: Stack, tmp_path: Path) -> None:
    (tmp_path / "a.bin").write_bytes(os.urandom(3000))
    msg = send_one(stack, tmp_path, "-aa.bin")
    (part,) = list(msg.iter_attachments())
    assert part.get_payload(decode=True) == (tmp_path / "a.bin").read_bytes()


# -- -p -t -m -S ------------------------------------------------------------------------------


@pytest.mark.parametrize(("level", "importance"), [("1", "high"), ("4", "high"), ("9", "low")])
def test_priority(stack: Stack, tmp_path: Path, level: str, importance: str) -> None:
    msg = send_one(stack, tmp_path, "-p" + level, "-Tx")
    assert (msg["X-Priority"], msg["Importance"]) == (level, importance)


def test_t_is_accepted_and_date_is_right(stack: Stack, tmp_path: Path) -> None:
    msg = send_one(stack, tmp_path, "-t", "-Tx")
    sent = email.utils.parsedate_to_datetime(msg["Date"])
    received = email.utils.parsedate_to_datetime(msg["Received"].split(";")[-1].strip())
    assert abs((received - sent).total_seconds()) < 120


def test_message_id_generated(stack: Stack, tmp_path: Path) -> None:
    msg = send_one(stack, tmp_path, "-m", "-Tx")
    assert re.fullmatch(r"<[0-9]+\.[0-9a-f]{16}@example\.test>", msg["Message-ID"])
    again = send_one(stack, tmp_path, "-m", "-Tx")
    assert again["Message-ID"] != msg["Message-ID"]


@pytest.mark.parametrize(
    ("option", "expected"),
    [
        ("-mabc.123", "<abc.123@example.test>"),
        ("-m<given.1@host.example>", "<given.1@host.example>"),
        ("--message-id=long.form@x.example", "<long.form@x.example>"),
    ],
)
def test_message_id_given(stack: Stack, tmp_path: Path, option: str, expected: str) -> None:
    assert send_one(stack, tmp_path, option, "-Tx")["Message-ID"] == expected


def test_silent_on_success_prints_nothing(stack: Stack, tmp_path: Path) -> None:
    mark = marker("silent")
    result = ok(smail(stack, tmp_path, "-S", "-f" + ALICE, "-s" + mark, "-Tx", BOB, exe=True))
    assert result.out == ""
    fetch_one(stack, BOB, mark)


def test_silent_error_keeps_exit_code(stack: Stack, tmp_path: Path) -> None:
    mark = marker("silent-err")
    result = smail(stack, tmp_path, "-S", "-f" + ALICE, "-s" + mark, "-Fmissing.txt", BOB, exe=True)
    assert (result.code, result.out, result.err) == (2, "", "")
    loud = smail(stack, tmp_path, "-f" + ALICE, "-s" + mark, "-Fmissing.txt", BOB)
    assert loud.code == 2 and loud.out.startswith("ERR-0002:")


# -- -d and -i --------------------------------------------------------------------------------


@pytest.mark.parametrize("chunking", [True, False], ids=["bdat", "no-chunking"])
def test_debug_transcript(stack: Stack, tmp_path: Path, chunking: bool) -> None:
    """Dovecot offers CHUNKING: the message goes as one BDAT LAST chunk in the same write as
    its envelope; --no-chunking keeps DATA, its 354 and the final dot."""
    mark = marker("debug")
    extra = () if chunking else ("--no-chunking",)
    result = ok(
        smail(stack, tmp_path, "-d", *extra, "-f" + ALICE, "-s" + mark, "-Tx", BOB, exe=True)
    )
    lines = result.out.splitlines()
    data = ("Send: BDAT ",) if chunking else ("Send: DATA", "Recv: 354 ")
    expected = [
        "Recv: 220 ",
        "Send: EHLO ",
        "Send: STARTTLS",
        "TLS: TLS",
        "Send: AUTH PLAIN ****",
        "Recv: 235 ",
        f"Send: MAIL FROM:<{ALICE}>",
        f"Send: RCPT TO:<{BOB}>",
        *data,
        f"Send: Subject: {mark}",
        "[message body: ",
        *(() if chunking else ("Send: .",)),
        "Recv: 250 2.0.0 Ok",
        "Send: QUIT",
    ]
    at = 0
    for line in lines:  # each expected line, in this order
        if at < len(expected) and line.startswith(expected[at]):
            at += 1
    assert at == len(expected), (expected[at], result.out)
    assert ("Send: DATA" in lines) is not chunking
    assert any(re.fullmatch(r"Send: BDAT \d+ LAST", ln) for ln in lines) is chunking
    assert all(re.match(r"(Send|Recv): |TLS: |X509 |\[message body", ln) for ln in lines), lines
    assert "alice-pw" not in result.out
    blob = base64.b64encode(f"\0{ALICE}\0alice-pw".encode()).decode()
    assert blob not in result.out and blob[:-4] not in result.out
    fetch_one(stack, BOB, mark)


def info_rows(out: str) -> dict[str, str]:
    rows = {}
    for line in out.splitlines():
        if line.startswith("#") and " : " in line:
            key, _, value = line[1:].partition(" : ")
            rows[key.strip()] = value.strip()
    return rows


def test_info_block(stack: Stack, tmp_path: Path) -> None:
    mark = marker("info")
    (tmp_path / "a.txt").write_text("a")
    result = ok(
        smail(stack, tmp_path, "-i", f"-fAlice <{ALICE}>", f"-s件名 {mark}", "-T本文", "-aa.txt",
              f"{BOB},CC:{ALICE}")
    )  # fmt: skip
    rows = info_rows(result.out)
    assert rows["Settings file"] == f"[{tmp_path / 'smail.ini'}]"
    assert rows["Mail server"] == f"{stack.host}:{stack.submission}"
    assert rows["STARTTLS"] == "used" and rows["SMTPS (SMTP over SSL)"] == "not used"
    assert rows["SMTP account"] == ALICE
    assert rows["POP before SMTP"] == "not used"
    assert rows["TLS verification"] == f"on (CA file [{stack.cafile}])"
    assert rows["From"] == ALICE and rows["To"] == BOB and rows["Cc"] == ALICE
    assert rows["Bcc"] == "none" and rows["Attachments"] == "a.txt"
    assert rows["Subject"] == f"件名 {mark}" and rows["Charset"] == "ISO-2022-JP"
    assert "alice-pw" not in result.out
    fetch_one(stack, BOB, mark)
    fetch_one(stack, ALICE, mark)


def test_info_block_in_japanese(stack: Stack, tmp_path: Path) -> None:
    mark = marker("info-ja")
    result = ok(smail(stack, tmp_path, "-i", "--lang", "ja", "-f" + ALICE, "-s" + mark, BOB))
    assert "#メールサーバ" in result.out and "#サブジェクト内容" in result.out
    env_ja = ok(
        smail(stack, tmp_path, "-i", "-f" + ALICE, "-s" + mark, BOB, env={"LANG": "ja_JP.UTF-8"})
    )
    assert "#メールサーバ" in env_ja.out
    fetch_marked(stack, BOB, mark, 2)


# -- recipients -------------------------------------------------------------------------------


def test_bcc_is_delivered_but_not_in_headers(stack: Stack, tmp_path: Path) -> None:
    mark = marker("bcc")
    ok(smail(stack, tmp_path, "-f" + ALICE, "-s" + mark, "-Tx", f"{ALICE},BCC:{BOB}"))
    stack_added = {"return-path", "delivered-to", "received"}
    for user in (ALICE, BOB):
        msg = fetch_one(stack, user, mark)
        assert addrs(msg, "To") == [ALICE]
        assert msg["Cc"] is None and msg["Bcc"] is None
        ours = [f"{k}: {v}" for k, v in msg.raw_items() if k.lower() not in stack_added]
        assert not any(BOB in h or h.lower().startswith("bcc") for h in ours), ours


def test_cc_prefix(stack: Stack, tmp_path: Path) -> None:
    mark = marker("cc")
    ok(smail(stack, tmp_path, "-f" + ALICE, "-s" + mark, "-Tx", f"{ALICE},CC:{BOB}"))
    for user in (ALICE, BOB):
        msg = fetch_one(stack, user, mark)
        assert addrs(msg, "To") == [ALICE] and addrs(msg, "Cc") == [BOB]


def test_several_recipient_arguments_and_long_options(stack: Stack, tmp_path: Path) -> None:
    mark = marker("long")
    ok(smail(stack, tmp_path, "-f" + ALICE, "-s" + mark, "--cc", BOB, "--bcc=" + ALICE,
             "--to", "Bob B <bob@example.test>"))  # fmt: skip
    bob = fetch_one(stack, BOB, mark)
    alice = fetch_one(stack, ALICE, mark)
    for msg in (bob, alice):
        assert addrs(msg, "To") == [BOB] and addrs(msg, "Cc") == [BOB] and msg["Bcc"] is None


# -- connection and authentication ------------------------------------------------------------


@pytest.mark.parametrize("tls", ["starttls", "smtps"])
def test_tls_modes(stack: Stack, tmp_path: Path, tls: str) -> None:
    mark = marker(tls)
    result = ok(smail(stack, tmp_path, "-d", "-f" + ALICE, "-s" + mark, "-Tx", BOB, tls=tls))
    assert ("Send: STARTTLS" in result.out) == (tls == "starttls")
    assert "X509 subject: /CN=mail.example.test" in result.out
    fetch_one(stack, BOB, mark)


def test_tls_and_cafile_from_ini(stack: Stack, tmp_path: Path) -> None:
    """tls and cafile from the ini (no --tls, no --cafile on the command line)."""
    mark = marker("ini-tls")
    write_ini(tmp_path, auth_ini(extra=f"tls = smtps\ncafile = {stack.cafile}\n"))
    argv = ["-h" + stack.host, "--port", str(stack.submissions), "--config", "smail.ini",
            "-f" + ALICE, "-s" + mark, BOB]  # fmt: skip
    ok(run_main(argv, tmp_path))
    fetch_one(stack, BOB, mark)


@pytest.mark.parametrize("mechanism", ["plain", "login", "cram-md5", "PLAIN", "auto"])
def test_auth_mechanisms(stack: Stack, tmp_path: Path, mechanism: str) -> None:
    mark = marker(mechanism)
    result = ok(smail(stack, tmp_path, "-d", "--auth", mechanism, "-f" + ALICE, "-s" + mark, BOB))
    wire = "PLAIN" if mechanism == "auto" else mechanism.upper()
    assert re.search(rf"^Send: AUTH {wire}( \*\*\*\*)?$", result.out, re.M), result.out
    assert "Recv: 235 " in result.out and "alice-pw" not in result.out
    fetch_one(stack, BOB, mark)


def test_auth_over_smtps_with_login(stack: Stack, tmp_path: Path) -> None:
    msg = send_one(stack, tmp_path, "--auth", "login", "-Tx", tls="smtps")
    assert text_of(msg).rstrip("\n") == "x"


def test_user_option_and_sender_from_user(stack: Stack, tmp_path: Path) -> None:
    """--user gives the account; with no -f and no from=, the sender is the account."""
    mark = marker("user")
    ini = f"[smail]\npassword_command = {printing('bob-pw')}\n"
    ok(smail(stack, tmp_path, "--user", BOB, "-s" + mark, "-Tx", ALICE, ini=ini))
    msg = fetch_one(stack, ALICE, mark)
    assert addrs(msg, "From") == [BOB] and msg["Return-Path"] == f"<{BOB}>"


def test_password_in_private_ini(stack: Stack, tmp_path: Path) -> None:
    ini = f"[smail]\nuser = {ALICE}\npassword = alice-pw\n"
    msg = send_one(stack, tmp_path, "-Tx", ini=ini)
    assert addrs(msg, "From") == [ALICE]


def test_password_from_keyring(
    stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """password_keyring = yes, with keyring's in-memory test backend set for this process."""
    import keyring
    from keyring.backend import KeyringBackend

    class Memory(KeyringBackend):
        store: dict[tuple[str, str], str] = {}

        def get_password(self, service: str, username: str) -> str | None:
            return self.store.get((service, username))

        def set_password(self, service: str, username: str, password: str) -> None:
            self.store[(service, username)] = password

        def delete_password(self, service: str, username: str) -> None:
            self.store.pop((service, username), None)

    previous = keyring.get_keyring()
    keyring.set_keyring(Memory())  # type: ignore[no-untyped-call]
    try:
        keyring.set_password("pysmail", f"{ALICE}@{stack.host}", "alice-pw")
        ini = f"[smail]\nuser = {ALICE}\npassword_keyring = yes\n"
        msg = send_one(stack, tmp_path, "-Tx", ini=ini)
        assert addrs(msg, "From") == [ALICE]
    finally:
        keyring.set_keyring(previous)


def test_insecure_sends_with_a_warning(stack: Stack, tmp_path: Path) -> None:
    mark = marker("insecure")
    write_ini(tmp_path, auth_ini())
    argv = ["-h" + stack.mismatch_host, "--port", str(stack.submission), "--tls", "starttls",
            "--insecure", "--config", "smail.ini", "-f" + ALICE, "-s" + mark, BOB]  # fmt: skip
    result = run_main(argv, tmp_path)
    assert result.code == 0, result.out
    assert result.out.startswith("WARNING: TLS certificate verification is OFF")
    fetch_one(stack, BOB, mark)


def test_helo_and_timeout(stack: Stack, tmp_path: Path) -> None:
    msg = send_one(stack, tmp_path, "--helo", "client.example.test", "--timeout", "7.5", "-Tx")
    received = msg.get_all("Received", [])
    assert any(str(r).startswith("from client.example.test ") for r in received), received


# -- settings files ---------------------------------------------------------------------------


def _server_ini(stack: Stack, cafile: str) -> str:
    return auth_ini(
        extra=f"server = {stack.host}\nport = {stack.submission}\ntls = starttls\n"
        f"cafile = {cafile}\nfrom = Alice From Ini <{ALICE}>\n"
    )


@pytest.mark.parametrize("how", ["option", "env", "cwd", "user-folder"])
def test_settings_file_locations(stack: Stack, tmp_path: Path, how: str) -> None:
    """The server, port, TLS, CA (relative to the ini's folder) and sender all from the ini.

    The user-folder case runs the real executable: the folder comes from HOME (and APPDATA /
    XDG_CONFIG_HOME), which only a child process can be given.
    """
    from pysmail.fs.userdirs import user_config_dir

    mark = marker("ini-" + how)
    env = hermetic_env(tmp_path)
    folder = {
        "option": tmp_path / "conf",
        "env": tmp_path / "env",
        "cwd": tmp_path,
        "user-folder": Path(user_config_dir(env, home=tmp_path)),
    }[how]
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(stack.cafile, folder / "ca.pem")
    name = "smail.ini" if how in ("cwd", "user-folder") else "my settings.ini"
    write_ini(folder, _server_ini(stack, "ca.pem"), name=name)
    argv: list[str] = ["-s" + mark, "-Tx", BOB, "-i"]
    if how == "option":
        argv = ["--config", f"conf/{name}", *argv]
    elif how == "env":
        env["SMAIL_CONFIG"] = str(folder / name)
    result = ok((run_exe if how == "user-folder" else run_main)(argv, tmp_path, env))
    assert info_rows(result.out)["Settings file"] == f"[{folder / name}]"
    msg = fetch_one(stack, BOB, mark)
    assert msg["From"].addresses[0].display_name == "Alice From Ini"


def test_command_line_wins_over_ini(stack: Stack, tmp_path: Path) -> None:
    mark = marker("wins")
    shutil.copy(stack.cafile, tmp_path / "ca.pem")
    ini = _server_ini(stack, "ca.pem").replace(f"port = {stack.submission}", "port = 1")
    write_ini(tmp_path, ini)
    argv = ["--config", "smail.ini", "--port", str(stack.submission), "-f" + BOB, "-s" + mark, BOB]
    assert run_main(argv, tmp_path).code == 0
    assert addrs(fetch_one(stack, BOB, mark), "From") == [BOB]


# -- message shape ----------------------------------------------------------------------------


def test_reply_to_and_extra_headers(stack: Stack, tmp_path: Path) -> None:
    msg = send_one(
        stack, tmp_path, "--reply-to", "Help Desk <bob@example.test>", "--reply-to=" + ALICE,
        "--header", "X-Ticket: 12345", "--header=X-Note: 日本語の値", "-Tx",
    )  # fmt: skip
    assert addrs(msg, "Reply-To") == [BOB, ALICE]
    assert msg["Reply-To"].addresses[0].display_name == "Help Desk"
    assert msg["X-Ticket"] == "12345" and msg["X-Note"] == "日本語の値"


def test_html_part(stack: Stack, tmp_path: Path) -> None:
    html = "<html><body><p>こんにちは <b>Bob</b></p></body></html>\n"
    (tmp_path / "page.html").write_text(html, encoding="utf-8")
    msg = send_one(stack, tmp_path, "-Tplain version", "--html", "page.html")
    assert msg.get_content_type() == "multipart/alternative"
    assert content_of(msg, "html") == html
    assert text_of(msg).rstrip("\n") == "plain version"


def test_dry_run_prints_and_sends_nothing(stack: Stack, tmp_path: Path) -> None:
    dry = marker("dry")
    result = ok(smail(stack, tmp_path, "--dry-run", "-f" + ALICE, "-s" + dry, "-T本文", BOB,
                      exe=True))  # fmt: skip
    printed = parse(result.out.encode("utf-8"))
    assert printed["Subject"] == dry and addrs(printed, "To") == [BOB]
    assert text_of(printed).rstrip("\n") == "本文"
    sentinel = marker("after-dry")
    ok(smail(stack, tmp_path, "-f" + ALICE, "-s" + sentinel, BOB))
    fetch_one(stack, BOB, sentinel)
    assert_not_delivered(stack, [BOB], [dry])


def test_dry_run_needs_no_server_or_password(tmp_path: Path) -> None:
    argv = ["-hunreachable.invalid", "--dry-run", "-f" + ALICE, "-sdry", "-m", "-p2", BOB]
    result = run_main(argv, tmp_path)
    assert result.code == 0, result.out
    printed = parse(result.out.encode())
    assert printed["X-Priority"] == "2" and printed["Message-ID"]


# -- POP before SMTP --------------------------------------------------------------------------

POP_VARIANTS: Sequence[tuple[str, str, bool]] = [
    ("stls", "pop3", False),
    ("stls", "pop3", True),
    ("none", "pop3", True),
    ("pop3s", "pop3s", False),
]


@pytest.mark.parametrize(
    ("tls", "port", "apop"),
    POP_VARIANTS,
    ids=[f"{t}-{'apop' if a else 'user'}" for t, _, a in POP_VARIANTS],
)
def test_pop_before_smtp(stack: Stack, tmp_path: Path, tls: str, port: str, apop: bool) -> None:
    mark = marker("pop")
    ini = auth_ini() + (
        f"[pop_before_smtp]\nenabled = yes\ntls = {tls}\nport = {getattr(stack, port)}\n"
        f"apop = {'yes' if apop else 'no'}\nuser = {ALICE}\n"
        f"password_command = {printing('alice-pw')}\nwait_ms = 10\n"
    )
    result = ok(smail(stack, tmp_path, "-d", "-i", "-f" + ALICE, "-s" + mark, BOB, ini=ini))
    lines = result.out.splitlines()
    if apop:
        assert f"Send: APOP {ALICE} ****" in lines
        assert not any(ln.startswith("Send: PASS") for ln in lines)
    else:
        assert f"Send: USER {ALICE}" in lines and "Send: PASS ****" in lines
    assert ("Send: STLS" in lines) == (tls == "stls")
    assert "Recv: +OK Logged in." in lines
    pop_at = lines.index("Recv: +OK Logged in.")
    smtp_at = next(i for i, ln in enumerate(lines) if ln.startswith("Send: EHLO"))
    assert pop_at < smtp_at  # POP first, then SMTP
    assert info_rows(result.out)["APOP"] == ("used" if apop else "not used")
    assert "alice-pw" not in result.out
    fetch_one(stack, BOB, mark)


# -- help and version -------------------------------------------------------------------------


@pytest.mark.parametrize("flag", ["-?", "--help"])
def test_help(tmp_path: Path, flag: str) -> None:
    result = run_exe([flag], tmp_path)
    assert result.code == 0 and result.err == ""
    for option in ("-h", "-f", "-s", "-F", "-T", "-a", "-p", "-S", "-d", "-i", "-m", "--dry-run"):
        assert option in result.out


def test_version(tmp_path: Path) -> None:
    result = run_main(["--version"], tmp_path)
    assert result.code == 0 and result.out.startswith("smail (pysmail) ")

"""The public Python API (pysmail.send, Mailer, Account, Message) against the real stack: Dovecot
submission (relaying to Postfix), mail read back over POP3, connections counted in Dovecot's log;
and the READMEs' "Use from Python" example, run as written.
"""

from __future__ import annotations

import email
import email.policy
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

import pysmail
from faultproxy import Fault, FaultProxy
from stackutil import Stack

pytestmark = pytest.mark.stack

ALICE = "alice@example.test"
BOB = "bob@example.test"
ROOT = Path(__file__).resolve().parents[2]
LOGIN = re.compile(r"submission-login: Info: Login: user=<([^>]+)>")


def _account(stack: Stack, user: str = ALICE, password: str | None = None) -> pysmail.Account:
    return pysmail.Account(
        stack.host,
        stack.submission,
        tls="starttls",
        user=user,
        password=stack.users[user] if password is None else password,
        ca_file=stack.cafile,
    )


def _ini(stack: Stack, folder: Path, extra: str = "") -> Path:
    """smail.ini for Dovecot submission as alice (password in the private file)."""
    path = folder / "smail.ini"
    path.write_text(
        f"[smail]\nserver = {stack.host}\nport = {stack.submission}\ntls = starttls\n"
        f"cafile = {stack.cafile}\nuser = {ALICE}\npassword = {stack.users[ALICE]}\n{extra}",
        encoding="utf-8",
    )
    path.chmod(0o600)
    return path


def _parse(raw: bytes) -> EmailMessage:
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def _log(stack: Stack) -> Path:
    return stack.run_dir / "logs" / "dovecot.log"


def _logins(stack: Stack, since: int, user: str) -> list[str]:
    """The submission logins of `user` Dovecot logged after offset `since`."""
    with _log(stack).open("rb") as stream:
        stream.seek(since)
        text = stream.read().decode("utf-8", "replace")
    return [m.group(0) for m in LOGIN.finditer(text) if m.group(1) == user]


@pytest.fixture
def empty(stack: Stack) -> Iterator[Stack]:
    stack.clear(ALICE)
    stack.clear(BOB)
    yield stack


def test_one_shot_send_from_smail_ini(empty: Stack, tmp_path: Path) -> None:
    stack = empty
    account = pysmail.Account.from_file(_ini(stack, tmp_path))
    message = pysmail.Message(to=f"Bob <{BOB}>", subject="one shot", text="hello from Python")
    receipt = pysmail.send(message, account=account)
    assert receipt.ok and receipt.accepted == (BOB,) and receipt.refused == {}
    assert receipt.reply.startswith("250")
    [got] = [_parse(raw) for raw in stack.fetch(BOB)]
    assert got["Subject"] == "one shot" and got["From"] == ALICE
    assert got["Message-ID"] == receipt.message_id
    assert got.get_content().strip() == "hello from Python"


def test_a_mailer_sends_100_messages_over_one_connection(empty: Stack) -> None:
    stack = empty
    since = _log(stack).stat().st_size
    messages = [
        pysmail.Message(to=ALICE, subject=f"batch {n:03d}", text=f"message {n}") for n in range(100)
    ]
    with pysmail.Mailer(_account(stack, BOB)) as mailer:
        receipts = mailer.send_many(messages[:60])
        receipts += [mailer.send(message) for message in messages[60:]]
    assert all(r.ok and r.reply.startswith("250") for r in receipts)
    got = [_parse(raw) for raw in stack.fetch(ALICE, expect=100, timeout=60)]
    assert sorted(str(m["Subject"]) for m in got) == [f"batch {n:03d}" for n in range(100)]
    assert {m["Message-ID"] for m in got} == {r.message_id for r in receipts}
    deadline = time.monotonic() + 10
    while not _logins(stack, since, BOB) and time.monotonic() < deadline:
        time.sleep(0.1)  # the log process may write a moment later
    assert len(_logins(stack, since, BOB)) == 1, stack.log_tail()


def test_email_message_japanese_subject_and_attachment_name(empty: Stack) -> None:
    stack = empty
    message = EmailMessage()
    message["From"] = f"山田 太郎 <{ALICE}>"
    message["To"] = f"佐藤 花子 <{ALICE}>"
    message["Bcc"] = BOB
    message["Subject"] = "月次報告書の送付について（2026年12月分）"
    message.set_content("お疲れ様です。\n報告書を添付します。\n")
    data = bytes(range(256)) * 40
    message.add_attachment(
        data, maintype="application", subtype="pdf", filename="月次報告書_2026年12月.pdf"
    )
    receipt = pysmail.send(message, account=_account(stack))
    assert receipt.accepted == (ALICE, BOB)
    assert message["Bcc"] == BOB  # the caller's message is left as it was
    for user in (ALICE, BOB):
        [got] = [_parse(raw) for raw in stack.fetch(user)]
        assert got["Subject"] == "月次報告書の送付について（2026年12月分）"
        assert str(got["From"]) == f"山田 太郎 <{ALICE}>"
        assert got["Bcc"] is None  # in the envelope only
        assert got["Message-ID"] == receipt.message_id
        [attached] = list(got.iter_attachments())
        assert attached.get_filename() == "月次報告書_2026年12月.pdf"
        assert attached.get_content() == data
        body = got.get_body(("plain",))
        assert body is not None  # an 8bit part read from CRLF text keeps its CRs
        assert body.get_content().replace("\r\n", "\n") == "お疲れ様です。\n報告書を添付します。\n"


def test_a_refused_recipient_is_a_typed_error(empty: Stack) -> None:
    stack = empty
    bad = pysmail.Message(to="rejected@example.test", subject="refused", text="x")
    with pytest.raises(pysmail.SmtpReplyError) as info:
        pysmail.send(bad, account=_account(stack))
    err = info.value
    assert (err.err_code, err.transient, err.smtp_code) == (11, False, 550)
    assert err.reply is not None and "550 5.1.1" in err.reply and "no such user" in err.reply
    assert "ERR-0011" in str(err)
    # in a batch it is that message's receipt, and the others go
    with pysmail.Mailer(_account(stack)) as mailer:
        receipts = mailer.send_many(
            [pysmail.Message(to=ALICE, subject="before", text="x"), bad]
            + [pysmail.Message(to=ALICE, subject="after", text="x")]
        )
    assert [r.ok for r in receipts] == [True, False, True]
    assert isinstance(receipts[1].error, pysmail.SmtpReplyError)
    assert receipts[1].accepted == ()
    assert "550 5.1.1" in receipts[1].refused["rejected@example.test"]
    subjects = sorted(str(_parse(raw)["Subject"]) for raw in stack.fetch(ALICE, expect=2))
    assert subjects == ["after", "before"]


def test_a_bad_password_is_a_typed_error(empty: Stack) -> None:
    stack = empty
    with pytest.raises(pysmail.AuthError) as info:
        pysmail.send(
            pysmail.Message(to=ALICE, subject="never", text="x"),
            account=_account(stack, password="not-the-password"),
        )
    err = info.value
    assert (err.err_code, err.transient) == (25, False)
    assert err.reply is not None and err.reply.startswith("535")
    assert "not-the-password" not in f"{err} {err!r} {err.reply}"
    assert stack.fetch(ALICE, expect=0) == []


def test_a_dropped_connection_is_opened_again(empty: Stack, tmp_path: Path) -> None:
    """The server's connection goes away between two messages (after the first one's reply):
    the Mailer finds out with the second and sends it over a new connection, as --batch does.
    The fault proxy speaks in clear to us (its upstream Dovecot treats it as secured)."""
    stack = empty
    ini = tmp_path / "smail.ini"
    with FaultProxy((stack.host, stack.submission)) as proxy:
        ini.write_text(
            f"[smail]\nserver = {proxy.host}\nport = {proxy.port}\ntls = none\n"
            f"user = {ALICE}\npassword = {stack.users[ALICE]}\nallow_plaintext_auth = yes\n",
            encoding="utf-8",
        )
        ini.chmod(0o600)
        proxy.script(Fault("after_reply", "drop"), None)
        with pysmail.Mailer(pysmail.Account.from_file(ini)) as mailer:
            first = mailer.send(pysmail.Message(to=ALICE, subject="first", text="1"))
            second = mailer.send(pysmail.Message(to=ALICE, subject="second", text="2"))
        assert proxy.connections == 2
    assert first.ok and second.ok
    got = sorted(str(_parse(raw)["Subject"]) for raw in stack.fetch(ALICE, expect=2))
    assert got == ["first", "second"]
    assert stack.fetch(ALICE, expect=0) == []  # each exactly once


def test_the_providers_pacing_of_smail_ini_holds(empty: Stack, tmp_path: Path) -> None:
    """smail.ini's pacing limits hold for a Mailer as for --batch (here: one recipient a
    message); a message over the limit is that message's error, the others go."""
    stack = empty
    ini = _ini(stack, tmp_path, "pacing_recipients_per_message = 1\n")
    with pysmail.Mailer(pysmail.Account.from_file(ini)) as mailer:
        receipts = mailer.send_many(
            [
                pysmail.Message(to=[ALICE, BOB], subject="two", text="x"),
                pysmail.Message(to=BOB, subject="one", text="x"),
            ]
        )
    assert [r.ok for r in receipts] == [False, True]
    assert receipts[0].error is not None and receipts[0].error.err_code == 11
    assert [str(_parse(raw)["Subject"]) for raw in stack.fetch(BOB)] == ["one"]
    assert stack.fetch(ALICE, expect=0) == []


def test_a_compat32_message_as_email_mime_makes_it(empty: Stack) -> None:
    """email.mime's messages (Django's are such) keep their own policy, written with CRLF."""
    from email.header import Header
    from email.mime.application import MIMEApplication
    from email.mime.multipart import MIMEMultipart
    from email.mime.text import MIMEText

    stack = empty
    message = MIMEMultipart()
    message["Subject"] = Header("見積書の件", "utf-8")
    message["From"] = ALICE
    message["To"] = ALICE
    message["Bcc"] = BOB
    message.attach(MIMEText("よろしくお願いします。", "plain", "utf-8"))
    part = MIMEApplication(b"%PDF-1.4\n", "pdf")
    part.add_header("Content-Disposition", "attachment", filename=("utf-8", "", "見積書.pdf"))
    message.attach(part)
    receipt = pysmail.send(message, account=_account(stack))
    assert receipt.accepted == (ALICE, BOB)
    for user in (ALICE, BOB):
        [got] = [_parse(raw) for raw in stack.fetch(user)]
        assert got["Subject"] == "見積書の件" and got["Bcc"] is None
        assert [p.get_filename() for p in got.iter_attachments()] == ["見積書.pdf"]


def test_two_accounts_of_one_file(empty: Stack, tmp_path: Path) -> None:
    """[smail] logs in as alice, [account bob] (inheriting the server) as bob: each account's
    messages go with its own login (Dovecot's log) and its own sender."""
    stack = empty
    ini = _ini(stack, tmp_path, f"\n[account bob]\nuser = {BOB}\npassword = {stack.users[BOB]}\n")
    since = _log(stack).stat().st_size
    mine = pysmail.send(
        pysmail.Message(to=ALICE, subject="as alice", text="x"),
        account=pysmail.Account.from_file(ini),
    )
    shared = pysmail.Account.from_file(ini, name="bob")
    assert (shared.host, shared.user, shared.sender) == (stack.host, BOB, BOB)
    theirs = pysmail.send(pysmail.Message(to=ALICE, subject="as bob", text="x"), account=shared)
    got = {str(m["Subject"]): m for m in map(_parse, stack.fetch(ALICE, expect=2))}
    assert got["as alice"]["From"] == ALICE and got["as alice"]["Message-ID"] == mine.message_id
    assert got["as bob"]["From"] == BOB and got["as bob"]["Message-ID"] == theirs.message_id
    deadline = time.monotonic() + 10
    while not _logins(stack, since, BOB) and time.monotonic() < deadline:
        time.sleep(0.1)  # the log process may write a moment later
    assert len(_logins(stack, since, ALICE)) == len(_logins(stack, since, BOB)) == 1


# -- the READMEs' "Use from Python", run as written (only example.com -> example.test, the
# stack's own users) --------------------------------------------------------------------------

SECTIONS = {"README.md": "## Use from Python", "README.ja.md": "## Python から使う"}


def _example(readme: str) -> str:
    text = (ROOT / readme).read_text(encoding="utf-8")
    section = text.split(SECTIONS[readme] + "\n", 1)[1].split("\n## ", 1)[0]
    found = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert found, f"{readme}: no python block in {SECTIONS[readme]!r}"
    return found.group(1)


def test_both_readmes_show_the_same_code() -> None:
    def code(readme: str) -> list[str]:  # comments and message texts are translated
        lines = [ln.split("#")[0].rstrip() for ln in _example(readme).splitlines()]
        return [re.sub(r'"[^"]*"', '""', ln) for ln in lines]

    assert code("README.md") == code("README.ja.md")


@pytest.mark.parametrize("readme", sorted(SECTIONS))
def test_the_example_sends_through_the_stack(stack: Stack, tmp_path: Path, readme: str) -> None:
    for user in (ALICE, BOB):
        stack.clear(user)
    ini = _ini(stack, tmp_path)
    (tmp_path / "report.pdf").write_bytes(b"%PDF-1.4\n% a report\n")
    code = _example(readme).replace("example.com", "example.test")
    env = {"SMAIL_CONFIG": str(ini), "HOME": str(tmp_path), "PATH": ""}
    if sys.platform == "win32":  # pragma: no cover - a process needs these there
        import os

        env.update({k: v for k, v in os.environ.items() if k.upper() in ("SYSTEMROOT", "TEMP")})
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "ERR-" not in done.stdout, done.stdout
    got = [_parse(raw) for raw in stack.fetch(BOB, expect=2)]
    report = next(m for m in got if m["Subject"] == "月次報告")
    assert [p.get_filename() for p in report.iter_attachments()] == ["report.pdf"]
    assert len(stack.fetch(ALICE, expect=1)) == 1

"""pysmail.django.EmailBackend in a real Django project (Django from PyPI, the `test` extra):
send_mail, an EmailMessage with an attachment and a Bcc, and send_mass_mail over one connection,
through Dovecot submission, read back over POP3; once with a password (Django's EMAIL_* settings),
once with OAuth (PYSMAIL_TOKEN_FILE, the stack's oidc-provider), once from smail.ini
(PYSMAIL_CONFIG). Each project runs in a child process: django.setup() with its own settings.
"""

from __future__ import annotations

import email
import email.policy
import json
import re
import subprocess
import sys
import time
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path

import pytest

from cli.util import hermetic_env, marker, write_ini
from stackutil import Stack

pytestmark = pytest.mark.stack

ALICE = "alice@example.test"
BOB = "bob@example.test"
CAROL = "carol@example.test"
LOGIN = re.compile(r"submission-login: Info: Login: user=<([^>]+)>")
ATTACHMENT = "月次報告書_2026年12月.pdf"

# The project's code: three sends, their counts printed. DATA is the attachment's bytes.
APP = """
import json, os, sys
os.environ["DJANGO_SETTINGS_MODULE"] = "site_settings"
sys.path.insert(0, os.getcwd())
import django
django.setup()
from django.core import mail

mark = sys.argv[1]
DATA = bytes(range(256)) * 40
text = "本文です。\\nよろしくお願いします。\\n"
html = "<p>本文です。</p>"
counts = [mail.send_mail(f"{mark} 件名の確認", text, None, [BOB], html_message=html)]
message = mail.EmailMessage(
    f"{mark} attachment", "報告書を添付します。", to=[f"佐藤 花子 <{BOB}>"], bcc=[CAROL],
    headers={"To": "undisclosed-recipients:;"},
)
message.attach(ATTACHMENT, DATA, "application/pdf")
counts.append(message.send())
counts.append(mail.send_mass_mail(
    [(f"{mark} mass {n}", f"body {n}", None, [BOB]) for n in range(5)]
))
counts.append(mail.send_mail(f"{mark} nobody", "x", None, []))  # no recipient: 0, as Django
print(json.dumps(counts))
"""

SETTINGS = """
SECRET_KEY = "pysmail-test"
INSTALLED_APPS = []
USE_TZ = True
EMAIL_BACKEND = "pysmail.django.EmailBackend"
DEFAULT_FROM_EMAIL = "山田 太郎 <{alice}>"
"""


def _email_settings(stack: Stack, folder: Path) -> str:
    """Django's own settings: STARTTLS to Dovecot submission as alice with her password."""
    return (
        f"EMAIL_HOST = {stack.host!r}\nEMAIL_PORT = {stack.submission}\nEMAIL_USE_TLS = True\n"
        f"EMAIL_HOST_USER = {ALICE!r}\nEMAIL_HOST_PASSWORD = {stack.users[ALICE]!r}\n"
        f"PYSMAIL_CA_FILE = {stack.cafile!r}\nEMAIL_TIMEOUT = 30\n"
    )


def _oauth_settings(stack: Stack, folder: Path) -> str:
    """EMAIL_* without a password: the token file's access token (user from the file)."""
    path, _ = stack.write_token_file(folder, ALICE)
    return (
        f"EMAIL_HOST = {stack.host!r}\nEMAIL_PORT = {stack.submission}\nEMAIL_USE_TLS = True\n"
        f"PYSMAIL_TOKEN_FILE = {str(path)!r}\nPYSMAIL_CA_FILE = {stack.cafile!r}\n"
    )


def _smail_ini_settings(stack: Stack, folder: Path) -> str:
    """PYSMAIL_CONFIG and PYSMAIL_ACCOUNT: the [account oauth] of smail.ini (over [smail], which
    logs in with a wrong password) and its token file smail_refreshtoken.oauth.ini; EMAIL_*
    ignored."""
    path, _ = stack.write_token_file(folder, ALICE)
    path.rename(folder / "smail_refreshtoken.oauth.ini")
    ini = write_ini(
        folder,
        f"[smail]\nserver = {stack.host}\nport = {stack.submission}\ntls = starttls\n"
        f"cafile = {stack.cafile}\nuser = {ALICE}\npassword = not-the-password\n\n"
        "[account oauth]\nauth = OAUTH-XOAUTH2\n",
    )
    return (
        f"PYSMAIL_CONFIG = {str(ini)!r}\nPYSMAIL_ACCOUNT = 'oauth'\nEMAIL_HOST = 'mail.invalid'\n"
    )


def _logins(stack: Stack, since: int, user: str) -> int:
    log = stack.run_dir / "logs" / "dovecot.log"
    with log.open("rb") as stream:
        stream.seek(since)
        text = stream.read().decode("utf-8", "replace")
    return sum(1 for m in LOGIN.finditer(text) if m.group(1) == user)


def _run(app: str, folder: Path, *args: str) -> tuple[str, str]:
    """The project's code in a child process (its own settings): its stdout and stderr."""
    done = subprocess.run(
        [sys.executable, "-c", app, *args],
        cwd=folder,
        env=hermetic_env(folder),
        capture_output=True,
        timeout=120,
        check=False,
    )
    out, err = done.stdout.decode(), done.stderr.decode()
    assert done.returncode == 0, err
    return out, err


def _parse(raw: bytes) -> EmailMessage:
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


@pytest.mark.parametrize(
    "configure",
    [_email_settings, _oauth_settings, _smail_ini_settings],
    ids=["password", "oauth", "smail-ini-account"],
)
def test_a_django_project_sends_through_pysmail(
    stack: Stack, tmp_path: Path, configure: Callable[[Stack, Path], str]
) -> None:
    for user in (BOB, CAROL):
        stack.clear(user)
    site = SETTINGS.format(alice=ALICE) + configure(stack, tmp_path)
    (tmp_path / "site_settings.py").write_text(site, encoding="utf-8")
    app = f"BOB, CAROL, ATTACHMENT = {BOB!r}, {CAROL!r}, {ATTACHMENT!r}\n{APP}"
    mark = marker("django")
    log = stack.run_dir / "logs" / "dovecot.log"
    since = log.stat().st_size
    out, err = _run(app, tmp_path, mark)
    assert json.loads(out) == [1, 1, 5, 0]
    if configure is not _email_settings:  # OAuth: one refresh, the token cached after it
        assert stack.token_request_count(grant_type="refresh_token") == 1
    assert stack.users[ALICE] not in out + err

    got = {str(m["Subject"]): m for m in map(_parse, stack.fetch(BOB, expect=7, timeout=60))}
    assert sorted(got) == sorted(
        [f"{mark} 件名の確認", f"{mark} attachment", *(f"{mark} mass {n}" for n in range(5))]
    )
    plain = got[f"{mark} 件名の確認"]
    assert str(plain["From"]) == f"山田 太郎 <{ALICE}>"
    body = plain.get_body(("plain",))
    assert body is not None and plain.get_content_type() == "multipart/alternative"
    assert body.get_content().replace("\r\n", "\n") == "本文です。\nよろしくお願いします。\n"
    html = plain.get_body(("html",))
    assert html is not None and "<p>本文です。</p>" in html.get_content()
    # the attachment, its Japanese name intact; the To header Django was given, the envelope
    # its `to` and `bcc` (Carol has it without any header naming her)
    for attached_to in (got[f"{mark} attachment"], _parse(stack.fetch(CAROL)[0])):
        assert attached_to["Subject"] == f"{mark} attachment"
        assert attached_to["To"] == "undisclosed-recipients:;"
        assert attached_to["Bcc"] is None and CAROL not in attached_to.as_string()
        [part] = list(attached_to.iter_attachments())
        assert part.get_filename() == ATTACHMENT
        assert part.get_content() == bytes(range(256)) * 40

    # send_mail, message.send(), send_mass_mail: three connections, one login each (the
    # five mass messages shared one); the last send_mail had nobody to send to
    deadline = time.monotonic() + 10
    while _logins(stack, since, ALICE) < 3 and time.monotonic() < deadline:
        time.sleep(0.1)  # the log process may write a moment later
    assert _logins(stack, since, ALICE) == 3, stack.log_tail()


def test_a_refused_login_fails_silently_or_raises_the_typed_error(
    stack: Stack, tmp_path: Path
) -> None:
    """fail_silently=True: 0 sent, nothing raised; else pysmail.AuthError (ERR-0025, the 535)."""
    site = SETTINGS.format(alice=ALICE) + _email_settings(stack, tmp_path)
    site = site.replace(repr(stack.users[ALICE]), repr("not-the-password"))
    (tmp_path / "site_settings.py").write_text(site, encoding="utf-8")
    app = APP.split("mark = sys.argv[1]")[0] + (
        "import pysmail\n"
        f"print(mail.send_mail('never', 'x', None, [{BOB!r}], fail_silently=True))\n"
        "try:\n"
        f"    mail.send_mail('never', 'x', None, [{BOB!r}])\n"
        "except pysmail.AuthError as err:\n"
        "    print(err.err_code, err.reply.split()[0])\n"
    )
    out, err = _run(app, tmp_path)
    assert out.split() == ["0", "25", "535"]
    assert "not-the-password" not in out + err

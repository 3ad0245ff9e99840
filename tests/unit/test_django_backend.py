"""pysmail.django.EmailBackend's choice of account (docs/api.md "Django": which settings win),
without a server: each case in a child process with its own Django settings."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cli.util import hermetic_env, write_ini

CASES = """
import json, sys
import django
from django.conf import settings

settings.configure(**json.loads(sys.argv[1]))
django.setup()
import pysmail
from pysmail.django import EmailBackend

def shown(**kwargs):
    try:
        a = EmailBackend(**kwargs).account
    except Exception as exc:
        return [type(exc).__name__, str(exc)]
    return [a.host, a.port, a.tls, a.user, a.auth, a.token_file and a.token_file.name]

given = {"host": "given.example.test", "port": 2525}
print(json.dumps({
    "settings": shown(),
    "host=": shown(**given),
    "account=": shown(account=pysmail.Account("acct.example.test", 465, user="a@example.test")),
}))
"""

EMAIL = {
    "EMAIL_HOST": "django.example.test",
    "EMAIL_PORT": 587,
    "EMAIL_HOST_USER": "u@example.test",
    "EMAIL_HOST_PASSWORD": "pw-django",
}


def _cases(tmp_path: Path, **settings: object) -> dict[str, list[object]]:
    done = subprocess.run(
        [sys.executable, "-c", CASES, json.dumps(settings)],
        cwd=tmp_path,
        env=hermetic_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "pw-" not in done.stdout + done.stderr
    result: dict[str, list[object]] = json.loads(done.stdout)
    return result


ACCOUNT = ["acct.example.test", 465, "smtps", "a@example.test", "auto", None]


def test_django_email_settings(tmp_path: Path) -> None:
    got = _cases(tmp_path, **EMAIL)
    assert got == {
        "settings": ["django.example.test", 587, "starttls", "u@example.test", "auto", None],
        "host=": ["given.example.test", 2525, "none", "u@example.test", "auto", None],
        "account=": ACCOUNT,
    }
    ssl = _cases(tmp_path, **{**EMAIL, "EMAIL_USE_SSL": True, "EMAIL_PORT": 2465})
    assert ssl["settings"][1:3] == [2465, "smtps"]
    tls = _cases(tmp_path, **{**EMAIL, "EMAIL_USE_TLS": True, "EMAIL_PORT": 25})
    assert tls["settings"][1:3] == [25, "starttls"]
    both = _cases(tmp_path, **EMAIL, EMAIL_USE_TLS=True, EMAIL_USE_SSL=True)["settings"]
    assert both[0] == "ValueError" and "mutually exclusive" in str(both[1])


def test_a_token_file_logs_in_with_oauth(tmp_path: Path) -> None:
    token = str(tmp_path / "smail_refreshtoken.ini")
    got = _cases(tmp_path, **EMAIL, PYSMAIL_TOKEN_FILE=token)["settings"]
    assert got == [
        "django.example.test", 587, "starttls", "u@example.test", "oauth-xoauth2",
        "smail_refreshtoken.ini",
    ]  # fmt: skip


def test_smail_ini_over_the_email_settings(tmp_path: Path) -> None:
    ini = write_ini(
        tmp_path,
        "[smail]\nserver = ini.example.test\nport = 465\nuser = i@example.test\n"
        "password = pw-ini\n",
    )
    got = _cases(tmp_path, **EMAIL, PYSMAIL_CONFIG=str(ini))
    assert got["settings"] == ["ini.example.test", 465, "smtps", "i@example.test", "auto", None]
    assert got["host="][:2] == ["given.example.test", 2525]  # the argument: EMAIL_* again
    assert got["account="] == ACCOUNT


@pytest.mark.parametrize("name", ["EMAIL_SSL_CERTFILE", "EMAIL_SSL_KEYFILE"])
def test_a_client_certificate_is_refused(tmp_path: Path, name: str) -> None:
    got = _cases(tmp_path, **EMAIL, **{name: "client.pem"})["settings"]
    assert got[0] == "ImproperlyConfigured" and name in str(got[1])

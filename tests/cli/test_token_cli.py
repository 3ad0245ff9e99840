"""`smail-token` status, check, revoke/logout, access-token and app-only against the real stack
(oidc-provider + Dovecot), on healthy, expiring (mailcli-short) and revoked tokens. Every output
is scanned for the tokens and the client secret.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterable
from pathlib import Path

import pytest

from cli.util import (
    ALICE,
    BOB,
    Result,
    assert_not_delivered,
    fetch_one,
    forbidden,
    later_by,
    marker,
    run_main,
    run_token,
    write_ini,
)
from pysmail.oauth.tokenfile import read_token_file
from stackutil import Stack

pytestmark = pytest.mark.stack


token = run_token


def _file(stack: Stack, folder: Path, client: str = "mailcli") -> tuple[Path, list[str]]:
    """smail_refreshtoken.ini as `smail-token login --provider generic --issuer` writes it."""
    tokens = stack.issue_tokens(ALICE, client_id=client)
    secret = stack.oidc_clients[client] or ""
    keys = {
        "UserID": ALICE, "ClientID": client, "ClientSecret": secret,
        "RefreshToken": tokens["refresh_token"], "TokenURI": stack.oidc_token_endpoint,
        "OuthURI": f"{stack.oidc_issuer}/auth", "OAUTH2_TIME_OUT": "10", "Provider": "generic",
        "Issuer": stack.oidc_issuer, "Grant": "authorization_code",
        "Issued": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }  # fmt: skip
    path = folder / "smail_refreshtoken.ini"
    path.write_bytes(("[OAUTH2]\r\n" + "".join(f"{k}={v}\r\n" for k, v in keys.items())).encode())
    path.chmod(0o600)
    return path, [secret, tokens["refresh_token"], tokens["access_token"]]


def _smail_ini(stack: Stack, folder: Path) -> None:
    write_ini(
        folder,
        f"[smail]\nserver = {stack.host}\nport = {stack.submission}\ntls = starttls\n"
        f"cafile = {stack.cafile}\nauth = OAUTH-XOAUTH2\nfrom = {ALICE}\n",
    )


def _now_secrets(path: Path) -> list[str]:
    found: list[str] = []
    if path.exists():
        doc = read_token_file(path)
        found += [doc.refresh_token, doc.client_secret or ""]
    cache = path.with_name(path.name + ".cache")
    if cache.exists():
        found.append(json.loads(cache.read_text()).get("access_token", ""))
    return [s for s in found if s]


def _clean(runs: Iterable[Result], secrets: Iterable[str]) -> None:
    texts = [r.out + r.err for r in runs]
    for secret in set(secrets):
        for form in forbidden(secret, ALICE):
            for text in texts:
                assert form not in text, f"secret leaked ({form[:5]}...)"


def test_status_and_check_healthy(stack: Stack, tmp_path: Path) -> None:
    path, secrets = _file(stack, tmp_path)
    _smail_ini(stack, tmp_path)
    status = token(["status"], tmp_path)
    assert status.code == 0, status.err
    assert f"user:          {ALICE}" in status.out
    assert "provider:      generic" in status.out
    assert "the provider says it is active" in status.out
    assert "none cached" in status.out
    check = token(["check", "-d"], tmp_path)
    assert check.code == 0, check.out + check.err
    assert "access token: OK (valid until " in check.out
    assert f"the token file names {ALICE}" in check.out
    assert "accepted AUTH" in check.out and "no message was sent" in check.out
    assert stack.fetch(ALICE, expect=0) == []  # nothing was sent
    after = token(["status"], tmp_path)
    assert "valid until" in after.out and "min left" in after.out
    _clean([status, check, after], secrets + _now_secrets(path))


def test_status_microsoft_death_date(tmp_path: Path) -> None:
    """Provider=1: the refresh token dies 90 days after its last use; near that date, a warning."""
    issued = time.time() - 80 * 86400
    path = tmp_path / "smail_refreshtoken.ini"
    path.write_text(
        "[OAUTH2]\nUserID=u@contoso.example\nClientID=cid\nClientSecret=sssssssss\n"
        "RefreshToken=rrrrrrrrrrrr\nProvider=1\n"
        f"Issued={time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(issued))}\n"
    )
    path.chmod(0o600)  # it holds a refresh token: private, or smail-token refuses it
    status = token(["status", "--offline"], tmp_path)
    assert status.code == 0, status.err
    assert "provider:      microsoft" in status.out
    assert "(80.0 days ago)" in status.out
    assert "WARNING: renew with `smail-token login`" in status.out
    assert "90 days without use" in status.out
    assert "rrrrrrrrrrrr" not in status.out and "sssssssss" not in status.out


def test_expiring_token_check_refreshes(stack: Stack, tmp_path: Path) -> None:
    path, secrets = _file(stack, tmp_path)
    _smail_ini(stack, tmp_path)
    first = token(["check"], tmp_path)
    assert first.code == 0, first.out + first.err
    # An hour on: the cached access token has expired, for the cache and for the provider (set
    # by the test, not raced: a 4-second token could expire between a refresh and its use).
    stack.expire_access_token(later_by(path, 3600))
    status = token(["status"], tmp_path)
    assert "expired at" in status.out, status.out
    stack.reset_token_stats()
    again = token(["check"], tmp_path)
    assert again.code == 0, again.out + again.err
    assert stack.token_request_count(grant_type="refresh_token") == 1
    _clean([first, status, again], secrets + _now_secrets(path))


def test_revoked_token_status_and_check(stack: Stack, tmp_path: Path) -> None:
    path, secrets = _file(stack, tmp_path)
    _smail_ini(stack, tmp_path)
    revoke = token(["revoke"], tmp_path)
    assert revoke.code == 0, revoke.err
    assert "revoked the refresh_token" in revoke.out
    status = token(["status"], tmp_path)
    assert "REVOKED or expired" in status.out
    check = token(["check"], tmp_path)
    assert check.code == 28, check.out + check.err
    assert "ERR-0028" in check.err and "invalid_grant" in check.err
    assert "smail-token login" in check.err
    _clean([revoke, status, check], secrets + _now_secrets(path))


def test_logout_revokes_and_removes(stack: Stack, tmp_path: Path) -> None:
    path, secrets = _file(stack, tmp_path)
    refresh = read_token_file(path).refresh_token
    ran = token(["logout"], tmp_path)
    assert ran.code == 0, ran.err
    assert not path.exists() and f"Removed {path}" in ran.out
    assert stack.refresh(refresh)[0] == 400  # the grant is gone at the provider
    _clean([ran], secrets)


def test_access_token_for_other_programs(stack: Stack, tmp_path: Path) -> None:
    path, _secrets = _file(stack, tmp_path)
    plain = token(["access-token"], tmp_path)
    assert plain.code == 0, plain.err
    value = plain.out.strip()
    assert stack.introspect(value)["active"] is True
    assert stack.introspect(value)["sub"] == ALICE
    blob = token(["access-token", "--sasl", "xoauth2"], tmp_path)
    assert (
        base64.b64decode(blob.out.strip())
        == f"user={ALICE}\x01auth=Bearer {value}\x01\x01".encode()
    )
    bearer = token(["access-token", "--sasl", "oauthbearer", "--user", "x@y.test"], tmp_path)
    assert base64.b64decode(bearer.out.strip()).startswith(b"n,a=x@y.test,\x01auth=Bearer ")
    assert plain.err == "" and blob.err == ""


def _app_only_login(stack: Stack, folder: Path, client: str, user: str) -> Result:
    secret = stack.oidc_clients[client]
    return token(
        ["login", "--app-only", "--provider", "generic", "--issuer", stack.oidc_issuer,
         "--user", user, "--client-id", client], folder, secret,
    )  # fmt: skip


def test_app_only_send_for_a_granted_mailbox_is_delivered(stack: Stack, tmp_path: Path) -> None:
    """The stack grants mailcli's application alice's mailbox (Exchange: SMTP.SendAsApp and
    Add-MailboxPermission): check passes, smail sends as alice, bob reads it over POP3."""
    assert stack.app_grants["mailcli"] == [ALICE]
    secret = stack.oidc_clients["mailcli"] or ""
    login = _app_only_login(stack, tmp_path, "mailcli", ALICE)
    assert login.code == 0, login.err
    assert "App-only settings" in login.out
    text = (tmp_path / "smail_refreshtoken.ini").read_text()
    assert "Grant=client_credentials" in text and "RefreshToken=\n" in text
    _smail_ini(stack, tmp_path)
    status = token(["status"], tmp_path)
    assert "none (app-only)" in status.out
    check = token(["check"], tmp_path)
    assert check.code == 0, check.out + check.err
    assert "XOAUTH2" in check.out and ALICE in check.out
    stack.reset_token_stats()
    mark = marker("app-only-secret")
    sent = run_main(["-s" + mark, "-Tapp-only body", BOB, "-d"], tmp_path)
    assert sent.code == 0, sent.out
    assert "[Try get access token from" in sent.out and "Recv: 235" in sent.out
    assert stack.token_request_count(grant_type="client_credentials") == 1
    got = fetch_one(stack, BOB, mark)
    assert got["From"] == ALICE and "app-only body" in got.get_content()
    _clean([login, status, check, sent], [secret])


def test_app_only_send_for_a_mailbox_not_granted_names_the_grant(
    stack: Stack, tmp_path: Path
) -> None:
    """bob's mailbox is not granted to mailcli: 535 from the server, ERR-0025 saying which
    permission the application lacks (Exchange: 535 5.7.3, the same fix)."""
    assert BOB not in stack.app_grants["mailcli"]
    secret = stack.oidc_clients["mailcli"] or ""
    assert _app_only_login(stack, tmp_path, "mailcli", BOB).code == 0
    write_ini(
        tmp_path,
        f"[smail]\nserver = {stack.host}\nport = {stack.submission}\ntls = starttls\n"
        f"cafile = {stack.cafile}\nauth = OAUTH-XOAUTH2\nfrom = {BOB}\n",
    )
    check = token(["check"], tmp_path)
    assert check.code == 25, check.out + check.err
    assert f"refused the app-only token for the mailbox {BOB}" in check.err
    assert f"Add-MailboxPermission -Identity {BOB}" in check.err
    assert "SMTP.SendAsApp" in check.err and "535" in check.err
    mark = marker("app-only-not-granted")
    sent = run_main(["-s" + mark, "-Tx", ALICE], tmp_path)
    assert sent.code == 25, sent.out
    assert sent.out.startswith("ERR-0025:") and "Traceback" not in sent.out
    assert f"Add-MailboxPermission -Identity {BOB}" in sent.out
    ja = run_main(["-s" + mark, "-Tx", ALICE, "--lang", "ja"], tmp_path)
    assert ja.code == 25 and "許可されたメールボックス" in ja.out
    assert "mailbox-not-granted-to-this-application" in stack.log_text()  # Dovecot's reason
    assert_not_delivered(stack, [ALICE], [mark])
    _clean([check, sent, ja], [secret])


def test_app_only_without_any_grant_gets_454(stack: Stack, tmp_path: Path) -> None:
    """mailcli-post's application holds no mailbox at all: its token names no user and Dovecot
    answers 454 4.7.0 (pitfall 10): exit 29, the grant named as the likely cause."""
    assert "mailcli-post" not in stack.app_grants
    secret = stack.oidc_clients["mailcli-post"] or ""
    login = _app_only_login(stack, tmp_path, "mailcli-post", ALICE)
    assert login.code == 0, login.err
    _smail_ini(stack, tmp_path)
    check = token(["check"], tmp_path)
    assert check.code == 29, check.out + check.err  # Dovecot: 454 4.7.0 (token without a user)
    assert "answered the app-only token for" in check.err and "temporary failure" in check.err
    assert "SMTP.SendAsApp" in check.err and "454" in check.err
    fresh = token(["access-token"], tmp_path)
    assert fresh.code == 0 and stack.introspect(fresh.out.strip())["active"] is True
    # smail itself takes app-only files: a client-credentials token per need, no refresh token
    stack.reset_token_stats()
    sent = run_main(["-sapp-only", "-Tx", ALICE, "-d"], tmp_path)
    assert sent.code == 29, sent.out  # the same 454 from Dovecot, through smail
    assert "[Try get access token from" in sent.out and "Traceback" not in sent.out
    assert "Add-MailboxPermission" in sent.out
    assert stack.token_request_count(grant_type="client_credentials") >= 1
    _clean([login, check, sent], [secret])


def test_bad_secret_app_only_invalid_client(stack: Stack, tmp_path: Path) -> None:
    wrong = "wrong-secret-value"
    login = token(
        ["login", "--app-only", "--provider", "generic", "--issuer", stack.oidc_issuer,
         "--user", ALICE, "--client-id", "mailcli"], tmp_path, wrong,
    )  # fmt: skip
    assert login.code == 28
    assert "invalid_client" in login.err
    _clean([login], [wrong])


def test_secret_never_from_argv(tmp_path: Path) -> None:
    ran = token(["login", "--client-secret", "hunter2-secret"], tmp_path)
    assert ran.code == 17
    assert "never taken from the command line" in ran.err
    assert "hunter2-secret" not in ran.out + ran.err


def test_missing_file(tmp_path: Path) -> None:
    ran = token(["status"], tmp_path)
    assert ran.code == 28 and "smail-token login" in ran.err

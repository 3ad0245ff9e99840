"""App-only with a certificate (private_key_jwt, RFC 7523 2.2) against the real oidc-provider.

The stack's client mailcli-jwt holds the public key of a per-run RSA certificate
(scripts/stack.py makes it in RUN/client-cert) and, like Microsoft, requires the assertion's x5t
header to name that certificate. Its token counter records how each request authenticated.
Every output is scanned for the private key (and its base64 body) and the tokens.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import ssl
import subprocess
from collections.abc import Iterable
from pathlib import Path

import pytest

from cli.util import (
    ALICE,
    BOB,
    Result,
    fetch_one,
    forbidden,
    marker,
    run_main,
    run_token,
    write_ini,
)
from stackutil import Stack

pytestmark = pytest.mark.stack

CAROL = "carol@example.test"


token = run_token


def _login(stack: Stack, cwd: Path, *pem: str) -> Result:
    return token(
        ["login", "--app-only", "--provider", "generic", "--issuer", stack.oidc_issuer,
         "--user", ALICE, "--client-id", stack.jwt_client, "--certificate", *pem],
        cwd,
    )  # fmt: skip


def _thumbprint(pem: str) -> str:
    text = Path(pem).read_text()
    block = re.search(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", text, re.S)
    assert block is not None
    return hashlib.sha1(ssl.PEM_cert_to_DER_cert(block.group(0))).hexdigest().upper()


def _key_texts(key_pem: str) -> list[str]:
    """The key as any output could show it: each base64 line of its body, and the body whole."""
    text = Path(key_pem).read_text()
    body = text.split("-----BEGIN PRIVATE KEY-----")[1].split("-----END")[0].split()
    return [*body, "".join(body)]


def _clean(runs: Iterable[object], secrets: Iterable[str]) -> None:
    texts = [getattr(r, "out", "") + getattr(r, "err", "") for r in runs]
    for secret in set(secrets):
        for form in forbidden(secret, ALICE) if len(secret) > 40 else {secret}:
            for text in texts:
                assert form not in text, f"secret leaked ({form[:5]}...)"


def _ini_text(stack: Stack, sender: str) -> str:
    return (
        f"[smail]\nserver = {stack.host}\nport = {stack.submission}\ntls = starttls\n"
        f"cafile = {stack.cafile}\nauth = OAUTH-XOAUTH2\nfrom = {sender}\n"
    )


def _smail_ini(stack: Stack, folder: Path) -> None:
    write_ini(folder, _ini_text(stack, ALICE))


def test_certificate_login_access_token_status_and_smail(stack: Stack, tmp_path: Path) -> None:
    stack.reset_token_stats()
    login = _login(stack, tmp_path, stack.client_pem)  # certificate and key in one PEM
    assert login.code == 0, login.err
    assert "App-only settings" in login.out
    thumbprint = _thumbprint(stack.client_certificate)
    assert thumbprint in login.out
    path = tmp_path / "smail_refreshtoken.ini"
    text = path.read_text()
    assert f"CertificateFile={stack.client_pem}" in text and "Grant=client_credentials" in text
    assert "ClientSecret=\n" in text and "RefreshToken=\n" in text
    assert "PRIVATE KEY" not in text and _key_texts(stack.client_key)[0] not in text
    assert [(r["grant_type"], r["client_id"], r["client_auth"], r["status"])
            for r in stack.token_requests()] == [
        ("client_credentials", stack.jwt_client, "private_key_jwt", 200)
    ]  # fmt: skip

    stack.reset_token_stats()
    fresh = token(["access-token"], tmp_path)
    assert fresh.code == 0, fresh.err
    assert stack.introspect(fresh.out.strip())["active"] is True
    assert [(r["grant_type"], r["client_auth"], r["status"]) for r in stack.token_requests()] == [
        ("client_credentials", "private_key_jwt", 200)
    ]

    status = token(["status"], tmp_path)
    assert status.code == 0, status.err
    assert "none (app-only)" in status.out and "the certificate's expiry applies" in status.out
    assert f"SHA-1 thumbprint {thumbprint}, valid until" in status.out

    # smail-token check and smail take it as the secret-based app-only file: the stack grants
    # mailcli-jwt's application alice's mailbox (as Exchange does with SMTP.SendAsApp and the
    # mailbox permission), so the send is delivered and read back over POP3
    assert ALICE in stack.app_grants[stack.jwt_client]
    _smail_ini(stack, tmp_path)
    check = token(["check"], tmp_path)
    assert check.code == 0, check.out + check.err
    stack.reset_token_stats()
    mark = marker("app-only-certificate")
    sent = run_main(["-s" + mark, "-Tsigned by a certificate", BOB, "-d"], tmp_path)
    assert sent.code == 0, sent.out
    assert "[Try get access token from" in sent.out and "Recv: 235" in sent.out
    assert [(r["grant_type"], r["client_auth"], r["status"]) for r in stack.token_requests()] == [
        ("client_credentials", "private_key_jwt", 200)
    ]
    assert "signed by a certificate" in fetch_one(stack, BOB, mark).get_content()
    _clean([login, fresh, status, check, sent], _key_texts(stack.client_key))
    _clean([login, status, check, sent], [fresh.out.strip()])  # printed on purpose by fresh only


def test_certificate_app_only_pop_before_smtp_and_a_second_mailbox(
    stack: Stack, tmp_path: Path
) -> None:
    """One application, two granted mailboxes (alice, carol): carol's send goes through POP
    before SMTP with the same app-only token (Exchange: POP.AccessAsApp beside SMTP.SendAsApp,
    one token for both), then SMTP; bob, not granted, is refused at POP3 already."""
    assert CAROL in stack.app_grants[stack.jwt_client]
    login = _login(stack, tmp_path, stack.client_pem)
    assert login.code == 0, login.err
    path = tmp_path / "smail_refreshtoken.ini"
    path.write_text(path.read_text().replace(f"UserID={ALICE}", f"UserID={CAROL}"))
    pop = (
        f"[pop_before_smtp]\nenabled = yes\nserver = {stack.host}\nport = {stack.pop3}\n"
        "tls = stls\n"
    )
    write_ini(tmp_path, _ini_text(stack, CAROL) + pop + f"user = {CAROL}\n")
    stack.reset_token_stats()
    mark = marker("app-only-pop")
    sent = run_main(["-s" + mark, "-Tx", BOB, "-d"], tmp_path)
    assert sent.code == 0, sent.out
    assert "AUTH XOAUTH2" in sent.out and "+OK" in sent.out and "Recv: 235" in sent.out
    assert stack.token_request_count(grant_type="client_credentials") == 1  # one for both
    assert fetch_one(stack, BOB, mark)["From"] == CAROL
    # bob's mailbox is not granted: POP3 refuses the token (ERR-0022, the POP login)
    path.write_text(path.read_text().replace(f"UserID={CAROL}", f"UserID={BOB}"))
    write_ini(tmp_path, _ini_text(stack, BOB) + pop + f"user = {BOB}\n")
    refused = run_main(["-s" + mark, "-Tx", ALICE], tmp_path)
    assert refused.code == 22, refused.out
    assert "Traceback" not in refused.out
    _clean([login, sent, refused], _key_texts(stack.client_key))


def test_certificate_and_key_in_separate_files(stack: Stack, tmp_path: Path) -> None:
    login = _login(stack, tmp_path, stack.client_certificate, "--private-key", stack.client_key)
    assert login.code == 0, login.err
    text = (tmp_path / "smail_refreshtoken.ini").read_text()
    assert f"PrivateKeyFile={stack.client_key}" in text
    stack.reset_token_stats()
    fresh = token(["access-token"], tmp_path)
    assert fresh.code == 0, fresh.err
    assert [r["client_auth"] for r in stack.token_requests()] == ["private_key_jwt"]
    _clean([login, fresh], _key_texts(stack.client_key))


def _other_certificate(folder: Path) -> Path:
    """A key and certificate the server has never seen (openssl, as a user would make one)."""
    openssl = shutil.which("openssl")
    assert openssl is not None
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "other.key",
         "-out", "other.crt", "-days", "2", "-subj", "/CN=not registered"],
        cwd=folder, check=True, capture_output=True,
    )  # fmt: skip
    pem = folder / "other.pem"
    pem.write_bytes((folder / "other.crt").read_bytes() + (folder / "other.key").read_bytes())
    pem.chmod(0o600)
    return pem


def test_a_certificate_the_server_does_not_know_is_invalid_client(
    stack: Stack, tmp_path: Path
) -> None:
    pem = _other_certificate(tmp_path)
    stack.reset_token_stats()
    login = _login(stack, tmp_path, str(pem))
    assert login.code == 28, login.out + login.err
    assert "invalid_client" in login.err
    assert "does not accept the certificate of client mailcli-jwt" in login.err
    assert _thumbprint(str(pem)) in login.err and "Certificates & secrets" in login.err
    assert not (tmp_path / "smail_refreshtoken.ini").exists()  # nothing saved
    assert [(r["client_auth"], r["status"]) for r in stack.token_requests()] == [
        ("private_key_jwt", 401)
    ]
    # a token file that names the wrong certificate: the same explanation, from access-token
    good = tmp_path / "good"
    good.mkdir()
    assert _login(stack, good, stack.client_pem).code == 0
    path = good / "smail_refreshtoken.ini"
    path.write_text(path.read_text().replace(stack.client_pem, str(pem)))
    fresh = token(["access-token"], good)
    assert fresh.code == 28 and fresh.out == ""
    assert "does not accept the certificate" in fresh.err and _thumbprint(str(pem)) in fresh.err
    # smail itself: ERR-0028 whose text names CertificateFile
    _smail_ini(stack, good)
    sent = run_main(["-sapp-only", "-Tx", ALICE], good)
    assert sent.code == 28, sent.out
    assert "invalid_client" in sent.out and "CertificateFile" in sent.out
    _clean([login, fresh, sent], _key_texts(str(tmp_path / "other.key")))


def test_a_key_others_may_read_is_refused_before_any_request(stack: Stack, tmp_path: Path) -> None:
    pem = tmp_path / "client.pem"
    shutil.copyfile(stack.client_pem, pem)
    pem.chmod(0o644)
    stack.reset_token_stats()
    login = _login(stack, tmp_path, str(pem))
    assert login.code == 28, login.out + login.err
    assert "is not private" in login.err and f"chmod 600 {pem}" in login.err
    assert stack.token_requests() == []
    assert not (tmp_path / "smail_refreshtoken.ini").exists()
    # a file that became readable after login: smail-token and smail refuse it too
    pem.chmod(0o600)
    assert _login(stack, tmp_path, str(pem)).code == 0
    pem.chmod(0o604)
    fresh = token(["access-token"], tmp_path)
    assert fresh.code == 28 and f"chmod 600 {pem}" in fresh.err and fresh.out == ""
    _clean([login, fresh], _key_texts(stack.client_key))


def test_certificate_needs_app_only_and_no_secret(tmp_path: Path) -> None:
    alone = token(
        ["login", "--certificate", "x.pem", "--client-id", "c", "--user", ALICE], tmp_path
    )
    assert alone.code == 17 and "--app-only" in alone.err
    both = token(
        ["login", "--app-only", "--certificate", "x.pem", "--public", "--client-id", "c"], tmp_path
    )
    assert both.code == 17 and "replaces the client secret" in both.err
    key_only = token(["login", "--app-only", "--private-key", "k.pem"], tmp_path)
    assert key_only.code == 17 and "goes with --certificate" in key_only.err

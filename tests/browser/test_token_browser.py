"""`smail-token login` through a real browser (Debian chromium driven by Playwright) against the
real oidc-provider, then `smail` sending with the file it wrote: the seed, end to end.

The test plays the user: it opens the URL the command prints (--no-browser), signs in as
alice@example.test on the dev login page, consents (or cancels), and reads OUR listener's page
as a person would. Screenshots stay in each test's tmp folder. Every output is scanned for the
tokens and the client secret.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from browser.tokenutil import (
    TokenRun,
    authorize_url,
    chromium,
    os_path_private,
    session,
    sign_in,
    token_env,
    visible_text,
)
from cli.util import ALICE, fetch_one, forbidden, marker, run_main, write_ini
from pysmail.oauth.tokenfile import read_token_file
from stackutil import Stack

pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# The stack registers http://127.0.0.1/callback (any port: RFC 8252 7.3); port 0 = a free one.
CALLBACK = "http://127.0.0.1:0/callback"


def _login_args(stack: Stack, *extra: str, client: str = "mailcli") -> list[str]:
    if "--redirect-uri" not in extra:
        extra = ("--redirect-uri", CALLBACK, *extra)
    return ["login", "--provider", "generic", "--issuer", stack.oidc_issuer, "--user", ALICE,
            "--client-id", client, "--no-browser", *extra]  # fmt: skip


def _secrets(path: Path, stack: Stack, client: str = "mailcli") -> list[str]:
    found = [stack.oidc_clients[client] or ""]
    if path.exists():
        doc = read_token_file(path)
        found.append(doc.refresh_token)
    cache = path.with_name(path.name + ".cache")
    if cache.exists():
        found.append(json.loads(cache.read_text()).get("access_token", ""))
    return [s for s in found if s]


def _assert_clean(outputs: Iterable[str], secrets: Iterable[str]) -> None:
    for secret in secrets:
        for form in forbidden(secret, ALICE):
            for out in outputs:
                assert form not in out, f"a secret (or its base64 form) leaked: {form[:6]}..."


def _smail_ini(stack: Stack, folder: Path) -> None:
    write_ini(
        folder,
        f"[smail]\nserver = {stack.host}\nport = {stack.submission}\ntls = starttls\n"
        f"cafile = {stack.cafile}\nauth = OAUTH-XOAUTH2\nfrom = {ALICE}\n",
    )


def test_seed_end_to_end_browser_login_then_smail_sends(
    stack: Stack, browser: Any, tmp_path: Path
) -> None:
    """The seed: register http://localhost:8001/myapp/, sign in, consent, the file appears,
    smail (OAUTH-XOAUTH2) sends with it through Dovecot and the mail arrives."""
    port = _free_port()  # 8001 itself may be taken on a shared machine; the path is the seed's
    redirect = f"http://localhost:{port}/myapp/"
    secret = stack.oidc_clients["mailcli"]
    run = TokenRun(_login_args(stack, "--redirect-uri", redirect), tmp_path,
                   token_env(tmp_path, secret))  # fmt: skip
    url = authorize_url(run)
    assert "code_challenge_method=S256" in url and "prompt=consent" in url
    assert "redirect_uri=http%3A%2F%2Flocalhost%3A" + str(port) + "%2Fmyapp%2F" in url
    with session(browser) as s:
        s.page.goto(url)
        sign_in(s.page, ALICE)
        s.page.wait_for_url(f"{redirect}*")
        s.page.wait_for_selector("h1")
        shown = visible_text(s.page)
        s.shot(tmp_path, "login-success")
        assert s.blocked == [] or all("fonts" in u for u in s.blocked), s.blocked
    code, out, err = run.finish()
    assert code == 0, (out, err)
    assert "Signed in: smail-token is done" in shown
    assert f"The refresh token for {ALICE} is saved in" in shown
    token_file = tmp_path / "smail_refreshtoken.ini"
    assert f"Refresh token for {ALICE} saved in {token_file}" in out
    doc = read_token_file(token_file)
    lines = token_file.read_bytes().decode().split("\r\n")  # CRLF, as Windows tools write
    keys = [line.split("=", 1)[0] for line in lines[1:] if "=" in line]
    assert lines[0] == "[OAUTH2]"
    assert keys[:8] == ["UserID", "ClientID", "ClientSecret", "RefreshToken", "TokenURI",
                        "OuthURI", "OAUTH2_TIME_OUT", "Provider"]  # fmt: skip
    assert doc.user == ALICE and doc.client_id == "mailcli" and doc.get("Issuer")
    assert os_path_private(token_file)

    # smail sends with it (the login cached the access token: no refresh needed yet)
    stack.reset_token_stats()
    _smail_ini(stack, tmp_path)
    mark = marker("token-e2e")
    sent = run_main(["-s" + mark, "-Tbody via smail-token", "-d", ALICE], tmp_path)
    assert sent.code == 0, sent.out
    msg = fetch_one(stack, ALICE, mark)
    assert "body via smail-token" in str(msg.get_body(("plain",)).get_content())  # type: ignore[union-attr]
    _assert_clean([out, err, shown, sent.out], _secrets(token_file, stack))


def test_the_command_opens_the_browser_itself(stack: Stack, browser: Any, tmp_path: Path) -> None:
    """Without --no-browser smail-token opens the sign-in page itself, through Python's
    webbrowser; $BROWSER (which webbrowser honours on every platform) points it at a script that
    hands the URL to this test's chromium, as a desktop browser would get it."""
    seen = tmp_path / "opened-urls.txt"
    opener = tmp_path / "open-url"
    opener.write_text(f'#!/bin/sh\nprintf "%s\\n" "$1" >> "{seen}"\n')
    opener.chmod(0o755)
    env = token_env(tmp_path, stack.oidc_clients["mailcli"], {"BROWSER": str(opener)})
    args = [arg for arg in _login_args(stack) if arg != "--no-browser"]
    run = TokenRun(args, tmp_path, env)
    printed = authorize_url(run)  # still printed, for a browser on another machine
    deadline = time.monotonic() + 20
    while not (seen.exists() and seen.read_text().strip()):
        assert time.monotonic() < deadline, "the browser was never opened"
        time.sleep(0.05)
    opened = seen.read_text().split()
    assert opened == [printed], (opened, printed)  # opened once, the same URL
    with session(browser) as s:
        s.page.goto(opened[0])
        sign_in(s.page, ALICE)
        s.page.wait_for_url("http://127.0.0.1:*/callback*")
        s.page.wait_for_selector("h1")
        assert "Signed in: smail-token is done" in visible_text(s.page)
    code, out, err = run.finish()
    assert code == 0, (out, err)
    assert read_token_file(tmp_path / "smail_refreshtoken.ini").user == ALICE


def test_refused_consent(stack: Stack, browser: Any, tmp_path: Path) -> None:
    run = TokenRun(_login_args(stack), tmp_path, token_env(tmp_path, stack.oidc_clients["mailcli"]))
    url = authorize_url(run)
    with session(browser) as s:
        s.page.goto(url)
        sign_in(s.page, ALICE, consent=False)
        s.page.wait_for_url("http://127.0.0.1:*/**")
        s.page.wait_for_selector("h1")
        shown = visible_text(s.page)
        s.shot(tmp_path, "refused")
    code, out, err = run.finish()
    assert code == 28, (out, err)
    assert "Sign-in failed: nothing was saved" in shown
    assert "consent was refused" in shown and "consent was refused" in err
    assert "ERR-0028" in err
    assert not (tmp_path / "smail_refreshtoken.ini").exists()
    _assert_clean([out, err, shown], [stack.oidc_clients["mailcli"] or ""])


def test_forged_redirect_state_mismatch_and_escaping(
    stack: Stack, browser: Any, tmp_path: Path
) -> None:
    """A redirect with someone else's state (and markup in its description) is refused; the
    page shows the markup as text."""
    port = _free_port()
    run = TokenRun(_login_args(stack, "--port", str(port)), tmp_path,
                   token_env(tmp_path, stack.oidc_clients["mailcli"]))  # fmt: skip
    authorize_url(run)
    with session(browser) as s:
        s.page.goto(f"http://127.0.0.1:{port}/callback?code=stolen&state=forged")
        s.page.wait_for_selector("h1")
        shown = visible_text(s.page)
        s.shot(tmp_path, "state-mismatch")
    code, out, err = run.finish()
    assert code == 28, (out, err)
    assert "state does not match" in shown and "state does not match" in err
    assert not (tmp_path / "smail_refreshtoken.ini").exists()


def test_error_description_is_escaped_on_the_page(
    stack: Stack, browser: Any, tmp_path: Path
) -> None:
    port = _free_port()
    run = TokenRun(_login_args(stack, "--port", str(port)), tmp_path,
                   token_env(tmp_path, stack.oidc_clients["mailcli"]))  # fmt: skip
    url = authorize_url(run)
    state = url.split("state=")[1].split("&")[0]
    with session(browser) as s:
        target = (f"http://127.0.0.1:{port}/callback?error=server_error&state={state}"
                  "&error_description=%3Cb%20id%3Dx%3Einjected%3C%2Fb%3E")  # fmt: skip
        s.page.goto(target)
        s.page.wait_for_selector("h1")
        shown = visible_text(s.page)
        html = s.page.content()
        assert s.page.locator("b#x").count() == 0  # no element was injected
        s.shot(tmp_path, "escaped")
    code, _out, err = run.finish()
    assert code == 28
    assert "<b id=x>injected</b>" in shown  # shown as text
    assert "&lt;b id=x&gt;injected&lt;/b&gt;" in html
    assert "server_error" in err


def test_timeout(stack: Stack, tmp_path: Path) -> None:
    run = TokenRun(_login_args(stack, "--timeout", "0.3"), tmp_path,
                   token_env(tmp_path, stack.oidc_clients["mailcli"]))  # fmt: skip
    authorize_url(run)
    code, out, err = run.finish(timeout=30)
    assert code == 28, (out, err)
    assert "No sign-in came back within 3 seconds" in err
    assert "(up to 3 s)" in out


def test_busy_port(stack: Stack, tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        run = TokenRun(
            ["login", "--provider", "microsoft", "--auth-url", f"{stack.oidc_issuer}/auth",
             "--token-url", stack.oidc_token_endpoint, "--user", ALICE, "--client-id", "mailcli",
             "--no-browser", "--port", str(port)],
            tmp_path, token_env(tmp_path, stack.oidc_clients["mailcli"]),
        )  # fmt: skip
        code, out, err = run.finish()
    assert code == 28, (out, err)
    assert f"Port {port} on 127.0.0.1 is already in use" in err
    assert "--port N" in err and "http://localhost:N/myapp/" in err


def test_bad_secret_invalid_client(stack: Stack, browser: Any, tmp_path: Path) -> None:
    wrong = "definitely-not-the-secret"
    run = TokenRun(_login_args(stack), tmp_path, token_env(tmp_path, wrong))
    url = authorize_url(run)
    with session(browser) as s:
        s.page.goto(url)
        sign_in(s.page, ALICE)
        s.page.wait_for_url("http://127.0.0.1:*/**")
        s.page.wait_for_selector("h1")
        shown = visible_text(s.page)
        s.shot(tmp_path, "invalid-client")
    code, out, err = run.finish()
    assert code == 28, (out, err)
    assert "invalid_client" in err and "invalid_client" in shown
    assert "Sign-in failed" in shown
    assert not (tmp_path / "smail_refreshtoken.ini").exists()
    _assert_clean([out, err, shown], [wrong])

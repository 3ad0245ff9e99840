"""`smail-token login --device` (RFC 8628) against the real oidc-provider: the test approves the
user code at /device in chromium, as the user would on another device; then smail sends."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from browser.tokenutil import TokenRun, chromium, session, token_env, visible_text
from cli.util import ALICE, fetch_one, forbidden, marker, run_main, write_ini
from pysmail.oauth.tokenfile import read_token_file
from stackutil import Stack

pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


def _approve(page: Any, user_code: str, *, approve: bool = True) -> str:
    """Enter the code, sign in, consent, confirm; return the final page's text."""
    page.wait_for_selector("input[name=user_code]")
    page.fill("input[name=user_code]", user_code)
    page.click("button[type=submit]")
    for _step in range(8):
        page.wait_for_load_state()
        if page.locator("input[name=login]").count():
            page.fill("input[name=login]", ALICE)
            page.fill("input[name=password]", "any")
            page.click("button[type=submit]")
        elif page.locator("input[name=prompt][value=consent]").count():
            page.click("button[type=submit]" if approve else "text=[ Cancel ]")
        elif page.locator("button[name=abort]").count():
            page.click("button[name=abort]" if not approve else "button[autofocus]")
        else:
            return visible_text(page)
    raise AssertionError(f"device approval did not end: {visible_text(page)}")


def test_device_flow_then_smail_sends(stack: Stack, browser: Any, tmp_path: Path) -> None:
    secret = stack.oidc_clients["mailcli"]
    run = TokenRun(
        ["login", "--device", "--provider", "generic", "--issuer", stack.oidc_issuer,
         "--user", ALICE, "--client-id", "mailcli", "--wait", "60"],
        tmp_path, token_env(tmp_path, secret),
    )  # fmt: skip
    line = run.wait_line(r"enter the code")
    found = re.search(r"open (\S+) and enter the code (\S+)", line)
    assert found, line
    uri, user_code = found.groups()
    assert uri.startswith(stack.oidc_issuer)
    with session(browser) as s:
        s.page.goto(uri)
        final = _approve(s.page, user_code)
        s.shot(tmp_path, "device-approved")
    code, out, err = run.finish(timeout=40)
    assert code == 0, (out, err)
    assert "Sign-in Success" in final or "success" in final.lower(), final
    token_file = tmp_path / "smail_refreshtoken.ini"
    doc = read_token_file(token_file)
    assert doc.get("Grant") == "device_code" and doc.user == ALICE
    write_ini(
        tmp_path,
        f"[smail]\nserver = {stack.host}\nport = {stack.submission}\ntls = starttls\n"
        f"cafile = {stack.cafile}\nauth = OAUTH-XOAUTH2\nfrom = {ALICE}\n",
    )
    mark = marker("device")
    sent = run_main(["-s" + mark, "-Tdevice flow", ALICE], tmp_path)
    assert sent.code == 0, sent.out
    fetch_one(stack, ALICE, mark)
    for value in (secret or "", read_token_file(token_file).refresh_token):
        for form in forbidden(value, ALICE):
            assert form not in out + err + sent.out


def test_device_flow_refused(stack: Stack, browser: Any, tmp_path: Path) -> None:
    run = TokenRun(
        ["login", "--device", "--provider", "generic", "--issuer", stack.oidc_issuer,
         "--user", ALICE, "--client-id", "mailcli", "--wait", "60"],
        tmp_path, token_env(tmp_path, stack.oidc_clients["mailcli"]),
    )  # fmt: skip
    found = re.search(r"open (\S+) and enter the code (\S+)", run.wait_line(r"enter the code"))
    assert found
    with session(browser) as s:
        s.page.goto(found.group(1))
        _approve(s.page, found.group(2), approve=False)
        s.shot(tmp_path, "device-refused")
    code, out, err = run.finish(timeout=40)
    assert code == 28, (out, err)
    assert "consent was refused" in err
    assert not (tmp_path / "smail_refreshtoken.ini").exists()


def test_google_device_flow_is_refused_up_front(tmp_path: Path) -> None:
    run = TokenRun(["login", "--device", "--provider", "google", "--user", ALICE,
                    "--client-id", "x.apps.googleusercontent.com"],
                   tmp_path, token_env(tmp_path, "s3cret-value"))  # fmt: skip
    code, _out, err = run.finish()
    assert code == 28
    assert "Google does not allow the device flow for mail" in err

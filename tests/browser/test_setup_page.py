"""`smail-token setup` through a real browser (Debian chromium under Playwright), in English and
in Japanese: the real command in a child process, the real oidc-provider's login and consent
pages, the real Dovecot. The test plays the user: it fills the form for a "generic" provider
(the stack's issuer), gets the refresh token, sends the test mail (read back from the mailbox),
saves, finishes, then `smail` sends with the saved files. Each step's screenshot is kept in the
test's tmp folder and checked non-empty; every page the browser saw is scanned for secrets.
"""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator
from email.header import decode_header, make_header
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from browser.tokenutil import (
    LOOPBACK_HOSTS,
    TokenRun,
    chromium,
    os_path_private,
    sign_in,
    token_env,
    visible_text,
)
from cli.util import ALICE, fetch_one, forbidden, marker, parse, run_main
from pysmail.oauth.tokenfile import read_token_file
from stackutil import Stack

pytestmark = pytest.mark.stack

TEXTS = {
    "en": {
        "title": "smail setup",
        "signed_in": f"Signed in as {ALICE}",
        "test_ok": f"The test mail to {ALICE} was accepted by",
        "saved": "Saved:",
        "done": "Setup finished",
        "subject": "smail setup test",
        "button": "Get refresh token",
        "locale": "en-US",
    },
    "ja": {
        "title": "smail の設定",
        "signed_in": f"{ALICE} としてサインインしました",
        "test_ok": f"{ALICE} 宛てのテストメールを",
        "saved": "保存しました:",
        "done": "設定を終了しました",
        "subject": "smail 設定テスト",
        "button": "リフレッシュトークンを取得",
        "locale": "ja-JP",
    },
}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Pages:
    """A browser context in one locale whose requests off loopback are aborted; it keeps the
    HTML of every page seen (for the secret scan) and a screenshot per step."""

    def __init__(self, browser: Any, locale: str, folder: Path) -> None:
        self.context = browser.new_context(locale=locale)
        self.blocked: list[str] = []
        self.seen: list[str] = []
        self.folder = folder
        self.context.route("**/*", self._guard)
        self.page = self.context.new_page()
        self.page.set_default_timeout(20000)

    def _guard(self, route: Any) -> None:
        if (urlsplit(route.request.url).hostname or "") in LOOPBACK_HOSTS:
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()

    def step(self, name: str) -> str:
        html = str(self.page.content())
        self.seen.append(html)
        path = self.folder / f"setup-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 1000, path
        return visible_text(self.page)


def _secrets(folder: Path, stack: Stack) -> list[str]:
    found = [stack.oidc_clients["mailcli"] or ""]
    token = folder / "smail_refreshtoken.ini"
    if token.exists():
        found.append(read_token_file(token).refresh_token)
    cache = token.with_name(token.name + ".cache")
    if cache.exists():
        found.append(json.loads(cache.read_text()).get("access_token", ""))
    return [s for s in found if s]


def _subject(raw: bytes) -> str:
    return str(make_header(decode_header(str(parse(raw)["Subject"]))))


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_setup_page_journey(stack: Stack, browser: Any, tmp_path: Path, lang: str) -> None:
    words = TEXTS[lang]
    secret = stack.oidc_clients["mailcli"] or ""
    conf = tmp_path / "conf"
    port = _free_port()
    run = TokenRun(["--lang", lang, "setup", "--no-browser", "--port", str(port)], tmp_path,
                   token_env(tmp_path, None))  # fmt: skip
    url = run.wait_line(r"^http://127\.0\.0\.1:\d+/\?k=").strip()
    assert url.startswith(f"http://127.0.0.1:{port}/?k=")
    stack.fetch(ALICE, expect=0)  # an empty mailbox
    b = Pages(browser, words["locale"], tmp_path)
    try:
        page = b.page
        page.goto(url)
        shown = b.step(f"{lang}-1-open")
        assert words["title"] in shown and words["button"] in shown  # Accept-Language
        # the switch: to the other language and back
        other = "日本語" if lang == "en" else "English"
        page.click(f"nav a:text-is('{other}')")
        assert TEXTS["ja" if lang == "en" else "en"]["button"] in visible_text(page)
        page.click(f"nav a:text-is('{'English' if lang == 'en' else '日本語'}')")
        assert words["button"] in visible_text(page)

        # the account, as a person fills it (the issuer row appears for "other")
        page.select_option("#f-provider", "generic")
        page.fill("#f-user", ALICE)
        page.fill("#f-client_id", "mailcli")
        page.fill("#f-client_secret", secret)
        page.fill("#f-issuer", stack.oidc_issuer)
        assert page.is_hidden("#f-tenant")
        page.fill("#f-server", stack.host)
        page.fill("#f-port", str(stack.submission))
        page.select_option("#f-tls", "starttls")
        page.select_option("#f-auth", "oauth-xoauth2")
        page.fill("#f-cafile", stack.cafile)
        page.fill("#f-test_to", ALICE)
        page.fill("#f-folder", str(conf))
        b.step(f"{lang}-2-filled")

        # Get refresh token: the same tab goes to the provider and comes back
        page.click("#b-token")
        sign_in(page, ALICE)
        page.wait_for_url(f"http://localhost:{port}/?k=*")
        page.wait_for_selector("#n-token")
        shown = b.step(f"{lang}-3-token")
        assert words["signed_in"] in shown, shown
        assert "openid" in shown and "offline_access" in shown

        # Send test mail: the masked -d transcript, and the mail in the mailbox
        page.click("#b-test")
        page.wait_for_selector("#n-test")
        shown = b.step(f"{lang}-4-test")
        assert words["test_ok"] in shown, shown
        transcript = str(page.inner_text("#n-test pre"))
        assert "STARTTLS" in transcript and "Send: AUTH XOAUTH2" in transcript, transcript
        assert "Send: ****" in transcript and re.search(r"Recv: 250 .*", transcript)
        raw = stack.fetch(ALICE, expect=1)
        assert _subject(raw[0]) == words["subject"]

        # Save: the two files, where, and how to use them
        page.click("#b-save")
        page.wait_for_selector("#n-saved")
        shown = b.step(f"{lang}-5-saved")
        ini, token = conf / "smail.ini", conf / "smail_refreshtoken.ini"
        assert words["saved"] in shown and str(ini) in shown and str(token) in shown
        assert f"--config '{ini}'" in str(page.inner_text("#command"))
        assert os_path_private(ini) and os_path_private(token)
        doc = read_token_file(token)
        assert doc.user == ALICE and doc.client_id == "mailcli" and doc.get("Issuer")

        # Finish: the server stops
        page.click("#b-done")
        page.wait_for_selector("h1")
        shown = b.step(f"{lang}-6-done")
        assert words["done"] in shown
        assert not b.blocked, b.blocked
    finally:
        b.context.close()
    code, out, err = run.finish()
    assert code == 0, (out, err)
    assert ("Setup finished." if lang == "en" else "設定を終了しました。") in out

    # smail, from the command line, with the saved files
    mark = marker(f"setup-{lang}")
    sent = run_main(["-s" + mark, "-Tsent with the saved settings", ALICE], conf)
    assert sent.code == 0, sent.out
    fetch_one(stack, ALICE, mark)

    secrets = _secrets(conf, stack)
    assert len(secrets) >= 2
    for value in secrets:
        for form in forbidden(value, ALICE):
            for text in [*b.seen, out, err, sent.out]:
                assert form not in text, f"a secret (or its base64 form) leaked: {form[:6]}..."


def test_setup_page_refuses_strangers(stack: Stack, browser: Any, tmp_path: Path) -> None:
    """Without the key, or through another host name, the browser gets nothing."""
    port = _free_port()
    run = TokenRun(["setup", "--no-browser", "--port", str(port)], tmp_path,
                   token_env(tmp_path, None))  # fmt: skip
    url = run.wait_line(r"^http://127\.0\.0\.1:\d+/\?k=").strip()
    b = Pages(browser, "en-US", tmp_path)
    try:
        response = b.page.goto(f"http://127.0.0.1:{port}/?k=not-the-key")
        assert response.status == 403
        assert "open the address that smail-token setup printed" in b.step("refused-key")
        response = b.page.goto(f"http://localhost:{port}/myapp/?code=x&state=y")
        assert response.status == 403 and "No sign-in is waiting" in visible_text(b.page)
        b.page.goto(url)
        b.page.click("#b-done")
        b.page.wait_for_selector("h1")
    finally:
        b.context.close()
    code, out, err = run.finish()
    assert code == 0, (out, err)

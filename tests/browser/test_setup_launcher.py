"""`smail-token setup` opens the browser without putting its one-time key on any command line
(issue 12: `ps` and /proc/*/cmdline show every process's argv to every local user): the browser
($BROWSER, a script of the test's own that records its argv) is given the file:// address of a
private launcher file, and Debian's chromium (Playwright) reaches the page through that file."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from browser.tokenutil import LOOPBACK_HOSTS, TokenRun, chromium, token_env, visible_text
from cli.util import free_port


def _recording_browser(folder: Path) -> tuple[str, Path]:
    """A $BROWSER command that writes its argv (JSON) to a file and exits 0."""
    record = folder / "browser-argv.json"
    script = folder / "fake-browser"
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, sys\n"
        f"open({str(record)!r}, 'w').write(json.dumps(sys.argv))\n"
    )
    script.chmod(0o700)
    return f"{script} %s", record


def _wait_for(path: Path, run: TokenRun) -> Any:
    for _ in range(200):
        if path.exists() and path.stat().st_size:
            return json.loads(path.read_text())
        time.sleep(0.1)
    raise AssertionError(f"the browser was not started: {run.stderr()}")


def _argv_of_every_process() -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                found.append((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode())
            except OSError:
                continue  # a process that ended meanwhile
    return found


def test_the_key_is_on_no_command_line_and_the_launcher_opens_the_page(tmp_path: Path) -> None:
    command, record = _recording_browser(tmp_path)
    port = free_port()
    env = token_env(tmp_path, None, {"BROWSER": command})
    run = TokenRun(["setup", "--port", str(port)], tmp_path, env)
    url = run.wait_line(r"^http://127\.0\.0\.1:\d+/\?k=").strip()
    key = url.split("?k=", 1)[1]
    argv = _wait_for(record, run)
    assert not any(key in arg for arg in argv), "the key is on the browser's command line"
    assert len(argv) == 2 and argv[1].startswith("file://"), argv
    launcher = Path(unquote(urlsplit(argv[1]).path))
    assert launcher.is_file() and key in launcher.read_text()
    assert launcher.stat().st_mode & 0o777 == 0o600 and launcher.stat().st_uid == os.getuid()
    assert launcher.parent.stat().st_mode & 0o777 == 0o700
    for line in _argv_of_every_process():  # smail-token's own argv included
        assert key not in line, "the key is on a command line"

    with chromium() as browser:
        context = browser.new_context(locale="en-US")
        blocked: list[str] = []

        def guard(route: Any) -> None:
            parts = urlsplit(route.request.url)
            if parts.scheme == "file" or (parts.hostname or "") in LOOPBACK_HOSTS:
                route.continue_()
            else:
                blocked.append(route.request.url)
                route.abort()

        context.route("**/*", guard)
        try:
            page = context.new_page()
            page.set_default_timeout(20000)
            page.goto(argv[1])  # what the user's browser was told to open
            page.wait_for_url(f"http://127.0.0.1:{port}/?k=*")
            page.wait_for_selector("#b-done")
            assert "smail setup" in visible_text(page)
            assert not launcher.exists() and not launcher.parent.exists()  # used, so removed
            page.click("#b-done")
            page.wait_for_selector("h1")
            assert not blocked, blocked
        finally:
            context.close()
    code, out, err = run.finish()
    assert code == 0, (out, err)


def test_no_launcher_is_left_when_the_page_is_never_opened(tmp_path: Path) -> None:
    command, record = _recording_browser(tmp_path)
    env = token_env(tmp_path, None, {"BROWSER": command})
    run = TokenRun(["setup", "--port", str(free_port()), "--idle", "0.02"], tmp_path, env)
    launcher = Path(unquote(urlsplit(_wait_for(record, run)[1]).path))
    code, out, err = run.finish()
    assert code == 0, (out, err)
    assert not launcher.exists() and not launcher.parent.exists()

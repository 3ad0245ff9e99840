"""Refresh-token rotation against a hostile loopback token endpoint of the suite's own (the real
oidc-provider never returns such tokens): a rotated token with CR/LF is refused and the old one
stays usable; a symlinked token file is written through its link (issue 12)."""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from pysmail.errors import OAuthError
from pysmail.exitcodes import ErrCode
from pysmail.messages import format_error
from pysmail.oauth.provider import TokenSource
from pysmail.oauth.tokenfile import read_token_file

EVIL = "rt-new\r\nTokenURI=http://127.0.0.1:1/steal\r\n[OAUTH2]\r\nRefreshToken=planted"


class TokenEndpoint:
    """A token endpoint that answers each POST with the next body of `answers` (the last one
    repeats) and records the refresh tokens it was sent."""

    def __init__(self) -> None:
        self.answers: list[dict[str, object]] = []
        self.spent: list[str] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length", "0"))
                form = parse_qs(self.rfile.read(length).decode())
                owner.spent.append(form.get("refresh_token", [""])[0])
                answer = owner.answers[min(len(owner.spent), len(owner.answers)) - 1]
                body = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/token"


@pytest.fixture
def endpoint() -> Iterator[TokenEndpoint]:
    end = TokenEndpoint()
    thread = threading.Thread(target=end.server.serve_forever, daemon=True)
    thread.start()
    yield end
    end.server.shutdown()
    end.server.server_close()


def _token_file(path: Path, url: str) -> Path:
    path.write_bytes(
        (
            "; mine\r\n[OAUTH2]\r\nUserID=alice@example.test\r\nClientID=client-1\r\n"
            f"ClientSecret=cs-secret\r\nRefreshToken=rt-old\r\nTokenURI={url}\r\n"
            "OAUTH2_TIME_OUT=5\r\n"
        ).encode()
    )
    if sys.platform != "win32":
        path.chmod(0o600)
    return path


def _answer(access: str, refresh: str) -> dict[str, object]:
    return {"access_token": access, "token_type": "Bearer", "expires_in": 600,
            "refresh_token": refresh}  # fmt: skip


def test_a_rotated_token_with_a_line_break_is_refused_and_the_old_one_stays(
    tmp_path: Path, endpoint: TokenEndpoint
) -> None:
    path = _token_file(tmp_path / "smail_refreshtoken.ini", endpoint.url)
    before = path.read_bytes()
    endpoint.answers = [_answer("at-1", EVIL), _answer("at-2", "rt-2")]
    with pytest.raises(OAuthError) as info:
        TokenSource(path)()
    err = info.value
    assert err.code is ErrCode.NO_ACCESS_TOKEN and err.msgid == "oauth.refresh_token_unsafe"
    for lang in ("en", "ja"):
        shown = format_error(err, lang)  # type: ignore[arg-type]
        assert str(path) in shown and "rt-new" not in shown and "cs-secret" not in shown
    assert path.read_bytes() == before  # no TokenURI= line added, nothing rewritten
    assert not path.with_name(path.name + ".cache").exists()  # the access token was not used
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")) == [path.name]
    # the previous token is still the file's: the next run spends it and saves its successor
    assert TokenSource(path)() == "at-2"
    assert endpoint.spent == ["rt-old", "rt-old"]
    doc = read_token_file(path)
    assert doc.refresh_token == "rt-2" and doc.get("TokenURI") == endpoint.url


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks need privileges on Windows")
def test_rotation_writes_through_a_symlinked_token_file(
    tmp_path: Path, endpoint: TokenEndpoint
) -> None:
    real_dir = tmp_path / "real"
    real_dir.mkdir()
    target = _token_file(real_dir / "tokens.ini", endpoint.url)
    link_dir = tmp_path / "conf"
    link_dir.mkdir()
    link = link_dir / "smail_refreshtoken.ini"
    link.symlink_to(target)
    endpoint.answers = [_answer("at-1", "rt-2")]
    assert TokenSource(link)() == "at-1"
    assert link.is_symlink() and os.readlink(link) == str(target)  # still the link
    assert read_token_file(target).refresh_token == "rt-2"  # the target has the live token
    assert (target.stat().st_mode & 0o777) == 0o600
    assert sorted(p.name for p in real_dir.iterdir()) == ["tokens.ini"]  # no temp file left
    endpoint.answers = [_answer("at-3", "rt-3")]
    path_cache = link.with_name(link.name + ".cache")
    path_cache.unlink()
    assert TokenSource(link)() == "at-3" and endpoint.spent == ["rt-old", "rt-2"]


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks need privileges on Windows")
def test_every_other_write_replaces_a_link_and_leaves_its_target(tmp_path: Path) -> None:
    """Only the rotation writes through a link (its target was just read as the live token
    file); a link planted where smail.ini, a new token file or the cache is written is replaced,
    so the file it points to is never overwritten."""
    from pysmail.fs.atomic import write_atomic

    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    link = tmp_path / "smail.ini"
    link.symlink_to(victim)
    write_atomic(link, b"[smail]\n")
    assert not link.is_symlink() and link.read_bytes() == b"[smail]\n"
    assert victim.read_text() == "precious"

"""The one INI writer (pysmail.text.ini_edit) and every writer that goes through it: the setup
page's smail.ini, `smail-token login`'s token file and the refresh-token rotation. A value with
CR, LF or another control character is refused before a byte is written (issue 12)."""

from __future__ import annotations

import configparser
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pysmail.config.ini import parse_ini
from pysmail.errors import OAuthError
from pysmail.exitcodes import ErrCode
from pysmail.oauth.authorize import LoginPlan, render_token_file
from pysmail.oauth.flow import TokenResponse
from pysmail.oauth.login import save_login
from pysmail.oauth.providers import GENERIC
from pysmail.oauth.tokenfile import parse_token_file, render_update, save_refresh_token
from pysmail.text.ini_edit import UnsafeValue, edit_ini, encode_ini, is_safe, split_lines

UNSAFE = ["a\nb", "a\rb", "a\r\nb", "\n[smail]\nserver = evil", "a\x00b", "a\x1bb", "a\tb",
          "a\x7fb", "a\x85b", "a\u2028b", "a\u2029b", "a\x1cb"]  # fmt: skip
SEED = "[OAUTH2]\r\nUserID=a@b\r\nClientID=c\r\nRefreshToken=old\r\nTokenURI=https://idp/t\r\n"


@given(st.text(st.characters(max_codepoint=0x202F)) | st.text())
def test_is_safe_is_the_character_class_it_replaced(value: str) -> None:
    """A set of characters now, a regex before (docs/decisions.md D47): the same verdicts."""
    assert is_safe(value) == (re.search("[\x00-\x1f\x7f-\x9f\u2028\u2029]", value) is None)


@pytest.mark.parametrize("value", UNSAFE)
def test_every_control_character_is_refused(value: str) -> None:
    with pytest.raises(UnsafeValue) as info:
        edit_ini("[smail]\nserver = x\n", {"smail": {"password": value}})
    assert info.value.key == "password" and value not in str(info.value)
    doc = parse_token_file(Path("t"), SEED.encode())
    with pytest.raises(UnsafeValue):
        render_update(doc, {"RefreshToken": value})
    with pytest.raises(UnsafeValue):
        render_token_file({"UserID": "a@b", "ClientSecret": value})


def test_the_file_is_kept_line_for_line() -> None:
    # CR-only endings stay CR; \x1c and U+2028 inside a comment do not end a line (splitlines
    # would split there and rewrite the comment); repeats of a managed key go.
    old = "; a\x1cb\u2028c\r[smail]\rServer: old\rhelo = h\rserver = again\r"
    new = edit_ini(old, {"smail": {"server": "new", "port": "25"}})
    assert new == "; a\x1cb\u2028c\r[smail]\rServer = new\rhelo = h\rport = 25\r"
    assert split_lines("a\r\nb\rc\nd") == ["a", "b", "c", "d"]


def test_encoding_is_kept_and_a_value_it_cannot_hold_is_refused() -> None:
    old = "; 日本語\r\n[OAUTH2]\r\nRefreshToken=r1\r\n".encode("cp932")
    doc = parse_token_file(Path("t"), old)
    assert render_update(doc, {"RefreshToken": "r2"}) == old.replace(b"r1", b"r2")
    with pytest.raises(UnsafeValue) as info:
        render_update(doc, {"RefreshToken": "r\u00e9\U0001f600"})
    assert info.value.reason == "encoding"
    updates = {"smail": {"user": "山田"}}
    assert encode_ini(edit_ini(None, updates), "utf-16", updates).startswith(b"\xff\xfe")


@given(st.text(alphabet=st.characters(blacklist_categories=["Cc", "Cs", "Zl", "Zp"]), max_size=30))
def test_what_is_written_is_one_line_that_reads_back(value: str) -> None:
    text = edit_ini("[smail]\nserver = x\n\n[other]\nk = v\n", {"smail": {"password": value}})
    assert len(split_lines(text)) == 6 and len(text.splitlines()) == 6
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.read_string(text)
    assert parser["smail"]["password"] == value.strip() and parser["other"]["k"] == "v"
    doc = parse_token_file(Path("t"), SEED.encode())
    again = parse_token_file(Path("t"), render_update(doc, {"ClientSecret": value}))
    assert again.get("TokenURI") == "https://idp/t" and len(again.lines) == 6


def _plan() -> LoginPlan:
    return LoginPlan(
        preset=GENERIC, user="me@example.test", client_id="cid",
        auth_url="https://idp.example/authorize", token_url="https://idp.example/token",
        scopes=("openid", "offline_access"), redirect_uri="http://localhost:8001/myapp/",
    )  # fmt: skip


@pytest.mark.parametrize("field", ["secret", "refresh"])
def test_login_refuses_a_secret_or_token_with_a_line_break(tmp_path: Path, field: str) -> None:
    """`smail-token login` (and the setup page, which calls the same save_login): a client
    secret typed with a newline, or a refresh token a provider sent with one, is not written."""
    path = tmp_path / "smail_refreshtoken.ini"
    path.write_bytes(SEED.encode())
    evil = "x\r\nTokenURI=http://127.0.0.1:9/steal"
    response = TokenResponse(
        access_token="at", token_type="Bearer", expires_in=60,
        refresh_token=evil if field == "refresh" else "rt", scope=None,
    )  # fmt: skip
    with pytest.raises(OAuthError) as info:
        save_login(path, _plan(), response, secret=evil if field == "secret" else "cs",
                   timeout=30, grant="authorization_code", method=None)  # fmt: skip
    err = info.value
    assert err.code is ErrCode.NO_ACCESS_TOKEN and err.msgid == "config.unsafe_value"
    assert err.params["key"] == ("ClientSecret" if field == "secret" else "RefreshToken")
    assert path.read_bytes() == SEED.encode()  # the old file, untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["smail_refreshtoken.ini"]


def test_rotation_writer_refuses_and_keeps_the_old_token(tmp_path: Path) -> None:
    path = tmp_path / "smail_refreshtoken.ini"
    path.write_bytes(SEED.encode())
    doc = parse_token_file(path, SEED.encode())
    with pytest.raises(OAuthError) as info:
        save_refresh_token(doc, "new\nTokenURI=http://127.0.0.1:9/steal")
    assert info.value.msgid == "oauth.refresh_token_unsafe"
    assert path.read_bytes() == SEED.encode()


def test_setup_smail_ini_text_refuses_a_password_with_a_newline(tmp_path: Path) -> None:
    from pysmail.setup.actions import Draft, render_smail_ini

    draft = Draft(user="me@example.test", server="smtp.example.test", port="587", auth="plain")
    good = render_smail_ini(draft, None, password="p;w#d")
    assert parse_ini(good, tmp_path / "smail.ini").secret.password.reveal() == "p;w#d"  # type: ignore[union-attr]
    with pytest.raises(UnsafeValue):
        render_smail_ini(draft, None, password="pw\npassword_command = touch /tmp/x")


def test_setup_save_refuses_and_writes_nothing(tmp_path: Path) -> None:
    """Below the page's own field check: the Save of flows.py maps the writer's refusal to
    ERR-0027 naming the key, and writes neither file."""
    from pysmail.errors import ConfigError
    from pysmail.setup.actions import Draft
    from pysmail.setup.flows import Session
    from pysmail.setup.save import save

    draft = Draft(user="me@example.test", server="smtp.example.test", port="587", auth="plain",
                  folder=str(tmp_path / "conf"))  # fmt: skip
    session = Session(draft=draft, cwd=tmp_path, env={})
    session.password = "pw\n[smail]\nserver = evil"
    with pytest.raises(ConfigError) as info:
        save(session, "en")
    err = info.value
    assert err.code is ErrCode.CONFIG and err.msgid == "config.unsafe_value"
    assert err.params["key"] == "password" and "evil" not in str(err)
    assert not (tmp_path / "conf").exists()

"""smail_refreshtoken.ini: the seed's file, encodings, unknown keys, atomic private rewrite."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pysmail.errors import OAuthError
from pysmail.exitcodes import ErrCode
from pysmail.messages import format_error
from pysmail.oauth.tokenfile import (
    DEFAULT_TIMEOUT,
    parse_token_file,
    read_token_file,
    render_update,
    save_refresh_token,
)

# The seed's example (setup guide, lines 541-549), with its trailing spaces, as CRLF.
SEED = (
    "[OAUTH2] \r\n"
    "UserID=xxxxxxxxxxxxxx@outlook.com \r\n"
    "ClientID=3bxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx \r\n"
    "ClientSecret=se4xxxxxxxxxxxxxxxxxxxxxxxxxxB \r\n"
    "RefreshToken=M.R3_BAY.-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx \r\n"
    "TokenURI=https://login.microsoftonline.com/common/oauth2/v2.0/token \r\n"
    "OuthURI=https://login.microsoftonline.com/common/oauth2/v2.0/authorize \r\n"
    "OAUTH2_TIME_OUT=30 \r\n"
    "Provider=1 \r\n"
)


def _write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "smail_refreshtoken.ini"
    path.write_bytes(data)
    path.chmod(0o600)  # a token file must be private to be read (fs.trust)
    return path


def test_seed_file_is_read_exactly(tmp_path: Path) -> None:
    doc = read_token_file(_write(tmp_path, SEED.encode("ascii")))
    assert doc.user == "xxxxxxxxxxxxxx@outlook.com"
    assert doc.client_id == "3bxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
    assert doc.client_secret == "se4xxxxxxxxxxxxxxxxxxxxxxxxxxB"
    assert doc.refresh_token == "M.R3_BAY.-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
    assert doc.get("TokenURI") == "https://login.microsoftonline.com/common/oauth2/v2.0/token"
    assert doc.get("OuthURI") == "https://login.microsoftonline.com/common/oauth2/v2.0/authorize"
    assert doc.timeout == 30.0
    assert doc.get("Provider") == "1"
    assert doc.newline == "\r\n"
    assert set(doc.secrets()) == {doc.client_secret, doc.refresh_token}
    assert "se4x" not in repr(doc) and "M.R3" not in repr(doc)


def test_keys_are_case_insensitive_and_first_wins_like_getprivateprofilestring() -> None:
    text = (
        "; comment\n[other]\nRefreshToken=not-this\n[oauth2]\nclientid=abc\n"
        "REFRESHTOKEN=first\nrefreshtoken=second\n oauth2_time_out = 12 \nauthuri=x\n"
    )
    doc = parse_token_file(Path("t.ini"), text.encode())
    assert doc.client_id == "abc"
    assert doc.refresh_token == "first"
    assert doc.timeout == 12.0
    assert doc.get("OuthURI") == "x"
    assert doc.newline == "\n"


@pytest.mark.parametrize("raw", ["", "0", "-5", "abc"])
def test_bad_timeout_falls_back_to_the_default(raw: str) -> None:
    doc = parse_token_file(Path("t"), f"[OAUTH2]\nOAUTH2_TIME_OUT={raw}\n".encode())
    assert doc.timeout == DEFAULT_TIMEOUT


def test_cp932_and_bom(tmp_path: Path) -> None:
    text = (
        "; 日本語のコメント\r\n[OAUTH2]\r\nUserID=山田@example.jp\r\n"
        "ClientID=c\r\nRefreshToken=r1\r\n"
    )
    doc = read_token_file(_write(tmp_path, text.encode("cp932")))
    assert doc.encoding == "cp932" and doc.user == "山田@example.jp"
    out = render_update(doc, {"RefreshToken": "r2"})
    assert out.decode("cp932") == text.replace("r1", "r2")

    doc = read_token_file(_write(tmp_path, b"\xef\xbb\xbf" + text.encode("utf-8")))
    assert doc.encoding == "utf-8-sig" and doc.user == "山田@example.jp"
    out = render_update(doc, {"RefreshToken": "r2"})
    assert out.startswith(b"\xef\xbb\xbf") and out[3:].decode() == text.replace("r1", "r2")


def test_rewrite_keeps_unknown_keys_comments_sections_and_spelling() -> None:
    text = (
        "# made by SmailRefreshToken\r\n[OAUTH2]\r\nuserid=a@b\r\nClientID=c\r\n"
        "refreshtoken=old\r\nFutureKey=kept\r\nScope=x y\r\n\r\n[Extra]\r\nRefreshToken=other\r\n"
    )
    doc = parse_token_file(Path("t"), text.encode())
    out = render_update(doc, {"RefreshToken": "new"}).decode()
    assert out == text.replace("refreshtoken=old", "refreshtoken=new")


def test_rewrite_adds_a_missing_key_at_the_end_of_the_section() -> None:
    text = "[OAUTH2]\nClientID=c\n\n[Extra]\nk=v\n"
    doc = parse_token_file(Path("t"), text.encode())
    out = render_update(doc, {"RefreshToken": "r"}).decode()
    assert out == "[OAUTH2]\nClientID=c\nRefreshToken=r\n\n[Extra]\nk=v\n"
    doc = parse_token_file(Path("t"), b"k=v\n")
    assert render_update(doc, {"RefreshToken": "r"}).decode() == "k=v\n\n[OAUTH2]\nRefreshToken=r\n"


@given(st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1))
def test_rewrite_round_trips_any_token(token: str) -> None:
    doc = parse_token_file(Path("t"), SEED.encode())
    again = parse_token_file(Path("t"), render_update(doc, {"RefreshToken": token}))
    expected = token.strip()
    if len(expected) >= 2 and expected[0] == expected[-1] == '"':
        expected = expected[1:-1]
    assert again.refresh_token == expected
    assert {k: v for k, v in again.values.items() if k != "RefreshToken"} == {
        k: v for k, v in doc.values.items() if k != "RefreshToken"
    }


def test_save_is_atomic_private_and_leaves_no_temp_file(tmp_path: Path) -> None:
    path = _write(tmp_path, SEED.encode())
    doc = read_token_file(path)
    os.chmod(path, 0o644)  # the rewrite makes it private again
    save_refresh_token(doc, "M.R3_BAY.new-token")
    again = read_token_file(path)
    assert again.refresh_token == "M.R3_BAY.new-token"
    assert again.client_secret == doc.client_secret
    assert path.read_bytes() == SEED.encode().replace(
        b"RefreshToken=M.R3_BAY.-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx ",
        b"RefreshToken=M.R3_BAY.new-token",
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["smail_refreshtoken.ini"]
    if sys.platform != "win32":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_save_failure_is_err_0028_and_keeps_the_old_file(tmp_path: Path) -> None:
    path = _write(tmp_path, SEED.encode())
    doc = read_token_file(path)
    moved = type(doc)(tmp_path / "gone" / path.name, doc.values, doc.lines)
    with pytest.raises(OAuthError) as info:
        save_refresh_token(moved, "new")
    assert info.value.code is ErrCode.NO_ACCESS_TOKEN
    assert info.value.msgid == "oauth.token_file_write_failed"
    assert read_token_file(path).refresh_token == doc.refresh_token


def test_missing_file_gives_the_seed_warning_and_err_0028(tmp_path: Path) -> None:
    path = tmp_path / "smail_refreshtoken.ini"
    with pytest.raises(OAuthError) as info:
        read_token_file(path)
    err = info.value
    assert err.code is ErrCode.NO_ACCESS_TOKEN and err.msgid == "oauth.token_file_missing"
    ja = format_error(err, "ja")
    assert ja.startswith("ERR-0028:OAUTH 認証サーバからアクセストークンが取得できませんでした。")
    assert str(path) in ja and "正しく INI ファイルを作製して下さい" in ja
    assert "smail-token login" in ja and "smail-token login" in format_error(err, "en")


@pytest.mark.parametrize(
    ("body", "key"),
    [(b"[OAUTH2]\nClientID=c\n", "RefreshToken"), (b"[OAUTH2]\nRefreshToken=r\n", "ClientID")],
)
def test_incomplete_file(tmp_path: Path, body: bytes, key: str) -> None:
    with pytest.raises(OAuthError) as info:
        read_token_file(_write(tmp_path, body))
    assert info.value.msgid == "oauth.token_file_incomplete" and info.value.params["key"] == key


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(OAuthError) as info:
        read_token_file(tmp_path)  # a folder, not a file
    assert info.value.msgid == "oauth.token_file_unreadable"
    assert info.value.code is ErrCode.NO_ACCESS_TOKEN

"""pysmail.oauth.keyref: `RefreshToken=keyring:<account>` against a REAL keyring backend
(keyrings.alt's PlaintextKeyring, its file in the test's own XDG_DATA_HOME), and TokenSource
rotating into the keyring while the file stays byte for byte the same."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from pysmail.errors import OAuthError
from pysmail.exitcodes import ErrCode
from pysmail.messages import format_error
from pysmail.oauth import keyref
from pysmail.oauth.http import HttpResult
from pysmail.oauth.provider import TokenSource
from pysmail.oauth.store import fingerprint, read_cache
from pysmail.oauth.tokenfile import read_token_file, save_refresh_token
from pysmail.redact import Scrubber

ACCOUNT = "alice@example.test|mailcli|127.0.0.1:9"


@pytest.fixture
def backend(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A real file-backed keyring of this test alone; yields the file it writes."""
    import keyring
    from keyrings.alt.file import PlaintextKeyring

    data = tmp_path / "xdg-data"
    monkeypatch.setenv("XDG_DATA_HOME", str(data))
    monkeypatch.setenv("HOME", str(tmp_path))
    before = keyring.get_keyring()
    ring = PlaintextKeyring()
    keyring.set_keyring(ring)
    assert str(data) in ring.file_path  # never the developer's own keyring
    try:
        yield Path(ring.file_path)
    finally:
        keyring.set_keyring(before)


def test_reference_parsing_is_pure() -> None:
    assert keyref.reference_account("keyring:a|b|c") == "a|b|c"
    assert keyref.reference_account("KEYRING:a|b|c") == "a|b|c"
    assert keyref.reference_account("M.R3_BAY.keyring:x") is None
    assert keyref.reference_account("") is None and keyref.reference_account(None) is None
    assert keyref.reference_account("keyring:") == ""
    assert keyref.reference("a|b|c") == "keyring:a|b|c"


def test_account_names_user_client_and_token_host() -> None:
    uri = "https://Login.MicrosoftOnline.com/common/oauth2/v2.0/token"
    assert keyref.account_for("u@x", "cid", uri) == "u@x|cid|login.microsoftonline.com"
    assert (
        keyref.account_for("u@x", "cid", "http://127.0.0.1:8080/token") == "u@x|cid|127.0.0.1:8080"
    )
    assert keyref.account_for("u@x", "cid", None) == "u@x|cid|"


def test_store_fetch_delete_round_trip(backend: Path) -> None:
    keyref.store(ACCOUNT, "rt-secret-1")
    assert backend.is_file() and "[pysmail_2Doauth]" in backend.read_text()  # escaped name
    assert keyref.fetch(ACCOUNT) == "rt-secret-1"
    keyref.store(ACCOUNT, "rt-secret-2")
    assert keyref.fetch(ACCOUNT) == "rt-secret-2"
    assert keyref.delete(ACCOUNT) is True
    assert keyref.delete(ACCOUNT) is False
    with pytest.raises(OAuthError) as info:
        keyref.fetch(ACCOUNT, Path("smail_refreshtoken.ini"))
    assert info.value.code is ErrCode.NO_ACCESS_TOKEN
    assert info.value.msgid == "oauth.keyring_no_entry"
    shown = format_error(info.value, "en")
    assert "ERR-0028" in shown and "smail-token login --keyring" in shown and ACCOUNT in shown


def test_missing_keyring_package_says_how_to_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "keyring", None)  # import keyring -> ImportError
    with pytest.raises(OAuthError) as info:
        keyref.fetch(ACCOUNT, Path("t.ini"))
    assert info.value.msgid == "oauth.keyring_missing"
    for lang in ("en", "ja"):
        shown = format_error(info.value, lang)  # type: ignore[arg-type]
        assert "ERR-0028" in shown and "pip install pysmail[keyring]" in shown
        assert "smail-token login" in shown


def test_backend_failure_shows_no_value(backend: Path) -> None:
    import keyring
    from keyring.backend import KeyringBackend

    class Broken(KeyringBackend):
        priority = 1  # type: ignore[assignment]

        def get_password(self, service: str, username: str) -> str | None:
            raise RuntimeError("locked; value was rt-should-not-show")

        def set_password(self, service: str, username: str, password: str) -> None:
            raise RuntimeError(f"cannot store {password}")

        def delete_password(self, service: str, username: str) -> None:
            raise RuntimeError("no")

    keyring.set_keyring(Broken())
    with pytest.raises(OAuthError) as info:
        keyref.store(ACCOUNT, "rt-should-not-show")
    shown = format_error(info.value, "en")
    assert info.value.msgid == "oauth.keyring_error" and "RuntimeError" in shown
    assert "rt-should-not-show" not in shown


def _reference_file(folder: Path, token_uri: str = "http://127.0.0.1:9/token") -> Path:
    path = folder / "smail_refreshtoken.ini"
    path.write_bytes(
        b"[OAUTH2]\r\nUserID=alice@example.test\r\nClientID=mailcli\r\nClientSecret=cs-1\r\n"
        b"RefreshToken=keyring:" + ACCOUNT.encode() + b"\r\nTokenURI=" + token_uri.encode()
        + b"\r\nOAUTH2_TIME_OUT=5\r\nProvider=generic\r\n"
    )  # fmt: skip
    path.chmod(0o600)  # it holds a client secret: private (fs.trust)
    return path


def test_resolve_replaces_the_reference_and_keeps_the_rest(backend: Path, tmp_path: Path) -> None:
    path = _reference_file(tmp_path)
    raw = read_token_file(path)
    assert raw.keyring_account is None and raw.secrets() == ("cs-1",)  # a reference is no secret
    keyref.store(ACCOUNT, "rt-from-ring")
    doc = keyref.resolve(raw)
    assert doc.refresh_token == "rt-from-ring" and doc.keyring_account == ACCOUNT
    assert set(doc.secrets()) == {"cs-1", "rt-from-ring"}
    assert doc.user == raw.user and doc.lines == raw.lines
    # a rotation through the file API goes to the keyring; the file is not rewritten
    before = path.read_bytes()
    save_refresh_token(doc, "rt-rotated")
    assert keyref.fetch(ACCOUNT) == "rt-rotated" and path.read_bytes() == before
    plain = tmp_path / "plain.ini"
    plain.write_text("[OAUTH2]\nClientID=c\nRefreshToken=rt-plain\n")
    plain.chmod(0o600)
    assert keyref.resolve(read_token_file(plain)) == read_token_file(plain)


class _Endpoint:
    """A token endpoint that rotates the refresh token on every use (oidc-provider's rule)."""

    def __init__(self, current: str) -> None:
        self.current = current
        self.seen: list[str] = []
        self.n = 0

    def post_form(
        self,
        url: str,
        data: Mapping[str, str],
        *,
        auth: tuple[str, str] | None,
        timeout: float,
    ) -> HttpResult:
        self.seen.append(data.get("refresh_token", ""))
        if data.get("refresh_token") != self.current:
            return HttpResult(400, {}, {"error": "invalid_grant"})
        self.n += 1
        self.current = f"rt-rotated-{self.n}"
        body = {"access_token": f"at-{self.n}", "token_type": "Bearer", "expires_in": 3600,
                "refresh_token": self.current}  # fmt: skip
        return HttpResult(200, {}, body)

    def get_json(self, url: str, *, timeout: float) -> HttpResult:
        raise AssertionError("no discovery expected")


def test_token_source_rotates_into_the_keyring(backend: Path, tmp_path: Path) -> None:
    path = _reference_file(tmp_path)
    keyref.store(ACCOUNT, "rt-initial")
    before = path.read_bytes()
    endpoint = _Endpoint("rt-initial")
    lines: list[str] = []
    scrubber = Scrubber()
    source = TokenSource(path, http=endpoint, scrubber=scrubber, trace=lines.append)
    assert source() == "at-1"
    assert endpoint.seen == ["rt-initial"]
    assert keyref.fetch(ACCOUNT) == "rt-rotated-1"  # the successor is in the keyring
    assert path.read_bytes() == before  # and the file still holds only the reference
    cache = read_cache(path)
    assert cache is not None and cache.refresh_fingerprint == fingerprint("rt-rotated-1")
    # a second process finds the cache valid for the keyring's token: no request
    again = TokenSource(path, http=endpoint, scrubber=Scrubber())
    assert again() == "at-1" and endpoint.n == 1
    # the cache is retired: the next source spends the keyring's (rotated) token
    again.invalidate()
    assert again() == "at-2" and endpoint.seen[-1] == "rt-rotated-1"
    assert keyref.fetch(ACCOUNT) == "rt-rotated-2" and path.read_bytes() == before
    for secret in ("rt-initial", "rt-rotated-1", "at-1"):
        assert all(secret not in line for line in lines)
    assert scrubber.scrub("x rt-rotated-1 y") != "x rt-rotated-1 y"


def test_token_source_missing_entry_is_err_0028(backend: Path, tmp_path: Path) -> None:
    path = _reference_file(tmp_path)
    with pytest.raises(OAuthError) as info:
        TokenSource(path, http=_Endpoint("x"))
    assert info.value.code is ErrCode.NO_ACCESS_TOKEN
    assert info.value.msgid == "oauth.keyring_no_entry"


def test_login_keyring_without_the_package_stops_before_sign_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    from pysmail.cli.token_main import main

    monkeypatch.setitem(sys.modules, "keyring", None)
    err = io.StringIO()
    code = main(
        ["login", "--keyring", "--provider", "generic", "--token-url", "http://127.0.0.1:9/t",
         "--auth-url", "http://127.0.0.1:9/a", "--user", "u@x.test", "--client-id", "c",
         "--public", "--no-browser"],
        stdout=io.StringIO(), stderr=err, stdin=io.StringIO(""), environ={"LANG": "C"},
        cwd=tmp_path, interactive=False,
    )  # fmt: skip
    assert code == 28, err.getvalue()
    assert "pip install pysmail[keyring]" in err.getvalue()
    assert not (tmp_path / "smail_refreshtoken.ini").exists()

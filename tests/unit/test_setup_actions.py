"""The setup page's pure part: form -> Draft, validation, smail.ini text, language choice,
redirect URI, command line; and the page's escaping (no secret can reach it)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pysmail.config.ini import parse_ini
from pysmail.config.model import AuthMode, TlsMode
from pysmail.setup.actions import (
    Draft,
    apply_defaults,
    command_line,
    draft_from_form,
    issuer_problem,
    provider_defaults,
    redirect_uri,
    render_smail_ini,
    update_ini,
    validate,
)
from pysmail.setup.flows import Notice
from pysmail.setup.page import PageView, render_page
from pysmail.setup.request import choose_lang

GOOD = Draft(
    provider="microsoft",
    user="me@contoso.com",
    client_id="3b2c-11",
    server="smtp.office365.com",
    port="587",
    tls="starttls",
    auth="oauth-xoauth2",
    test_to="you@example.jp",
    folder="/home/me",
)


def test_form_to_draft_trims_lowers_and_reads_checkboxes() -> None:
    draft = draft_from_form(
        {"provider": " Google ", "user": " a@b.c ", "pop_enabled": "1", "tls": "SMTPS"}
    )
    assert draft.provider == "google" and draft.user == "a@b.c" and draft.tls == "smtps"
    assert draft.pop_enabled is True
    assert draft_from_form({}).pop_enabled is False
    assert draft_from_form({}).server == ""


def test_provider_defaults() -> None:
    ms, google = provider_defaults("microsoft"), provider_defaults("google")
    assert (ms.server, ms.port, ms.tls, ms.auth) == ("smtp.office365.com", "587", "starttls",
                                                     "oauth-xoauth2")  # fmt: skip
    assert (google.server, google.port, google.tls) == ("smtp.gmail.com", "465", "smtps")
    typed = replace(GOOD, provider="generic", server="mail.example.org", port="25")
    assert apply_defaults(typed).server == "mail.example.org"
    assert apply_defaults(typed).port == "587"
    assert apply_defaults(replace(GOOD, provider="google", server="x")).server == "smtp.gmail.com"


def test_valid_drafts_have_no_errors() -> None:
    for need in ("token", "test", "save"):
        assert validate(GOOD, need=need) == {}, need  # type: ignore[arg-type]
    generic = replace(GOOD, provider="generic", issuer="http://127.0.0.1:5555")
    assert validate(generic, need="token") == {}


@pytest.mark.parametrize(
    ("change", "need", "field", "msgid"),
    [
        ({"user": ""}, "token", "user", "setup.err_required"),
        ({"user": "no-at-sign"}, "token", "user", "setup.err_address"),
        ({"client_id": "has space"}, "token", "client_id", "setup.err_client_id"),
        ({"tenant": "bad/tenant"}, "token", "tenant", "setup.err_tenant"),
        ({"provider": "generic"}, "token", "issuer", "setup.err_required"),
        (
            {"provider": "generic", "issuer": "http://id.example.com"},
            "token",
            "issuer",
            "setup.err_issuer",
        ),
        (
            {"provider": "generic", "issuer": "https://id.example.com/?x=1"},
            "token",
            "issuer",
            "setup.err_issuer",
        ),
        ({"provider": "yahoo"}, "token", "provider", "setup.err_choice"),
        ({"scope": 'a "b"'}, "token", "scope", "setup.err_scope"),
        ({"port": "0"}, "save", "port", "setup.err_port"),
        ({"port": "٥٨٧"}, "save", "port", "setup.err_port"),
        ({"server": "bad host"}, "save", "server", "setup.err_host"),
        ({"tls": "ssl"}, "save", "tls", "setup.err_choice"),
        ({"auth": "ntlm"}, "save", "auth", "setup.err_choice"),
        ({"sender": "Me <nope>"}, "save", "sender", "setup.err_address"),
        ({"folder": ""}, "save", "folder", "setup.err_required"),
        ({"test_to": ""}, "test", "test_to", "setup.err_required"),
        ({"pop_enabled": True}, "save", "pop_user", "setup.err_required"),
        ({"server": "smtp.example.com\n[evil]"}, "save", "server", "setup.err_control"),
        ({"sender": "Me <me@x.jp>\r\npassword = x"}, "save", "sender", "setup.err_control"),
    ],
)
def test_each_problem_is_named(change: dict[str, object], need: str, field: str,
                               msgid: str) -> None:  # fmt: skip
    errors = validate(replace(GOOD, **change), need=need)  # type: ignore[arg-type]
    assert errors.get(field) == msgid, errors


def test_password_auth_needs_no_account_but_a_user() -> None:
    plain = replace(GOOD, auth="plain", client_id="", user="")
    errors = validate(plain, need="save")
    assert "client_id" not in errors and errors["user"] == "setup.err_required"


def test_issuer_rules() -> None:
    assert issuer_problem("https://login.example.com/tenant") is None
    assert issuer_problem("http://localhost:8080") is None
    assert issuer_problem("http://evil.example") == "setup.err_issuer"
    assert issuer_problem("https://user@id.example") == "setup.err_issuer"
    assert issuer_problem("https://[bad") == "setup.err_issuer"


def test_new_smail_ini_reads_back_as_written(tmp_path: Path) -> None:
    draft = replace(GOOD, sender="Me <me@contoso.com>", cafile="ca.pem", charset="utf-8")
    text = render_smail_ini(draft, None)
    assert "[pop_before_smtp]" not in text
    ini = parse_ini(text, tmp_path / "smail.ini")
    assert ini.server == "smtp.office365.com" and ini.port == 587 and ini.tls is TlsMode.STARTTLS
    assert ini.auth is AuthMode.OAUTH_XOAUTH2 and "auth = OAUTH-XOAUTH2" in text
    assert ini.user == "me@contoso.com" and ini.sender == "Me <me@contoso.com>"
    assert ini.cafile == str(tmp_path / "ca.pem")
    assert ini.oauth_token_file == str(tmp_path / "smail_refreshtoken.ini")
    assert ini.secret.password is None and ini.unknown == ()


def test_password_written_only_for_password_mechanisms(tmp_path: Path) -> None:
    plain = replace(GOOD, auth="plain")
    text = render_smail_ini(plain, None, password="pw;with#chars")
    ini = parse_ini(text, tmp_path / "smail.ini")
    assert ini.secret.password is not None and ini.secret.password.reveal() == "pw;with#chars"
    assert ini.oauth_token_file is None
    assert "password" not in render_smail_ini(GOOD, None, password="pw")


def test_rewrite_keeps_comments_unknown_keys_and_sections(tmp_path: Path) -> None:
    old = (
        "; my comment\n[SMAIL]\nServer = old.example.com\nhelo = me.local\nport = 25\n"
        "port = 26\npassword_command = pass show x\n\n[other]\nkey = v\n"
        "[pop_before_smtp]\nenabled = yes\nuser = u\npassword = popsecret\n"
    )
    text = render_smail_ini(GOOD, old, "\r\n")  # the file's own LF and spelling are kept
    assert text.startswith("; my comment\n[SMAIL]\nServer = smtp.office365.com\n")
    assert "helo = me.local" in text and "password_command = pass show x" in text
    assert text.count("port =") == 1 and "[other]\nkey = v" in text and "\r" not in text
    assert "enabled = no" in text and "password = popsecret" in text and "user = u" in text
    ini = parse_ini(text, tmp_path / "smail.ini")
    assert ini.port == 587 and ini.helo == "me.local" and ini.pop.enabled is False
    # the new keys go before the blank line that ends [smail]
    assert text.index("oauth_token_file") < text.index("[other]")


def test_update_ini_adds_missing_section_and_removes_keys() -> None:
    assert update_ini("[a]\nx = 1\ny = 2\n", {"a": {"y": None}, "b": {"z": "3", "w": None}}) == (
        "[a]\nx = 1\n\n[b]\nz = 3\n"
    )
    assert update_ini(None, {"a": {"k": "v"}}, header=("; h",)) == "; h\n\n[a]\nk = v\n"
    # commented-out keys are left alone
    assert update_ini("[a]\n;x = 1\n", {"a": {"x": "2"}}) == "[a]\n;x = 1\nx = 2\n"


@given(st.text(alphabet=st.characters(blacklist_categories=["Cc", "Cs"]), max_size=40))
def test_no_value_can_add_an_ini_line(value: str) -> None:
    """Whatever passes validation is one line: control characters are refused first."""
    draft = replace(GOOD, sender=value.strip(), server=value.strip() or "x")
    if validate(draft, need="save"):
        return
    text = render_smail_ini(draft, None)
    assert len(text.splitlines()) == len(render_smail_ini(GOOD, None).splitlines())


def test_choose_lang() -> None:
    assert choose_lang("ja", "en-US", "en") == "ja"
    assert choose_lang(None, "ja,en-US;q=0.9", "en") == "ja"
    assert choose_lang(None, "en-US,en;q=0.9,ja;q=0.8", "ja") == "en"
    assert choose_lang(None, "fr-FR, ja;q=0.5, en;q=0.4", "en") == "ja"
    assert choose_lang(None, "fr-FR", "ja") == "ja"
    assert choose_lang("de", None, "en") == "en"
    assert choose_lang(None, "ja;q=0, en;q=0.1", "ja") == "en"


def test_redirect_uri_and_command_line() -> None:
    assert redirect_uri("microsoft", 8001) == "http://localhost:8001/myapp/"
    assert redirect_uri("generic", 9000) == "http://localhost:9000/myapp/"
    assert redirect_uri("google", 9000) == "http://127.0.0.1:9000/myapp/"
    assert command_line("/w", "/w", "/u", False).startswith('smail -s"Test"')
    assert "--config '/x/smail.ini'" in command_line("/x", "/w", "/u", False)
    assert '--config "C:\\x\\smail.ini"' in command_line("C:\\x\\", "C:\\w", "C:\\u", True)


def _view(**kw: object) -> PageView:
    base = {"lang": "en", "key": "KEY", "csrf": "CSRF", "nonce": "N", "port": 8001, "draft": GOOD}
    base.update(kw)
    return PageView(**base)  # type: ignore[arg-type]


def test_page_escapes_every_value() -> None:
    evil = '"><script>alert(1)</script>'
    draft = replace(GOOD, user=evil, server=evil, folder=evil, test_to=evil)
    notice = Notice(False, evil, evil)
    page = render_page(_view(draft=draft, notices={"test": notice}, saved=(evil,),
                             command=evil, token_note=evil, port_note=evil)).decode()  # fmt: skip
    assert "<script>alert" not in page
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 8
    assert page.count("<script") == 1  # ours, with the nonce
    assert '<script nonce="N">' in page


def test_page_has_no_secret_and_both_languages() -> None:
    en = render_page(_view(secret_stored=True, password_stored=True)).decode()
    ja = render_page(_view(lang="ja", secret_stored=True)).decode()
    assert 'name="client_secret" value=""' in en and 'name="password" value=""' in en
    assert "A secret is stored (not shown)" in en and "Get refresh token" in en
    assert "シークレットは保存済み" in ja and "リフレッシュトークンを取得" in ja
    assert '<html lang="ja">' in ja
    assert 'action="/?k=KEY&amp;lang=ja"' in ja and 'name="csrf" value="CSRF"' in ja
    assert "http://localhost:8001/myapp/" in en


def test_page_marks_fields_in_error() -> None:
    page = render_page(_view(errors={"port": "setup.err_port"})).decode()
    assert 'aria-invalid="true"' in page and "A port is a number from 1 to 65535." in page
    assert "Some fields need attention" in page

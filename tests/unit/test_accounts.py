"""Accounts in smail.ini: `[account NAME]` layered over `[smail]` (config/accounts.py, D34)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pysmail.app.settings import load_ini, load_settings, spool, spool_of
from pysmail.cli.smail_args import parse_args
from pysmail.config.accounts import account_sections, layered
from pysmail.config.ini import parse_ini
from pysmail.config.merge import merge
from pysmail.config.model import AuthMode, IniSettings, Secret, TlsMode
from pysmail.errors import ConfigError
from pysmail.exitcodes import ErrCode
from pysmail.messages import format_error

INI = Path("/conf/smail.ini")
FILE = """\
[smail]
server = mail.example.com
port = 587
tls = starttls
user = base@example.com
password = base-password
oauth_token_file = base-token.ini
outbox_dir = /spool/base
{default}
[pop_before_smtp]
enabled = yes
user = pop-base
timeout = 7

[account Work]
user = work@example.com
from = Work <work@example.com>
password_command = pass show work

[account work pop_before_smtp]
user = pop-work

[account home]
server = smtp.home.example
auth = OAUTH-XOAUTH2
"""


def _ini(account: str | None = None, default: str = "") -> IniSettings:
    return parse_ini(FILE.format(default=default), INI, account)


def test_a_file_without_accounts_reads_as_before() -> None:
    text = "[smail]\nserver = a.example\nuser = u\npassword = pw\n"
    ini = parse_ini(text, INI)
    assert ini == IniSettings(
        path=str(INI),
        server="a.example",
        user="u",
        secret=ini.secret,  # compared below
    )
    assert ini.account is None and ini.oauth_token_file is None and ini.unknown == ()
    assert ini.secret.password == Secret("pw") and ini.secret.file == str(INI)


def test_without_account_or_default_the_accounts_are_not_used() -> None:
    ini = _ini()
    assert ini.account is None
    assert ini.user == "base@example.com" and ini.oauth_token_file == "/conf/base-token.ini"
    assert ini.pop.user == "pop-base" and ini.unknown == ()


def test_an_account_inherits_smail_and_overrides_what_it_sets() -> None:
    ini = _ini("work")
    assert ini.account == "Work"  # the name as the section writes it
    assert (ini.server, ini.port, ini.tls) == ("mail.example.com", 587, TlsMode.STARTTLS)
    assert (ini.user, ini.sender) == ("work@example.com", "Work <work@example.com>")
    # the password sources go as one group: [smail]'s password is not also there
    assert ini.secret.command == "pass show work" and ini.secret.password is None
    # [account Work pop_before_smtp] over [pop_before_smtp], key by key
    assert (ini.pop.enabled, ini.pop.user, ini.pop.timeout) == (True, "pop-work", 7.0)


def test_an_account_without_password_keys_keeps_those_of_smail() -> None:
    ini = _ini("home")
    assert ini.server == "smtp.home.example" and ini.auth is AuthMode.OAUTH_XOAUTH2
    assert ini.user == "base@example.com" and ini.secret.password == Secret("base-password")
    assert ini.pop.user == "pop-base"  # no pop section of its own: [pop_before_smtp]'s


def test_token_file_and_outbox_are_never_inherited() -> None:
    home, work = _ini("home"), _ini("work")
    assert home.oauth_token_file == "/conf/smail_refreshtoken.home.ini"
    assert work.oauth_token_file == str(Path("/conf/smail_refreshtoken.Work.ini"))
    assert home.outbox_dir is None and work.outbox_dir is None
    own = parse_ini(FILE.format(default="") + "oauth_token_file = sub/t.ini\n", INI, "home")
    assert own.oauth_token_file == "/conf/sub/t.ini"  # the account's own, relative to INI


def test_default_account_picks_one_and_account_names_are_case_blind() -> None:
    assert _ini(default="default_account = HOME").account == "home"
    assert _ini("WORK", default="default_account = home").account == "Work"  # --account wins


def test_an_unknown_account_names_the_ones_there_are() -> None:
    with pytest.raises(ConfigError) as caught:
        _ini("private")
    err = caught.value
    assert (err.code, err.msgid) == (ErrCode.CONFIG, "config.unknown_account")
    assert err.params["accounts"] == "home, Work" and err.params["name"] == "private"
    block = format_error(err, "en")
    assert block.startswith("ERR-0027:")
    assert 'no account "private"' in block and "Its accounts: home, Work." in block
    assert "home, Work" in format_error(err, "ja") and "private" in format_error(err, "ja")


def test_a_default_account_naming_nothing_is_its_own_error() -> None:
    with pytest.raises(ConfigError) as caught:
        _ini(default="default_account = gone")
    assert caught.value.msgid == "config.unknown_default_account"
    assert "default_account = gone" in format_error(caught.value, "en")


def test_a_file_with_no_accounts_says_so() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_ini("[smail]\nserver = a\n", INI, "work")
    assert caught.value.params["accounts"] == "-"


def test_malformed_account_sections_are_unknown_sections_not_errors() -> None:
    text = (
        "[smail]\nserver = a\n[account]\nx = 1\n[account a/b]\nx = 1\n[account x y]\n"
        "[account lone pop_before_smtp]\nuser = p\n[account ok]\ndefault_account = ok\n"
    )
    ini = parse_ini(text, INI)
    assert set(ini.unknown) == {
        ("account", "*"),
        ("account a/b", "*"),
        ("account x y", "*"),
        ("account lone pop_before_smtp", "*"),
    }
    chosen = parse_ini(text, INI, "ok")  # default_account means nothing inside an account
    assert ("account ok", "default_account") in chosen.unknown
    with pytest.raises(ConfigError):
        parse_ini(text, INI, "lone")  # a pop section alone is no account


def test_account_names_fit_file_names() -> None:
    good = ["a", "Work", "info@example.com", "a.b-c_d+e", "営業"]
    bad = ["-a", "a.", "_a", "a/b", "a:b", "x" * 65]
    names = [f"account {n}" for n in good + bad]
    assert sorted(a.name for a in account_sections(names).values()) == sorted(good)


def test_layering_is_pure_and_keeps_the_lower_section() -> None:
    below = {"server": "a", "secret": "S", "outbox_dir": "o", "oauth_token_file": "t"}
    assert layered(below, {"port": 1}) == {"server": "a", "secret": "S", "port": 1}
    assert layered(below, {"secret": "T"})["secret"] == "T"
    assert below["outbox_dir"] == "o"


def test_settings_name_the_account_and_its_outbox_is_its_own(tmp_path: Path) -> None:
    ini = _ini("work")
    settings = merge(parse_args(["x@example.com"]).overrides, ini)
    assert settings.account == "Work" and settings.config_path == str(INI)
    env = {"HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data")}
    base = spool(None, env)  # the per-user outbox of this OS
    assert base.name == "outbox"
    assert spool(ini, env) == spool_of(settings, env) == base.with_name("outbox-Work")
    assert spool(_ini(), env) == Path("/spool/base")


def test_load_ini_reads_the_account_and_refuses_one_without_a_file(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    with pytest.raises(ConfigError) as caught:
        load_ini(None, env, tmp_path, "work")
    assert caught.value.msgid == "config.account_without_file"
    assert 'account "work"' in format_error(caught.value, "en")
    assert load_ini(None, env, tmp_path) is None  # no account, no file: as before
    path = tmp_path / "smail.ini"
    path.write_text(FILE.format(default=""), encoding="utf-8")
    path.chmod(0o600)
    ini = load_ini(None, env, tmp_path, "home")
    assert ini is not None and ini.account == "home"
    given = parse_args(["--account", "home", "x@example.com"]).overrides
    settings = load_settings(given, None, env, tmp_path, "home")
    assert settings.server.host == "smtp.home.example"


def test_account_option_is_parsed() -> None:
    cmd = parse_args(["--account=work", "x@example.com"])
    assert cmd.account == "work" and "account" in cmd.given

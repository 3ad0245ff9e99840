"""pysmail.Account from smail.ini: the same reader, lookup and checks as `smail`."""

from __future__ import annotations

from pathlib import Path

import pytest

import pysmail

INI = (
    "[smail]\n"
    "server = mail.example.test\n"
    "port = 587\n"
    "user = alice@example.test\n"
    "from = Alice <alice@example.test>\n"
    "\n"
    "[account shared]\n"
    "server = shared.example.test\n"
    "user = team@example.test\n"
    "from = team@example.test\n"
)


def _ini(tmp_path: Path) -> Path:
    path = tmp_path / "smail.ini"
    path.write_text(INI, encoding="utf-8")
    path.chmod(0o600)
    return path


def test_from_file(tmp_path: Path) -> None:
    account = pysmail.Account.from_file(_ini(tmp_path))
    assert (account.host, account.port, account.tls) == ("mail.example.test", 587, "starttls")
    assert account.user == "alice@example.test"
    assert account.sender == "Alice <alice@example.test>"
    assert account.token_file is None


def test_from_file_by_the_usual_lookup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMAIL_CONFIG", str(_ini(tmp_path)))
    assert pysmail.Account.from_file().host == "mail.example.test"


def test_no_settings_file_is_err_0012(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SMAIL_CONFIG", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("APPDATA", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(pysmail.UsageError) as info:
        pysmail.Account.from_file()
    assert info.value.err_code == 12


def test_a_missing_file_named_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(pysmail.SmailError) as info:
        pysmail.Account.from_file(tmp_path / "nothing.ini")
    assert info.value.err_code == 27


def test_from_file_by_account_name(tmp_path: Path) -> None:
    account = pysmail.Account.from_file(_ini(tmp_path), name="shared")
    assert (account.host, account.user) == ("shared.example.test", "team@example.test")
    assert account.port == 587  # inherited from [smail]
    assert account.sender == "team@example.test"


def test_an_unknown_account_names_those_that_exist(tmp_path: Path) -> None:
    with pytest.raises(pysmail.ConfigError) as info:
        pysmail.Account.from_file(_ini(tmp_path), name="nosuch")
    assert info.value.err_code == 27
    assert "nosuch" in str(info.value) and "shared" in str(info.value)


def test_default_account_is_used_without_a_name(tmp_path: Path) -> None:
    path = _ini(tmp_path)
    path.write_text(INI.replace("[smail]\n", "[smail]\ndefault_account = shared\n"), "utf-8")
    assert pysmail.Account.from_file(path).host == "shared.example.test"
    assert pysmail.Account.from_file(path, name="").host == "mail.example.test"  # [smail] alone

"""smail.ini reading, the lookup order and the layering defaults < smail.ini < command line."""

from __future__ import annotations

import importlib.machinery
from pathlib import Path

import pytest

from pysmail.catalog import CATALOGUE
from pysmail.cli.smail_args import parse_args
from pysmail.config.ini import decode_ini, parse_ini, read_ini
from pysmail.config.merge import merge
from pysmail.config.model import (
    MAX_TEXT_LENGTH,
    AuthMode,
    Charset,
    IniSettings,
    PopTls,
    Secret,
    TlsMode,
)
from pysmail.config.paths import command_folders, find_config, folders_of_command
from pysmail.errors import ConfigError, Pop3Error, UsageError
from pysmail.exitcodes import ErrCode
from pysmail.fs.userdirs import user_config_dir

INI = Path("/etc/pysmail/smail.ini")

GOOD_INI = """\
; SMAIL-style comment
# another comment
[SMAIL]
Server = smtp.office365.com
PORT=587
tls = STARTTLS
tls_verify = no
cafile = certs/ca.pem
auth = OAUTH-XOAUTH2
user = me@example.com
from = Me <me@example.com>
charset = UTF-8
body_encoding = Shift_JIS
helo = client.example
timeout = 12.5
allow_plaintext_auth = yes
max_text_length = 1000
oauth_token_file = ~/tokens/smail_refreshtoken.ini
password_command = pass show mail
password_keyring = yes
password = p%w;d#x
Blowfish_Thing = kept

[pop_before_smtp]
enabled = on
server = pop.example.com
tls = POP3S
apop = 1
user = popuser
password = pop%pw
wait_ms = 500
timeout = 7

[SomethingElse]
x = 1
"""


def test_good_file_every_key() -> None:
    ini = parse_ini(GOOD_INI, INI)
    assert ini.path == str(INI)
    assert ini.server == "smtp.office365.com"
    assert ini.port == 587
    assert ini.tls is TlsMode.STARTTLS
    assert ini.tls_verify is False
    assert ini.cafile == "/etc/pysmail/certs/ca.pem"
    assert ini.auth is AuthMode.OAUTH_XOAUTH2
    assert ini.user == "me@example.com"
    assert ini.sender == "Me <me@example.com>"
    assert ini.charset is Charset.UTF_8
    assert ini.body_encoding == "shift_jis"
    assert ini.helo == "client.example"
    assert ini.timeout == 12.5
    assert ini.allow_plaintext_auth is True
    assert ini.max_text_length == 1000
    assert ini.oauth_token_file == str(Path("~/tokens/smail_refreshtoken.ini").expanduser())
    assert ini.secret.command == "pass show mail"
    assert ini.secret.keyring is True
    # no interpolation, no inline comments: "%", ";" and "#" belong to the password
    assert ini.secret.password == Secret("p%w;d#x")
    assert ini.secret.file == str(INI)
    pop = ini.pop
    assert (pop.enabled, pop.server, pop.port, pop.tls, pop.apop, pop.user) == (
        True,
        "pop.example.com",
        None,
        PopTls.POP3S,
        True,
        "popuser",
    )
    assert pop.secret.password == Secret("pop%pw") and pop.secret.file == str(INI)
    assert (pop.wait_ms, pop.timeout) == (500, 7.0)
    assert set(ini.unknown) == {("SMAIL", "blowfish_thing"), ("SomethingElse", "*")}


def test_password_never_in_repr() -> None:
    ini = parse_ini(GOOD_INI, INI)
    assert "p%w;d#x" not in repr(ini)
    assert "pop%pw" not in repr(ini) and "pop%pw" not in str(ini.pop)


def test_empty_and_missing() -> None:
    assert parse_ini("", INI) == IniSettings(path=str(INI))
    ini = parse_ini("[smail]\nserver=\nport=\npassword=\n", INI)
    assert ini.server is None and ini.port is None and ini.secret.password is None
    assert ini.secret.file is None


BAD_VALUES = [
    ("port", "0"),
    ("port", "65536"),
    ("port", "smtp"),
    ("tls", "ssl"),
    ("tls_verify", "maybe"),
    ("auth", "digest-md5"),
    ("charset", "latin-1"),
    ("body_encoding", "klingon"),
    ("timeout", "0"),
    ("timeout", "-3"),
    ("timeout", "inf"),
    ("allow_plaintext_auth", "2"),
    ("max_text_length", "0"),
    ("max_text_length", "many"),
    ("password_keyring", "perhaps"),
]


@pytest.mark.parametrize(("key", "value"), BAD_VALUES)
def test_bad_value_in_main_section(key: str, value: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_ini(f"[smail]\n{key} = {value}\n", INI)
    err = info.value
    assert (err.code, err.msgid) == (ErrCode.CONFIG, "config.bad_value")
    assert err.params["key"] == key and err.params["value"] == value
    assert err.params["path"] == str(INI) and err.params["expected"]
    assert "config.bad_value" in CATALOGUE
    assert value in str(err) and key in str(err)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("enabled", "x"),
        ("port", "99999"),
        ("tls", "starttls"),
        ("apop", "y"),
        ("wait_ms", "-1"),
        ("timeout", "x"),
    ],
)
def test_bad_value_in_pop_section(key: str, value: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_ini(f"[pop_before_smtp]\n{key}={value}\n", INI)
    assert info.value.params["section"] == "pop_before_smtp" and info.value.params["key"] == key


@pytest.mark.parametrize(
    "text",
    ["server = x\n", "[smail]\nno equals sign here secret\n", "[smail\nserver=x\n"],
)
def test_syntax_error_names_the_line_not_its_text(text: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_ini(text, INI)
    assert info.value.msgid == "config.syntax"
    assert isinstance(info.value.params["line"], int)
    assert "secret" not in str(info.value)


def test_repeated_key_last_wins() -> None:
    assert parse_ini("[smail]\nserver=a\nserver=b\n", INI).server == "b"


def test_decoding_bom_cp932_utf16() -> None:
    text = "[smail]\nfrom = 山田 <yamada@example.jp>\n"
    for data in (
        text.encode("utf-8"),
        b"\xef\xbb\xbf" + text.encode("utf-8"),
        text.encode("cp932"),
        text.encode("utf-16"),  # with its BOM, as Notepad's "Unicode"
    ):
        assert decode_ini(data, INI) == text
    with pytest.raises(ConfigError) as info:
        decode_ini(b"\xef\xbb\xbf\xff\xfe\xfd", INI)
    assert info.value.msgid == "config.encoding"


def test_read_ini_files(tmp_path: Path) -> None:
    path = tmp_path / "smail.ini"
    path.write_bytes(b"\xef\xbb\xbf" + b"[smail]\nserver = smtp.example.jp\n")
    ini = read_ini(path)
    assert ini.server == "smtp.example.jp" and ini.path == str(path)  # the BOM is not in "[smail]"
    path.write_bytes("[smail]\nfrom = 山田 <y@x>\n".encode("cp932"))
    assert read_ini(path).sender == "山田 <y@x>"
    with pytest.raises(ConfigError) as info:
        read_ini(tmp_path / "missing.ini")
    assert info.value.msgid == "config.unreadable"


# --- lookup order -------------------------------------------------------------------------


def _touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("[smail]\n", encoding="utf-8")
    return path


def test_lookup_order(tmp_path: Path) -> None:
    home, cwd = tmp_path / "home", tmp_path / "work"
    cwd.mkdir()
    env = {"XDG_CONFIG_HOME": str(tmp_path / "xdg")}

    scripts = tmp_path / "scripts"

    def find(explicit: str | None = None) -> Path | None:
        found = find_config(explicit, env, cwd, platform="linux", home=home, beside=[scripts])
        return None if found is None else Path(found)

    assert find() is None
    user_file = _touch(tmp_path / "xdg" / "pysmail" / "smail.ini")
    assert find() == user_file
    beside = _touch(scripts / "smail.ini")  # beside the smail command, before the user's folder
    assert find() == beside
    here = _touch(cwd / "smail.ini")
    assert find() == here
    env_file = _touch(tmp_path / "env.ini")
    env["SMAIL_CONFIG"] = str(env_file)
    assert find() == env_file
    explicit = _touch(cwd / "explicit.ini")
    assert find("explicit.ini") == explicit  # relative to cwd


def test_folders_of_the_command(tmp_path: Path) -> None:
    """The folder of the command as run, and of a link's target (pipx's ~/.local/bin/smail);
    pip's wrapper names smail.exe without `.exe`; nothing for python -c."""
    real = _touch(tmp_path / "venv" / "bin" / "smail")
    assert folders_of_command(str(real)) == (str(real.parent),)
    link = tmp_path / "local" / "bin" / "smail"
    link.parent.mkdir(parents=True)
    link.symlink_to(real)
    assert folders_of_command(str(link)) == (str(link.parent), str(real.parent))
    exe = _touch(tmp_path / "Scripts" / "smail.exe")
    assert folders_of_command(str(exe.with_suffix(""))) == (str(exe.parent),)
    assert folders_of_command("-c") == ()
    assert folders_of_command("") == ()
    assert folders_of_command(str(tmp_path / "gone")) == ()


def test_command_folders_of_this_process(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A console script: its folder; `python -m pysmail`: this Python's scripts folder; pysmail
    inside another program's `python -m` (pytest here): none."""
    import sys
    import sysconfig
    import types

    script = _touch(tmp_path / "bin" / "smail")
    monkeypatch.setattr(sys, "argv", [str(script)])
    main = types.ModuleType("__main__")
    monkeypatch.setitem(sys.modules, "__main__", main)
    assert command_folders() == (str(script.parent),)
    main.__spec__ = importlib.machinery.ModuleSpec("pysmail.__main__", None)
    assert command_folders() == (str(Path(sysconfig.get_path("scripts"))),)
    main.__spec__ = importlib.machinery.ModuleSpec("pytest.__main__", None)
    assert command_folders() == ()


def test_lookup_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        find_config("nope.ini", {}, tmp_path)
    assert (info.value.code, info.value.msgid) == (ErrCode.CONFIG, "config.not_found")
    with pytest.raises(ConfigError) as info:
        find_config(None, {"SMAIL_CONFIG": str(tmp_path / "nope.ini")}, tmp_path)
    assert info.value.msgid == "config.env_not_found"


def test_user_config_dir_per_os() -> None:
    home = Path("/home/u")
    assert Path(user_config_dir({}, platform="linux", home=home)) == home / ".config" / "pysmail"
    assert Path(user_config_dir({"XDG_CONFIG_HOME": "rel"}, platform="linux", home=home)) == (
        home / ".config" / "pysmail"
    )
    assert Path(user_config_dir({"XDG_CONFIG_HOME": "/x"}, platform="linux", home=home)) == Path(
        "/x/pysmail"
    )
    assert Path(user_config_dir({}, platform="darwin", home=home)) == (
        home / "Library" / "Application Support" / "pysmail"
    )
    assert Path(user_config_dir({"APPDATA": "/appdata"}, platform="win32", home=home)) == Path(
        "/appdata/pysmail"
    )
    assert Path(user_config_dir({}, platform="win32", home=home)) == (
        home / "AppData" / "Roaming" / "pysmail"
    )


# --- merge ----------------------------------------------------------------------------------


def test_command_line_only_defaults() -> None:
    s = merge(parse_args(["-hmail.example", "you@x"]).overrides, None)
    assert (s.server.host, s.server.port, s.server.tls) == ("mail.example", 25, TlsMode.NONE)
    assert s.server.tls_verify is True and s.server.timeout == 60.0
    assert s.auth.mode is AuthMode.AUTO and s.auth.user is None and not s.auth.enabled
    assert s.message.charset is Charset.AUTO and s.message.sender is None
    assert s.pop is None and s.config_path is None and s.max_text_length == MAX_TEXT_LENGTH


def test_precedence_defaults_ini_command_line() -> None:
    ini = """[smail]
server = ini.example
port = 465
tls = smtps
user = ini@example.com
from = ini@example.com
charset = iso-2022-jp
helo = ini-helo
timeout = 30
cafile = ca.pem
"""
    s = merge(parse_args(["you@x"]).overrides, parse_ini(ini, INI))
    assert (s.server.host, s.server.port, s.server.tls) == ("ini.example", 465, TlsMode.SMTPS)
    assert s.auth.user == "ini@example.com" and s.message.sender == "ini@example.com"
    assert s.message.charset is Charset.ISO_2022_JP and s.server.helo == "ini-helo"
    assert s.server.cafile == "/etc/pysmail/ca.pem" and s.server.timeout == 30.0
    argv = [
        "-hcli.example",
        "-fcli@example.com",
        "--port=2525",
        "--tls=starttls",
        "--user=cli@example.com",
        "--charset=utf-8",
        "--helo=cli-helo",
        "--timeout=5",
        "--cafile=other.pem",
        "--insecure",
        "you@x",
    ]
    s = merge(parse_args(argv).overrides, parse_ini(ini, INI))
    assert (s.server.host, s.server.port, s.server.tls) == ("cli.example", 2525, TlsMode.STARTTLS)
    assert s.auth.user == "cli@example.com" and s.message.sender == "cli@example.com"
    assert s.message.charset is Charset.UTF_8 and s.server.helo == "cli-helo"
    assert s.server.cafile == str(Path("other.pem")) and s.server.timeout == 5.0
    assert s.server.tls_verify is False


@pytest.mark.parametrize(
    ("argv", "ini", "port", "tls"),
    [
        (["--tls=starttls"], None, 587, TlsMode.STARTTLS),
        (["--tls=smtps"], None, 465, TlsMode.SMTPS),
        (["--port=587"], None, 587, TlsMode.STARTTLS),  # the port implies the mode
        (["--port=465"], None, 465, TlsMode.SMTPS),
        (["--port=2525"], None, 2525, TlsMode.NONE),
        ([], "[smail]\nport=587\n", 587, TlsMode.STARTTLS),
        (["--tls=smtps", "--port=587"], None, 587, TlsMode.SMTPS),  # odd but allowed
        (["--tls=none"], "[smail]\ntls=smtps\n", 25, TlsMode.NONE),
    ],
)
def test_port_and_tls(argv: list[str], ini: str | None, port: int, tls: TlsMode) -> None:
    s = merge(parse_args(["-hh", "a@x", *argv]).overrides, parse_ini(ini, INI) if ini else None)
    assert (s.server.port, s.server.tls) == (port, tls)


def test_missing_server_and_recipient() -> None:
    with pytest.raises(UsageError) as info:
        merge(parse_args(["you@x"]).overrides, None)
    assert (info.value.code, info.value.msgid) == (ErrCode.NO_SERVER, "config.no_server")
    with pytest.raises(UsageError) as info:
        merge(parse_args(["-hh", "-sx", ""]).overrides, None)
    assert (info.value.code, info.value.msgid) == (ErrCode.RECIPIENT, "config.no_recipient")
    # --to/--cc/--bcc count as recipients; the ini server counts as a server
    s = merge(parse_args(["--bcc=b@x"]).overrides, parse_ini("[smail]\nserver=s\n", INI))
    assert s.message.bcc == ("b@x",) and s.server.host == "s"


def test_text_limit() -> None:
    merge(parse_args(["-hh", "a@x", "-s" + "x" * MAX_TEXT_LENGTH]).overrides, None)
    with pytest.raises(UsageError) as info:
        merge(parse_args(["-hh", "a@x", "-s" + "x" * (MAX_TEXT_LENGTH + 1)]).overrides, None)
    assert info.value.code is ErrCode.TOO_LONG
    assert info.value.params == {"option": "-s", "length": 32768, "limit": 32767}
    ini = parse_ini("[smail]\nmax_text_length=10\n", INI)
    merge(parse_args(["-hh", "a@x", "-T" + "y" * 10]).overrides, ini)
    with pytest.raises(UsageError) as info:
        merge(parse_args(["-hh", "a@x", "-T" + "y" * 11]).overrides, ini)
    assert info.value.code is ErrCode.TOO_LONG and info.value.params["option"] == "-T"


@pytest.mark.parametrize(
    ("mode", "ini"),
    [
        ("plain", None),
        ("login", None),
        ("cram-md5", None),
        # a bearer token from a password source has no user; from the token file it has one
        ("xoauth2", "[smail]\npassword_command = tok\n"),
        ("oauthbearer", "[smail]\npassword_keyring = yes\n"),
    ],
)
def test_auth_needing_a_user(mode: str, ini: str | None) -> None:
    settings = parse_ini(ini, INI) if ini else None
    with pytest.raises(ConfigError) as info:
        merge(parse_args(["-hh", "a@x", f"--auth={mode}"]).overrides, settings)
    assert (info.value.code, info.value.msgid) == (ErrCode.CONFIG, "config.auth_needs_user")
    s = merge(parse_args(["-hh", "a@x", f"--auth={mode}", "--user=u"]).overrides, None)
    assert s.auth.enabled and s.auth.user == "u"


@pytest.mark.parametrize("mode", ["xoauth2", "oauthbearer"])
def test_bearer_without_a_source_takes_user_and_token_from_the_token_file(mode: str) -> None:
    s = merge(parse_args(["-hh", "a@x", f"--auth={mode}"]).overrides, parse_ini("[smail]\n", INI))
    assert s.auth.user is None and s.auth.enabled
    assert s.auth.oauth_token_file == str(INI.parent / "smail_refreshtoken.ini")


def test_oauth_xoauth2_defaults_to_the_token_file_beside_the_ini() -> None:
    s = merge(parse_args(["-hh", "a@x"]).overrides, parse_ini("[smail]\nauth=OAUTH-XOAUTH2\n", INI))
    assert s.auth.mode is AuthMode.OAUTH_XOAUTH2 and s.auth.mode.sasl_name == "XOAUTH2"
    assert s.auth.oauth_token_file == str(INI.parent / "smail_refreshtoken.ini")
    assert s.auth.enabled


def test_sender_falls_back_to_the_account() -> None:
    s = merge(
        parse_args(["-hh", "a@x"]).overrides, parse_ini("[smail]\nuser=me@example.com\n", INI)
    )
    assert s.message.sender == "me@example.com" and s.auth.enabled
    s = merge(parse_args(["-hh", "a@x"]).overrides, parse_ini("[smail]\nuser=me\n", INI))
    assert s.message.sender is None


def test_modes_and_message_fields_pass_through() -> None:
    argv = ["-hh", "-d", "-i", "-S", "--dry-run", "--lang=ja", "-p5", "-m", "-Tbody", "-Ff"]
    s = merge(
        parse_args([*argv, "a@x,CC:b@x", "--reply-to=r@x", "--header=X-A: 1"]).overrides, None
    )
    assert (s.debug, s.info, s.silent, s.dry_run, s.lang) == (True, True, True, True, "ja")
    m = s.message
    assert (m.priority, m.message_id, m.body_text, m.body_file) == (5, "", "body", "f")
    assert m.recipients == ("a@x,CC:b@x",) and m.reply_to == ("r@x",)
    assert m.headers == (("X-A", "1"),)


def test_allow_plaintext_and_unknown_keys() -> None:
    ini = parse_ini("[smail]\nallow_plaintext_auth=yes\nodd=1\n", INI)
    s = merge(parse_args(["-hh", "a@x"]).overrides, ini)
    assert s.auth.allow_plaintext and s.unknown_keys == (("smail", "odd"),)
    s = merge(parse_args(["-hh", "a@x", "--allow-plaintext-auth"]).overrides, None)
    assert s.auth.allow_plaintext


def test_pop_before_smtp() -> None:
    s = merge(parse_args(["-hsmtp.x", "a@x"]).overrides, parse_ini(GOOD_INI, INI))
    assert s.pop is not None
    assert (s.pop.host, s.pop.port, s.pop.tls, s.pop.apop) == (
        "pop.example.com",
        995,
        PopTls.POP3S,
        True,
    )
    assert (s.pop.user, s.pop.wait_ms, s.pop.timeout) == ("popuser", 500, 7.0)
    s = merge(
        parse_args(["-hsmtp.x", "a@x"]).overrides,
        parse_ini("[pop_before_smtp]\nenabled=yes\nuser=u\n", INI),
    )
    assert s.pop is not None
    assert (s.pop.host, s.pop.port, s.pop.tls, s.pop.wait_ms) == ("smtp.x", 110, PopTls.NONE, 0)
    with pytest.raises(Pop3Error) as info:
        merge(
            parse_args(["-hh", "a@x"]).overrides, parse_ini("[pop_before_smtp]\nenabled=yes\n", INI)
        )
    assert (info.value.code, info.value.msgid) == (ErrCode.POP3_ACCOUNT, "config.pop_no_account")
    s = merge(
        parse_args(["-hh", "a@x"]).overrides,
        parse_ini("[pop_before_smtp]\nenabled=no\nuser=u", INI),
    )
    assert s.pop is None


# --- docs/settings.md stays true ------------------------------------------------------------

DOC = Path(__file__).resolve().parents[2] / "docs" / "settings.md"


def test_every_ini_example_in_the_docs_parses_and_merges() -> None:
    import re

    text = DOC.read_text(encoding="utf-8")
    blocks = re.findall(r"```ini\n(.*?)```", text, flags=re.S)
    assert len(blocks) >= 4
    for block in blocks:
        ini = parse_ini(block, INI)
        assert not ini.unknown, ini.unknown
        merge(parse_args(["-hsmtp.example.com", "you@example.com"]).overrides, ini)


def test_every_key_is_documented() -> None:
    from pysmail.config import ini as ini_module

    text = DOC.read_text(encoding="utf-8")
    keys = [*ini_module._MAIN_KEYS, *ini_module._POP_KEYS, *ini_module._SECRET_KEYS]
    for key in keys:
        assert f"| `{key}` |" in text or f"`{key}`," in text, key


def test_a_home_of_no_such_user_stays_as_written() -> None:
    """`~name` of a user that does not exist: kept as written, as a shell keeps it (it was a
    RuntimeError from pathlib, ERR-0016), so the file is reported as not there."""
    ini = parse_ini("[smail]\ncafile = ~no-such-user-pysmail/c.pem\n", INI)
    assert ini.cafile == str(INI.parent / "~no-such-user-pysmail" / "c.pem")

"""The one trust check (fs.trust): the POSIX and Windows decisions (pure, run on every OS), the
fix it advises, the policy for settings and token files, and the I/O layer on real files owned
by another uid (the suite runs as root in CI, so chown to 65534 is a real other user)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from pysmail.errors import ConfigError, OAuthError
from pysmail.exitcodes import ErrCode
from pysmail.fs.acl import (
    ACCESS_ALLOWED_ACE_TYPE,
    ACCESS_DENIED_ACE_TYPE,
    FILE_READ_DATA,
    FILE_WRITE_DATA,
    GENERIC_ALL,
    INHERIT_ONLY_ACE,
    READ_CONTROL,
    SYNCHRONIZE,
    Ace,
)
from pysmail.fs.trust import (
    Verdict,
    fix_commands,
    posix_verdict,
    read_checked,
    settings_refusal,
    token_refusal,
    verdict_of,
    windows_verdict,
)
from pysmail.messages import format_error

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="uids and modes are POSIX")
OTHER_UID = 65534  # nobody

# --- POSIX: owner and mode -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("owner", "mode", "me", "group_private", "expected_owner", "expected_changers"),
    [
        (1000, 0o100600, 1000, False, "", ""),
        (1000, 0o100644, 1000, False, "", ""),  # others may read a settings file, not change it
        (0, 0o100644, 1000, False, "", ""),  # root's: root can change your files anyway
        (1000, 0o100666, 1000, False, "", "mode 0666"),
        (1000, 0o100646, 1000, False, "", "mode 0646"),
        (1000, 0o100664, 1000, False, "", "mode 0664"),  # a shared group may change it
        (1000, 0o100664, 1000, True, "", ""),  # the owner's private group (umask 002)
        (1000, 0o100666, 1000, True, "", "mode 0666"),  # others still may
        (0, 0o100664, 1000, False, "", "mode 0664"),
        (65534, 0o100644, 1000, False, "uid 65534 (nobody)", ""),
        (65534, 0o100600, 0, False, "uid 65534 (nobody)", ""),  # root trusts only root's
        (1000, 0o100644, 0, False, "uid 1000 (nobody)", ""),
    ],
)
def test_posix_verdict(
    owner: int,
    mode: int,
    me: int,
    group_private: bool,
    expected_owner: str,
    expected_changers: str,
) -> None:
    verdict = posix_verdict(
        owner=owner, mode=mode, me=me, owner_name="nobody", group_private=group_private
    )
    assert verdict.owner == expected_owner
    assert verdict.changers == expected_changers
    assert verdict.trusted == (not expected_owner and not expected_changers)


def test_posix_readers_is_the_password_rule() -> None:
    """`readers` is fileperm.mode_verdict's reason: the rule of `password =` in smail.ini."""
    assert posix_verdict(owner=1, mode=0o600, me=1).readers == ""
    assert posix_verdict(owner=1, mode=0o640, me=1).readers == "readable by group (mode 0640)"
    assert posix_verdict(owner=1, mode=0o644, me=1).readers.endswith("(mode 0644)")
    # a private group's write bit: trusted, but not private
    verdict = posix_verdict(owner=1, mode=0o660, me=1, group_private=True)
    assert verdict.trusted and verdict.readers


def test_owner_without_a_name() -> None:
    assert posix_verdict(owner=4242, mode=0o600, me=1).owner == "uid 4242"


# --- Windows: owner SID and DACL (pure, on every OS) -----------------------------------------

ME = "S-1-5-21-1-2-3-1001"
BOB = "S-1-5-21-1-2-3-1002"
USERS = "S-1-5-32-545"
AUTHENTICATED = "S-1-5-11"
SYSTEM = "S-1-5-18"
ADMINS = "S-1-5-32-544"
FULL = 0x001F01FF
READ = FILE_READ_DATA | READ_CONTROL | SYNCHRONIZE
MODIFY = 0x001301BF


def _allow(sid: str, mask: int, flags: int = 0) -> Ace:
    return Ace(ACCESS_ALLOWED_ACE_TYPE, flags, mask, sid)


PROFILE = [_allow(SYSTEM, FULL), _allow(ADMINS, FULL), _allow(ME, FULL)]  # %APPDATA%'s ACL


@pytest.mark.parametrize(
    ("owner", "aces", "owner_text", "changers", "private"),
    [
        (ME, PROFILE, "", "", True),
        (ADMINS, [*PROFILE, _allow(USERS, READ)], "", "", False),  # next to smail.exe
        (SYSTEM, PROFILE, "", "", True),
        (BOB, PROFILE, BOB, "", True),
        (
            ME,
            [*PROFILE, _allow(AUTHENTICATED, MODIFY)],
            "",
            "NT AUTHORITY\\Authenticated Users",
            False,
        ),
        (ME, [*PROFILE, _allow(USERS, FILE_WRITE_DATA)], "", "BUILTIN\\Users", False),
        (ME, [*PROFILE, _allow(USERS, GENERIC_ALL)], "", "BUILTIN\\Users", False),
        (ME, [*PROFILE, _allow(USERS, MODIFY, INHERIT_ONLY_ACE)], "", "", True),
        (ME, [*PROFILE, Ace(ACCESS_DENIED_ACE_TYPE, 0, FULL, USERS)], "", "", True),
        (ME, [*PROFILE, _allow("S-1-3-4", MODIFY)], "", "", True),  # OWNER RIGHTS
        (BOB, [*PROFILE, _allow(BOB, FULL)], BOB, BOB, True),  # the other owner may change it
        (ME, None, "", "Everyone (no access list)", False),  # NULL DACL
        ("", PROFILE, "an unknown owner", "", True),
    ],
)
def test_windows_verdict(
    owner: str, aces: list[Ace] | None, owner_text: str, changers: str, private: bool
) -> None:
    verdict = windows_verdict(owner, ME, aces)
    assert verdict.owner == owner_text
    assert verdict.changers == changers
    assert (verdict.readers == "") == private
    assert verdict.trusted == (not owner_text and not changers)


def test_windows_verdict_names_accounts_with_the_given_namer() -> None:
    verdict = windows_verdict(BOB, ME, PROFILE, name=lambda sid: f"EXAMPLE\\{sid[-4:]}")
    assert verdict.owner == "EXAMPLE\\1002"


# --- the advice ------------------------------------------------------------------------------


def test_fix_commands_posix() -> None:
    foreign = Verdict("uid 65534 (nobody)", "", "")
    writable = Verdict("", "mode 0666", "readable and writable by group and others (mode 0666)")
    readable = Verdict("", "", "readable by group and others (mode 0644)")
    path = "/srv/shared dir/smail.ini"
    assert fix_commands(path, foreign, private=False, platform="linux", user="alice") == (
        "chown alice '/srv/shared dir/smail.ini'"
    )
    assert fix_commands("/x/smail.ini", writable, private=False, platform="linux", user="a") == (
        "chmod go-w /x/smail.ini"
    )
    assert fix_commands("/x/t.ini", writable, private=True, platform="darwin", user="a") == (
        "chmod 600 /x/t.ini"
    )
    assert fix_commands("/x/t.ini", readable, private=True, platform="linux", user="a") == (
        "chmod 600 /x/t.ini"
    )


def test_fix_commands_windows() -> None:
    foreign = Verdict("EXAMPLE\\bob", "", "")
    writable = Verdict("", "BUILTIN\\Users", "BUILTIN\\Users may read and change it")
    path = "C:\\smail\\smail.ini"
    assert fix_commands(path, foreign, private=False, platform="win32", user="") == (
        'icacls "C:\\smail\\smail.ini" /setowner "%USERNAME%" && '
        'icacls "C:\\smail\\smail.ini" /inheritance:r /grant:r "%USERNAME%:F"'
    )
    assert fix_commands(path, writable, private=False, platform="win32", user="") == (
        'icacls "C:\\smail\\smail.ini" /inheritance:r /grant:r "%USERNAME%:F"'
    )


# --- the policy ------------------------------------------------------------------------------

PATH = Path("/tmp/shared/smail.ini")


def test_a_trusted_settings_file_is_used() -> None:
    assert settings_refusal(PATH, Verdict("", "", "readable"), explicit=False) is None


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_settings_file_of_another_user_is_refused(lang: str) -> None:
    err = settings_refusal(PATH, Verdict("uid 65534 (nobody)", "", ""), explicit=False)
    assert err is not None and err.code is ErrCode.CONFIG
    shown = format_error(err, lang)
    assert shown.startswith("ERR-0027:")
    assert str(PATH) in shown and "uid 65534 (nobody)" in shown
    assert "chown " in shown and f"--config {PATH}" in shown


def test_settings_file_others_may_change_is_refused() -> None:
    err = settings_refusal(PATH, Verdict("", "mode 0666", ""), explicit=False, platform="linux")
    assert err is not None and err.msgid == "config.untrusted_writable"
    shown = format_error(err, "en")
    assert f"chmod go-w {PATH}" in shown and "mode 0666" in shown


def test_explicit_settings_file_only_loses_its_commands() -> None:
    err = settings_refusal(PATH, Verdict("", "mode 0666", ""), explicit=True, platform="linux")
    assert err is not None and err.msgid == "config.command_untrusted"
    shown = format_error(err, "en")
    assert "password_command" in shown and f"chmod go-w {PATH}" in shown


def test_token_file_rules() -> None:
    token = Path("/tmp/shared/smail_refreshtoken.ini")
    readable = Verdict("", "", "readable by group and others (mode 0644)")
    assert token_refusal(token, readable, holds_secret=False) is None  # a keyring reference
    err = token_refusal(token, readable, holds_secret=True, platform="linux")
    assert err is not None and err.code is ErrCode.CONFIG
    assert err.msgid == "oauth.token_not_private"
    assert f"chmod 600 {token}" in format_error(err, "en")
    err = token_refusal(token, Verdict("uid 65534", "", ""), holds_secret=False)
    assert err is not None and err.msgid == "oauth.token_untrusted"
    assert "uid 65534" in format_error(err, "ja")


# --- the I/O layer, on real files ------------------------------------------------------------


def _planted(
    folder: Path,
    mode: int,
    uid: int | None = None,
    name: str = "smail.ini",
    text: str = "[smail]\nserver = 127.0.0.1\n",
) -> Path:
    path = folder / name
    path.write_text(text)
    os.chmod(path, mode)
    if uid is not None:
        os.chown(path, uid, -1)
    return path


@posix_only
def test_verdict_of_real_files(tmp_path: Path) -> None:
    assert verdict_of(_planted(tmp_path, 0o644)).trusted
    assert verdict_of(_planted(tmp_path, 0o666)).changers == "mode 0666"


@posix_only
@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() != 0, reason="chown needs root")
def test_verdict_of_a_file_of_another_uid(tmp_path: Path) -> None:
    path = _planted(tmp_path, 0o644, OTHER_UID)
    verdict = verdict_of(path)
    assert verdict.owner.startswith(f"uid {OTHER_UID}") and not verdict.trusted


@posix_only
def test_read_checked_judges_the_file_it_read(tmp_path: Path) -> None:
    path = _planted(tmp_path, 0o600)
    data, verdict = read_checked(path, 4)
    assert data == b"[smai" and verdict.trusted  # at most limit + 1 bytes
    with pytest.raises(FileNotFoundError):
        read_checked(tmp_path / "nope.ini")


@posix_only
@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() != 0, reason="chown needs root")
def test_a_group_writable_file_is_trusted_only_in_a_private_group(tmp_path: Path) -> None:
    """OpenSSH's test: the group's only member is the owner. Give the file the primary group
    of another account (nobody's nogroup on Debian): that account could change it."""
    import pwd

    other = next(p for p in pwd.getpwall() if p.pw_uid != os.geteuid() and p.pw_gid != 0)
    path = _planted(tmp_path, 0o664)
    os.chown(path, -1, other.pw_gid)
    assert verdict_of(path).changers == "mode 0664"
    os.chmod(path, 0o644)
    assert verdict_of(path).trusted


# --- the same rule through the readers of smail.ini and the token file -----------------------


def _refusal(call: Callable[[], object]) -> str:
    with pytest.raises(ConfigError) as caught:
        call()
    assert caught.value.code is ErrCode.CONFIG
    return caught.value.msgid


@posix_only
def test_read_ini_refuses_and_explicit_keeps_the_file_without_commands(tmp_path: Path) -> None:
    from pysmail.config.ini import read_ini
    from pysmail.config.secrets import password_source

    text = (
        "[smail]\nserver = mx.example.test\nuser = a\npassword_command = true\n"
        "[pop_before_smtp]\nenabled = yes\nuser = a\npassword_command = true\n"
    )
    path = _planted(tmp_path, 0o666, text=text)
    assert _refusal(lambda: read_ini(path)) == "config.untrusted_writable"
    ini = read_ini(path, explicit=True)
    assert ini.server == "mx.example.test"  # used ...
    source = password_source(ini.secret, user="a", server="mx")
    assert _refusal(source) == "config.command_untrusted"  # ... but its command never runs
    pop_source = password_source(ini.pop.secret, user="a", server="mx")
    assert _refusal(pop_source) == "config.command_untrusted"  # in either section
    os.chmod(path, 0o644)
    assert read_ini(path).secret.command_refused is None


@posix_only
def test_token_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    from pysmail.oauth.tokenfile import read_token_file

    text = "[OAUTH2]\nClientID=c\nClientSecret=cs\nRefreshToken=rt\n"
    path = _planted(tmp_path, 0o644, name="smail_refreshtoken.ini", text=text)
    assert _refusal(lambda: read_token_file(path)) == "oauth.token_not_private"
    os.chmod(path, 0o600)
    assert read_token_file(path).refresh_token == "rt"
    # a keyring reference and no client secret: nothing secret in it, so it may be read
    path.write_text("[OAUTH2]\nClientID=c\nRefreshToken=keyring:a@b\n")
    os.chmod(path, 0o644)
    assert read_token_file(path).client_id == "c"
    os.chmod(path, 0o666)  # ... but not changed by others
    assert _refusal(lambda: read_token_file(path)) == "oauth.token_untrusted"


def test_missing_token_file_is_still_err_0028(tmp_path: Path) -> None:
    from pysmail.oauth.tokenfile import read_token_file

    with pytest.raises(OAuthError) as caught:
        read_token_file(tmp_path / "smail_refreshtoken.ini")
    assert caught.value.msgid == "oauth.token_file_missing"


@posix_only
def test_the_setup_page_is_not_prefilled_from_a_token_file_others_may_read(
    tmp_path: Path,
) -> None:
    from pysmail.setup.flows import load_existing

    text = "[OAUTH2]\nClientID=from-the-file\nClientSecret=cs\nRefreshToken=rt\n"
    _planted(tmp_path, 0o644, name="smail_refreshtoken.ini", text=text)
    env = {"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    assert load_existing(tmp_path, env).draft.client_id == ""
    os.chmod(tmp_path / "smail_refreshtoken.ini", 0o600)
    assert load_existing(tmp_path, env).draft.client_id == "from-the-file"


@posix_only
@pytest.mark.parametrize("name", ["smail.ini", "smail_refreshtoken.ini"])
def test_a_fifo_under_the_name_is_refused_not_waited_on(tmp_path: Path, name: str) -> None:
    from pysmail.config.ini import read_ini
    from pysmail.errors import SmailError
    from pysmail.oauth.tokenfile import read_token_file

    os.mkfifo(tmp_path / name, 0o600)
    read = read_ini if name == "smail.ini" else read_token_file
    with pytest.raises(SmailError) as caught:
        read(tmp_path / name)
    assert caught.value.msgid in ("config.unreadable", "oauth.token_file_unreadable")
    assert "not a regular file" in format_error(caught.value, "en")

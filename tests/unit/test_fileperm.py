"""Owner-only files: the POSIX mode rule, the Windows DACL rule (pure), ACL and SID parsing."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pysmail.config.secrets import check_private
from pysmail.errors import ConfigError
from pysmail.exitcodes import ErrCode
from pysmail.fs.acl import Ace, dacl_verdict, parse_acl, sid_from_str, sid_to_str
from pysmail.fs.fileperm import create_private, is_private, make_private, mode_verdict

# --- the POSIX rule -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "private", "reason"),
    [
        (0o600, True, ""),
        (0o400, True, ""),
        (0o700, True, ""),
        (0o100600, True, ""),  # st_mode of a regular file: the type bits do not matter
        (0o640, False, "readable by group (mode 0640)"),
        (0o644, False, "readable by group and others (mode 0644)"),
        (0o604, False, "readable by others (mode 0604)"),
        (0o660, False, "readable and writable by group (mode 0660)"),
        (0o620, False, "writable by group (mode 0620)"),
        (0o601, False, "executable by others (mode 0601)"),
        (0o100777, False, "readable and writable and executable by group and others (mode 0777)"),
    ],
)
def test_mode_verdict(mode: int, private: bool, reason: str) -> None:
    assert mode_verdict(mode) == (private, reason)


@given(st.integers(min_value=0, max_value=0o7777))
def test_mode_verdict_is_msmtps_rule(mode: int) -> None:
    private, reason = mode_verdict(mode)
    assert private == (mode & 0o077 == 0)
    assert bool(reason) != private


def _file(tmp_path: Path, mode: int) -> Path:
    path = tmp_path / "secret.ini"
    path.write_bytes(b"password = x\n")
    os.chmod(path, mode)
    return path


@pytest.mark.parametrize("mode", [0o600, 0o400, 0o640, 0o644, 0o604, 0o660])
def test_is_private_reads_the_file_mode(tmp_path: Path, mode: int) -> None:
    path = _file(tmp_path, mode)
    if sys.platform == "win32":  # chmod only sets the read-only flag; the ACL decides
        make_private(path)
        assert is_private(path) == (True, "")
    else:
        assert is_private(path) == mode_verdict(mode)
        assert is_private(str(path))[0] == (mode in (0o600, 0o400))


def test_is_private_of_a_missing_file_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        is_private(tmp_path / "absent")


@pytest.mark.parametrize("mode", [0o644, 0o666, 0o640, 0o604, 0o600])
def test_make_private(tmp_path: Path, mode: int) -> None:
    path = _file(tmp_path, mode)
    make_private(path)
    assert is_private(path) == (True, "")
    assert path.read_bytes() == b"password = x\n"
    if sys.platform != "win32":
        assert path.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("umask", [0o000, 0o022, 0o077])
def test_create_private_is_private_from_the_start(tmp_path: Path, umask: int) -> None:
    path = tmp_path / "token.tmp"
    old = os.umask(umask)
    try:
        fd = create_private(path)
    finally:
        os.umask(old)
    try:
        assert is_private(path) == (True, "")  # before any byte is written
        if sys.platform != "win32":
            assert os.fstat(fd).st_mode & 0o777 == 0o600
        os.write(fd, b"refresh-token")
    finally:
        os.close(fd)
    assert path.read_bytes() == b"refresh-token"


def test_create_private_refuses_an_existing_file(tmp_path: Path) -> None:
    path = _file(tmp_path, 0o644)
    with pytest.raises(FileExistsError):
        create_private(path)
    assert path.read_bytes() == b"password = x\n"
    assert path.stat().st_mode & 0o777 == (0o644 if sys.platform != "win32" else 0o666)


def test_create_private_does_not_follow_a_symlink(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    link = tmp_path / "token.tmp"
    try:
        link.symlink_to(target)
    except OSError:  # Windows without the symlink privilege: an ordinary file makes the point
        link.write_bytes(b"")
    with pytest.raises(FileExistsError):
        create_private(link)
    assert not target.exists()


def test_create_private_gives_a_write_only_fd(tmp_path: Path) -> None:
    fd = create_private(tmp_path / "f")
    try:
        assert not os.get_inheritable(fd)
        with pytest.raises(OSError):
            os.read(fd, 1)
    finally:
        os.close(fd)


def test_importing_it_stays_light() -> None:
    code = "import sys, pysmail.fs.fileperm; print('ctypes' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ("True" if sys.platform == "win32" else "False")


# --- check_private keeps its rule through fileperm ------------------------------------------


@pytest.mark.parametrize("mode", [0o660, 0o620, 0o601, 0o600])
def test_check_private_uses_the_same_rule(tmp_path: Path, mode: int) -> None:
    path = _file(tmp_path, mode)
    if sys.platform == "win32":
        make_private(path)
        check_private(path)
    elif mode & 0o077:
        with pytest.raises(ConfigError) as info:
            check_private(path)
        assert (info.value.code, info.value.msgid) == (ErrCode.CONFIG, "config.not_private")
        assert info.value.params["mode"] == f"{mode:03o}"
    else:
        check_private(path)


def test_check_private_of_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        check_private(tmp_path / "absent")
    assert info.value.code == ErrCode.CONFIG
    assert info.value.msgid in ("config.unreadable", "config.acl_unreadable")


# --- the Windows rule, decided on any OS ----------------------------------------------------

ME = "S-1-5-21-1004336348-1177238915-682003330-1001"
OTHER = "S-1-5-21-1004336348-1177238915-682003330-1002"
SYSTEM, ADMINS, USERS = "S-1-5-18", "S-1-5-32-544", "S-1-5-32-545"
EVERYONE, AUTH_USERS, CREATOR_OWNER = "S-1-1-0", "S-1-5-11", "S-1-3-0"

ALLOW, DENY, ALLOW_OBJECT, ALLOW_CALLBACK, AUDIT = 0x00, 0x01, 0x05, 0x09, 0x02
INHERITED, INHERIT_ONLY = 0x10, 0x08
OI_CI_IO = 0x01 | 0x02 | 0x08
FULL = 0x001F01FF  # FA
READ_EXECUTE = 0x001200A9  # RX, what BUILTIN\Users gets on C:\ and C:\Users\Public
MODIFY = 0x001301BF  # M, what Authenticated Users gets on C:\
PROFILE = [  # a file in %APPDATA%: what it inherits from C:\Users\<me>
    Ace(ALLOW, INHERITED, FULL, SYSTEM),
    Ace(ALLOW, INHERITED, FULL, ADMINS),
    Ace(ALLOW, INHERITED, FULL, ME),
]


@pytest.mark.parametrize(
    ("owner", "aces", "expected"),
    [
        (ME, PROFILE, (True, "")),
        (ME, [*PROFILE, Ace(ALLOW, INHERITED, READ_EXECUTE, USERS)],
         (False, "BUILTIN\\Users may read it")),
        (ME, [*PROFILE, Ace(ALLOW, 0, 0x80000000, EVERYONE)], (False, "Everyone may read it")),
        (ME, [*PROFILE, Ace(ALLOW, INHERITED, MODIFY, AUTH_USERS)],
         (False, "NT AUTHORITY\\Authenticated Users may read and change it")),
        (ME, None, (False, "it has no access list (a NULL DACL, or a drive without permissions "
                           "such as FAT), so everyone may read it")),
        (ME, [], (True, "")),  # an empty DACL: nobody but the owner's implicit rights
        (ME, [*PROFILE, Ace(ALLOW, OI_CI_IO, 0x10000000, CREATOR_OWNER)], (True, "")),
        (ME, [*PROFILE, Ace(ALLOW, INHERIT_ONLY | 0x01, READ_EXECUTE, USERS)], (True, "")),
        (ME, [Ace(DENY, 0, FULL, EVERYONE), *PROFILE], (True, "")),
        (ME, [*PROFILE, Ace(ALLOW, 0, 0x00120080, USERS)], (True, "")),  # attributes, ACL, sync
        (ME, [*PROFILE, Ace(ALLOW, 0, 0x00040000, USERS)], (False, "BUILTIN\\Users may change it")),
        (ME, [*PROFILE, Ace(ALLOW, 0, 0x00010000, EVERYONE)], (False, "Everyone may change it")),
        (ME, [*PROFILE, Ace(ALLOW, 0, 0x00000020, USERS)],
         (False, "BUILTIN\\Users has access rights 0x00000020 to it")),
        (OTHER, [Ace(ALLOW, 0, FULL, OTHER), Ace(ALLOW, 0, FULL, ME)], (True, "")),
        (ADMINS, [Ace(ALLOW, 0, FULL, ADMINS), Ace(ALLOW, 0, FULL, ME)], (True, "")),
        (ME, [Ace(ALLOW, 0, FULL, "S-1-3-4")], (True, "")),  # OWNER RIGHTS
        (ME, [*PROFILE, Ace(ALLOW, INHERITED, FULL, OTHER)], (False, f"{OTHER} may read and "
                                                                     "change it")),
        (ME, [*PROFILE, Ace(ALLOW_CALLBACK, 0, READ_EXECUTE, EVERYONE)],
         (False, "Everyone may read it")),
        (ME, [*PROFILE, Ace(ALLOW_OBJECT, 0, READ_EXECUTE, USERS)],
         (False, "BUILTIN\\Users may read it")),
        (ME, [*PROFILE, Ace(0x04, 0, FULL, "")],
         (False, "an entry pysmail cannot read may read and change it")),
        ("", [Ace(ALLOW, 0, FULL, "")], (False, "an entry pysmail cannot read may read and "
                                                "change it")),
        (ME, [*PROFILE, Ace(AUDIT, 0, FULL, EVERYONE)], (True, "")),
        (ME, [Ace(ALLOW, 0, 0, EVERYONE), *PROFILE], (True, "")),  # grants nothing
    ],
)  # fmt: skip
def test_dacl_verdict(owner: str, aces: list[Ace] | None, expected: tuple[bool, str]) -> None:
    assert dacl_verdict(owner, ME, aces) == expected


def test_dacl_verdict_when_the_current_user_is_not_the_owner() -> None:
    aces = [Ace(ALLOW, 0, FULL, ADMINS), Ace(ALLOW, 0, FULL, ME)]
    assert dacl_verdict(ADMINS, ME, aces) == (True, "")
    assert dacl_verdict(ADMINS, OTHER, aces)[0] is False  # someone else running pysmail


def test_dacl_verdict_names_the_trustee_with_the_given_lookup() -> None:
    aces = [*PROFILE, Ace(ALLOW, INHERITED, READ_EXECUTE, OTHER)]
    names = {OTHER: "PC\\guest"}
    verdict = dacl_verdict(ME, ME, aces, name=lambda sid: names.get(sid, sid))
    assert verdict == (False, "PC\\guest may read it")


# --- the binary formats ---------------------------------------------------------------------

# [MS-DTYP] 2.4.2.2 / well-known SIDs in their documented binary form
KNOWN_SIDS = [
    ("S-1-1-0", "010100000000000100000000"),
    ("S-1-5-18", "010100000000000512000000"),
    ("S-1-5-32-544", "01020000000000052000000020020000"),
    ("S-1-5-32-545", "01020000000000052000000021020000"),
    (ME, "010500000000000515000000dcf4dc3b833d2b46828ba628e9030000"),
    ("S-1-0x123456789ABC-7", "0101123456789abc07000000"),
]


@pytest.mark.parametrize(("text", "hexed"), KNOWN_SIDS)
def test_sid_binary_forms(text: str, hexed: str) -> None:
    raw = bytes.fromhex(hexed)
    assert sid_to_str(raw) == (text, len(raw))
    assert sid_to_str(b"pad" + raw + b"tail", 3) == (text, len(raw))
    assert sid_from_str(text) == raw


@given(
    st.integers(min_value=0, max_value=2**48 - 1),
    st.lists(st.integers(min_value=0, max_value=2**32 - 1), max_size=15),
)
def test_sid_round_trip(authority: int, subs: list[int]) -> None:
    raw = (
        bytes([1, len(subs)]) + authority.to_bytes(6, "big") + struct.pack(f"<{len(subs)}I", *subs)
    )
    text, size = sid_to_str(raw)
    assert size == len(raw) and sid_from_str(text) == raw


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "0101000000",  # shorter than the fixed part
        "020100000000000100000000",  # revision 2
        "011000000000000100000000",  # 16 sub-authorities
        "010200000000000520000000",  # two announced, one there
    ],
)
def test_malformed_sids(raw: str) -> None:
    with pytest.raises(ValueError):
        sid_to_str(bytes.fromhex(raw))


@pytest.mark.parametrize("text", ["", "S-1", "X-1-5-18", "S-2-5-18", "S-1-5-4294967296", "S-1-x"])
def test_malformed_sid_strings(text: str) -> None:
    with pytest.raises(ValueError):
        sid_from_str(text)


def _ace(ace_type: int, flags: int, mask: int, body: bytes) -> bytes:
    return struct.pack("<BBHI", ace_type, flags, 8 + len(body), mask) + body


def _acl(*aces: bytes) -> bytes:
    data = b"".join(aces)
    return struct.pack("<BBHHH", 2, 0, 8 + len(data), len(aces), 0) + data


def test_parse_acl_of_a_public_folder_file() -> None:
    acl = _acl(
        _ace(ALLOW, INHERITED, FULL, sid_from_str(SYSTEM)),
        _ace(ALLOW, INHERITED, FULL, sid_from_str(ADMINS)),
        _ace(ALLOW, INHERITED, READ_EXECUTE, sid_from_str(USERS)),
        _ace(DENY, 0, 0x00010000, sid_from_str(EVERYONE)),
        _ace(ALLOW_CALLBACK, 0, FULL, sid_from_str(ME) + b"\x00artx\x00\x00\x00\x00"),
    )
    assert parse_acl(acl + b"slack after AclSize") == [
        Ace(ALLOW, INHERITED, FULL, SYSTEM),
        Ace(ALLOW, INHERITED, FULL, ADMINS),
        Ace(ALLOW, INHERITED, READ_EXECUTE, USERS),
        Ace(DENY, 0, 0x00010000, EVERYONE),
        Ace(ALLOW_CALLBACK, 0, FULL, ME),
    ]
    assert dacl_verdict(ME, ME, parse_acl(acl)) == (False, "BUILTIN\\Users may read it")


def test_parse_acl_object_and_compound_aces() -> None:
    guid = bytes(range(16))
    acl = _acl(
        _ace(ALLOW_OBJECT, 0, FULL, struct.pack("<I", 0) + sid_from_str(USERS)),
        _ace(ALLOW_OBJECT, 0, FULL, struct.pack("<I", 1) + guid + sid_from_str(EVERYONE)),
        _ace(ALLOW_OBJECT, 0, FULL, struct.pack("<I", 3) + guid + guid + sid_from_str(ME)),
        _ace(0x04, 0, FULL, struct.pack("<HH", 1, 0) + sid_from_str(ME) + sid_from_str(USERS)),
    )
    assert [ace.sid for ace in parse_acl(acl)] == [USERS, EVERYONE, ME, ""]


def test_parse_an_empty_acl() -> None:
    assert parse_acl(_acl()) == []


@pytest.mark.parametrize(
    "acl",
    [
        b"\x02\x00\x08",  # shorter than its header
        struct.pack("<BBHHH", 2, 0, 64, 0, 0),  # AclSize beyond the data
        struct.pack("<BBHHH", 2, 0, 8, 1, 0),  # one ACE announced, none there
        _acl(_ace(ALLOW, 0, FULL, sid_from_str(ME)))[:-4],  # cut inside the ACE
        struct.pack("<BBHHH", 2, 0, 16, 1, 0) + struct.pack("<BBHI", 0, 0, 4, FULL),  # tiny ACE
        _acl(_ace(ALLOW, 0, FULL, b"\x01\x05\x00")),  # SID cut short inside the ACE
    ],
)
def test_malformed_acls(acl: bytes) -> None:
    with pytest.raises(ValueError):
        parse_acl(acl)

"""Owner-only files: is a file private to its owner, make it so, create one already private.

POSIX: private means no group or other permission bits (`mode & 0o077 == 0`, msmtp's rule).
Windows: private means the file has a DACL (a NULL DACL lets everyone in) and every allow ACE
that applies to the file itself and grants more than reading attributes or the security
descriptor is for the owner, the current user, SYSTEM, Administrators or OWNER RIGHTS.
Deny ACEs are ignored (they only take rights away).

The decisions are pure functions tested on every OS: `mode_verdict`, `dacl_verdict`, and the
parsers of the binary ACL and SID formats (`parse_acl`, `sid_to_str`, [MS-DTYP] 2.4.2, 2.4.5).
The Windows calls (advapi32 GetNamedSecurityInfoW, SetNamedSecurityInfoW, a TokenUser query,
ConvertStringSecurityDescriptorToSecurityDescriptorW, kernel32 CreateFileW) are written with
argtypes/restype set and checked with `mypy --platform win32`, but they are UNTESTED ON
WINDOWS: nobody has run them there yet.
"""

from __future__ import annotations

import os
import struct
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

from pysmail.fs.trust import mode_verdict  # the POSIX rule lives with the trust check

__all__ = [
    "Ace",
    "create_private",
    "dacl_verdict",
    "is_private",
    "make_private",
    "mode_verdict",
    "parse_acl",
    "sid_from_str",
    "sid_to_str",
    "well_known_name",
]

# ACE types ([MS-DTYP] 2.4.4.1). Only the allow kinds can make a file readable by others.
ACCESS_ALLOWED_ACE_TYPE = 0x00
ACCESS_DENIED_ACE_TYPE = 0x01
ACCESS_ALLOWED_COMPOUND_ACE_TYPE = 0x04
ACCESS_ALLOWED_OBJECT_ACE_TYPE = 0x05
ACCESS_ALLOWED_CALLBACK_ACE_TYPE = 0x09
ACCESS_ALLOWED_CALLBACK_OBJECT_ACE_TYPE = 0x0B
_ALLOW_TYPES = frozenset(
    {
        ACCESS_ALLOWED_ACE_TYPE,
        ACCESS_ALLOWED_COMPOUND_ACE_TYPE,
        ACCESS_ALLOWED_OBJECT_ACE_TYPE,
        ACCESS_ALLOWED_CALLBACK_ACE_TYPE,
        ACCESS_ALLOWED_CALLBACK_OBJECT_ACE_TYPE,
    }
)
# Types laid out as header, mask, SID ...; the object types put flags and GUIDs before the SID.
_PLAIN_LAYOUT = frozenset({0x00, 0x01, 0x02, 0x03, 0x09, 0x0A, 0x0D, 0x0E, 0x11, 0x12, 0x13, 0x14})
_OBJECT_LAYOUT = frozenset({0x05, 0x06, 0x07, 0x08, 0x0B, 0x0C, 0x0F, 0x10})

INHERIT_ONLY_ACE = 0x08  # the ACE is only handed down to children; it does not apply here

# Access mask bits ([MS-DTYP] 2.4.3, winnt.h file rights)
FILE_READ_DATA = 0x0001
FILE_WRITE_DATA = 0x0002
FILE_APPEND_DATA = 0x0004
FILE_WRITE_EA = 0x0010
FILE_READ_ATTRIBUTES = 0x0080
FILE_WRITE_ATTRIBUTES = 0x0100
DELETE = 0x0001_0000
READ_CONTROL = 0x0002_0000
WRITE_DAC = 0x0004_0000
WRITE_OWNER = 0x0008_0000
SYNCHRONIZE = 0x0010_0000
GENERIC_ALL = 0x1000_0000
GENERIC_WRITE = 0x4000_0000
GENERIC_READ = 0x8000_0000
# Rights that reveal nothing of the contents and change nothing: everything else counts, like
# any group/other bit counts on POSIX (write access would let someone redirect the password).
_HARMLESS = READ_CONTROL | SYNCHRONIZE | FILE_READ_ATTRIBUTES
_READS = FILE_READ_DATA | GENERIC_READ | GENERIC_ALL
_CHANGES = (
    FILE_WRITE_DATA
    | FILE_APPEND_DATA
    | FILE_WRITE_EA
    | FILE_WRITE_ATTRIBUTES
    | DELETE
    | WRITE_DAC
    | WRITE_OWNER
    | GENERIC_WRITE
    | GENERIC_ALL
)

SID_SYSTEM = "S-1-5-18"
SID_ADMINISTRATORS = "S-1-5-32-544"
SID_OWNER_RIGHTS = "S-1-3-4"  # stands for whoever owns the file

_WELL_KNOWN = {
    "S-1-1-0": "Everyone",
    "S-1-3-0": "CREATOR OWNER",
    "S-1-3-1": "CREATOR GROUP",
    "S-1-3-4": "OWNER RIGHTS",
    "S-1-5-2": "NT AUTHORITY\\NETWORK",
    "S-1-5-4": "NT AUTHORITY\\INTERACTIVE",
    "S-1-5-6": "NT AUTHORITY\\SERVICE",
    "S-1-5-7": "NT AUTHORITY\\ANONYMOUS LOGON",
    "S-1-5-11": "NT AUTHORITY\\Authenticated Users",
    "S-1-5-18": "NT AUTHORITY\\SYSTEM",
    "S-1-5-19": "NT AUTHORITY\\LOCAL SERVICE",
    "S-1-5-20": "NT AUTHORITY\\NETWORK SERVICE",
    "S-1-5-32-544": "BUILTIN\\Administrators",
    "S-1-5-32-545": "BUILTIN\\Users",
    "S-1-5-32-546": "BUILTIN\\Guests",
    "S-1-5-32-547": "BUILTIN\\Power Users",
    "S-1-5-32-555": "BUILTIN\\Remote Desktop Users",
    "S-1-15-2-1": "APPLICATION PACKAGE AUTHORITY\\ALL APPLICATION PACKAGES",
}


class Ace(NamedTuple):
    """One access control entry: its type, flags, access mask and trustee SID ("S-1-...")."""

    type: int
    flags: int
    mask: int
    sid: str


# --- pure decisions -------------------------------------------------------------------------


def well_known_name(sid: str) -> str:
    """The English account name of a well-known SID, or the SID itself."""
    return _WELL_KNOWN.get(sid, sid)


def dacl_verdict(
    owner_sid: str,
    current_sid: str,
    aces: Sequence[Ace] | None,
    *,
    name: Callable[[str], str] = well_known_name,
) -> tuple[bool, str]:
    """Windows: is a file with this owner and DACL private? `aces` is None for a NULL DACL.

    Returns (True, "") or (False, reason), the reason naming the first trustee let in,
    e.g. "BUILTIN\\Users may read it". `name` turns a SID into an account name for it.
    """
    if aces is None:
        return False, (
            "it has no access list (a NULL DACL, or a drive without permissions such as FAT), "
            "so everyone may read it"
        )
    trusted = {sid for sid in (owner_sid, current_sid) if sid}
    trusted |= {SID_SYSTEM, SID_ADMINISTRATORS, SID_OWNER_RIGHTS}
    for ace in aces:
        if ace.type not in _ALLOW_TYPES or ace.flags & INHERIT_ONLY_ACE:
            continue
        rights = ace.mask & ~_HARMLESS
        if not rights or ace.sid in trusted:
            continue
        who = name(ace.sid) if ace.sid else "an entry pysmail cannot read"
        reads, changes = bool(rights & _READS), bool(rights & _CHANGES)
        if reads and changes:
            return False, f"{who} may read and change it"
        if reads:
            return False, f"{who} may read it"
        if changes:
            return False, f"{who} may change it"
        return False, f"{who} has access rights 0x{ace.mask:08X} to it"
    return True, ""


def sid_to_str(data: bytes, offset: int = 0) -> tuple[str, int]:
    """The "S-1-5-..." form of the binary SID at `offset`, and its length in bytes.

    Raises: ValueError on a malformed or truncated SID.
    """
    if len(data) < offset + 8:
        raise ValueError("truncated SID")
    revision, count = data[offset], data[offset + 1]
    if revision != 1 or count > 15:
        raise ValueError("not a SID")
    size = 8 + 4 * count
    if len(data) < offset + size:
        raise ValueError("truncated SID")
    authority = int.from_bytes(data[offset + 2 : offset + 8], "big")
    subs = struct.unpack_from(f"<{count}I", data, offset + 8)
    # ConvertSidToStringSidW writes authorities of 2**32 and up in hex
    head = str(authority) if authority < 2**32 else f"0x{authority:012X}"
    return "-".join(["S", str(revision), head, *map(str, subs)]), size


def sid_from_str(text: str) -> bytes:
    """The binary SID of an "S-1-..." string (the inverse of `sid_to_str`).

    Raises: ValueError when `text` is not a SID string.
    """
    parts = text.split("-")
    if len(parts) < 3 or parts[0].upper() != "S" or len(parts) > 18:
        raise ValueError("not a SID string")
    revision, authority = int(parts[1]), int(parts[2], 0)
    subs = [int(part) for part in parts[3:]]
    if revision != 1 or not 0 <= authority < 2**48 or any(not 0 <= n < 2**32 for n in subs):
        raise ValueError("not a SID string")
    return (
        bytes([revision, len(subs)])
        + authority.to_bytes(6, "big")
        + struct.pack(f"<{len(subs)}I", *subs)
    )


def parse_acl(data: bytes) -> list[Ace]:
    """The ACEs of a binary ACL (header: revision, sbz1, AclSize, AceCount, sbz2).

    An ACE whose SID this parser cannot place (compound ACEs, unknown types) gets sid "".
    Raises: ValueError on a malformed ACL.
    """
    if len(data) < 8:
        raise ValueError("truncated ACL")
    _revision, _sbz1, size, count, _sbz2 = struct.unpack_from("<BBHHH", data, 0)
    if size > len(data) or size < 8:
        raise ValueError("bad ACL size")
    aces: list[Ace] = []
    pos = 8
    for _ in range(count):
        if pos + 8 > size:
            raise ValueError("truncated ACE")
        ace_type, flags, ace_size, mask = struct.unpack_from("<BBHI", data, pos)
        if ace_size < 8 or pos + ace_size > size:
            raise ValueError("bad ACE size")
        body = data[pos : pos + ace_size]
        sid_at: int | None = None
        if ace_type in _PLAIN_LAYOUT:
            sid_at = 8
        elif ace_type in _OBJECT_LAYOUT and ace_size >= 12:
            (object_flags,) = struct.unpack_from("<I", body, 8)
            sid_at = 12 + 16 * bin(object_flags & 0x3).count("1")
        sid = sid_to_str(body, sid_at)[0] if sid_at is not None else ""
        aces.append(Ace(ace_type, flags, mask, sid))
        pos += ace_size
    return aces


# --- the I/O shell --------------------------------------------------------------------------


def is_private(path: str | os.PathLike[str]) -> tuple[bool, str]:
    """Whether only the owner (and on Windows SYSTEM/Administrators) may use the file.

    Returns (True, "") or (False, a reason in English).
    Raises: OSError when the file or its permissions cannot be read.
    """
    if sys.platform == "win32":  # pragma: no cover - Windows only
        return _win_is_private(Path(path))
    return mode_verdict(os.stat(path).st_mode)


def make_private(path: str | os.PathLike[str]) -> None:
    """Restrict an existing file to its owner: chmod 0600; on Windows a protected DACL
    (no inherited entries) granting full control to the current user only.

    Raises: OSError.
    """
    if sys.platform == "win32":  # pragma: no cover - Windows only
        _win_make_private(Path(path))
        return
    os.chmod(path, 0o600)


def create_private(path: str | os.PathLike[str]) -> int:
    """Create `path`, which must not exist, private from its first byte; return a write-only fd.

    POSIX: O_CREAT | O_EXCL with mode 0600. Windows: CreateFileW(CREATE_NEW) with the private
    security descriptor, so no other account can open it even between creation and the
    first write. Wrap the fd with `os.fdopen(fd, "wb")`.

    Raises: FileExistsError when `path` exists (a symbolic link included); OSError.
    """
    if sys.platform == "win32":  # pragma: no cover - Windows only
        return _win_create_private(Path(path))
    # The umask can only take bits away from 0600; Python makes the fd non-inheritable.
    return os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)


# --- Windows --------------------------------------------------------------------------------

if sys.platform == "win32":  # pragma: no cover - Windows only; untested on Windows
    import ctypes
    import functools
    from ctypes import wintypes

    _SE_FILE_OBJECT = 1
    _OWNER_SECURITY_INFORMATION = 0x0000_0001
    _DACL_SECURITY_INFORMATION = 0x0000_0004
    _PROTECTED_DACL_SECURITY_INFORMATION = 0x8000_0000
    _TOKEN_QUERY = 0x0008
    _TOKEN_USER_CLASS = 1  # TOKEN_INFORMATION_CLASS.TokenUser
    _ERROR_INSUFFICIENT_BUFFER = 122
    _SDDL_REVISION_1 = 1
    _CREATE_NEW = 1
    _FILE_SHARE_ALL = 0x1 | 0x2 | 0x4  # read, write, delete: what os.open would allow
    _FILE_ATTRIBUTE_NORMAL = 0x80
    _INVALID_HANDLE_VALUE = ctypes.c_void_p(-1).value

    _PVOID = ctypes.c_void_p
    _PPVOID = ctypes.POINTER(ctypes.c_void_p)
    _PDWORD = ctypes.POINTER(wintypes.DWORD)

    class _SecurityAttributes(ctypes.Structure):
        _fields_ = [
            ("nLength", wintypes.DWORD),
            ("lpSecurityDescriptor", ctypes.c_void_p),
            ("bInheritHandle", wintypes.BOOL),
        ]

    class _Api:
        """advapi32/kernel32 entry points, their argtypes and restype set."""

        def __init__(self) -> None:
            adv = ctypes.WinDLL("advapi32", use_last_error=True)
            k32 = ctypes.WinDLL("kernel32", use_last_error=True)

            self.GetNamedSecurityInfoW = adv.GetNamedSecurityInfoW
            self.GetNamedSecurityInfoW.argtypes = [
                wintypes.LPCWSTR, ctypes.c_int, wintypes.DWORD,
                _PPVOID, _PPVOID, _PPVOID, _PPVOID, _PPVOID,
            ]  # fmt: skip
            self.GetNamedSecurityInfoW.restype = wintypes.DWORD  # an error code, 0 = success

            self.SetNamedSecurityInfoW = adv.SetNamedSecurityInfoW
            self.SetNamedSecurityInfoW.argtypes = [
                wintypes.LPWSTR, ctypes.c_int, wintypes.DWORD,
                _PVOID, _PVOID, _PVOID, _PVOID,
            ]  # fmt: skip
            self.SetNamedSecurityInfoW.restype = wintypes.DWORD  # an error code, 0 = success

            self.IsValidSid = adv.IsValidSid
            self.IsValidSid.argtypes = [_PVOID]
            self.IsValidSid.restype = wintypes.BOOL
            self.GetLengthSid = adv.GetLengthSid
            self.GetLengthSid.argtypes = [_PVOID]
            self.GetLengthSid.restype = wintypes.DWORD

            self.OpenProcessToken = adv.OpenProcessToken
            self.OpenProcessToken.argtypes = [
                wintypes.HANDLE,
                wintypes.DWORD,
                ctypes.POINTER(wintypes.HANDLE),
            ]
            self.OpenProcessToken.restype = wintypes.BOOL
            self.GetTokenInformation = adv.GetTokenInformation
            self.GetTokenInformation.argtypes = [
                wintypes.HANDLE, ctypes.c_int, _PVOID, wintypes.DWORD, _PDWORD,
            ]  # fmt: skip
            self.GetTokenInformation.restype = wintypes.BOOL

            self.LookupAccountSidW = adv.LookupAccountSidW
            self.LookupAccountSidW.argtypes = [
                wintypes.LPCWSTR, _PVOID, wintypes.LPWSTR, _PDWORD,
                wintypes.LPWSTR, _PDWORD, ctypes.POINTER(ctypes.c_int),
            ]  # fmt: skip
            self.LookupAccountSidW.restype = wintypes.BOOL

            self.ConvertSddl = adv.ConvertStringSecurityDescriptorToSecurityDescriptorW
            self.ConvertSddl.argtypes = [
                wintypes.LPCWSTR, wintypes.DWORD, _PPVOID, ctypes.POINTER(wintypes.ULONG),
            ]  # fmt: skip
            self.ConvertSddl.restype = wintypes.BOOL
            self.GetSecurityDescriptorDacl = adv.GetSecurityDescriptorDacl
            self.GetSecurityDescriptorDacl.argtypes = [
                _PVOID, ctypes.POINTER(wintypes.BOOL), _PPVOID, ctypes.POINTER(wintypes.BOOL),
            ]  # fmt: skip
            self.GetSecurityDescriptorDacl.restype = wintypes.BOOL

            self.GetCurrentProcess = k32.GetCurrentProcess
            self.GetCurrentProcess.argtypes = []
            self.GetCurrentProcess.restype = wintypes.HANDLE
            self.CloseHandle = k32.CloseHandle
            self.CloseHandle.argtypes = [wintypes.HANDLE]
            self.CloseHandle.restype = wintypes.BOOL
            self.LocalFree = k32.LocalFree
            self.LocalFree.argtypes = [_PVOID]
            self.LocalFree.restype = _PVOID
            self.CreateFileW = k32.CreateFileW
            self.CreateFileW.argtypes = [
                wintypes.LPCWSTR, wintypes.DWORD, wintypes.DWORD,
                ctypes.POINTER(_SecurityAttributes), wintypes.DWORD, wintypes.DWORD,
                wintypes.HANDLE,
            ]  # fmt: skip
            self.CreateFileW.restype = wintypes.HANDLE

    @functools.cache
    def _api() -> _Api:
        return _Api()

    def _error(code: int, path: Path | None = None) -> OSError:
        # OSError(errno, strerror, filename, winerror) picks the subclass from winerror,
        # e.g. ERROR_FILE_EXISTS -> FileExistsError, ERROR_ACCESS_DENIED -> PermissionError.
        return OSError(None, ctypes.FormatError(code), None if path is None else str(path), code)

    def _last_error(path: Path | None = None) -> OSError:
        return _error(ctypes.get_last_error(), path)

    def _sid_bytes(psid: int | None) -> bytes:
        api = _api()
        if not psid or not api.IsValidSid(psid):
            raise ValueError("no valid SID")
        return ctypes.string_at(psid, api.GetLengthSid(psid))

    @functools.cache
    def _current_sid() -> str:
        """The SID of the user this process runs as (its token's TokenUser)."""
        api = _api()
        token = wintypes.HANDLE()
        if not api.OpenProcessToken(api.GetCurrentProcess(), _TOKEN_QUERY, ctypes.byref(token)):
            raise _last_error()
        try:
            needed = wintypes.DWORD(0)
            api.GetTokenInformation(token, _TOKEN_USER_CLASS, None, 0, ctypes.byref(needed))
            if ctypes.get_last_error() != _ERROR_INSUFFICIENT_BUFFER or not needed.value:
                raise _last_error()
            buffer = ctypes.create_string_buffer(needed.value)
            if not api.GetTokenInformation(
                token, _TOKEN_USER_CLASS, buffer, needed.value, ctypes.byref(needed)
            ):
                raise _last_error()
            # TOKEN_USER starts with SID_AND_ATTRIBUTES, whose first field is the PSID,
            # pointing inside `buffer` (kept alive until here).
            psid = ctypes.c_void_p.from_buffer(buffer).value
            return sid_to_str(_sid_bytes(psid))[0]
        finally:
            api.CloseHandle(token)

    def _account_name(sid: bytes) -> str | None:
        api = _api()
        sid_buffer = ctypes.create_string_buffer(sid, len(sid))
        name = ctypes.create_unicode_buffer(256)
        domain = ctypes.create_unicode_buffer(256)
        name_len, domain_len = wintypes.DWORD(256), wintypes.DWORD(256)
        use = ctypes.c_int(0)
        ok = api.LookupAccountSidW(
            None,
            ctypes.cast(sid_buffer, ctypes.c_void_p),
            name,
            ctypes.byref(name_len),
            domain,
            ctypes.byref(domain_len),
            ctypes.byref(use),
        )
        if not ok or not name.value:  # e.g. a deleted account, or a name over 255 chars
            return None
        return f"{domain.value}\\{name.value}" if domain.value else name.value

    def win_security(path: Path) -> tuple[str, str, list[Ace] | None, Callable[[str], str]]:
        """(owner SID, current user's SID, the DACL's ACEs or None for a NULL DACL, a namer
        turning a SID into an account name) of `path`.

        Raises: OSError when the security descriptor cannot be read; ValueError when its
        access list cannot be parsed.
        """
        api = _api()
        owner, dacl, descriptor = ctypes.c_void_p(), ctypes.c_void_p(), ctypes.c_void_p()
        err = api.GetNamedSecurityInfoW(
            str(path),
            _SE_FILE_OBJECT,
            _OWNER_SECURITY_INFORMATION | _DACL_SECURITY_INFORMATION,
            ctypes.byref(owner),
            None,
            ctypes.byref(dacl),
            None,
            ctypes.byref(descriptor),
        )
        if err:
            raise _error(err, path)
        sids: dict[str, bytes] = {}
        try:
            owner_sid = ""
            if owner.value:  # owner and dacl point inside `descriptor`: copy before freeing
                raw = _sid_bytes(owner.value)
                owner_sid = sid_to_str(raw)[0]
                sids[owner_sid] = raw
            aces: list[Ace] | None = None
            if dacl.value:  # NULL when the DACL is absent or a NULL DACL: everyone
                header = ctypes.string_at(dacl.value, 8)
                acl = ctypes.string_at(dacl.value, struct.unpack_from("<H", header, 2)[0])
                aces = parse_acl(acl)
                for ace in aces:  # keep the binary SIDs for naming the culprit
                    if ace.sid and ace.sid not in sids:
                        sids[ace.sid] = sid_from_str(ace.sid)
        finally:
            api.LocalFree(descriptor)

        def name(sid: str) -> str:
            found = _account_name(sids[sid]) if sid in sids else None
            return found or well_known_name(sid)

        return owner_sid, _current_sid(), aces, name

    def _win_is_private(path: Path) -> tuple[bool, str]:
        try:
            owner_sid, current_sid, aces, name = win_security(path)
        except ValueError:
            return False, "pysmail cannot read its access list"
        return dacl_verdict(owner_sid, current_sid, aces, name=name)

    def _private_descriptor() -> int:
        """A self-relative security descriptor: protected DACL, full control for us only.

        The caller frees it with LocalFree.
        """
        api = _api()
        descriptor = ctypes.c_void_p()
        sddl = f"D:P(A;;FA;;;{_current_sid()})"
        if not api.ConvertSddl(sddl, _SDDL_REVISION_1, ctypes.byref(descriptor), None):
            raise _last_error()
        if not descriptor.value:
            raise _error(87)  # ERROR_INVALID_PARAMETER; should not happen
        return descriptor.value

    def _win_make_private(path: Path) -> None:
        api = _api()
        descriptor = _private_descriptor()
        try:
            present, defaulted = wintypes.BOOL(), wintypes.BOOL()
            dacl = ctypes.c_void_p()
            if not api.GetSecurityDescriptorDacl(
                descriptor, ctypes.byref(present), ctypes.byref(dacl), ctypes.byref(defaulted)
            ):
                raise _last_error(path)
            if not present.value or not dacl.value:
                raise _error(87, path)  # a NULL DACL would open the file to everyone
            err = api.SetNamedSecurityInfoW(
                str(path),
                _SE_FILE_OBJECT,
                _DACL_SECURITY_INFORMATION | _PROTECTED_DACL_SECURITY_INFORMATION,
                None,
                None,
                dacl.value,
                None,
            )
            if err:
                raise _error(err, path)
        finally:
            api.LocalFree(descriptor)

    def _win_create_private(path: Path) -> int:
        import msvcrt

        api = _api()
        descriptor = _private_descriptor()
        try:
            attributes = _SecurityAttributes(ctypes.sizeof(_SecurityAttributes), descriptor, False)
            handle = api.CreateFileW(
                str(path),
                GENERIC_WRITE,
                _FILE_SHARE_ALL,
                ctypes.byref(attributes),
                _CREATE_NEW,
                _FILE_ATTRIBUTE_NORMAL,
                None,
            )
            if handle is None or handle == _INVALID_HANDLE_VALUE:
                raise _last_error(path)  # ERROR_FILE_EXISTS -> FileExistsError
        finally:
            api.LocalFree(descriptor)
        try:
            return msvcrt.open_osfhandle(handle, 0)  # binary mode, handle not inheritable
        except BaseException:
            api.CloseHandle(handle)
            raise

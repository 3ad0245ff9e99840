"""The Windows layer of fs.fileperm and fs.trust: advapi32/kernel32 through ctypes, nothing decided.

Reads a file's owner and DACL (`win_security`), judges it with fs.acl.dacl_verdict
(`is_private`), gives a file an owner-only protected DACL (`make_private`) and creates one
private from its first byte (`create_private`: CreateFileW with that descriptor).
Every entry point has argtypes/restype set, checked with `mypy --platform win32` and against the
documented prototypes by tests/unit/test_portability.py, but it is UNTESTED ON WINDOWS:
nobody has run it there yet. Imported only on Windows (ctypes costs start-up time).
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from pysmail.fs.acl import (
    GENERIC_WRITE,
    Ace,
    acl_size,
    dacl_verdict,
    parse_acl,
    private_sddl,
    sid_from_str,
    sid_to_str,
    well_known_name,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pysmail.fs.pathtext import StrPath

__all__ = ["create_private", "is_private", "make_private", "win_security"]

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

    def _error(code: int, path: StrPath | None = None) -> OSError:
        # OSError(errno, strerror, filename, winerror) picks the subclass from winerror,
        # e.g. ERROR_FILE_EXISTS -> FileExistsError, ERROR_ACCESS_DENIED -> PermissionError.
        return OSError(None, ctypes.FormatError(code), None if path is None else str(path), code)

    def _last_error(path: StrPath | None = None) -> OSError:
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

    def win_security(path: StrPath) -> tuple[str, str, list[Ace] | None, Callable[[str], str]]:
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
                acl = ctypes.string_at(dacl.value, acl_size(ctypes.string_at(dacl.value, 8)))
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

    def is_private(path: StrPath) -> tuple[bool, str]:
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
        sddl = private_sddl(_current_sid())
        if not api.ConvertSddl(sddl, _SDDL_REVISION_1, ctypes.byref(descriptor), None):
            raise _last_error()
        if not descriptor.value:
            raise _error(87)  # ERROR_INVALID_PARAMETER; should not happen
        return descriptor.value

    def make_private(path: StrPath) -> None:
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

    def create_private(path: StrPath) -> int:
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

"""The Windows and macOS code paths, checked on Linux where their logic can be reached.

CI runs on Linux only. What is tested here: the Windows branches' pure decisions (LANGID ->
language, which bind errors mean "take another port", the retries of a rename or unlink that
another process blocks), the msvcrt lock branch run against a fake msvcrt with LockFile's
byte-range semantics, the advapi32/kernel32 prototypes of fileperm against the documented
signatures, and the PowerShell completion script read by a tokenizer that follows PowerShell's
quoting rules (its four single-quote characters among them).
"""

from __future__ import annotations

import ast
import ctypes
import errno
import os
import signal
import sys
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from outboxutil import OneByOne
from pysmail.cli.completion import completion_script
from pysmail.cli.smail_args import OPTIONS
from pysmail.delivery import outbox
from pysmail.errors import OAuthError
from pysmail.fs import atomic, lock, oslock
from pysmail.messages import text, ui_lang
from pysmail.oauth import signals
from pysmail.oauth.redirect import is_addr_in_use

SRC = Path(__file__).resolve().parents[2] / "src" / "pysmail"


def _windows_block(path: Path) -> ast.Module:
    """The body of the module-level `if sys.platform == "win32":` of a source file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "sys.platform == 'win32'":
            return ast.Module(body=node.body, type_ignores=[])
    raise AssertionError(f"no Windows block in {path}")


# --- messages: the Windows UI language ---------------------------------------------------------


@pytest.mark.parametrize(
    ("langid", "lang"),
    [
        (0x0411, "ja"),  # ja-JP
        (0x0409, "en"),  # en-US
        (0x0804, "en"),  # zh-CN: not Japanese
        (0x0C04, "en"),  # zh-HK
        (0x0011, "ja"),  # LANG_JAPANESE, SUBLANG_NEUTRAL
        (0x7FFF_0411, "ja"),  # junk above the WORD that ctypes reads as an int
        (0x0412, "en"),  # ko-KR (0x12): one bit away
    ],
)
def test_ui_lang_reads_the_primary_language(langid: int, lang: str) -> None:
    assert ui_lang(langid) == lang


# --- redirect: which bind failures mean "that port is taken" ----------------------------------


def _oserror(code: int, winerror: int | None = None) -> OSError:
    exc = OSError(code, os.strerror(code) if code < 200 else "socket error")
    if winerror is not None:
        exc.winerror = winerror  # type: ignore[attr-defined]  # what Windows sets
    return exc


def test_is_addr_in_use_on_windows_and_posix() -> None:
    assert is_addr_in_use(_oserror(errno.EADDRINUSE))
    # Windows sockets: errno and winerror are both the WSA code
    assert is_addr_in_use(_oserror(10048, 10048))  # WSAEADDRINUSE
    # WSAEACCES: held exclusively by another socket, or in an excluded port range (Hyper-V)
    assert is_addr_in_use(_oserror(10013, 10013))
    # POSIX EACCES is a privileged port: another port is not what the user asked for
    assert not is_addr_in_use(_oserror(errno.EACCES))
    assert not is_addr_in_use(_oserror(errno.EADDRNOTAVAIL))


# --- atomic: renames and unlinks that another process blocks for a moment ----------------------


def _flaky(
    failures: int, exc: type[OSError] = PermissionError
) -> tuple[Callable[[], None], list[int]]:
    calls: list[int] = []

    def action() -> None:
        calls.append(1)
        if len(calls) <= failures:
            raise exc(errno.EACCES, "The process cannot access the file")

    return action, calls


def test_retry_shared_waits_out_a_short_sharing_violation_on_windows() -> None:
    naps: list[float] = []
    action, calls = _flaky(3)
    atomic.retry_shared(action, windows=True, sleep=naps.append)
    assert len(calls) == 4 and len(naps) == 3


def test_retry_shared_gives_up_after_about_a_second() -> None:
    naps: list[float] = []
    action, calls = _flaky(10_000)
    with pytest.raises(PermissionError):
        atomic.retry_shared(action, windows=True, sleep=naps.append)
    assert len(calls) == atomic._REPLACE_RETRIES
    assert 0.5 <= sum(naps) <= 2.0


def test_retry_shared_raises_at_once_elsewhere_and_for_other_errors() -> None:
    naps: list[float] = []
    action, calls = _flaky(1)
    with pytest.raises(PermissionError):
        atomic.retry_shared(action, windows=False, sleep=naps.append)
    action, calls = _flaky(1, FileNotFoundError)
    with pytest.raises(FileNotFoundError):
        atomic.retry_shared(action, windows=True, sleep=naps.append)
    assert len(calls) == 1 and naps == []


def test_which_windows_errors_mean_another_process_has_the_file() -> None:
    # recorded winerror values of MoveFileEx/DeleteFile against a file held open elsewhere
    # (errno 0: on Linux an OSError with errno 13 would be a PermissionError by itself)
    assert atomic.shared_file_busy(_oserror(0, 5))  # ERROR_ACCESS_DENIED
    assert atomic.shared_file_busy(_oserror(0, 32))  # ERROR_SHARING_VIOLATION
    assert atomic.shared_file_busy(_oserror(0, 33))  # ERROR_LOCK_VIOLATION
    assert atomic.shared_file_busy(PermissionError(errno.EACCES, "denied"))
    assert not atomic.shared_file_busy(_oserror(0, 2))  # ERROR_FILE_NOT_FOUND
    assert not atomic.shared_file_busy(_oserror(errno.EXDEV))  # another drive: no retry helps
    naps: list[float] = []
    calls: list[int] = []

    def held_then_free() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise _oserror(0, 32)

    atomic.retry_shared(held_then_free, windows=True, sleep=naps.append)
    assert len(calls) == 2 and len(naps) == 1


@pytest.fixture
def as_on_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    """retry_shared behaves as on Windows (without sleeping) for the outbox."""
    real = atomic.retry_shared

    def windows(action: Callable[[], object]) -> None:
        real(action, windows=True, sleep=lambda _: None)

    monkeypatch.setattr(atomic, "retry_shared", windows)


def _block_once(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str, match: str) -> list[str]:
    """The first call of owner.name on a path ending in `match` fails as a sharing violation."""
    real = getattr(owner, name)
    seen: list[str] = []

    def blocked(*args: Any, **kwargs: Any) -> Any:
        target = str(args[-1] if owner is os else args[0])
        if target.endswith(match) and not seen:
            seen.append(target)
            raise PermissionError(errno.EACCES, "sharing violation", target)
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, blocked)
    return seen


def _envelope() -> outbox.Envelope:
    return outbox.Envelope("a@example.test", ("b@example.test",), 1e9, "<m@example.test>")


MSG = b"From: a@example.test\r\nSubject: s\r\n\r\nbody\r\n"


@pytest.mark.usefixtures("as_on_windows")
def test_a_sent_message_held_open_by_a_reader_is_still_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sent message's file is removed behind the sending (the sent journal, D46): a reader
    holding it open for a moment is waited out."""
    spool = tmp_path / "spool"
    path = outbox.enqueue(spool, _envelope(), [MSG], clock=lambda: 1e9)
    seen = _block_once(monkeypatch, os, "unlink", ".msg")
    delivery = OneByOne(lambda job, chunks: b"".join(chunks))
    result = outbox.flush(spool, delivery, clock=lambda: 1e9 + 1)  # type: ignore[arg-type]
    assert seen == [str(path)]
    assert result.sent == [path.stem] and not path.exists()


@pytest.mark.usefixtures("as_on_windows")
def test_enqueue_and_requeue_wait_out_a_scanner_holding_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spool = tmp_path / "spool"
    seen = _block_once(monkeypatch, os, "replace", ".msg")
    path = outbox.enqueue(spool, _envelope(), [MSG], clock=lambda: 1e9)
    assert seen == [str(path)] and path.is_file()
    aside = spool / "unsent" / path.name
    aside.parent.mkdir()
    os.rename(path, aside)
    seen.clear()
    back = outbox.requeue(aside, spool)
    assert seen == [str(back)] and back.is_file()


# --- lock: the msvcrt branch against a fake msvcrt ---------------------------------------------


class _FakeMsvcrt(types.ModuleType):
    """msvcrt.locking with LockFile's rules: a byte range from the CURRENT file position,
    locks held per open handle, LK_NBLCK failing at once with EACCES, past-EOF allowed."""

    LK_UNLCK, LK_LOCK, LK_NBLCK, LK_RLCK, LK_NBRLCK = 0, 1, 2, 3, 4

    def __init__(self) -> None:
        super().__init__("msvcrt")
        self.held: dict[tuple[int, int], tuple[int, int]] = {}  # (inode, start) -> (fd, nbytes)
        self.calls: list[tuple[int, int, int]] = []

    def locking(self, fd: int, mode: int, nbytes: int) -> None:
        st = os.fstat(fd)
        start = os.lseek(fd, 0, os.SEEK_CUR)
        self.calls.append((mode, start, nbytes))
        key = (st.st_ino, start)
        if mode == self.LK_UNLCK:
            if self.held.get(key, (-1, 0))[0] != fd:
                raise OSError(errno.EACCES, "not locked")
            del self.held[key]
        elif mode == self.LK_NBLCK:
            if key in self.held:
                raise OSError(errno.EACCES, "Permission denied")
            self.held[key] = (fd, nbytes)
        else:  # pragma: no cover - pysmail never waits inside msvcrt
            raise AssertionError(f"unexpected mode {mode}")


@pytest.fixture
def windows_lock(monkeypatch: pytest.MonkeyPatch) -> Iterator[_FakeMsvcrt]:
    fake = _FakeMsvcrt()
    monkeypatch.setitem(sys.modules, "msvcrt", fake)
    namespace: dict[str, Any] = {
        "os": os,
        "__name__": "lock_win32",
        "windows_lock_busy": oslock.windows_lock_busy,
    }
    exec(compile(_windows_block(SRC / "fs" / "oslock.py"), "oslock.py", "exec"), namespace)
    for name in ("try_lock", "unlock", "is_busy"):
        monkeypatch.setattr(oslock, name, namespace[name])
    yield fake


def test_the_windows_lock_excludes_a_second_holder(
    tmp_path: Path, windows_lock: _FakeMsvcrt
) -> None:
    path = tmp_path / "x.lock"
    with lock.FileLock(path, timeout=5):
        with pytest.raises(OAuthError) as caught, lock.FileLock(path, timeout=0.1):
            pass  # pragma: no cover - never entered
        assert caught.value.msgid == "oauth.lock_timeout"
    with lock.FileLock(path, timeout=0.1):  # released on exit
        pass
    assert windows_lock.held == {}
    # every call locked or unlocked byte 0, one byte, whatever the file position was
    assert {(start, n) for _, start, n in windows_lock.calls} == {(0, 1)}


def test_the_windows_lock_seeks_to_byte_zero_first(
    tmp_path: Path, windows_lock: _FakeMsvcrt
) -> None:
    fd = os.open(tmp_path / "x.lock", os.O_RDWR | os.O_CREAT)
    try:
        os.write(fd, b"moved")  # the position is now 5
        oslock.try_lock(fd)
        os.lseek(fd, 3, os.SEEK_SET)
        oslock.unlock(fd)  # unlocks byte 0, not byte 3 (which would fail)
    finally:
        os.close(fd)
    assert [(start, n) for _, start, n in windows_lock.calls] == [(0, 1), (0, 1)]


def test_the_windows_busy_errors(windows_lock: _FakeMsvcrt) -> None:
    # _locking: EACCES when LK_NBLCK finds the bytes locked, EDEADLOCK after LK_LOCK's 10 tries;
    # the numbers are the MSVC runtime's (recorded), not this OS's errno module
    assert oslock.is_busy(OSError(13, "Permission denied"))  # EACCES
    assert oslock.is_busy(OSError(36, "Resource deadlock avoided"))  # EDEADLOCK on Windows
    assert not oslock.is_busy(OSError(9, "bad fd"))  # EBADF
    assert not oslock.is_busy(OSError(35, "x"))  # Linux's EDEADLK: not a Windows value
    assert not oslock.windows_lock_busy(None)


# --- acl: the pieces of a security descriptor fs.winacl asks for -------------------------------


def test_the_private_descriptor_and_the_acl_size() -> None:
    from pysmail.fs.acl import acl_size, private_sddl

    sid = "S-1-5-21-1004336348-1177238915-682003330-1001"  # a recorded user SID
    # protected DACL (no inheritance), one ACE: allow, full file access, that user only
    assert private_sddl(sid) == f"D:P(A;;FA;;;{sid})"
    with pytest.raises(ValueError):
        private_sddl("")  # an empty SID would make "for nobody" unreadable, never silently
    # a recorded ACL header: revision 2, AclSize 0x001c (28), AceCount 1
    assert acl_size(bytes.fromhex("02001c0001000000")) == 28
    with pytest.raises(ValueError):
        acl_size(b"\x02\x00")
    with pytest.raises(ValueError):
        acl_size(bytes.fromhex("0200040000000000"))  # smaller than its own header


def test_signals_named_sigbreak_are_held_too(monkeypatch: pytest.MonkeyPatch) -> None:
    """Windows' Ctrl+Break is SIGBREAK: stand it in with SIGUSR1 and see it held and replayed."""
    monkeypatch.setattr(signal, "SIGBREAK", signal.SIGUSR1, raising=False)
    got: list[int] = []
    previous = signal.signal(signal.SIGUSR1, lambda signum, frame: got.append(signum))
    try:
        with signals.deferred_signals():
            signal.raise_signal(signal.SIGUSR1)
            assert got == []
        assert got == [signal.SIGUSR1]
    finally:
        signal.signal(signal.SIGUSR1, previous)


# --- fileperm: the advapi32/kernel32 prototypes -------------------------------------------------

# From the Win32 documentation: (parameters, return); "p" a pointer-sized value (HANDLE, PSID,
# PACL, LPCWSTR, any pointer), "i" a 32-bit value (DWORD, BOOL, enum, SECURITY_INFORMATION).
PROTOTYPES = {
    "GetNamedSecurityInfoW": ("piippppp", "i"),
    "SetNamedSecurityInfoW": ("piipppp", "i"),
    "IsValidSid": ("p", "i"),
    "GetLengthSid": ("p", "i"),
    "OpenProcessToken": ("pip", "i"),
    "GetTokenInformation": ("pipip", "i"),
    "LookupAccountSidW": ("ppppppp", "i"),
    "ConvertSddl": ("pipp", "i"),  # ConvertStringSecurityDescriptorToSecurityDescriptorW
    "GetSecurityDescriptorDacl": ("pppp", "i"),
    "GetCurrentProcess": ("", "p"),
    "CloseHandle": ("p", "i"),
    "LocalFree": ("p", "p"),
    "CreateFileW": ("piipiip", "p"),
}


def _kind(ctype: Any) -> str:
    from ctypes import wintypes

    if isinstance(ctype, type) and issubclass(
        ctype, (ctypes.c_void_p, ctypes.c_wchar_p, ctypes.c_char_p, ctypes._Pointer)
    ):
        return "p"
    if ctype in (wintypes.DWORD, wintypes.ULONG, wintypes.BOOL, ctypes.c_int, ctypes.c_uint):
        return "i"
    return f"? {ctype!r}"


class _FakeFunction:
    argtypes: list[Any] | None = None
    restype: Any = "unset"


class _FakeDll:
    opened: list[tuple[str, bool]] = []

    def __init__(self, name: str, use_last_error: bool = False) -> None:
        self.opened.append((name, use_last_error))
        self._functions: dict[str, _FakeFunction] = {}

    def __getattr__(self, name: str) -> _FakeFunction:
        if name.startswith("_"):
            raise AttributeError(name)
        return self._functions.setdefault(name, _FakeFunction())


def test_fileperm_prototypes_match_the_win32_signatures(monkeypatch: pytest.MonkeyPatch) -> None:
    import pysmail.fs.winacl as winacl

    _FakeDll.opened = []
    monkeypatch.setattr(ctypes, "WinDLL", _FakeDll, raising=False)
    namespace = dict(vars(winacl))
    exec(compile(_windows_block(SRC / "fs" / "winacl.py"), "winacl.py", "exec"), namespace)
    api = namespace["_api"]()
    # GetLastError is read through ctypes.get_last_error: every DLL must save it
    assert sorted(_FakeDll.opened) == [("advapi32", True), ("kernel32", True)]
    for name, (params, result) in PROTOTYPES.items():
        function = getattr(api, name)
        assert function.argtypes is not None, name
        assert "".join(_kind(t) for t in function.argtypes) == params, name
        assert _kind(function.restype) == result, name
    # winnt.h / winbase.h / accctrl.h / sddl.h values
    assert namespace["_SE_FILE_OBJECT"] == 1
    assert namespace["_OWNER_SECURITY_INFORMATION"] == 0x1
    assert namespace["_DACL_SECURITY_INFORMATION"] == 0x4
    assert namespace["_PROTECTED_DACL_SECURITY_INFORMATION"] == 0x8000_0000
    assert namespace["_TOKEN_QUERY"] == 0x8
    assert namespace["_TOKEN_USER_CLASS"] == 1
    assert namespace["_ERROR_INSUFFICIENT_BUFFER"] == 122
    assert namespace["_SDDL_REVISION_1"] == 1
    assert namespace["_CREATE_NEW"] == 1
    assert namespace["_FILE_SHARE_ALL"] == 0x7
    assert namespace["_FILE_ATTRIBUTE_NORMAL"] == 0x80
    # INVALID_HANDLE_VALUE is (HANDLE)-1, as a HANDLE restype hands it back
    assert namespace["_INVALID_HANDLE_VALUE"] == 2 ** (8 * ctypes.sizeof(ctypes.c_void_p)) - 1
    fields = [(name, _kind(t)) for name, t in namespace["_SecurityAttributes"]._fields_]
    assert fields == [("nLength", "i"), ("lpSecurityDescriptor", "p"), ("bInheritHandle", "i")]


def test_fileperm_access_rights_are_winnt_values() -> None:
    import pysmail.fs.acl as fileperm

    assert (fileperm.FILE_READ_DATA, fileperm.FILE_WRITE_DATA, fileperm.FILE_APPEND_DATA) == (
        0x1,
        0x2,
        0x4,
    )
    assert (fileperm.FILE_WRITE_EA, fileperm.FILE_READ_ATTRIBUTES) == (0x10, 0x80)
    assert fileperm.FILE_WRITE_ATTRIBUTES == 0x100
    assert (fileperm.DELETE, fileperm.READ_CONTROL, fileperm.WRITE_DAC) == (
        0x1_0000,
        0x2_0000,
        0x4_0000,
    )
    assert (fileperm.WRITE_OWNER, fileperm.SYNCHRONIZE) == (0x8_0000, 0x10_0000)
    assert (fileperm.GENERIC_ALL, fileperm.GENERIC_WRITE, fileperm.GENERIC_READ) == (
        0x1000_0000,
        0x4000_0000,
        0x8000_0000,
    )
    assert fileperm.INHERIT_ONLY_ACE == 0x8


# --- PowerShell completion: read back the way PowerShell tokenizes it --------------------------

_PS_SINGLE = "'\u2018\u2019\u201a\u201b"  # SpecialCharacters.IsSingleQuote
_PS_DOUBLE = '"\u201c\u201d\u201e'  # SpecialCharacters.IsDoubleQuote
_PAIRS = {")": "(", "}": "{", "]": "["}


def _ps_tokens(script: str) -> list[str]:
    """The values of the single-quoted strings of `script`; fails on an unterminated string
    or an unbalanced bracket outside strings and comments."""
    strings: list[str] = []
    stack: list[tuple[str, int]] = []
    i, n = 0, len(script)
    while i < n:
        c = script[i]
        if c == "#":  # a line comment (the script has no <# #> blocks)
            end = script.find("\n", i)
            i = n if end < 0 else end
            continue
        if c == "`":
            i += 2
            continue
        if c in _PS_SINGLE:
            value, j = [], i + 1
            while True:
                assert j < n, f"unterminated string from offset {i}"
                if script[j] in _PS_SINGLE:
                    if j + 1 < n and script[j + 1] in _PS_SINGLE:
                        value.append(script[j + 1])
                        j += 2
                        continue
                    break
                value.append(script[j])
                j += 1
            strings.append("".join(value))
            i = j + 1
            continue
        if c in _PS_DOUBLE:
            j = i + 1
            while True:
                assert j < n, f"unterminated string from offset {i}"
                if script[j] == "`":
                    j += 2
                    continue
                if script[j] in _PS_DOUBLE:
                    if j + 1 < n and script[j + 1] in _PS_DOUBLE:
                        j += 2
                        continue
                    break
                j += 1
            i = j + 1
            continue
        if c in "({[":
            stack.append((c, i))
        elif c in _PAIRS:
            assert stack and stack[-1][0] == _PAIRS[c], f"unbalanced {c} at offset {i}"
            stack.pop()
        i += 1
    assert not stack, f"unclosed {stack[-1]}"
    return strings


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_powershell_script_tokenizes_and_keeps_every_text(lang: str) -> None:
    strings = _ps_tokens(completion_script("powershell", lang))
    for spec in OPTIONS:
        help_text = text(spec.help_id, lang)
        # CompletionResult(text, list, type, toolTip) throws on an empty toolTip
        assert help_text.strip(), spec.help_id
        assert help_text in strings, spec.help_id
        for name in spec.spellings():
            assert name in strings


def test_powershell_quotes_all_four_single_quote_characters(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import pysmail.cli.completion as completion

    nasty = 'it\'s \u2018quoted\u2019, \u201alow\u201b, "double" $(Get-Date) `n # no comment {('
    monkeypatch.setattr(completion, "text", lambda msgid, lang, **params: nasty)
    strings = _ps_tokens(completion_script("powershell"))
    assert strings.count(nasty) == len([n for spec in OPTIONS for n in spec.spellings()])


def test_the_program_of_a_windows_command_line_keeps_a_quoted_path() -> None:
    from pysmail.config.secrets import _windows_program

    assert _windows_program('"C:\\Program Files\\Vault\\get.exe" --name smtp') == (
        "C:\\Program Files\\Vault\\get.exe"
    )
    assert _windows_program("  get-pass.cmd smtp ") == "get-pass.cmd"
    assert _windows_program('"unterminated path') == "unterminated path"
    assert _windows_program("   ") == ""


def test_a_handler_installed_outside_python_is_restored_as_the_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """signal.signal() returns None for a handler set outside Python; passing None back raises
    TypeError, so deferred_signals() restores SIG_DFL there (no real handler is touched)."""
    import signal

    calls: list[tuple[int, object]] = []

    def fake(signum: int, handler: object) -> object:
        calls.append((signum, handler))
        return None  # every previous handler was installed outside Python

    monkeypatch.setattr(signal, "signal", fake)
    with signals.deferred_signals():
        pass
    held = len(calls) // 2
    assert held >= 2  # SIGINT and SIGTERM at least
    assert [h for _, h in calls[held:]] == [signal.SIG_DFL] * held


def test_an_empty_ca_store_on_macos_is_named(tmp_path: Path) -> None:
    """A python.org build on macOS without 'Install Certificates.command' has no CA at all: the
    TLS error then says so (and how to fix it); elsewhere, or with CAs loaded, it does not."""
    import ssl
    import subprocess

    from pysmail.delivery.retry import classify
    from pysmail.errors import NetworkError
    from pysmail.exitcodes import ErrCode
    from pysmail.messages import format_error
    from pysmail.net.tls import no_ca_store as _no_ca_store

    empty = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    assert _no_ca_store(empty, "darwin") and not _no_ca_store(empty, "linux")
    assert not _no_ca_store(empty, "win32")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-subj", "/CN=t", "-days", "2"],
        cwd=tmp_path, check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    loaded = ssl.create_default_context(cafile=str(tmp_path / "ca.pem"))
    assert not _no_ca_store(loaded, "darwin")
    err = NetworkError(ErrCode.TLS, "smtp.tls_no_ca_store", host="h", reason="r")
    assert classify(err).permanent
    assert "Install Certificates.command" in format_error(err, "en")

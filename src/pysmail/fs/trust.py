"""One trust check for every file smail takes settings or secrets from (docs/settings.md 1).

A file is TRUSTED when nobody but you can change it: it belongs to you (or to root; on Windows
to SYSTEM or Administrators, who can change any of your files anyway: OpenSSH's rule, which
lets an administrator ship a shared read-only smail.ini), and no one else may write it
(POSIX: no group/other write bit, a group-writable file being allowed only when its group is
the owner's private group, as OpenSSH allows; Windows: no allow ACE with a change right for an
account other than you, the owner, SYSTEM, Administrators or OWNER RIGHTS). A file is PRIVATE
when no one else may read it either (mode_verdict here / fs.acl.dacl_verdict: the rule
that `password =` in smail.ini already followed).

The decisions are pure functions (`posix_verdict`, `windows_verdict`, `fix_commands`) tested
on every OS; `verdict_of` and `read_checked` are the thin I/O layer. The policy that uses them:
config.paths (smail.ini, $SMAIL_CONFIG, --config) and oauth.tokenfile (smail_refreshtoken.ini).
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from pysmail.errors import ConfigError
    from pysmail.fs.acl import Ace
    from pysmail.fs.pathtext import StrPath

__all__ = [
    "Verdict",
    "fix_commands",
    "mode_verdict",
    "posix_verdict",
    "read_checked",
    "settings_refusal",
    "token_refusal",
    "verdict_of",
    "windows_verdict",
]

ROOT_UID = 0


class Verdict:
    """What the trust check found; each field is "" when all is well.

    owner: who else owns the file ("uid 65534 (nobody)", "EXAMPLE\\bob").
    changers: who else may change it ("mode 0666", "BUILTIN\\Users").
    readers: why others may read it (mode_verdict's reason, e.g. "readable by others (mode 0644)").
    """

    __slots__ = ("changers", "owner", "readers")

    def __init__(self, owner: str = "", changers: str = "", readers: str = "") -> None:
        self.owner = owner
        self.changers = changers
        self.readers = readers

    @property
    def trusted(self) -> bool:
        """Nobody but you (and root / SYSTEM / Administrators) can change the file."""
        return not self.owner and not self.changers

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Verdict):
            return NotImplemented
        return (self.owner, self.changers, self.readers) == (
            other.owner,
            other.changers,
            other.readers,
        )

    def __hash__(self) -> int:
        return hash((self.owner, self.changers, self.readers))

    def __repr__(self) -> str:
        return (
            f"Verdict(owner={self.owner!r}, changers={self.changers!r}, readers={self.readers!r})"
        )


# --- pure decisions -------------------------------------------------------------------------


def mode_verdict(mode: int) -> tuple[bool, str]:
    """POSIX: private when no group or other bit is set; else why not, e.g. "(mode 0644)"."""
    loose = mode & 0o077
    if not loose:
        return True, ""
    kinds = [
        word
        for word, bits in (("readable", 0o044), ("writable", 0o022), ("executable", 0o011))
        if loose & bits
    ]
    who = "group" if not loose & 0o007 else "others" if not loose & 0o070 else "group and others"
    return False, f"{' and '.join(kinds)} by {who} (mode 0{mode & 0o777:03o})"


def posix_verdict(
    *, owner: int, mode: int, me: int, owner_name: str = "", group_private: bool = False
) -> Verdict:
    """The verdict on a file of uid `owner` and permission bits `mode`, read by uid `me`.

    group_private: the file's group is its owner's private group (its only member is the
    owner; OpenSSH's test), so a group write bit lets no one else in.
    """
    who = ""
    if owner not in (me, ROOT_UID):
        who = f"uid {owner} ({owner_name})" if owner_name else f"uid {owner}"
    changers = ""
    if mode & 0o002 or (mode & 0o020 and not group_private):
        changers = f"mode 0{mode & 0o777:03o}"
    return Verdict(who, changers, mode_verdict(mode)[1])


def windows_verdict(
    owner_sid: str,
    current_sid: str,
    aces: Sequence[Ace] | None,
    *,
    name: Callable[[str], str] | None = None,
) -> Verdict:
    """The verdict on a Windows file: its owner's SID, the current user's SID and its DACL
    (None for a NULL DACL). `name` turns a SID into an account name (well-known names if None).
    """
    from pysmail.fs import acl

    namer = name or acl.well_known_name
    admins = {current_sid, acl.SID_SYSTEM, acl.SID_ADMINISTRATORS} - {""}
    who = "" if owner_sid in admins else namer(owner_sid) if owner_sid else "an unknown owner"
    readers = acl.dacl_verdict(owner_sid, current_sid, aces, name=namer)[1]
    if aces is None:
        return Verdict(who, "Everyone (no access list)", readers)
    trusted = admins | {acl.SID_OWNER_RIGHTS} | ({owner_sid} if not who else set())
    changer = next((ace for ace in aces if _lets_change(ace, trusted)), None)
    if changer is None:
        return Verdict(who, "", readers)
    return Verdict(
        who, namer(changer.sid) if changer.sid else "an entry pysmail cannot read", readers
    )


def _lets_change(ace: Ace, trusted: set[str]) -> bool:
    """Whether `ace` lets someone not trusted change the file."""
    from pysmail.fs import acl

    if ace.type not in acl.ALLOW_TYPES or ace.flags & acl.INHERIT_ONLY_ACE:
        return False
    return bool(ace.mask & acl.CHANGES) and ace.sid not in trusted


def fix_commands(path: str, verdict: Verdict, *, private: bool, platform: str, user: str) -> str:
    """The command(s) that make the file trusted (and private when `private`), for messages.

    POSIX: `chown <user> <path>` for another owner, then `chmod 600` (private) or
    `chmod go-w`. Windows (cmd.exe): icacls /setowner, then the owner-only grant.
    """
    if platform == "win32":
        return _icacls_commands(path, verdict, private=private)
    steps: list[str] = []
    quoted = _shell_quote(path)
    if verdict.owner:
        steps.append(f"chown {_shell_quote(user)} {quoted}")
    if private and verdict.readers:
        steps.append(f"chmod 600 {quoted}")
    elif verdict.changers:
        steps.append(f"chmod go-w {quoted}")
    return " && ".join(steps)


def _icacls_commands(path: str, verdict: Verdict, *, private: bool) -> str:
    """Windows (cmd.exe): take the file over, then grant it to its owner only."""
    steps: list[str] = []
    quoted = f'"{path}"'
    if verdict.owner:
        steps.append(f'icacls {quoted} /setowner "%USERNAME%"')
    if verdict.owner or verdict.changers or (private and verdict.readers):
        steps.append(f'icacls {quoted} /inheritance:r /grant:r "%USERNAME%:F"')
    return " && ".join(steps)


def _shell_quote(text: str) -> str:
    safe = all(c.isalnum() or c in "@%+=:,./-_~" for c in text)
    return text if safe and text else "'" + text.replace("'", "'\"'\"'") + "'"


# --- the policy: which files are refused, and the error that says so ------------------------


def settings_refusal(
    path: StrPath, verdict: Verdict, *, explicit: bool, platform: str | None = None
) -> ConfigError | None:
    """The error for a settings file others can change, or None when it is trusted.

    Found by the lookup (current folder, the user's folder) or named by $SMAIL_CONFIG: the
    error is raised at once. Named with --config (`explicit`): the file is used, and the
    returned "config.command_untrusted" error is raised only if its password_command would run.
    """
    from pysmail.errors import ConfigError
    from pysmail.exitcodes import ErrCode

    if verdict.trusted:
        return None
    fix = _fix(path, verdict, private=False, platform=platform)
    why = ", ".join(part for part in (verdict.owner, verdict.changers) if part)
    if explicit:
        return ConfigError(
            ErrCode.CONFIG, "config.command_untrusted", path=str(path), why=why, fix=fix
        )
    if verdict.owner:
        return ConfigError(
            ErrCode.CONFIG, "config.untrusted_owner", path=str(path), owner=verdict.owner, fix=fix
        )
    return ConfigError(
        ErrCode.CONFIG, "config.untrusted_writable", path=str(path), who=verdict.changers, fix=fix
    )


def token_refusal(
    path: StrPath, verdict: Verdict, *, holds_secret: bool, platform: str | None = None
) -> ConfigError | None:
    """The error for a token file others can change, or that others can read while it holds
    a refresh token or client secret (the rule of `password =` in smail.ini); None when fine.
    """
    from pysmail.errors import ConfigError
    from pysmail.exitcodes import ErrCode

    if verdict.trusted and not (holds_secret and verdict.readers):
        return None
    fix = _fix(path, verdict, private=holds_secret, platform=platform)
    if not verdict.trusted:
        why = ", ".join(part for part in (verdict.owner, verdict.changers) if part)
        return ConfigError(
            ErrCode.CONFIG, "oauth.token_untrusted", path=str(path), why=why, fix=fix
        )
    return ConfigError(
        ErrCode.CONFIG, "oauth.token_not_private", path=str(path), reason=verdict.readers, fix=fix
    )


def _fix(path: StrPath, verdict: Verdict, *, private: bool, platform: str | None) -> str:
    platform = sys.platform if platform is None else platform
    return fix_commands(str(path), verdict, private=private, platform=platform, user=current_user())


# --- the I/O layer --------------------------------------------------------------------------


def verdict_of(path: StrPath, st: os.stat_result | None = None) -> Verdict:
    """The verdict on `path` as it is now; POSIX judges `st` when given (the fstat of the very
    file read, not whatever the name points to a moment later).

    Raises: OSError when the owner or permissions cannot be read.
    """
    if sys.platform == "win32":  # pragma: no cover - Windows only; untested on Windows
        from pysmail.fs import winacl

        try:
            owner_sid, current_sid, aces, name = winacl.win_security(path)
        except ValueError:
            return Verdict("", "an access list pysmail cannot read", "an unreadable access list")
        return windows_verdict(owner_sid, current_sid, aces, name=name)
    st = os.stat(path) if st is None else st
    me = os.geteuid()
    owner_name = ""
    if st.st_uid not in (me, ROOT_UID):
        owner_name = _user_name(st.st_uid)
    group_private = bool(st.st_mode & 0o020) and _private_group(st.st_gid, st.st_uid)
    return posix_verdict(
        owner=st.st_uid,
        mode=st.st_mode,
        me=me,
        owner_name=owner_name,
        group_private=group_private,
    )


def read_checked(path: StrPath, limit: int | None = None) -> tuple[bytes, Verdict]:
    """The file's bytes (at most `limit` + 1 of them) and the verdict on that same file.

    Only a regular file is read (fs.inputfile.open_regular: a FIFO or a device planted under
    the name would block or never end; it is opened non-blocking, then refused).

    Raises: OSError (FileNotFoundError when it does not exist; NotRegularFileError,
        IsADirectoryError).
    """
    from pysmail.fs.inputfile import open_regular

    with open_regular(path) as stream:
        verdict = verdict_of(path, os.fstat(stream.fileno()))
        data = stream.read() if limit is None else stream.read(limit + 1)
    return data, verdict


def current_user() -> str:
    """The name of the user this process runs as (for `chown` advice)."""
    if sys.platform == "win32":  # pragma: no cover - Windows only
        return os.environ.get("USERNAME", "")
    return _user_name(os.geteuid()) or str(os.geteuid())


def _user_name(uid: int) -> str:
    if sys.platform == "win32":  # pragma: no cover - no uids on Windows
        return ""
    import pwd

    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return ""


def _private_group(gid: int, owner: int) -> bool:
    """OpenSSH's secure_permissions: the group's only member (by primary or supplementary
    membership) is the file's owner."""
    if sys.platform == "win32":  # pragma: no cover - no groups on Windows
        return False
    import grp
    import pwd

    try:
        group = grp.getgrgid(gid)
        owner_name = pwd.getpwuid(owner).pw_name
    except KeyError:
        return False
    members = 0
    for entry in pwd.getpwall():
        if entry.pw_gid == gid:
            members += 1
            if entry.pw_uid != owner:
                return False
    if group.gr_mem:
        if group.gr_mem != [owner_name]:
            return False
        members += 1
    return members > 0

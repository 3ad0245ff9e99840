"""Windows access lists, decided purely: is a DACL private, and the binary ACL and SID formats.

Private means the file has a DACL (a NULL DACL lets everyone in) and every allow ACE that
applies to the file itself and grants more than reading attributes or the security descriptor
is for the owner, the current user, SYSTEM, Administrators or OWNER RIGHTS. Deny ACEs are
ignored (they only take rights away). Parsers: [MS-DTYP] 2.4.2 (SID), 2.4.5 (ACL).
No I/O here: tested on every OS; fs.winacl reads the real descriptors through ctypes.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence

from pysmail.record import record

__all__ = [
    "Ace",
    "acl_size",
    "dacl_verdict",
    "parse_acl",
    "private_sddl",
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
ALLOW_TYPES = frozenset(
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
CHANGES = (
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


@record
class Ace:
    """One access control entry: its type, flags, access mask and trustee SID ("S-1-...")."""

    type: int
    flags: int
    mask: int
    sid: str


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
        rights = _rights_granted(ace, trusted)
        if rights:
            who = name(ace.sid) if ace.sid else "an entry pysmail cannot read"
            return False, f"{who} {_what_it_may_do(rights, ace.mask)}"
    return True, ""


def _rights_granted(ace: Ace, trusted: set[str]) -> int:
    """The rights that count which `ace` grants to someone not trusted (0: none)."""
    if ace.type not in ALLOW_TYPES or ace.flags & INHERIT_ONLY_ACE or ace.sid in trusted:
        return 0
    return ace.mask & ~_HARMLESS


# (reads, changes) -> what the trustee may do, in the reason
_MAY = {
    (True, True): "may read and change it",
    (True, False): "may read it",
    (False, True): "may change it",
}


def _what_it_may_do(rights: int, mask: int) -> str:
    reads, changes = bool(rights & _READS), bool(rights & CHANGES)
    return _MAY.get((reads, changes), f"has access rights 0x{mask:08X} to it")


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


def acl_size(header: bytes) -> int:
    """The AclSize of an ACL from its first 8 bytes (revision, sbz1, AclSize, AceCount, sbz2):
    how many bytes fs.winacl copies out of the security descriptor.

    Raises: ValueError for a header too short or a size smaller than the header.
    """
    if len(header) < 8:
        raise ValueError("truncated ACL")
    size: int = struct.unpack_from("<H", header, 2)[0]
    if size < 8:
        raise ValueError("bad ACL size")
    return size


def private_sddl(sid: str) -> str:
    """The security descriptor, in SDDL, of a file private to `sid`: a protected DACL (no
    inherited entries, "P") with one allow ACE of full file access ("FA") for that SID."""
    if not sid.startswith("S-1-"):
        raise ValueError(f"not a SID: {sid!r}")
    return f"D:P(A;;FA;;;{sid})"


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
        aces.append(Ace(ace_type, flags, mask, _ace_sid(ace_type, body)))
        pos += ace_size
    return aces


def _ace_sid(ace_type: int, body: bytes) -> str:
    """The trustee SID of an ACE `body`: after the mask, or after an object ACE's GUIDs;
    "" for a layout this parser cannot place."""
    if ace_type in _PLAIN_LAYOUT:
        return sid_to_str(body, 8)[0]
    if ace_type in _OBJECT_LAYOUT and len(body) >= 12:
        (object_flags,) = struct.unpack_from("<I", body, 8)
        return sid_to_str(body, 12 + 16 * bin(object_flags & 0x3).count("1"))[0]
    return ""

"""The exit codes of `smail-sendmail`: sysexits.h, as the callers of sendmail(8) expect them.

One table, ErrCode -> sysexit (SYSEXITS), and sysexit() for an error, which refines it by what
the error knows: a recipient the server refused for good is EX_NOUSER, and any failure a later
try may cure (err.transient) is EX_TEMPFAIL, the code a caller (an MTA, a script) retries on.
app/guard.py takes sysexit() as its `exit_code`: it stays the one place where an exception
becomes an exit code. docs/sendmail.md lists the table.
"""

from __future__ import annotations

from pysmail.exitcodes import ErrCode

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from pysmail.errors import SmailError

__all__ = [
    "EX_CANTCREAT",
    "EX_CONFIG",
    "EX_DATAERR",
    "EX_NOHOST",
    "EX_NOINPUT",
    "EX_NOPERM",
    "EX_NOUSER",
    "EX_OK",
    "EX_OSERR",
    "EX_PROTOCOL",
    "EX_SOFTWARE",
    "EX_TEMPFAIL",
    "EX_UNAVAILABLE",
    "EX_USAGE",
    "SYSEXITS",
    "sysexit",
    "sysexit_of_code",
]

EX_OK = 0
EX_USAGE = 64  # the command was used incorrectly
EX_DATAERR = 65  # the input data was incorrect
EX_NOINPUT = 66  # an input file did not exist or was not readable
EX_NOUSER = 67  # addressee unknown
EX_NOHOST = 68  # host name unknown
EX_UNAVAILABLE = 69  # service unavailable
EX_SOFTWARE = 70  # internal software error
EX_OSERR = 71  # system error (e.g. cannot fork, out of memory)
EX_CANTCREAT = 73  # cannot create (user) output file
EX_TEMPFAIL = 75  # temporary failure; the user is invited to retry
EX_PROTOCOL = 76  # remote error in protocol
EX_NOPERM = 77  # permission denied
EX_CONFIG = 78  # configuration error

SYSEXITS: dict[ErrCode, int] = {
    ErrCode.OK: EX_OK,
    ErrCode.RECIPIENT: EX_USAGE,  # no recipient, or one that is not an address
    ErrCode.BODY_FILE: EX_DATAERR,  # the message on stdin: NUL byte, line over 998 octets
    ErrCode.ATTACHMENT: EX_NOINPUT,
    ErrCode.WORK_FILE: EX_CANTCREAT,  # the outbox file could not be written
    ErrCode.SOCKET_INIT: EX_OSERR,
    ErrCode.HOST_LOOKUP: EX_NOHOST,
    ErrCode.SOCKET_CREATE: EX_OSERR,
    ErrCode.CONNECT: EX_TEMPFAIL,
    ErrCode.SEND: EX_TEMPFAIL,
    ErrCode.RECEIVE: EX_TEMPFAIL,
    ErrCode.HANDLING: EX_UNAVAILABLE,  # the server refused the message for good
    ErrCode.NO_SERVER: EX_CONFIG,
    ErrCode.LOCAL_HOST: EX_OSERR,
    ErrCode.MEMORY: EX_OSERR,
    ErrCode.ENCODING: EX_DATAERR,
    ErrCode.UNKNOWN: EX_SOFTWARE,
    ErrCode.OPTION: EX_USAGE,
    ErrCode.TOO_LONG: EX_USAGE,
    ErrCode.POP3_TIMEOUT: EX_TEMPFAIL,
    ErrCode.POP3_CONNECT: EX_TEMPFAIL,
    ErrCode.POP3_ACCOUNT: EX_CONFIG,
    ErrCode.POP3_LOGIN: EX_NOPERM,
    ErrCode.TLS: EX_PROTOCOL,
    ErrCode.STARTTLS: EX_PROTOCOL,
    ErrCode.AUTH_FAILED: EX_NOPERM,
    ErrCode.AUTH_UNAVAILABLE: EX_CONFIG,
    ErrCode.CONFIG: EX_CONFIG,
    ErrCode.NO_ACCESS_TOKEN: EX_NOPERM,  # no grant, or it was revoked: sign in again
    ErrCode.TEMPORARY: EX_TEMPFAIL,
}


def sysexit_of_code(code: int) -> int:
    """The sysexit of an ErrCode number (a run's returned code)."""
    try:
        return SYSEXITS[ErrCode(code)]
    except ValueError:
        return EX_SOFTWARE


def sysexit(err: SmailError) -> int:
    """The sysexit of an error: its code's, EX_NOUSER for a recipient refused for good,
    EX_TEMPFAIL for anything a later try may cure."""
    from pysmail.errors import Step

    if err.transient:
        return EX_TEMPFAIL
    if err.code is ErrCode.HANDLING and err.scope is Step.RCPT:
        return EX_NOUSER
    return sysexit_of_code(err.code)

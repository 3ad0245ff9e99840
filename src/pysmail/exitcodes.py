"""The SMAIL-compatible exit codes: `ERR-xxxx` on output, xxxx as the process status."""

from enum import IntEnum

__all__ = ["ErrCode"]


class ErrCode(IntEnum):
    """Process exit codes.

    0000-0022 are SMAIL's own (shared/docs/smail-spec.md 4.2) and keep their numbers and meaning.
    0023 and up are pysmail's, documented in the README; 0028 is SMAIL's "no access token".
    The numbers differ wherever the caller's reaction differs.
    """

    OK = 0
    RECIPIENT = 1  # recipient missing or not a valid address
    BODY_FILE = 2  # body file not found or unreadable
    ATTACHMENT = 3  # attachment not found or unreadable
    WORK_FILE = 4  # cannot create a work (spool/temporary) file
    SOCKET_INIT = 5  # cannot initialise sockets
    HOST_LOOKUP = 6  # cannot resolve the server's host name
    SOCKET_CREATE = 7  # cannot create a socket
    CONNECT = 8  # cannot connect to the mail server
    SEND = 9  # error while sending to the server
    RECEIVE = 10  # error (or timeout, or closed connection) while receiving from the server
    HANDLING = 11  # the server refused the message or answered unexpectedly (5xx)
    NO_SERVER = 12  # no mail server given on the command line or in smail.ini
    LOCAL_HOST = 13  # cannot get the local host name for EHLO
    MEMORY = 14  # out of memory
    ENCODING = 15  # the text cannot be encoded, or a body file cannot be decoded
    UNKNOWN = 16  # unexpected internal error
    OPTION = 17  # bad option or option value
    TOO_LONG = 18  # -s or -T text over the limit
    POP3_TIMEOUT = 19  # POP before SMTP: timeout
    POP3_CONNECT = 20  # POP before SMTP: cannot connect
    POP3_ACCOUNT = 21  # POP before SMTP: no account configured
    POP3_LOGIN = 22  # POP before SMTP: account or password wrong
    # pysmail's own codes
    TLS = 23  # TLS handshake or certificate verification failed
    STARTTLS = 24  # STARTTLS required but not offered or refused (never downgraded)
    AUTH_FAILED = 25  # the server rejected the credentials
    AUTH_UNAVAILABLE = 26  # cannot authenticate: no shared mechanism, no secret, cleartext refused
    CONFIG = 27  # settings file unreadable, invalid, or not private while holding a password
    NO_ACCESS_TOKEN = 28  # SMAIL: no access token could be had from the OAuth server
    TEMPORARY = 29  # the server answered 4xx: nothing was sent, try again later

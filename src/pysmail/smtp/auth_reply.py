"""What a refused SMTP AUTH means: its reply (and the last challenge) as an AuthError."""

from __future__ import annotations

from pysmail.errors import AuthError
from pysmail.exitcodes import ErrCode

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from pysmail.redact import Scrubber
    from pysmail.sasl import Mechanism
    from pysmail.smtp.replies import Reply

__all__ = ["auth_error"]


def auth_error(
    mechanism: Mechanism,
    user: str,
    reply: Reply,
    challenge: bytes | None,
    *,
    host: str,
    scrubber: Scrubber,
) -> AuthError:
    """The error for AUTH answered `reply`: temporary (4xx), unavailable (504 mechanism
    unknown, 523/538 encryption required) or failed, with the mechanism's reading of the
    server's last challenge when it has one (XOAUTH2's JSON error)."""
    shown = scrubber.scrub(reply.wire)
    common = {"host": host, "mechanism": mechanism.name, "user": user}
    if reply.kind == 4:
        return AuthError(ErrCode.TEMPORARY, "smtp.auth_temporary", reply=shown, **common)
    # 504 mechanism unknown, 523/538 encryption required (RFC 4954 6, Dovecot 5.7.10).
    if reply.code in (504, 523, 538):
        return AuthError(ErrCode.AUTH_UNAVAILABLE, "smtp.auth_refused", reply=shown, **common)
    detail = mechanism.explain_failure(challenge) if challenge else None
    if detail:
        return AuthError(
            ErrCode.AUTH_FAILED,
            "smtp.auth_failed_detail",
            reply=shown,
            detail=scrubber.scrub(detail),
            **common,
        )
    return AuthError(ErrCode.AUTH_FAILED, "smtp.auth_failed", reply=shown, **common)

"""The one SASL challenge driver: SMTP's `334 <base64>` and POP3's `+ <base64>` (sans-I/O).

The protocol reads a challenge line and hands its payload to `respond`; the driver decodes it,
steps the mechanism and gives back the answer to send (`line`), counting the challenges
against a limit: a server that keeps challenging is looping, not talking (smtplib's
_MAXCHALLENGE idea). Each protocol keeps its own limit (SMTP 6 answers, POP3 3) and its own
reading, writing and tracing.

    driver = ChallengeDriver(mechanism.steps(creds, False), limit=3)
    while driver.more():
        ...  # read a reply; stop when it is not a challenge
        answer = driver.respond(payload)
        send(driver.line(answer))
"""

from __future__ import annotations

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from pysmail.sasl.mechanisms import Steps

__all__ = ["ChallengeDriver"]


class ChallengeDriver:
    """Answers the challenges of one authentication exchange, at most `limit` of them.

    `challenge` is the last challenge decoded (b"" when it was not base64), None before any.
    """

    __slots__ = ("answered", "challenge", "limit", "steps")

    def __init__(self, steps: Steps, *, limit: int) -> None:
        self.steps = steps
        self.limit = limit
        self.answered = 0
        self.challenge: bytes | None = None

    def more(self) -> bool:
        """Whether another challenge may still be answered."""
        return self.answered < self.limit

    def respond(self, payload: str | bytes) -> bytes | None:
        """The mechanism's answer to a challenge's base64 `payload`; None means cancel: the
        payload is not base64 (RFC 4954 4, RFC 5034 4) or the mechanism has nothing more to say.

        Raises: AuthError when the mechanism refuses the challenge.
        """
        import base64
        import binascii

        self.answered += 1
        try:
            self.challenge = base64.b64decode(payload.strip(), validate=True)
        except (binascii.Error, ValueError):
            self.challenge = b""
            return None
        try:
            return self.steps.send(self.challenge)
        except StopIteration:
            return None

    @staticmethod
    def line(answer: bytes | None) -> bytes:
        """The line that carries `answer` (without its CRLF): its base64, or `*` to cancel."""
        import base64

        return b"*" if answer is None else base64.b64encode(answer)

"""Failure classes and retry timing: the one place that knows which failures are worth a retry.

Pure: no I/O, no clock, no randomness of its own (the caller passes `sleep`, `clock`, `rng`).

    classify(err, data_sent=...) -> Verdict   permanent or temporary, server-wide or not,
                                              and whether the message may already be delivered
                                              (from the fields the raise site set on `err`:
                                              transient, scope, smtp_code; errors.SmailError)
    backoff(attempt, base, cap, rng) -> float exponential backoff with full jitter
    run_with_retry(fn, deadline=..., ...)     call fn until it succeeds, a failure is permanent,
                                              or the next wait would pass the deadline
    TrackedStream(chunks)                     knows whether the message was handed over whole,
                                              so a network failure after it is "maybe delivered"

The table (also in docs/reliability.md and the README):

    failure                                              class      scope
    4xx reply (ERR-0029), 454 AUTH                       temporary  message (421, 4.7.x: server)
    name lookup, connect, TLS handshake cut short        temporary  server
    send/receive failure or timeout, connection closed   temporary  message
      ... after the whole message was handed over        temporary, ambiguous (may be delivered)
    token endpoint: timeout, no connection, HTTP 5xx/429,
      server_error, temporarily_unavailable              temporary  server
    POP before SMTP: timeout, cannot connect             temporary  server
    5xx reply, bad input, settings, auth refused,
      certificate refused, no STARTTLS, other OAuth      permanent
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from pysmail.errors import REPLY_LOST_MSGID, NetworkError, SmailError, SmtpReplyError, Step
from pysmail.exitcodes import ErrCode
from pysmail.record import record
from pysmail.smtp.content import one_block

__all__ = [
    "DEFAULT_BASE",
    "Backoff",
    "DEFAULT_CAP",
    "REPLY_LOST_MSGID",
    "DataSentInterrupt",
    "Scope",
    "TrackedStream",
    "Verdict",
    "backoff",
    "classify",
    "reply_lost",
    "run_with_retry",
    "send_tracked",
]

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from typing import Literal, TypeVar

    from pysmail.smtp.content import DataContent

    T = TypeVar("T")
    Scope = Literal["message", "server"]
else:
    Scope = str

DEFAULT_BASE = 2.0  # seconds: the first retry waits up to this long (with --retry)
DEFAULT_CAP = 300.0  # no single wait is longer than this

# A failure at one of these steps stops every message to the server for now.
_SERVER_STEPS = frozenset({Step.CONNECT, Step.TLS, Step.AUTH, Step.TOKEN, Step.POP3})


@record
class Verdict:
    """What a failure means for the next attempt.

    temporary: a later attempt may succeed (else: do not retry, the message has failed).
    scope: "server" when every message to this server would fail now (stop the queue run),
        "message" when only this attempt failed (go on with the next message).
    ambiguous: the whole message had been handed over when the connection failed, so the
        server may have accepted it: a retry may deliver it a second time.
    reason: a short English tag for logs and the outbox's state file.
    """

    temporary: bool
    scope: Scope = "message"
    ambiguous: bool = False
    reason: str = ""

    @property
    def permanent(self) -> bool:
        return not self.temporary


def _throttled(err: SmailError) -> bool:
    """421 (closing), or an enhanced 4.7.x (policy: rate limits, "try again later")."""
    if err.smtp_code == 421:
        return True
    enhanced = err.enhanced if isinstance(err, SmtpReplyError) else ()
    return any(code.startswith("4.7.") for code in enhanced)


def _reason(err: SmailError) -> str:
    """A short English tag for logs and the outbox's state file."""
    scope, transient = err.scope, err.transient
    if isinstance(err, SmtpReplyError):
        return f"reply {err.smtp_code}"
    if scope is Step.AUTH:
        return "auth temporary" if transient else "auth refused"
    if scope is Step.TOKEN:
        return "token endpoint" if transient else "token"
    if scope is Step.POP3:
        return "pop3"
    return err.msgid or err.code.name.lower()


def classify(err: SmailError, *, data_sent: bool = False) -> Verdict:
    """Permanent or temporary (and how far it reaches); see the module table.

    Reads only the fields the raise site set: transient, scope, smtp_code (errors.SmailError).
    `data_sent`: the whole message had been handed to the connection (TrackedStream.finished)
    when `err` happened. A network failure then may have hidden the server's 250.
    """
    reason = _reason(err)
    if not err.transient:
        return Verdict(False, reason=reason)
    reach: Scope = "server" if err.scope in _SERVER_STEPS or _throttled(err) else "message"
    no_reply = err.smtp_code is None  # the server never answered
    lost = no_reply and (err.scope is Step.DATA or (data_sent and err.scope is Step.TRANSFER))
    return Verdict(True, reach, ambiguous=lost, reason=reason)


_LOSSY = frozenset({ErrCode.SEND, ErrCode.RECEIVE})


def backoff(attempt: int, *, base: float, cap: float, rng: Callable[[], float]) -> float:
    """The wait before retry number `attempt` (0 = the first retry): full jitter.

    uniform(0, min(cap, base * 2**attempt)) -- AWS's "full jitter": spreads the retries of many
    clients hit by the same outage. `rng()` returns a float in [0, 1).
    """
    if attempt < 0:
        raise ValueError("attempt must be >= 0")
    ceiling = min(cap, base * (2.0 ** min(attempt, 62)))
    return max(0.0, ceiling * rng())


@record
class Backoff:
    """The waits between the tries of one thing (a message, a connection): backoff() over
    `base` and `cap`, jittered by `rng` (None: `random.random`, imported only when a wait is
    worked out)."""

    base: float
    cap: float
    rng: Callable[[], float] | None = None

    def wait(self, attempt: int) -> float:
        """The wait before retry number `attempt` (0 = the first retry)."""
        return backoff(attempt, base=self.base, cap=self.cap, rng=self._rand)

    def _rand(self) -> float:
        if self.rng is not None:
            return self.rng()
        import random

        return random.random()


class TrackedStream:
    """Wraps a message's chunks; `finished` turns True once the consumer took the last one.

    session.send() writes the final "." right after the last chunk and then waits for the
    reply: a NetworkError raised while `finished` is True may have lost the server's 250.

    A message that is one block of DataContent is taken whole (content.one_block calls
    `take_block`), so the pump writes it as it is, without a DotStuffer: `finished` turns True
    as the block is taken, where iterating would have set it once the block was written. The
    write of a block under 64 KiB only fills the transport's buffer (nothing can fail there),
    and the outbox's one-block messages are under that size (outbox/spool.py SMALL).
    """

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = chunks
        self.finished = False
        self.size = 0

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._chunks:
            self.size += len(chunk)
            yield chunk
        self.finished = True

    def take_block(self) -> DataContent | None:
        """The message, taken whole, when it is one block of DataContent; else None (and
        nothing is taken: the chunks are iterated as ever)."""
        block = one_block(self._chunks)
        if block is not None:
            self.size += len(block)
            self.finished = True
        return block


class DataSentInterrupt(KeyboardInterrupt):  # noqa: N818 - it is a KeyboardInterrupt
    """Ctrl+C after the whole message went to the server: it may have been delivered.

    A KeyboardInterrupt still (every handler of Ctrl+C sees it), so that the message printed
    for it can say what is true instead of "nothing was sent".
    """


def send_tracked(send: Callable[[Iterable[bytes]], T], chunks: Iterable[bytes]) -> T:
    """`send(stream)` over a TrackedStream of `chunks`; a SEND/RECEIVE failure after the last
    chunk was taken is raised again as NetworkError(same code, "outbox.reply_lost"), which
    says the message may have been delivered (and classify() marks it ambiguous); Ctrl+C
    then is raised again as DataSentInterrupt.
    """
    stream = TrackedStream(chunks)
    try:
        return send(stream)
    except KeyboardInterrupt as exc:
        if stream.finished and not isinstance(exc, DataSentInterrupt):
            raise DataSentInterrupt from exc
        raise
    except NetworkError as err:
        if not stream.finished:
            raise
        lost = reply_lost(err)
        if lost is err:
            raise
        raise lost from err


def reply_lost(err: NetworkError) -> NetworkError:
    """`err`, a SEND/RECEIVE failure after the whole message was handed over, as
    NetworkError(same code, "outbox.reply_lost"): the message may have been delivered
    (classify() marks it ambiguous). Any other error is returned as it is."""
    if err.code not in _LOSSY or err.msgid == REPLY_LOST_MSGID:
        return err
    lost = NetworkError(
        err.code,
        REPLY_LOST_MSGID,
        transient=True,
        scope=Step.DATA,  # the answer to the message never came
        host=err.params.get("host", "?"),
        reason=_short(err),
    )
    lost.__cause__ = err
    return lost


def _short(err: SmailError) -> str:
    """An English few words for the lower-level cause (the message wraps it)."""
    if err.msgid.endswith("_timeout"):
        return f"no answer within {err.params.get('timeout', '?')} seconds"
    if err.msgid == "smtp.connection_closed":
        return "the connection was closed"
    return str(err.params.get("reason", err.msgid))


@record
class Attempt:
    """One failed attempt, as passed to `on_retry`."""

    number: int  # 1 = the first attempt
    error: SmailError
    verdict: Verdict
    wait: float


def run_with_retry(
    fn: Callable[[], T],
    *,
    deadline: float,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
    rng: Callable[[], float],
    classify: Callable[[SmailError], Verdict] = classify,
    base: float = DEFAULT_BASE,
    cap: float = DEFAULT_CAP,
    on_retry: Callable[[Attempt], None] | None = None,
) -> T:
    """Call `fn` until it returns; retry temporary failures while `clock()` allows it.

    `deadline` is a `clock()` value: no wait is started that would end after it (the last
    error is raised instead). Permanent failures are raised at once. An ambiguous failure
    (maybe delivered) is retried too: at least once beats at most once, and the Message-ID
    stays the same, so receivers can drop the copy.

    Raises: the last SmailError.
    """
    attempt = 0
    while True:
        try:
            return fn()
        except SmailError as err:
            verdict = classify(err)
            if verdict.permanent:
                raise
            wait = backoff(attempt, base=base, cap=cap, rng=rng)
            if clock() + wait > deadline:
                raise
            attempt += 1
            if on_retry is not None:
                on_retry(Attempt(attempt, err, verdict, wait))
            sleep(wait)

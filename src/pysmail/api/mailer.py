"""`Mailer`: many messages over one SMTP connection, by --batch's sending path (the scheduler,
smtp/protocol: pipelining, BDAT, reconnection, an outcome per message); `send()`: one message.

Logging in is app/auth.py's (password sources, the OAuth token file with its cache, lock and
rotation, POP before SMTP), done again for each connection the Mailer opens, so a connection
opened after an access token expired gets a fresh one.
"""

from __future__ import annotations

from pysmail.api.account import Account

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    import email.message
    from collections.abc import Callable, Iterable
    from types import TracebackType

    from pysmail.api.message import Message, Receipt
    from pysmail.api.outgoing import Outgoing
    from pysmail.delivery.batch.gate import PacingGate
    from pysmail.delivery.held import HeldDelivery
    from pysmail.delivery.scheduler import Result
    from pysmail.errors import SmailError
    from pysmail.smtp.connection import SmtpConnection

__all__ = ["Mailer", "send", "send_prepared"]


class _Discard:
    """The output of the app layer's steps: a library prints nothing."""

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        return None


def _connector(account: Account) -> Callable[[], SmtpConnection]:
    """Opens a logged-in connection (POP before SMTP first when the account has it)."""
    from pysmail.app.auth import auth_request, pop_before_smtp
    from pysmail.app.context import Context
    from pysmail.config.params import smtp_params
    from pysmail.delivery.batch.run import connector
    from pysmail.redact import Scrubber
    from pysmail.ui.output import Output

    settings = account._settings
    ctx = Context(Output(_Discard(), Scrubber()), account._env, account._cwd, "en")  # type: ignore[arg-type]
    params = smtp_params(settings)

    def connect() -> SmtpConnection:
        auth, source = auth_request(settings, ctx, None)
        if settings.pop is not None:
            pop_before_smtp(settings, settings.pop, None, ctx, source)
        return connector(params, auth, source, None)()

    return connect


def _held(account: Account) -> tuple[HeldDelivery, PacingGate | None]:
    """The Mailer's delivery: its connection, and the provider's pacing of smail.ini (the
    pacing gate of --batch: its `reporting` settles each message from its reply)."""
    import time

    from pysmail.app.pacer import pacer
    from pysmail.delivery.batch.gate import PacingGate
    from pysmail.delivery.held import HeldDelivery

    paced = pacer(account._settings)
    pacing = PacingGate(paced, time.sleep) if paced is not None else None
    return HeldDelivery(_connector(account)), pacing


class Mailer:
    """One SMTP connection for many messages: `with Mailer(account) as mailer: ...`.

    The connection opens with the first message and stays open until close() (or the end of
    the `with` block); a connection the server dropped or closed in between is opened again
    and the messages in flight go again, as `smail --batch` does. Not thread-safe: one
    Mailer per thread.
    """

    def __init__(self, account: Account | None = None) -> None:
        self.account = account if account is not None else Account.from_file()
        self._held: HeldDelivery | None = None
        self._pacing: PacingGate | None = None
        self._tags = 0

    def __enter__(self) -> Mailer:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def send(self, message: Message | email.message.Message) -> Receipt:
        """Send one message; its Receipt. Raises the SmailError that stopped it."""
        [receipt] = self.send_many([message])
        if receipt.error is not None:
            raise receipt.error
        return receipt

    def send_many(self, messages: Iterable[Message | email.message.Message]) -> list[Receipt]:
        """Send every message (pipelined); a Receipt per message, in order.

        Every message is checked first: a bad one raises (UsageError, InputError) and nothing
        is sent. A message the server refuses, or that no connection could carry, does not
        raise: its Receipt has `error`.
        """
        from pysmail.api.outgoing import Shapes, outgoing

        sender = self.account.sender
        shapes = Shapes()  # messages alike share one compiled template
        ready = [outgoing(message, sender, shapes) for message in messages]
        return send_prepared(self, ready)

    def close(self) -> None:
        """Hang up (QUIT). The Mailer may be used again: it then connects anew."""
        held, self._held = self._held, None
        if held is not None:
            held.close()


def send_prepared(mailer: Mailer, ready: list[Outgoing]) -> list[Receipt]:
    """Messages made ready (api/outgoing.py), over `mailer`'s connection: a Receipt each, in
    order. send_many's second half, package-internal (not in pysmail's names): for a front end
    that decides the envelope itself, as pysmail.django keeps Django's."""
    from pysmail.delivery.scheduler import Aborted

    first = mailer._tags
    mailer._tags += len(ready)
    for i, made in enumerate(ready):  # the scheduler knows a message by its number
        made.tag = first + i
    jobs = iter(ready)
    receipts: dict[int, Receipt] = {}

    def on_result(result: Result) -> None:
        made = ready[result.job.tag - first]
        receipts[result.job.tag] = _receipt(made, result.reply, result.error)

    if mailer._held is None:
        mailer._held, mailer._pacing = _held(mailer.account)
    pacing = mailer._pacing
    report, gate = (
        (on_result, None) if pacing is None else (pacing.reporting(on_result), pacing.gate)
    )
    try:
        mailer._held.run(lambda: next(jobs, None), report, gate)
    except Aborted as exc:  # no connection: the messages not taken share its error
        for tag in range(first, mailer._tags):
            receipts.setdefault(tag, _receipt(ready[tag - first], None, exc.error))
    return [receipts[tag] for tag in range(first, mailer._tags)]


def _receipt(made: Outgoing, reply: object, error: SmailError | None) -> Receipt:
    from pysmail.api.message import Receipt

    if error is not None:
        said = error.reply or str(error)
        refused = dict.fromkeys(made.recipients, said)
        return Receipt(made.message_id, (), refused, "", error)
    wire = getattr(reply, "wire", "")
    return Receipt(made.message_id, made.recipients, {}, wire)


def send(message: Message | email.message.Message, *, account: Account | None = None) -> Receipt:
    """Send one message over a connection of its own; its Receipt.

    `message`: a pysmail.Message, or a stdlib email.message.EmailMessage (sent as it is, Bcc
    removed and used in the envelope). `account`: None reads smail.ini as `smail` does.
    Raises a pysmail.SmailError subclass (err_code, transient, reply) when it is not sent.
    """
    with Mailer(account) as mailer:
        return mailer.send(message)

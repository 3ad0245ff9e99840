"""`pysmail.logging.SMTPHandler`: what logging.handlers.SMTPHandler does (a record by mail), with
TLS always verified, OAuth from the account's token file, and the durable outbox: a record is
written to the outbox (the one of `smail --queue`) by emit() and sent by a background thread, so a
slow or failing server never blocks or breaks the application; what it could not send stays in
the outbox for the next try (the handler's next record, `handler.flush()`, `smail --flush`).

Inside pysmail this module is `pysmail.logging`: its `import logging` is the standard library's
(absolute imports only).
"""

from __future__ import annotations

import logging
import threading

from pysmail.api.account import Account

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

    from pysmail.api.outgoing import Outgoing

__all__ = ["SMTPHandler"]


class _Stderr:
    """What a flush reports (a record that failed for good, or was moved aside): the standard
    error of the moment, as logging.Handler.handleError writes there."""

    def write(self, text: str) -> int:
        import sys

        stream = sys.stderr
        if stream is None or not logging.raiseExceptions:
            return len(text)
        return stream.write(text)

    def flush(self) -> None:
        import sys

        if sys.stderr is not None:
            sys.stderr.flush()


def _mail_account(
    mailhost: str | tuple[str, int] | None,
    credentials: tuple[str, str] | None,
    secure: tuple[str, ...] | None,
    timeout: float,
    account: Account | str | None,
) -> Account:
    """The account the records go through: `account` (an Account, or the name of an
    [account NAME] of smail.ini), smail.ini itself, or logging.handlers.SMTPHandler's
    arguments (`secure`: STARTTLS; certificates are verified in every case)."""
    if mailhost is None:
        if isinstance(account, Account):
            return account
        return Account.from_file(name=account)
    if account is not None:
        raise ValueError("give either mailhost or account, not both")
    if secure:
        raise ValueError("a client certificate (secure=(keyfile, certfile)) is not supported")
    host, port = (mailhost, None) if isinstance(mailhost, str) else mailhost
    user, password = credentials if credentials is not None else (None, None)
    tls = "starttls" if secure is not None else "auto"
    return Account(host, port, user=user, password=password, tls=tls, timeout=timeout)


class SMTPHandler(logging.Handler):
    """Mails each record: `SMTPHandler(mailhost, fromaddr, toaddrs, subject, credentials=None,
    secure=None, timeout=5.0)` as logging.handlers.SMTPHandler, or `SMTPHandler(account=...,
    toaddrs=...)` with a pysmail.Account or the name of an [account NAME] of smail.ini (no
    mailhost and no account: smail.ini's own settings).

    emit() writes the message into the outbox (durable before it returns) and wakes the
    handler's sending thread; it never raises (a failure goes to handleError, as the standard
    handlers do) and never waits for the network. The thread sends what this handler put in
    the outbox; a record it could not send stays there and is tried again with the next record,
    by flush() (which waits for that try, at most about one connection `timeout`), or by
    `smail --flush` of the same outbox.

    Raises (constructor): UsageError (no sender, no recipient, a bad address), ConfigError
    (smail.ini), ValueError (both mailhost and account; a client certificate in `secure`).
    """

    def __init__(
        self,
        mailhost: str | tuple[str, int] | None = None,
        fromaddr: str | None = None,
        toaddrs: str | Iterable[str] = (),
        subject: str = "",
        credentials: tuple[str, str] | None = None,
        secure: tuple[str, ...] | None = None,
        timeout: float = 5.0,
        *,
        account: Account | str | None = None,
    ) -> None:
        super().__init__()
        self.account = _mail_account(mailhost, credentials, secure, timeout, account)
        self.fromaddr = fromaddr or self.account.sender
        self.toaddrs = [toaddrs] if isinstance(toaddrs, str) else list(toaddrs)
        self.subject = subject
        self._outgoing(subject, "")  # a missing or bad address is an ERR now, not per record
        self._pending: list[Path] = []  # this handler's records still in the outbox
        # Not logging's handler lock: logging.shutdown() holds that one around flush().
        self._listed = threading.Lock()  # guards _pending
        self._sending = threading.Lock()  # one flush of this handler at a time
        self._wake = threading.Event()
        self._closed = False
        self._thread: threading.Thread | None = None

    def getSubject(self, record: logging.LogRecord) -> str:  # noqa: N802 - the stdlib's name
        """The subject of the mail of `record` (override it to vary it)."""
        return self.subject

    def emit(self, record: logging.LogRecord) -> None:
        """Put the record's mail in the outbox and wake the sending thread."""
        try:
            path = self._enqueue(self.getSubject(record), self.format(record))
        except RecursionError:  # as the stdlib's handlers: not swallowed
            raise
        except Exception:
            self.handleError(record)
            return
        with self._listed:
            self._pending.append(path)
            self._start()
        self._wake.set()

    def flush(self) -> None:
        """Send what this handler left in the outbox now, in the calling thread (at most
        about one connection timeout when the server does not answer)."""
        self._send_pending()

    def close(self) -> None:
        """Stop the sending thread (what it has not sent stays in the outbox)."""
        self._closed = True
        self._wake.set()
        super().close()

    # -- the outbox -------------------------------------------------------------------------

    def _outgoing(self, subject: str, text: str) -> Outgoing:
        from pysmail.api.message import Message
        from pysmail.api.outgoing import outgoing

        message = Message(sender=self.fromaddr, to=self.toaddrs, subject=subject, text=text)
        return outgoing(message, self.account.sender)

    def _enqueue(self, subject: str, text: str) -> Path:
        import time

        from pysmail.app.settings import spool_of
        from pysmail.delivery.outbox import Envelope, enqueue

        made = self._outgoing(subject, text)
        envelope = Envelope(
            made.sender,
            made.recipients,
            time.time(),
            message_id=made.message_id,
            smtputf8=made.smtputf8,
        )
        spool = spool_of(self.account._settings, self.account._env)
        return enqueue(spool, envelope, made.chunks())

    def _start(self) -> None:
        """Start the sending thread (again in a child made by fork(), which has none)."""
        alive = self._thread is not None and self._thread.is_alive()
        if not alive and not self._closed:
            thread = threading.Thread(
                target=self._run, name="pysmail.logging.SMTPHandler", daemon=True
            )
            try:
                thread.start()
            except RuntimeError:  # no thread now (interpreter shutting down, or a limit):
                return  # the record waits in the outbox for flush() or the next record
            self._thread = thread

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            if self._closed:
                return
            try:
                self._send_pending()
            except Exception:  # never end the thread: the records stay in the outbox
                import sys

                if logging.raiseExceptions and sys.stderr is not None:
                    import traceback

                    sys.stderr.write("--- pysmail.logging: sending failed ---\n")
                    traceback.print_exc(file=sys.stderr)

    def _send_pending(self) -> None:
        with self._sending:
            with self._listed:
                pending = [p for p in self._pending if p.exists()]
                self._pending = pending
            if pending:
                self._flush(pending)
            with self._listed:  # sent, or moved to failed/: no longer pending
                self._pending = [p for p in self._pending if p.exists()]

    def _flush(self, paths: list[Path]) -> None:
        """One `smail --flush` of these outbox files (each one connection), reporting only
        what did not go for good (quiet about a record deferred for later), in the language
        of the environment as smail does."""
        from pysmail.app.auth import auth_request
        from pysmail.app.context import Context
        from pysmail.app.flush import flush_outbox
        from pysmail.messages import detect_lang
        from pysmail.redact import Scrubber
        from pysmail.ui.output import Output

        settings, env = self.account._settings, self.account._env
        out = Output(_Stderr(), Scrubber())  # type: ignore[arg-type]
        ctx = Context(out, env, self.account._cwd, detect_lang(None, dict(env)))
        auth, source = auth_request(settings, ctx, None)
        flush_outbox(settings, ctx, None, auth, source, paths)

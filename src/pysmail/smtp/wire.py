"""SMTP replies over a net.transport.Transport: the reply parser fed from the socket."""

from __future__ import annotations

from collections import deque
from time import monotonic

from pysmail.errors import NetworkError
from pysmail.exitcodes import ErrCode
from pysmail.net.deadline import Deadline
from pysmail.net.transport import Transport
from pysmail.smtp.replies import MalformedReply, Reply, ReplyParser

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    import socket
    import ssl

__all__ = ["SmtpTransport"]


class SmtpTransport(Transport):
    """One connection to an SMTP server, read in replies."""

    def __init__(self, sock: socket.socket, host: str, timeout: float) -> None:
        super().__init__(sock, host, timeout)
        self._parser = ReplyParser()
        self._replies: deque[Reply] = deque()

    def starttls(self, context: ssl.SSLContext, server_hostname: str) -> None:
        """Upgrade the connection after the server's 220 to STARTTLS (RFC 3207)."""
        self.flush()
        if self._parser.pending or self._replies:
            # Bytes after the 220 were sent in clear and would be read as if protected
            # (the STARTTLS command injection of CVE-2011-0411): refuse.
            raise NetworkError(
                ErrCode.TLS, "smtp.starttls_injection", transient=False, host=self.host
            )
        super().starttls(context, server_hostname)

    def read_reply(self) -> Reply:
        """The next complete reply; flushes pending writes first.

        The whole reply must arrive within `timeout` seconds of the wait's start, however
        slowly its bytes trickle in (pysmail.net.deadline, D20). The first read of a wait
        keeps the socket's own timeout, which is that whole span: only a reply that comes in
        pieces arms the socket with what is left (and restores it after), so a batch's
        one-read replies cost no timeout changes (docs/decisions.md D39), and a reply already
        framed (a batch reads four from one read) costs no flush and no clock (D44).
        """
        if self._out:
            self.flush()
        if self._replies:
            return self._replies.popleft()
        started = monotonic()
        self._feed(self.receive(None))
        if self._replies:
            return self._replies.popleft()
        deadline = Deadline(self.timeout - (monotonic() - started))  # what is left of the span
        try:
            while not self._replies:
                self._feed(self.receive(deadline))
        finally:
            self.restore_timeout()
        return self._replies.popleft()

    def _feed(self, data: bytes) -> None:
        try:
            self._replies.extend(self._parser.feed(data))
        except MalformedReply as exc:
            raise NetworkError(
                ErrCode.RECEIVE, "smtp.malformed_reply", host=self.host, reason=str(exc)
            ) from exc

"""The socket under a client session: connect (directly or through a proxy), TLS, buffered
writes and bounded reads; every socket error mapped to NetworkError."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from pysmail.errors import NetworkError
from pysmail.exitcodes import ErrCode
from pysmail.net.tls import TlsInfo, no_ca_store, reason_of, tls_failure_reason, x509_name

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    import ssl
    from collections.abc import Callable
    from typing import Self

    from pysmail.net.deadline import Deadline
    from pysmail.net.proxy import ProxyUrl

__all__ = ["RECV_SIZE", "WRITE_BUFFER", "Transport", "dial"]

# Writes are gathered up to this size before a send: one syscall (and, with TLS, one record
# run) per 64 KiB instead of one per line, which is where smtplib loses its time.
WRITE_BUFFER = 64 * 1024
RECV_SIZE = 64 * 1024


def _wire_host(host: str) -> str | bytes:
    """`host` as getaddrinfo() gets it: ASCII bytes when the IDNA codec would return them as is.

    socket encodes every str host with the "idna" codec, which imports encodings.idna,
    stringprep and unicodedata. For an ASCII name whose labels are 1-63 characters (what the
    codec's ASCII fast path checks) the result is the same bytes, so they are passed directly;
    anything else still goes through the codec, with its errors.
    """
    if not host.isascii():
        return host
    labels = host.split(".")
    if all(0 < len(label) < 64 for label in labels[:-1]) and len(labels[-1]) < 64:
        return host.encode("ascii")
    return host


def dial(
    address: tuple[str | bytes, int],
    timeout: float,
    timed_out: Callable[[], NetworkError],
    failed: Callable[[OSError], NetworkError],
) -> socket.socket:
    """A TCP connection to `address` (a mail server or a proxy), made within `timeout`; the
    error of a timeout is `timed_out()`, of any other failure `failed(exc)`."""
    try:
        return socket.create_connection(address, timeout=timeout)  # type: ignore[arg-type]
    except TimeoutError as exc:
        raise timed_out() from exc
    except OSError as exc:
        raise failed(exc) from exc


class Transport:
    """One TCP (optionally TLS) connection to a server: buffered writes, bounded reads.

    Every OSError and ssl error is turned into NetworkError here, with `host` named:
    HOST_LOOKUP, CONNECT, SEND, RECEIVE or TLS. Nothing above sees socket exceptions.
    The protocol's reading lives above it (smtp.wire.SmtpTransport reads SMTP replies).
    """

    def __init__(self, sock: socket.socket, host: str, timeout: float) -> None:
        self._sock = sock
        self.host = host
        self.timeout = timeout
        self._out = bytearray()
        self.is_tls = False

    @classmethod
    def connect(
        cls,
        host: str,
        port: int,
        timeout: float,
        *,
        tls: ssl.SSLContext | None = None,
        server_hostname: str | None = None,
        proxy: ProxyUrl | None = None,
    ) -> Self:
        """Open a connection; with `tls`, do the TLS handshake at once (SMTPS, port 465).

        With `proxy`, the connection is a tunnel through it (net/proxy.py); TLS still runs end
        to end and checks the certificate against `server_hostname or host`.
        """
        if proxy is not None:
            from pysmail.net.tunnel import open_tunnel

            return cls._ready(
                open_tunnel(proxy, host, port, timeout), host, timeout, tls, server_hostname
            )

        def timed_out() -> NetworkError:
            return NetworkError(
                ErrCode.CONNECT, "smtp.connect_timeout", host=host, port=port, timeout=timeout
            )

        def failed(exc: OSError) -> NetworkError:
            reason = reason_of(exc)
            if isinstance(exc, socket.gaierror):
                return NetworkError(
                    ErrCode.HOST_LOOKUP, "smtp.host_lookup", host=host, reason=reason
                )
            return NetworkError(
                ErrCode.CONNECT, "smtp.connect_failed", host=host, port=port, reason=reason
            )

        sock = dial((_wire_host(host), port), timeout, timed_out, failed)
        return cls._ready(sock, host, timeout, tls, server_hostname)

    @classmethod
    def _ready(
        cls,
        sock: socket.socket,
        host: str,
        timeout: float,
        tls: ssl.SSLContext | None,
        server_hostname: str | None,
    ) -> Self:
        # Commands are written whole and then waited on; Nagle would only add latency.
        with suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        transport = cls(sock, host, timeout)
        if tls is not None:
            transport._wrap(tls, server_hostname or host)
        return transport

    def starttls(self, context: ssl.SSLContext, server_hostname: str) -> None:
        """Upgrade the connection in place (after the server agreed to STARTTLS)."""
        self.flush()
        self._wrap(context, server_hostname)

    def _wrap(self, context: ssl.SSLContext, server_hostname: str) -> None:
        import ssl

        try:
            # ssl runs a str name through the "idna" codec too; ASCII bytes skip it (same name).
            hostname = _wire_host(server_hostname)
            self._sock = context.wrap_socket(self._sock, server_hostname=hostname)
        except ssl.SSLCertVerificationError as exc:
            self.close()
            raise NetworkError(
                ErrCode.TLS,
                "smtp.tls_no_ca_store" if no_ca_store(context) else "smtp.tls_verify_failed",
                transient=False,  # the certificate or the settings are wrong: no retry
                host=server_hostname,
                reason=tls_failure_reason(exc),
            ) from exc
        except (ssl.SSLError, OSError) as exc:
            self.close()
            reason = "timed out" if isinstance(exc, TimeoutError) else tls_failure_reason(exc)
            raise NetworkError(
                ErrCode.TLS, "smtp.tls_failed", transient=True, host=server_hostname, reason=reason
            ) from exc
        self.is_tls = True

    def tls_info(self) -> TlsInfo | None:
        """Protocol, cipher and certificate names of the TLS session, or None in clear."""
        sock = self._sock
        cipher = getattr(sock, "cipher", None)
        if not self.is_tls or cipher is None:
            return None
        suite = cipher()
        cert = sock.getpeercert()  # type: ignore[attr-defined]
        return TlsInfo(
            version=str(sock.version()),  # type: ignore[attr-defined]
            cipher=suite[0] if suite else "",
            subject=x509_name(cert.get("subject", ()) if cert else ()),
            issuer=x509_name(cert.get("issuer", ()) if cert else ()),
        )

    def write(self, data: bytes) -> None:
        """Queue bytes; they go out when 64 KiB have gathered or at flush()."""
        if not self._out and len(data) >= WRITE_BUFFER:
            with self._mapped("send"):
                self._sock.sendall(data)  # already large: no copy into the buffer
            return
        self._out += data
        if len(self._out) >= WRITE_BUFFER:
            self.flush()

    def write_all(self, data: bytes) -> None:
        """Queue `data` and send everything queued now."""
        self._out += data
        self.flush()

    def flush(self) -> None:
        if not self._out:
            return
        data = bytes(self._out)
        self._out.clear()
        try:  # not `with self._mapped()`: this runs once or twice per message of a batch
            self._sock.sendall(data)
        except OSError as exc:
            raise self._failure("send", exc) from exc

    def receive(self, deadline: Deadline | None) -> bytes:
        """The next bytes the server sent, within `deadline` (pysmail.net.deadline, D20);
        None: within the socket's own timeout (`timeout`, unless a deadline armed it).

        Raises: NetworkError(RECEIVE) on a timeout, a failure or the end of the connection.
        """
        try:
            if deadline is not None:
                deadline.arm(self._sock)
            data = self._sock.recv(RECV_SIZE)
        except OSError as exc:
            raise self._failure("receive", exc) from exc
        if not data:
            raise NetworkError(ErrCode.RECEIVE, "smtp.connection_closed", host=self.host)
        return data

    def restore_timeout(self) -> None:
        """After a bounded wait: sends keep the full timeout (each sendall is bounded)."""
        with suppress(OSError):
            self._sock.settimeout(self.timeout)

    @contextmanager
    def _mapped(self, what: str) -> Iterator[None]:
        try:
            yield
        except OSError as exc:  # ssl.SSLError included: it is an OSError
            raise self._failure(what, exc) from exc

    def _failure(self, what: str, exc: OSError) -> NetworkError:
        """The NetworkError for a failed send or receive (a timeout is an OSError too)."""
        code = ErrCode.SEND if what == "send" else ErrCode.RECEIVE
        if isinstance(exc, TimeoutError):
            return NetworkError(code, f"smtp.{what}_timeout", host=self.host, timeout=self.timeout)
        return NetworkError(code, f"smtp.{what}_failed", host=self.host, reason=reason_of(exc))

    def set_timeout(self, seconds: float) -> None:
        """Change the timeout of every later send and receive."""
        self.timeout = seconds
        with suppress(OSError):
            self._sock.settimeout(seconds)

    def local_address(self) -> str:
        """The IP address of our end of the connection."""
        with self._mapped("send"):
            return str(self._sock.getsockname()[0])

    def close(self) -> None:
        """Close the socket; never raises."""
        with suppress(OSError):
            self._sock.close()

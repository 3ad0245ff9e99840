"""The socket under an SMTP session: connect, TLS, buffered writes, reply reads; errors mapped."""

from __future__ import annotations

import socket
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from pysmail.deadline import Deadline
from pysmail.errors import NetworkError
from pysmail.exitcodes import ErrCode
from pysmail.record import record
from pysmail.smtp.replies import MalformedReply, Reply, ReplyParser

TYPE_CHECKING = False  # not typing's: `import typing` costs 2 ms at start-up (mypy knows the name)
if TYPE_CHECKING:
    import ssl

    from pysmail.smtp.proxy import ProxyUrl

__all__ = ["TlsInfo", "Transport", "make_tls_context", "tls_failure_reason"]

# Writes are gathered up to this size before a send: one syscall (and, with TLS, one record
# run) per 64 KiB instead of one per line, which is where smtplib loses its time.
WRITE_BUFFER = 64 * 1024
RECV_SIZE = 64 * 1024


@record
class TlsInfo:
    """What the debug transcript shows about an established TLS session."""

    version: str
    cipher: str
    subject: str
    issuer: str


def make_tls_context(cafile: str | None, verify: bool) -> ssl.SSLContext:
    """A client context: the system trust store (or only `cafile`) and host name checks.

    `verify=False` turns off certificate and host name checks. That is UNSAFE: anyone on the
    path can read the password. It exists for test servers with self-signed certificates.

    The system store is looked up lazily where the platform keeps it as a hashed folder
    (Linux, the BSDs: /etc/ssl/certs): OpenSSL then reads only the certificates a chain needs,
    instead of parsing the whole bundle (~150 certificates, 20-50 ms) on every run. Elsewhere
    (Windows, macOS, no hashed folder, SSL_CERT_FILE set) it is ssl.create_default_context().

    Raises: NetworkError(TLS) when `cafile` cannot be loaded.
    """
    import ssl

    try:
        if cafile is not None:
            context = ssl.create_default_context(cafile=cafile)
        else:
            capath = _lazy_capath()
            if capath is not None:
                context = ssl.create_default_context(capath=capath)
            else:
                context = ssl.create_default_context()
    except (OSError, ssl.SSLError) as exc:
        raise NetworkError(
            ErrCode.TLS, "smtp.tls_cafile", transient=False, cafile=cafile, reason=_reason(exc)
        ) from exc
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def _lazy_capath() -> str | None:
    """The hashed CA folder that holds the whole system store, or None to load it eagerly.

    create_default_context() loads OpenSSL's default CA file (parsed at once) and its default
    CA folder (read lazily, one `<hash>.N` file per issuer looked up). Where the folder is
    hashed and no SSL_CERT_FILE names a file of its own, the folder holds the same store
    (update-ca-certificates and `openssl rehash` write both), so the file can be skipped.
    Windows adds its own system stores and macOS builds ship only a file: both load eagerly.
    """
    import os
    import ssl
    import sys

    if sys.platform in ("win32", "darwin", "cygwin"):
        return None
    paths = ssl.get_default_verify_paths()
    if paths.capath is None:
        return None
    if os.environ.get(paths.openssl_cafile_env) and paths.cafile is not None:
        return None  # a bundle chosen by the user: load it, as create_default_context() does
    try:
        with os.scandir(paths.capath) as entries:
            for entry in entries:
                if _is_hash_name(entry.name):
                    return paths.capath
    except OSError:
        return None
    return None


def _is_hash_name(name: str) -> bool:
    """`5ad8a5d6.0`: OpenSSL's subject-hash file name in a CA folder (`.r0` for CRLs: no)."""
    stem, dot, suffix = name.partition(".")
    return (
        len(stem) == 8
        and bool(dot)
        and suffix.isdigit()
        and suffix.isascii()
        and all(c in "0123456789abcdef" for c in stem)
    )


def _no_ca_store(context: ssl.SSLContext, platform: str | None = None) -> bool:
    """True on macOS when the context holds no CA certificate at all: a python.org build whose
    'Install Certificates.command' never ran. (Elsewhere the store may be a lazily read folder,
    whose count says nothing.)"""
    import sys

    if (platform or sys.platform) != "darwin":
        return False
    try:
        return context.cert_store_stats().get("x509_ca", 0) == 0
    except (AttributeError, ValueError):
        return False


def tls_failure_reason(exc: BaseException) -> str:
    """A one-line reason for a TLS failure: the verification message when there is one."""
    message = getattr(exc, "verify_message", None)
    if message:
        return str(message).rstrip(".")
    return _reason(exc)


def _reason(exc: BaseException) -> str:
    """The library's reason without a final period: the catalogue sentence adds its own."""
    reason = getattr(exc, "reason", None)
    if isinstance(reason, str) and reason:
        return reason.rstrip(".")
    text = getattr(exc, "strerror", None) or str(exc)
    return str(text).rstrip(".") or type(exc).__name__


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


class Transport:
    """One TCP (optionally TLS) connection to a server, speaking in SMTP replies.

    Every OSError and ssl error is turned into NetworkError here, with `host` named:
    HOST_LOOKUP, CONNECT, SEND, RECEIVE or TLS. Nothing above sees socket exceptions.
    """

    def __init__(self, sock: socket.socket, host: str, timeout: float) -> None:
        self._sock = sock
        self.host = host
        self.timeout = timeout
        self._parser = ReplyParser()
        self._replies: deque[Reply] = deque()
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
    ) -> Transport:
        """Open a connection; with `tls`, do the TLS handshake at once (SMTPS, port 465).

        With `proxy`, the connection is a tunnel through it (smtp/proxy.py); TLS still runs end
        to end and checks the certificate against `server_hostname or host`.
        """
        if proxy is not None:
            from pysmail.smtp.proxy import open_tunnel

            return cls._ready(
                open_tunnel(proxy, host, port, timeout), host, timeout, tls, server_hostname
            )
        try:
            address = (_wire_host(host), port)
            sock = socket.create_connection(address, timeout=timeout)  # type: ignore[arg-type]
        except socket.gaierror as exc:
            raise NetworkError(
                ErrCode.HOST_LOOKUP, "smtp.host_lookup", host=host, reason=_reason(exc)
            ) from exc
        except TimeoutError as exc:
            raise NetworkError(
                ErrCode.CONNECT, "smtp.connect_timeout", host=host, port=port, timeout=timeout
            ) from exc
        except OSError as exc:
            raise NetworkError(
                ErrCode.CONNECT, "smtp.connect_failed", host=host, port=port, reason=_reason(exc)
            ) from exc
        return cls._ready(sock, host, timeout, tls, server_hostname)

    @classmethod
    def _ready(
        cls,
        sock: socket.socket,
        host: str,
        timeout: float,
        tls: ssl.SSLContext | None,
        server_hostname: str | None,
    ) -> Transport:
        # Commands are written whole and then waited on; Nagle would only add latency.
        with suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        transport = cls(sock, host, timeout)
        if tls is not None:
            transport._wrap(tls, server_hostname or host)
        return transport

    def starttls(self, context: ssl.SSLContext, server_hostname: str) -> None:
        """Upgrade the connection after the server's 220 to STARTTLS (RFC 3207)."""
        self.flush()
        if self._parser.pending or self._replies:
            # Bytes after the 220 were sent in clear and would be read as if protected
            # (the STARTTLS command injection of CVE-2011-0411): refuse.
            raise NetworkError(
                ErrCode.TLS, "smtp.starttls_injection", transient=False, host=self.host
            )
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
                "smtp.tls_no_ca_store" if _no_ca_store(context) else "smtp.tls_verify_failed",
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
            subject=_x509_name(cert.get("subject", ()) if cert else ()),
            issuer=_x509_name(cert.get("issuer", ()) if cert else ()),
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

    def read_reply(self) -> Reply:
        """The next complete reply; flushes pending writes first.

        The whole reply must arrive within `timeout` seconds of the wait's start, however
        slowly its bytes trickle in (pysmail.deadline, D20).
        """
        self.flush()
        if self._replies:
            return self._replies.popleft()
        deadline = Deadline(self.timeout)
        try:
            while not self._replies:
                try:
                    deadline.arm(self._sock)
                    data = self._sock.recv(RECV_SIZE)
                except OSError as exc:
                    raise self._failure("receive", exc) from exc
                if not data:
                    raise NetworkError(ErrCode.RECEIVE, "smtp.connection_closed", host=self.host)
                try:
                    self._replies.extend(self._parser.feed(data))
                except MalformedReply as exc:
                    raise NetworkError(
                        ErrCode.RECEIVE, "smtp.malformed_reply", host=self.host, reason=str(exc)
                    ) from exc
        finally:
            with suppress(OSError):  # sends keep the full timeout (each sendall is bounded)
                self._sock.settimeout(self.timeout)
        return self._replies.popleft()

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
        return NetworkError(code, f"smtp.{what}_failed", host=self.host, reason=_reason(exc))

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


def _x509_name(rdns: object) -> str:
    """`/C=US/O=Example/CN=host`, the OpenSSL one-line form SMAIL's transcript shows."""
    parts: list[str] = []
    if isinstance(rdns, tuple):
        for rdn in rdns:
            for key, value in rdn:
                parts.append(f"{_SHORT_NAMES.get(key, key)}={value}")
    return "/" + "/".join(parts) if parts else ""


_SHORT_NAMES = {
    "countryName": "C",
    "stateOrProvinceName": "ST",
    "localityName": "L",
    "organizationName": "O",
    "organizationalUnitName": "OU",
    "commonName": "CN",
    "emailAddress": "emailAddress",
}

"""TLS for every client (SMTP, POP3): the client context, failure reasons, certificate names."""

from __future__ import annotations

from pysmail.errors import NetworkError
from pysmail.exitcodes import ErrCode
from pysmail.record import record

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    import ssl

__all__ = [
    "TlsInfo",
    "make_tls_context",
    "no_ca_store",
    "reason_of",
    "tls_failure_reason",
    "x509_name",
]


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
            ErrCode.TLS, "smtp.tls_cafile", transient=False, cafile=cafile, reason=reason_of(exc)
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
    (update-ca-certificates and `openssl rehash` write both), so the file can be skipped. An
    SSL_CERT_FILE that names the default file itself (as many shells and images export it)
    chooses nothing else. Windows adds its own system stores and macOS builds ship only a
    file: both load eagerly.
    """
    import os
    import ssl
    import sys

    if sys.platform in ("win32", "darwin", "cygwin"):
        return None
    paths = ssl.get_default_verify_paths()
    if paths.capath is None:
        return None
    chosen = os.environ.get(paths.openssl_cafile_env)
    if chosen and paths.cafile is not None and not _same_file(chosen, paths.openssl_cafile):
        return None  # a bundle chosen by the user: load it, as create_default_context() does
    try:
        with os.scandir(paths.capath) as entries:
            for entry in entries:
                if _is_hash_name(entry.name):
                    return paths.capath
    except OSError:
        return None
    return None


def _same_file(path: str, other: str) -> bool:
    """Whether both paths name one file (through links); False when either is missing."""
    import os

    try:
        return os.path.samefile(path, other)
    except (OSError, ValueError):
        return False


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


def no_ca_store(context: ssl.SSLContext, platform: str | None = None) -> bool:
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
    return reason_of(exc)


def reason_of(exc: BaseException) -> str:
    """The library's reason without a final period: the catalogue sentence adds its own."""
    reason = getattr(exc, "reason", None)
    if isinstance(reason, str) and reason:
        return reason.rstrip(".")
    text = getattr(exc, "strerror", None) or str(exc)
    return str(text).rstrip(".") or type(exc).__name__


def x509_name(rdns: object) -> str:
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

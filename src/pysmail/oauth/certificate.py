"""The certificate of an app-only token file (private_key_jwt, see app_only.py): the PEM files
read, the private key loaded (the `cryptography` package, imported only here and only when a
certificate is really used) and checked against the certificate. A file holding the private key
must be private to its owner. Messages never quote the key.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

from pysmail.errors import OAuthError
from pysmail.exitcodes import ErrCode
from pysmail.record import field, record

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from typing import Any
else:
    Any = object

__all__ = [
    "Certificate",
    "CertificateFacts",
    "certificate_facts",
    "load_certificate",
    "thumbprint_hex",
]

_CODE = ErrCode.NO_ACCESS_TOKEN
_PEM_KEY_TAGS = (b"PRIVATE KEY", b"RSA PRIVATE KEY", b"EC PRIVATE KEY", b"ENCRYPTED PRIVATE KEY")


def thumbprint_hex(cert_der: bytes) -> str:
    """The SHA-1 thumbprint as the Azure portal and Windows show it (upper-case hex)."""
    return hashlib.sha1(cert_der).hexdigest().upper()  # noqa: S324 - an identifier, not security


@record
class Certificate:
    """A certificate and its private key, loaded (see load_certificate). `key` is a
    `cryptography` private key object; `alg` RS256 (RSA) or ES256 (EC P-256)."""

    certificate_file: Path
    key_file: Path
    cert_der: bytes = field(repr=False)
    key: object = field(repr=False)
    alg: str

    @property
    def thumbprint(self) -> str:
        return thumbprint_hex(self.cert_der)


def _read(path: Path, what: str) -> bytes:
    try:
        with open(path, "rb") as stream:
            return stream.read(1024 * 1024)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise OAuthError(_CODE, "oauth.certificate_unreadable", what=what, path=path,
                         reason=reason) from None  # fmt: skip


def _pem_blocks(data: bytes, tags: tuple[bytes, ...]) -> list[tuple[bytes, bytes]]:
    """(tag, whole PEM block) of each block with one of `tags`, in file order."""
    found: list[tuple[bytes, bytes]] = []
    at = 0
    while True:
        start = data.find(b"-----BEGIN ", at)
        if start < 0:
            return found
        tag_end = data.find(b"-----", start + 11)
        if tag_end < 0:
            return found
        tag = data[start + 11 : tag_end]
        end_marker = b"-----END " + tag + b"-----"
        end = data.find(end_marker, tag_end)
        if end < 0:
            return found
        at = end + len(end_marker)
        if tag in tags:
            found.append((tag, data[start:at]))


def _cert_der(data: bytes, path: Path) -> bytes:
    """The DER of the first CERTIFICATE block (the leaf, by convention)."""
    import binascii

    blocks = _pem_blocks(data, (b"CERTIFICATE",))
    if not blocks:
        raise OAuthError(_CODE, "oauth.certificate_invalid", path=path,
                         reason="no -----BEGIN CERTIFICATE----- block")  # fmt: skip
    body = b"".join(blocks[0][1].splitlines()[1:-1])
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise OAuthError(_CODE, "oauth.certificate_invalid", path=path,
                         reason="the CERTIFICATE block is not base64") from None  # fmt: skip


def _check_private(path: Path) -> None:
    from pysmail.fs import fileperm

    try:
        private, reason = fileperm.is_private(path)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise OAuthError(_CODE, "oauth.certificate_unreadable", what="private key", path=path,
                         reason=reason) from None  # fmt: skip
    if not private:
        raise OAuthError(_CODE, "oauth.private_key_not_private", path=path, reason=reason)


def _need_cryptography(path: Path) -> None:
    try:
        import cryptography  # noqa: F401 - only whether it is there
    except ImportError:
        raise OAuthError(_CODE, "oauth.certificate_needs_cryptography", path=path) from None


def _private_key(blocks: list[tuple[bytes, bytes]], key_path: Path) -> object:
    """The first private key block, loaded; refused when encrypted or unreadable."""
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization

    tag, block = blocks[0]
    if tag == b"ENCRYPTED PRIVATE KEY":
        raise OAuthError(_CODE, "oauth.private_key_invalid", path=key_path,
                         reason="it is encrypted (a passphrase)")  # fmt: skip
    try:
        return serialization.load_pem_private_key(block, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        # the exception text is not shown: it could echo what it failed to read
        raise OAuthError(_CODE, "oauth.private_key_invalid", path=key_path,
                         reason="not a readable PEM private key") from None  # fmt: skip


def _x509(der: bytes, path: Path) -> Any:
    """The certificate object of `der` (cryptography's)."""
    from cryptography import x509

    try:
        return x509.load_der_x509_certificate(der)
    except ValueError:
        raise OAuthError(_CODE, "oauth.certificate_invalid", path=path,
                         reason="not an X.509 certificate") from None  # fmt: skip


def _algorithm(key: object, key_path: Path) -> str:
    """The JWS algorithm of the key: RS256 (RSA) or ES256 (EC P-256); others are refused."""
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    if isinstance(key, rsa.RSAPrivateKey):
        return "RS256"
    if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == "secp256r1":
        return "ES256"
    raise OAuthError(_CODE, "oauth.private_key_invalid", path=key_path,
                     reason="only RSA (or EC P-256) keys are supported")  # fmt: skip


def load_certificate(certificate_file: Path, key_file: Path | None = None) -> Certificate:
    """Read the certificate and its private key (from `key_file`, else from the certificate's
    PEM), refusing a key file others may read, an encrypted or unsupported key, and a key that
    does not belong to the certificate. Messages never quote the key.

    Raises: OAuthError(NO_ACCESS_TOKEN, "oauth.certificate_*" | "oauth.private_key_*").
    """
    cert_data = _read(certificate_file, "certificate")
    der = _cert_der(cert_data, certificate_file)
    key_path = key_file if key_file is not None else certificate_file
    key_data = _read(key_file, "private key") if key_file is not None else cert_data
    blocks = _pem_blocks(key_data, _PEM_KEY_TAGS)
    if not blocks:
        raise OAuthError(_CODE, "oauth.private_key_missing", path=key_path)
    _check_private(key_path)  # before the key is used, whatever it holds
    _need_cryptography(key_path)
    from cryptography.hazmat.primitives import serialization

    key: Any = _private_key(blocks, key_path)
    cert = _x509(der, certificate_file)
    alg = _algorithm(key, key_path)
    spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    if key.public_key().public_bytes(*spki) != cert.public_key().public_bytes(*spki):
        raise OAuthError(_CODE, "oauth.private_key_mismatch", key=key_path,
                         certificate=certificate_file)  # fmt: skip
    return Certificate(certificate_file, key_path, der, key, alg)


@record
class CertificateFacts:
    """What `smail-token status` shows: never the key. `not_after` None when unknown."""

    path: Path
    thumbprint: str
    not_after: float | None


def certificate_facts(certificate_file: Path) -> CertificateFacts:
    """The SHA-1 thumbprint and expiry of the certificate (only its CERTIFICATE block is read;
    the expiry needs `cryptography`, else None).

    Raises: OAuthError(NO_ACCESS_TOKEN, "oauth.certificate_unreadable" | "...invalid").
    """
    der = _cert_der(_read(certificate_file, "certificate"), certificate_file)
    not_after: float | None = None
    try:
        import cryptography  # noqa: F401 - only whether it is there
    except ImportError:
        pass
    else:
        cert = _x509(der, certificate_file)
        after = getattr(cert, "not_valid_after_utc", None)
        if after is None:  # cryptography < 42
            import datetime as dt

            after = cert.not_valid_after.replace(tzinfo=dt.UTC)
        not_after = after.timestamp()
    return CertificateFacts(certificate_file, thumbprint_hex(der), not_after)

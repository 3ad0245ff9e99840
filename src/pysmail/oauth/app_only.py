"""App-only tokens (client credentials, RFC 6749 4.4) for Microsoft 365 SMTP.SendAsApp.

No refresh token and no user: each need gets a new access token from the client's own
credentials, a client secret or a certificate (private_key_jwt: RFC 7523 2.2, OpenID Connect
Core 9). With a certificate the client signs a short JWT, the client assertion:

    header  {"alg": "RS256", "typ": "JWT", "x5t": <SHA-1 thumbprint>, "x5t#S256": <SHA-256>}
    claims  {"iss": client_id, "sub": client_id, "aud": <token endpoint URL>, "jti": <random>,
             "iat": now, "nbf": now, "exp": now + 300}

and POSTs it as client_assertion (with client_assertion_type jwt-bearer) instead of a secret.
The token file names the files: CertificateFile= (PEM: the certificate, and the private key
unless PrivateKeyFile= names another PEM). A file holding the private key must be private to its
owner (like smail.ini with a password). The key never leaves this module: not in the token file,
argv, logs or messages. Signing uses the `cryptography` package (pip install pysmail[cert]),
imported only when a certificate is really used.

Pure: the request builders, the header, claims and signing input, `client_assertion` (an RS256
signature is deterministic given the key, `now` and `jti`; ES256 uses a random nonce).
certificate.py reads the PEM files and checks their permissions.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from pathlib import Path

from pysmail.errors import OAuthError
from pysmail.exitcodes import ErrCode
from pysmail.oauth.certificate import Certificate, certificate_facts, load_certificate
from pysmail.oauth.flow import FormRequest, authenticated_form
from pysmail.oauth.providers import AuthMethod

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from collections.abc import Callable

    from pysmail.oauth.tokenfile import TokenFile

__all__ = [
    "APP_ONLY_GRANT",
    "ASSERTION_LIFETIME",
    "ASSERTION_TYPE",
    "MS_APP_ONLY_SCOPE",
    "app_only_request",
    "assertion_claims",
    "assertion_header",
    "assertion_request",
    "certificate_paths",
    "client_assertion",
    "client_credentials_request",
    "explain_refusal",
    "signing_input",
]

APP_ONLY_GRANT = "client_credentials"
MS_APP_ONLY_SCOPE = "https://outlook.office365.com/.default"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_LIFETIME = 300  # seconds (Microsoft's examples use 5-10 minutes)
_CODE = ErrCode.NO_ACCESS_TOKEN


def client_credentials_request(
    token_url: str, client_id: str, client_secret: str, method: AuthMethod, scope: str | None
) -> FormRequest:
    """The client credentials grant authenticated with the client secret."""
    data = {"grant_type": APP_ONLY_GRANT}
    if scope:
        data["scope"] = scope
    return authenticated_form(token_url, data, client_id, client_secret, method)


# -- pure: the client assertion ------------------------------------------------------------------


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def assertion_header(cert_der: bytes, alg: str) -> dict[str, str]:
    """The JWS header: Microsoft finds the registered certificate by x5t (RFC 7515 4.1.7)."""
    sha1 = hashlib.sha1(cert_der).digest()  # noqa: S324 - the thumbprint Microsoft asks for
    return {
        "alg": alg,
        "typ": "JWT",
        "x5t": _b64url(sha1),
        "x5t#S256": _b64url(hashlib.sha256(cert_der).digest()),
    }


def assertion_claims(
    client_id: str, audience: str, *, now: int, jti: str, lifetime: int = ASSERTION_LIFETIME
) -> dict[str, str | int]:
    """RFC 7523 3 / OpenID Core 9: the client is issuer and subject; the audience is the token
    endpoint URL (Microsoft's rule; oidc-provider accepts it too)."""
    return {
        "iss": client_id,
        "sub": client_id,
        "aud": audience,
        "jti": jti,
        "iat": now,
        "nbf": now,
        "exp": now + lifetime,
    }


def signing_input(header: Mapping[str, object], claims: Mapping[str, object]) -> bytes:
    """base64url(header) "." base64url(claims) (RFC 7515 5.1), compact JSON."""

    def part(value: Mapping[str, object]) -> str:
        return _b64url(json.dumps(value, separators=(",", ":")).encode("utf-8"))

    return f"{part(header)}.{part(claims)}".encode("ascii")


def assertion_request(
    token_url: str, client_id: str, scope: str | None, assertion: str
) -> FormRequest:
    """The client credentials grant authenticated by a client assertion (RFC 7523 2.2)."""
    data = {"client_id": client_id, "grant_type": APP_ONLY_GRANT}
    if scope:
        data["scope"] = scope
    data["client_assertion_type"] = ASSERTION_TYPE
    data["client_assertion"] = assertion
    return FormRequest(token_url, data, None)


def _sign(key: object, alg: str, data: bytes) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    if alg == "RS256" and isinstance(key, rsa.RSAPrivateKey):
        return key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    if alg == "ES256" and isinstance(key, ec.EllipticCurvePrivateKey):
        r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")  # JWS: raw r || s (RFC 7518 3.4)
    raise ValueError(f"cannot sign {alg} with this key")


def client_assertion(
    credential: Certificate, client_id: str, audience: str, *, now: int, jti: str
) -> str:
    """The signed client assertion (compact JWS); for an RSA key the same for the same `now`
    and `jti`."""
    header = assertion_header(credential.cert_der, credential.alg)
    claims = assertion_claims(client_id, audience, now=now, jti=jti)
    data = signing_input(header, claims)
    return data.decode("ascii") + "." + _b64url(_sign(credential.key, credential.alg, data))


# -- the token file's certificate ---------------------------------------------------------------


def certificate_paths(doc: TokenFile) -> tuple[Path, Path | None] | None:
    """(CertificateFile, PrivateKeyFile or None) of an app-only file, relative names taken from
    the token file's folder; None when the file names no certificate.

    Raises: OAuthError(NO_ACCESS_TOKEN, "oauth.certificate_and_secret") when it has both a
    certificate and a ClientSecret (which one is meant cannot be guessed).
    """
    cert = doc.get("CertificateFile")
    key = doc.get("PrivateKeyFile")
    if not cert:
        return None
    if doc.client_secret:
        raise OAuthError(_CODE, "oauth.certificate_and_secret", path=doc.path)
    folder = Path(doc.path).parent
    return folder / cert, (folder / key if key else None)


def app_only_request(
    doc: TokenFile,
    token_uri: str,
    method: AuthMethod,
    scope: str | None,
    *,
    clock: Callable[[], float] | None = None,
    learn: Callable[[str], None] | None = None,
) -> FormRequest:
    """The client credentials request of an app-only file: signed with its certificate when it
    names one (CertificateFile=), else with its ClientSecret. `learn` gets the assertion (a
    credential for its 5 minutes) for the output scrubber.

    Raises: OAuthError(NO_ACCESS_TOKEN, ...) from certificate_paths and load_certificate.
    """
    import time
    import uuid

    paths = certificate_paths(doc)
    if paths is None:
        return client_credentials_request(
            token_uri, doc.client_id, doc.client_secret or "", method, scope
        )
    credential = load_certificate(*paths)
    now = int((clock or time.time)())
    assertion = client_assertion(
        credential, doc.client_id, token_uri, now=now, jti=str(uuid.uuid4())
    )
    if learn is not None:
        learn(assertion)
    return assertion_request(token_uri, doc.client_id, scope, assertion)


def explain_refusal(err: OAuthError, doc: TokenFile) -> OAuthError:
    """`err` itself, or for invalid_client with a certificate file the message that names the
    certificate (its thumbprint, as the app registration lists it) instead of ClientSecret."""
    if err.params.get("error") != "invalid_client":
        return err
    try:
        paths = certificate_paths(doc)
        if paths is None:
            return err
        thumbprint = certificate_facts(paths[0]).thumbprint
    except OAuthError:
        return err
    return OAuthError(
        err.code, "oauth.invalid_client_certificate", error=err.params.get("error"),
        description=err.params.get("description", "-"), path=doc.path,
        certificate=paths[0], thumbprint=thumbprint, client=doc.client_id,
    )  # fmt: skip

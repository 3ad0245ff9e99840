"""private_key_jwt (RFC 7523 2.2): the client assertion, its request, and the PEM files behind it.

Every assertion is decoded here with the standard library and its signature verified with the
public key of the certificate (cryptography), independently of pysmail.oauth.app_only.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import ssl
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.x509.oid import NameOID

from pysmail.errors import OAuthError
from pysmail.exitcodes import ErrCode
from pysmail.messages import format_error
from pysmail.oauth.app_only import (
    ASSERTION_TYPE,
    app_only_request,
    assertion_request,
    certificate_paths,
    client_assertion,
    explain_refusal,
)
from pysmail.oauth.authorize import render_token_file
from pysmail.oauth.certificate import certificate_facts, load_certificate
from pysmail.oauth.tokenfile import parse_token_file

TOKEN_URL = "https://login.microsoftonline.com/contoso.example/oauth2/v2.0/token"
NOW = 1_800_000_000
SRC = Path(__file__).resolve().parents[2] / "src"


def _cert(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, days: int = 30) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pysmail unit test app")])
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=days))
        .sign(key, hashes.SHA256())
    )


def _pem_key(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def pem(tmp_path: Path, rsa_key: rsa.RSAPrivateKey) -> Path:
    """Certificate and key in one PEM, mode 0600."""
    path = tmp_path / "app.pem"
    cert = _cert(rsa_key).public_bytes(serialization.Encoding.PEM)
    path.write_bytes(cert + _pem_key(rsa_key))
    path.chmod(0o600)
    return path


def _b64d(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _decode(jwt: str) -> tuple[dict[str, object], dict[str, object], bytes, bytes]:
    head, body, sig = jwt.split(".")
    return json.loads(_b64d(head)), json.loads(_b64d(body)), f"{head}.{body}".encode(), _b64d(sig)


def _der(path: Path) -> bytes:
    text = path.read_text()
    start = text.index("-----BEGIN CERTIFICATE-----")
    end = text.index("-----END CERTIFICATE-----") + len("-----END CERTIFICATE-----")
    return ssl.PEM_cert_to_DER_cert(text[start:end])


def test_assertion_header_claims_and_rs256_signature(pem: Path) -> None:
    credential = load_certificate(pem)
    assert credential.alg == "RS256"
    jwt = client_assertion(credential, "app-id", TOKEN_URL, now=NOW, jti="jti-1")
    header, claims, signed, signature = _decode(jwt)
    der = _der(pem)
    x5t = base64.urlsafe_b64encode(hashlib.sha1(der).digest()).rstrip(b"=").decode()
    s256 = base64.urlsafe_b64encode(hashlib.sha256(der).digest()).rstrip(b"=").decode()
    assert header == {"alg": "RS256", "typ": "JWT", "x5t": x5t, "x5t#S256": s256}
    assert claims == {
        "iss": "app-id", "sub": "app-id", "aud": TOKEN_URL, "jti": "jti-1",
        "iat": NOW, "nbf": NOW, "exp": NOW + 300,
    }  # fmt: skip
    public = x509.load_der_x509_certificate(der).public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    public.verify(signature, signed, padding.PKCS1v15(), hashes.SHA256())  # raises if wrong
    # pure: the same inputs give the same assertion; another jti or time another one
    assert client_assertion(credential, "app-id", TOKEN_URL, now=NOW, jti="jti-1") == jwt
    assert client_assertion(credential, "app-id", TOKEN_URL, now=NOW, jti="jti-2") != jwt
    assert credential.thumbprint == hashlib.sha1(der).hexdigest().upper()
    assert "PRIVATE" not in repr(credential) and "cert_der" not in repr(credential)


def test_a_tampered_assertion_does_not_verify(pem: Path) -> None:
    jwt = client_assertion(load_certificate(pem), "app-id", TOKEN_URL, now=NOW, jti="j")
    _header, _claims, signed, signature = _decode(jwt)
    public = x509.load_der_x509_certificate(_der(pem)).public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    from cryptography.exceptions import InvalidSignature

    with pytest.raises(InvalidSignature):
        public.verify(
            signature, signed.replace(b".", b".e", 1), padding.PKCS1v15(), hashes.SHA256()
        )


def test_es256_with_an_ec_p256_key(tmp_path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    path = tmp_path / "ec.pem"
    path.write_bytes(_cert(key).public_bytes(serialization.Encoding.PEM) + _pem_key(key))
    path.chmod(0o600)
    jwt = client_assertion(load_certificate(path), "app-id", TOKEN_URL, now=NOW, jti="j")
    header, _claims, signed, raw = _decode(jwt)
    assert header["alg"] == "ES256" and len(raw) == 64
    der_sig = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    key.public_key().verify(der_sig, signed, ec.ECDSA(hashes.SHA256()))


def test_the_request_carries_the_assertion_and_no_secret() -> None:
    request = assertion_request(
        TOKEN_URL, "app-id", "https://outlook.office365.com/.default", "a.b.c"
    )
    assert request.url == TOKEN_URL and request.basic is None
    assert request.data == {
        "client_id": "app-id",
        "grant_type": "client_credentials",
        "scope": "https://outlook.office365.com/.default",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": "a.b.c",
    }
    assert request.data["client_assertion_type"] == ASSERTION_TYPE
    assert "scope" not in assertion_request(TOKEN_URL, "app-id", None, "a.b.c").data


def _token_file(folder: Path, extra: str) -> Path:
    path = folder / "smail_refreshtoken.ini"
    path.write_text(
        "[OAUTH2]\nUserID=a@contoso.example\nClientID=app-id\nClientSecret=\nRefreshToken=\n"
        f"TokenURI={TOKEN_URL}\nProvider=1\nGrant=client_credentials\n{extra}"
    )
    return path


def test_app_only_request_signs_with_the_file_named_by_the_token_file(
    tmp_path: Path, pem: Path
) -> None:
    path = _token_file(tmp_path, "CertificateFile=app.pem\n")
    doc = parse_token_file(path, path.read_bytes())
    assert certificate_paths(doc) == (tmp_path / "app.pem", None)  # relative: the file's folder
    learned: list[str] = []
    request = app_only_request(
        doc, TOKEN_URL, "none", "s", clock=lambda: NOW + 0.7, learn=learned.append
    )
    assert request.data["client_assertion"] == learned[0]
    _header, claims, _signed, _sig = _decode(learned[0])
    assert claims["iat"] == NOW and claims["aud"] == TOKEN_URL and claims["iss"] == "app-id"
    # a secret file is unchanged: the secret, no assertion
    secret = _token_file(tmp_path, "").read_bytes().replace(b"ClientSecret=", b"ClientSecret=s3")
    plain = app_only_request(
        parse_token_file(doc.path, secret), TOKEN_URL, "client_secret_post", None
    )
    assert plain.data["client_secret"] == "s3" and "client_assertion" not in plain.data


def test_both_a_secret_and_a_certificate_is_refused(tmp_path: Path) -> None:
    data = _token_file(tmp_path, "CertificateFile=app.pem\n").read_bytes()
    doc = parse_token_file(tmp_path / "x.ini", data.replace(b"ClientSecret=", b"ClientSecret=s3"))
    with pytest.raises(OAuthError) as caught:
        certificate_paths(doc)
    assert caught.value.msgid == "oauth.certificate_and_secret"


def test_a_key_others_may_read_is_refused_with_the_fix(pem: Path) -> None:
    pem.chmod(0o644)
    with pytest.raises(OAuthError) as caught:
        load_certificate(pem)
    assert caught.value.msgid == "oauth.private_key_not_private"
    shown = format_error(caught.value, "en")
    assert f"chmod 600 {pem}" in shown and "mode 0644" in shown
    assert "PRIVATE KEY" not in shown


def test_separate_key_file_only_the_key_must_be_private(
    tmp_path: Path, rsa_key: rsa.RSAPrivateKey
) -> None:
    cert = tmp_path / "app.crt"
    cert.write_bytes(_cert(rsa_key).public_bytes(serialization.Encoding.PEM))
    cert.chmod(0o644)  # a certificate is public
    key = tmp_path / "app.key"
    key.write_bytes(_pem_key(rsa_key))
    key.chmod(0o600)
    credential = load_certificate(cert, key)
    assert credential.key_file == key and credential.certificate_file == cert
    key.chmod(0o640)
    with pytest.raises(OAuthError) as caught:
        load_certificate(cert, key)
    assert caught.value.msgid == "oauth.private_key_not_private"
    with pytest.raises(OAuthError) as missing:
        load_certificate(cert)  # no key in the certificate's PEM, none named
    assert missing.value.msgid == "oauth.private_key_missing"


def test_a_key_of_another_certificate_is_refused(
    tmp_path: Path, rsa_key: rsa.RSAPrivateKey
) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = tmp_path / "mixed.pem"
    path.write_bytes(_cert(rsa_key).public_bytes(serialization.Encoding.PEM) + _pem_key(other))
    path.chmod(0o600)
    with pytest.raises(OAuthError) as caught:
        load_certificate(path)
    assert caught.value.msgid == "oauth.private_key_mismatch"


def test_an_encrypted_or_broken_key_is_explained(
    tmp_path: Path, rsa_key: rsa.RSAPrivateKey
) -> None:
    cert = _cert(rsa_key).public_bytes(serialization.Encoding.PEM)
    locked = rsa_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"passphrase"),
    )
    broken = b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
    for name, key, reason in (
        ("locked", locked, "encrypted"),
        ("broken", broken, "not a readable"),
    ):
        path = tmp_path / f"{name}.pem"
        path.write_bytes(cert + key)
        path.chmod(0o600)
        with pytest.raises(OAuthError) as caught:
            load_certificate(path)
        assert caught.value.msgid == "oauth.private_key_invalid"
        assert reason in format_error(caught.value, "en")
        assert "AAAA" not in format_error(caught.value, "en")
    nocert = tmp_path / "nocert.pem"
    nocert.write_bytes(_pem_key(rsa_key))
    nocert.chmod(0o600)
    with pytest.raises(OAuthError) as caught:
        load_certificate(nocert)
    assert caught.value.msgid == "oauth.certificate_invalid"


def test_without_cryptography_the_message_names_the_extra(
    pem: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "cryptography", None)  # import cryptography -> ImportError
    with pytest.raises(OAuthError) as caught:
        load_certificate(pem)
    assert caught.value.msgid == "oauth.certificate_needs_cryptography"
    assert "pip install pysmail[cert]" in format_error(caught.value, "en")
    facts = certificate_facts(pem)  # status still shows the thumbprint, not the expiry
    assert facts.thumbprint == hashlib.sha1(_der(pem)).hexdigest().upper()
    assert facts.not_after is None


def test_certificate_facts_read_the_expiry(pem: Path) -> None:
    facts = certificate_facts(pem)
    assert facts.not_after == dt.datetime(2026, 1, 31, tzinfo=dt.UTC).timestamp()


def test_invalid_client_with_a_certificate_names_it(tmp_path: Path, pem: Path) -> None:
    doc = parse_token_file(
        tmp_path / "t.ini", _token_file(tmp_path, "CertificateFile=app.pem\n").read_bytes()
    )
    err = OAuthError(
        ErrCode.NO_ACCESS_TOKEN, "oauth.invalid_client",
        error="invalid_client", description="client authentication failed", path=doc.path,
    )  # fmt: skip
    explained = explain_refusal(err, doc)
    assert explained.msgid == "oauth.invalid_client_certificate"
    shown = format_error(explained, "en")
    assert (
        hashlib.sha1(_der(pem)).hexdigest().upper() in shown and "Certificates & secrets" in shown
    )
    other = OAuthError(err.code, "oauth.invalid_scope", error="invalid_scope", description="-")
    assert explain_refusal(other, doc) is other


def test_a_secret_login_over_a_certificate_file_empties_its_keys(tmp_path: Path) -> None:
    old = _token_file(tmp_path, "CertificateFile=app.pem\nPrivateKeyFile=app.key\n").read_bytes()
    new = render_token_file({"ClientID": "app-id", "ClientSecret": "s3"}, old)
    doc = parse_token_file(tmp_path / "t.ini", new)
    assert doc.get("CertificateFile") is None and doc.get("PrivateKeyFile") is None
    assert certificate_paths(doc) is None


def test_importing_the_app_only_module_does_not_load_cryptography() -> None:
    code = (
        "import sys, pysmail.oauth.app_only, pysmail.oauth.provider; "
        "print(sorted(m for m in sys.modules if m.startswith('cryptography')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True,
        env={"PYTHONPATH": str(SRC)},
    )  # fmt: skip
    assert out.stdout.strip() == "[]"

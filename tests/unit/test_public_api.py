"""The public Python API's surface (docs/api.md), pinned: its names and every signature as
inspect shows it. A change here is a change for every program that imports pysmail: make it on
purpose, with docs/api.md and the READMEs' "Use from Python".
"""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import pytest

import pysmail
from pysmail import errors

EXPORTED = {
    "Account",
    "AuthError",
    "ConfigError",
    "InputError",
    "Mailer",
    "Message",
    "NetworkError",
    "OAuthError",
    "Pop3Error",
    "Receipt",
    "SmailError",
    "SmtpReplyError",
    "UsageError",
    "__version__",
    "send",
}

SIGNATURES = {
    "send": "(message: 'Message | email.message.Message', *, account: 'Account | None' = None)"
    " -> 'Receipt'",
    "Mailer": "(account: 'Account | None' = None) -> 'None'",
    "Mailer.send": "(self, message: 'Message | email.message.Message') -> 'Receipt'",
    "Mailer.send_many": "(self, messages: 'Iterable[Message | email.message.Message]')"
    " -> 'list[Receipt]'",
    "Mailer.close": "(self) -> 'None'",
    "Account": "(host: 'str', port: 'int | None' = None, *, user: 'str | None' = None, "
    "password: 'str | None' = None, tls: 'str' = 'auto', auth: 'str' = 'auto', "
    "token_file: 'str | os.PathLike[str] | None' = None, sender: 'str | None' = None, "
    "ca_file: 'str | os.PathLike[str] | None' = None, timeout: 'float | None' = None)"
    " -> 'None'",
    "Account.from_file": "(path: 'str | os.PathLike[str] | None' = None, *, "
    "name: 'str | None' = None) -> 'Account'",
    "Message": "(sender: 'str | None' = None, to: 'str | Iterable[str]' = (), "
    "cc: 'str | Iterable[str]' = (), bcc: 'str | Iterable[str]' = (), subject: 'str' = '', "
    "text: 'str | None' = None, html: 'str | None' = None, "
    "attachments: 'Iterable[str | os.PathLike[str]]' = (), "
    "reply_to: 'str | Iterable[str]' = (), "
    "headers: 'Mapping[str, str] | Iterable[tuple[str, str]]' = (), charset: 'str' = 'auto')"
    " -> 'None'",
    "Receipt": "(message_id: 'str', accepted: 'tuple[str, ...]' = (), "
    "refused: 'dict[str, str] | None' = None, reply: 'str' = '', "
    "error: 'SmailError | None' = None) -> 'None'",
    "oauth.TokenStore": "(path: 'str | os.PathLike[str]', *, margin: 'float' = 600.0) -> 'None'",
    "oauth.TokenStore.access_token": "(self) -> 'str'",
}

PROPERTIES = {
    "Account": {"host", "port", "tls", "user", "auth", "sender", "token_file"},
    "Receipt": {"ok"},
    "SmailError": {"err_code"},
    "oauth.TokenStore": {"user"},
}

EXCEPTIONS = (
    "SmailError",
    "UsageError",
    "InputError",
    "ConfigError",
    "NetworkError",
    "SmtpReplyError",
    "AuthError",
    "OAuthError",
    "Pop3Error",
)


def _named(path: str) -> object:
    import pysmail.oauth

    found: object = pysmail
    for part in path.split("."):
        found = getattr(found, part)
    return found


def test_the_exported_names() -> None:
    assert set(pysmail.__all__) == EXPORTED
    assert set(dir(pysmail)) >= EXPORTED
    for name in EXPORTED:
        assert getattr(pysmail, name) is not None
    with pytest.raises(AttributeError):
        _ = pysmail.no_such_name  # type: ignore[attr-defined]


@pytest.mark.parametrize("path", sorted(SIGNATURES))
def test_signatures(path: str) -> None:
    assert str(inspect.signature(_named(path))) == SIGNATURES[path]  # type: ignore[arg-type]


@pytest.mark.parametrize("owner", sorted(PROPERTIES))
def test_properties(owner: str) -> None:
    cls = _named(owner)
    for name in PROPERTIES[owner]:
        assert isinstance(inspect.getattr_static(cls, name), property), name


def test_mailer_is_a_context_manager() -> None:
    assert hasattr(pysmail.Mailer, "__enter__") and hasattr(pysmail.Mailer, "__exit__")


@pytest.mark.parametrize("name", EXCEPTIONS)
def test_the_exceptions_are_pysmails_own(name: str) -> None:
    cls = getattr(pysmail, name)
    assert cls is getattr(errors, name)
    assert issubclass(cls, pysmail.SmailError)


def test_every_error_carries_the_public_fields() -> None:
    from pysmail.exitcodes import ErrCode

    refused = pysmail.SmtpReplyError(
        ErrCode.HANDLING, "smtp.message_refused", smtp_code=550, reply="550 5.7.1 no"
    )
    assert (refused.err_code, refused.transient, refused.reply) == (11, False, "550 5.7.1 no")
    later = pysmail.SmtpReplyError(
        ErrCode.TEMPORARY, "smtp.message_refused", smtp_code=451, reply="451 4.3.0 later"
    )
    assert (later.err_code, later.transient) == (29, True)
    usage = pysmail.UsageError(ErrCode.RECIPIENT, "config.no_recipient")
    assert (usage.err_code, usage.transient, usage.reply) == (1, False, None)
    assert isinstance(usage.err_code, int) and not isinstance(usage.err_code, ErrCode)


def test_the_package_ships_its_types() -> None:
    assert (Path(pysmail.__file__).parent / "py.typed").is_file()


@pytest.mark.parametrize("package", ["pysmail", "pysmail.oauth"])
def test_importing_a_package_loads_none_of_the_api(package: str) -> None:
    code = (
        f"import sys, {package}; print(sorted(m for m in sys.modules if m.startswith('pysmail')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert out.strip() == str(sorted({"pysmail", package}))


def test_the_token_store_is_exported_lazily() -> None:
    from pysmail.oauth import TokenStore
    from pysmail.oauth.public import TokenStore as where

    assert TokenStore is where
    with pytest.raises(AttributeError):
        _ = pysmail.oauth.NoSuchName  # type: ignore[attr-defined]


def test_secrets_stay_out_of_repr() -> None:
    account = pysmail.Account("mail.example.test", 587, user="a@example.test", password="s3cr3t")
    assert "s3cr3t" not in repr(account)
    assert account.tls == "starttls" and account.sender == "a@example.test"


def test_a_bad_choice_is_an_err_not_a_traceback() -> None:
    with pytest.raises(pysmail.UsageError) as info:
        pysmail.Account("mail.example.test", tls="ssl")
    assert info.value.err_code == 17
    assert "starttls" in str(info.value)


def test_a_missing_token_file_is_err_0028(tmp_path: Path) -> None:
    from pysmail.oauth import TokenStore

    with pytest.raises(pysmail.OAuthError) as info:
        TokenStore(tmp_path / "smail_refreshtoken.ini")
    assert (info.value.err_code, info.value.transient) == (28, False)


# The front ends on the API (issue 14): Django's email backend and the logging handler. Not
# exported by `pysmail` (importing pysmail loads neither Django nor logging): imported by name.
FRONT_ENDS = {
    "django.EmailBackend": "(host: 'str | None' = None, port: 'int | None' = None, "
    "username: 'str | None' = None, password: 'str | None' = None, "
    "use_tls: 'bool | None' = None, fail_silently: 'bool' = False, "
    "use_ssl: 'bool | None' = None, timeout: 'float | None' = None, *, "
    "account: 'Account | None' = None, **kwargs: 'object') -> 'None'",
    "django.EmailBackend.open": "(self) -> 'bool'",
    "django.EmailBackend.close": "(self) -> 'None'",
    "django.EmailBackend.send_messages": "(self, email_messages: 'Sequence[EmailMessage]')"
    " -> 'int'",
    "logging.SMTPHandler": "(mailhost: 'str | tuple[str, int] | None' = None, "
    "fromaddr: 'str | None' = None, toaddrs: 'str | Iterable[str]' = (), subject: 'str' = '', "
    "credentials: 'tuple[str, str] | None' = None, secure: 'tuple[str, ...] | None' = None, "
    "timeout: 'float' = 5.0, *, account: 'Account | str | None' = None) -> 'None'",
    "logging.SMTPHandler.getSubject": "(self, record: 'logging.LogRecord') -> 'str'",
    "logging.SMTPHandler.flush": "(self) -> 'None'",
}


@pytest.mark.parametrize("path", sorted(FRONT_ENDS))
def test_front_end_signatures(path: str) -> None:
    import importlib

    module, _, rest = path.partition(".")
    found: object = importlib.import_module(f"pysmail.{module}")
    for part in rest.split("."):
        found = getattr(found, part)
    assert str(inspect.signature(found)) == FRONT_ENDS[path]  # type: ignore[arg-type]


def test_the_front_ends_are_what_they_replace() -> None:
    import logging

    from django.core.mail.backends.base import BaseEmailBackend

    from pysmail.django import EmailBackend
    from pysmail.logging import SMTPHandler

    assert issubclass(EmailBackend, BaseEmailBackend)
    assert issubclass(SMTPHandler, logging.Handler)

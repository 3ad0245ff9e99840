"""Django's email backend on pysmail: `EMAIL_BACKEND = "pysmail.django.EmailBackend"` (the extra
`pysmail[django]`). Django's send_mail, EmailMessage (attachments, Bcc) and send_mass_mail go
through a pysmail.Mailer: TLS always verified, a password or OAuth from smail's token file,
pipelining and BDAT, and one connection for every message of one send_messages() call.

Where the account comes from, first found wins (docs/api.md "Django"):
1. `account=` given to the backend (get_connection(account=pysmail.Account(...)));
2. `host=` given to the backend: Django's EMAIL_* settings, the backend's arguments over them;
3. `PYSMAIL_ACCOUNT` (an [account NAME]) or `PYSMAIL_CONFIG` (a smail.ini path) in the
   settings: smail.ini, found as `smail` finds it when only PYSMAIL_ACCOUNT is set;
4. Django's EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS,
   EMAIL_USE_SSL, EMAIL_TIMEOUT, with `PYSMAIL_TOKEN_FILE` (OAuth: the token file's access
   token instead of the password) and `PYSMAIL_CA_FILE` (a CA bundle instead of the system's).
"""

from __future__ import annotations

import threading

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail.backends.base import BaseEmailBackend

from pysmail.api.account import Account
from pysmail.errors import SmailError

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from collections.abc import Sequence

    from django.core.mail import EmailMessage

    from pysmail.api.mailer import Mailer
    from pysmail.api.outgoing import Outgoing

__all__ = ["EmailBackend"]


def _setting(name: str, default: object = None) -> object:
    return getattr(settings, name, default)


# The SMTP backend's arguments and the Django settings they stand for.
_EMAIL_SETTINGS = {
    "host": "EMAIL_HOST",
    "port": "EMAIL_PORT",
    "username": "EMAIL_HOST_USER",
    "password": "EMAIL_HOST_PASSWORD",
    "use_tls": "EMAIL_USE_TLS",
    "use_ssl": "EMAIL_USE_SSL",
    "timeout": "EMAIL_TIMEOUT",
}


def _text(value: object) -> str | None:
    """A setting's text; None for None and "" (Django's defaults for what is not set)."""
    return str(value) if value else None


def _tls(use_tls: object, use_ssl: object) -> str:
    if use_tls and use_ssl:
        raise ValueError(
            "EMAIL_USE_TLS/EMAIL_USE_SSL are mutually exclusive, so only set one of those "
            "settings to True."
        )
    return "smtps" if use_ssl else "starttls" if use_tls else "auto"  # auto: by the port


def _from_email_settings(given: dict[str, object]) -> Account:
    """Django's EMAIL_* settings (each argument given over its setting), as the SMTP backend
    reads them; TLS by the port when neither EMAIL_USE_TLS nor EMAIL_USE_SSL is set."""
    if _setting("EMAIL_SSL_CERTFILE") or _setting("EMAIL_SSL_KEYFILE"):
        raise ImproperlyConfigured(
            "pysmail.django.EmailBackend does not log in with a client certificate "
            "(EMAIL_SSL_CERTFILE, EMAIL_SSL_KEYFILE)"
        )
    value = {
        key: _setting(name) if given.get(key) is None else given[key]
        for key, name in _EMAIL_SETTINGS.items()
    }
    token = _text(_setting("PYSMAIL_TOKEN_FILE"))
    return Account(
        _text(value["host"]) or "localhost",
        int(value["port"] or 25),  # type: ignore[call-overload]
        user=_text(value["username"]),
        password=None if token else _text(value["password"]),
        tls=_tls(value["use_tls"], value["use_ssl"]),
        token_file=token,
        ca_file=_setting("PYSMAIL_CA_FILE"),  # type: ignore[arg-type]
        timeout=value["timeout"],  # type: ignore[arg-type]
    )


def _account(account: Account | None, given: dict[str, object]) -> Account:
    """The account of the backend, by the order of the module's docstring."""
    if account is not None:
        return account
    if given["host"] is None:
        name, config = _setting("PYSMAIL_ACCOUNT"), _setting("PYSMAIL_CONFIG")
        if name is not None or config is not None:
            return Account.from_file(config, name=name)  # type: ignore[arg-type]
    return _from_email_settings(given)


def _envelope(message: EmailMessage) -> tuple[str, tuple[str, ...]]:
    """Django's envelope: from_email, and every to, cc and bcc address (as its SMTP backend
    has it, whatever the To and Cc headers say)."""
    from pysmail.exitcodes import ErrCode
    from pysmail.mime.addresses import parse_address, parse_address_list

    sender = parse_address(str(message.from_email), code=ErrCode.OPTION).wire_addr
    found = (a.wire_addr for value in message.recipients() for a in parse_address_list(value))
    return sender, tuple(dict.fromkeys(found))


def _prepared(message: EmailMessage, default_sender: str | None) -> Outgoing:
    """A Django message as pysmail sends it: its email.message (compat32 up to Django 5.2,
    the modern email package from 6.0) written as it is, with Django's envelope. The
    envelope's recipients go in as a Bcc field, which pysmail uses and removes: a message
    whose To field names nobody (`undisclosed-recipients:;`) or only its bcc is sent too."""
    from pysmail.api.outgoing import outgoing

    sender, recipients = _envelope(message)
    mime = message.message()  # a new object on each call: ours to change
    del mime["Bcc"]
    mime["Bcc"] = ", ".join(recipients)
    made = outgoing(mime, default_sender)
    made.sender, made.recipients = sender, recipients
    # SMTPUTF8 when an address of the envelope needs it, or the fields were written for it
    made.smtputf8 = made.smtputf8 or not all(a.isascii() for a in (sender, *recipients))
    return made


class EmailBackend(BaseEmailBackend):  # type: ignore[misc] # Django ships no types
    """Sends Django's messages through pysmail: `EMAIL_BACKEND = "pysmail.django.EmailBackend"`.

    Takes the SMTP backend's arguments (host, port, username, password, use_tls, use_ssl,
    timeout, fail_silently) and `account=` (a pysmail.Account). open() makes the Mailer whose
    connection opens with the first message; send_messages() sends over that one connection
    and returns how many messages the server took; close() hangs up. With `fail_silently`,
    a pysmail.SmailError is swallowed and the message counts as not sent.
    """

    def __init__(
        self,
        host: str | None = None,
        port: int | None = None,
        username: str | None = None,
        password: str | None = None,
        use_tls: bool | None = None,
        fail_silently: bool = False,
        use_ssl: bool | None = None,
        timeout: float | None = None,
        *,
        account: Account | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(fail_silently=fail_silently, **kwargs)
        given: dict[str, object] = {
            "host": host,
            "port": port,
            "username": username,
            "password": password,
            "use_tls": use_tls,
            "use_ssl": use_ssl,
            "timeout": timeout,
        }
        self.account = _account(account, given)
        self.mailer: Mailer | None = None
        self._lock = threading.RLock()

    def open(self) -> bool:
        """Make the Mailer (its connection opens with the first message); False when it
        was open already."""
        from pysmail.api.mailer import Mailer

        with self._lock:
            if self.mailer is not None:
                return False
            self.mailer = Mailer(self.account)
            return True

    def close(self) -> None:
        """Hang up (QUIT); an error on the way out is not the caller's concern."""
        with self._lock:
            mailer, self.mailer = self.mailer, None
            if mailer is not None:
                try:
                    mailer.close()
                except SmailError:
                    if not self.fail_silently:
                        raise

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        """Send every message over one connection; the number the server took."""
        if not email_messages:
            return 0
        with self._lock:
            created = self.open()
            try:
                return self._send_all(email_messages)
            finally:
                if created:
                    self.close()

    def _prepare_all(self, email_messages: Sequence[EmailMessage]) -> list[Outgoing]:
        """The messages to send; one without recipients is left out, as Django's SMTP
        backend leaves it (not counted); a bad one raises unless fail_silently."""
        ready: list[Outgoing] = []
        for message in email_messages:
            if not message.recipients():
                continue
            try:
                ready.append(_prepared(message, self.account.sender))
            except SmailError:
                if not self.fail_silently:
                    raise
        return ready

    def _send_all(self, email_messages: Sequence[EmailMessage]) -> int:
        from pysmail.api.mailer import send_prepared

        ready = self._prepare_all(email_messages)
        if not ready:
            return 0
        assert self.mailer is not None
        # Mailer.send_many with the envelopes Django decided (send_prepared is send_many's
        # second half: the scheduler over the held connection, a Receipt per message).
        receipts = send_prepared(self.mailer, ready)
        failed = next((r.error for r in receipts if r.error is not None), None)
        if failed is not None and not self.fail_silently:
            raise failed
        return sum(1 for r in receipts if r.ok)

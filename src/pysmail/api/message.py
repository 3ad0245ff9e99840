"""`Message` (pysmail's own message: Bcc only in the envelope) and `Receipt` (what the server
said to one message)."""

from __future__ import annotations

import os

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from pysmail.errors import SmailError

__all__ = ["Message", "Receipt"]


def _strings(value: str | Iterable[str]) -> tuple[str, ...]:
    """One address (a str) or several, as a tuple."""
    if isinstance(value, str):
        return (value,) if value else ()
    return tuple(value)


def _headers(value: Mapping[str, str] | Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    items = value.items() if hasattr(value, "items") else value
    return tuple((str(name), str(text)) for name, text in items)


class _Value:
    """Equality and repr from __slots__ (the public values are plain classes: their
    signatures show in help() and inspect, where a @record's shared __init__ would not)."""

    __slots__: tuple[str, ...] = ()

    def _values(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, _Value)
        return self._values() == other._values()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        shown = (f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"{type(self).__name__}({', '.join(shown)})"


class Message(_Value):
    """A message as pysmail composes it (MIME, charsets and headers as `smail` writes them).

    Addresses: "a@example.com" or "Name <a@example.com>", one (a str) or several. `sender`:
    None takes the Account's sender. `bcc` goes to the envelope only. `text` and/or `html`:
    the bodies; `attachments`: file paths (read while sending). `headers`: extra header
    fields, as (name, value) pairs or a dict. `charset`: "auto" (ISO-2022-JP for Japanese
    text that fits it, else UTF-8), "utf-8", "iso-2022-jp", "shift_jis", "euc-jp",
    "us-ascii". Checked when sent: a bad address or a missing attachment raises UsageError /
    InputError before anything is sent.
    """

    __slots__ = (
        "sender",
        "to",
        "cc",
        "bcc",
        "subject",
        "text",
        "html",
        "attachments",
        "reply_to",
        "headers",
        "charset",
    )

    def __init__(
        self,
        sender: str | None = None,
        to: str | Iterable[str] = (),
        cc: str | Iterable[str] = (),
        bcc: str | Iterable[str] = (),
        subject: str = "",
        text: str | None = None,
        html: str | None = None,
        attachments: Iterable[str | os.PathLike[str]] = (),
        reply_to: str | Iterable[str] = (),
        headers: Mapping[str, str] | Iterable[tuple[str, str]] = (),
        charset: str = "auto",
    ) -> None:
        self.sender = sender
        self.to = _strings(to)
        self.cc = _strings(cc)
        self.bcc = _strings(bcc)
        self.subject = subject
        self.text = text
        self.html = html
        self.attachments = tuple(os.fspath(a) for a in attachments)
        self.reply_to = _strings(reply_to)
        self.headers = _headers(headers)
        self.charset = charset


class Receipt(_Value):
    """What became of one message.

    `message_id`: its Message-ID (with the angle brackets). `accepted`: the envelope
    recipients the server took. `refused`: address -> the server's reply, for recipients it
    did not take. `reply`: the server's final reply to the message ("250 2.0.0 Ok ...").
    pysmail sends a message only when every recipient is accepted (as `smail` does), so a
    Receipt from `send()` always has `refused` empty; in `Mailer.send_many()` a message that
    could not be sent has `error` (the exception `send()` would have raised), `accepted` empty
    and every recipient in `refused`.
    """

    __slots__ = ("message_id", "accepted", "refused", "reply", "error")

    def __init__(
        self,
        message_id: str,
        accepted: tuple[str, ...] = (),
        refused: dict[str, str] | None = None,
        reply: str = "",
        error: SmailError | None = None,
    ) -> None:
        self.message_id = message_id
        self.accepted = accepted
        self.refused: dict[str, str] = dict(refused or {})
        self.reply = reply
        self.error = error

    @property
    def ok(self) -> bool:
        """True when the server accepted the message."""
        return self.error is None

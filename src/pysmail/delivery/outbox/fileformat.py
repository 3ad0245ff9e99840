"""The outbox's file format (pure): the .msg header, the .state file, and the text of reasons."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

from pysmail.errors import SmailError
from pysmail.record import record

__all__ = [
    "MAGIC",
    "Entry",
    "Envelope",
    "QueueState",
    "decode_header",
    "decode_state",
    "encode_header",
    "encode_state",
    "error_text",
    "find_message_id",
    "stamp",
]

MAGIC = b"PYSMAIL-OUTBOX 1\n"

_MESSAGE_ID = re.compile(rb"(?im)^message-id:[ \t]*(<[^>\r\n]*>)")


@record
class Envelope:
    """Who the message goes to, and what it is. `recipients` include Bcc (never in headers)."""

    sender: str
    recipients: tuple[str, ...]
    created: float
    message_id: str | None = None
    smtputf8: bool = False
    # A finished message as a program handed it (smail-sendmail): it may hold 8-bit text, so
    # MAIL FROM declares BODY=8BITMIME where the server offers it, as `smail --eml` does.
    eight_bit: bool = False


class QueueState:
    """The mutable part of a queued message (its .state file): a plain class, not a @record,
    because a flush updates it in place before writing it back. Compared by value, unhashable."""

    __slots__ = ("attempts", "last_error", "maybe_sent", "next_try")
    __hash__ = None  # type: ignore[assignment]

    def __init__(
        self,
        attempts: int = 0,
        next_try: float = 0.0,
        last_error: str = "",
        maybe_sent: bool = False,  # an earlier attempt lost the reply after the final "."
    ) -> None:
        self.attempts = attempts
        self.next_try = next_try
        self.last_error = last_error
        self.maybe_sent = maybe_sent

    def _values(self) -> tuple[int, float, str, bool]:
        return (self.attempts, self.next_try, self.last_error, self.maybe_sent)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()

    def __repr__(self) -> str:
        return (
            f"QueueState(attempts={self.attempts!r}, next_try={self.next_try!r}, "
            f"last_error={self.last_error!r}, maybe_sent={self.maybe_sent!r})"
        )


@record
class Entry:
    """One queued message as found on disk."""

    path: Path
    envelope: Envelope
    state: QueueState
    size: int

    @property
    def name(self) -> str:
        return self.path.stem


def encode_header(envelope: Envelope) -> bytes:
    """The bytes a .msg file starts with: MAGIC, then the envelope as one ASCII JSON line."""
    doc = {
        "from": envelope.sender,
        "rcpts": list(envelope.recipients),
        "created": envelope.created,
        "message_id": envelope.message_id,
        "smtputf8": envelope.smtputf8,
    }
    if envelope.eight_bit:  # only then: the files of composed messages stay as they were
        doc["eight_bit"] = True
    line = json.dumps(doc, ensure_ascii=True, allow_nan=False, separators=(",", ":"))
    return MAGIC + line.encode("ascii") + b"\n"


def decode_header(data: bytes) -> tuple[Envelope, int]:
    """The envelope at the start of `data`, and the offset where the message bytes begin.

    Raises: ValueError when `data` does not start with a complete, valid header.
    """
    if not data.startswith(MAGIC):
        raise ValueError("not a pysmail outbox file")
    end = data.find(b"\n", len(MAGIC))
    if end < 0:
        raise ValueError("truncated envelope")
    doc = json.loads(data[len(MAGIC) : end].decode("ascii"))
    return _envelope(doc), end + 1


def _envelope(doc: object) -> Envelope:
    if not isinstance(doc, dict):
        raise ValueError("envelope is not an object")
    sender, rcpts, created = doc.get("from"), doc.get("rcpts"), doc.get("created")
    mid, utf8 = doc.get("message_id"), doc.get("smtputf8", False)
    eight_bit = doc.get("eight_bit", False)
    if not isinstance(sender, str) or not isinstance(rcpts, list):
        raise ValueError("envelope without sender or recipients")
    if not all(isinstance(r, str) for r in rcpts):
        raise ValueError("a recipient is not a string")
    created = _created(created)
    if not (mid is None or isinstance(mid, str)):
        raise ValueError("bad creation time or Message-ID")
    if not isinstance(utf8, bool) or not isinstance(eight_bit, bool):
        raise ValueError("bad smtputf8 or eight_bit flag")
    return Envelope(sender, tuple(rcpts), created, mid, utf8, eight_bit)


def _created(value: object) -> float:
    """An envelope's creation time: a finite number (not a bool)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("envelope without a creation time")
    if not math.isfinite(value):
        raise ValueError("bad creation time or Message-ID")
    return float(value)


def encode_state(state: QueueState) -> bytes:
    doc = {
        "attempts": state.attempts,
        "next_try": state.next_try,
        "last_error": state.last_error,
        "maybe_sent": state.maybe_sent,
    }
    return json.dumps(doc, ensure_ascii=True, allow_nan=False).encode("ascii") + b"\n"


def decode_state(data: bytes) -> QueueState:
    doc = json.loads(data.decode("ascii"))
    if not isinstance(doc, dict):
        raise ValueError("state is not an object")
    attempts, next_try = doc.get("attempts", 0), doc.get("next_try", 0.0)
    if not isinstance(attempts, int) or not isinstance(next_try, int | float):
        raise ValueError("bad state")
    return QueueState(
        attempts, float(next_try), str(doc.get("last_error", "")), bool(doc.get("maybe_sent"))
    )


def find_message_id(head: bytes) -> str | None:
    """The Message-ID in a message's header block (the part before the first empty line)."""
    block = head.split(b"\r\n\r\n", 1)[0]
    block = re.sub(rb"\r?\n[ \t]+", b" ", block)
    match = _MESSAGE_ID.search(block)
    return match[1].decode("ascii", "replace") if match else None


def stamp(when: float) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(when).astimezone().strftime("%Y-%m-%d %H:%M:%S %z")


def error_text(err: SmailError) -> str:
    from pysmail.messages import text

    detail = text(err.msgid, "en", **err.params) if err.msgid else ""
    if err.reply:
        detail += " [" + " / ".join(err.reply.splitlines()) + "]"
    return detail

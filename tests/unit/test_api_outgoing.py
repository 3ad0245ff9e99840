"""Mailer's messages made ready by shape (api/outgoing.py): one compiled template per shape,
the same bytes as each message's spec composed alone (what `_own` sent before, D45)."""

from __future__ import annotations

import secrets
import time
import types
from pathlib import Path

import pytest

import pysmail
from pysmail.api.outgoing import Shapes, outgoing
from pysmail.errors import InputError, UsageError
from pysmail.mime import headers
from pysmail.mime.addresses import Address, Recipients, parse_address, parse_address_list
from pysmail.mime.compose import MessageSpec, compose_bytes, freeze

NOW = 1764338400.25


def _fixed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Date and Message-ID time fixed; random_hex() counts 1, 2, 3.. from here."""
    counter = iter(range(1, 1_000_000))
    monkeypatch.setattr(secrets, "token_hex", lambda n=32: f"{next(counter):0{2 * n}x}")
    monkeypatch.setattr(
        headers, "time", types.SimpleNamespace(time=lambda: NOW, localtime=time.gmtime)
    )


def _addresses(values: tuple[str, ...]) -> tuple[Address, ...]:
    return tuple(a for value in values for a in parse_address_list(value))


def _composed_alone(message: pysmail.Message, sender: str) -> bytes:
    """The message as the per-message path composed it: its own spec, frozen, composed."""
    rcpts = Recipients(_addresses(message.to), _addresses(message.cc), ())
    spec = MessageSpec(
        from_=parse_address(message.sender or sender),
        to=rcpts.to,
        cc=rcpts.cc,
        reply_to=_addresses(message.reply_to),
        subject=message.subject,
        text=message.text,
        html=message.html,
        attachments=tuple(Path(a).absolute() for a in message.attachments),
        charset=message.charset,
        message_id="",
        extra_headers=message.headers,
    )
    return compose_bytes(freeze(spec, clock=lambda: NOW))


def _messages(tmp_path: Path) -> list[pysmail.Message]:
    (tmp_path / "a.txt").write_bytes(b"attached\n")
    attached = str(tmp_path / "a.txt")
    body = "Dear reader,\n.a line with a dot\nend\n"
    return [
        pysmail.Message(to="b@y.test", subject="S", text=body),
        pysmail.Message(to="c@y.test", subject="S", text=body),  # the same shape
        pysmail.Message(to=["d@y.test", "E <e@y.test>"], cc="f@y.test", subject="T", text=body),
        pysmail.Message(to="b@y.test", subject="S", text="another body\n"),
        pysmail.Message(to="山田 <g@y.test>", subject="件名", text="本文です\n"),
        pysmail.Message(to="g@y.test", subject="S", text="本文です\n", charset="utf-8"),
        pysmail.Message(to="b@y.test", subject="S", text=body, html="<p>x</p>"),
        pysmail.Message(to="b@y.test", subject="S", html="<p>y</p>"),
        pysmail.Message(to="b@y.test", subject="S", text=body, attachments=[attached]),
        pysmail.Message(to="b@y.test", subject="U", text=body, attachments=[attached]),
        pysmail.Message(
            to="b@y.test", subject="S", text=body, headers={"X-Tag": "1"}, reply_to="R <r@y.test>"
        ),  # fmt: skip
        pysmail.Message(sender="Other <o@z.test>", to="b@y.test", subject="S", text=body),
        pysmail.Message(to="b@y.test", subject="S"),
        pysmail.Message(to="b@y.test", subject="S", text=body),
    ]


def test_each_message_has_the_bytes_of_its_spec_composed_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    messages = _messages(tmp_path)
    _fixed(monkeypatch)
    shapes = Shapes()
    ready = [outgoing(m, "Sender <a@x.test>", shapes) for m in messages]
    sent = [b"".join(o.chunks()) for o in ready]
    again = [b"".join(o.chunks()) for o in ready]  # each attempt: the same bytes
    _fixed(monkeypatch)
    alone = [_composed_alone(m, "Sender <a@x.test>") for m in messages]
    assert sent == alone
    assert again == alone
    for made, data in zip(ready, sent, strict=True):
        assert f"Message-ID: {made.message_id}\r\n".encode() in data
    assert len({o.message_id for o in ready}) == len(ready)
    assert len(shapes._shapes) == 8  # noqa: SLF001 (messages alike shared a template)


def test_a_bad_message_of_a_known_shape_fails_as_alone(tmp_path: Path) -> None:
    shapes = Shapes()
    outgoing(pysmail.Message(to="b@y.test", subject="S", text="x"), "a@x.test", shapes)
    with pytest.raises(UsageError) as bad_subject:
        outgoing(pysmail.Message(to="b@y.test", subject="S\r\nBcc: z@z", text="x"), "a@x", shapes)
    with pytest.raises(UsageError) as alone:
        outgoing(pysmail.Message(to="b@y.test", subject="S\r\nBcc: z@z", text="x"), "a@x")
    assert str(bad_subject.value) == str(alone.value)
    missing = str(tmp_path / "missing.txt")
    with pytest.raises(InputError):
        outgoing(pysmail.Message(to="b@y.test", text="x", attachments=[missing]), "a@x", shapes)
    with pytest.raises(UsageError):
        outgoing(pysmail.Message(to="bad address@", text="x"), "a@x.test", shapes)

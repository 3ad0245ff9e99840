"""pysmail.logging.SMTPHandler without a server: what its constructor refuses (as ERRs where the
input is an address), and emit() never raising when the record cannot even be queued."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

import pysmail
from pysmail.logging import SMTPHandler


def _account(tmp_path: Path, outbox: Path) -> pysmail.Account:
    ini = tmp_path / "smail.ini"
    ini.write_text(
        f"[smail]\nserver = 127.0.0.1\nport = 9\nfrom = app@example.test\noutbox_dir = {outbox}\n",
        encoding="utf-8",
    )
    return pysmail.Account.from_file(ini)


def test_the_stdlib_arguments_make_the_account() -> None:
    handler = SMTPHandler(
        ("mail.example.test", 587), "app@example.test", "ops@example.test", "boom",
        credentials=("app@example.test", "s3cret"), secure=(),
    )  # fmt: skip
    account = handler.account
    assert (account.host, account.port, account.tls, account.user) == (
        "mail.example.test", 587, "starttls", "app@example.test",
    )  # fmt: skip
    assert handler.toaddrs == ["ops@example.test"]
    assert "s3cret" not in repr(account)
    assert SMTPHandler("mail.example.test", "a@example.test", ["b@example.test"]).account.port == 25


def test_what_the_constructor_refuses(tmp_path: Path) -> None:
    with pytest.raises(pysmail.UsageError) as info:
        SMTPHandler("mail.example.test", "app@example.test", [])
    assert info.value.err_code == 1  # ERR-0001: no recipient
    with pytest.raises(pysmail.UsageError):
        SMTPHandler("mail.example.test", "not an address", ["ops@example.test"])
    with pytest.raises(ValueError, match="client certificate"):
        SMTPHandler("mail.example.test", "a@example.test", "b@example.test", secure=("k.pem",))
    account = _account(tmp_path, tmp_path / "outbox")
    with pytest.raises(ValueError, match="not both"):
        SMTPHandler("mail.example.test", toaddrs="b@example.test", account=account)


def test_emit_never_raises(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The outbox cannot be made (a file stands where its folder should): the record goes to
    handleError, as the standard handlers do, and the application goes on."""
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("x", encoding="utf-8")
    handler = SMTPHandler(account=_account(tmp_path, blocked), toaddrs="ops@example.test")
    logger = logging.getLogger("pysmail-test-emit")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.error("the record")
    finally:
        logger.removeHandler(handler)
        handler.close()
    assert "--- Logging error ---" in capsys.readouterr().err
    assert not blocked.is_dir()

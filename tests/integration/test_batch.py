"""smail --batch against the real stack: 1,000 rows over one pipelined connection to Postfix,
a refused recipient, dropped connections, 421s and a lost reply (tests/faultproxy.py in front
of Postfix), and XOAUTH2 over Dovecot submission with one token for the whole batch."""

from __future__ import annotations

import asyncio
import csv
import email
import email.policy
import socket
import time
import uuid
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from faultproxy import Fault, FaultProxy
from pysmail.cli.smail_args import parse_args
from pysmail.config.merge import merge
from pysmail.config.model import Settings
from pysmail.delivery.batch.run import run_batch
from pysmail.exitcodes import ErrCode
from pysmail.sasl import AuthRequest
from pysmail.smtp.connection import SmtpConnection
from stackutil import Stack

ALICE = "alice@example.test"
BOB = "bob@example.test"


def settings_for(argv: Sequence[str]) -> Settings:
    """Settings as `smail ARGV --batch ...` gives them (no recipient on the command line)."""
    settings = merge(parse_args([*argv, "placeholder@example.test"]).overrides, None)
    return replace(settings, message=replace(settings.message, recipients=()))


def relay_args(host: str, port: int, subject: str, body: str) -> list[str]:
    return [f"-h{host}", "--port", str(port), "--tls", "none", "-fsender@example.test",
            f"-s{subject}", f"-T{body}"]  # fmt: skip


def parse(raw: bytes) -> EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[return-value]


def text_of(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n").strip()  # type: ignore[attr-defined]


def write_rows(path: Path, count: int, mark: str) -> dict[int, str]:
    """A CSV of `count` rows, odd rows to alice, even to bob; returns row -> recipient."""
    to = {n: ALICE if n % 2 else BOB for n in range(1, count + 1)}
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["to", "name", "mark"])
        for n, rcpt in to.items():
            writer.writerow([rcpt, f"Name {n}", mark])
    return to


def read_report(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the connections run_batch opens."""
    calls: list[int] = []
    original = SmtpConnection.open.__func__  # type: ignore[attr-defined]

    def counting(cls: type[SmtpConnection], *args: Any, **kwargs: Any) -> SmtpConnection:
        calls.append(1)
        return original(cls, *args, **kwargs)  # type: ignore[no-any-return]

    monkeypatch.setattr(SmtpConnection, "open", classmethod(counting))
    return calls


def collect(stack: Stack, user: str, mark: str, count: int, timeout: float = 60) -> list[bytes]:
    """The `count` messages marked `mark` in `user`'s mailbox (deleted from it); fails when
    fewer arrive within `timeout`, or more than `count` (after a short grace period)."""
    marked: list[bytes] = []
    deadline = time.monotonic() + timeout
    while len(marked) < count:
        left = deadline - time.monotonic()
        assert left > 0, f"{user}: {len(marked)} of {count} messages marked {mark} arrived"
        got = stack.fetch(user, expect=1, timeout=left)
        marked += [m for m in got if mark.encode() in m]
    time.sleep(0.5)  # a message too many would be in the mailbox by now
    marked += [m for m in stack.fetch(user, expect=0) if mark.encode() in m]
    assert len(marked) == count, f"{user}: {len(marked)} messages marked {mark}, not {count}"
    return marked


def test_thousand_rows_over_one_connection_to_postfix(
    stack: Stack, tmp_path: Path, opened: list[int], capsys: pytest.CaptureFixture[str]
) -> None:
    mark = uuid.uuid4().hex[:10]
    to = write_rows(tmp_path / "rows.csv", 1000, mark)
    settings = settings_for(
        relay_args(
            stack.relay_host, stack.relay, "Hello {name} [{mark}]", "Dear {name},\nrow {mark}."
        )
    )
    lines: list[str] = []
    start = time.perf_counter()
    code = run_batch(settings, Path("rows.csv"), cwd=tmp_path, out=lines.append,
                     report_path=tmp_path / "report.csv")  # fmt: skip
    seconds = time.perf_counter() - start
    assert code == 0, lines
    assert len(opened) == 1  # one connection for the whole batch
    with capsys.disabled():
        print(f"\n[batch] 1,000 messages to Postfix over one connection: {seconds:.2f} s, "
              f"{1000 / seconds:.0f} msg/s")  # fmt: skip
    report = read_report(tmp_path / "report.csv")
    assert [int(r["row"]) for r in report] == list(range(1, 1001))
    assert all(r["status"] == "sent" and r["reply"].startswith("250") for r in report)
    ids = {int(r["row"]): r["message_id"] for r in report}
    assert len(set(ids.values())) == 1000
    for user in (ALICE, BOB):
        rows = {n for n, rcpt in to.items() if rcpt == user}
        seen: set[int] = set()
        for raw in collect(stack, user, mark, len(rows)):
            msg = parse(raw)
            n = int(str(msg["Subject"]).split("Hello Name ")[1].split(" ")[0])
            assert str(msg["Subject"]) == f"Hello Name {n} [{mark}]"
            assert text_of(msg) == f"Dear Name {n},\nrow {mark}."
            assert str(msg["To"]) == user and str(msg["Message-ID"]) == ids[n]
            seen.add(n)
        assert seen == rows


def test_rows_that_need_dot_stuffing_and_rows_that_do_not_arrive_intact(
    stack: Stack, tmp_path: Path
) -> None:
    """Composed messages go out unscanned when dot-stuffing would not change them, stuffed
    when a line starts with "." (here every other row); ASCII, ISO-2022-JP and UTF-8 (base64)
    bodies are mixed in one pipelined batch. Every message arrives with its own text."""
    mark = uuid.uuid4().hex[:10]
    names = {n: ("山田 {n}" if n % 3 == 0 else "😀 {n}" if n % 5 == 0 else "N{n}").format(n=n)
             for n in range(1, 13)}  # fmt: skip
    with (tmp_path / "rows.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["to", "n", "name", "first", "mark"])
        for n, name in names.items():
            writer.writerow([ALICE, n, name, f".dot {n}" if n % 2 else f"plain {n}", mark])
    settings = settings_for(
        relay_args(stack.relay_host, stack.relay, "Dots {n} [{mark}]", "{first}\n{name}\nend")
    )
    lines: list[str] = []
    code = run_batch(settings, Path("rows.csv"), cwd=tmp_path, out=lines.append)
    assert code == 0, lines
    seen = set()
    for raw in collect(stack, ALICE, mark, len(names)):
        msg = parse(raw)
        n = int(str(msg["Subject"]).split()[1])
        assert str(msg["Subject"]) == f"Dots {n} [{mark}]"  # ASCII: `collect` finds the mark
        first = f".dot {n}" if n % 2 else f"plain {n}"
        assert text_of(msg) == f"{first}\n{names[n]}\nend"
        seen.add(n)
    assert seen == set(names)


def test_faults_mid_batch_reconnect_and_report(
    stack: Stack, tmp_path: Path, opened: list[int]
) -> None:
    """Through a fault proxy in front of Postfix, one fault on each of several connections:
    a lost reply after the data (resent: delivered twice, flagged), a refused recipient
    (reported, the batch goes on over the same connection), a 421 to MAIL, a dropped
    connection after a reply. Every other row arrives exactly once."""
    mark = uuid.uuid4().hex[:10]
    to = write_rows(tmp_path / "rows.csv", 200, mark)
    refused = b"550 5.1.1 <x>: Recipient address rejected: no such user"
    with FaultProxy((stack.relay_host, stack.relay)) as proxy:
        proxy.script(
            None,
            Fault("after_dot", "drop"),
            None,
            Fault("rcpt", "reply", refused),
            Fault("mail", "reply", b"421 4.7.0 Throttled, closing"),
            Fault("after_reply", "drop"),
        )
        settings = settings_for(
            relay_args(proxy.host, proxy.port, "Row {name} [{mark}]", "Body of {name}")
        )
        lines: list[str] = []
        code = run_batch(settings, Path("rows.csv"), cwd=tmp_path, out=lines.append,
                         report_path=tmp_path / "report.csv", max_per_connection=30)  # fmt: skip
        applied = [fault.point for _n, fault in proxy.applied]
    assert applied == ["after_dot", "rcpt", "mail", "after_reply"], proxy.applied
    assert code == int(ErrCode.HANDLING), lines
    report = {int(r["row"]): r for r in read_report(tmp_path / "report.csv")}
    assert sorted(report) == list(range(1, 201))
    failed = [n for n, r in report.items() if r["status"] != "sent"]
    assert len(failed) == 1 and "550 5.1.1" in report[failed[0]]["reply"], failed
    assert report[failed[0]]["reply"].startswith("ERR-0011 ")
    assert any(f"Row {failed[0]} (" in line for line in lines)
    twice = [n for n, r in report.items() if r["attempts"] == "2" and r["status"] == "sent"]
    assert len(twice) >= 2  # the lost one, and the ones in flight at the 421 and the drop
    assert any("may arrive twice" in line for line in lines)
    assert len(opened) >= 7
    expected: dict[str, list[int]] = {ALICE: [], BOB: []}
    maybe = [int(line.split()[1]) for line in lines if "may arrive twice" in line]
    assert len(maybe) == 1
    for n, rcpt in to.items():
        if n != failed[0]:
            expected[rcpt].extend([n, n] if n in maybe else [n])
    for user, rows in expected.items():
        got = collect(stack, user, mark, len(rows))
        numbers = sorted(int(str(parse(raw)["Subject"]).split()[2]) for raw in got)
        assert numbers == sorted(rows)


class _Refusing:
    """aiosmtpd handler: refuses RCPT for addresses holding "refuse", records the rest."""

    def __init__(self) -> None:
        self.delivered: list[Any] = []

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if "refuse" in address:
            return f"550 5.1.1 <{address}>: no such user"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.delivered.append(envelope)
        await asyncio.sleep(0)
        return "250 2.0.0 queued"


@contextmanager
def refusing_server() -> Iterator[tuple[int, _Refusing]]:
    from aiosmtpd.controller import Controller

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    handler = _Refusing()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        controller = Controller(handler, hostname="127.0.0.1", port=port, ready_timeout=10)
        controller.start()
    try:
        yield port, handler
    finally:
        controller.stop()


def test_refused_recipient_without_pipelining(tmp_path: Path, opened: list[int]) -> None:
    """aiosmtpd offers no PIPELINING: commands go one by one; a refused row is reported,
    the transaction reset, and the rest goes over the same connection."""
    rows = ["to,name"] + [
        f"{'refuse-me' if n == 5 else f'user{n}'}@example.test,N{n}" for n in range(1, 11)
    ]
    (tmp_path / "rows.csv").write_text("\n".join(rows) + "\n")
    with refusing_server() as (port, handler):
        settings = settings_for(relay_args("127.0.0.1", port, "S {name}", "B {name}"))
        lines: list[str] = []
        code = run_batch(settings, Path("rows.csv"), cwd=tmp_path, out=lines.append,
                         report_path=tmp_path / "r.csv")  # fmt: skip
    assert code == int(ErrCode.HANDLING)
    assert len(opened) == 1
    assert [e.rcpt_tos for e in handler.delivered] == [
        [f"user{n}@example.test"] for n in range(1, 11) if n != 5
    ]
    report = {int(r["row"]): r for r in read_report(tmp_path / "r.csv")}
    assert report[5]["status"] == "failed" and "no such user" in report[5]["reply"]
    assert all(report[n]["status"] == "sent" for n in report if n != 5)


def test_xoauth2_batch_uses_one_token_for_every_message(
    stack: Stack, tmp_path: Path, opened: list[int]
) -> None:
    mark = uuid.uuid4().hex[:10]
    (tmp_path / "rows.jsonl").write_text(
        "".join(f'{{"to": "{BOB}", "n": {n}, "mark": "{mark}"}}\n' for n in range(1, 21))
    )
    token = stack.issue_tokens(ALICE)["access_token"]
    stack.reset_token_stats()
    calls: list[int] = []

    def token_source() -> str:
        calls.append(1)
        return str(token)

    auth = AuthRequest("XOAUTH2", ALICE, token=token_source)
    settings = settings_for([f"-h{stack.host}", "--port", str(stack.submission), "--tls",
                             "starttls", "--cafile", stack.cafile, f"-f{ALICE}",
                             "-sOAuth {n} [{mark}]", "-Tmessage {n}"])  # fmt: skip
    lines: list[str] = []
    code = run_batch(settings, Path("rows.jsonl"), cwd=tmp_path, out=lines.append, auth=auth)
    assert code == 0, lines
    assert len(opened) == 1 and len(calls) == 1  # one AUTH, one token, twenty messages
    assert stack.token_request_count() == 0
    got = collect(stack, BOB, mark, 20)
    assert sorted(int(str(parse(m)["Subject"]).split()[1]) for m in got) == list(range(1, 21))

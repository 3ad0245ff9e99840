"""Bulk sending, the pure parts: batch files, templates, planning, the report, and the
reconnect/retry logic of delivery.scheduler.deliver (fake connections). Finished messages (--eml):
tests/unit/test_eml.py."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import secrets
import time
import types
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pysmail.delivery.batch.plan import plan_rows
from pysmail.delivery.batch.report import REPORT_COLUMNS, error_line, report_row
from pysmail.delivery.batch.rows import Row, read_rows
from pysmail.delivery.batch.templates import Templates, compile_template, render
from pysmail.delivery.retry import TrackedStream
from pysmail.delivery.scheduler import Aborted, Job, Result, deliver
from pysmail.errors import InputError, NetworkError, SmailError, SmtpReplyError, UsageError
from pysmail.exitcodes import ErrCode
from pysmail.messages import format_error
from pysmail.mime import headers
from pysmail.mime.addresses import parse_address, parse_recipients
from pysmail.mime.compose import MessageSpec, compose_bytes
from pysmail.redact import Scrubber
from pysmail.smtp.connection import SmtpConnection
from pysmail.smtp.content import DataContent, DotStuffer, data_content
from pysmail.smtp.protocol import Outcome, SmtpProtocol
from pysmail.smtp.replies import Extensions, Reply, ReplyParser

SENDER = parse_address("Sender <sender@example.test>")


# -- batch files --------------------------------------------------------------------------------


def test_csv_rows_keep_quoted_commas_and_newlines_and_skip_blank_lines() -> None:
    data = b'to,name,note\r\na@x.test,"Doe, Jane","two\r\nlines"\r\n\r\nb@x.test,Bob,\r\n'
    rows = read_rows(data, "list.csv")
    assert [r.number for r in rows] == [1, 2]
    assert rows[0].values == {"to": "a@x.test", "name": "Doe, Jane", "note": "two\nlines"}
    assert rows[1].values["note"] == ""


def test_csv_with_bom_and_cp932_is_decoded() -> None:
    bom = "\ufeffTo,名前\nа@x.test,山田\n".replace("а", "a").encode("utf-8")
    assert read_rows(bom, "l.csv")[0].values == {"To": "a@x.test", "名前": "山田"}
    sjis = "to,名前\na@x.test,山田\n".encode("cp932")
    assert read_rows(sjis, "l.csv")[0].values["名前"] == "山田"
    assert read_rows(bom, "l.csv")[0].get("to") == "a@x.test"  # reserved names: any case


def test_csv_errors_name_the_file_and_row() -> None:
    with pytest.raises(UsageError) as exc:
        read_rows(b"to,name\na@x.test,A\nb@x.test,B,extra\n", "l.csv")
    assert exc.value.code is ErrCode.OPTION and exc.value.msgid == "batch.bad_csv"
    assert exc.value.params["row"] == 2
    with pytest.raises(UsageError) as exc:
        read_rows(b"to,TO\na,b\n", "l.csv")
    assert exc.value.msgid == "batch.duplicate_column"
    with pytest.raises(UsageError) as exc:
        read_rows(b"to,name\n", "l.csv")
    assert exc.value.msgid == "batch.empty"


def test_json_lines_take_lists_numbers_and_nulls() -> None:
    data = (
        b'{"to": ["a@x.test", "CC:b@x.test"], "n": 3, "vip": true, "gone": null}\n'
        b"\n"
        b'{"to": "c@x.test", "attachments": ["f1", "f2"]}\n'
    )
    rows = read_rows(data, "list.jsonl")
    assert rows[0].values == {"to": "a@x.test,CC:b@x.test", "n": "3", "vip": "true"}
    assert rows[1].number == 2 and rows[1].get("attachments") == "f1,f2"


def test_json_line_errors_give_the_line_number() -> None:
    with pytest.raises(UsageError) as exc:
        read_rows(b'{"to": "a@x.test"}\n\n{"to": oops}\n', "l.jsonl")
    assert exc.value.msgid == "batch.bad_json" and exc.value.params["row"] == 3
    with pytest.raises(UsageError) as exc:
        read_rows(b'["a@x.test"]\n', "l.jsonl")
    assert exc.value.msgid == "batch.bad_json" and exc.value.params["reason"] == "list"


def test_format_is_sniffed_when_the_name_does_not_say() -> None:
    assert read_rows(b'{"to": "a@x.test"}\n', "rows")[0].values == {"to": "a@x.test"}
    assert read_rows(b"to\na@x.test\n", "rows")[0].values == {"to": "a@x.test"}
    with pytest.raises(UsageError):  # .csv is CSV even when it looks like JSON
        read_rows(b'{"to": "a@x.test", "b": 1}\n', "rows.csv")


# -- templates ----------------------------------------------------------------------------------


def test_render_fills_names_and_keeps_escaped_braces() -> None:
    t = compile_template("Hello {name}, {{literal}} {n:>3}", "subject")
    assert t.names == ("name", "n")
    assert render(t, {"name": "Ann", "n": "7"}, 1) == "Hello Ann, {literal}   7"
    assert render(compile_template("no {{fields}}", "body"), {}, 1) == "no {fields}"


def test_missing_key_is_err_0017_naming_row_and_key() -> None:
    t = compile_template("Dear {name}", "body")
    with pytest.raises(UsageError) as exc:
        render(t, {"to": "a@x.test"}, 42)
    err = exc.value
    assert err.code is ErrCode.OPTION and err.msgid == "batch.missing_key"
    assert err.params == {"row": 42, "key": "name", "template": "body"}
    shown = format_error(err, "en")
    assert shown.startswith("ERR-0017") and "Row 42" in shown and "{name}" in shown
    assert "{{" in shown  # the hint about literal braces


@pytest.mark.parametrize("text", ["{", "oops }", "{}", "{0}", "{a.b}", "{a[0]}", "{ }"])
def test_bad_templates_are_refused_before_sending(text: str) -> None:
    with pytest.raises(UsageError) as exc:
        compile_template(text, "subject")
    assert exc.value.code is ErrCode.OPTION and exc.value.msgid == "batch.bad_template"


def test_a_format_spec_the_value_does_not_take_is_a_template_error() -> None:
    with pytest.raises(UsageError) as exc:
        render(compile_template("{n:d}", "subject"), {"n": "5"}, 1)
    assert exc.value.msgid == "batch.bad_template"


# -- planning -----------------------------------------------------------------------------------


def _base(**kw: object) -> MessageSpec:
    return MessageSpec(from_=SENDER, text="unused", **kw)  # type: ignore[arg-type]


def _templates(subject: str = "Hi {name}", body: str | None = "Dear {name}.") -> Templates:
    return Templates(
        compile_template(subject, "subject"),
        compile_template(body, "body") if body is not None else None,
    )


def test_plan_fills_each_row_and_gives_each_message_its_own_id() -> None:
    rows = read_rows(b"to,name\na@x.test,Ann\nb@x.test,Bob\n", "l.csv")
    planned = plan_rows(rows, "l.csv", _base(), _templates())
    assert [p.recipients for p in planned] == [("a@x.test",), ("b@x.test",)]
    assert [p.spec.subject for p in planned] == ["Hi Ann", "Hi Bob"]
    assert [p.spec.text for p in planned] == ["Dear Ann.", "Dear Bob."]
    ids = {p.message_id for p in planned}
    assert len(ids) == 2 and all(i.startswith("<") and i.endswith("@example.test>") for i in ids)
    data = b"".join(planned[1].chunks())
    assert (
        b"Subject: Hi Bob\r\n" in data and f"Message-ID: {planned[1].message_id}".encode() in data
    )


def test_plan_recipient_columns_prefixes_and_command_line_extras() -> None:
    data = b'to,cc,bcc,subject\n"a@x.test,CC:c1@x.test,BCC:h1@x.test",c2@x.test,h2@x.test,Own {x}\n'
    extra = parse_recipients("BCC:archive@x.test")
    templates = _templates(body=None)
    [p] = plan_rows(read_rows(data, "l.csv"), "l.csv", _base(), templates, extra=extra)
    assert p.recipients == (
        "a@x.test", "c1@x.test", "c2@x.test", "h1@x.test", "h2@x.test", "archive@x.test",
    )  # fmt: skip
    message = b"".join(p.chunks())
    assert b"Cc: c1@x.test, c2@x.test\r\n" in message
    assert b"h1@" not in message and b"archive" not in message  # Bcc never in the headers
    assert b"Subject: Own {x}\r\n" in message  # the subject column is used as is


def test_plan_row_without_recipient_or_with_a_bad_one() -> None:
    seen: list[int] = []
    rows = read_rows(b"to,name\na@x.test,A\n,B\n", "l.csv")
    with pytest.raises(UsageError) as exc:
        plan_rows(
            rows, "l.csv", _base(), _templates(), on_row_error=lambda r: seen.append(r.number)
        )
    assert exc.value.code is ErrCode.RECIPIENT and exc.value.params["row"] == 2 and seen == [2]
    rows = read_rows(b"to,name\nnot an address,A\n", "l.csv")
    with pytest.raises(UsageError) as exc:
        plan_rows(rows, "l.csv", _base(), _templates())
    assert exc.value.code is ErrCode.RECIPIENT


def test_plan_checks_every_row_before_anything_is_sent() -> None:
    rows = read_rows(b"to,name\na@x.test,A\nb@x.test\n", "l.csv")  # row 2: no "name" value
    seen: list[int] = []
    with pytest.raises(UsageError) as exc:
        plan_rows(
            rows, "l.csv", _base(), _templates(), on_row_error=lambda r: seen.append(r.number)
        )
    assert exc.value.msgid == "batch.missing_key" and exc.value.params["row"] == 2
    assert seen == [2]


def test_plan_per_row_attachments(tmp_path: Path) -> None:
    (tmp_path / "one.txt").write_bytes(b"first file")
    (tmp_path / "two.txt").write_bytes(b"second file")
    rows = read_rows(b'to,attachments\na@x.test,"one.txt, two.txt"\nb@x.test,\n', "l.csv")
    planned = plan_rows(rows, "l.csv", _base(), _templates("s", None), cwd=tmp_path)
    assert planned[0].spec.attachments == (tmp_path / "one.txt", tmp_path / "two.txt")
    assert planned[0].data is None  # with attachments: composed (and read) when sent
    assert planned[1].spec.attachments == () and planned[1].data is not None
    message = b"".join(planned[0].chunks())
    assert b'filename="two.txt"' in message
    rows = read_rows(b"to,attachments\na@x.test,missing.txt\n", "l.csv")
    with pytest.raises(InputError) as exc:
        plan_rows(rows, "l.csv", _base(), _templates("s", None), cwd=tmp_path)
    assert exc.value.code is ErrCode.ATTACHMENT


def test_plan_refuses_a_subject_value_with_a_line_break() -> None:
    rows = [Row(1, {"to": "a@x.test", "name": "A\r\nBcc: evil@x.test"})]
    with pytest.raises(UsageError):
        plan_rows(rows, "l.csv", _base(), _templates())


def test_later_rows_are_checked_like_the_first() -> None:
    """Rows after the first take the batch fast path; they are refused all the same, at
    planning time, naming their row: a line break in the subject, text the charset cannot
    write."""
    for base, bad in (
        (_base(), {"to": "c@x.test", "name": "C\r\nBcc: evil@x.test"}),
        (_base(charset="iso-2022-jp"), {"to": "c@x.test", "name": "😀"}),
        (_base(charset="us-ascii"), {"to": "Ｆ <c@x.test>", "name": "C"}),
    ):
        rows = [Row(1, {"to": "a@x.test", "name": "A"}), Row(2, {"to": "b@x.test", "name": "B"}),
                Row(3, bad)]  # fmt: skip
        seen: list[Row] = []
        with pytest.raises(SmailError) as exc:
            plan_rows(rows, "l.csv", base, _templates(), on_row_error=seen.append)
        assert [r.number for r in seen] == [3]
        with pytest.raises(SmailError) as alone:  # the first row: compose() itself
            plan_rows(rows[2:], "l.csv", base, _templates())
        assert (exc.value.msgid, exc.value.params) == (alone.value.msgid, alone.value.params)


# -- the report ---------------------------------------------------------------------------------


def test_report_rows_for_sent_failed_and_not_sent() -> None:
    sent = report_row(1, ["a@x.test", "b@x.test"], "<id1@x>", reply="250 2.0.0 Ok: queued")
    err = SmtpReplyError(
        ErrCode.HANDLING, "smtp.recipient_refused", smtp_code=550, host="h",
        recipient="c@x.test", count=1, reply="550 5.1.1 no such user\n550 second line",
    )  # fmt: skip
    failed = report_row(2, ["c@x.test"], "<id2@x>", error=err, attempts=2)
    gone = report_row(3, ["d@x.test"], "<id3@x>", error=NetworkError(ErrCode.CONNECT, ""),
                      attempts=0, not_sent=True)  # fmt: skip
    assert sent == ["1", "sent", "1", "a@x.test, b@x.test", "<id1@x>", "250 2.0.0 Ok: queued"]
    assert failed[:5] == ["2", "failed", "2", "c@x.test", "<id2@x>"]
    assert failed[5].startswith("ERR-0011 h refused 1 recipient(s), first c@x.test")
    assert failed[5].endswith("[550 5.1.1 no such user / 550 second line]")
    assert gone[1] == "not_sent" and gone[5].startswith("ERR-0008 ")
    # it is CSV: a reader gets the same cells back, and the header has every column
    buffer = io.StringIO()
    csv.writer(buffer).writerows([list(REPORT_COLUMNS), sent, failed, gone])
    back = list(csv.reader(io.StringIO(buffer.getvalue())))
    assert back[0] == ["row", "status", "attempts", "recipients", "message_id", "reply"]
    assert back[2] == failed


def test_error_line_is_one_line_in_either_language() -> None:
    err = SmailError(ErrCode.TEMPORARY, "smtp.message_refused", host="h", reply="451 a\n451 b")
    assert "\n" not in error_line(err, "en") and "\n" not in error_line(err, "ja")
    assert error_line(err, "ja").startswith("ERR-0029 h がメッセージ")


# -- deliver(): reconnecting and retrying, over fake connections --------------------------------

OK = Reply(250, ("2.0.0 Ok",))


class FakeConn:
    """Plays a pipelined connection: a message's data reply comes with the next submit.

    `plan[(connection number, message number on it)]` is what happens: "ok" (default),
    "refuse" (550 to RCPT), "mail421", "mail452", "drop" (the connection fails while the
    message's group is read), "lost" (the data went out; the connection fails before its
    reply: the server has it).
    """

    def __init__(self, server: FakeServer) -> None:
        server.connections += 1
        self.server = server
        self.number = server.connections
        self.alive = True
        self.pending: int | None = None
        self.sent = 0
        self.count = 0
        self.known: list[Outcome] = []
        self.pending_action = "ok"
        self.pipeline_across = True
        self.idle: Callable[[], None] | None = None
        server.opened.append(self)

    def _settle(self) -> None:
        if self.pending is None:
            return
        if self.pending_action == "lost":
            self.server.delivered.append(self.pending)
            self.alive = False
            raise NetworkError(ErrCode.RECEIVE, "smtp.connection_closed", host="h")
        self.server.delivered.append(self.pending)
        self.known.append(Outcome(self.pending, reply=OK))
        self.sent += 1
        self.pending = None

    def submit(
        self, tag: int, sender: str, rcpts: Sequence[str], chunks: Iterable[bytes], **kw: object
    ) -> list[Outcome]:
        b"".join(chunks)
        self.count += 1
        action = self.server.plan.get((self.number, self.count), "ok")
        if self.server.call_idle and self.idle is not None:
            self.idle()  # as SmtpConnection: the commands are out, the replies not yet read
        self._settle()
        if action == "drop":
            self.alive = False
            raise NetworkError(ErrCode.RECEIVE, "smtp.connection_closed", host="h")
        if action in ("mail421", "mail452", "mail503", "refuse"):
            code = {"mail421": 421, "mail452": 452, "mail503": 503, "refuse": 550}[action]
            if code == 421:
                self.alive = False
            err = SmtpReplyError(ErrCode.TEMPORARY if code < 500 else ErrCode.HANDLING,
                                 "smtp.sender_refused", smtp_code=code, host="h",
                                 sender=sender)  # fmt: skip
            self.known.append(Outcome(tag, error=err, stage="rcpt" if code == 550 else "mail"))
        else:
            self.pending, self.pending_action = tag, action
        return self.take_known()

    def take_known(self) -> list[Outcome]:
        known, self.known = self.known, []
        return known

    def drain(self) -> list[Outcome]:
        self._settle()
        return self.take_known()

    def close(self) -> None:
        self.alive = False


class FakeServer:
    call_idle = False  # set by the `idling` fixture: connections call deliver()'s idle hook

    def __init__(self, plan: dict[tuple[int, int], str] | None = None,
                 refuse_connects: int = 0, permanent: bool = False) -> None:  # fmt: skip
        self.plan = plan or {}
        self.connections = 0
        self.delivered: list[int] = []
        self.refuse_connects = refuse_connects
        self.permanent = permanent
        self.connect_calls = 0
        self.opened: list[FakeConn] = []

    def connect(self) -> FakeConn:
        self.connect_calls += 1
        if self.connect_calls <= self.refuse_connects:
            if self.permanent:
                raise SmailError(ErrCode.AUTH_FAILED, "smtp.auth_failed")
            raise NetworkError(ErrCode.CONNECT, "smtp.connect_failed", host="h", port=1,
                               reason="refused")  # fmt: skip
        return FakeConn(self)


@pytest.fixture(params=[False, True], ids=["plain", "idle"])
def idling(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    """Every deliver() test runs twice: with connections that never call the idle hook, and
    with ones that call it inside each submit(), as a pipelining SmtpConnection does (the
    results must be the same: reported once each, in order, retries unchanged)."""
    monkeypatch.setattr(FakeServer, "call_idle", bool(request.param))
    return bool(request.param)


def _run(server: FakeServer, count: int, **kw: object) -> tuple[list[Result], list[float]]:
    jobs = iter([Job(n, "s@x", (f"r{n}@x",), lambda: [b"m\r\n"]) for n in range(1, count + 1)])
    results: list[Result] = []
    waits: list[float] = []
    deliver(lambda: next(jobs, None), server.connect, results.append,  # type: ignore[arg-type]
            sleep=waits.append, rng=lambda: 0.5, **kw)  # type: ignore[arg-type]  # fmt: skip
    return results, waits


def _by_tag(results: list[Result]) -> dict[int, Result]:
    tags = [r.job.tag for r in results]
    assert len(tags) == len(set(tags)), f"a job was reported twice: {sorted(tags)}"
    return {r.job.tag: r for r in results}


@pytest.mark.usefixtures("idling")
def test_deliver_uses_one_connection_for_everything() -> None:
    server = FakeServer()
    results, waits = _run(server, 50)
    assert server.connections == 1 and waits == []
    assert server.delivered == list(range(1, 51))
    assert all(r.error is None and r.attempts == 1 for r in _by_tag(results).values())


@pytest.mark.usefixtures("idling")
def test_refused_message_is_reported_and_the_batch_goes_on() -> None:
    server = FakeServer({(1, 3): "refuse"})
    results = _by_tag(_run(server, 6)[0])
    assert server.connections == 1
    assert isinstance(results[3].error, SmtpReplyError) and results[3].error.smtp_code == 550
    assert [t for t, r in results.items() if r.error is None] == [1, 2, 4, 5, 6]


@pytest.mark.usefixtures("idling")
def test_dropped_connection_reconnects_and_resends_what_was_in_flight() -> None:
    server = FakeServer({(1, 4): "drop"})  # fails while reading message 4's replies
    results = _by_tag(_run(server, 8)[0])
    assert server.connections == 2
    assert all(r.error is None for r in results.values()), results
    assert results[4].attempts == 2 and not results[4].maybe_duplicate
    assert server.delivered == [1, 2, 3, 4, 5, 6, 7, 8]


@pytest.mark.usefixtures("idling")
def test_lost_data_reply_is_sent_again_and_flagged_maybe_twice() -> None:
    server = FakeServer({(1, 3): "lost"})  # message 3's reply is lost with the connection
    results = _by_tag(_run(server, 8)[0])
    assert server.connections == 2
    assert all(r.error is None for r in results.values()), results
    assert results[3].attempts == 2 and results[3].maybe_duplicate
    assert results[4].attempts == 2 and not results[4].maybe_duplicate  # it was never sent
    assert sorted(set(server.delivered)) == list(range(1, 9))
    assert server.delivered.count(3) == 2  # the server had it already: at least once
    # the next connection waits for each data reply before the next MAIL (no second loss)
    assert [c.pipeline_across for c in server.opened] == [True, False]


@pytest.mark.usefixtures("idling")
def test_lost_reply_of_the_last_message_is_retried_too() -> None:
    server = FakeServer({(1, 3): "lost"})
    results = _by_tag(_run(server, 3)[0])
    assert results[3].error is None and results[3].maybe_duplicate and server.connections == 2


@pytest.mark.usefixtures("idling")
def test_503_to_mail_sends_the_message_again_on_a_new_connection() -> None:
    """A server that still holds a failed transaction (it wanted RSET after a refused BDAT
    LAST) answers the next pipelined MAIL 503: that message is not at fault; it goes again."""
    server = FakeServer({(1, 3): "refuse", (1, 4): "mail503"})
    results = _by_tag(_run(server, 6)[0])
    assert server.connections == 2
    assert [t for t, r in results.items() if r.error is not None] == [3]
    assert results[4].error is None and results[4].attempts == 2
    assert server.delivered == [1, 2, 4, 5, 6]


@pytest.mark.usefixtures("idling")
def test_421_and_a_per_session_limit_reconnect() -> None:
    server = FakeServer({(1, 3): "mail421", (2, 4): "mail452"})
    results = _by_tag(_run(server, 10)[0])
    assert server.connections == 3
    assert all(r.error is None for r in results.values())
    assert results[3].attempts == 2 and not results[3].maybe_duplicate


@pytest.mark.usefixtures("idling")
def test_4xx_to_mail_on_a_fresh_connection_is_the_message_own_failure() -> None:
    server = FakeServer({(1, 1): "mail452"})
    results = _by_tag(_run(server, 2)[0])
    assert results[1].error is not None and results[1].error.code is ErrCode.TEMPORARY
    assert results[2].error is None and server.connections == 1


@pytest.mark.usefixtures("idling")
def test_max_per_connection_and_max_attempts() -> None:
    server = FakeServer()
    _run(server, 10, max_per_connection=3)
    assert server.connections >= 3
    plan = {(c, 1): "drop" for c in range(1, 10)}
    server = FakeServer(plan)
    results = _by_tag(_run(server, 2, max_attempts=3)[0])
    assert results[1].attempts == 3 and isinstance(results[1].error, NetworkError)


@pytest.mark.usefixtures("idling")
def test_connect_failures_back_off_then_abort() -> None:
    server = FakeServer(refuse_connects=2)
    results, waits = _run(server, 3)
    assert waits == [0.5, 1.0] and len(_by_tag(results)) == 3  # backoff: base 1, jitter 0.5
    server = FakeServer(refuse_connects=99)
    with pytest.raises(Aborted) as exc:
        _run(server, 3, connect_tries=3)
    assert exc.value.error.code is ErrCode.CONNECT and server.connect_calls == 3


@pytest.mark.usefixtures("idling")
def test_a_permanent_connect_failure_aborts_at_once() -> None:
    server = FakeServer(refuse_connects=1, permanent=True)
    seen: list[Result] = []
    jobs = iter([Job(1, "s", ("r",), lambda: [b""]), Job(2, "s", ("r",), lambda: [b""])])
    with pytest.raises(Aborted):
        deliver(lambda: next(jobs, None), server.connect, seen.append,  # type: ignore[arg-type]
                sleep=lambda _s: None)  # fmt: skip
    assert [r.job.tag for r in seen] == [1] and seen[0].error is not None
    assert next(jobs).tag == 2  # not taken: the caller reports it as not sent


@pytest.mark.usefixtures("idling")
def test_gate_failure_fails_only_that_message() -> None:
    server = FakeServer()

    def gate(job: Job) -> None:
        if job.tag == 2:
            raise SmailError(ErrCode.HANDLING, "batch.too_many_recipients", count=1, preset="p")

    results = _by_tag(_run(server, 3, gate=gate)[0])
    assert results[2].error is not None and server.delivered == [1, 3]


@pytest.mark.usefixtures("idling")
def test_the_gate_decides_after_the_message_before_is_answered() -> None:
    """Pacing counts a message from the server's reply: when the gate is asked about a
    message, every earlier one has been reported (no pipelining across a paced run)."""
    server = FakeServer()
    results: list[Result] = []
    seen_at_gate: list[list[int]] = []

    def gate(job: Job) -> None:
        seen_at_gate.append([r.job.tag for r in results])

    jobs = iter([Job(n, "s@x", (f"r{n}@x",), lambda: [b"m\r\n"]) for n in range(1, 5)])
    deliver(lambda: next(jobs, None), server.connect, results.append,  # type: ignore[arg-type]
            gate=gate, sleep=lambda _s: None)  # fmt: skip
    assert seen_at_gate == [[], [1], [1, 2], [1, 2, 3]]
    assert server.delivered == [1, 2, 3, 4]


def test_composed_bytes_match_compose_bytes() -> None:
    rows = read_rows(b"to,name\na@x.test,Ann\n", "l.csv")
    [p] = plan_rows(rows, "l.csv", _base(), _templates())
    assert b"".join(p.chunks()) == compose_bytes(p.spec)


# -- deliver()'s idle hook: bookkeeping while the server works -----------------------------------


def test_idle_reports_in_order_and_prepares_the_next_job(idling: bool) -> None:
    server = FakeServer({(1, 3): "refuse"})
    made: list[int] = []

    def job(n: int) -> Job:
        def chunks() -> list[bytes]:
            made.append(n)
            if n == 5:
                raise InputError(ErrCode.ATTACHMENT, "mime.attachment_unreadable", path="f",
                                 reason="gone")  # fmt: skip
            return [b"m\r\n"]

        return Job(n, "s@x", (f"r{n}@x",), chunks)

    jobs = iter([job(n) for n in range(1, 8)])
    results: list[Result] = []
    deliver(lambda: next(jobs, None), server.connect, results.append)  # type: ignore[arg-type]
    by_tag = _by_tag(results)
    # as learnt: 5 fails before 4's data reply is read (as without the hook)
    assert [r.job.tag for r in results] == [1, 2, 3, 5, 4, 6, 7]
    assert by_tag[3].error is not None and by_tag[5].error is not None
    assert by_tag[5].error.code is ErrCode.ATTACHMENT  # its own failure, no other message's
    assert [t for t, r in by_tag.items() if r.error is None] == [1, 2, 4, 6, 7]
    assert made == list(range(1, 8))  # every job's chunks made once, in order
    assert server.delivered == [1, 2, 4, 6, 7]


def test_an_error_in_on_result_inside_idle_is_not_a_message_failure(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(FakeServer, "call_idle", True)
    server = FakeServer()
    seen: list[int] = []

    def on_result(result: Result) -> None:
        seen.append(result.job.tag)
        if result.job.tag == 2:
            raise SmailError(ErrCode.WORK_FILE, "batch.report_failed", path="r", reason="full")

    jobs = iter([Job(n, "s@x", ("r@x",), lambda: [b"m\r\n"]) for n in range(1, 6)])
    with pytest.raises(SmailError) as exc:
        deliver(lambda: next(jobs, None), server.connect, on_result)  # type: ignore[arg-type]
    assert exc.value.msgid == "batch.report_failed"
    assert seen[:2] == [1, 2] and 3 not in seen[:2]


def test_every_learnt_success_is_reported_when_deliver_is_interrupted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(FakeServer, "call_idle", True)
    server = FakeServer()
    seen: list[int] = []
    jobs = iter([Job(n, "s@x", ("r@x",), lambda: [b"m\r\n"]) for n in range(1, 6)])

    def next_job() -> Job | None:
        job = next(jobs, None)
        if job is not None and job.tag == 4:
            raise KeyboardInterrupt
        return job

    with pytest.raises(KeyboardInterrupt):
        deliver(next_job, server.connect, lambda r: seen.append(r.job.tag))  # type: ignore[arg-type]
    # messages 1 and 2 were accepted (3's data reply was never read): both reported
    assert seen == [1, 2] and server.delivered == [1, 2]


# -- SmtpConnection over a scripted transport: what goes on the wire --------------------------


class ScriptedTransport:
    """Records what is written and when it is flushed; answers every flush with the replies a
    pipelining server would give (250 to a message's data, 250 MAIL, 250 RCPT, 354 DATA)."""

    def __init__(self, events: list[str]) -> None:
        self.events = events
        self.wire = bytearray()
        self.flushes: list[bytes] = []
        self._out = bytearray()
        self._replies: list[Reply] = []

    def write(self, data: bytes) -> None:
        self._out += data

    def flush(self) -> None:
        if not self._out:
            return
        data = bytes(self._out)
        self.wire += data
        self.flushes.append(data)
        self._out.clear()
        self.events.append("flush")
        text = b""
        if data.endswith(b".\r\n") or b"\r\n.\r\nMAIL" in data:
            text += b"250 2.0.0 Ok: queued\r\n"
        if b"MAIL FROM" in data:
            text += b"250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 go on\r\n"
        if data.endswith(b"QUIT\r\n"):
            text += b"221 Bye\r\n"
        self._replies += ReplyParser().feed(text)

    def read_reply(self) -> Reply:
        self.flush()
        self.events.append("read")
        return self._replies.pop(0)

    def set_timeout(self, seconds: float) -> None:
        pass

    def close(self) -> None:
        pass


def _connection(events: list[str], greeting: str = "smtp.example.test ESMTP") -> SmtpConnection:
    ext = Extensions("x", {"PIPELINING": "", "8BITMIME": ""})
    protocol = SmtpProtocol(ext, host="h", scrubber=Scrubber(), greeting=greeting)
    return SmtpConnection(ScriptedTransport(events), protocol)  # type: ignore[arg-type]


def test_pipelined_messages_go_out_stuffed_with_one_write_per_message() -> None:
    events: list[str] = []
    conn = _connection(events)
    conn.idle = lambda: events.append("idle")
    safe = data_content(b"Subject: a\r\n\r\nplain body\r\n")
    dotted = data_content(b"Subject: b\r\n\r\n.hidden\r\nend")
    assert type(safe) is DataContent and type(dotted) is bytes
    for tag, chunks in enumerate([(safe,), (dotted,), [b"Subject: c\r\n\r\n", b".x\r\n"]], 1):
        conn.submit(tag, "s@x", ["r@x"], chunks)
    outcomes = conn.drain()
    conn.close()
    assert [o.tag for o in outcomes] == [3] and conn.sent == 3
    wire = bytes(conn.transport.wire)  # type: ignore[attr-defined]
    group = b"MAIL FROM:<s@x>\r\nRCPT TO:<r@x>\r\nDATA\r\n"
    assert wire == (
        group
        + b"Subject: a\r\n\r\nplain body\r\n.\r\n" + group
        + b"Subject: b\r\n\r\n..hidden\r\nend\r\n.\r\n" + group
        + b"Subject: c\r\n\r\n..x\r\n.\r\n" + b"QUIT\r\n"
    )  # fmt: skip
    # each message: one flush, then the idle hook, then the replies are read
    assert events[:3] == ["flush", "idle", "read"]
    assert events.count("idle") == 3  # not when draining the last reply, nor for QUIT
    assert events.count("flush") == 5


def test_a_tracked_one_block_message_keeps_the_fast_path_and_says_it_was_taken() -> None:
    """An outbox message (one DataContent block in a TrackedStream) is written as it is; one
    that needs dot-stuffing is iterated through the DotStuffer; both end `finished`."""
    conn = _connection([])
    block = data_content(b"Subject: a\r\n\r\nplain body\r\n")
    fast, stuffed = TrackedStream((block,)), TrackedStream((data_content(b"S: b\r\n\r\n.x"),))
    conn.submit(1, "s@x", ["r@x"], fast)
    assert fast.finished and fast.size == len(block)
    conn.submit(2, "s@x", ["r@x"], stuffed)
    assert stuffed.finished and stuffed.size == 10
    conn.drain()
    conn.close()
    group = b"MAIL FROM:<s@x>\r\nRCPT TO:<r@x>\r\nDATA\r\n"
    assert bytes(conn.transport.wire) == (  # type: ignore[attr-defined]
        group + block + b".\r\n" + group + b"S: b\r\n\r\n..x\r\n.\r\n" + b"QUIT\r\n"
    )


def test_dovecot_gets_no_next_transaction_behind_the_final_dot() -> None:
    events: list[str] = []
    conn = _connection(events, greeting="Dovecot ready.")
    for tag in (1, 2):
        conn.submit(tag, "s@x", ["r@x"], (data_content(b"S: x\r\n\r\nbody\r\n"),))
    conn.drain()
    flushes = conn.transport.flushes  # type: ignore[attr-defined]
    assert b"".join(flushes).count(b"MAIL FROM") == 2
    assert not any(b".\r\nMAIL" in data for data in flushes)  # each data reply read first


@given(st.binary(max_size=200) | st.lists(st.sampled_from([b"a", b".", b"\r", b"\n", b"\r\n"]),
                                          max_size=30).map(b"".join))  # fmt: skip
def test_data_content_is_sent_exactly_as_dot_stuffing_would_send_it(message: bytes) -> None:
    def stuffed(chunk: bytes) -> bytes:
        stuffer = DotStuffer()
        return stuffer.feed(chunk) + stuffer.finish()

    marked = data_content(message)
    assert marked == message
    assert stuffed(marked) == stuffed(message)
    if type(marked) is DataContent:
        assert stuffed(message) == message + b".\r\n"


# -- the messages are the ones compose() makes: pinned bytes, and a property ------------------

MAILER = "pysmail (pinned)"
PINNED_ROWS = [
    {"to": "a@x.test", "name": "Ann"},
    {"to": "Bob Smith <b@x.test>,CC:c@x.test,BCC:h@x.test", "cc": "Dee <d@x.test>",
     "bcc": "e@x.test", "name": "Bob"},
    {"to": "f@x.test", "name": "山田 太郎"},
    {"to": "g@x.test", "name": "😀 emoji"},
    {"to": '"Doe, Jane" <j@x.test>', "subject": "Own subject =?x?= {not}", "name": "Jane"},
    {"to": "名前 <k@x.test>", "name": "Kay"},
    {"to": "l@x.test", "name": "Long " * 20},
    {"to": "m@x.test", "name": ".dot ¥ ~"},
    {"to": "n@x.test", "name": "Nan", "attachments": "one.txt"},
]  # fmt: skip

# sha256 (first 24 hex digits) of each message as pysmail 4102df0 (before the fast path)
# composed it, with the clock and the random source fixed as in _fixed_clock_and_random()
PINNED = {
    ("auto-text", 1): "670f5bde41f0e854dbcd18d1",
    ("auto-text", 2): "816a4541c60d8c3125189a20",
    ("auto-text", 3): "66ab34c37629fef750b6282e",
    ("auto-text", 4): "be6a740d738a7a613fa621f4",
    ("auto-text", 5): "228fa0ba1daf496dbd14422c",
    ("auto-text", 6): "bc6c5fd57d088f1ee8294ac5",
    ("auto-text", 7): "6e1ea0a5f8fd42b440c68f22",
    ("auto-text", 8): "6f331755c8603205ca13c17d",
    ("auto-text", 9): "7f8a0daafbba4f563e0eff49",
    ("const", 1): "529ff46f9aec0511e2e8cf3f",
    ("const", 2): "10ca1d37ed6eea7ee5792998",
    ("const", 3): "c206e5df7b816f9223a0f25a",
    ("const", 4): "72eaeea9d9e85af51991a350",
    ("const", 5): "5dc3199213b6f86962193783",
    ("const", 6): "6970e09e25d73b64be388d71",
    ("const", 7): "a614e8239e3b7acc3971713d",
    ("const", 8): "6ebdf6ffb90266bd6f2c8b02",
    ("const", 9): "614ed2aff813aea80201a008",
    ("utf8-html", 1): "f1a2a2a91899064fda3e4618",
    ("utf8-html", 2): "87e6e43b7ef539e47826005c",
    ("utf8-html", 3): "03036501956cf44c84508dc0",
    ("utf8-html", 4): "7429d85a67235d01277459e4",
    ("utf8-html", 5): "74d16505a7c22f3469cba477",
    ("utf8-html", 6): "db5ee36cd3dfb6bc7f744dc3",
    ("utf8-html", 7): "d9e10d04d45fa92430515510",
    ("utf8-html", 8): "2ce2c46b1cb10400d3f0b316",
    ("utf8-html", 9): "be362b66bf6b3b8ae57711ba",
    ("jis-both", 1): "b421861869010117cde7fc16",
    ("jis-both", 2): "b5bdd713f341d135d78e448a",
    ("jis-both", 3): "98141b6765698f7423095601",
    ("jis-both", 5): "124e4a48873d4fd7051d8f20",
    ("jis-both", 6): "8cedd6f9d130039d43edffc9",
    ("jis-both", 7): "dcc15de0aac373fd82707918",
    ("jis-both", 9): "21511095630673f1ed6e361d",
    ("no-body", 1): "feb020d58cbb18b6b5bcd064",
    ("no-body", 2): "40b381f9b11ed31bee3a7ad8",
    ("no-body", 3): "e4acbc35243b7fc46b896c61",
    ("no-body", 4): "9649c90da52b4dd68fa59e1c",
    ("no-body", 5): "9d097727ffb28689ad493031",
    ("no-body", 6): "7b838b387755a2ede455d9b6",
    ("no-body", 7): "17d412d8610da341ab968bb8",
    ("no-body", 8): "e8e988c11190dd5d4875554f",
    ("no-body", 9): "cf1e73a57fb5efbe1d0db1df",
}  # fmt: skip

PINNED_BOB = (
    b"From: Sender Name <sender@example.test>\r\nTo: Bob Smith <b@x.test>\r\n"
    b"Cc: c@x.test, Dee <d@x.test>\r\nSubject: Hello Bob\r\n"
    b"Date: Fri, 28 Nov 2025 14:00:00 +0000\r\n"
    b"Message-ID: <1764338400250.0000000000000002@example.test>\r\n"
    b"X-Mailer: pysmail (pinned)\r\nMIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=US-ASCII\r\nContent-Transfer-Encoding: 7bit\r\n"
    b"\r\nDear Bob,\r\n.line two\r\nend\r\n"
)
PINNED_YAMADA_HTML = (
    b"From: Sender Name <sender@example.test>\r\nTo: f@x.test\r\n"
    b"Reply-To: Rep <r@x.test>\r\nSubject: =?UTF-8?B?5bGx55SwIOWkqumDjiDjgZXjgpM=?=\r\n"
    b"Date: Fri, 28 Nov 2025 14:00:00 +0000\r\n"
    b"Message-ID: <1764338400250.0000000000000019@example.test>\r\n"
    b"X-Mailer: pysmail (pinned)\r\nX-Priority: 2\r\nImportance: high\r\n"
    b"MIME-Version: 1.0\r\nContent-Type: text/html; charset=UTF-8\r\n"
    b"Content-Transfer-Encoding: base64\r\nX-Campaign: spring {x}\r\n"
    b"X-J: =?UTF-8?B?5pel5pys?=\r\n\r\nPHA+5bGx55SwIOWkqumDjjwvcD4NCg==\r\n"
)


def _fixed_clock_and_random(monkeypatch: pytest.MonkeyPatch) -> None:
    """Date 2025-11-28 14:00:00.25 UTC everywhere; random_hex() counts 1, 2, 3..."""
    counter = iter(range(1, 1_000_000))
    monkeypatch.setattr(secrets, "token_hex", lambda n=32: f"{next(counter):0{2 * n}x}")
    clock = types.SimpleNamespace(time=lambda: 1764338400.25, localtime=time.gmtime)
    monkeypatch.setattr(headers, "time", clock)


def _pinned_batches(cwd: Path) -> Iterator[tuple[str, int, bytes]]:
    (cwd / "one.txt").write_bytes(b"attached bytes\n")
    data = "".join(json.dumps(row) + "\n" for row in PINNED_ROWS).encode()
    rows = read_rows(data, "l.jsonl")
    sender = parse_address("Sender Name <sender@example.test>")
    bases = {
        "auto-text": (MessageSpec(from_=sender, text="unused", mailer=MAILER), "Hello {name}",
                      "Dear {name},\n.line two\r\nend"),
        "const": (MessageSpec(from_=sender, text="unused", mailer=MAILER), "Same subject",
                  "Same body for all.\n"),
        "utf8-html": (MessageSpec(from_=sender, mailer=MAILER,
                                  reply_to=(parse_address("Rep <r@x.test>"),), charset="utf-8",
                                  priority=2, html="unused",
                                  extra_headers=(("X-Campaign", "spring {x}"), ("X-J", "日本"))),
                      "{name} さん", None),
        "jis-both": (MessageSpec(from_=parse_address("差出人 <s@x.test>"), text="unused",
                                 html="unused", mailer=MAILER, charset="iso-2022-jp"),
                     "件名 {name}", "本文 {name}"),
        "no-body": (MessageSpec(from_=sender, mailer=MAILER), "S", None),
    }  # fmt: skip
    for label, (base, subject, body) in bases.items():
        templates = Templates(
            compile_template(subject, "subject"),
            compile_template(body, "body") if body is not None else None,
            compile_template("<p>{name}</p>", "html") if base.html is not None else None,
        )
        use = [r for r in rows if r.number not in (4, 8)] if label == "jis-both" else rows
        extra = parse_recipients("BCC:archive@x.test") if label == "auto-text" else None
        for p in plan_rows(use, "l.jsonl", base, templates, extra=extra, cwd=cwd):
            yield label, p.row, b"".join(p.chunks())


def test_messages_are_byte_for_byte_the_pinned_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Same rows, fixed Date and Message-ID: the bytes pysmail sent before the batch fast path
    (text and HTML-only, ASCII, ISO-2022-JP, UTF-8, a forced charset, Cc/Bcc, Reply-To,
    priority, extra fields, attachments, multipart/alternative)."""
    _fixed_clock_and_random(monkeypatch)
    got = {(label, row): data for label, row, data in _pinned_batches(tmp_path)}
    assert got[("auto-text", 2)] == PINNED_BOB
    assert got[("utf8-html", 3)] == PINNED_YAMADA_HTML
    # row 9 attaches one.txt: its charset is labelled since issue 12 (the only change then)
    assert b'Content-Type: text/plain; charset=US-ASCII;\r\n name="one.txt"' in got[("const", 9)]
    digests = {key: hashlib.sha256(data).hexdigest()[:24] for key, data in got.items()}
    assert digests == PINNED


_TEXTS = st.sampled_from(["Ann", "山田 太郎", "😀", "=?x?=", "a" * 90, "Long " * 20, "", " pad ",
                          "¥ ~", ".dot", "x\ny", "ｶﾀｶﾅ", "Ｆｕｌｌ", "①"])  # fmt: skip


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    names=st.lists(_TEXTS, min_size=1, max_size=5),
    displays=st.lists(st.sampled_from(["", "Bob", "名前", "Doe, Jane", "😀"]), min_size=1),
    charset=st.sampled_from(["auto", "utf-8", "iso-2022-jp", "shift_jis", "us-ascii"]),
    kind=st.sampled_from(["text", "html", "none", "const"]),
    subject=st.sampled_from(["Hi {name}", "Fixed", "件名"]),
    extras=st.booleans(),
)  # fmt: skip
def test_fast_path_messages_equal_compose_and_fail_where_compose_fails(
    monkeypatch: pytest.MonkeyPatch, names: list[str], displays: list[str], charset: str,
    kind: str, subject: str, extras: bool,
) -> None:  # fmt: skip
    """Whatever the rows, each message is compose_bytes() of its spec; a row compose() refuses
    (a charset that cannot write it, a line break in the subject) stops the plan at that row
    with compose()'s error."""
    _fixed_clock_and_random(monkeypatch)
    rows = []
    for n, (name, display) in enumerate(zip(names, displays * 5, strict=False), 1):
        to = f'"{display}" <u{n}@x.test>' if display else f"u{n}@x.test"
        rows.append(Row(n, {"to": to, "cc": "Cc Name <c@x.test>" if n % 2 else "", "name": name}))
    base = MessageSpec(
        from_=SENDER, charset=charset, mailer=MAILER,
        text="Body {name}\n" if kind == "text" else "Same body\n" if kind == "const" else None,
        html="<b>{name}</b>" if kind == "html" else None,
        reply_to=(parse_address("Rep <r@x.test>"),) if extras else (),
        priority=7 if extras else None,
        extra_headers=(("X-Tag", "t 日本"),) if extras else (),
    )  # fmt: skip
    templates = Templates(
        compile_template(subject, "subject"),
        compile_template(base.text, "body") if base.text is not None else None,
        compile_template(base.html, "html") if base.html is not None else None,
    )
    failed: list[int] = []
    try:
        planned = plan_rows(
            rows, "l.csv", base, templates, on_row_error=lambda r: failed.append(r.number)
        )
    except SmailError as err:
        # the rows before the failed one plan alone; that row fails alone with the same error
        [number] = failed
        for row in rows[: number - 1]:
            plan_rows([row], "l.csv", base, templates)
        with pytest.raises(SmailError) as alone:
            plan_rows([rows[number - 1]], "l.csv", base, templates)
        assert (alone.value.msgid, alone.value.params) == (err.msgid, err.params)
        return
    for p in planned:
        assert b"".join(p.chunks()) == compose_bytes(p.spec)

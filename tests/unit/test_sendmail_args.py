"""smail-sendmail's command line (cli/sendmail_args.py) as the callers of sendmail write it, its
message made ready (mime/submission.py) and its exit codes (app/sysexits.py)."""

from __future__ import annotations

import io

import pytest

from pysmail.app.guard import guarded
from pysmail.app.sysexits import EX_NOUSER, EX_TEMPFAIL, EX_USAGE, SYSEXITS, sysexit
from pysmail.cli.sendmail_args import SendmailArgs, parse_sendmail_args
from pysmail.errors import NetworkError, SmtpReplyError, UsageError
from pysmail.exitcodes import ErrCode
from pysmail.mime.submission import (
    DotEnd,
    complete_head,
    envelope_recipients,
    split_submitted,
)


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        # cron (Debian's and cronie's)
        (["-FCronDaemon", "-i", "-B8BITMIME", "-oem", "root@example.test"],
         SendmailArgs(recipients=("root@example.test",), ignore_dots=True, full_name="CronDaemon")),
        # PHP's mail()
        (["-t", "-i"], SendmailArgs(extract=True, ignore_dots=True)),
        # s-nail / mailx, git send-email
        (["-i", "--", "bob@example.test", "carol@example.test"],
         SendmailArgs(recipients=("bob@example.test", "carol@example.test"), ignore_dots=True)),
        (["-f", "me@example.test", "-i", "bob@example.test"],
         SendmailArgs(recipients=("bob@example.test",), ignore_dots=True,
                      sender="me@example.test")),
        # grouped flags, attached values, -r, -oi, options after a recipient
        (["-ti", "-rme@example.test", "bob@example.test", "-oi", "-F", "Ann Example"],
         SendmailArgs(recipients=("bob@example.test",), extract=True, ignore_dots=True,
                      sender="me@example.test", full_name="Ann Example")),
        (["-itfme@example.test"],
         SendmailArgs(extract=True, ignore_dots=True, sender="me@example.test")),
        # accepted and ignored, as Postfix's sendmail does
        (["-odi", "-odb", "-oem", "-oep", "-om", "-oee", "-B", "8BITMIME", "-N", "never",
          "-v", "-bm", "-em", "-ee", "-oQ/var", "-Rhdrs", "-V", "x", "-L", "tag", "-h", "17",
          "-O", "a=b", "-X", "/tmp/log", "-p", "esmtp", "-m", "-n", "-G", "-U", "-A", "c", "b@x.y"],
         SendmailArgs(recipients=("b@x.y",))),
        (["-odq", "b@x.y"], SendmailArgs(recipients=("b@x.y",), queue_only=True)),
        (["-bp"], SendmailArgs(action="list")),
        (["-q"], SendmailArgs(action="flush")),
        (["-bi"], SendmailArgs(action="noop")),
        (["-I"], SendmailArgs(action="noop")),
        (["--help"], SendmailArgs(action="help")),
        (["--version"], SendmailArgs(action="version")),
        (["-C", "my.ini", "--account", "work", "--lang=ja", "--debug", "b@x.y"],
         SendmailArgs(recipients=("b@x.y",), config="my.ini", account="work", lang="ja",
                      debug=True)),
        (["--", "-odd@x.y"], SendmailArgs(recipients=("-odd@x.y",))),
    ],
)  # fmt: skip
def test_what_callers_pass_is_read(argv: list[str], expected: SendmailArgs) -> None:
    assert parse_sendmail_args(argv) == expected


@pytest.mark.parametrize(
    ("argv", "msgid", "option"),
    [
        (["-k"], "sendmail.unknown_option", "-k"),
        (["-tk"], "sendmail.unknown_option", "-k"),
        (["--frobnicate"], "sendmail.unknown_option", "--frobnicate"),
        (["--help=x"], "sendmail.unknown_option", "--help=x"),
        (["-f"], "sendmail.missing_value", "-f"),
        (["--account"], "sendmail.missing_value", "--account"),
        (["-bd"], "sendmail.unsupported", "-bd"),
        (["-bs"], "sendmail.unsupported", "-bs"),
        (["-bv", "x@y.z"], "sendmail.unsupported", "-bv"),
        (["-bt"], "sendmail.unsupported", "-bt"),
        (["-q15m"], "sendmail.queue_interval", "-q15m"),
        (["-qRexample.test"], "sendmail.queue_interval", "-qRexample.test"),
    ],
)
def test_unknown_and_unsupported_options_are_usage_errors(
    argv: list[str], msgid: str, option: str
) -> None:
    with pytest.raises(UsageError) as exc:
        parse_sendmail_args(argv)
    assert exc.value.code is ErrCode.OPTION and exc.value.msgid == msgid
    assert exc.value.params["option"] == option
    assert sysexit(exc.value) == EX_USAGE


# -- the message ----------------------------------------------------------------------------------


def _read_all(stream: DotEnd) -> bytes:
    parts = []
    while block := stream.read(7):  # small reads: the terminator across read boundaries
        parts.append(block)
    return b"".join(parts)


@pytest.mark.parametrize(
    ("data", "kept"),
    [
        (b"a\n.\nb\n", b"a\n"),
        (b"a\r\n.\r\nb\r\n", b"a\r\n"),
        (b".\nb\n", b""),
        (b"a\n.", b"a\n"),
        (b"a\n..\nb\n", b"a\n..\nb\n"),  # not a lone dot: text
        (b"a.\n. \nb\n", b"a.\n. \nb\n"),
        (b"x" * 100_000 + b".\n.\n", b"x" * 100_000 + b".\n"),  # a long line's end is no start
        (b"a\nb", b"a\nb"),
    ],
)
def test_a_lone_dot_ends_the_message_without_i(data: bytes, kept: bytes) -> None:
    assert _read_all(DotEnd(io.BytesIO(data))) == kept


@pytest.mark.parametrize(
    ("head", "rest", "split"),
    [
        (b"To: b@x.y\nSubject: s\n\n", b"body\n", (b"To: b@x.y\nSubject: s\n\n", b"body\n")),
        (b"hello there\n", b"", (b"\n", b"hello there\n")),  # no header at all
        (b"Subject: s\nnot a field\n\n", b"x\n", (b"Subject: s\n\n", b"not a field\n\nx\n")),
        (b"Subject: s\r\n folded\r\nbody line\r\n", b"",
         (b"Subject: s\r\n folded\r\n\r\n", b"body line\r\n")),
        (b" indented first\n", b"", (b"\n", b" indented first\n")),
        (b"Subject: only\n", b"", (b"Subject: only\n", b"")),
    ],
)  # fmt: skip
def test_the_header_ends_at_its_first_line_that_is_no_field(
    head: bytes, rest: bytes, split: tuple[bytes, bytes]
) -> None:
    assert split_submitted(head, rest) == split


def test_missing_from_date_and_message_id_are_added_at_the_header_end() -> None:
    done = complete_head(
        b"Subject: s\r\nTo: b@x.y\r\n\r\n",
        sender="ann@example.test",
        full_name="Ann Example",
        timestamp=1_800_000_000.0,
    )
    lines = done.split(b"\r\n")
    assert lines[:2] == [b"Subject: s", b"To: b@x.y"]
    assert lines[2] == b"From: Ann Example <ann@example.test>"
    assert lines[3].startswith(b"Date: ") and b"2027" in lines[3]
    assert lines[4].startswith(b"Message-ID: <1800000000000.") and lines[4].endswith(
        b"@example.test>"
    )
    assert done.endswith(b">\r\n\r\n")


def test_what_the_message_has_is_kept_and_nothing_added() -> None:
    head = b"From: a@x.y\nDate: Mon, 1 Jan 2024 00:00:00 +0000\nMessage-ID: <1@x.y>\n\n"
    assert complete_head(head, sender="z@z.z", full_name="Z") is head


def test_a_japanese_full_name_is_encoded_and_lf_kept() -> None:
    done = complete_head(b"Subject: s\n", sender="ann@example.test", full_name="山田 花子")
    assert b"\r" not in done and done.endswith(b"\n\n")
    [from_line] = [x for x in done.split(b"\n") if x.startswith(b"From:")]
    assert b"=?" in from_line and from_line.endswith(b"<ann@example.test>")
    assert complete_head(b"", sender="a@x.y", full_name=None).startswith(b"From: a@x.y\n")


def test_t_takes_to_cc_bcc_and_adds_the_command_line() -> None:
    head = b"To: Bob <b@x.y>, c@x.y\nCc: d@x.y\nBcc: e@x.y\nX-To: f@x.y\n\n"
    assert envelope_recipients(head, ["z@x.y, b@x.y"], extract=True) == [
        "z@x.y", "b@x.y", "c@x.y", "d@x.y", "e@x.y",
    ]  # fmt: skip
    assert envelope_recipients(head, ["z@x.y"], extract=False) == ["z@x.y"]
    resent = head + b"Resent-To: r@x.y\nResent-Bcc: s@x.y\n"
    assert envelope_recipients(resent, [], extract=True) == ["r@x.y", "s@x.y"]
    assert envelope_recipients(b"To: undisclosed-recipients:;\n\n", [], extract=True) == []
    with pytest.raises(UsageError) as exc:
        envelope_recipients(b"", ["root"], extract=False)
    assert sysexit(exc.value) == EX_USAGE


# -- exit codes -----------------------------------------------------------------------------------


def test_every_code_has_a_sysexit() -> None:
    assert set(SYSEXITS) == set(ErrCode)
    assert SYSEXITS[ErrCode.OK] == 0
    assert all(64 <= v <= 78 for k, v in SYSEXITS.items() if k is not ErrCode.OK)


def test_a_refused_recipient_is_nouser_and_a_temporary_failure_tempfail() -> None:
    refused = SmtpReplyError(ErrCode.HANDLING, "smtp.recipient_refused", smtp_code=550,
                             recipient="x@y.z", count=1)  # fmt: skip
    assert sysexit(refused) == EX_NOUSER
    later = SmtpReplyError(ErrCode.TEMPORARY, "smtp.recipient_refused", smtp_code=451,
                           recipient="x@y.z", count=1)  # fmt: skip
    assert sysexit(later) == EX_TEMPFAIL
    down = NetworkError(ErrCode.CONNECT, "smtp.connect_failed", host="h", port=1, reason="r")
    assert sysexit(down) == EX_TEMPFAIL
    data = SmtpReplyError(ErrCode.HANDLING, "smtp.message_refused", smtp_code=554)
    assert sysexit(data) == 69


def test_the_guard_maps_with_the_exit_code_given_and_prints_the_same_block() -> None:
    said: list[str] = []

    def run() -> int:
        raise UsageError(ErrCode.OPTION, "sendmail.unknown_option", option="-k")

    code = guarded(run, say=said.append, lang="en", env={}, exit_code=sysexit)
    assert code == EX_USAGE and said[0].startswith("ERR-0017:")
    assert guarded(run, say=None, lang="en", env={}) == int(ErrCode.OPTION)

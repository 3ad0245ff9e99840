"""The sans-I/O SMTP transaction machine (smtp/protocol.py), driven by feeding it server bytes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pysmail.delivery.retry import TrackedStream
from pysmail.errors import SmailError, SmtpReplyError, UsageError
from pysmail.redact import Scrubber
from pysmail.smtp.content import CHUNK_SIZE, DataContent
from pysmail.smtp.protocol import (
    READY,
    RSET,
    RSET_FIRST,
    Group,
    Outcome,
    SmtpProtocol,
    frames_of,
    goes_again,
    pipelines_across,
)
from pysmail.smtp.replies import Extensions, Reply, ReplyParser

MAIL = b"MAIL FROM:<a@x.test>\r\n"
RCPT = b"RCPT TO:<b@y.test>\r\n"
DATA = b"DATA\r\n"


def received(data: bytes) -> list[Reply]:
    """The replies in the bytes a server sent (framed as the Transport frames them)."""
    return ReplyParser().feed(data)


def protocol(
    *keywords: str, greeting: str = "mx.test ESMTP", chunking: bool = True
) -> SmtpProtocol:
    ext = Extensions("mx.test", {k: "" for k in keywords})
    return SmtpProtocol(
        ext, host="mx.test", scrubber=Scrubber(), greeting=greeting, chunking=chunking
    )


def group_of(
    proto: SmtpProtocol, recipients: tuple[str, ...] = ("b@y.test",), body: bytes = b"Hi\r\n"
) -> Group:
    group = proto.open_group("a@x.test", recipients, [body], smtputf8=False, eight_bit=False)
    proto.group_lines(group)
    return group


# -- pipelining: the group --------------------------------------------------------------------


def test_one_recipient_with_data_pipelines_mail_rcpt_and_data_in_one_group() -> None:
    proto = protocol("PIPELINING")
    group = group_of(proto)
    assert group.lines == [MAIL, RCPT, DATA]
    assert group.data_in_group and not group.bdat_in_group
    assert (
        proto.judge_group(1, "a@x.test", group, received(b"250 ok\r\n250 ok\r\n354 go\r\n")) is None
    )
    assert proto.state == READY


def test_several_recipients_wait_for_every_rcpt_before_data() -> None:
    proto = protocol("PIPELINING")
    group = group_of(proto, ("b@y.test", "c@y.test"))
    assert group.lines == [MAIL, RCPT, b"RCPT TO:<c@y.test>\r\n"]
    assert not group.data_in_group


def test_without_pipelining_nothing_joins_the_group() -> None:
    proto = protocol()
    group = group_of(proto)
    assert group.lines == [MAIL, RCPT]
    assert proto.bdat_window == 0


def test_the_mail_line_asks_for_8bitmime_and_smtputf8_when_offered() -> None:
    proto = protocol("PIPELINING", "8BITMIME", "SMTPUTF8")
    group = proto.open_group("a@x.test", ["b@y.test"], [b"x\r\n"], smtputf8=True, eight_bit=True)
    assert group.lines[0] == b"MAIL FROM:<a@x.test> SMTPUTF8 BODY=8BITMIME\r\n"


def test_no_recipient_unsafe_address_and_smtputf8_not_offered() -> None:
    proto = protocol("PIPELINING")
    with pytest.raises(UsageError):
        proto.unsupported(1, [], False)
    refused = proto.unsupported(1, ["b@y.test"], True)
    assert refused is not None and refused.stage == "mail"
    assert isinstance(refused.error, SmailError)
    with pytest.raises(UsageError):
        proto.open_group("a@x.test", ["b@y.test\r\nDATA"], [b""], smtputf8=False, eight_bit=False)


# -- BDAT in groups -----------------------------------------------------------------------------


def test_a_one_chunk_message_for_one_recipient_goes_as_bdat_last_with_its_envelope() -> None:
    proto = protocol("PIPELINING", "CHUNKING")
    group = group_of(proto, body=b"Hi\r\n")
    assert group.lines == [MAIL, RCPT]
    assert group.bdat_in_group and group.rest is None
    ((command, pieces),) = group.frames
    assert command == b"BDAT 4 LAST\r\n" and b"".join(pieces) == b"Hi\r\n"


def test_a_big_message_follows_in_chunks_of_at_least_one_mib_read_one_chunk_late() -> None:
    proto = protocol("PIPELINING", "CHUNKING")
    line = b"x" * 998 + b"\r\n"
    body = [line] * (2 * CHUNK_SIZE // len(line) + 3)
    group = proto.open_group("a@x.test", ["b@y.test"], body, smtputf8=False, eight_bit=False)
    assert not group.bdat_in_group and group.rest is not None
    frames = list(frames_of(group))
    sizes = [sum(len(p) for p in pieces) for _command, pieces in frames]
    assert all(size >= CHUNK_SIZE for size in sizes[:-1])
    assert frames[-1][0] == b"BDAT %d LAST\r\n" % sizes[-1]
    assert b"".join(b"".join(pieces) for _c, pieces in frames) == b"".join(body)
    assert proto.bdat_window == 1  # one chunk's reply is always unread while the next goes


def test_a_tracked_one_block_message_is_taken_whole_and_cut_from_the_block() -> None:
    """A TrackedStream of one DataContent block (an outbox message) is framed from its block:
    taken once (finished, its size counted once), never iterated after it."""
    proto = protocol("PIPELINING", "CHUNKING")
    small = TrackedStream((DataContent(b"Hi\r\n"),))
    group = proto.open_group("a@x.test", ["b@y.test"], small, smtputf8=False, eight_bit=False)
    assert group.bdat_in_group and group.frames[0][0] == b"BDAT 4 LAST\r\n"
    assert small.finished and small.size == 4
    block = DataContent((b"x" * 998 + b"\r\n") * (CHUNK_SIZE // 1000 + 1))  # over one chunk
    big = TrackedStream((block,))
    group = proto.open_group("a@x.test", ["b@y.test"], big, smtputf8=False, eight_bit=False)
    frames = list(frames_of(group))
    assert len(frames) == 2 and b"".join(b"".join(p) for _c, p in frames) == block
    assert big.finished and big.size == len(block)


def test_chunking_off_keeps_data() -> None:
    proto = protocol("PIPELINING", "CHUNKING", chunking=False)
    assert group_of(proto).lines == [MAIL, RCPT, DATA]


# -- refusals and RSET --------------------------------------------------------------------------


def test_a_refused_recipient_fails_the_message_and_the_next_group_starts_with_rset() -> None:
    proto = protocol("PIPELINING")
    group = group_of(proto)
    refused = proto.judge_group(
        1, "a@x.test", group, received(b"250 ok\r\n550 5.1.1 no such user\r\n503 no rcpt\r\n")
    )
    assert refused is not None and refused.stage == "rcpt"
    assert isinstance(refused.error, SmtpReplyError) and refused.error.smtp_code == 550
    assert proto.state == RSET_FIRST
    assert group_of(proto).lines == [RSET, MAIL, RCPT, DATA]


def test_a_server_that_answers_data_354_after_a_refusal_must_be_hung_up_on() -> None:
    proto = protocol("PIPELINING")
    group = group_of(proto)
    replies = received(b"250 ok\r\n550 no\r\n354 go ahead\r\n")
    assert proto.judge_group(1, "a@x.test", group, replies) is not None
    assert proto.must_abandon(group, replies)
    assert not proto.must_abandon(group, received(b"250 ok\r\n550 no\r\n503 no\r\n"))


def test_a_refused_rset_alone_leaves_the_transaction_accepted() -> None:
    proto = protocol("PIPELINING")
    proto.state = RSET_FIRST
    group = group_of(proto)
    replies = received(b"500 what\r\n250 ok\r\n250 ok\r\n354 go\r\n")
    assert proto.judge_group(1, "a@x.test", group, replies) is None
    assert proto.state == READY


def test_a_421_that_cuts_the_group_short_fails_the_recipient_stage() -> None:
    proto = protocol("PIPELINING")
    group = group_of(proto, ("b@y.test", "c@y.test"))
    refused = proto.judge_group(1, "a@x.test", group, received(b"250 ok\r\n421 bye\r\n"))
    assert refused is not None and refused.stage == "rcpt"
    assert goes_again(refused, sent=0)


def test_rset_after_a_refused_bdat_last_dovecot_keeps_the_transaction() -> None:
    proto = protocol("PIPELINING", "CHUNKING")
    group = group_of(proto)
    assert proto.judge_group(1, "a@x.test", group, received(b"250 ok\r\n250 ok\r\n")) is None
    (reply,) = received(b"554 5.6.0 rejected\r\n")
    outcome = proto.data_reply(1, reply)
    assert outcome.error is not None and outcome.stage == "message"
    assert proto.state == RSET_FIRST
    assert group_of(proto).lines[0] == RSET
    proto.reset()
    assert proto.state == READY


def test_after_data_dot_a_refusal_ends_the_transaction() -> None:
    proto = protocol("PIPELINING")
    (reply,) = received(b"554 no\r\n")
    assert proto.data_reply(1, reply).error is not None
    assert proto.state == READY
    (ok,) = received(b"250 2.0.0 queued as X\r\n")
    assert proto.data_reply(2, ok) == Outcome(2, reply=ok)


def test_a_refused_chunk_or_data_command() -> None:
    proto = protocol("CHUNKING")
    (reply,) = received(b"552 too big\r\n")
    assert proto.chunk_refused(1, reply).error is not None and proto.state == RSET_FIRST
    proto.reset()
    (busy,) = received(b"354 hmm\r\n")
    assert proto.data_refused(1, busy).stage == "data" and proto.state == READY
    (no,) = received(b"451 later\r\n")
    assert proto.data_refused(1, no).stage == "data" and proto.state == RSET_FIRST


# -- across messages ----------------------------------------------------------------------------


def test_dovecot_rule_no_pipelining_across_messages_after_the_final_dot() -> None:
    assert pipelines_across(True, "mx.test ESMTP Postfix")
    assert not pipelines_across(True, "mx.test Dovecot ready.")
    assert not pipelines_across(False, "mx.test ESMTP Postfix")
    assert not protocol("PIPELINING", greeting="Dovecot ready").pipeline_across


def _mail_refused(code: int) -> Outcome:
    proto = protocol("PIPELINING")
    group = group_of(proto)
    refused = proto.judge_group(
        1, "a@x.test", group, received(b"%d no\r\n503 a\r\n503 b\r\n" % code)
    )
    assert refused is not None and refused.stage == "mail"
    return refused


def test_a_503_to_a_pipelined_mail_resends_on_a_new_connection() -> None:
    assert goes_again(_mail_refused(503), sent=0)
    assert not goes_again(_mail_refused(550), sent=3)
    assert not goes_again(_mail_refused(452), sent=0)
    assert goes_again(_mail_refused(452), sent=1)  # a per-session limit
    assert goes_again(_mail_refused(421), sent=0)


# -- properties ---------------------------------------------------------------------------------

codes = st.sampled_from([250, 251, 354, 421, 450, 451, 452, 503, 550, 552, 554])


@given(st.integers(1, 4), st.lists(codes, min_size=1, max_size=6), st.booleans())
def test_a_group_passes_exactly_when_every_reply_is_2xx_and_data_354(
    count: int, reply_codes: list[int], dirty: bool
) -> None:
    proto = protocol("PIPELINING")
    proto.state = RSET_FIRST if dirty else READY
    recipients = tuple(f"r{i}@y.test" for i in range(count))
    group = group_of(proto, recipients)
    replies = received(b"".join(b"%d x\r\n" % code for code in reply_codes[: len(group.lines)]))
    refused = proto.judge_group(1, "a@x.test", group, replies)
    lines = group.lines
    kinds = [r.code for r in replies]
    want = len(replies) == len(lines) and all(
        (code == 354 if line == DATA else code // 100 == 2) or (line == RSET and len(replies) > 1)
        for line, code in zip(lines, kinds, strict=True)
    )
    assert (refused is None) == want
    assert proto.state == (READY if refused is None else RSET_FIRST)
    if refused is not None:
        assert refused.tag == 1 and refused.error is not None
        assert refused.stage in ("mail", "rcpt", "data")

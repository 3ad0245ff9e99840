"""SMTP wire grammar: reply framing, EHLO parsing, command formatting, dot-stuffing, BDAT."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pysmail.smtp import replies
from pysmail.smtp.content import Chunker, DotStuffer, crlf_lines, is_data_content, unstuff
from pysmail.smtp.replies import (
    MAX_REPLY_LINE,
    MalformedReply,
    Reply,
    ReplyParser,
    UnsafeCommand,
    format_command,
    parse_ehlo,
)

# -- reply framing ----------------------------------------------------------------------------


def test_single_line_reply() -> None:
    (reply,) = ReplyParser().feed(b"220 mail.example.test ESMTP ready\r\n")
    assert reply == Reply(220, ("mail.example.test ESMTP ready",))
    assert reply.text == "mail.example.test ESMTP ready"
    assert reply.kind == 2


def test_multi_line_reply_is_one_reply() -> None:
    data = b"250-mail.example.test\r\n250-PIPELINING\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n"
    (reply,) = ReplyParser().feed(data)
    assert reply.code == 250
    assert reply.lines == ("mail.example.test", "PIPELINING", "AUTH PLAIN LOGIN", "8BITMIME")
    assert reply.wire == data.decode().replace("\r\n", "\n").rstrip("\n")


def test_code_only_line_and_bare_lf() -> None:
    (reply,) = ReplyParser().feed(b"250\n")
    assert reply == Reply(250, ("",))


def test_reply_split_over_many_feeds_byte_by_byte() -> None:
    parser = ReplyParser()
    data = b"250-first\r\n250 second\r\n"
    got: list[Reply] = []
    for i in range(len(data)):
        got += parser.feed(data[i : i + 1])
        assert parser.pending == (i + 1 < len(data))
    assert got == [Reply(250, ("first", "second"))]


def test_pipelined_replies_in_one_read_come_out_in_order() -> None:
    replies = ReplyParser().feed(b"250 2.1.0 Ok\r\n550 5.1.1 no\r\n250 2.1.5 Ok\r\n")
    assert [r.code for r in replies] == [250, 550, 250]
    assert replies[1].enhanced == "5.1.1"


def test_enhanced_status_absent_or_bogus() -> None:
    assert Reply(250, ("Ok",)).enhanced is None
    assert Reply(250, ("2.0.0",)).enhanced == "2.0.0"
    assert Reply(550, ("5.1.1234 x",)).enhanced is None


def test_utf8_reply_text_is_decoded_and_bad_bytes_replaced() -> None:
    (reply,) = ReplyParser().feed("550 宛先不明\r\n".encode())
    assert reply.text == "宛先不明"
    (bad,) = ReplyParser().feed(b"550 \xff\xfe\r\n")
    assert "\ufffd" in bad.text


@pytest.mark.parametrize(
    "garbage",
    [
        b"hello\r\n",  # no code
        b"25\r\n",  # too short
        b"2x0 ok\r\n",  # not digits
        b"250:ok\r\n",  # wrong separator
        b"650 ok\r\n",  # no such class
        b"250-a\r\n251 b\r\n",  # code changes inside a multi-line reply
        b"\r\n",  # empty line
    ],
)
def test_garbage_is_refused(garbage: bytes) -> None:
    with pytest.raises(MalformedReply):
        ReplyParser().feed(garbage)


def test_oversize_line_without_newline_is_refused_before_it_ends() -> None:
    parser = ReplyParser()
    parser.feed(b"250-" + b"x" * (MAX_REPLY_LINE - 10))
    with pytest.raises(MalformedReply, match="longer than"):
        parser.feed(b"x" * 20)


def test_oversize_complete_line_is_refused() -> None:
    with pytest.raises(MalformedReply):
        ReplyParser(max_line=16).feed(b"250 " + b"y" * 20 + b"\r\n")


def test_endless_multiline_reply_is_refused() -> None:
    with pytest.raises(MalformedReply, match="lines"):
        ReplyParser().feed(b"250-x\r\n" * 1001)


# -- EHLO ------------------------------------------------------------------------------------


def test_parse_ehlo_keywords_are_case_insensitive() -> None:
    reply = Reply(250, ("mail.example.test Hello", "pipelining", "Size 10485760", "STARTTLS"))
    ext = parse_ehlo(reply)
    assert ext.greeting == "mail.example.test Hello"
    assert ext.has("PIPELINING") and ext.has("starttls")
    assert ext.keywords["SIZE"] == "10485760"
    assert not ext.has("AUTH") and ext.auth_mechanisms == ()


def test_parse_ehlo_auth_new_and_old_style_are_merged() -> None:
    reply = Reply(250, ("x", "AUTH=LOGIN PLAIN", "AUTH login cram-md5 XOAUTH2"))
    ext = parse_ehlo(reply)
    assert ext.auth_mechanisms == ("LOGIN", "PLAIN", "CRAM-MD5", "XOAUTH2")
    only_old = parse_ehlo(Reply(250, ("x", "AUTH=LOGIN")))
    assert only_old.has("AUTH") and only_old.auth_mechanisms == ("LOGIN",)


def test_bare_auth_keyword_means_no_mechanism() -> None:
    # Dovecot before STARTTLS on a non-local connection.
    ext = parse_ehlo(Reply(250, ("x", "AUTH", "STARTTLS")))
    assert ext.has("AUTH") and ext.auth_mechanisms == ()


# -- commands --------------------------------------------------------------------------------


def test_format_command() -> None:
    assert format_command("MAIL", "FROM:<a@example.test>", "SMTPUTF8") == (
        b"MAIL FROM:<a@example.test> SMTPUTF8\r\n"
    )
    assert format_command("QUIT") == b"QUIT\r\n"
    assert format_command("RCPT", "TO:<山田@例え.jp>") == "RCPT TO:<山田@例え.jp>\r\n".encode()


@pytest.mark.parametrize("bad", ["a@x\r\nRCPT TO:<evil@x>", "a@x\n", "a@x\r", "a\0@x"])
def test_format_command_refuses_injection(bad: str) -> None:
    with pytest.raises(UnsafeCommand):
        format_command("RCPT", f"TO:<{bad}>")


# -- dot-stuffing ----------------------------------------------------------------------------


def _stuff(chunks: list[bytes]) -> bytes:
    stuffer = DotStuffer()
    return b"".join(stuffer.feed(c) for c in chunks) + stuffer.finish()


def test_dot_stuffing_basic() -> None:
    assert _stuff([b"a\r\n.b\r\n..c\r\n"]) == b"a\r\n..b\r\n...c\r\n.\r\n"
    assert _stuff([b".first\r\n"]) == b"..first\r\n.\r\n"


def test_dot_at_chunk_boundary_is_stuffed() -> None:
    assert _stuff([b"a\r\n", b".b\r\n"]) == b"a\r\n..b\r\n.\r\n"
    assert _stuff([b"a\r", b"\n.b"]) == b"a\r\n..b\r\n.\r\n"
    assert _stuff([b"a\r", b".b"]) == b"a\r\n..b\r\n.\r\n"  # bare CR then dot
    assert _stuff([b"a\r\n", b"", b".", b"b"]) == b"a\r\n..b\r\n.\r\n"


def test_crlf_is_added_before_the_terminator() -> None:
    assert _stuff([b"no newline"]) == b"no newline\r\n.\r\n"
    assert _stuff([b"ends with cr\r"]) == b"ends with cr\r\n.\r\n"
    assert _stuff([b"x\r\n"]) == b"x\r\n.\r\n"
    assert _stuff([]) == b".\r\n"


def test_bare_lf_and_cr_become_crlf_so_no_smuggling_sequence_survives() -> None:
    # "\n.\n" is how SMTP smuggling ends a message early on lenient servers.
    out = _stuff([b"a\n.\nMAIL FROM:<x>\n", b"b\r.\rc"])
    assert out == b"a\r\n..\r\nMAIL FROM:<x>\r\nb\r\n..\r\nc\r\n.\r\n"
    assert re.search(rb"(?<!\r)\n|\r(?!\n)", out) is None


def test_bytes_in_counts_the_input() -> None:
    stuffer = DotStuffer()
    stuffer.feed(b"abc")
    stuffer.feed(b".\r\n")
    assert stuffer.bytes_in == 6


_CRLF_TEXT = st.lists(
    st.binary(max_size=30).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b"")),
    max_size=12,
).map(lambda lines: b"\r\n".join(lines))


def _splits(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({min(c, len(data)) for c in cuts})
    edges = [0, *points, len(data)]
    return [data[a:b] for a, b in zip(edges, edges[1:], strict=False)]


@given(_CRLF_TEXT, st.lists(st.integers(min_value=0, max_value=400), max_size=8))
def test_stuff_then_unstuff_is_identity_for_crlf_text(data: bytes, cuts: list[int]) -> None:
    stuffed = _stuff(_splits(data, cuts))
    expected = data if data == b"" or data.endswith(b"\r\n") else data + b"\r\n"
    assert unstuff(stuffed) == expected
    # the terminator appears exactly once, at the end
    assert (b"\r\n" + stuffed).count(b"\r\n.\r\n") == 1


@given(st.binary(max_size=300), st.lists(st.integers(min_value=0, max_value=300), max_size=8))
def test_chunking_never_changes_the_output(data: bytes, cuts: list[int]) -> None:
    assert _stuff(_splits(data, cuts)) == _stuff([data])
    assert re.search(rb"(?<!\r)\n|\r(?!\n)", _stuff([data])) is None


def test_unstuff_refuses_unterminated_data() -> None:
    with pytest.raises(ValueError):
        unstuff(b"abc\r\n")


@given(st.lists(st.sampled_from([b"\r", b"\n", b"\r\n", b"\n\r", b"x", b".", b""]), max_size=30))
def test_crlf_lines_is_the_pattern_it_replaced(pieces: list[bytes]) -> None:
    """Three bytes.replace passes now, a regex before (docs/decisions.md D47): the same bytes."""
    data = b"".join(pieces)
    assert crlf_lines(data) == re.sub(rb"\r\n|\r|\n", b"\r\n", data)


def _counted_data_content(message: bytes) -> bool:
    """is_data_content as it was before D48: CRLF, CR and LF counted."""
    crlf = message.count(b"\r\n")
    return (
        message.endswith(b"\r\n")
        and message[:1] != b"."
        and message.find(b"\n.") < 0
        and message.count(b"\r") == crlf
        and message.count(b"\n") == crlf
    )


@given(
    st.lists(
        st.sampled_from([b"\r", b"\n", b"\r\n", b"\n\r", b"x", b".", b"\r\n.", b""]), max_size=30
    )
    | st.binary(max_size=100)
)
def test_is_data_content_is_the_count_it_replaced(pieces: list[bytes] | bytes) -> None:
    """CRLF pairs removed and two memchr finds now, three counts before (D48): the same verdict,
    and True only where dot-stuffing leaves the message as it is."""
    data = pieces if isinstance(pieces, bytes) else b"".join(pieces)
    assert is_data_content(data) == _counted_data_content(data)
    stuffer = DotStuffer()
    unchanged = stuffer.feed(data) + stuffer.finish() == data + b".\r\n"
    assert is_data_content(data) == (unchanged and data != b"")


# -- BDAT chunks (RFC 3030) -------------------------------------------------------------------


def _frames(chunks: list[bytes], size: int) -> list[tuple[bytes, bytes]]:
    chunker = Chunker(size)
    frames = [f for c in chunks for f in chunker.feed(c)] + [chunker.finish()]
    return [(command, b"".join(pieces)) for command, pieces in frames]


def _debdat(frames: list[tuple[bytes, bytes]]) -> bytes:
    """What a server assembles: every chunk's bytes, in order; checks the framing as it goes."""
    out = b""
    for i, (command, data) in enumerate(frames):
        match = re.fullmatch(rb"BDAT (\d+)( LAST)?\r\n", command)
        assert match is not None, command
        assert int(match[1]) == len(data)
        assert bool(match[2]) == (i == len(frames) - 1)  # LAST on the last chunk only
        out += data
    return out


def test_bdat_one_small_message_is_one_last_chunk_without_stuffing_or_dot() -> None:
    frames = _frames([b"Subject: x\r\n\r\n.leading dot\r\n"], 1 << 20)
    assert frames == [(b"BDAT 28 LAST\r\n", b"Subject: x\r\n\r\n.leading dot\r\n")]


def test_bdat_line_ends_become_crlf_and_the_last_line_is_ended() -> None:
    assert _frames([b"a\nb\rc"], 100) == [(b"BDAT 9 LAST\r\n", b"a\r\nb\r\nc\r\n")]
    assert _frames([b"a\r", b"\nb"], 100) == [(b"BDAT 6 LAST\r\n", b"a\r\nb\r\n")]
    assert _frames([], 100) == [(b"BDAT 0 LAST\r\n", b"")]


def test_bdat_cuts_chunks_once_the_size_is_reached() -> None:
    frames = _frames([b"x" * 5 + b"\r\n"] * 5, 10)
    assert [c for c, _ in frames] == [b"BDAT 14\r\n", b"BDAT 14\r\n", b"BDAT 7 LAST\r\n"]
    # content ending on a cut: an empty LAST chunk ends the message (RFC 3030 allows 0)
    frames = _frames([b"x" * 8 + b"\r\n"], 10)
    assert frames == [(b"BDAT 10\r\n", b"x" * 8 + b"\r\n"), (b"BDAT 0 LAST\r\n", b"")]


def test_bdat_passes_smtp_safe_pieces_unscanned() -> None:
    class Safe(bytes):
        smtp_safe = True

    piece = Safe(b"QUJD\r\n")
    chunker = Chunker(4)
    ((command, pieces),) = chunker.feed(piece)
    assert command == b"BDAT 6\r\n" and pieces[0] is piece


@given(
    st.binary(max_size=400),
    st.lists(st.integers(min_value=0, max_value=400), max_size=8),
    st.integers(min_value=1, max_value=64),
)
def test_bdat_content_is_what_data_delivers(data: bytes, cuts: list[int], size: int) -> None:
    """However the bytes are split and chunked, the server assembles what DATA would deliver
    after un-stuffing: the same message over either command."""
    assert _debdat(_frames(_splits(data, cuts), size)) == unstuff(_stuff([data]))


# -- the framer, whole or cut anywhere ----------------------------------------------------------

_LINE_TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"), max_size=20
)
_REPLIES = st.lists(
    st.tuples(st.sampled_from([220, 235, 250, 334, 354, 421, 450, 503, 550, 554]),
              st.lists(_LINE_TEXT, min_size=1, max_size=4)),
    max_size=8,
)  # fmt: skip


def _wire(replies: list[tuple[int, list[str]]], ending: bytes) -> bytes:
    out = b""
    for code, lines in replies:
        for i, text in enumerate(lines):
            sep = " " if i == len(lines) - 1 else "-"
            out += f"{code}{sep}{text}".encode() + ending
    return out


@given(_REPLIES, st.lists(st.integers(min_value=0, max_value=600), max_size=10),
       st.sampled_from([b"\r\n", b"\n"]))  # fmt: skip
def test_the_framer_gives_the_same_replies_however_the_bytes_arrive(
    replies: list[tuple[int, list[str]]], cuts: list[int], ending: bytes
) -> None:
    data = _wire(replies, ending)
    expected = [Reply(code, tuple(lines)) for code, lines in replies]
    parser = ReplyParser()
    got = [reply for part in _splits(data, cuts) for reply in parser.feed(part)]
    assert got == expected and not parser.pending
    assert [(r.code, r.lines, r.kind) for r in got] == [
        (code, tuple(lines), code // 100) for code, lines in replies
    ]


def _framed(data: bytes) -> list[Reply] | str:
    try:
        return ReplyParser().feed(data)
    except MalformedReply as exc:
        return str(exc)


@given(
    st.lists(
        st.sampled_from(
            [b"250 ok", b"250-a", b"250", b"250 ", b"2500 x", b"25x y", b"+25 x", b" 250 x",
             b"550 no", b"354 \xff", b"650 x", b"250\r", b"x" * 20, b"", b"\r"]
        ),
        max_size=12,
    ),
    st.sampled_from([b"\r\n", b"\n"]),
)  # fmt: skip
def test_a_reply_start_met_before_is_framed_as_a_new_one(lines: list[bytes], end: bytes) -> None:
    """feed() frames a one-line reply whose start it met before without checking it again
    (docs/decisions.md D48): the same replies, and the same errors, as a parser meeting it first."""
    data = end.join(lines) + end
    met = dict(replies._ONE_LINE)
    replies._ONE_LINE.clear()
    try:
        cold = _framed(data)
        _framed(b"250 x\r\n550 y\r\n354 z\r\n")  # these starts are met now
        assert _framed(data) == cold
    finally:
        replies._ONE_LINE.update(met)
    small = ReplyParser(max_line=4)  # a line over the bound is refused either way
    with pytest.raises(MalformedReply):
        small.feed(b"250 a\r\n250 long\r\n")


def test_reply_is_a_value() -> None:
    reply = Reply(250, ("2.0.0 Ok",))
    assert reply == Reply(250, ("2.0.0 Ok",)) and hash(reply) == hash(Reply(250, ("2.0.0 Ok",)))
    assert repr(reply) == "Reply(code=250, lines=('2.0.0 Ok',))"
    assert reply.enhanced == "2.0.0" and reply.wire == "250 2.0.0 Ok"
    with pytest.raises(AttributeError):
        reply.code = 550  # type: ignore[misc]
    import copy
    import pickle

    assert copy.copy(reply) == reply and pickle.loads(pickle.dumps(reply)) == reply

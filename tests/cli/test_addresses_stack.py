"""The one address parser and the line limits, end to end through the real stack (issue 12):
`alice@example.org)<evil@x.com>` (CVE-2023-27043's class) on the command line or in an --eml
To header ends in an ERR and reaches no mailbox; a long ASCII display name arrives folded;
an --eml body line over 998 octets or a NUL byte ends in an ERR naming the line, nothing
delivered (the partial DATA is abandoned without its final ".")."""

from __future__ import annotations

from email.header import decode_header
from pathlib import Path

import pytest

from cli.util import (
    ALICE,
    BOB,
    assert_not_delivered,
    auth_ini,
    fetch_one,
    marker,
    raw_header,
    run_exe,
    run_main,
    server_args,
    write_ini,
)
from pysmail.exitcodes import ErrCode
from stackutil import Stack

pytestmark = pytest.mark.stack

# bob is the "good" recipient, alice plays evil@x.com: both are stack mailboxes.
SMUGGLED = f"{BOB})<{ALICE}>"


def _send(stack: Stack, folder: Path, *args: str) -> tuple[int, str]:
    write_ini(folder, auth_ini())
    result = run_main([*server_args(stack), "--config", "smail.ini", *args], folder)
    assert "Traceback" not in result.out, result.out
    return result.code, result.out


def _nothing_delivered(stack: Stack, folder: Path, mark: str) -> None:
    """A sentinel sent after the refused message has arrived in both boxes; the refused one
    is in neither."""
    sentinel = marker("sentinel")
    code, out = _send(stack, folder, "-f" + ALICE, "-s" + sentinel, "-Tok", BOB, ALICE)
    assert code == 0, out
    fetch_one(stack, BOB, sentinel)
    fetch_one(stack, ALICE, sentinel)
    assert_not_delivered(stack, [ALICE, BOB], [mark])


@pytest.mark.parametrize("recipient", [SMUGGLED, f"CC:{SMUGGLED}", f'"{BOB}"@example.test'])
def test_smuggled_recipient_is_refused(stack: Stack, tmp_path: Path, recipient: str) -> None:
    mark = marker("cve-cli")
    code, out = _send(stack, tmp_path, "-f" + ALICE, "-s" + mark, "-Tx", recipient)
    assert code == ErrCode.RECIPIENT, out
    assert out.startswith("ERR-0001:"), out
    assert recipient.removeprefix("CC:") in out  # the ERR names the address
    _nothing_delivered(stack, tmp_path, mark)


def test_smuggled_recipient_is_refused_by_the_real_executable(stack: Stack, tmp_path: Path) -> None:
    mark = marker("cve-exe")
    write_ini(tmp_path, auth_ini())
    argv = [*server_args(stack), "--config", "smail.ini", "-f" + ALICE, "-s" + mark, SMUGGLED]
    result = run_exe([*argv, "-Tx"], tmp_path)
    assert (result.code, result.err) == (ErrCode.RECIPIENT, ""), result.out
    assert f"not a valid mail address: {SMUGGLED}" in result.out
    _nothing_delivered(stack, tmp_path, mark)


def _eml(mark: str, to: str, body: bytes = b"body\r\n") -> bytes:
    head = f"From: {ALICE}\r\nTo: {to}\r\nSubject: {mark}\r\nMIME-Version: 1.0\r\n\r\n"
    return head.encode() + body


@pytest.mark.parametrize("to", [SMUGGLED, f'Bob <{BOB}>, "{BOB}"@example.test', f"Team: {BOB}"])
def test_eml_smuggled_to_header_is_refused(stack: Stack, tmp_path: Path, to: str) -> None:
    mark = marker("cve-eml")
    (tmp_path / "m.eml").write_bytes(_eml(mark, to))
    code, out = _send(stack, tmp_path, "--eml", "m.eml")
    assert code == ErrCode.RECIPIENT, out
    assert out.startswith("ERR-0001:"), out
    _nothing_delivered(stack, tmp_path, mark)


def test_eml_comments_and_groups_are_read_exactly(stack: Stack, tmp_path: Path) -> None:
    mark = marker("eml-group")
    to = f'Team: "Bob, B." (the {ALICE} list) <{BOB}>;, (x) {ALICE} (y)'
    (tmp_path / "m.eml").write_bytes(_eml(mark, to))
    code, out = _send(stack, tmp_path, "--eml", "m.eml")
    assert code == 0, out
    fetch_one(stack, BOB, mark)
    fetch_one(stack, ALICE, mark)


@pytest.mark.parametrize(
    ("body", "line", "msgid"),
    [
        (b"ok\r\n" + b"x" * 2000 + b"\r\nend\r\n", 7, "is longer than 998 bytes"),
        (b"ok\r\nnul \0 here\r\n", 7, "NUL"),
        (b"ok\r\n" * 40000 + b"y" * 999 + b"\r\n", 40006, "is longer than 998 bytes"),
    ],
    ids=["long-line", "nul", "long-line-after-first-block"],
)
def test_eml_body_over_the_limits_is_refused_naming_the_line(
    stack: Stack, tmp_path: Path, body: bytes, line: int, msgid: str
) -> None:
    mark = marker("eml-limit")
    (tmp_path / "m.eml").write_bytes(_eml(mark, BOB, body))
    code, out = _send(stack, tmp_path, "--eml", "m.eml")
    assert code == ErrCode.BODY_FILE, out
    assert out.startswith("ERR-0002:"), out
    assert f"Line {line} of m.eml" in out and msgid in out, out
    _nothing_delivered(stack, tmp_path, mark)


def test_long_ascii_display_name_arrives_folded(stack: Stack, tmp_path: Path) -> None:
    mark = marker("long-name")
    name = "x" * 3001
    code, out = _send(stack, tmp_path, "-f" + ALICE, "-s" + mark, "-Tx", f"{name} <{BOB}>")
    assert code == 0, out
    msg = fetch_one(stack, BOB, mark)
    raw = msg.as_bytes().split(b"\n\n", 1)[0]
    assert max(len(line.rstrip(b"\r")) for line in raw.split(b"\n")) <= 78
    # RFC 2047 6.2: the folding white space between encoded words is not text (the email
    # package's policy.default keeps it in a phrase; decode_header follows the RFC)
    to = raw_header(msg, "To")
    encoded = [part for part, charset in decode_header(to) if charset is not None]
    assert b"".join(encoded) == name.encode() and to.endswith(f" <{BOB}>"), to


def test_long_local_part_is_refused_before_any_rcpt(stack: Stack, tmp_path: Path) -> None:
    """A 1,500-character local part would make a RCPT command of over 1,500 octets (RFC 5321
    4.5.3.1.4 allows 512): refused with ERR-0001, as a sender with ERR-0017."""
    mark = marker("long-local")
    long_addr = "x" * 1500 + "@example.test"
    code, out = _send(stack, tmp_path, "-f" + ALICE, "-s" + mark, "-Tx", BOB, long_addr)
    assert (code, out[:9]) == (ErrCode.RECIPIENT, "ERR-0001:"), out
    code, out = _send(stack, tmp_path, "-f" + long_addr, "-s" + mark, "-Tx", BOB)
    assert (code, out[:9]) == (ErrCode.OPTION, "ERR-0017:"), out
    _nothing_delivered(stack, tmp_path, mark)


def test_batch_eml_folder_reports_the_long_line_and_sends_the_rest(
    stack: Stack, tmp_path: Path
) -> None:
    """The header is checked before the run; a body line only as it streams: that message
    is abandoned (no final "."), reported, and the others go."""
    folder = tmp_path / "out"
    folder.mkdir()
    marks = [marker("batch-eml") for _ in range(3)]
    bodies = [b"ok\r\n", b"y" * 2000 + b"\r\n", b"ok\r\n"]
    for number, (mark, body) in enumerate(zip(marks, bodies, strict=True), 1):
        (folder / f"{number}.eml").write_bytes(_eml(mark, BOB, body))
    code, out = _send(stack, tmp_path, "--batch", "out")
    assert code == ErrCode.BODY_FILE, out
    assert "Row 2 (bob@example.test) was not sent: ERR-0002 Line 6 of " in out, out
    fetch_one(stack, BOB, marks[0])
    fetch_one(stack, BOB, marks[2])
    assert_not_delivered(stack, [BOB], [marks[1]])

"""Text attachments carry their charset, detected as -F detects it (issue 12: a Japanese .txt
or .csv went out as text/plain with no charset, so readers took it for US-ASCII: mojibake).

Sent through the real stack and read back from bob's mailbox: the label, the decoded text and
the exact bytes.
"""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import pytest

from cli.util import ALICE, BOB, auth_ini, fetch_one, marker, run_main, server_args, write_ini
from stackutil import Stack

pytestmark = pytest.mark.stack

CSV = "氏名,住所,金額\n山田太郎,東京都千代田区,1000\n"
NOTE = "添付のメモです。\nよろしくお願いします。\n"

# file name -> (bytes, expected Content-Type, expected charset or None, codec to read it back)
FILES: dict[str, tuple[bytes, str, str | None, str | None]] = {
    "memo-utf8.txt": (NOTE.encode("utf-8"), "text/plain", "utf-8", "utf-8"),
    "list-sjis.csv": (CSV.encode("shift_jis"), "text/csv", "shift_jis", "shift_jis"),
    # Windows' "Shift_JIS" with NEC/IBM extras (①, ㈱): labelled as what it is, CP932
    "circled-cp932.txt": ("①㈱の一覧\n".encode("cp932"), "text/plain", "windows-31j", "cp932"),
    "jis.txt": (NOTE.encode("iso-2022-jp"), "text/plain", "iso-2022-jp", "iso-2022-jp"),
    "bom-utf16.txt": (NOTE.encode("utf-16"), "text/plain", "utf-16", "utf-16"),
    "ascii.txt": (b"plain words\n", "text/plain", "us-ascii", "ascii"),
    # a .txt that is not text in any charset -F reads: no charset can be claimed for it
    "binary.txt": (b"\x00\x01\x02\xff\xfe binary", "application/octet-stream", None, None),
    "undecodable.txt": (b"abc \x80\x81\xff", "application/octet-stream", None, None),
}


def _send(stack: Stack, folder: Path, names: list[str]) -> EmailMessage:
    write_ini(folder, auth_ini())
    mark = marker("attach-charset")
    attach = ["-a" + name for name in names]
    argv = [*server_args(stack), "--config", "smail.ini", "-f" + ALICE, "-s" + mark, "-Tx"]
    result = run_main([*argv, *attach, BOB], folder)
    assert result.code == 0, result.out
    return fetch_one(stack, BOB, mark)


def test_text_attachments_carry_their_charset(stack: Stack, tmp_path: Path) -> None:
    for name, (data, _, _, _) in FILES.items():
        (tmp_path / name).write_bytes(data)
    msg = _send(stack, tmp_path, list(FILES))
    parts = {str(p.get_filename()): p for p in msg.iter_attachments()}
    assert sorted(parts) == sorted(FILES)
    for name, (data, media_type, charset, codec) in FILES.items():
        part = parts[name]
        assert part.get_content_type() == media_type, name
        assert part.get_content_charset() == charset, name
        raw = part.get_payload(decode=True)
        assert raw == data, name  # the file itself goes out unchanged
        if codec is not None:
            assert raw.decode(codec) == data.decode(codec), name
    # what a reader shows: the email package decodes with the label it finds
    assert parts["memo-utf8.txt"].get_content() == NOTE
    assert parts["list-sjis.csv"].get_content() == CSV
    assert parts["jis.txt"].get_content() == NOTE

"""The lower limits of the bench: the least a client can do on the wire. Not pysmail.

    python rawsend.py one   HOST PORT MESSAGE        # one message, one connection
    python rawsend.py many  HOST PORT MESSAGE COUNT  # COUNT messages over one pipelined connection
    python rawsend.py file  HOST PORT MESSAGE        # one message sent with sendfile()

MESSAGE must be a finished message: CRLF line ends, already dot-stuffed, ending in CRLF
(bench/run checks this). The dialogue is the shortest RFC 2920 allows: EHLO, then MAIL, RCPT
and DATA in one write, then the content, the final dot and the next MAIL/RCPT/DATA (or QUIT)
in one write, with TCP_NODELAY. One round trip per message is the floor without CHUNKING:
content may not be sent before the 354 reply.
"""

from __future__ import annotations

import socket
import sys

TYPE_CHECKING = False  # a limit of the bench: nothing imported but what it uses
if TYPE_CHECKING:
    from typing import BinaryIO

ENVELOPE = b"MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n"


def read_replies(reader: BinaryIO, n: int) -> None:
    """Read `n` whole replies; exit with the first that is not 2xx or 3xx."""
    for _ in range(n):
        while True:
            line = reader.readline()
            if not line:
                raise SystemExit("connection closed")
            if line[3:4] != b"-":
                if line[:1] not in (b"2", b"3"):
                    raise SystemExit(line.decode("ascii", "replace").strip())
                break


def greeted(host: str, port: int) -> tuple[socket.socket, BinaryIO]:
    """A connection (TCP_NODELAY) past the greeting and EHLO, and its reader."""
    sock = socket.create_connection((host, port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    reader = sock.makefile("rb")
    read_replies(reader, 1)
    sock.sendall(b"EHLO bench.test\r\n")
    read_replies(reader, 1)
    return sock, reader


def main() -> None:
    mode, host, port, path = sys.argv[1:5]
    count = int(sys.argv[5]) if len(sys.argv) > 5 else 1
    sock, reader = greeted(host, int(port))

    def replies(n: int) -> None:
        read_replies(reader, n)

    sock.sendall(ENVELOPE)
    replies(3)
    if mode == "file":
        with open(path, "rb") as fh:
            sock.sendfile(fh)
        sock.sendall(b".\r\nQUIT\r\n")
    else:
        with open(path, "rb") as fh:
            data = fh.read()
        for _ in range(count - 1):
            sock.sendall(data + b".\r\n" + ENVELOPE)
            replies(4)  # 250 for the message, 250 MAIL, 250 RCPT, 354 DATA
        sock.sendall(data + b".\r\nQUIT\r\n")
    replies(2)
    sock.close()


if __name__ == "__main__":
    main()

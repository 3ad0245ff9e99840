"""The Python floor of row (e): the least a Python client does for one STARTTLS + AUTH PLAIN send.
Not pysmail.

    python floor_e.py HOST PORT CAFILE USER PASSWORD_FILE FROM TO MESSAGE

The dialogue pysmail has with Dovecot submission, written as plainly as Python allows: one
process, `ssl.create_default_context(cafile=CAFILE)` (only the given CA: no system store),
EHLO, STARTTLS, EHLO, AUTH PLAIN with its initial response, MAIL, RCPT and DATA in one write
(PIPELINING), the message (a finished one: CRLF line ends, dot-stuffed, ending in CRLF), the
final dot and QUIT in one write, TCP_NODELAY. The password is read from a file, never argv.
"""

import base64
import socket
import ssl
import sys


def main() -> None:
    host, port, cafile, user, pw_file, sender, rcpt, path = sys.argv[1:9]
    with open(pw_file, encoding="utf-8") as fh:
        password = fh.read().strip()
    with open(path, "rb") as fh:
        message = fh.read()
    sock = socket.create_connection((host, int(port)))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    reader = sock.makefile("rb")

    def replies(n: int) -> None:
        for _ in range(n):
            while True:
                line = reader.readline()
                if not line:
                    raise SystemExit("connection closed")
                if line[3:4] != b"-":
                    if line[:1] not in (b"2", b"3"):
                        raise SystemExit(line[:3].decode("ascii", "replace"))
                    break

    replies(1)
    sock.sendall(b"EHLO bench.test\r\n")
    replies(1)
    sock.sendall(b"STARTTLS\r\n")
    replies(1)
    context = ssl.create_default_context(cafile=cafile)
    sock = context.wrap_socket(sock, server_hostname=host)
    reader = sock.makefile("rb")
    sock.sendall(b"EHLO bench.test\r\n")
    replies(1)
    plain = base64.b64encode(f"\0{user}\0{password}".encode()).decode("ascii")
    sock.sendall(f"AUTH PLAIN {plain}\r\n".encode("ascii"))
    replies(1)
    sock.sendall(f"MAIL FROM:<{sender}>\r\nRCPT TO:<{rcpt}>\r\nDATA\r\n".encode("ascii"))
    replies(3)
    sock.sendall(message + b".\r\nQUIT\r\n")
    replies(2)
    sock.close()


if __name__ == "__main__":
    main()

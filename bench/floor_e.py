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
import ssl
import sys

from rawsend import greeted, read_replies  # bench/, beside this file


def main() -> None:
    host, port, cafile, user, pw_file, sender, rcpt, path = sys.argv[1:9]
    with open(pw_file, encoding="utf-8") as fh:
        password = fh.read().strip()
    with open(path, "rb") as fh:
        message = fh.read()
    plain_sock, plain_reader = greeted(host, int(port))
    plain_sock.sendall(b"STARTTLS\r\n")
    read_replies(plain_reader, 1)
    context = ssl.create_default_context(cafile=cafile)
    sock = context.wrap_socket(plain_sock, server_hostname=host)
    reader = sock.makefile("rb")
    sock.sendall(b"EHLO bench.test\r\n")
    read_replies(reader, 1)
    plain = base64.b64encode(f"\0{user}\0{password}".encode()).decode("ascii")
    sock.sendall(f"AUTH PLAIN {plain}\r\n".encode("ascii"))
    read_replies(reader, 1)
    sock.sendall(f"MAIL FROM:<{sender}>\r\nRCPT TO:<{rcpt}>\r\nDATA\r\n".encode("ascii"))
    read_replies(reader, 3)
    sock.sendall(message + b".\r\nQUIT\r\n")
    read_replies(reader, 2)
    sock.close()


if __name__ == "__main__":
    main()

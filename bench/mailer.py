"""(d2)'s Mailer row: COUNT one-recipient messages with the 1 KB body through the Python API's
`Mailer.send_many` (the way docs/api.md gives for many messages) to a sink, in one process (its
start included in bench/run's timing). Exit 1 when a message was not sent.

    python mailer.py HOST PORT BODY COUNT
"""

import sys
from pathlib import Path

import pysmail


def main() -> None:
    host, port, body, count = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    text = Path(body).read_text()
    account = pysmail.Account(host, port, tls="none", auth="none", sender="a@x")
    messages = [pysmail.Message(to="b@y", subject="S", text=text) for _ in range(count)]
    with pysmail.Mailer(account) as mailer:
        receipts = mailer.send_many(messages)
    failed = sum(1 for r in receipts if not r.ok)
    if failed:
        sys.exit(f"mailer.py: {failed} of {count} message(s) not sent")


if __name__ == "__main__":
    main()

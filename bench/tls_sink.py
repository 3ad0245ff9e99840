"""A loopback SMTP sink with STARTTLS (aiosmtpd), for the bench's TLS rows.

    python tls_sink.py HOST PORT CERT KEY [--no-tls]

Postfix's smtp-sink has no TLS, so the STARTTLS rows use this server for every client. It accepts
any sender and recipient and discards the message. With --no-tls it is the same server without
STARTTLS, to separate the cost of TLS from the cost of a Python server. Stops on SIGTERM.
"""

import asyncio
import ssl
import sys

from aiosmtpd.smtp import SMTP, Envelope, Session


class Sink:
    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        return "250 2.0.0 Ok"


def main() -> None:
    host, port, cert, key = sys.argv[1:5]
    tls = "--no-tls" not in sys.argv[5:]
    context = None
    if tls:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)

    def factory() -> SMTP:
        # a fixed hostname: the default would look up the FQDN at every connection
        return SMTP(
            Sink(),
            hostname="sink.test",
            tls_context=context,
            require_starttls=False,
            data_size_limit=None,
        )

    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(loop.create_server(factory, host, int(port)))
    print("ready", flush=True)
    try:
        loop.run_forever()
    finally:
        server.close()


if __name__ == "__main__":
    main()

"""A loopback SMTP sink that offers CHUNKING (BDAT, RFC 3030) and keeps nothing: bench/run's
server for the (d2) rows over BDAT and over DATA side by side, since Postfix's smtp-sink
offers no CHUNKING and aiosmtpd has no BDAT. Python (asyncio), so slower than smtp-sink:
compare each client with the raw limit measured against this same sink.

    python chunking_sink.py HOST PORT
"""

import asyncio
import sys

EHLO = b"250-sink\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-CHUNKING\r\n250 SMTPUTF8\r\n"


class Sink(asyncio.Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.t: asyncio.Transport = transport  # type: ignore[assignment]
        self.buf = b""
        self.skip = 0  # BDAT bytes still to drop
        self.last = False  # the BDAT being dropped is LAST
        self.data = False  # inside DATA content
        self.t.write(b"220 sink ESMTP\r\n")

    def data_received(self, chunk: bytes) -> None:
        buf = self.buf + chunk
        out = []
        pos = 0
        while True:
            if self.skip:
                take = min(self.skip, len(buf) - pos)
                self.skip -= take
                pos += take
                if self.skip:
                    break
                out.append(b"250 2.0.0 Ok: message\r\n" if self.last else b"250 2.0.0 Ok\r\n")
                continue
            if self.data:
                end = buf.find(b"\r\n.\r\n", pos - 2 if pos >= 2 else 0)
                if end < 0:
                    pos = max(pos, len(buf) - 4)
                    break
                pos = end + 5
                self.data = False
                out.append(b"250 2.0.0 Ok: message\r\n")
                continue
            end = buf.find(b"\r\n", pos)
            if end < 0:
                break
            line = buf[pos:end]
            pos = end + 2
            verb = line[:4].upper()
            if verb == b"BDAT":
                parts = line.split()
                self.skip = int(parts[1])
                self.last = len(parts) > 2
                if not self.skip:
                    out.append(b"250 2.0.0 Ok\r\n")
            elif verb == b"DATA":
                self.data = True
                out.append(b"354 go on\r\n")
                pos -= 2  # the content's first line may be its end: keep the CRLF before it
            elif verb == b"EHLO":
                out.append(EHLO)
            elif verb == b"QUIT":
                out.append(b"221 Bye\r\n")
                self.t.write(b"".join(out))
                self.t.close()
                return
            else:
                out.append(b"250 2.1.0 Ok\r\n")
        self.buf = buf[pos:]
        if out:
            self.t.write(b"".join(out))


async def main() -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Sink, sys.argv[1], int(sys.argv[2]), backlog=1000)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())

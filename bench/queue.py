"""Fill an outbox with COUNT copies of a finished message, as `smail --queue` stores them
(bench/run's --flush row). Not pysmail's own code path for composing: the bytes are given.

    python queue.py SPOOL MESSAGE COUNT
"""

import sys
import time
from pathlib import Path

from pysmail.delivery.outbox import Envelope, enqueue


def main() -> None:
    spool, message, count = Path(sys.argv[1]), Path(sys.argv[2]).read_bytes(), int(sys.argv[3])
    created = time.time() - 1  # due now
    for _ in range(count):
        enqueue(spool, Envelope("a@x", ("b@y",), created), (message,))


if __name__ == "__main__":
    main()

"""The durable outbox: composed messages on disk until the server's final 250 to DATA.

Spool folder layout (default: default_spool(); INI `outbox_dir`):

    <spool>/<created_ns>-<random>.msg     one queued message (private file, written to a
                                          temporary name, fsynced, renamed): a magic line, the
                                          envelope as one JSON line, then the message bytes
    <spool>/<name>.state                  attempts, next try, last error (JSON; rewritten
                                          atomically; missing = never tried)
    <spool>/failed/<name>.msg + .reason   permanent failures, with why (never deleted by smail)
    <spool>/unsent/<name>.msg + .reason   messages a plain `smail` (no --queue) could not send
    <spool>/.flush.lock                   one flush at a time, across processes
    <spool>/.sent                         the sent journal: names of messages sent whose files
                                          are not removed yet (sentlog.py)
    <spool>/pacing.json                   what was sent in the last 24 h (pacing.Pacer)

Guarantee: a message in the outbox is delivered at least once. It counts as sent only after
the server answered 250 to the data: then its name goes into the sent journal at once and its
files are removed later (sentlog.py). It can be delivered twice when the connection is lost (or
Ctrl+C comes) after the final "." and before that reply (the server may have accepted it), or
when the process is killed outright: then the (at most two) messages in flight on the pipelined
connection, the one whose answer was read but not yet written down and the one whose data went
out, are sent again by the next flush. Each copy has the same bytes, so the same Message-ID,
and receivers can drop it.

Modules: fileformat (the .msg and .state formats, pure), spool (the files on disk), flush (sending
what is due, one run at a time), run (one run over delivery/held.py's pipelined connection: the
jobs, the gate, each outcome's files), sentlog (the sent journal), listing (report lines,
--queue-list), interrupted (Ctrl+C during a flush).
"""

from __future__ import annotations

from pysmail.delivery.outbox.fileformat import (
    MAGIC,
    Entry,
    Envelope,
    QueueState,
    decode_header,
    encode_header,
    find_message_id,
)
from pysmail.delivery.outbox.flush import (
    LIFETIME,
    LOCK_NAME,
    QUEUE_BASE,
    QUEUE_CAP,
    Event,
    FlushResult,
    flush,
)
from pysmail.delivery.outbox.interrupted import interrupted
from pysmail.delivery.outbox.listing import describe, list_lines
from pysmail.delivery.outbox.spool import (
    default_spool,
    enqueue,
    entries,
    keep_unsent,
    open_message,
    requeue,
)
from pysmail.mime.compose import freeze  # the outbox's callers freeze specs

__all__ = [
    "LIFETIME",
    "LOCK_NAME",
    "MAGIC",
    "QUEUE_BASE",
    "QUEUE_CAP",
    "Entry",
    "Envelope",
    "Event",
    "FlushResult",
    "QueueState",
    "decode_header",
    "default_spool",
    "describe",
    "encode_header",
    "enqueue",
    "entries",
    "find_message_id",
    "flush",
    "freeze",
    "interrupted",
    "keep_unsent",
    "list_lines",
    "open_message",
    "requeue",
]
